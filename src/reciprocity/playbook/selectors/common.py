"""Small reads every part of the playbook's selectors shares."""

from typing import Any

from django.db.models import QuerySet

from reciprocity.accounts.models import User
from reciprocity.ids import record_id_or_404
from reciprocity.partners.models import Partner
from reciprocity.partners.selectors import partners_visible_to


def pk_or_404(pk: Any, message: str) -> int:
    # Bounded like every record id: a larger number would overflow the database's integers.
    return record_id_or_404(pk, not_found=message)


def visible_partners(advisor: User) -> QuerySet[Partner]:
    """The partners whose playbook records the advisor may read, archived partners included."""
    return partners_visible_to(advisor=advisor, include_archived=True)
