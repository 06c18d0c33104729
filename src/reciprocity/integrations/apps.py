from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "reciprocity.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from reciprocity.integrations.merge import ADDRESS_MOVE
        from reciprocity.partners.merge import register as merge_register

        # A merge of two partners moves the addresses the one merged away wrote from.
        merge_register(ADDRESS_MOVE)
