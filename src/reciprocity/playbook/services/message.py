"""Writes of the advisor's message, their digest preference, and the message checks."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import User
from reciprocity.dates import happened_at
from reciprocity.partners.models import CanDescribeValue, Partner
from reciprocity.partners.services import partner_update
from reciprocity.playbook.models import AdvisorProfile, MessageCheck
from reciprocity.playbook.services.common import checked_choice, ensure_partner_writable

MESSAGE_REQUIRED = "Write both halves of your message: whom you help, and what is unique about you."
MESSAGE_TOO_LONG = "Keep each half under 300 characters: a partner has to be able to repeat it."
UNKNOWN_CHECK_RESULT = "Say whether they could say it back: yes or no."
MESSAGE_MAX_CHARS = 300


def _profile_for_update(user: User) -> AdvisorProfile:
    profile, _ = AdvisorProfile.objects.select_for_update().get_or_create(user=user)
    return profile


@transaction.atomic
def advisor_message_set(
    *, by: User, whom_i_help: str, what_is_unique: str, weekly_digest: bool | None = None
) -> AdvisorProfile:
    """Write the message every partner should be able to say back; with ``weekly_digest``, the
    digest preference too, in the same transaction."""
    whom, unique = (whom_i_help or "").strip(), (what_is_unique or "").strip()
    errors = {}
    for field, value in (("whom_i_help", whom), ("what_is_unique", unique)):
        if not value:
            errors[field] = MESSAGE_REQUIRED
        elif len(value) > MESSAGE_MAX_CHARS:
            errors[field] = MESSAGE_TOO_LONG
    if errors:
        raise ValidationError(errors)
    profile = _profile_for_update(by)
    profile.whom_i_help, profile.what_is_unique = whom, unique
    attribute(profile, by).save()
    if weekly_digest is not None:
        profile = advisor_digest_set(by=by, weekly_digest=weekly_digest)
    return profile


@transaction.atomic
def advisor_digest_set(*, by: User, weekly_digest: bool) -> AdvisorProfile:
    profile = _profile_for_update(by)
    profile.weekly_digest = bool(weekly_digest)
    attribute(profile, by).save()
    return profile


@transaction.atomic
def message_check_record(
    *,
    partner: Partner,
    by: User,
    result: str,
    heard: str = "",
    occurred_at: dt.datetime | None = None,
) -> MessageCheck:
    """Record whether the partner could say the message back; their profile follows."""
    ensure_partner_writable(partner, by)
    checked_choice(
        result, [CanDescribeValue.YES, CanDescribeValue.NO], UNKNOWN_CHECK_RESULT, "result"
    )
    check = MessageCheck(
        partner_id=partner.pk,
        result=result,
        heard=(heard or "").strip(),
        checked_at=happened_at(occurred_at),
        by=by,
    )
    attribute(check, by).save()
    if partner.can_describe_value != result:
        partner_update(partner=partner, by=by, can_describe_value=result)
    return check
