from django.db import migrations


def seed(apps, schema_editor):
    from zhibu.development.seed import seed as do_seed

    do_seed(apps.get_model("development", "RuleSet"), apps.get_model("development", "StepDef"))


class Migration(migrations.Migration):
    dependencies = [("development", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
