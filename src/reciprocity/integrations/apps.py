from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "reciprocity.integrations"
    label = "integrations"
    verbose_name = "Integrations"
