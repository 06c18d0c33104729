from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "reciprocity.transfer"
    label = "transfer"
    verbose_name = "Import and export"
