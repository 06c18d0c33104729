"""Statuses move along a lifecycle per direction and kind; every move is dated; received referrals
close the loop with a thank-you and a report back."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from reciprocity.accounts.services import READ_ONLY_ROLE
from reciprocity.dates import IN_THE_FUTURE
from reciprocity.partners.models import Commitment, CommitmentStatus, Touch, TouchKind
from reciprocity.partners.services import (
    ARCHIVED_PARTNER,
    commitment_update,
    partner_archive,
)
from reciprocity.referrals.models import (
    LIFECYCLES,
    Direction,
    Kind,
    Referral,
    ReferralStatus,
    ReferralStatusChange,
)
from reciprocity.referrals.selectors import referral_outcome, status_changes_of
from reciprocity.referrals.services.ledger import (
    ARCHIVED_REFERRAL,
    FIELD_NOT_EDITABLE,
    NEED_REQUIRED,
    NEGATIVE_VALUE,
    NOT_A_NUMBER,
    REASON_REQUIRED,
    REPORT_BACK_PROMPT,
    SAME_STATUS,
    STATUS_BEFORE_LAST,
    STATUS_NOT_IN_LIFECYCLE,
    THANK_YOU_PROMPT,
    TRANSITION_NOT_ALLOWED,
    UNKNOWN_ANSWER,
    UNKNOWN_DIRECTION,
    UNKNOWN_KIND,
    referral_archive,
    referral_change_status,
    referral_create,
    referral_restore,
    referral_update,
)
from tests.conftest import Cast
from tests.factories import ReferralFactory

DAY = dt.timedelta(days=1)


def receive(cast: Cast, **kwargs: object) -> Referral:
    fields: dict = {"need": "Retirement income plan", **kwargs}
    return referral_create(
        by=cast.alice, partner=cast.alice_private, direction=Direction.RECEIVED, **fields
    )


def test_every_lifecycle_starts_open_and_ends_closed() -> None:
    for (direction, kind), lifecycle in LIFECYCLES.items():
        assert lifecycle.initial not in lifecycle.closed, (direction, kind)
        for status in lifecycle.closed:
            assert lifecycle.allowed_from(status) == ()
        assert set(lifecycle.allowed_from(lifecycle.initial)) == set(lifecycle.statuses) - {
            lifecycle.initial
        }


def test_a_received_referral_is_walked_to_became_client_with_every_move_dated(
    cast: Cast,
) -> None:
    start = timezone.now() - 20 * DAY
    referral = receive(cast, occurred_at=start)
    referral_change_status(
        referral=referral, by=cast.alice, status="contacted", occurred_at=start + DAY
    )
    referral_change_status(
        referral=referral, by=cast.alice, status="meeting_held", occurred_at=start + 5 * DAY
    )
    referral_change_status(
        referral=referral, by=cast.alice, status="became_client", occurred_at=start + 12 * DAY
    )

    changes = list(status_changes_of(referral=referral))
    assert [(c.from_status, c.to_status) for c in changes] == [
        ("", "received"),
        ("received", "contacted"),
        ("contacted", "meeting_held"),
        ("meeting_held", "became_client"),
    ]
    assert [c.occurred_at for c in changes] == [
        start,
        start + DAY,
        start + 5 * DAY,
        start + 12 * DAY,
    ]
    outcome = referral_outcome(referral)
    assert outcome.status == ReferralStatus.BECAME_CLIENT
    assert outcome.succeeded is True
    assert outcome.closed_at == start + 12 * DAY
    assert outcome.days_open == 12


def test_an_open_referral_has_no_outcome_yet(cast: Cast) -> None:
    referral = receive(cast, occurred_at=timezone.now() - 3 * DAY)
    outcome = referral_outcome(referral)
    assert outcome.succeeded is None
    assert outcome.closed_at is None
    assert outcome.days_open == 3


def test_a_status_may_skip_forward_but_never_go_back_or_leave_a_closed_one(cast: Cast) -> None:
    referral = referral_create(
        by=cast.alice,
        partner=cast.alice_private,
        direction=Direction.SENT,
        need="Estate plan",
        consent_method="verbal",
    )
    referral_change_status(referral=referral, by=cast.alice, status="meeting_held")
    with pytest.raises(ValidationError) as error:
        referral_change_status(referral=referral, by=cast.alice, status="introduced")
    assert error.value.message_dict == {
        "status": [
            TRANSITION_NOT_ALLOWED.format(
                current="meeting_held", status="introduced", allowed="engaged, declined, lost"
            )
        ]
    }
    referral_change_status(referral=referral, by=cast.alice, status="engaged")
    assert referral.is_closed
    with pytest.raises(ValidationError) as error:
        referral_change_status(referral=referral, by=cast.alice, status="lost", reason="Moved")
    assert error.value.message_dict == {
        "status": [
            TRANSITION_NOT_ALLOWED.format(
                current="engaged", status="lost", allowed="nothing, it is closed"
            )
        ]
    }


def test_a_status_of_the_other_direction_is_refused(cast: Cast) -> None:
    referral = receive(cast)
    with pytest.raises(ValidationError) as error:
        referral_change_status(referral=referral, by=cast.alice, status="engaged")
    assert error.value.message_dict == {
        "status": [
            STATUS_NOT_IN_LIFECYCLE.format(
                direction="received",
                kind="referral",
                status="engaged",
                allowed="received, contacted, meeting_held, became_client, not_a_fit, lost",
            )
        ]
    }


def test_connections_have_the_shorter_lifecycle(cast: Cast) -> None:
    connection = referral_create(
        by=cast.alice,
        partner=cast.alice_private,
        direction=Direction.SENT,
        kind=Kind.CONNECTION,
        need="Introduction to the business owners' association",
    )
    assert connection.status == ReferralStatus.PROPOSED
    referral_change_status(referral=connection, by=cast.alice, status="introduced")
    referral_change_status(referral=connection, by=cast.alice, status="meeting_held")
    assert connection.is_closed
    assert referral_outcome(connection).succeeded is True


@pytest.mark.parametrize("status", ["not_a_fit", "lost"])
def test_a_failed_referral_needs_a_reason(cast: Cast, status: str) -> None:
    referral = receive(cast)
    with pytest.raises(ValidationError) as error:
        referral_change_status(referral=referral, by=cast.alice, status=status, reason="  ")
    assert error.value.message_dict == {"reason": [REASON_REQUIRED]}
    assert referral.status_changes.count() == 1

    referral_change_status(referral=referral, by=cast.alice, status=status, reason="Went local")
    referral.refresh_from_db()
    assert referral.outcome_reason == "Went local"
    assert referral_outcome(referral).succeeded is False


def test_status_changes_are_dated_in_order_and_never_in_the_future(cast: Cast) -> None:
    referral = receive(cast, occurred_at=timezone.now() - 10 * DAY)
    with pytest.raises(ValidationError) as error:
        referral_change_status(
            referral=referral,
            by=cast.alice,
            status="contacted",
            occurred_at=timezone.now() - 11 * DAY,
        )
    assert error.value.message_dict == {"occurred_at": [STATUS_BEFORE_LAST]}
    with pytest.raises(ValidationError) as error:
        referral_change_status(
            referral=referral, by=cast.alice, status="contacted", occurred_at=timezone.now() + DAY
        )
    assert error.value.message_dict == {"occurred_at": [IN_THE_FUTURE]}
    with pytest.raises(ValidationError) as error:
        referral_change_status(referral=referral, by=cast.alice, status="received")
    assert error.value.message_dict == {"status": [SAME_STATUS]}
    assert referral.status_changes.count() == 1


def test_a_referral_entered_after_the_fact_may_start_in_any_status_of_its_lifecycle(
    cast: Cast,
) -> None:
    when = timezone.now() - 400 * DAY
    referral = referral_create(
        by=cast.alice,
        partner=cast.alice_private,
        direction=Direction.SENT,
        need="Estate plan",
        status="declined",
        reason="Client chose a relative",
        occurred_at=when,
        estimated_value="2500.00",
    )
    assert referral.closed_at == when
    assert referral.estimated_value == Decimal("2500.00")
    assert ReferralStatusChange.objects.get(referral=referral).to_status == "declined"


def test_logging_a_received_referral_prompts_a_thank_you_and_a_report_back(cast: Cast) -> None:
    referral = receive(cast)

    assert referral.thank_you_commitment is not None
    assert referral.report_back_commitment is not None
    thank_you, report_back = referral.thank_you_commitment, referral.report_back_commitment
    partner = cast.alice_private
    assert thank_you.what == THANK_YOU_PROMPT.format(partner=partner.name, need=referral.need)
    assert report_back.what == REPORT_BACK_PROMPT.format(partner=partner.name, need=referral.need)
    assert thank_you.due < report_back.due
    assert thank_you.status == report_back.status == CommitmentStatus.OPEN

    # Completing the prompt is the thank-you touch on the partner's timeline.
    commitment_update(
        commitment=thank_you, by=cast.alice, status="done", touch_kind=TouchKind.THANK_YOU
    )
    assert Touch.objects.filter(partner=partner, kind=TouchKind.THANK_YOU).count() == 1


def test_an_old_received_referral_entered_as_history_prompts_nothing_unless_asked(
    cast: Cast,
) -> None:
    receive(cast, occurred_at=timezone.now() - 200 * DAY)
    assert not Commitment.objects.exists()
    receive(cast, occurred_at=timezone.now() - 200 * DAY, follow_up=True)
    assert Commitment.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"direction": "sideways"}, {"direction": [UNKNOWN_DIRECTION]}),
        ({"kind": "favour"}, {"kind": [UNKNOWN_KIND]}),
        ({"need": "   "}, {"need": [NEED_REQUIRED]}),
        ({"estimated_value": "-5"}, {"estimated_value": [NEGATIVE_VALUE]}),
        ({"estimated_value": "lots"}, {"estimated_value": [NOT_A_NUMBER]}),
        ({"consultation_fee": "maybe"}, {"consultation_fee": [UNKNOWN_ANSWER]}),
        ({"status": "lost"}, {"reason": [REASON_REQUIRED]}),
        ({"occurred_at": timezone.now() + 3 * DAY}, {"occurred_at": [IN_THE_FUTURE]}),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_saved(
    cast: Cast, fields: dict, errors: dict
) -> None:
    values = {"direction": Direction.SENT, "need": "Estate plan", **fields}
    with pytest.raises(ValidationError) as error:
        referral_create(by=cast.alice, partner=cast.alice_private, **values)
    assert error.value.message_dict == errors
    assert not Referral.objects.exists()
    assert not ReferralStatusChange.objects.exists()
    assert not Commitment.objects.exists()


def test_direction_and_status_are_not_edited_through_update(cast: Cast) -> None:
    referral = receive(cast)
    with pytest.raises(ValidationError) as error:
        referral_update(referral=referral, by=cast.alice, direction="sent", status="lost")
    assert error.value.message_dict == {
        "direction": [FIELD_NOT_EDITABLE],
        "status": [FIELD_NOT_EDITABLE],
    }


def test_an_archived_referral_refuses_changes_until_restored(cast: Cast) -> None:
    referral = receive(cast)
    referral_archive(referral=referral, by=cast.alice)
    with pytest.raises(ValidationError) as error:
        referral_change_status(referral=referral, by=cast.alice, status="contacted")
    assert error.value.messages == [ARCHIVED_REFERRAL]
    referral_restore(referral=referral, by=cast.alice)
    referral_change_status(referral=referral, by=cast.alice, status="contacted")
    assert referral.status == "contacted"


def test_no_referral_is_logged_on_an_archived_partner(cast: Cast) -> None:
    partner_archive(partner=cast.alice_private, by=cast.alice)
    cast.alice_private.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        receive(cast)
    assert error.value.message_dict == {"partner": [ARCHIVED_PARTNER]}


def test_a_compliance_officer_reads_but_cannot_log_or_change_referrals(cast: Cast) -> None:
    referral = receive(cast)
    with pytest.raises(PermissionDenied, match=READ_ONLY_ROLE):
        referral_create(
            by=cast.cole, partner=cast.alice_private, direction=Direction.SENT, need="X"
        )
    with pytest.raises(PermissionDenied, match=READ_ONLY_ROLE):
        referral_change_status(referral=referral, by=cast.cole, status="contacted")


def test_every_change_is_attributed_in_the_history(cast: Cast) -> None:
    referral = referral_create(
        by=cast.alice, partner=cast.alice_shared, direction=Direction.RECEIVED, need="Tax plan"
    )
    referral_update(referral=referral, by=cast.bob, notes="Prefers mornings")
    latest = referral.history.first()
    assert latest is not None
    assert latest.history_user == cast.bob
    assert latest.notes == "Prefers mornings"


def test_the_database_refuses_a_status_from_another_lifecycle(cast: Cast) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ReferralFactory(partner=cast.alice_private, direction=Direction.RECEIVED, status="engaged")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReferralFactory(partner=cast.alice_private, status="lost")  # a failure without a reason
