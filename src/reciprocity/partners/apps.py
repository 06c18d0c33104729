from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "reciprocity.partners"
    label = "partners"
    verbose_name = "Partners"

    def ready(self) -> None:
        from reciprocity.partners.merge import own_moves, register

        # A merge moves the partner's touches, commitments and stage history to the one kept.
        for move in own_moves():
            register(move)
