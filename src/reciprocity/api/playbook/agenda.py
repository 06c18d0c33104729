"""The agenda through the API: list it, complete an item, snooze one."""

from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from reciprocity.api.auth import current_user
from reciprocity.api.errors import responses
from reciprocity.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from reciprocity.api.playbook.schemas import agenda as schemas
from reciprocity.api.schemas.common import RecordId, WholeNumber
from reciprocity.choices import unknown_choice_message
from reciprocity.partners.agenda import SECTIONS, SOURCES, AgendaItem, source_of
from reciprocity.partners.selectors import partner_get_for
from reciprocity.playbook import models
from reciprocity.playbook.selectors.agenda import AgendaFilters, agenda_for
from reciprocity.playbook.services.agenda import agenda_complete, agenda_snooze

agenda = Router(tags=["Agenda"])


# Paging deeper into a section reads every item before it: a bound keeps that reasonable.
MAX_AGENDA_OFFSET = 10_000


class AgendaQuery(Schema):
    days: Annotated[int, WholeNumber] = Field(
        7, ge=0, le=366, description="How far ahead to look, in days."
    )
    limit: Annotated[int, WholeNumber] = Field(
        DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="How many items of each section."
    )
    offset: Annotated[int, WholeNumber] = Field(
        0,
        ge=0,
        le=MAX_AGENDA_OFFSET,
        description="How many items of each section to skip (the next page of a section).",
    )
    partner: RecordId | None = Field(None, description="Only this partner's items.")
    kind: str | None = Field(None, description="Only items of this source (its slug).")
    owner: RecordId | None = Field(
        None, description="Only the partners of this owner that you may see (default: yours)."
    )


def _item(item: AgendaItem, today: Any) -> dict[str, Any]:
    return {
        "key": item.key,
        "source": item.source,
        "partner": {"id": item.partner_id, "name": item.partner_name},
        "title": item.title,
        "due": item.due,
        "at": item.at,
        "owner": item.owner,
        "detail": item.detail,
        "object_id": item.object_id,
        "overdue": item.due < today,
    }


@agenda.get("", response=responses({200: schemas.Agenda}), summary="Your agenda")
def get_agenda(request: HttpRequest, filters: Query[AgendaQuery]) -> dict[str, Any]:
    """Everything due up to ``days`` ahead on your own partners, from every source: open
    commitments, keep-warm cadences, the next protocol step of each referral in flight, meeting
    requests to make and planned meetings. Overdue first, then today, then the rest. Snoozed
    items are left out until their day. Each section holds its first ``limit`` items after
    ``offset``, and ``counts`` says how many it has in all; ``partner``, ``kind`` and
    ``owner`` narrow it; a partner you may not see is a 404, as everywhere."""
    today = timezone.localdate()
    user = current_user(request)
    if filters.kind is not None and filters.kind not in SOURCES:
        raise ValidationError({"kind": unknown_choice_message("kind", list(SOURCES))})
    if filters.partner is not None:
        partner_get_for(advisor=user, pk=filters.partner)
    found = agenda_for(
        user,
        today=today,
        horizon_days=filters.days,
        limit=filters.offset + filters.limit,
        filters=AgendaFilters(
            partner=filters.partner, kind=filters.kind or "", owner=filters.owner
        ),
    )
    page = slice(filters.offset, None)
    return {
        "today": today,
        "overdue": [_item(i, today) for i in found.overdue[page]],
        "due_today": [_item(i, today) for i in found.due_today[page]],
        "this_week": [_item(i, today) for i in found.this_week[page]],
        "counts": {section: found.count(section) for section in SECTIONS},
        "snoozed": found.snoozed,
        "count": len(found),
    }


def _completion(key: str, result: Any) -> dict[str, Any]:
    source, _ = source_of(key)
    completion = source.completion(result)
    return {
        "key": key,
        "source": source.slug,
        "detail": completion.detail,
        "touch_id": completion.touch_id,
    }


@agenda.post(
    "/{key}/complete",
    response=responses({200: schemas.AgendaCompletion}, conflict=True),
    summary="Complete an agenda item",
)
def complete_agenda_item(
    request: HttpRequest, key: schemas.AgendaKey, payload: schemas.AgendaComplete
) -> dict[str, Any]:
    """A commitment is done, a cadence gets its touch, a referral step is done with its touch,
    a meeting request is made, a meeting is held: whatever the item asks, recorded in place."""
    result = agenda_complete(
        by=current_user(request),
        key=key,
        touch_kind=payload.touch_kind,
        summary=payload.summary,
        occurred_at=payload.occurred_at,
    )
    return _completion(key, result)


@agenda.post(
    "/{key}/snooze",
    response=responses({200: schemas.AgendaSnooze}, conflict=True),
    summary="Snooze an agenda item",
)
def snooze_agenda_item(
    request: HttpRequest, key: schemas.AgendaKey, payload: schemas.AgendaSnoozeCreate
) -> models.AgendaSnooze:
    """Put it off until a later day (within a year), saying why; it comes back on that day."""
    snooze = agenda_snooze(
        by=current_user(request), key=key, until=payload.until, reason=payload.reason
    )
    return models.AgendaSnooze.objects.select_related("partner").get(pk=snooze.pk)
