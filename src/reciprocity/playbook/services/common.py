"""Small helpers every write of the playbook shares."""

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone
from simple_history.utils import get_history_manager_for_model

from reciprocity.accounts.audit import current_source, history_rows_created
from reciprocity.accounts.models import Role, User
from reciprocity.accounts.services import ensure_can_write
from reciprocity.partners.models import Partner
from reciprocity.partners.services import ARCHIVED_PARTNER

FIRM_ADMIN_ONLY = "Only a firm admin can change the firm's playbook."


def local_today() -> dt.date:
    return timezone.localdate()


def ensure_partner_writable(partner: Partner, by: User) -> None:
    ensure_can_write(by)
    if partner.archived_at is not None:
        raise ValidationError(ARCHIVED_PARTNER)


def ensure_admin_of_firm(by: User, firm_id: int | None) -> int:
    """Firm templates are edited by the firm's admins; another firm's rows do not exist.
    Returns the firm's id."""
    if firm_id is None or by.firm_id != firm_id:
        raise Http404
    if by.role != Role.FIRM_ADMIN:
        raise PermissionDenied(FIRM_ADMIN_ONLY)
    return firm_id


def checked_choice(value: str, allowed: Sequence[str], message: str, field: str) -> str:
    if value not in allowed:
        raise ValidationError({field: message})
    return value


def bulk_create_attributed[M: models.Model](
    objs: list[M], model: type[M], by: User | None
) -> list[M]:
    """Insert many rows at once, with their history rows attributed like single saves."""
    with transaction.atomic():
        created = model._default_manager.bulk_create(objs)
        rows = get_history_manager_for_model(model).bulk_history_create(
            created, default_user=by, custom_historical_attrs={"history_source": current_source()}
        )
        history_rows_created.send(sender=model, model=model, history_ids=[row.pk for row in rows])
    return created
