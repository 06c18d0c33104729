"""Plausible dates, one rule: what is refused at every entry point, and what reads rows written
before the rule (the calendar feed, the digest, the agenda, the pages and the exports) never
fails on a stored date, whatever it is."""

import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reciprocity.dates import BEFORE_1900, IN_THE_FUTURE, TOO_FAR_AHEAD, shifted
from reciprocity.partners.models import Commitment, Partner, Stage, Touch
from reciprocity.playbook.digest import digest_render
from reciprocity.playbook.models import Meeting
from reciprocity.playbook.services.calendar import calendar_feed_create
from reciprocity.referrals.models import Direction, Referral
from reciprocity.referrals.services.ledger import referral_create
from tests.api_client import token_client
from tests.conftest import Cast, client_for
from tests.factories import (
    CommitmentFactory,
    MeetingFactory,
    OpportunityFactory,
    TouchFactory,
)

pytestmark = pytest.mark.django_db

FAR_PAST = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
FAR_FUTURE = dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC)


def in_years(years: int) -> dt.date:
    return timezone.localdate().replace(year=timezone.localdate().year + years)


# --- Refused at the door ---------------------------------------------------------------------


def touch(at: str) -> tuple[str, dict[str, Any], str]:
    return "touches", {"kind": "call", "summary": "x", "occurred_at": at}, "occurred_at"


def meeting(at: str) -> tuple[str, dict[str, Any], str]:
    return "meetings", {"kind": "first_meeting", "scheduled_for": at}, "scheduled_for"


def stage(at: str) -> tuple[str, dict[str, Any], str]:
    return "stage", {"stage": "qualified", "occurred_at": at}, "occurred_at"


def due(day: str) -> tuple[str, dict[str, Any], str]:
    return "commitments", {"what": "x", "due": day}, "due"


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (touch("0001-01-01T00:00:00Z"), BEFORE_1900),
        (touch("1899-12-31T12:00:00Z"), BEFORE_1900),
        (touch("0001-01-01T00:00:00+14:00"), BEFORE_1900),
        (touch("9999-12-31T23:59:59-14:00"), TOO_FAR_AHEAD),
        (touch("9999-12-31T00:00:00Z"), IN_THE_FUTURE),
        (stage("0001-01-01T00:00:00+14:00"), BEFORE_1900),
        (due("9999-12-31"), TOO_FAR_AHEAD),
        (due("0001-01-01"), BEFORE_1900),
        (meeting("9999-06-01T10:00:00Z"), TOO_FAR_AHEAD),
        (meeting("0001-01-01T00:00:00+14:00"), BEFORE_1900),
    ],
)  # fmt: skip
def test_the_api_refuses_an_implausible_date_naming_the_field(
    cast: Cast, request_: tuple[str, dict[str, Any], str], message: str
) -> None:
    (path, body, field), partner = request_, cast.alice_shared
    answer = token_client(cast.bob).call("POST", f"partners/{partner.pk}/{path}", body)

    assert answer.status_code == 422, answer.content
    assert {"field": field, "message": message} in answer.json()["errors"]
    assert not Touch.objects.filter(partner=partner).exists()
    assert not Commitment.objects.filter(partner=partner).exists()
    assert not Meeting.objects.filter(partner=partner).exists()


def test_a_partner_created_with_an_edge_datetime_is_refused(cast: Cast) -> None:
    answer = token_client(cast.alice).call(
        "POST",
        "partners",
        {"name": "Ivy", "profession": "cpa", "occurred_at": "0001-01-01T00:00:00+14:00"},
    )

    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "occurred_at", "message": BEFORE_1900}]
    assert not Partner.objects.filter(name="Ivy").exists()


def test_ten_years_ahead_is_the_last_plannable_day(cast: Cast) -> None:
    api = token_client(cast.alice)
    path = f"partners/{cast.alice_private.pk}/commitments"
    last = timezone.localdate() + dt.timedelta(days=3650)

    assert api.call("POST", path, {"what": "x", "due": last.isoformat()}).status_code == 201
    too_far = api.call("POST", path, {"what": "x", "due": in_years(11).isoformat()})
    assert too_far.status_code == 422


def test_the_web_forms_refuse_an_implausible_date_with_the_same_words(cast: Cast) -> None:
    partner = cast.alice_private
    web = client_for(cast.alice)

    touch = web.post(
        f"/partners/{partner.pk}/touches/",
        {"kind": "call", "summary": "x", "occurred_at": "0001-01-01T00:00"},
    )
    commitment = web.post(
        f"/partners/{partner.pk}/commitments/",
        {"what": "x", "owner": "advisor", "due": "9999-12-31"},
    )

    assert BEFORE_1900 in touch.content.decode()
    assert TOO_FAR_AHEAD in commitment.content.decode()
    assert not Touch.objects.filter(partner=partner).exists()
    assert not Commitment.objects.filter(partner=partner).exists()


# --- Read safely, whatever was stored ----------------------------------------------------------


def store_extreme_dates(cast: Cast, when: dt.datetime) -> None:
    """Rows as they could have been written before the rule: every date at one end of time."""
    partner = cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(stage=Stage.ACTIVE, stage_changed_at=when)
    TouchFactory(partner=partner, occurred_at=when)
    Partner.objects.filter(pk=partner.pk).update(last_touch_at=when, touch_count=1)
    CommitmentFactory(partner=partner, due=when.date())
    CommitmentFactory(partner=cast.alice_shared, due=when.date(), owner="partner")
    MeetingFactory(partner=partner, scheduled_for=when)
    OpportunityFactory(partner=partner, ask_by=when.date())
    referral = referral_create(
        by=cast.alice, partner=partner, direction=Direction.RECEIVED, need="Estate plan"
    )
    Referral.objects.filter(pk=referral.pk).update(occurred_at=when, status_changed_at=when)


# Each end of time in the time zone that pushes it furthest over the edge.
@pytest.mark.parametrize(
    ("when", "zone"),
    [(FAR_PAST, "Pacific/Pago_Pago"), (FAR_FUTURE, "Pacific/Kiritimati")],
    ids=["year-1", "year-9999"],
)
def test_the_feed_the_digest_the_agenda_and_the_exports_never_fail_on_a_stored_date(
    playbook_cast: Cast, when: dt.datetime, zone: str, settings: Any
) -> None:
    settings.TIME_ZONE = zone
    cast = playbook_cast
    store_extreme_dates(cast, when)
    _, token = calendar_feed_create(by=cast.alice)

    feed = Client().get(reverse("calendar_feed", kwargs={"token": token}))
    assert feed.status_code == 200, feed.content
    assert digest_render(advisor=cast.alice).text
    assert client_for(cast.alice).get("/agenda/").status_code == 200
    assert token_client(cast.alice).call("GET", "agenda?days=366").status_code == 200
    out = StringIO()
    call_command("agenda", "--user=alice", "--days=366", "--json", stdout=out)
    assert isinstance(json.loads(out.getvalue()), list)
    assert client_for(cast.ada).get("/audit/export.csv").status_code == 200


@pytest.mark.parametrize("when", [FAR_PAST, FAR_FUTURE], ids=["year-1", "year-9999"])
def test_the_pages_and_the_api_show_a_stored_date_at_either_end_of_time(
    playbook_cast: Cast, when: dt.datetime
) -> None:
    cast = playbook_cast
    store_extreme_dates(cast, when)
    web, api = client_for(cast.alice), token_client(cast.alice)

    partner = cast.alice_private.pk
    for page in ("/partners/", f"/partners/{partner}/", "/pipeline/", "/dashboard/"):
        assert web.get(page).status_code == 200, page
    for operation in ("partners", f"partners/{partner}", "diagnoses", "referrals"):
        assert api.call("GET", operation).status_code == 200, operation


def test_a_shifted_date_holds_at_the_ends_of_the_calendar() -> None:
    assert shifted(dt.date.max, dt.timedelta(days=1)) == dt.date.max
    assert shifted(dt.date.min, dt.timedelta(days=-1)) == dt.date.min
    assert shifted(dt.date(2026, 1, 31), dt.timedelta(days=1)) == dt.date(2026, 2, 1)
