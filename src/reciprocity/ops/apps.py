from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the product on several hosts: worker heartbeats, lost task runs, once-only
    effects, readiness and the database router. It knows no domain app."""

    name = "reciprocity.ops"
    label = "ops"
    verbose_name = "Operations"
