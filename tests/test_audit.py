"""Every model holding firm data keeps its history: who, when, what, and from where."""

import pytest
from django.apps import apps
from django.db import models

from reciprocity.partners import services
from reciprocity.partners.models import Partner
from tests.conftest import Cast

# Models that hold no firm data of their own: how workers and the task queue are running, and
# the API's rate counters. A heartbeat or a counter changes every few seconds; none of them can
# be traced to a firm.
NOT_FIRM_DATA: set[str] = {
    "ops.WorkerHeartbeat",
    "ops.LostRun",
    "ops.ScheduledRun",
    "accounts.RateCount",
}
# The audit trail's own seal: the hash chain over the history, and the record of its checks
# (written once, never changed). A history of them would be links of links.
THE_TRAIL_ITSELF: set[str] = {"audit.ChainHead", "audit.ChainLink", "audit.ChainVerification"}
# What the firm's webhooks were told, and how each delivery went: written by the system only,
# about changes that keep their own history (an endpoint's changes keep theirs).
WHAT_WEBHOOKS_WERE_TOLD: set[str] = {
    "integrations.WebhookEvent",
    "integrations.WebhookDelivery",
    "integrations.WebhookAttempt",
    "integrations.DiagnosisNotice",
}


def product_models() -> list[type[models.Model]]:
    return [
        model
        for config in apps.get_app_configs()
        if config.name.startswith("reciprocity.")
        for model in config.get_models()
        if not model._meta.auto_created and not model.__name__.startswith("Historical")
    ]


@pytest.mark.parametrize("model", product_models(), ids=lambda m: m._meta.label)
def test_every_model_with_firm_data_keeps_its_history(model: type[models.Model]) -> None:
    if model._meta.label in NOT_FIRM_DATA:
        pytest.skip("holds no firm data")
    if model._meta.label in THE_TRAIL_ITSELF:
        pytest.skip("the audit trail's own seal")
    if model._meta.label in WHAT_WEBHOOKS_WERE_TOLD:
        pytest.skip("what the webhooks were told, of changes that keep their own history")
    assert hasattr(model, "history"), f"{model._meta.label} has no audit history"


@pytest.mark.django_db
def test_a_change_records_its_source(cast: Cast) -> None:
    from reciprocity.accounts.audit import audit_source

    with audit_source("api"):
        partner = services.partner_create(by=cast.alice, name="Via API", profession="cpa")
    record = Partner.history.get(id=partner.pk)  # type: ignore[attr-defined]
    assert (record.history_user, record.history_source, record.history_type) == (
        cast.alice,
        "api",
        "+",
    )
