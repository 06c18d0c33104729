from django.apps import AppConfig


class PlaybookConfig(AppConfig):
    name = "reciprocity.playbook"
    label = "playbook"
    verbose_name = "Playbook"
