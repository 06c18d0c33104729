"""Every write of partner data: one transaction each, attributed to the advisor who acts."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import Team, User
from reciprocity.accounts.selectors import advisors_of_firm, teams_of
from reciprocity.accounts.services import ensure_can_write
from reciprocity.choices import unknown_choice_message
from reciprocity.partners.models import (
    Commitment,
    CommitmentStatus,
    FailureReason,
    Partner,
    Stage,
    StageChange,
    Tag,
    Touch,
    TouchKind,
)
from reciprocity.records import archived_set, lock, model_update

# User-facing messages; tests reuse them.
RETIRED_NEEDS_REASON = (
    "Say why you are walking away: wrong professional, wrong message, wrong firm or other."
)
UNKNOWN_STAGE = unknown_choice_message("stage", Stage)
UNKNOWN_REASON = unknown_choice_message("reason", FailureReason)
SAME_STAGE = "The partner is already in that stage."
STAGE_BEFORE_LAST = "A stage change cannot be dated before the partner's last stage change."
IN_THE_FUTURE = "That date is in the future; record things that have happened."
OWNER_NOT_IN_FIRM = "The owner must be an advisor of your firm."
TEAM_NOT_YOURS = "Share only with a team the owner belongs to."
COMMITMENT_NOT_OPEN = "Only an open commitment can be completed or dropped."
UNKNOWN_STATUS = unknown_choice_message("status", CommitmentStatus)
UNKNOWN_TOUCH_KIND = unknown_choice_message("kind", TouchKind)
NO_FIRM = "Your account belongs to no firm; ask an administrator to add you to one."
ARCHIVED_PARTNER = "This partner is archived; restore it before changing it."

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


def _not_in_future(when: dt.datetime | None, field: str = "occurred_at") -> dt.datetime:
    now = timezone.now()
    if when is None:
        return now
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    # A minute of slack for clocks of API clients.
    if when > now + dt.timedelta(minutes=1):
        raise ValidationError({field: IN_THE_FUTURE})
    return when


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


def _clean_owner_and_team(
    *, by: User, owner: User | None, team: Team | None
) -> tuple[User, Team | None]:
    owner = owner or by
    if owner.firm_id != by.firm_id or not owner.is_active:
        raise ValidationError({"owner": OWNER_NOT_IN_FIRM})
    if owner != by and not by.sees_whole_firm:
        raise ValidationError({"owner": OWNER_NOT_IN_FIRM})
    if team is not None and (
        team.firm_id != by.firm_id or not team.members.filter(pk=owner.pk).exists()
    ):
        raise ValidationError({"team": TEAM_NOT_YOURS})
    return owner, team


def _set_tags(partner: Partner, tags: Iterable[str]) -> None:
    names = sorted({name.strip()[:50] for name in tags if name and name.strip()})
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
    tags: Iterable[str] = (),
    **profile: Any,
) -> Partner:
    """Add a partner; its first stage is recorded like every later one. The owner (by default
    ``by``) and the team may be given by their ids."""
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
    owner, team = _clean_owner_and_team(by=by, owner=chosen_owner, team=chosen_team)
    when = _not_in_future(occurred_at)
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
    partner.full_clean(exclude=["firm", "owner", "team"])
    attribute(partner, by).save()
    _set_tags(partner, tags)
    attribute(
        StageChange(partner=partner, from_stage="", to_stage=stage, occurred_at=when, by=by), by
    ).save()
    return partner


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
    given by their ids."""
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
        new_team = partner.team if team == "unchanged" else team
        assert not isinstance(new_team, str)
        partner.owner, partner.team = _clean_owner_and_team(
            by=by, owner=owner or partner.owner, team=new_team
        )
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
) -> StageChange:
    """Move a partner in the pipeline and record the move. Retired needs a failure reason."""
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
    when = _not_in_future(occurred_at)
    if when < locked.stage_changed_at:
        raise ValidationError({"occurred_at": STAGE_BEFORE_LAST})
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
    attribute(change, by).save()
    locked.stage = stage
    locked.stage_changed_at = when
    attribute(locked, by).save(update_fields=["stage", "stage_changed_at", "updated_at"])
    partner.stage, partner.stage_changed_at = locked.stage, locked.stage_changed_at
    return change


@transaction.atomic
def partner_archive(*, partner: Partner, by: User) -> Partner:
    """Archive, never delete: the record stays for the firm's books."""
    ensure_can_write(by)
    locked = lock(partner)
    if archived_set(locked, archived=True):
        attribute(locked, by).save(update_fields=["archived_at", "updated_at"])
    return locked


@transaction.atomic
def partner_restore(*, partner: Partner, by: User) -> Partner:
    ensure_can_write(by)
    locked = lock(partner)
    if archived_set(locked, archived=False):
        attribute(locked, by).save(update_fields=["archived_at", "updated_at"])
    return locked


def _refresh_touch_stats(partner_id: int) -> None:
    """Recompute the partner's touch count and last touch from the touches themselves."""
    live = Touch.objects.live().filter(partner_id=OuterRef("pk"))
    Partner.objects.filter(pk=partner_id).update(
        touch_count=Coalesce(
            Subquery(live.order_by().values("partner_id").annotate(n=Count("pk")).values("n")), 0
        ),
        last_touch_at=Subquery(
            live.order_by().values("partner_id").annotate(m=Max("occurred_at")).values("m")
        ),
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
        occurred_at=_not_in_future(occurred_at),
        by=by,
    )
    touch.full_clean(exclude=["partner", "by"])
    attribute(touch, by).save()
    _refresh_touch_stats(partner.pk)
    return touch


@transaction.atomic
def touch_archive(*, touch: Touch, by: User) -> Touch:
    ensure_can_write(by)
    Partner.objects.select_for_update().only("pk").get(pk=touch.partner_id)
    if touch.archived_at is None:
        touch.archived_at = timezone.now()
        attribute(touch, by).save(update_fields=["archived_at"])
        _refresh_touch_stats(touch.partner_id)
    return touch


@transaction.atomic
def commitment_create(
    *, partner: Partner, by: User, what: str, owner: str, due: dt.date
) -> Commitment:
    ensure_can_write(by)
    if partner.archived_at is not None:
        raise ValidationError(ARCHIVED_PARTNER)
    commitment = Commitment(
        partner_id=partner.pk,
        what=(what or "").strip(),
        owner=owner,
        due=due,
        by=by,
    )
    commitment.full_clean(exclude=["partner", "by", "touch"])
    attribute(commitment, by).save()
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
    locked = lock(commitment)
    if status is not None and status not in CommitmentStatus.values:
        raise ValidationError({"status": UNKNOWN_STATUS})
    model_update(locked, what=what, owner=owner, due=due)
    if status is not None and status != locked.status:
        if status == CommitmentStatus.OPEN:
            locked.completed_at = None
        else:
            locked.completed_at = _not_in_future(occurred_at)
        locked.status = status
    locked.full_clean(exclude=["partner", "by", "touch"])
    if touch_kind:
        if locked.status != CommitmentStatus.DONE:
            raise ValidationError({"touch_kind": "Only a completed commitment logs a touch."})
        partner = Partner.objects.get(pk=locked.partner_id)
        locked.touch = touch_log(
            partner=partner,
            by=by,
            kind=touch_kind,
            summary=touch_summary or f"Done: {locked.what}",
            occurred_at=locked.completed_at,
        )
    attribute(locked, by).save()
    return locked
