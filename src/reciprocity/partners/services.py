"""Every write of partner data: one transaction each, attributed to the advisor who acts."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from reciprocity import events
from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import Team, User
from reciprocity.accounts.selectors import advisors_of_firm, teams_of
from reciprocity.accounts.services import ensure_can_write, record_archive_set
from reciprocity.choices import unknown_choice_message
from reciprocity.dates import happened_at, planned_on
from reciprocity.partners import qualification
from reciprocity.partners.models import (
    LAST_TOUCH_KINDS,
    MET_STAGES,
    PIPELINE_STAGES,
    Commitment,
    CommitmentStatus,
    FailureReason,
    Partner,
    Stage,
    StageChange,
    Tag,
    Touch,
    TouchKind,
    further_stage,
    stage_rank,
)
from reciprocity.records import Conflict, lock, model_update

# User-facing messages; tests reuse them.
RETIRED_NEEDS_REASON = (
    "Say why you are walking away: wrong professional, wrong message, wrong firm or other."
)
UNKNOWN_STAGE = unknown_choice_message("stage", Stage)
UNKNOWN_REASON = unknown_choice_message("reason", FailureReason)
SAME_STAGE = "The partner is already in that stage."
STAGE_BEFORE_LAST = "A stage change cannot be dated before the partner's last stage change."
MET_BUT_NOT_MET = (
    "A partner you have met is at First meeting or later: choose that stage, or leave the date "
    "of the first meeting empty."
)
STAGE_BEFORE_MEETING = "The stage cannot start before the first meeting that led to it."
FIRST_MEETING_SINCE = (
    "A partner at First meeting has been there since you first met: give that one date."
)
OWNER_NOT_IN_FIRM = "The owner must be an advisor of your firm."
TEAM_NOT_YOURS = "Share only with a team the owner belongs to."
TAG_TOO_LONG = 'A tag has at most {limit} characters: "{tag}" has {length}.'
# Who may see a partner is decided by its owner (handing it to a colleague, sharing it or
# not) or a firm admin, never by a teammate it is shared with.
OWNER_CHANGE_NOT_YOURS = "Only the partner's owner or a firm admin can hand it to another advisor."
SHARING_NOT_YOURS = "Only the partner's owner or a firm admin can change whom it is shared with."
COMMITMENT_NOT_OPEN = "Only an open commitment can be completed or dropped."
UNKNOWN_STATUS = unknown_choice_message("status", CommitmentStatus)
UNKNOWN_TOUCH_KIND = unknown_choice_message("kind", TouchKind)
NO_FIRM = "Your account belongs to no firm; ask an administrator to add you to one."
ARCHIVED_PARTNER = "This partner is archived; restore it before changing it."
QUALIFY_FAILS = (
    '{partner} fails qualification: {failures}. Tick "Qualify anyway" to qualify them '
    "regardless, or walk away."
)
NOT_A_QUESTION = "Not a qualification question. Use one of: {fields}."

# Profile fields an advisor edits directly (stage, owner and counters have their own services).
PROFILE_FIELDS = (
    "name",
    "profession",
    "profession_other",
    "organization",
    "organization_size",
    "specialties",
    "niche",
    "growth_mode",
    "propensity_to_refer",
    "preferred_referral_process",
    "preferred_contact_method",
    "values",
    "can_describe_value",
    "email",
    "phone",
    "address",
    "website",
    "notes",
)


def _owner_chosen(by: User, owner: User | int | None) -> User | None:
    """The owner as given, or by its id (as the API names it): one of the firm's advisors."""
    if not isinstance(owner, int):
        return owner
    found = advisors_of_firm(user=by).filter(pk=owner).first()
    if found is None:
        raise ValidationError({"owner": OWNER_NOT_IN_FIRM})
    return found


def _team_chosen[T](by: User, team: Team | int | T) -> Team | T:
    """The team as given, or by its id (as the API names it): one of the teams ``by`` sees."""
    if not isinstance(team, int):
        return team
    found = teams_of(user=by).filter(pk=team).first()
    if found is None:
        raise ValidationError({"team": TEAM_NOT_YOURS})
    return found


def _clean_owner_and_team(*, by: User, owner: User, team: Team | None) -> tuple[User, Team | None]:
    """An active advisor of the firm, and a team of the firm they belong to (or none)."""
    if owner.firm_id != by.firm_id or not owner.is_active:
        raise ValidationError({"owner": OWNER_NOT_IN_FIRM})
    if team is not None and (
        team.firm_id != by.firm_id or not team.members.filter(pk=owner.pk).exists()
    ):
        raise ValidationError({"team": TEAM_NOT_YOURS})
    return owner, team


def clean_tags(tags: Iterable[str]) -> list[str]:
    """The tags' names, trimmed and each once; ValidationError on ``tags`` for one too long
    (cutting it would save a tag nobody typed)."""
    limit = Tag._meta.get_field("name").max_length or 0
    names = sorted({name.strip() for name in tags if name and name.strip()})
    for name in names:
        if len(name) > limit:
            shown = f"{name[:40]}…"
            raise ValidationError(
                {"tags": TAG_TOO_LONG.format(limit=limit, tag=shown, length=len(name))}
            )
    return names


def _set_tags(partner: Partner, tags: Iterable[str]) -> None:
    names = clean_tags(tags)
    existing = {
        tag.name: tag for tag in Tag.objects.filter(firm_id=partner.firm_id, name__in=names)
    }
    missing = [Tag(firm_id=partner.firm_id, name=name) for name in names if name not in existing]
    created = Tag.objects.bulk_create(missing) if missing else []
    partner.tags.set([*existing.values(), *created])


@transaction.atomic
def partner_create(
    *,
    by: User,
    name: str,
    profession: str,
    owner: User | int | None = None,
    team: Team | int | None = None,
    stage: str = Stage.IDENTIFIED,
    occurred_at: dt.datetime | None = None,
    first_met_at: dt.datetime | None = None,
    tags: Iterable[str] = (),
    **profile: Any,
) -> Partner:
    """Add a partner; its first stage is recorded like every later one. The owner (by default
    ``by``) and the team may be given by their ids.

    The partner's past may come with it, so time in stage and the patience rules count from
    when things happened: ``occurred_at`` is when the partner reached ``stage``, and
    ``first_met_at`` when the advisor first met them, recorded as the move to First meeting
    (for a partner at that stage, the day it started when ``occurred_at`` is not given)."""
    ensure_can_write(by)
    chosen_owner = _owner_chosen(by, owner)
    chosen_team = _team_chosen(by, team)
    unknown = set(profile) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Unknown field."))
    if stage not in Stage.values:
        raise ValidationError({"stage": UNKNOWN_STAGE})
    if stage == Stage.RETIRED:
        raise ValidationError({"stage": RETIRED_NEEDS_REASON})
    # An advisor adds partners of their own; a firm admin may add one for any advisor.
    if chosen_owner is not None and chosen_owner != by and not by.manages_firm:
        raise ValidationError({"owner": OWNER_NOT_IN_FIRM})
    owner, team = _clean_owner_and_team(by=by, owner=chosen_owner or by, team=chosen_team)
    history = _history_on_creation(stage, occurred_at=occurred_at, first_met_at=first_met_at)
    when = history[-1][1]
    if by.firm is None:
        raise PermissionDenied(NO_FIRM)
    partner = Partner(
        firm=by.firm,
        owner=owner,
        team=team,
        name=(name or "").strip(),
        profession=profession,
        stage=stage,
        stage_changed_at=when,
        **profile,
    )
    for to_stage, moment in history:
        record_move(partner, to_stage, moment)
    partner.full_clean(exclude=["firm", "owner", "team"])
    attribute(partner, by).save()
    _set_tags(partner, tags)
    previous = ""
    left = [moment for _, moment in history[1:]] + [None]
    for (to_stage, moment), left_at in zip(history, left, strict=True):
        change = StageChange(
            partner=partner,
            from_stage=previous,
            to_stage=to_stage,
            occurred_at=moment,
            left_at=left_at,
            by=by,
        )
        attribute(change, by).save()
        previous = to_stage
    events.partner_created(partner)
    return partner


def _history_on_creation(
    stage: str, *, occurred_at: dt.datetime | None, first_met_at: dt.datetime | None
) -> list[tuple[str, dt.datetime]]:
    """The stage moves a new partner starts with: (stage, when), oldest first."""
    if first_met_at is None:
        return [(stage, happened_at(occurred_at))]
    met = happened_at(first_met_at, "first_met_at")
    pipeline = list(PIPELINE_STAGES)
    if stage not in pipeline or pipeline.index(Stage(stage)) < pipeline.index(Stage.FIRST_MEETING):
        raise ValidationError({"first_met_at": MET_BUT_NOT_MET})
    since = met if occurred_at is None else happened_at(occurred_at)
    if since < met:
        raise ValidationError({"occurred_at": STAGE_BEFORE_MEETING})
    if stage == Stage.FIRST_MEETING:
        if since != met:
            raise ValidationError({"occurred_at": FIRST_MEETING_SINCE})
        return [(stage, met)]
    return [(Stage.FIRST_MEETING, met), (stage, since)]


@transaction.atomic
def partner_update(
    *,
    partner: Partner,
    by: User,
    owner: User | int | None = None,
    team: Team | int | str | None = "unchanged",
    tags: Iterable[str] | None = None,
    **changes: Any,
) -> Partner:
    """Change profile fields. Pass ``team=None`` to stop sharing. The owner and the team may be
    given by their ids; changing either is for the owner (handing the partner to a colleague
    of the firm) or a firm admin, never for a teammate it is shared with."""
    ensure_can_write(by)
    team = _team_chosen(by, team)
    owner = _owner_chosen(by, owner)
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if partner.archived_at is not None:
        raise ValidationError(ARCHIVED_PARTNER)
    if owner is not None or team != "unchanged":
        new_owner = owner or partner.owner
        new_team = partner.team if team == "unchanged" else team
        assert not isinstance(new_team, str)
        decides = partner.owner_id == by.pk or (by.manages_firm and by.firm_id == partner.firm_id)
        if new_owner.pk != partner.owner_id and not decides:
            raise ValidationError({"owner": OWNER_CHANGE_NOT_YOURS})
        if (new_team.pk if new_team else None) != partner.team_id and not decides:
            raise ValidationError({"team": SHARING_NOT_YOURS})
        partner.owner, partner.team = _clean_owner_and_team(by=by, owner=new_owner, team=new_team)
    for field, value in changes.items():
        if field == "name" and isinstance(value, str):
            value = value.strip()
        setattr(partner, field, value)
    partner.full_clean(exclude=["firm", "owner", "team"])
    attribute(partner, by).save()
    if tags is not None:
        _set_tags(partner, tags)
    return partner


@transaction.atomic
def partner_change_stage(
    *,
    partner: Partner,
    by: User,
    stage: str,
    reason: str = "",
    note: str = "",
    occurred_at: dt.datetime | None = None,
    answers: dict[str, Any] | None = None,
    qualify_anyway: bool = False,
) -> StageChange:
    """Move a partner in the pipeline and record the move. Retired needs a failure reason.

    A move to qualified records the ``answers`` to the qualification questions on the profile
    (partners/qualification.py) and is refused while one names a failure reason, unless
    ``qualify_anyway``."""
    ensure_can_write(by)
    if stage not in Stage.values:
        raise ValidationError({"stage": UNKNOWN_STAGE})
    if reason and reason not in FailureReason.values:
        raise ValidationError({"reason": UNKNOWN_REASON})
    if stage == Stage.RETIRED and not reason:
        raise ValidationError({"reason": RETIRED_NEEDS_REASON})
    # Lock the row: two advisors moving the same card at once must not lose a move.
    locked = Partner.objects.select_for_update().get(pk=partner.pk)
    if locked.archived_at is not None:
        raise ValidationError(ARCHIVED_PARTNER)
    if locked.stage == stage:
        raise ValidationError({"stage": SAME_STAGE})
    when = happened_at(occurred_at)
    if when < locked.stage_changed_at:
        raise ValidationError({"occurred_at": STAGE_BEFORE_LAST})
    answered = _qualification_recorded(locked, stage, answers or {}, anyway=qualify_anyway)
    change = StageChange(
        partner=locked,
        from_stage=locked.stage,
        to_stage=stage,
        reason=reason if stage == Stage.RETIRED else "",
        note=note.strip(),
        occurred_at=when,
        by=by,
    )
    change.full_clean(exclude=["partner", "by"])
    # The stay in the stage left ends now: the move into it is the partner's only open one.
    StageChange.objects.filter(partner_id=locked.pk, left_at__isnull=True).update(left_at=when)
    attribute(change, by).save()
    record_move(locked, stage, when)
    locked.stage = stage
    locked.stage_changed_at = when
    moved = ["stage", "stage_changed_at", *MOVE_FIELDS]
    attribute(locked, by).save(update_fields=[*moved, "updated_at", *answered])
    for field in [*moved, *answered]:
        setattr(partner, field, getattr(locked, field))
    events.partner_stage_changed(locked, change)
    return change


def _qualification_recorded(
    partner: Partner, stage: str, answers: dict[str, Any], *, anyway: bool
) -> list[str]:
    """Put a move to qualified's answers on the (locked) partner and hold the move while one
    names a failure reason; the fields answered, to save with the move."""
    if stage != Stage.QUALIFIED:
        return []
    for field, value in answers.items():
        if field not in qualification.FIELDS:
            raise ValidationError(
                {"answers": NOT_A_QUESTION.format(fields=", ".join(qualification.FIELDS))}
            )
        setattr(partner, field, value)
    partner.clean_fields(exclude=[f.name for f in Partner._meta.fields if f.name not in answers])
    failed = qualification.failures(partner)
    if failed and not anyway:
        raise ValidationError(
            {
                "qualify_anyway": QUALIFY_FAILS.format(
                    partner=partner.name, failures="; ".join(q.failure for q in failed)
                )
            }
        )
    return list(answers)


def partner_archive(*, partner: Partner, by: User) -> Partner:
    """Archive, never delete: the record stays for the firm's books."""
    return record_archive_set(record=partner, by=by, archived=True)


def partner_restore(*, partner: Partner, by: User) -> Partner:
    return record_archive_set(record=partner, by=by, archived=False)


# What the stage moves leave on the partner's row (see ``Partner.first_met_at``).
MOVE_FIELDS = ("first_met_at", "furthest_stage")


def record_move(partner: Partner, stage: str, moment: dt.datetime) -> dict[str, Any]:
    """Set the partner's ``MOVE_FIELDS`` (not saved) for a move into ``stage`` at ``moment``,
    and return them. The earliest met move, not the first recorded: a merge brings in moves of
    their own times."""
    met = partner.first_met_at
    if stage in MET_STAGES and (met is None or moment < met):
        met = moment
    partner.first_met_at = met
    partner.furthest_stage = further_stage(partner.furthest_stage, stage)
    return {field: getattr(partner, field) for field in MOVE_FIELDS}


def refresh_move_stats(partners: QuerySet[Partner]) -> None:
    """Recompute the first meeting and furthest stage of ``partners`` from their recorded moves,
    after moves change hands (a merge)."""
    moves = StageChange.objects.filter(partner_id=OuterRef("pk")).order_by()
    furthest = (
        moves.filter(to_stage__in=PIPELINE_STAGES)
        .annotate(rank=stage_rank("to_stage"))
        .order_by("-rank")
        .values("to_stage")[:1]
    )
    met = moves.filter(to_stage__in=MET_STAGES).values("partner_id").annotate(m=Min("occurred_at"))
    partners.update(
        first_met_at=Subquery(met.values("m")),
        furthest_stage=Coalesce(Subquery(furthest), Value("")),
    )


def refresh_stays(partner_ids: Iterable[int]) -> None:
    """Recompute when each move of the partners was left (``StageChange.left_at``): the moment
    of the partner's next move, by time then id. After moves are added out of turn (an
    import's, a merge's)."""
    later = StageChange.objects.filter(partner_id=OuterRef("partner_id")).filter(
        Q(occurred_at__gt=OuterRef("occurred_at"))
        | Q(occurred_at=OuterRef("occurred_at"), pk__gt=OuterRef("pk"))
    )
    StageChange.objects.filter(partner_id__in=list(partner_ids)).update(
        left_at=Subquery(later.order_by("occurred_at", "pk").values("occurred_at")[:1])
    )


def touch_stats() -> dict[str, Any]:
    """The partner's touch count and last touches (``LAST_TOUCH_KINDS``), from its live
    touches: the values of an update of partners."""
    live = Touch.objects.live().filter(partner_id=OuterRef("pk")).order_by().values("partner_id")
    stats: dict[str, Any] = {
        "touch_count": Coalesce(Subquery(live.annotate(n=Count("pk")).values("n")), 0)
    }
    for column, kinds in LAST_TOUCH_KINDS.items():
        touches = live if kinds is None else live.filter(kind__in=kinds)
        stats[column] = Subquery(touches.annotate(m=Max("occurred_at")).values("m"))
    return stats


def _refresh_touch_stats(partner_id: int) -> None:
    """Recompute the partner's touch count and last touches from the touches themselves."""
    Partner.objects.filter(pk=partner_id).update(
        # The partner's own fields change, so does its version (its ETag, ?updated_since=);
        # a value, not Now(): SQLite compares the text it stores, which must be Django's.
        updated_at=timezone.now(),
        **touch_stats(),
    )


def _lock_partner(partner_id: int) -> Partner:
    """Serialise the writers of one partner's commitments, so that the next step kept on its
    row is recounted from what the others committed."""
    return Partner.objects.select_for_update().only("pk", "archived_at").get(pk=partner_id)


def _refresh_next_step_due(partner_id: int) -> None:
    """Recompute the due day of the partner's next step from its open commitments. The
    partner's version moves on too: its answers carry the next step (its ETag, ?updated_since=);
    a value, not Now(), as for the touches."""
    earliest = Commitment.objects.filter(
        partner_id=OuterRef("pk"), status=CommitmentStatus.OPEN
    ).order_by("due")
    Partner.objects.filter(pk=partner_id).update(
        updated_at=timezone.now(), next_step_due=Subquery(earliest.values("due")[:1])
    )


@transaction.atomic
def touch_log(
    *,
    partner: Partner,
    by: User,
    kind: str,
    summary: str,
    occurred_at: dt.datetime | None = None,
) -> Touch:
    """Log a contact with a partner; it counts as a conversation."""
    ensure_can_write(by)
    # Serialise writers per partner so the derived counts stay exact under concurrency.
    locked = Partner.objects.select_for_update().only("pk", "archived_at").get(pk=partner.pk)
    if locked.archived_at is not None:
        raise ValidationError(ARCHIVED_PARTNER)
    if kind not in TouchKind.values:
        raise ValidationError({"kind": UNKNOWN_TOUCH_KIND})
    touch = Touch(
        partner_id=partner.pk,
        kind=kind,
        summary=(summary or "").strip(),
        occurred_at=happened_at(occurred_at),
        by=by,
    )
    touch.full_clean(exclude=["partner", "by"])
    attribute(touch, by).save()
    _refresh_touch_stats(partner.pk)
    events.touch_logged(partner, touch)
    return touch


@transaction.atomic
def touch_archive(*, touch: Touch, by: User) -> Touch:
    ensure_can_write(by)
    Partner.objects.select_for_update().only("pk").get(pk=touch.partner_id)
    if touch.archived_at is None:
        touch.archived_at = timezone.now()
        attribute(touch, by).save(update_fields=["archived_at", "updated_at"])
        _refresh_touch_stats(touch.partner_id)
    return touch


@transaction.atomic
def commitment_create(
    *, partner: Partner, by: User, what: str, owner: str, due: dt.date
) -> Commitment:
    ensure_can_write(by)
    if _lock_partner(partner.pk).archived_at is not None:
        raise ValidationError(ARCHIVED_PARTNER)
    commitment = Commitment(
        partner_id=partner.pk,
        what=(what or "").strip(),
        owner=owner,
        due=planned_on(due, "due"),
        by=by,
    )
    commitment.full_clean(exclude=["partner", "by", "touch"])
    attribute(commitment, by).save()
    _refresh_next_step_due(partner.pk)
    return commitment


@transaction.atomic
def commitment_update(
    *,
    commitment: Commitment,
    by: User,
    what: str | None = None,
    owner: str | None = None,
    due: dt.date | None = None,
    status: str | None = None,
    touch_kind: str | None = None,
    touch_summary: str = "",
    occurred_at: dt.datetime | None = None,
) -> Commitment:
    """Edit a commitment, or close it (done or dropped). Completing it can log a touch at once."""
    ensure_can_write(by)
    # The partner first, as every writer of its commitments and touches locks it.
    _lock_partner(commitment.partner_id)
    locked = lock(commitment)
    if status is not None and status not in CommitmentStatus.values:
        raise ValidationError({"status": UNKNOWN_STATUS})
    model_update(locked, what=what, owner=owner, due=due and planned_on(due, "due"))
    was = locked.status
    if status is not None and status != locked.status:
        if status == CommitmentStatus.OPEN:
            locked.completed_at = None
        else:
            locked.completed_at = happened_at(occurred_at)
        locked.status = status
    locked.full_clean(exclude=["partner", "by", "touch"])
    if touch_kind:
        if locked.status != CommitmentStatus.DONE:
            raise ValidationError({"touch_kind": "Only a completed commitment logs a touch."})
        # The touch goes with the completion, once: closing it again logs nothing more.
        if was != CommitmentStatus.OPEN:
            raise Conflict({"status": COMMITMENT_NOT_OPEN})
        partner = Partner.objects.get(pk=locked.partner_id)
        locked.touch = touch_log(
            partner=partner,
            by=by,
            kind=touch_kind,
            summary=touch_summary or f"Done: {locked.what}",
            occurred_at=locked.completed_at,
        )
    attribute(locked, by).save()
    _refresh_next_step_due(locked.partner_id)
    return locked


@transaction.atomic
def commitment_complete(
    *,
    commitment: Commitment,
    by: User,
    touch_kind: str | None = None,
    touch_summary: str = "",
    occurred_at: dt.datetime | None = None,
) -> Commitment:
    """Complete an open commitment, once: one already done or dropped is refused, so however
    many times it is asked (two clicks, parallel requests) at most one touch is logged."""
    ensure_can_write(by)
    _lock_partner(commitment.partner_id)
    if lock(commitment).status != CommitmentStatus.OPEN:
        raise Conflict({"status": COMMITMENT_NOT_OPEN})
    return commitment_update(
        commitment=commitment,
        by=by,
        status=CommitmentStatus.DONE,
        touch_kind=touch_kind,
        touch_summary=touch_summary,
        occurred_at=occurred_at,
    )
