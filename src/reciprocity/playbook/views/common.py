"""Small helpers the playbook's web pages share."""

from typing import Any

from reciprocity.accounts.models import Role
from reciprocity.partners import selectors as partner_selectors
from reciprocity.web.http import AuthedRequest


def partner_or_404(request: AuthedRequest, pk: int) -> Any:
    return partner_selectors.partner_get_for(advisor=request.user, pk=pk)


def can_write_partner(request: AuthedRequest, partner: Any) -> bool:
    return not request.user.is_read_only and partner.archived_at is None


def is_firm_admin(request: AuthedRequest) -> bool:
    return request.user.role == Role.FIRM_ADMIN
