from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "reciprocity.api"
    label = "api"
    verbose_name = "REST API"
