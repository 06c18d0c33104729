from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "reciprocity.insights"
    label = "insights"
    verbose_name = "Insights"
