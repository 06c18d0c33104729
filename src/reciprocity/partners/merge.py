"""Merging two partners who are one person: what hangs off the one merged away moves to the one
kept, which also takes the profile fields it lacks and the other's tags; the other is archived
with a pointer to the kept one. Both partners' histories record it.

Each app moves its own records: it registers one ``MergeMove`` per kind of record in its
``AppConfig.ready`` (the partners app its touches, commitments and stage history; the referrals
app its referrals; the playbook its meetings, agreements, cases, opportunities…), so this module,
low in the stack, knows none of them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import User
from reciprocity.accounts.services import ensure_can_write
from reciprocity.partners.models import Commitment, Partner, StageChange, Touch
from reciprocity.partners.services import (
    PROFILE_FIELDS,
    _refresh_next_step_due,
    _refresh_touch_stats,
    refresh_move_stats,
    refresh_stays,
)

MERGE_SELF = "Choose another partner: a partner cannot be merged with itself."
MERGE_ARCHIVED = "An archived partner cannot be merged; restore it first."
MERGE_OTHER_FIRM = "Both partners must belong to your firm."
MERGE_NOT_ALLOWED = "Only a firm admin, or the advisor who owns both partners, can merge them."
# simple-history keeps a change reason of at most this many characters.
REASON_LENGTH = 100


class MergeMove:
    """One kind of record a partner owns. ``move`` re-points the rows of ``other`` at ``keep``,
    each saved with the acting user so its history says who moved it; it returns how many.
    Subclasses say what must stay behind (``rows``) or what else a move takes (``move``).

    ``lock_rank``: the writers of this kind lock a row before its partner (a referral's steps
    lock the referral, then the partner to log a touch): a merge then locks the other
    partner's rows of this kind before both partners, as those writers do, so that the two
    never wait on each other in a circle. Kinds with a rank are locked lowest first, in the
    order their writers take them (an opportunity before the referral it is linked to). None:
    the writers lock the partner first, and so does the merge."""

    def __init__(
        self,
        model: type[models.Model],
        label: str,
        partner_field: str = "partner",
        *,
        lock_rank: int | None = None,
    ):
        self.model = model
        self.label = label  # plural, for the summary: "touches"
        self.partner_field = partner_field
        self.lock_rank = lock_rank
        # A moved row has changed: its version moves on with it where it keeps one.
        names = {field.name for field in model._meta.get_fields()}
        self.stamps = ["updated_at"] if "updated_at" in names else []

    def rows(self, *, keep: Partner, other: Partner) -> models.QuerySet[Any]:
        return self.model._default_manager.filter(**{self.partner_field: other}).order_by("pk")

    def lock_ahead(self, partner_id: int) -> None:
        """Lock the partner's rows of this kind, in id order, before the partner is locked."""
        rows = self.model._default_manager.filter(**{f"{self.partner_field}_id": partner_id})
        list(rows.order_by("pk").select_for_update().values_list("pk", flat=True))

    def move(self, *, keep: Partner, other: Partner, by: User) -> int:
        moved = 0
        for row in self.rows(keep=keep, other=other).select_for_update():
            setattr(row, self.partner_field, keep)
            attribute(row, by).save(update_fields=[self.partner_field, *self.stamps])
            moved += 1
        return moved


_MOVES: dict[str, MergeMove] = {}


def register(move: MergeMove) -> None:
    """Add a kind of record to what a merge moves (once per model; registering again replaces)."""
    _MOVES[move.model._meta.label] = move


def merge_moves() -> list[MergeMove]:
    return list(_MOVES.values())


def own_moves() -> list[MergeMove]:
    """The partners app's own records: touches, commitments and the stage history."""
    return [
        MergeMove(Touch, "touches"),
        MergeMove(Commitment, "commitments"),
        MergeMove(StageChange, "stage changes"),
    ]


@dataclass(frozen=True)
class MergeResult:
    keep: Partner
    other: Partner
    moved: dict[str, int]

    @property
    def summary(self) -> str:
        parts = [f"{count} {label}" for label, count in self.moved.items() if count]
        return ", ".join(parts) or "nothing to move"


def _check_may_merge(user: User, keep: Partner, other: Partner) -> None:
    if keep.pk == other.pk:
        raise ValidationError({"other": MERGE_SELF})
    if keep.firm_id != user.firm_id or other.firm_id != user.firm_id:
        raise ValidationError({"other": MERGE_OTHER_FIRM})
    if keep.archived_at is not None or other.archived_at is not None:
        raise ValidationError({"other": MERGE_ARCHIVED})
    owns_both = keep.owner_id == user.pk and other.owner_id == user.pk
    if not (user.manages_firm or owns_both):
        raise PermissionDenied(MERGE_NOT_ALLOWED)


def _fill_profile(keep: Partner, other: Partner) -> list[str]:
    """The kept partner takes the other's value of every profile field it has none of."""
    filled = []
    for name in PROFILE_FIELDS:
        mine, theirs = getattr(keep, name), getattr(other, name)
        empty = mine in (None, "") or (name == "can_describe_value" and mine == "unknown")
        if empty and theirs not in (None, "", "unknown"):
            setattr(keep, name, theirs)
            filled.append(name)
    return filled


def _reason(text: str) -> str:
    return text if len(text) <= REASON_LENGTH else text[: REASON_LENGTH - 1] + "…"


@transaction.atomic
def partner_merge(*, user: User, keep: Partner, other: Partner) -> MergeResult:
    """Merge ``other`` into ``keep`` (see the module's docs). Both rows are locked first, in id
    order, so two merges of the same pair take turns; before them, the other's rows of the
    kinds whose writers lock a row before its partner (``MergeMove.lock_rank``)."""
    ensure_can_write(user)
    ranked = [move for move in merge_moves() if move.lock_rank is not None]
    for move in sorted(ranked, key=lambda move: move.lock_rank or 0):
        move.lock_ahead(other.pk)
    first, second = sorted((keep.pk, other.pk))
    locked = {p.pk: p for p in Partner.objects.select_for_update().filter(pk__in=[first, second])}
    keep, other = locked.get(keep.pk, keep), locked.get(other.pk, other)
    _check_may_merge(user, keep, other)
    moved = {move.label: move.move(keep=keep, other=other, by=user) for move in merge_moves()}
    tags: Iterable[Any] = {*keep.tags.all(), *other.tags.all()}
    keep.tags.set(tags)
    _fill_profile(keep, other)
    result = MergeResult(keep=keep, other=other, moved=moved)
    keep._change_reason = _reason(  # type: ignore[attr-defined]
        f"Merged with {other.name} (#{other.pk}): {result.summary}"
    )
    attribute(keep, user).save()
    _refresh_touch_stats(keep.pk)
    _refresh_next_step_due(keep.pk)
    other.merged_into = keep
    other.archived_at = timezone.now()
    other._change_reason = _reason(f"Merged into {keep.name} (#{keep.pk})")  # type: ignore[attr-defined]
    attribute(other, user).save(update_fields=["merged_into", "archived_at", "updated_at"])
    _refresh_touch_stats(other.pk)
    _refresh_next_step_due(other.pk)
    refresh_move_stats(Partner.objects.filter(pk__in=[keep.pk, other.pk]))
    refresh_stays([keep.pk])
    keep.refresh_from_db()
    return result
