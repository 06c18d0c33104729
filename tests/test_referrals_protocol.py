"""The sending protocol: a checklist per profession, each completed step a touch on the partner."""

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from reciprocity.dates import IN_THE_FUTURE
from reciprocity.partners.models import Partner, Profession, Touch, TouchKind
from reciprocity.referrals.models import (
    PROTOCOL_EMPTY,
    PROTOCOL_LABEL_REQUIRED,
    PROTOCOL_REPEATED_STEP,
    PROTOCOL_UNKNOWN_STEP,
    Direction,
    Kind,
    ProtocolTemplate,
    Referral,
    StepSlug,
    default_protocol,
)
from reciprocity.referrals.selectors import (
    protocol_templates_of,
    referral_get_for,
    referral_step_get,
    steps_of,
)
from reciprocity.referrals.services.ledger import (
    ARCHIVED_REFERRAL,
    referral_archive,
    referral_create,
)
from reciprocity.referrals.services.protocols import (
    NOT_FIRM_ADMIN,
    UNKNOWN_PROFESSION,
    protocol_template_reset,
    protocol_template_update,
)
from reciprocity.referrals.services.steps import (
    STEP_DONE,
    referral_step_complete,
    referral_step_reopen,
    referral_step_skip,
)
from tests.conftest import Cast
from tests.factories import PartnerFactory


def send(cast: Cast, partner: Partner, **kwargs: Any) -> Referral:
    return referral_create(
        by=cast.alice,
        partner=partner,
        direction=Direction.SENT,
        need="Estate plan for a widowed client",
        **kwargs,
    )


def test_a_sent_referral_to_a_cpa_walked_through_all_five_steps_puts_five_touches_on_the_timeline(
    cast: Cast,
) -> None:
    cpa = PartnerFactory(owner=cast.alice, profession=Profession.CPA)
    referral = send(cast, cpa, consent_method="verbal")

    steps = list(steps_of(referral=referral))
    assert [step.slug for step in steps] == [
        StepSlug.CALL,
        StepSlug.EMAIL,
        StepSlug.ESCORT,
        StepSlug.THANK_YOU,
        StepSlug.CHECK_IN,
    ]
    for step in steps:
        referral_step_complete(step=step, by=cast.alice)

    touches = Touch.objects.filter(partner=cpa, archived_at__isnull=True)
    assert touches.count() == 5
    assert sorted(touches.values_list("kind", flat=True)) == sorted(
        [TouchKind.CALL, TouchKind.EMAIL, TouchKind.MEETING, TouchKind.THANK_YOU, TouchKind.CALL]
    )
    cpa.refresh_from_db()
    assert cpa.touch_count == 5
    assert all(step.touch is not None and step.is_done for step in steps_of(referral=referral))


def test_the_attorney_protocol_has_no_escort_step_and_offers_a_conference_call(cast: Cast) -> None:
    attorney = PartnerFactory(owner=cast.alice, profession=Profession.ATTORNEY)
    referral = send(cast, attorney, consent_method="verbal")

    slugs = [step.slug for step in steps_of(referral=referral)]
    assert StepSlug.ESCORT not in slugs
    assert slugs == [
        StepSlug.CALL,
        StepSlug.EMAIL,
        StepSlug.CONFERENCE_CALL,
        StepSlug.THANK_YOU,
        StepSlug.CHECK_IN,
    ]
    step = referral_step_get(referral=referral, slug=StepSlug.CONFERENCE_CALL)
    referral_step_complete(step=step, by=cast.alice)
    assert step.touch is not None
    assert step.touch.kind == TouchKind.CALL


def test_received_referrals_and_sent_connections_carry_no_checklist(cast: Cast) -> None:
    received = referral_create(
        by=cast.alice, partner=cast.alice_private, direction=Direction.RECEIVED, need="Retirement"
    )
    connection = send(cast, cast.alice_private, kind=Kind.CONNECTION)
    assert not received.steps.exists()
    assert not connection.steps.exists()


def test_completing_a_step_twice_logs_one_touch(cast: Cast) -> None:
    referral = send(cast, cast.alice_private)
    step = referral_step_get(referral=referral, slug=StepSlug.CALL)
    referral_step_complete(step=step, by=cast.alice)
    first_touch = step.touch_id
    referral_step_complete(step=step, by=cast.alice)

    assert step.touch_id == first_touch
    assert Touch.objects.filter(partner=cast.alice_private).count() == 1


def test_a_step_can_be_dated_in_the_past_but_not_in_the_future(cast: Cast) -> None:
    referral = send(cast, cast.alice_private)
    step = referral_step_get(referral=referral, slug=StepSlug.EMAIL)
    with pytest.raises(ValidationError) as error:
        referral_step_complete(
            step=step, by=cast.alice, occurred_at=timezone.now() + dt.timedelta(days=2)
        )
    assert error.value.message_dict == {"occurred_at": [IN_THE_FUTURE]}
    assert not Touch.objects.filter(partner=cast.alice_private).exists()

    yesterday = timezone.now() - dt.timedelta(days=1)
    referral_step_complete(step=step, by=cast.alice, occurred_at=yesterday)
    assert step.done_at == yesterday
    assert step.touch is not None
    assert step.touch.occurred_at == yesterday


def test_a_skipped_step_logs_nothing_and_a_done_step_cannot_be_skipped(cast: Cast) -> None:
    referral = send(cast, cast.alice_private)
    escort = referral_step_get(referral=referral, slug=StepSlug.ESCORT)
    referral_step_skip(step=escort, by=cast.alice)
    assert escort.is_skipped
    assert not Touch.objects.filter(partner=cast.alice_private).exists()

    call = referral_step_get(referral=referral, slug=StepSlug.CALL)
    referral_step_complete(step=call, by=cast.alice)
    with pytest.raises(ValidationError) as error:
        referral_step_skip(step=call, by=cast.alice)
    assert error.value.message_dict == {"step": [STEP_DONE]}


def test_reopening_a_step_takes_its_touch_off_the_timeline(cast: Cast) -> None:
    referral = send(cast, cast.alice_private)
    step = referral_step_get(referral=referral, slug=StepSlug.CALL)
    referral_step_complete(step=step, by=cast.alice)
    touch = step.touch
    assert touch is not None

    referral_step_reopen(step=step, by=cast.alice)

    touch.refresh_from_db()
    cast.alice_private.refresh_from_db()
    assert touch.archived_at is not None
    assert cast.alice_private.touch_count == 0
    assert step.done_at is None
    assert step.touch is None


def test_steps_of_an_archived_referral_cannot_be_completed(cast: Cast) -> None:
    referral = send(cast, cast.alice_private)
    referral_archive(referral=referral, by=cast.alice)
    step = referral_step_get(referral=referral, slug=StepSlug.CALL)
    with pytest.raises(ValidationError) as error:
        referral_step_complete(step=step, by=cast.alice)
    assert error.value.messages == [ARCHIVED_REFERRAL]
    assert not Touch.objects.filter(partner=cast.alice_private).exists()


def test_a_firm_admin_edits_a_profession_template_and_new_referrals_follow_it(
    cast: Cast,
) -> None:
    old = send(cast, cast.alice_private)  # a CPA
    steps = [
        {"slug": StepSlug.CALL, "label": "Call them"},
        {"slug": StepSlug.CONFERENCE_CALL, "label": "  Three-way call  "},
    ]
    template = protocol_template_update(by=cast.ada, profession=Profession.CPA, steps=steps)
    assert template.steps[1] == {"slug": "conference_call", "label": "Three-way call"}

    new = send(cast, cast.alice_private)
    assert [(s.slug, s.label) for s in steps_of(referral=new)] == [
        ("call", "Call them"),
        ("conference_call", "Three-way call"),
    ]
    # A referral already sent keeps the checklist it started with.
    assert old.steps.count() == 5

    protocol_template_reset(by=cast.ada, profession=Profession.CPA)
    assert ProtocolTemplate.objects.get(
        firm=cast.firm, profession=Profession.CPA
    ).steps == default_protocol(Profession.CPA)


@pytest.mark.parametrize("who", ["alice", "cole"])
def test_only_a_firm_admin_may_edit_a_protocol(cast: Cast, who: str) -> None:
    with pytest.raises(PermissionDenied, match=NOT_FIRM_ADMIN):
        protocol_template_update(
            by=getattr(cast, who),
            profession=Profession.CPA,
            steps=[{"slug": "call", "label": "Call"}],
        )
    assert not ProtocolTemplate.objects.exists()


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([], PROTOCOL_EMPTY),
        ([{"slug": "fax", "label": "Send a fax"}], PROTOCOL_UNKNOWN_STEP),
        ([{"slug": "call", "label": "A"}, {"slug": "call", "label": "B"}], PROTOCOL_REPEATED_STEP),
        ([{"slug": "call", "label": "   "}], PROTOCOL_LABEL_REQUIRED),
    ],
)
def test_a_bad_protocol_is_refused_with_a_clear_message_and_nothing_changes(
    cast: Cast, steps: list[dict[str, str]], message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        protocol_template_update(by=cast.ada, profession=Profession.CPA, steps=steps)
    assert error.value.message_dict == {"steps": [message]}
    assert not ProtocolTemplate.objects.exists()


def test_an_unknown_profession_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError) as error:
        protocol_template_update(by=cast.ada, profession="astrologer", steps=[])
    assert error.value.message_dict == {"profession": [UNKNOWN_PROFESSION]}


def test_every_advisor_of_the_firm_sees_its_templates_and_the_defaults_for_the_rest(
    cast: Cast,
) -> None:
    protocol_template_update(
        by=cast.ada, profession=Profession.BANKER, steps=[{"slug": "call", "label": "Ring"}]
    )
    templates = {t.profession: t for t in protocol_templates_of(advisor=cast.carol)}
    assert set(templates) == set(Profession.values)
    assert templates[Profession.BANKER].steps == [{"slug": "call", "label": "Ring"}]
    assert templates[Profession.ATTORNEY].pk is None
    assert "escort" not in [s["slug"] for s in templates[Profession.ATTORNEY].steps]
    # Another firm's edits are not ours.
    assert all(
        t.steps != [{"slug": "call", "label": "Ring"}]
        for t in protocol_templates_of(advisor=cast.mallory)
    )


def test_a_step_is_found_only_through_a_referral_the_advisor_may_see(cast: Cast) -> None:
    referral = send(cast, cast.alice_private)
    with pytest.raises(Http404):
        referral_get_for(advisor=cast.bob, pk=referral.pk)
    with pytest.raises(Http404):
        referral_step_get(referral=referral, slug="fax")
