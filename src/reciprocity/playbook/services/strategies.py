"""Writes of the strategy run with a partner and of the opportunities strategies produce."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import User
from reciprocity.accounts.services import ensure_can_write
from reciprocity.choices import unknown_choice_message
from reciprocity.dates import happened_at, planned_on
from reciprocity.partners.models import Partner, TouchKind
from reciprocity.partners.services import touch_log
from reciprocity.playbook.models import (
    OPEN_OPPORTUNITY_STATUSES,
    Meeting,
    MeetingKind,
    Opportunity,
    OpportunityStatus,
    PartnerStrategy,
    Strategy,
)
from reciprocity.playbook.selectors.strategies import strategy_of
from reciprocity.playbook.services.common import (
    checked_choice,
    ensure_partner_writable,
    local_today,
)
from reciprocity.playbook.services.meetings import MEETING_OF_ANOTHER_PARTNER
from reciprocity.records import lock
from reciprocity.referrals.models import Direction, Kind, Referral

UNKNOWN_STRATEGY = unknown_choice_message("strategy", Strategy)
SAME_STRATEGY = "The partner is already on that strategy."
STRATEGY_BEFORE_LAST = "A strategy switch cannot be dated before the partner's last switch."
TITLE_REQUIRED = "Give it a title."
OPPORTUNITY_NOT_OPEN = "The meeting was already requested, or the opportunity is closed."
OPPORTUNITY_CLOSED = "This opportunity is already closed."
UNKNOWN_OUTCOME = "An opportunity ends referred or declined."
ASK_BY_IN_PAST = "Choose a day from today on to ask for the meeting."
REFERRAL_NOT_RECEIVED = "Choose a referral received from the partner, not one you sent."
REFERRAL_IS_CONNECTION = "Choose a referral of a prospect: a connection is not a client."
REFERRAL_OF_ANOTHER_PARTNER = "That referral came from another partner."
REFERRAL_ARCHIVED = "That referral is archived; restore it before linking it."
REFERRAL_TAKEN = "That referral is already linked to another opportunity."
REFERRAL_BEFORE_REQUEST = (
    "That referral came in before you asked for the meeting, so this opportunity did not "
    "produce it."
)
OPPORTUNITY_DECLINED = "This opportunity was declined: it produced no referral to link."
OPPORTUNITY_LINKED = "This opportunity is already linked to a referral."
OPPORTUNITY_NOT_LINKED = "This opportunity is not linked to a referral."
REFERRAL_ONLY_IF_REFERRED = "Only an opportunity closed as referred is linked to a referral."

# A new opportunity is due on the agenda this many days later, as the meeting request.
OPPORTUNITY_ASK_WITHIN_DAYS = 7


@transaction.atomic
def strategy_set(
    *,
    partner: Partner,
    by: User,
    strategy: str,
    note: str = "",
    occurred_at: dt.datetime | None = None,
) -> PartnerStrategy:
    """Switch the referral strategy run with a partner; the history of switches stays."""
    ensure_partner_writable(partner, by)
    checked_choice(strategy, Strategy.values, UNKNOWN_STRATEGY, "strategy")
    # Lock the partner so two switches at once cannot both pass the checks below.
    Partner.objects.select_for_update().only("pk").get(pk=partner.pk)
    current = PartnerStrategy.objects.filter(partner_id=partner.pk).order_by("-started_at", "-pk")
    latest = current.first()
    if (latest.strategy if latest else Strategy.CLIENT_REQUESTED) == strategy:
        raise ValidationError({"strategy": SAME_STRATEGY})
    when = happened_at(occurred_at)
    if latest is not None and when < latest.started_at:
        raise ValidationError({"occurred_at": STRATEGY_BEFORE_LAST})
    change = PartnerStrategy(
        partner_id=partner.pk,
        strategy=strategy,
        started_at=when,
        note=(note or "").strip(),
        by=by,
    )
    attribute(change, by).save()
    return change


def ask_by_or_default(ask_by: dt.date | None) -> dt.date:
    if ask_by is None:
        return local_today() + dt.timedelta(days=OPPORTUNITY_ASK_WITHIN_DAYS)
    if ask_by < local_today():
        raise ValidationError({"ask_by": ASK_BY_IN_PAST})
    return planned_on(ask_by, "ask_by")


@transaction.atomic
def opportunity_create(
    *,
    partner: Partner,
    by: User,
    title: str,
    strategy: str | None = None,
    proposal: str = "",
    meeting: Meeting | None = None,
    ask_by: dt.date | None = None,
) -> Opportunity:
    """An opportunity that needs no working tool: a client who asked the partner for an
    advisor, or a client met at a co-hosted event or joint review (pass the meeting)."""
    ensure_partner_writable(partner, by)
    if meeting is not None and meeting.partner_id != partner.pk:
        raise ValidationError({"meeting": MEETING_OF_ANOTHER_PARTNER})
    if strategy is None:
        strategy = (
            Strategy.JOINT_CLIENT_WORK
            if meeting is not None
            and meeting.kind in (MeetingKind.CLIENT_EVENT, MeetingKind.JOINT_REVIEW)
            else strategy_of(partner=partner)
        )
    checked_choice(strategy, Strategy.values, UNKNOWN_STRATEGY, "strategy")
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": TITLE_REQUIRED})
    opportunity = Opportunity(
        partner_id=partner.pk,
        strategy=strategy,
        title=title,
        proposal=(proposal or "").strip(),
        meeting=meeting,
        ask_by=ask_by_or_default(ask_by),
        by=by,
    )
    opportunity.full_clean(exclude=["partner", "by", "meeting", "concern", "solution", "case"])
    attribute(opportunity, by).save()
    return opportunity


@transaction.atomic
def opportunity_request_meeting(
    *,
    opportunity: Opportunity,
    by: User,
    touch_kind: str = TouchKind.CALL,
    note: str = "",
    occurred_at: dt.datetime | None = None,
) -> Opportunity:
    """Ask the partner to arrange a meeting with their client; the ask is a touch."""
    ensure_can_write(by)
    locked = lock(opportunity, Opportunity.objects.select_related("partner"))
    if locked.status != OpportunityStatus.OPEN:
        raise ValidationError(OPPORTUNITY_NOT_OPEN)
    touch = touch_log(
        partner=locked.partner,
        by=by,
        kind=touch_kind,
        summary=(note or "").strip()
        or f"Asked for a meeting with the client: {locked.title}"[:500],
        occurred_at=occurred_at,
    )
    locked.status = OpportunityStatus.MEETING_REQUESTED
    locked.meeting_requested_at = touch.occurred_at
    locked.request_touch = touch
    attribute(locked, by).save()
    return locked


@transaction.atomic
def opportunity_close(
    *,
    opportunity: Opportunity,
    by: User,
    outcome: str,
    note: str = "",
    occurred_at: dt.datetime | None = None,
    referral: Referral | None = None,
) -> Opportunity:
    """End an opportunity: ``referred`` when the client was introduced, ``declined`` otherwise.

    Referred with the ``referral`` received from the partner links it (see
    ``opportunity_link_referral``): the opportunity then closes when the referral came in, and
    ``occurred_at`` is not used. Without one, the referral can be linked later."""
    ensure_can_write(by)
    checked_choice(
        outcome,
        [OpportunityStatus.REFERRED, OpportunityStatus.DECLINED],
        UNKNOWN_OUTCOME,
        "outcome",
    )
    if referral is not None and outcome != OpportunityStatus.REFERRED:
        raise ValidationError({"referral": REFERRAL_ONLY_IF_REFERRED})
    locked = lock(opportunity)
    if locked.status not in OPEN_OPPORTUNITY_STATUSES:
        raise ValidationError(OPPORTUNITY_CLOSED)
    if referral is not None:
        return opportunity_link_referral(
            opportunity=opportunity, referral=referral, by=by, note=note
        )
    locked.status = outcome
    locked.closed_at = happened_at(occurred_at)
    locked.outcome_note = (note or "").strip()
    attribute(locked, by).save()
    return locked


def _check_linkable(referral: Referral, opportunity: Opportunity) -> None:
    """A received referral of a prospect from the opportunity's partner, live and unlinked."""
    if referral.partner_id != opportunity.partner_id:
        raise ValidationError({"referral": REFERRAL_OF_ANOTHER_PARTNER})
    if referral.direction != Direction.RECEIVED:
        raise ValidationError({"referral": REFERRAL_NOT_RECEIVED})
    if referral.kind != Kind.REFERRAL:
        raise ValidationError({"referral": REFERRAL_IS_CONNECTION})
    if referral.archived_at is not None:
        raise ValidationError({"referral": REFERRAL_ARCHIVED})
    if Opportunity.objects.filter(referral_id=referral.pk).exists():
        raise ValidationError({"referral": REFERRAL_TAKEN})
    asked = opportunity.meeting_requested_at
    if asked is not None and referral.occurred_at < asked:
        raise ValidationError({"referral": REFERRAL_BEFORE_REQUEST})


@transaction.atomic
def opportunity_link_referral(
    *, opportunity: Opportunity, referral: Referral, by: User, note: str = ""
) -> Opportunity:
    """Link the referral an opportunity produced, so its strategy's yield counts it.

    The referral is one of kind ``referral`` received from the opportunity's partner, not
    archived and not linked elsewhere. An open opportunity (or one whose meeting was asked for)
    becomes referred, closed when the referral came in; a referred one just gets the link."""
    ensure_can_write(by)
    locked = lock(opportunity)
    if locked.status == OpportunityStatus.DECLINED:
        raise ValidationError(OPPORTUNITY_DECLINED)
    if locked.referral_id is not None:
        raise ValidationError(OPPORTUNITY_LINKED)
    ensure_partner_writable(Partner.objects.get(pk=locked.partner_id), by)
    # Locked so that two opportunities cannot both take the same referral.
    linked = Referral.objects.select_for_update().get(pk=referral.pk)
    _check_linkable(linked, locked)
    locked.referral = linked
    if locked.status in OPEN_OPPORTUNITY_STATUSES:
        locked.status = OpportunityStatus.REFERRED
        locked.closed_at = min(linked.occurred_at, timezone.now())
        locked.outcome_note = (note or "").strip()
    elif note and note.strip():
        locked.outcome_note = note.strip()
    attribute(locked, by).save()
    return locked


@transaction.atomic
def opportunity_unlink_referral(*, opportunity: Opportunity, by: User) -> Opportunity:
    """Undo a link made by mistake: the opportunity stays referred, and the history keeps who
    linked and unlinked what."""
    ensure_can_write(by)
    locked = lock(opportunity)
    if locked.referral_id is None:
        raise ValidationError(OPPORTUNITY_NOT_LINKED)
    ensure_partner_writable(Partner.objects.get(pk=locked.partner_id), by)
    locked.referral = None
    attribute(locked, by).save()
    return locked
