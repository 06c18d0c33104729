from django.apps import AppConfig


class PlaybookConfig(AppConfig):
    name = "reciprocity.playbook"
    label = "playbook"
    verbose_name = "Playbook"

    def ready(self) -> None:
        from reciprocity.accounts.services import firm_setup_register
        from reciprocity.playbook.services import firm_defaults_install

        firm_setup_register(lambda firm: firm_defaults_install(firm=firm))
