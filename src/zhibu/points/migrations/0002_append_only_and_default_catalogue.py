"""The ledger and published rankings are append-only in the database itself, and the default catalogue.

UPDATE is refused on both backends; DELETE on PostgreSQL (SQLite leaves it to the models: Django's test
flush deletes rows there). Same approach as core 0002 (audit log).

SQLite drops a table's triggers when Django rebuilds the table (most AlterField/RemoveField): a later
migration that alters these tables must run `forwards`' trigger SQL again after the change.
"""

from django.db import migrations

TABLES = ("points_entry", "points_snapshot", "points_snapshotrow")


def _pg(table):
    return f"""
CREATE OR REPLACE FUNCTION points_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'points ledger and published rankings are append-only'; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION points_append_only();
"""


def _sqlite(table):
    return f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, 'points ledger and published rankings are append-only'); END;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(_pg(table))
        elif vendor == "sqlite":
            schema_editor.execute(_sqlite(table))
    from zhibu.points.catalogue import seed

    seed(apps.get_model("points", "Rule"))


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only;")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS points_append_only();")


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
