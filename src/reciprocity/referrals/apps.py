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

        from reciprocity.partners.merge import register as merge_register
        from reciprocity.referrals.merge import REFERRAL_MOVE

        # A merge of two partners moves the referrals of the one merged away.
        merge_register(REFERRAL_MOVE)
