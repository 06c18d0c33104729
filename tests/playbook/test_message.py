"""The advisor's message: whom they help, what is unique, and whether each partner can say it."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from reciprocity.partners.selectors import partner_get_for
from reciprocity.playbook.models import AdvisorProfile, MeetingKind, MessageCheck, Strategy
from reciprocity.playbook.selectors.brief import partner_brief
from reciprocity.playbook.selectors.message import advisor_profile_of, message_checks_of
from reciprocity.playbook.services.meetings import meeting_schedule
from reciprocity.playbook.services.message import (
    MESSAGE_REQUIRED,
    MESSAGE_TOO_LONG,
    UNKNOWN_CHECK_RESULT,
    advisor_digest_set,
    advisor_message_set,
    message_check_record,
)
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

WHOM = "Families who own a business and want to hand it on"
UNIQUE = "We plan the handover, the taxes and the parents' retirement as one"


def test_an_advisor_writes_their_message(playbook_cast: Cast) -> None:
    assert advisor_profile_of(advisor=playbook_cast.alice) is None

    advisor_message_set(by=playbook_cast.alice, whom_i_help=f" {WHOM} ", what_is_unique=UNIQUE)

    profile = advisor_profile_of(advisor=playbook_cast.alice)
    assert profile is not None
    assert (profile.whom_i_help, profile.what_is_unique) == (WHOM, UNIQUE)
    assert profile.has_message
    assert profile.weekly_digest is True


@pytest.mark.parametrize(
    ("whom", "unique", "errors"),
    [
        ("", UNIQUE, {"whom_i_help": [MESSAGE_REQUIRED]}),
        (WHOM, "  ", {"what_is_unique": [MESSAGE_REQUIRED]}),
        ("x" * 301, UNIQUE, {"whom_i_help": [MESSAGE_TOO_LONG]}),
    ],
)
def test_a_message_needs_both_halves_short_enough_to_repeat(
    playbook_cast: Cast, whom: str, unique: str, errors: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        advisor_message_set(by=playbook_cast.alice, whom_i_help=whom, what_is_unique=unique)
    assert excinfo.value.message_dict == errors
    assert not AdvisorProfile.objects.exists()


def test_each_partner_records_whether_they_can_say_it_back(playbook_cast: Cast) -> None:
    partner = playbook_cast.alice_shared
    message_check_record(
        partner=partner,
        by=playbook_cast.bob,
        result="no",
        heard="Something about investments?",
        occurred_at=timezone.now() - dt.timedelta(days=40),
    )
    message_check_record(partner=partner, by=playbook_cast.alice, result="yes")

    partner.refresh_from_db()
    assert partner.can_describe_value == "yes"
    assert [(c.result, c.by) for c in message_checks_of(partner=partner)] == [
        ("yes", playbook_cast.alice),
        ("no", playbook_cast.bob),
    ]
    with pytest.raises(ValidationError) as excinfo:
        message_check_record(partner=partner, by=playbook_cast.alice, result="maybe")
    assert excinfo.value.message_dict == {"result": [UNKNOWN_CHECK_RESULT]}
    with pytest.raises(PermissionDenied):
        message_check_record(partner=partner, by=playbook_cast.cole, result="yes")
    assert MessageCheck.objects.count() == 2


def test_the_partner_page_shows_the_owners_message_before_the_next_meeting(
    playbook_cast: Cast,
) -> None:
    partner = playbook_cast.alice_shared
    advisor_message_set(by=playbook_cast.alice, whom_i_help=WHOM, what_is_unique=UNIQUE)
    message_check_record(partner=partner, by=playbook_cast.alice, result="no")
    meeting = meeting_schedule(
        partner=partner,
        by=playbook_cast.bob,
        kind=MeetingKind.DUE_DILIGENCE,
        scheduled_for=timezone.now() + dt.timedelta(days=1),
    )

    brief = partner_brief(partner=partner_get_for(advisor=playbook_cast.bob, pk=partner.pk))

    assert brief.message is not None
    assert (brief.message.whom_i_help, brief.message.what_is_unique) == (WHOM, UNIQUE)
    assert brief.can_describe_value == "no"
    assert brief.last_check is not None
    assert brief.last_check.result == "no"
    assert brief.next_meeting == meeting
    assert brief.plan is not None
    assert brief.plan.kind == MeetingKind.DUE_DILIGENCE
    assert brief.strategy_label == Strategy.CLIENT_REQUESTED.label
    assert brief.agreement is None


def test_a_brief_without_a_message_says_so(playbook_cast: Cast) -> None:
    brief = partner_brief(partner=playbook_cast.alice_private)

    assert brief.message_missing
    assert brief.next_meeting is None
    assert brief.plan is not None
    assert brief.plan.kind == MeetingKind.FIRST


def test_an_advisor_turns_the_digest_off(playbook_cast: Cast) -> None:
    advisor_digest_set(by=playbook_cast.alice, weekly_digest=False)

    profile = advisor_profile_of(advisor=playbook_cast.alice)
    assert profile is not None
    assert profile.weekly_digest is False
    assert not profile.has_message
