"""Bulk actions on partners chosen in the list: one class per action, each applied through the
same service as for one partner, all in one transaction: a refusal for one partner changes none.

History is the single services' own: every partner changed gets its historical record,
attributed to the advisor who acted.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from django.core.exceptions import ValidationError
from django.db import transaction

from reciprocity.accounts.models import Team, User
from reciprocity.accounts.services import ensure_can_write
from reciprocity.partners import services
from reciprocity.partners.models import Partner, Stage

# More than a page of the list at once is more than anyone checked by eye.
BULK_LIMIT = 200
NONE_SELECTED = "Choose at least one partner."
TOO_MANY = f"Choose at most {BULK_LIMIT} partners at a time."
NOT_VISIBLE = "One of the chosen partners is not yours to change, or no longer exists."
REFUSED = "{name}: {message} Nothing was changed."
TAG_NEEDED = "Name the tag to add."


class BulkAction:
    slug: ClassVar[str]
    label: ClassVar[str]
    verb: ClassVar[str]
    # The form fields this action needs, with the message when one is missing.
    needs: ClassVar[dict[str, str]] = {}

    @classmethod
    def of(cls, data: dict[str, Any]) -> Self:
        """The action, from the bulk form's cleaned data."""
        return cls()

    def apply(self, partner: Partner, by: User) -> bool:
        """Change one partner; False when it already was as asked (left untouched)."""
        raise NotImplementedError


@dataclass(frozen=True)
class MoveStage(BulkAction):
    stage: str
    reason: str = ""
    slug = "move_stage"
    label = "Move to stage"
    verb = "moved"
    needs = {"stage": "Choose the stage to move them to."}

    @classmethod
    def of(cls, data: dict[str, Any]) -> Self:
        return cls(stage=data["stage"], reason=data.get("reason") or "")

    def apply(self, partner: Partner, by: User) -> bool:
        if partner.stage == self.stage:
            return False
        services.partner_change_stage(partner=partner, by=by, stage=self.stage, reason=self.reason)
        return True


@dataclass(frozen=True)
class Reassign(BulkAction):
    owner: User
    slug = "reassign"
    label = "Reassign to"
    verb = "reassigned"
    needs = {"owner": "Choose who takes them over."}

    @classmethod
    def of(cls, data: dict[str, Any]) -> Self:
        return cls(owner=data["owner"])

    def apply(self, partner: Partner, by: User) -> bool:
        if partner.owner_id == self.owner.pk:
            return False
        # A team the new owner is not in cannot stay: the partner leaves it with the old owner.
        keeps_team = partner.team_id is None or self.owner.teams.filter(pk=partner.team_id).exists()
        services.partner_update(
            partner=partner, by=by, owner=self.owner, team="unchanged" if keeps_team else None
        )
        return True


@dataclass(frozen=True)
class Share(BulkAction):
    team: Team | None
    slug = "share"
    label = "Share with team"
    verb = "shared"

    @classmethod
    def of(cls, data: dict[str, Any]) -> Self:
        return cls(team=data.get("team"))

    def apply(self, partner: Partner, by: User) -> bool:
        if partner.team_id == (self.team.pk if self.team else None):
            return False
        services.partner_update(partner=partner, by=by, team=self.team)
        return True


@dataclass(frozen=True)
class AddTag(BulkAction):
    tag: str
    slug = "tag"
    label = "Add tag"
    verb = "tagged"
    needs = {"tag": TAG_NEEDED}

    @classmethod
    def of(cls, data: dict[str, Any]) -> Self:
        return cls(tag=(data.get("tag") or "").strip())

    def apply(self, partner: Partner, by: User) -> bool:
        names = [tag.name for tag in partner.tags.all()]
        if self.tag.lower() in (name.lower() for name in names):
            return False
        services.partner_update(partner=partner, by=by, tags=[*names, self.tag])
        return True


@dataclass(frozen=True)
class Archive(BulkAction):
    slug = "archive"
    label = "Archive"
    verb = "archived"

    def apply(self, partner: Partner, by: User) -> bool:
        if partner.archived_at is not None:
            return False
        services.partner_archive(partner=partner, by=by)
        return True


ACTIONS: dict[str, type[BulkAction]] = {
    action.slug: action for action in (MoveStage, Reassign, Share, AddTag, Archive)
}


@transaction.atomic
def partner_bulk_apply(*, partner_ids: Iterable[int], by: User, action: BulkAction) -> int:
    """Apply ``action`` to the partners ``by`` may see with these ids; the number changed."""
    ensure_can_write(by)
    ids = set(partner_ids)
    if not ids:
        raise ValidationError(NONE_SELECTED)
    if len(ids) > BULK_LIMIT:
        raise ValidationError(TOO_MANY)
    if isinstance(action, AddTag) and not action.tag.strip():
        raise ValidationError({"tag": TAG_NEEDED})
    if isinstance(action, MoveStage) and action.stage == Stage.RETIRED and not action.reason:
        raise ValidationError({"reason": services.RETIRED_NEEDS_REASON})
    # Locked in id order, as every bulk write does, so two bulk writes cannot deadlock.
    partners = list(
        Partner.objects.visible_to(by)
        .filter(pk__in=ids)
        .select_related("owner", "team")
        .prefetch_related("tags")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    if len(partners) != len(ids):
        raise ValidationError(NOT_VISIBLE)
    changed = 0
    for partner in partners:
        try:
            changed += action.apply(partner, by)
        except ValidationError as error:
            message = " ".join(error.messages)
            raise ValidationError(REFUSED.format(name=partner.name, message=message)) from error
    return changed
