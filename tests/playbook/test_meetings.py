"""Meeting plans per stage, and meetings logged against them."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from reciprocity.dates import IN_THE_FUTURE
from reciprocity.partners import services as partner_services
from reciprocity.partners.agenda import item_key
from reciprocity.partners.models import Partner, Stage, Touch
from reciprocity.playbook.models import (
    CadenceKind,
    Meeting,
    MeetingKind,
    MeetingPlan,
    MeetingStatus,
    MessageCheck,
    ProfileField,
)
from reciprocity.playbook.selectors.agenda import agenda_for
from reciprocity.playbook.selectors.cadences import cadences_of
from reciprocity.playbook.selectors.meetings import (
    meeting_get_for,
    meeting_plan_for,
    meeting_plan_get_for,
    meeting_plans_of,
    meetings_of,
)
from reciprocity.playbook.services.agenda import agenda_snooze
from reciprocity.playbook.services.meetings import (
    INVALID_PROFILE_ANSWER,
    MEETING_NOT_PLANNED,
    POINT_NOT_IN_MEETING,
    PROMPT_REQUIRED,
    UNKNOWN_MEETING_KIND,
    UNKNOWN_PROFILE_FIELD,
    meeting_cancel,
    meeting_hold,
    meeting_plan_item_add,
    meeting_plan_item_remove,
    meeting_plan_item_update,
    meeting_plan_update,
    meeting_schedule,
    meeting_update,
)
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def schedule(cast: Cast, kind: str, partner: Partner | None = None, days: int = 2) -> Meeting:
    return meeting_schedule(
        partner=partner or cast.alice_private,
        by=cast.alice,
        kind=kind,
        scheduled_for=timezone.now() + dt.timedelta(days=days),
    )


def points_by_field(meeting: Meeting) -> dict[str, int]:
    return {p.profile_field: p.pk for p in meeting.points.all() if p.profile_field}


def test_each_firm_starts_with_a_plan_for_each_meeting_of_a_partnership(
    playbook_cast: Cast,
) -> None:
    plans = {plan.kind: plan for plan in meeting_plans_of(advisor=playbook_cast.alice)}

    assert set(plans) == {
        MeetingKind.FIRST,
        MeetingKind.DUE_DILIGENCE,
        MeetingKind.PARTNERSHIP,
        MeetingKind.ANNUAL_REVIEW,
        MeetingKind.CLIENT_EVENT,
        MeetingKind.JOINT_REVIEW,
    }
    due_diligence = plans[MeetingKind.DUE_DILIGENCE]
    assert due_diligence.duration_minutes == 40
    filled = {item.profile_field for item in due_diligence.items.all()} - {""}
    assert filled >= {"niche", "growth_mode", "preferred_referral_process", "can_describe_value"}
    partnership = [item.prompt for item in plans[MeetingKind.PARTNERSHIP].items.all()]
    assert "Make the ask out loud: introduce clients who fit." in partnership


def test_the_plan_follows_the_partners_stage(playbook_cast: Cast) -> None:
    partner = playbook_cast.alice_private
    for stage, kind in [
        (Stage.QUALIFIED, MeetingKind.FIRST),
        (Stage.DUE_DILIGENCE, MeetingKind.DUE_DILIGENCE),
        (Stage.PROPOSED, MeetingKind.PARTNERSHIP),
        (Stage.ACTIVE, MeetingKind.ANNUAL_REVIEW),
    ]:
        partner_services.partner_change_stage(partner=partner, by=playbook_cast.alice, stage=stage)
        plan = meeting_plan_for(partner=partner)
        assert plan is not None
        assert plan.kind == kind


def test_a_meeting_copies_its_plan_so_later_edits_change_nothing(playbook_cast: Cast) -> None:
    meeting = schedule(playbook_cast, MeetingKind.DUE_DILIGENCE)
    plan = meeting.plan
    assert plan is not None
    prompts = [p.prompt for p in meeting.points.all()]
    assert prompts == [item.prompt for item in plan.items.all()]
    assert meeting.duration_minutes == 40

    first = plan.items.first()
    assert first is not None
    meeting_plan_item_update(item=first, by=playbook_cast.ada, prompt="Rewritten")
    meeting_plan_item_add(plan=plan, by=playbook_cast.ada, prompt="A new point")

    assert [p.prompt for p in meeting.points.all()] == prompts


def test_holding_the_due_diligence_meeting_fills_the_partners_profile(
    playbook_cast: Cast,
) -> None:
    partner = playbook_cast.alice_private
    meeting = schedule(playbook_cast, MeetingKind.DUE_DILIGENCE)
    fields = points_by_field(meeting)
    unanswered = next(p.pk for p in meeting.points.all() if not p.profile_field)

    meeting_hold(
        meeting=meeting,
        by=playbook_cast.alice,
        answers={
            fields[ProfileField.NICHE]: "Physicians and dentists in private practice",
            fields[ProfileField.GROWTH_MODE]: "Yes",
            fields[ProfileField.PREFERRED_REFERRAL_PROCESS]: "Face-to-face",
            fields[ProfileField.PROPENSITY_TO_REFER]: "high",
            fields[ProfileField.CAN_DESCRIBE_VALUE]: "no",
        },
        covered=[unanswered],
        summary="Forty minutes at their office",
    )

    partner.refresh_from_db()
    assert partner.niche == "Physicians and dentists in private practice"
    assert partner.growth_mode is True
    assert partner.preferred_referral_process == "face_to_face"
    assert partner.propensity_to_refer == "high"
    assert partner.can_describe_value == "no"
    assert MessageCheck.objects.get(partner=partner).result == "no"
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert meeting.touch is not None
    assert (meeting.touch.kind, meeting.touch.summary) == (
        "meeting",
        "Forty minutes at their office",
    )
    answered = {
        ProfileField.NICHE,
        ProfileField.GROWTH_MODE,
        ProfileField.PREFERRED_REFERRAL_PROCESS,
        ProfileField.PROPENSITY_TO_REFER,
        ProfileField.CAN_DESCRIBE_VALUE,
    }
    covered = {p.pk for p in meeting.points.all() if p.covered}
    assert covered == {fields[f] for f in answered} | {unanswered}
    assert partner.touch_count == 1


def test_an_answer_that_cannot_fill_the_profile_saves_nothing(playbook_cast: Cast) -> None:
    partner = playbook_cast.alice_private
    meeting = schedule(playbook_cast, MeetingKind.DUE_DILIGENCE)
    fields = points_by_field(meeting)
    size = fields[ProfileField.ORGANIZATION_SIZE]

    with pytest.raises(ValidationError) as excinfo:
        meeting_hold(
            meeting=meeting,
            by=playbook_cast.alice,
            answers={fields[ProfileField.NICHE]: "Doctors", size: "about twenty"},
        )

    assert excinfo.value.message_dict == {
        f"point_{size}": [
            INVALID_PROFILE_ANSWER.format(field="firm size", choices="solo, small, medium, large")
        ]
    }
    partner.refresh_from_db()
    meeting.refresh_from_db()
    assert (partner.niche, meeting.status) == ("", MeetingStatus.PLANNED)
    assert not Touch.objects.exists()
    assert not any(p.answer for p in meeting.points.all())


def test_a_meeting_is_held_once_and_not_in_the_future(playbook_cast: Cast) -> None:
    meeting = schedule(playbook_cast, MeetingKind.FIRST)
    with pytest.raises(ValidationError) as excinfo:
        meeting_hold(
            meeting=meeting,
            by=playbook_cast.alice,
            held_at=timezone.now() + dt.timedelta(days=1),
        )
    assert excinfo.value.message_dict == {"occurred_at": [IN_THE_FUTURE]}

    meeting_hold(meeting=meeting, by=playbook_cast.alice)
    with pytest.raises(ValidationError) as excinfo:
        meeting_hold(meeting=meeting, by=playbook_cast.alice)
    assert excinfo.value.messages == [MEETING_NOT_PLANNED]
    with pytest.raises(ValidationError):
        meeting_cancel(meeting=meeting, by=playbook_cast.alice)


def test_a_point_of_another_meeting_is_refused(playbook_cast: Cast) -> None:
    meeting = schedule(playbook_cast, MeetingKind.FIRST)
    other = schedule(playbook_cast, MeetingKind.FIRST, partner=playbook_cast.alice_shared)
    stranger = other.points.first()
    assert stranger is not None

    with pytest.raises(ValidationError) as excinfo:
        meeting_hold(meeting=meeting, by=playbook_cast.alice, covered=[stranger.pk])
    assert excinfo.value.message_dict == {f"point_{stranger.pk}": [POINT_NOT_IN_MEETING]}


def test_holding_the_annual_review_resets_the_review_cadence(playbook_cast: Cast) -> None:
    partner = playbook_cast.alice_private
    partner_services.partner_change_stage(partner=partner, by=playbook_cast.alice, stage="active")
    meeting = meeting_schedule(
        partner=partner,
        by=playbook_cast.alice,
        kind=MeetingKind.ANNUAL_REVIEW,
        scheduled_for=timezone.now() - dt.timedelta(hours=2),
    )

    meeting_hold(meeting=meeting, by=playbook_cast.alice)

    review = {c.kind: c for c in cadences_of(partner=partner)}[CadenceKind.ANNUAL_REVIEW]
    assert review.last_touch_at == meeting.touch.occurred_at  # type: ignore[union-attr]


def test_a_co_hosted_event_is_logged_as_an_event(playbook_cast: Cast) -> None:
    meeting = schedule(playbook_cast, MeetingKind.CLIENT_EVENT, days=-1)

    meeting_hold(meeting=meeting, by=playbook_cast.alice, summary="Seminar, 14 guests")

    assert Touch.objects.get().kind == "event"


def test_a_meeting_of_an_unknown_kind_is_refused(playbook_cast: Cast) -> None:
    with pytest.raises(ValidationError) as excinfo:
        schedule(playbook_cast, "brunch")
    assert excinfo.value.message_dict == {"kind": [UNKNOWN_MEETING_KIND]}
    assert not Meeting.objects.exists()


def test_a_meeting_can_be_moved_and_cancelled(playbook_cast: Cast) -> None:
    meeting = schedule(playbook_cast, MeetingKind.FIRST)
    later = timezone.now() + dt.timedelta(days=9)

    meeting_update(meeting=meeting, by=playbook_cast.alice, scheduled_for=later, location="Cafe")
    meeting_cancel(meeting=meeting, by=playbook_cast.alice, reason="They are travelling")

    meeting.refresh_from_db()
    assert (meeting.scheduled_for, meeting.location) == (later, "Cafe")
    assert (meeting.status, meeting.summary) == (MeetingStatus.CANCELLED, "They are travelling")
    assert list(meetings_of(partner=playbook_cast.alice_private)) == [meeting]


def test_moving_a_snoozed_meeting_brings_it_back_on_the_agenda(playbook_cast: Cast) -> None:
    meeting = schedule(playbook_cast, MeetingKind.FIRST)
    key = item_key("meeting", meeting.partner_id, meeting.pk)
    today = timezone.localdate()
    agenda_snooze(
        by=playbook_cast.alice, key=key, until=today + dt.timedelta(days=10), reason="Busy week"
    )
    assert key not in [item.key for item in agenda_for(playbook_cast.alice).items]

    meeting_update(
        meeting=meeting, by=playbook_cast.alice, scheduled_for=timezone.now() + dt.timedelta(days=1)
    )

    assert key in [item.key for item in agenda_for(playbook_cast.alice).items]


def test_a_meeting_with_an_archived_partner_is_not_moved(playbook_cast: Cast) -> None:
    meeting = schedule(playbook_cast, MeetingKind.FIRST)
    partner_services.partner_archive(partner=playbook_cast.alice_private, by=playbook_cast.alice)

    with pytest.raises(ValidationError) as excinfo:
        meeting_update(
            meeting=meeting,
            by=playbook_cast.alice,
            scheduled_for=timezone.now() + dt.timedelta(days=9),
        )

    assert excinfo.value.messages == [partner_services.ARCHIVED_PARTNER]
    assert Meeting.objects.get(pk=meeting.pk).scheduled_for == meeting.scheduled_for


def test_the_firm_admin_edits_the_plans_and_nobody_else(playbook_cast: Cast) -> None:
    plan = MeetingPlan.objects.get(firm=playbook_cast.firm, kind=MeetingKind.FIRST)

    meeting_plan_update(plan=plan, by=playbook_cast.ada, duration_minutes=25)
    item = meeting_plan_item_add(
        plan=plan, by=playbook_cast.ada, prompt="What are their hobbies?", profile_field="values"
    )
    assert item.position == plan.items.count()
    meeting_plan_item_remove(item=item, by=playbook_cast.ada)

    with pytest.raises(ValidationError) as excinfo:
        meeting_plan_item_add(plan=plan, by=playbook_cast.ada, prompt="  ")
    assert excinfo.value.message_dict == {"prompt": [PROMPT_REQUIRED]}
    with pytest.raises(ValidationError) as excinfo:
        meeting_plan_item_add(plan=plan, by=playbook_cast.ada, prompt="x", profile_field="iq")
    assert excinfo.value.message_dict == {"profile_field": [UNKNOWN_PROFILE_FIELD]}
    for advisor in (playbook_cast.alice, playbook_cast.cole):
        with pytest.raises(PermissionDenied):
            meeting_plan_update(plan=plan, by=advisor, name="Mine")
    foreign = MeetingPlan.objects.get(firm=playbook_cast.other_firm, kind=MeetingKind.FIRST)
    with pytest.raises(Http404):
        meeting_plan_update(plan=foreign, by=playbook_cast.ada, name="Ours now")
    with pytest.raises(Http404):
        meeting_plan_get_for(advisor=playbook_cast.ada, pk=foreign.pk)
    assert meeting_plan_get_for(advisor=playbook_cast.alice, pk=plan.pk).duration_minutes == 25


def test_meetings_are_404_to_whoever_cannot_see_the_partner(playbook_cast: Cast) -> None:
    meeting = schedule(playbook_cast, MeetingKind.FIRST)

    for outsider in (playbook_cast.bob, playbook_cast.carol, playbook_cast.mallory):
        with pytest.raises(Http404):
            meeting_get_for(advisor=outsider, pk=meeting.pk)
    assert meeting_get_for(advisor=playbook_cast.cole, pk=meeting.pk) == meeting
    with pytest.raises(PermissionDenied):
        meeting_hold(meeting=meeting, by=playbook_cast.cole)
