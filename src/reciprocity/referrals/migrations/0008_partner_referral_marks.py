from django.db import migrations
from django.db.models import Max, Min, OuterRef, Subquery


def fill_referral_marks(apps, schema_editor):
    """Every partner's latest live referral received and earliest sent, as the referrals'
    writes keep them from now on."""
    Partner = apps.get_model("partners", "Partner")
    Referral = apps.get_model("referrals", "Referral")

    def moment(direction, fn):
        return Subquery(
            Referral.objects.filter(
                partner_id=OuterRef("pk"),
                archived_at__isnull=True,
                direction=direction,
                kind="referral",
            )
            .order_by()
            .values("partner_id")
            .annotate(m=fn("occurred_at"))
            .values("m")
        )

    Partner.objects.update(
        latest_received_at=moment("received", Max), earliest_sent_at=moment("sent", Min)
    )


class Migration(migrations.Migration):

    dependencies = [
        ('partners', '0012_partner_referral_marks'),
        ('referrals', '0007_partner_first_received'),
    ]

    operations = [
        migrations.RunPython(fill_referral_marks, migrations.RunPython.noop, elidable=True),
    ]
