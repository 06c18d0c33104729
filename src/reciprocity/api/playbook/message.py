"""The advisor's message through the API, and whether each partner can say it back."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status

from reciprocity.accounts.decorators import write_required
from reciprocity.accounts.models import User
from reciprocity.api.auth import current_user
from reciprocity.api.common import ListOperations
from reciprocity.api.errors import fields_renamed, responses
from reciprocity.api.playbook.common import partner_or_404
from reciprocity.api.playbook.schemas import message as schemas
from reciprocity.api.schemas.common import RecordId
from reciprocity.playbook import models
from reciprocity.playbook.selectors.message import advisor_profile_of, message_checks_of
from reciprocity.playbook.services.message import advisor_message_set, message_check_record

partner_message_checks = Router(tags=["Message checks"])
MESSAGE_CHECKS = ListOperations(
    partner_message_checks, "/{id}/message-checks", schemas.MessageCheck
)
me = Router(tags=["Your message"])


def _message(user: User) -> dict[str, Any]:
    profile = advisor_profile_of(advisor=user)
    return {
        "whom_i_help": profile.whom_i_help if profile else "",
        "what_is_unique": profile.what_is_unique if profile else "",
        "has_message": bool(profile and profile.has_message),
        "weekly_digest": profile.weekly_digest if profile else True,
    }


@me.get(
    "/message",
    response=responses({200: schemas.AdvisorMessage}, not_found=False),
    summary="Get your message",
)
def get_my_message(request: HttpRequest) -> dict[str, Any]:
    """Whom you help and what is unique about you: what every partner should be able to say
    back. It opens every meeting brief."""
    return _message(current_user(request))


@me.put(
    "/message",
    response=responses({200: schemas.AdvisorMessage}, not_found=False),
    summary="Set your message",
)
@write_required
def set_my_message(request: HttpRequest, payload: schemas.AdvisorMessageSet) -> dict[str, Any]:
    user = current_user(request)
    advisor_message_set(
        by=user,
        whom_i_help=payload.whom_i_help,
        what_is_unique=payload.what_is_unique,
        weekly_digest=payload.weekly_digest,
    )
    return _message(user)


@MESSAGE_CHECKS.listing("List a partner's message checks")
def list_message_checks(request: HttpRequest, id: RecordId) -> QuerySet[models.MessageCheck]:
    """Each time you tested whether the partner can say your message back, newest first."""
    return message_checks_of(partner=partner_or_404(current_user(request), id))


@MESSAGE_CHECKS.adding("Record whether a partner can say your message back")
def record_message_check(
    request: HttpRequest, id: RecordId, payload: schemas.MessageCheckCreate
) -> Status[models.MessageCheck]:
    """Can they say whom you help and what is unique about you? Their profile's
    ``can_describe_value`` follows the answer."""
    user = current_user(request)
    partner = partner_or_404(user, id)
    with fields_renamed({"occurred_at": "checked_at"}):
        check = message_check_record(
            partner=partner,
            by=user,
            result=payload.result,
            heard=payload.heard,
            occurred_at=payload.checked_at,
        )
    return Status(201, message_checks_of(partner=partner).get(pk=check.pk))
