from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "reciprocity.referrals"
    label = "referrals"
    verbose_name = "Referrals"
