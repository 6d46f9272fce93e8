from django.db import migrations


def seed(apps, schema_editor):
    from zhibu.orglife.seed import seed as do_seed

    do_seed(apps.get_model("orglife", "MeetingType"), apps.get_model("orglife", "Requirement"))


class Migration(migrations.Migration):
    dependencies = [("orglife", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
