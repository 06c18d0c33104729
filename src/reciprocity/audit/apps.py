from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "reciprocity.audit"
    label = "audit"
    verbose_name = "Audit trail"
