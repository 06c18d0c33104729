from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "reciprocity.site"
    label = "site"
    verbose_name = "Reciprocity"
