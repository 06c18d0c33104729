from typing import Any

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "reciprocity.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from simple_history.signals import post_create_historical_record

        from reciprocity.accounts.audit import history_rows_created

        post_create_historical_record.connect(_link_history, dispatch_uid="audit_chain_link")
        history_rows_created.connect(_link_rows, dispatch_uid="audit_chain_link_rows")


def _link_history(sender: Any, instance: Any, history_instance: Any, **kwargs: Any) -> None:
    from reciprocity.audit.services import chain_link_history

    chain_link_history(instance=instance, history=history_instance)


def _link_rows(sender: Any, model: Any, history_ids: list[int], **kwargs: Any) -> None:
    from reciprocity.audit.services import chain_link_rows

    chain_link_rows(model=model, history_ids=history_ids)
