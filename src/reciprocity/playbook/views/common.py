"""Small helpers the playbook's web pages share."""

from typing import Any

from django.core.exceptions import ValidationError

from reciprocity.accounts.models import Role
from reciprocity.partners import selectors as partner_selectors
from reciprocity.web.forms import add_service_errors
from reciprocity.web.http import AuthedRequest


def partner_or_404(request: AuthedRequest, pk: int) -> Any:
    return partner_selectors.partner_get_for(advisor=request.user, pk=pk)


def attempt_write(request: AuthedRequest, form: Any, write: Any) -> bool:
    """Run a write with a valid form's data; a refusal lands on the form. True when saved."""
    if not form.is_valid():
        return False
    try:
        write(form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    return True


def create_from_form(request: AuthedRequest, form: Any, create: Any) -> Any:
    """Like ``attempt_write`` for a write that creates: the record, or None when refused."""
    created: list[Any] = []
    if attempt_write(request, form, lambda data: created.append(create(data))):
        return created[0]
    return None


def can_write_partner(request: AuthedRequest, partner: Any) -> bool:
    return not request.user.is_read_only and partner.archived_at is None


def is_firm_admin(request: AuthedRequest) -> bool:
    return request.user.role == Role.FIRM_ADMIN
