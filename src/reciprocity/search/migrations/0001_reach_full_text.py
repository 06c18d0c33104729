from django.db import migrations

from reciprocity.search.fulltext import install_full_text


def install(apps, schema_editor):
    install_full_text(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0001_initial"),
        ("referrals", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop, elidable=False)]
