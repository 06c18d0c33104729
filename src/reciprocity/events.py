"""Things that happened in a firm's book, told to whoever listens (the firm's webhooks).

The domain services call ``emit`` inside their own transaction; a sink registered by an app
above them (integrations installs the webhooks' outbox in its ``ready()``) writes what it needs
in that same transaction, so an event exists exactly when the change it tells of was committed.
Events that happen together (an import's partners) are told together with ``emit_all``: a sink
hears them as one batch and may write them in a few statements. This module imports no app:
the domain knows nothing of who listens.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

PARTNER_CREATED = "partner.created"
PARTNER_STAGE_CHANGED = "partner.stage_changed"
TOUCH_LOGGED = "touch.logged"
REFERRAL_SENT = "referral.sent"
REFERRAL_RECEIVED = "referral.received"
REFERRAL_STATUS_CHANGED = "referral.status_changed"
COMMITMENT_OVERDUE = "commitment.overdue"
DIAGNOSIS_RAISED = "diagnosis.raised"

# Every event type, with what it means (shown where an endpoint chooses its events).
TYPES: dict[str, str] = {
    PARTNER_CREATED: "A partner was added.",
    PARTNER_STAGE_CHANGED: "A partner moved in the pipeline.",
    TOUCH_LOGGED: "A touch was logged with a partner.",
    REFERRAL_SENT: "A referral or connection was sent to a partner.",
    REFERRAL_RECEIVED: "A referral or connection was received from a partner.",
    REFERRAL_STATUS_CHANGED: "A referral moved along its lifecycle.",
    COMMITMENT_OVERDUE: "A commitment passed its due date while still open (told once).",
    DIAGNOSIS_RAISED: "A partner newly has a diagnosis (told once, until it clears).",
}


@dataclass(frozen=True)
class Event:
    firm_id: int
    type: str
    # What the event is about, e.g. ``partner:12``: a listener hears a subject's events in order.
    subject: str
    payload: dict[str, Any]
    # A key that makes the event once only (``commitment:5:2030-01-31``); empty when not needed.
    once: str = ""


# A listener hears events in batches (one event, or the events of one bulk change, in order).
Sink = Callable[[Sequence[Event]], object]
_sinks: list[Sink] = []


def register(sink: Sink) -> None:
    """Listen to every event; called in the emitting transaction."""
    if sink not in _sinks:
        _sinks.append(sink)


def emit_all(batch: Iterable[Event]) -> None:
    """Tell the listeners of several events at once, in order."""
    told = list(batch)
    for event in told:
        if event.type not in TYPES:
            raise ValueError(f"Unknown event type {event.type!r}")
    if not told:
        return
    for sink in _sinks:
        sink(told)


def emit(
    *, firm_id: int | None, type: str, subject: str, payload: dict[str, Any], once: str = ""
) -> None:
    """Tell the listeners; a change outside any firm tells nobody."""
    if type not in TYPES:
        raise ValueError(f"Unknown event type {type!r}")
    if firm_id is None:
        return
    emit_all([Event(firm_id=firm_id, type=type, subject=subject, payload=payload, once=once)])


def partner_subject(partner_id: int) -> str:
    return f"partner:{partner_id}"


# --- What each event says -------------------------------------------------------------------
# Built from the records as they stand when the event happens (read by attribute: this module
# imports no app). Client names and contacts are never in an event: they stay in the book.


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _partner(partner: Any) -> dict[str, Any]:
    return {
        "id": partner.pk,
        "name": partner.name,
        "profession": partner.profession,
        "organization": partner.organization,
        "stage": partner.stage,
        "owner": partner.owner_id,
    }


def _partner_created(partner: Any) -> Event:
    return Event(
        firm_id=partner.firm_id,
        type=PARTNER_CREATED,
        subject=partner_subject(partner.pk),
        payload={"partner": _partner(partner)},
    )


def _move(change: Any, name: str) -> dict[str, Any]:
    """A recorded move (a stage change, a status change): from, to, why and when."""
    return {
        f"from_{name}": getattr(change, f"from_{name}"),
        f"to_{name}": getattr(change, f"to_{name}"),
        "reason": change.reason,
        "occurred_at": _when(change.occurred_at),
    }


def partner_created(partner: Any) -> None:
    if partner.firm_id is not None:
        emit_all([_partner_created(partner)])


def partners_created(partners: Iterable[Any]) -> None:
    """One ``partner.created`` per partner, told as one batch (an import's)."""
    emit_all(_partner_created(partner) for partner in partners if partner.firm_id is not None)


def _about_partner(partner: Any, type: str, told: dict[str, Any], once: str = "") -> None:
    """An event about a partner: the partner as it stands, and what happened to it."""
    emit(
        firm_id=partner.firm_id,
        type=type,
        subject=partner_subject(partner.pk),
        payload={"partner": _partner(partner), **told},
        once=once,
    )


def partner_stage_changed(partner: Any, change: Any) -> None:
    _about_partner(partner, PARTNER_STAGE_CHANGED, _move(change, "stage"))


def touch_logged(partner: Any, touch: Any) -> None:
    touched = {
        "id": touch.pk,
        "kind": touch.kind,
        "summary": touch.summary,
        "occurred_at": _when(touch.occurred_at),
        "by": touch.by_id,
    }
    _about_partner(partner, TOUCH_LOGGED, {"touch": touched})


def _referral(referral: Any) -> dict[str, Any]:
    return {
        "id": referral.pk,
        "partner": referral.partner_id,
        "direction": referral.direction,
        "kind": referral.kind,
        "need": referral.need,
        "status": referral.status,
        "occurred_at": _when(referral.occurred_at),
    }


def _about_referral(referral: Any, type: str, told: dict[str, Any]) -> None:
    """An event about a referral, heard in order with its partner's events."""
    emit(
        firm_id=referral.firm_id,
        type=type,
        subject=partner_subject(referral.partner_id),
        payload={"referral": _referral(referral), **told},
    )


def referral_logged(referral: Any) -> None:
    """``referral.sent`` or ``referral.received``, by its direction."""
    _about_referral(
        referral, REFERRAL_SENT if referral.direction == "sent" else REFERRAL_RECEIVED, {}
    )


def referral_status_changed(referral: Any, change: Any) -> None:
    """A status recorded on a referral already saved (its first status comes with its creation)."""
    if referral.pk is None:
        return
    _about_referral(referral, REFERRAL_STATUS_CHANGED, _move(change, "status"))


def commitment_overdue(commitment: Any, partner: Any) -> None:
    """Once per commitment and due date: moved to a later date, it may be told again."""
    overdue = {
        "id": commitment.pk,
        "what": commitment.what,
        "due": _when(commitment.due),
        "owner": commitment.owner,
        "status": commitment.status,
    }
    _about_partner(
        partner,
        COMMITMENT_OVERDUE,
        {"commitment": overdue},
        once=f"commitment:{commitment.pk}:{commitment.due.isoformat()}",
    )


def diagnosis_raised(*, firm_id: int, diagnosis: Any, raised_at: Any) -> Event:
    """The event of a partner's diagnosis newly standing (what the advisor sees of it; the
    evidence holds counts and dates, no client), for the caller to tell with ``emit_all``."""
    return Event(
        firm_id=firm_id,
        type=DIAGNOSIS_RAISED,
        subject=partner_subject(diagnosis.partner_id),
        payload={
            "partner": {"id": diagnosis.partner_id, "name": diagnosis.partner_name},
            "diagnosis": {
                "slug": diagnosis.slug,
                "title": diagnosis.title,
                "severity": diagnosis.severity,
                "action": diagnosis.action,
                "reason": diagnosis.reason,
                "evidence": list(diagnosis.evidence),
            },
            "raised_at": _when(raised_at),
        },
    )
