"""The pipeline's invariants, at the service layer."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from reciprocity.dates import IN_THE_FUTURE
from reciprocity.partners import services
from reciprocity.partners.models import (
    CommitmentOwner,
    CommitmentStatus,
    FailureReason,
    Partner,
    Stage,
    StageChange,
    TouchKind,
)
from reciprocity.partners.selectors import dormancy_suggested, next_step_of, partner_get_for
from tests.conftest import Cast
from tests.factories import CommitmentFactory, PartnerFactory

pytestmark = pytest.mark.django_db


def test_creating_a_partner_records_its_first_stage(cast: Cast) -> None:
    partner = services.partner_create(
        by=cast.alice, name="Dana CPA", profession="cpa", organization="Dana & Co"
    )
    change = StageChange.objects.get(partner=partner)
    assert (change.from_stage, change.to_stage, change.by) == ("", Stage.IDENTIFIED, cast.alice)


def test_every_stage_change_is_recorded_with_its_date_and_author(cast: Cast) -> None:
    partner = cast.alice_shared
    when = timezone.now() - dt.timedelta(days=2)
    services.partner_change_stage(
        partner=partner, by=cast.bob, stage=Stage.QUALIFIED, note="fits", occurred_at=when
    )
    services.partner_change_stage(partner=partner, by=cast.alice, stage=Stage.FIRST_MEETING)

    changes = list(StageChange.objects.filter(partner=partner).order_by("occurred_at"))
    assert [(c.from_stage, c.to_stage, c.by) for c in changes] == [
        (Stage.IDENTIFIED, Stage.QUALIFIED, cast.bob),
        (Stage.QUALIFIED, Stage.FIRST_MEETING, cast.alice),
    ]
    assert changes[0].occurred_at == when
    partner.refresh_from_db()
    assert partner.stage == Stage.FIRST_MEETING
    assert partner.stage_changed_at == changes[1].occurred_at


def test_retiring_a_partner_requires_a_reason(cast: Cast) -> None:
    partner = cast.alice_private
    with pytest.raises(ValidationError) as excinfo:
        services.partner_change_stage(partner=partner, by=cast.alice, stage=Stage.RETIRED)
    assert excinfo.value.message_dict == {"reason": [services.RETIRED_NEEDS_REASON]}
    partner.refresh_from_db()
    assert partner.stage == Stage.IDENTIFIED
    assert not StageChange.objects.filter(partner=partner).exists()


def test_retiring_with_a_reason_keeps_the_reason(cast: Cast) -> None:
    change = services.partner_change_stage(
        partner=cast.alice_private,
        by=cast.alice,
        stage=Stage.RETIRED,
        reason=FailureReason.WRONG_FIRM,
    )
    assert change.reason == FailureReason.WRONG_FIRM


def test_an_unknown_stage_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.partner_change_stage(partner=cast.alice_private, by=cast.alice, stage="won")
    assert excinfo.value.message_dict == {"stage": [services.UNKNOWN_STAGE]}


def test_a_stage_change_cannot_be_dated_before_the_last_one(cast: Cast) -> None:
    partner = cast.alice_private
    before = partner.stage_changed_at - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        services.partner_change_stage(
            partner=partner, by=cast.alice, stage=Stage.QUALIFIED, occurred_at=before
        )
    assert excinfo.value.message_dict == {"occurred_at": [services.STAGE_BEFORE_LAST]}


def test_nothing_is_recorded_in_the_future(cast: Cast) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.touch_log(
            partner=cast.alice_private,
            by=cast.alice,
            kind=TouchKind.CALL,
            summary="call",
            occurred_at=timezone.now() + dt.timedelta(days=1),
        )
    assert excinfo.value.message_dict == {"occurred_at": [IN_THE_FUTURE]}


def test_a_partner_needs_a_name_and_nothing_is_saved_without_one(cast: Cast) -> None:
    count = Partner.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        services.partner_create(by=cast.alice, name="  ", profession="cpa")
    assert "name" in excinfo.value.message_dict
    assert Partner.objects.count() == count


def test_the_next_step_is_the_earliest_open_commitment(cast: Cast) -> None:
    partner = cast.alice_private
    today = timezone.localdate()
    CommitmentFactory(partner=partner, what="later", due=today + dt.timedelta(days=9))
    CommitmentFactory(
        partner=partner,
        what="done already",
        due=today - dt.timedelta(days=9),
        status=CommitmentStatus.DONE,
    )
    CommitmentFactory(
        partner=partner,
        what="send the estate article",
        due=today - dt.timedelta(days=1),
        owner=CommitmentOwner.ADVISOR,
    )
    CommitmentFactory(partner=partner, what="soon", due=today + dt.timedelta(days=2))

    annotated = partner_get_for(advisor=cast.alice, pk=partner.pk)
    step = next_step_of(annotated)
    assert step is not None
    assert (step.what, step.owner, step.is_overdue) == ("send the estate article", "advisor", True)
    assert next_step_of(Partner.objects.get(pk=partner.pk)) == step


def test_a_partner_without_open_commitments_has_no_next_step(cast: Cast) -> None:
    assert next_step_of(partner_get_for(advisor=cast.alice, pk=cast.alice_private.pk)) is None


def test_the_conversation_count_is_derived_from_touches(cast: Cast) -> None:
    partner = cast.alice_private
    first = services.touch_log(
        partner=partner,
        by=cast.alice,
        kind=TouchKind.MEETING,
        summary="Lunch",
        occurred_at=timezone.now() - dt.timedelta(days=10),
    )
    latest = services.touch_log(partner=partner, by=cast.alice, kind="call", summary="Catch-up")
    partner.refresh_from_db()
    assert (partner.touch_count, partner.last_touch_at) == (2, latest.occurred_at)

    services.touch_archive(touch=latest, by=cast.alice)
    partner.refresh_from_db()
    assert (partner.touch_count, partner.last_touch_at) == (1, first.occurred_at)


def test_completing_a_commitment_can_log_a_touch_in_the_same_action(cast: Cast) -> None:
    commitment = CommitmentFactory(partner=cast.alice_private, what="Send the article")
    services.commitment_update(
        commitment=commitment, by=cast.alice, status=CommitmentStatus.DONE, touch_kind="email"
    )
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.DONE
    assert commitment.completed_at is not None
    assert commitment.touch is not None
    assert commitment.touch.kind == TouchKind.EMAIL
    assert commitment.touch.summary == "Done: Send the article"
    cast.alice_private.refresh_from_db()
    assert cast.alice_private.touch_count == 1


def test_a_partner_quiet_for_longer_than_the_dormancy_window_is_suggested_dormant(
    cast: Cast,
) -> None:
    long_ago = timezone.now() - dt.timedelta(days=cast.firm.dormancy_days + 1)
    quiet = PartnerFactory(owner=cast.alice, stage=Stage.ACTIVE, last_touch_at=long_ago)
    fresh = PartnerFactory(owner=cast.alice, stage=Stage.ACTIVE, last_touch_at=timezone.now())
    never_warm = PartnerFactory(owner=cast.alice, stage=Stage.IDENTIFIED, stage_changed_at=long_ago)
    assert dormancy_suggested(quiet)
    assert not dormancy_suggested(fresh)
    assert not dormancy_suggested(never_warm)


def test_a_compliance_officer_cannot_change_anything(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        services.touch_log(partner=cast.alice_private, by=cast.cole, kind="call", summary="x")


def test_changes_are_attributed_in_the_history(cast: Cast) -> None:
    partner = services.partner_create(by=cast.alice, name="Hist", profession="banker")
    services.partner_update(partner=partner, by=cast.bob, organization="First Bank")
    latest = partner.history.first()  # type: ignore[attr-defined]
    assert latest.history_user == cast.bob
    assert latest.organization == "First Bank"
