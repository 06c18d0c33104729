from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('partners', '0011_partner_first_received'),
    ]

    operations = [
        migrations.AddField(
            model_name='partner',
            name='latest_received_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='partner',
            name='earliest_sent_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
