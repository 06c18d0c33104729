"""Small helpers the playbook's API operations share."""

from typing import Any

from ninja import Schema

from reciprocity.accounts.models import User
from reciprocity.partners.models import Partner
from reciprocity.partners.selectors import partner_get_for


def partner_or_404(user: User, pk: int) -> Partner:
    return partner_get_for(advisor=user, pk=pk)


def changes_of(payload: Schema, *, clearable: tuple[str, ...]) -> dict[str, Any]:
    """The fields sent; null blanks a field that may be empty and leaves the others be."""
    return {
        field: "" if value is None else value
        for field, value in payload.model_dump(exclude_unset=True).items()
        if value is not None or field in clearable
    }
