from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The cache (sign-in throttling, one-time authenticator codes) is a database table shared by
    # every app process; createcachetable does nothing when it exists.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_firm_requires_mfa_retention_days")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
