from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "reciprocity.referrals"
    label = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        from reciprocity.partners.agenda import register
        from reciprocity.referrals.agenda import ReferralStepSource

        # The next protocol step of every referral in flight is on the advisor's agenda.
        register(ReferralStepSource())
