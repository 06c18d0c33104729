"""Agreements: the written outcome of the partnership meeting."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from reciprocity.partners import services as partner_services
from reciprocity.partners.models import Commitment, CommitmentStatus, Partner
from reciprocity.playbook.models import Agreement, AgreementStatus, MeetingKind
from reciprocity.playbook.selectors.agreements import (
    agreement_active_for,
    agreement_document,
    agreement_get_for,
    agreements_of,
)
from reciprocity.playbook.services.agreements import (
    AGREED_IN_FUTURE,
    AGREEMENT_NEEDS_BOTH_SIDES,
    AGREEMENT_NOT_ACTIVE,
    PROMISE_EMPTY,
    REASON_REQUIRED,
    REVIEW_NOT_AFTER_AGREEMENT,
    UNKNOWN_OWNER,
    UNKNOWN_PROCESS,
    PromiseInput,
    agreement_create,
    agreement_end,
)
from reciprocity.playbook.services.meetings import MEETING_OF_ANOTHER_PARTNER
from reciprocity.playbook.services.message import advisor_message_set
from tests.conftest import Cast
from tests.factories import MeetingFactory

pytestmark = pytest.mark.django_db


def in_days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


PROMISES = [
    PromiseInput(
        "advisor", "Send a quarterly note on tax changes for business owners", in_days(30)
    ),
    PromiseInput("advisor", "Invite them to the spring client seminar"),
    PromiseInput("partner", "Introduce clients who are selling their practice"),
]


def agree(cast: Cast, partner: Partner | None = None, **kwargs: object) -> Agreement:
    values: dict[str, object] = {
        "promises": PROMISES,
        "referral_process": "conference_call",
        "next_review": in_days(180),
    } | kwargs
    return agreement_create(
        partner=partner or cast.alice_private,
        by=cast.alice,
        **values,  # type: ignore[arg-type]
    )


def test_the_promises_of_an_agreement_become_commitments(playbook_cast: Cast) -> None:
    partner = playbook_cast.alice_private
    partner_services.partner_change_stage(partner=partner, by=playbook_cast.alice, stage="active")

    agreement = agree(playbook_cast)

    promises = list(agreement.promises.select_related("commitment"))
    assert [(p.owner, p.what, p.commitment.owner, p.commitment.due) for p in promises] == [  # type: ignore[union-attr]
        ("advisor", PROMISES[0].what, "advisor", in_days(30)),
        # Undated: halfway to the review (the only undated promise of its side).
        ("advisor", PROMISES[1].what, "advisor", in_days(90)),
        ("partner", PROMISES[2].what, "partner", in_days(90)),
    ]
    review = agreement.review_commitment
    assert review is not None
    assert (review.what, review.due) == (f"Review the agreement with {partner.name}", in_days(180))
    assert Commitment.objects.filter(partner=partner, status="open").count() == 4
    assert agreement.keep_in_touch == (
        "Touch base every 4 months; Review meeting every year; On the newsletter list"
    )
    partner.refresh_from_db()
    assert partner.preferred_referral_process == "conference_call"


def test_one_agreement_is_active_and_the_earlier_ones_stay(playbook_cast: Cast) -> None:
    first = agree(playbook_cast, keep_in_touch="Lunch twice a year")
    second = agree(playbook_cast, referral_process="email_thread")

    first.refresh_from_db()
    assert first.status == AgreementStatus.SUPERSEDED
    assert first.ended_at is not None
    assert first.review_commitment is not None
    assert first.review_commitment.status == CommitmentStatus.DROPPED
    assert agreement_active_for(partner=playbook_cast.alice_private) == second
    assert list(agreements_of(partner=playbook_cast.alice_private)) == [second, first]


def test_the_database_refuses_two_active_agreements(playbook_cast: Cast) -> None:
    first = agree(playbook_cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.create(
            partner=first.partner,
            referral_process="email_thread",
            keep_in_touch="x",
            agreed_on=first.agreed_on,
            next_review=first.next_review,
            by=playbook_cast.alice,
        )


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        (
            {"promises": PROMISES[:2]},
            {"promises": [AGREEMENT_NEEDS_BOTH_SIDES]},
        ),
        (
            {"promises": [*PROMISES, PromiseInput("partner", "  ")]},
            {"promises": [PROMISE_EMPTY]},
        ),
        (
            {"promises": [*PROMISES, PromiseInput("client", "Pay")]},
            {"promises": [UNKNOWN_OWNER]},
        ),
        ({"referral_process": "business_card"}, {"referral_process": [UNKNOWN_PROCESS]}),
        ({"next_review": in_days(0)}, {"next_review": [REVIEW_NOT_AFTER_AGREEMENT]}),
        ({"agreed_on": in_days(3)}, {"agreed_on": [AGREED_IN_FUTURE]}),
    ],
)
def test_a_bad_agreement_says_what_is_wrong_and_saves_nothing(
    playbook_cast: Cast, kwargs: dict[str, object], errors: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        agree(playbook_cast, **kwargs)

    assert excinfo.value.message_dict == errors
    assert not Agreement.objects.exists()
    assert not Commitment.objects.exists()


def test_an_agreement_records_the_partnership_meeting_it_came_from(playbook_cast: Cast) -> None:
    meeting = MeetingFactory(partner=playbook_cast.alice_private, kind=MeetingKind.PARTNERSHIP)
    assert agree(playbook_cast, meeting=meeting).meeting == meeting

    elsewhere = MeetingFactory(partner=playbook_cast.alice_shared, kind=MeetingKind.PARTNERSHIP)
    with pytest.raises(ValidationError) as excinfo:
        agree(playbook_cast, meeting=elsewhere)
    assert excinfo.value.message_dict == {"meeting": [MEETING_OF_ANOTHER_PARTNER]}


def test_ending_an_agreement_needs_a_reason_and_drops_the_review(playbook_cast: Cast) -> None:
    agreement = agree(playbook_cast)
    with pytest.raises(ValidationError) as excinfo:
        agreement_end(agreement=agreement, by=playbook_cast.alice, reason=" ")
    assert excinfo.value.message_dict == {"reason": [REASON_REQUIRED]}

    ended = agreement_end(agreement=agreement, by=playbook_cast.alice, reason="They retired")

    assert (ended.status, ended.end_reason) == (AgreementStatus.ENDED, "They retired")
    assert agreement_active_for(partner=playbook_cast.alice_private) is None
    with pytest.raises(ValidationError) as excinfo:
        agreement_end(agreement=agreement, by=playbook_cast.alice, reason="Again")
    assert excinfo.value.messages == [AGREEMENT_NOT_ACTIVE]


def test_the_agreement_reads_as_a_document(playbook_cast: Cast) -> None:
    advisor_message_set(
        by=playbook_cast.alice,
        whom_i_help="Owners of medical practices",
        what_is_unique="We plan the sale and the retirement together",
    )
    agreement = agree(playbook_cast)

    document = agreement_document(advisor=playbook_cast.alice, pk=agreement.pk)

    assert [line.what for line in document.advisor_will] == [p.what for p in PROMISES[:2]]
    assert [line.what for line in document.partner_will] == [PROMISES[2].what]
    assert document.partner_will[0].status == "Open"
    assert document.referral_process == "Conference call"
    assert document.advisor_name == playbook_cast.alice.display_name
    assert document.message is not None
    assert document.message.whom_i_help == "Owners of medical practices"


def test_agreements_are_404_to_whoever_cannot_see_the_partner(playbook_cast: Cast) -> None:
    agreement = agree(playbook_cast)

    for outsider in (playbook_cast.bob, playbook_cast.carol, playbook_cast.mallory):
        with pytest.raises(Http404):
            agreement_get_for(advisor=outsider, pk=agreement.pk)
        with pytest.raises(Http404):
            agreement_document(advisor=outsider, pk=agreement.pk)
    assert agreement_get_for(advisor=playbook_cast.cole, pk=agreement.pk) == agreement
    with pytest.raises(PermissionDenied):
        agreement_create(
            partner=playbook_cast.alice_private,
            by=playbook_cast.cole,
            promises=PROMISES,
            referral_process="email_thread",
            next_review=in_days(90),
        )


def test_an_archived_partner_takes_no_agreement(playbook_cast: Cast) -> None:
    partner_services.partner_archive(partner=playbook_cast.alice_private, by=playbook_cast.alice)
    with pytest.raises(ValidationError) as excinfo:
        agree(playbook_cast, partner=Partner.objects.get(pk=playbook_cast.alice_private.pk))
    assert excinfo.value.messages == [partner_services.ARCHIVED_PARTNER]
