"""A new partner's past entered as it happened in the web app (first met on, in this stage since,
earlier touches), so time in stage and the twelve-month patience rule count from then."""

import datetime as dt

from django.utils import timezone

from reciprocity.dates import IN_THE_FUTURE
from reciprocity.insights.diagnoses import assess
from reciprocity.partners import services
from reciprocity.partners.models import Partner, Stage, StageChange, Touch
from tests.api_client import token_client
from tests.conftest import Cast, client_for
from tests.web import shows


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def add(cast: Cast, **fields: object) -> Partner | None:
    data = {"name": "Carla Reyes", "profession": "cpa", "can_describe_value": "unknown", **fields}
    client_for(cast.alice).post("/partners/new/", data)
    return Partner.objects.filter(name="Carla Reyes").first()


def history(partner: Partner) -> list[tuple[str, str, dt.date]]:
    return [
        (c.from_stage, c.to_stage, timezone.localdate(c.occurred_at))
        for c in StageChange.objects.filter(partner=partner).order_by("occurred_at", "pk")
    ]


def test_a_partner_added_today_gets_its_past_from_the_add_form(cast: Cast) -> None:
    met, active = days_ago(430), days_ago(60)
    partner = add(
        cast,
        stage="active",
        growth_mode="false",
        first_met_on=met.isoformat(),
        stage_since=active.isoformat(),
    )
    assert partner is not None
    assert history(partner) == [("", "first_meeting", met), ("first_meeting", "active", active)]
    page = client_for(cast.alice).get(f"/partners/{partner.pk}/").content.decode()
    assert "60</span> days" in page  # time in stage counts from the day it started

    # An earlier touch is dated as it happened, before the day the partner was typed in.
    client_for(cast.alice).post(
        f"/partners/{partner.pk}/touches/",
        {"kind": "meeting", "summary": "Lunch", "occurred_at": f"{days_ago(300)}T12:00"},
    )
    touch = Touch.objects.get(partner=partner)
    assert timezone.localdate(touch.occurred_at) == days_ago(300)

    # The twelve-month patience rule counts from the first meeting: judged, not too early.
    found = assess(advisor=cast.alice, partner=partner)
    assert not found.too_early
    assert "wrong_firm" in [diagnosis.slug for diagnosis in found.diagnoses]


def test_without_a_past_the_partner_starts_today_and_is_too_early_to_judge(cast: Cast) -> None:
    # Due diligence: an active partner would also lack an agreement, and the reassurance shows
    # only when nothing else is found.
    partner = add(cast, stage="due_diligence", growth_mode="false")
    assert partner is not None
    assert history(partner) == [("", "due_diligence", timezone.localdate())]
    # A firm not in growth mode is known at once, but within the patience window, counted
    # from today, it is the lesser severity.
    found = assess(advisor=cast.alice, partner=partner)
    (wrong_firm,) = [d for d in found.diagnoses if d.slug == "wrong_firm"]
    assert wrong_firm.severity == "medium"
    Partner.objects.filter(pk=partner.pk).update(growth_mode=None)
    assert assess(advisor=cast.alice, partner=partner).too_early


def test_a_partner_at_first_meeting_started_it_on_the_day_of_the_meeting(cast: Cast) -> None:
    partner = add(cast, stage="first_meeting", first_met_on=days_ago(20).isoformat())
    assert partner is not None
    assert history(partner) == [("", "first_meeting", days_ago(20))]


def test_a_past_that_does_not_hold_together_is_refused_on_its_field(cast: Cast) -> None:
    client = client_for(cast.alice)
    cases = [
        ({"stage": "qualified", "first_met_on": days_ago(9)}, "first_met_on",
         services.MET_BUT_NOT_MET),
        ({"stage": "active", "first_met_on": days_ago(9), "stage_since": days_ago(30)},
         "stage_since", services.STAGE_BEFORE_MEETING),
        ({"stage": "active", "first_met_on": days_ago(-3)}, "first_met_on",
         IN_THE_FUTURE),
        ({"stage": "first_meeting", "first_met_on": days_ago(9), "stage_since": days_ago(3)},
         "stage_since", services.FIRST_MEETING_SINCE),
    ]  # fmt: skip
    for fields, field, message in cases:
        data = {"name": "Carla Reyes", "profession": "cpa", "can_describe_value": "unknown"}
        data.update({k: v.isoformat() if isinstance(v, dt.date) else v for k, v in fields.items()})
        response = client.post("/partners/new/", data)
        assert shows(response, message), fields
        page = response.content.decode()
        error_at = page.index(message.replace("'", "&#x27;"))
        assert page.rfind(f'id="profile-{field}', 0, error_at + 2000) != -1
    assert not Partner.objects.filter(name="Carla Reyes").exists()


def test_the_service_records_the_same_past_for_the_api_and_the_cli(cast: Cast) -> None:
    met = timezone.now() - dt.timedelta(days=400)
    partner = services.partner_create(
        by=cast.alice,
        name="Dana Lee",
        profession="attorney",
        stage=Stage.DUE_DILIGENCE,
        first_met_at=met,
    )
    # No "since" given: the stage started when the partner was first met.
    assert [(c.to_stage, c.occurred_at) for c in partner.stage_changes.order_by("pk")] == [
        (Stage.FIRST_MEETING, met),
        (Stage.DUE_DILIGENCE, met),
    ]


def test_the_api_takes_the_first_meeting_too(cast: Cast) -> None:
    met = (timezone.now() - dt.timedelta(days=400)).isoformat()
    api = token_client(cast.alice)
    body = {"name": "Dana Lee", "profession": "cpa", "stage": "active", "first_met_at": met}
    created = api.call("POST", "partners", body)
    assert created.status_code == 201, created.json()
    partner = Partner.objects.get(pk=created.json()["id"])
    assert history(partner)[0][:2] == ("", "first_meeting")
    refused = api.call("POST", "partners", {**body, "stage": "identified"})
    assert refused.status_code == 422
    assert services.MET_BUT_NOT_MET.rstrip(".") in refused.json()["detail"]
