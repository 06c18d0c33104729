"""Cadences through the API: a partner's overrides, and the firm's defaults (firm admins)."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.pagination import paginate

from reciprocity.api.auth import current_user
from reciprocity.api.errors import responses
from reciprocity.api.pagination import Pagination
from reciprocity.api.playbook.common import partner_or_404
from reciprocity.api.playbook.schemas import cadences as schemas
from reciprocity.api.schemas.common import RecordId
from reciprocity.partners.models import Partner
from reciprocity.playbook import models
from reciprocity.playbook.selectors.cadences import cadence_defaults_of, cadences_of
from reciprocity.playbook.services.cadences import (
    cadence_default_remove,
    cadence_default_set,
    cadence_reset,
    cadence_set,
)

partner_cadences = Router(tags=["Cadences"])

# The firm's playbook: everyone in the firm reads it; only its firm admins change it (the
# services refuse anyone else with 403, as the web pages do).
firm_cadence_defaults = Router(tags=["Firm playbook"])


def _cadences(partner: Partner) -> dict[str, Any]:
    today = timezone.localdate()
    items = [
        {
            "kind": c.kind,
            "interval_months": c.interval_months,
            "source": c.source,
            "description": c.description,
            "last_touch_at": c.last_touch_at,
            "due": c.due,
            "overdue": c.due is not None and c.due < today,
        }
        for c in cadences_of(partner=partner)
    ]
    return {"items": items, "count": len(items)}


@partner_cadences.get(
    "/{id}/cadences",
    response=responses({200: schemas.CadenceList}),
    summary="List a partner's cadences",
)
def list_cadences(request: HttpRequest, id: RecordId) -> dict[str, Any]:
    """The keep-warm rhythm running for the partner: its overrides, else the firm's default for
    its stage, each with its next due date."""
    return _cadences(partner_or_404(current_user(request), id))


@partner_cadences.put(
    "/{id}/cadences",
    response=responses({200: schemas.CadenceList}),
    summary="Override a cadence for a partner",
)
def set_cadence(request: HttpRequest, id: RecordId, payload: schemas.CadenceSet) -> dict[str, Any]:
    """Another interval or off for this partner; ``use_default`` drops the override."""
    user = current_user(request)
    partner = partner_or_404(user, id)
    if payload.use_default:
        cadence_reset(partner=partner, by=user, kind=payload.kind)
    else:
        cadence_set(
            partner=partner,
            by=user,
            kind=payload.kind,
            enabled=payload.enabled,
            interval_months=payload.interval_months,
        )
    return _cadences(partner)


@firm_cadence_defaults.get(
    "/cadence-defaults",
    response=responses({200: list[schemas.CadenceDefault]}, not_found=False),
    summary="List the cadence defaults",
)
@paginate(Pagination)
def list_cadence_defaults(request: HttpRequest) -> QuerySet[models.CadenceDefault]:
    return cadence_defaults_of(advisor=current_user(request))


@firm_cadence_defaults.put(
    "/cadence-defaults",
    response=responses({200: schemas.CadenceDefaultList}, not_found=False),
    summary="Set a cadence default",
)
def set_cadence_default(request: HttpRequest, payload: schemas.CadenceDefaultSet) -> dict[str, Any]:
    """Firm admins only. The keep-warm rhythm of one kind for partners in one stage, or none
    (``enabled: false``); a partner's own override still wins. Answers all the defaults."""
    user = current_user(request)
    if payload.enabled:
        cadence_default_set(
            by=user, stage=payload.stage, kind=payload.kind, interval_months=payload.interval_months
        )
    else:
        cadence_default_remove(by=user, stage=payload.stage, kind=payload.kind)
    items = list(cadence_defaults_of(advisor=user))
    return {"items": items, "count": len(items)}
