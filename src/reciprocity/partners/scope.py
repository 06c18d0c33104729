"""Which partners a read covers, said once and read two ways."""

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q

from reciprocity.partners.models import Partner, PartnerQuerySet

if TYPE_CHECKING:
    from reciprocity.accounts.models import User


@dataclass(frozen=True)
class PartnerScope:
    """The live partners ``reader`` may see, only ``owner``'s when one is named, only those of
    ``ids`` when they are given.

    Read as partners (``partners``), or as conditions on the partner a record points to
    (``among``). The second lets a read of records start from their own index (open commitments
    by due day) and check each record's partner as it goes, where a list of the scope's ids has
    the database gather the whole book first: on SQLite, a big book's 20,000 partners for each
    statement. The first suits a read driven by the partners, or one whose records are many
    more than the scope's (a firm's referral steps)."""

    reader: "User"
    owner: int | None = None
    ids: Collection[int] | None = None

    def partners(self) -> PartnerQuerySet:
        return Partner.objects.filter(self._conditions(""))

    def among(self, relation: str) -> Q:
        """The scope as conditions on the partner ``relation`` (a foreign key) points to."""
        return self._conditions(f"{relation}__")

    def _conditions(self, path: str) -> Q:
        q = PartnerQuerySet.visibility(self.reader, path) & Q(**{f"{path}archived_at": None})
        if self.owner is not None:
            q &= Q(**{f"{path}owner_id": self.owner})
        if self.ids is not None:
            q &= Q(**{f"{path}pk__in": self.ids})
        return q
