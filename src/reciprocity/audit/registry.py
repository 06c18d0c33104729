"""Which models keep a history, and how each one's records lead to a firm and to a partner.

The paths are derived from the models' foreign keys, so a new model with history joins the audit
log (and, if it hangs off a partner, the partner's History tab) without being listed anywhere;
tests/test_audit_log.py fails if one cannot be traced to a firm.
"""

from functools import cache

from django.apps import apps
from django.db import models

from reciprocity.accounts.models import Firm, User
from reciprocity.partners.models import Partner

MAX_DEPTH = 3


def audited_models() -> list[type[models.Model]]:
    """Every model of the product that keeps a history, in a stable order."""
    return sorted(
        (
            model
            for config in apps.get_app_configs()
            if config.name.startswith("reciprocity.")
            for model in config.get_models()
            if hasattr(model._meta, "simple_history_manager_attribute")
        ),
        key=lambda model: model._meta.label,
    )


def history_of(model: type[models.Model]) -> type[models.Model]:
    """The historical model of ``model``."""
    return getattr(model, model._meta.simple_history_manager_attribute).model  # type: ignore[attr-defined]


def _foreign_keys(model: type[models.Model]) -> list[models.ForeignKey]:
    keys = [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey) and field.related_model is not None
    ]
    # A record belongs to what it is about before whoever made it.
    return sorted(keys, key=lambda field: field.related_model is User)


def _path(model: type[models.Model], target: type[models.Model], depth: int) -> str | None:
    if model is target:
        return "id"
    if depth >= MAX_DEPTH:
        return None
    for field in _foreign_keys(model):
        if field.related_model is target:
            return field.attname
    for field in _foreign_keys(model):
        related = field.related_model
        if related is User and target is not Firm:
            continue
        assert isinstance(related, type)
        sub = _path(related, target, depth + 1)
        if sub is not None:
            return f"{field.name}__{sub}"
    return None


@cache
def firm_path(model: type[models.Model]) -> str | None:
    """The lookup from ``model``'s historical records to the firm's id."""
    return _path(model, Firm, 0)


@cache
def partner_path(model: type[models.Model]) -> str | None:
    """The lookup from ``model``'s historical records to a partner's id, if it has one."""
    return _path(model, Partner, 0)


def model_by_label(label: str) -> type[models.Model] | None:
    return next((model for model in audited_models() if model._meta.label == label), None)
