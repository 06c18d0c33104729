from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "reciprocity.referrals"
    label = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        from reciprocity.referrals import agenda

        # The next protocol step of every referral in flight is on the advisor's agenda.
        agenda.register()
