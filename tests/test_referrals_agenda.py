"""The protocol steps of referrals in flight on the agenda: the next open step of each sent
referral, due by the protocol's rule; completed in place (the web, the API), it logs the step's
touch and the referral moves on to its next step."""

import datetime as dt
import io
import json
from html import unescape
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from reciprocity.partners import services as partner_services
from reciprocity.partners.agenda import AGENDA_ITEM_DONE, UNKNOWN_AGENDA_ITEM, AgendaItem, item_key
from reciprocity.partners.models import Partner, Profession, Touch, TouchKind
from reciprocity.playbook.digest import digest_render
from reciprocity.playbook.models import AgendaSnooze
from reciprocity.playbook.selectors.agenda import agenda_for
from reciprocity.playbook.services import agenda as services
from reciprocity.records import Conflict
from reciprocity.referrals.models import (
    HISTORY_AFTER_DAYS,
    STEP_DUE_AFTER_DAYS,
    Direction,
    Kind,
    Referral,
    ReferralStep,
    StepSlug,
    step_due,
)
from reciprocity.referrals.selectors import next_step_of, steps_of
from reciprocity.referrals.services.ledger import (
    referral_archive,
    referral_change_status,
    referral_create,
    referral_record_consent,
)
from reciprocity.referrals.services.steps import referral_step_complete, referral_step_skip
from tests.api_client import token_client
from tests.conftest import Cast, client_for
from tests.factories import PartnerFactory, ago
from tests.web import htmx, shows

pytestmark = pytest.mark.django_db

NEED = "Estate plan for a widowed client"


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def send(by: Any, partner: Partner, *, days_ago: float = 0, **kwargs: Any) -> Referral:
    # With consent: every step may be walked, the introduction included.
    kwargs.setdefault("consent_method", "verbal")
    return referral_create(
        by=by,
        partner=partner,
        direction=Direction.SENT,
        need=NEED,
        occurred_at=ago(days_ago) if days_ago else None,
        **kwargs,
    )


def step(referral: Referral, slug: str) -> ReferralStep:
    return referral.steps.get(slug=slug)


def steps_on_agenda(advisor: Any, **kwargs: Any) -> list[AgendaItem]:
    return [i for i in agenda_for(advisor, **kwargs).items if i.source == "referral_step"]


def key_of(found: ReferralStep) -> str:
    return item_key("referral_step", found.referral.partner_id, found.pk)


# --- The rule -------------------------------------------------------------------------------


def test_a_step_is_due_some_days_after_the_referral_or_the_steps_before_it() -> None:
    sent = dt.date(2025, 3, 3)

    assert step_due(StepSlug.CALL, referral_day=sent, finished_day=None) == sent
    assert step_due(StepSlug.EMAIL, referral_day=sent, finished_day=sent) == dt.date(2025, 3, 4)
    # The later of the two days counts: a step finished late pushes the next one back.
    later = dt.date(2025, 3, 10)
    assert step_due(StepSlug.ESCORT, referral_day=sent, finished_day=later) == dt.date(2025, 3, 24)
    # A step back-dated before the referral counts from the referral.
    earlier = dt.date(2025, 2, 1)
    assert step_due(StepSlug.THANK_YOU, referral_day=sent, finished_day=earlier) == dt.date(
        2025, 3, 5
    )
    assert set(STEP_DUE_AFTER_DAYS) == set(StepSlug.values)


# --- What is listed -------------------------------------------------------------------------


def test_the_next_step_of_a_sent_referral_is_on_the_agenda_and_moves_on_when_done(
    cast: Cast,
) -> None:
    referral = send(cast.alice, cast.alice_private, days_ago=3)

    (item,) = steps_on_agenda(cast.alice)

    call = step(referral, StepSlug.CALL)
    assert item == AgendaItem(
        source="referral_step",
        key=f"referral_step:{cast.alice_private.pk}:{call.pk}",
        partner_id=cast.alice_private.pk,
        partner_name="Priya Private",
        title=f"Call the partner about the client: {NEED}",
        due=days(-3),
        owner="advisor",
        detail="Sent referral · step 1 of 5",
        object_id=call.pk,
        url=f"/referrals/{referral.pk}/",
    )
    assert agenda_for(cast.alice).overdue == [item]

    referral_step_complete(step=call, by=cast.alice, occurred_at=ago(1))

    (item,) = steps_on_agenda(cast.alice)
    email = step(referral, StepSlug.EMAIL)
    assert (item.object_id, item.due) == (email.pk, days(0))  # the day after the call
    assert item.title == f"Email notes and next steps: {NEED}"
    assert item.detail == "Sent referral · step 2 of 5"


def test_a_step_is_due_from_the_later_of_the_referral_and_the_last_step_finished(
    cast: Cast,
) -> None:
    referral = send(cast.alice, cast.alice_private, days_ago=20)
    referral_step_complete(step=step(referral, StepSlug.CALL), by=cast.alice, occurred_at=ago(12))
    referral_step_complete(step=step(referral, StepSlug.EMAIL), by=cast.alice, occurred_at=ago(5))

    # The escort is due two weeks after the email: beyond this week, within a longer horizon.
    assert steps_on_agenda(cast.alice) == []
    (item,) = steps_on_agenda(cast.alice, horizon_days=14)
    assert (item.object_id, item.due) == (step(referral, StepSlug.ESCORT).pk, days(9))

    referral_step_complete(step=step(referral, StepSlug.ESCORT), by=cast.alice)
    (item,) = steps_on_agenda(cast.alice)
    assert (item.object_id, item.due) == (step(referral, StepSlug.THANK_YOU).pk, days(2))


def test_skipped_steps_are_passed_over(cast: Cast) -> None:
    referral = send(cast.alice, cast.alice_private, days_ago=2)
    referral_step_skip(step=step(referral, StepSlug.CALL), by=cast.alice)

    (item,) = steps_on_agenda(cast.alice)
    assert item.object_id == step(referral, StepSlug.EMAIL).pk
    assert item.due == days(1)  # counted from the skip, today

    referral_step_skip(step=step(referral, StepSlug.EMAIL), by=cast.alice)
    (item,) = steps_on_agenda(cast.alice, horizon_days=14)
    assert (item.object_id, item.due) == (step(referral, StepSlug.ESCORT).pk, days(14))
    assert item.detail == "Sent referral · step 3 of 5"


def test_history_entered_long_after_the_fact_waits_until_one_of_its_steps_is_worked(
    cast: Cast,
) -> None:
    # Recorded today, sent 31 days ago: history being entered, not a call forgotten for a month.
    old = send(cast.alice, cast.alice_private, days_ago=HISTORY_AFTER_DAYS + 1)
    assert steps_on_agenda(cast.alice) == []

    referral_step_complete(step=step(old, StepSlug.CALL), by=cast.alice, occurred_at=ago(30))
    (item,) = steps_on_agenda(cast.alice)
    assert (item.object_id, item.due) == (step(old, StepSlug.EMAIL).pk, days(-29))


def test_a_referral_recorded_on_time_stays_on_the_agenda_however_overdue(cast: Cast) -> None:
    referral = send(cast.alice, cast.alice_private, days_ago=90)
    # Recorded within the hour, ninety days ago.
    Referral.objects.filter(pk=referral.pk).update(created_at=ago(90) + dt.timedelta(hours=1))
    (item,) = steps_on_agenda(cast.alice)
    assert (item.object_id, item.due) == (step(referral, StepSlug.CALL).pk, days(-90))


def test_a_step_done_out_of_order_leaves_the_first_open_one_next(cast: Cast) -> None:
    referral = send(cast.alice, cast.alice_private, days_ago=1)
    referral_step_complete(step=step(referral, StepSlug.EMAIL), by=cast.alice)

    (item,) = steps_on_agenda(cast.alice)
    assert (item.object_id, item.due) == (step(referral, StepSlug.CALL).pk, days(-1))


def test_an_attorneys_protocol_asks_for_a_conference_call(cast: Cast) -> None:
    attorney = PartnerFactory(owner=cast.alice, profession=Profession.ATTORNEY, name="Avery Law")
    referral = send(cast.alice, attorney, days_ago=2)
    for slug in (StepSlug.CALL, StepSlug.EMAIL):
        referral_step_complete(step=step(referral, slug), by=cast.alice, occurred_at=ago(2))

    (item,) = steps_on_agenda(cast.alice, horizon_days=14)
    assert item.title.startswith("Hold a conference call with the client and the partner: ")
    assert item.due == days(12)


def test_one_item_per_referral_in_flight(cast: Cast) -> None:
    first = send(cast.alice, cast.alice_private, days_ago=2)
    second = send(cast.alice, cast.alice_shared, days_ago=1)

    items = steps_on_agenda(cast.alice)

    assert [i.object_id for i in items] == [
        step(first, StepSlug.CALL).pk,
        step(second, StepSlug.CALL).pk,
    ]
    assert [i.partner_name for i in items] == ["Priya Private", "Sam Shared"]


def test_closed_archived_and_finished_referrals_and_received_ones_contribute_nothing(
    cast: Cast,
) -> None:
    partner = cast.alice_private
    declined = send(cast.alice, partner, days_ago=3)
    referral_change_status(
        referral=declined, by=cast.alice, status="declined", reason="Has a planner already"
    )
    archived = send(cast.alice, partner, days_ago=3)
    referral_archive(referral=archived, by=cast.alice)
    finished = send(cast.alice, partner, days_ago=3)
    for done in steps_of(referral=finished):
        referral_step_complete(step=done, by=cast.alice)
    referral_create(by=cast.alice, partner=partner, direction=Direction.RECEIVED, need="Prospect")
    referral_create(
        by=cast.alice,
        partner=partner,
        direction=Direction.SENT,
        kind=Kind.CONNECTION,
        need="Intro to the chamber",
    )

    assert steps_on_agenda(cast.alice, horizon_days=366) == []


def test_a_referral_of_an_archived_partner_leaves_the_agenda(cast: Cast) -> None:
    send(cast.alice, cast.alice_private, days_ago=1)
    partner_services.partner_archive(partner=cast.alice_private, by=cast.alice)

    assert steps_on_agenda(cast.alice) == []


def test_the_agenda_never_names_the_client(cast: Cast) -> None:
    referral = send(cast.alice, cast.alice_private, days_ago=1)
    referral_record_consent(
        referral=referral, by=cast.alice, method="verbal", client_name="Margaret Oyelaran"
    )

    # By the surname: the first name may well be another's on the page (a generated advisor's).
    (item,) = steps_on_agenda(cast.alice)
    assert "Oyelaran" not in f"{item.title} {item.detail}"
    page = client_for(cast.alice).get("/agenda/").content.decode()
    assert escape(NEED) in page
    assert "Oyelaran" not in page


# --- Who sees what --------------------------------------------------------------------------


def test_a_teammate_sees_the_steps_of_a_shared_partner_only_with_shared_partners(
    cast: Cast,
) -> None:
    shared = send(cast.alice, cast.alice_shared, days_ago=1)
    send(cast.alice, cast.alice_private, days_ago=1)

    assert steps_on_agenda(cast.bob) == []
    assert [i.object_id for i in steps_on_agenda(cast.bob, mine_only=False)] == [
        step(shared, StepSlug.CALL).pk
    ]
    assert steps_on_agenda(cast.carol, mine_only=False) == []
    assert steps_on_agenda(cast.mallory, mine_only=False) == []

    services.agenda_complete(by=cast.bob, key=key_of(step(shared, StepSlug.CALL)))
    touch = step(shared, StepSlug.CALL).touch
    assert touch is not None
    assert touch.by == cast.bob


def test_nobody_completes_or_snoozes_a_step_of_a_partner_they_cannot_see(cast: Cast) -> None:
    call = step(send(cast.alice, cast.alice_private, days_ago=1), StepSlug.CALL)

    for outsider in (cast.bob, cast.carol, cast.mallory):
        with pytest.raises(Http404):
            services.agenda_complete(by=outsider, key=key_of(call))
        with pytest.raises(Http404):
            services.agenda_snooze(by=outsider, key=key_of(call), until=days(2), reason="mine")
    # Naming a partner of one's own does not open someone else's step either.
    forged = item_key("referral_step", cast.mallory_partner.pk, call.pk)
    with pytest.raises(Http404):
        services.agenda_complete(by=cast.mallory, key=forged)
    with pytest.raises(PermissionDenied):
        services.agenda_complete(by=cast.cole, key=key_of(call))
    call.refresh_from_db()
    assert call.done_at is None
    assert not Touch.objects.exists()
    assert not AgendaSnooze.objects.exists()


def test_a_key_naming_another_partner_or_no_step_is_refused(cast: Cast) -> None:
    call = step(send(cast.alice, cast.alice_private, days_ago=1), StepSlug.CALL)

    with pytest.raises(ValidationError) as excinfo:
        services.agenda_complete(
            by=cast.alice, key=item_key("referral_step", cast.alice_shared.pk, call.pk)
        )
    assert excinfo.value.message_dict == {"key": [UNKNOWN_AGENDA_ITEM]}
    for reference in ("abc", call.pk + 1000):
        with pytest.raises(Http404):
            services.agenda_complete(
                by=cast.alice, key=item_key("referral_step", cast.alice_private.pk, reference)
            )
    call.refresh_from_db()
    assert call.done_at is None


# --- Completing and snoozing ----------------------------------------------------------------


def test_completing_a_step_on_the_agenda_logs_the_touch_of_its_kind(cast: Cast) -> None:
    referral = send(cast.alice, cast.alice_private, days_ago=20)
    for slug in (StepSlug.CALL, StepSlug.EMAIL):
        referral_step_complete(step=step(referral, slug), by=cast.alice, occurred_at=ago(20))
    (item,) = steps_on_agenda(cast.alice)
    assert item.due == days(-6)

    done = services.agenda_complete(
        by=cast.alice,
        key=item.key,
        summary="Went with the client to meet the CPA",
        occurred_at=ago(1),
    )

    assert isinstance(done, ReferralStep)
    assert done.slug == StepSlug.ESCORT
    assert done.touch is not None
    assert (done.touch.kind, done.touch.summary) == (
        TouchKind.MEETING,
        "Went with the client to meet the CPA",
    )
    assert timezone.localdate(done.touch.occurred_at) == days(-1)
    (item,) = steps_on_agenda(cast.alice)
    assert item.object_id == step(referral, StepSlug.THANK_YOU).pk
    assert item.due == days(1)  # two days after the escort


def test_a_snoozed_step_leaves_the_agenda_until_its_day_and_completing_clears_the_snooze(
    cast: Cast,
) -> None:
    send(cast.alice, cast.alice_private, days_ago=1)
    (item,) = steps_on_agenda(cast.alice)

    services.agenda_snooze(by=cast.alice, key=item.key, until=days(3), reason="Client travelling")

    assert steps_on_agenda(cast.alice) == []
    assert agenda_for(cast.alice).snoozed == 1
    assert [i.key for i in steps_on_agenda(cast.alice, today=days(3))] == [item.key]

    services.agenda_complete(by=cast.alice, key=item.key)
    assert not AgendaSnooze.objects.exists()


def test_completing_a_step_already_done_is_refused_and_logs_no_second_touch(cast: Cast) -> None:
    send(cast.alice, cast.alice_private, days_ago=1)
    (item,) = steps_on_agenda(cast.alice)

    services.agenda_complete(by=cast.alice, key=item.key)
    with pytest.raises(Conflict) as excinfo:
        services.agenda_complete(by=cast.alice, key=item.key)  # an agenda page left open

    assert excinfo.value.message_dict == {"key": [AGENDA_ITEM_DONE]}
    assert Touch.objects.count() == 1


# --- The web agenda -------------------------------------------------------------------------


def test_the_web_agenda_shows_the_step_with_the_referral_and_a_done_button(cast: Cast) -> None:
    referral = send(cast.alice, cast.alice_private, days_ago=1)
    call = step(referral, StepSlug.CALL)

    page = client_for(cast.alice).get("/agenda/").content.decode()

    row = page[page.index(f'id="item-referral_step-{cast.alice_private.pk}-{call.pk}"') :]
    row = row[: row.index("</li>")]
    assert escape(f"Call the partner about the client: {NEED}") in row
    assert "Sent referral · step 1 of 5" in row
    assert f'href="/referrals/{referral.pk}/"' in row
    assert 'name="action" value="done"' in row
    assert 'name="touch_kind"' not in row  # the step logs the touch of its own kind
    assert 'value="drop"' in row  # Skip


def test_done_on_the_web_agenda_completes_the_step_and_logs_its_touch(cast: Cast) -> None:
    referral = send(cast.alice, cast.alice_private, days_ago=1)
    call = step(referral, StepSlug.CALL)

    response = client_for(cast.alice).post(
        "/agenda/complete/", {"key": key_of(call), "action": "done"}, headers=htmx("agenda")
    )

    assert response.status_code == 200
    assert shows(response, "Done: Call the partner about the client. Logged: Call with Priya")
    call.refresh_from_db()
    assert call.done_at is not None
    assert call.touch is not None
    assert call.touch.kind == TouchKind.CALL
    # The agenda redrawn in place already shows the next step.
    email = step(referral, StepSlug.EMAIL)
    assert f"item-referral_step-{cast.alice_private.pk}-{email.pk}" in response.content.decode()


def test_skip_on_the_web_agenda_skips_the_step_without_a_touch(cast: Cast) -> None:
    referral = send(cast.alice, cast.alice_private, days_ago=1)
    call = step(referral, StepSlug.CALL)
    client = client_for(cast.alice)
    assert ">Skip<" in client.get("/agenda/").content.decode()

    response = client.post(
        "/agenda/complete/", {"key": key_of(call), "action": "drop"}, headers=htmx("agenda")
    )

    assert shows(response, "Skipped: Call the partner about the client")
    call.refresh_from_db()
    assert (call.skipped_at is not None, call.done_at, call.touch) == (True, None, None)
    assert not Touch.objects.filter(partner=cast.alice_private).exists()
    email = step(referral, StepSlug.EMAIL)
    assert f"item-referral_step-{cast.alice_private.pk}-{email.pk}" in response.content.decode()


def test_nobody_skips_a_step_of_a_partner_they_cannot_see(cast: Cast) -> None:
    call = step(send(cast.alice, cast.alice_private, days_ago=1), StepSlug.CALL)
    for who in (cast.mallory, cast.bob):
        response = client_for(who).post(
            "/agenda/complete/", {"key": key_of(call), "action": "drop"}
        )
        assert response.status_code == 404, who
    call.refresh_from_db()
    assert call.skipped_at is None


def test_done_without_javascript_returns_to_the_agenda(cast: Cast) -> None:
    call = step(send(cast.alice, cast.alice_private, days_ago=1), StepSlug.CALL)

    response = client_for(cast.alice).post(
        "/agenda/complete/", {"key": key_of(call), "action": "done"}
    )

    assert (response.status_code, response["Location"]) == (302, "/agenda/")
    assert Touch.objects.get().kind == TouchKind.CALL


def test_mallory_cannot_complete_alices_step_on_the_web(cast: Cast) -> None:
    call = step(send(cast.alice, cast.alice_private, days_ago=1), StepSlug.CALL)

    response = client_for(cast.mallory).post(
        "/agenda/complete/", {"key": key_of(call), "action": "done"}
    )

    assert response.status_code == 404
    assert not Touch.objects.exists()


def test_the_referral_page_says_when_the_next_step_is_due(cast: Cast) -> None:
    referral = send(cast.alice, cast.alice_private, days_ago=3)
    referral_step_complete(step=step(referral, StepSlug.CALL), by=cast.alice, occurred_at=ago(3))

    page = client_for(cast.alice).get(f"/referrals/{referral.pk}/").content.decode()

    assert f'next, due <time datetime="{days(-2):%Y-%m-%d}">' in page
    assert "(overdue)" in page
    assert page.count("next, due") == 1
    found = next_step_of(referral, list(steps_of(referral=referral)))
    assert found is not None
    assert (found.step.slug, found.number, found.total, found.due) == ("email", 2, 5, days(-2))


# --- The API and the CLI --------------------------------------------------------------------


def test_the_api_lists_completes_and_snoozes_steps_by_their_key(cast: Cast) -> None:
    referral = send(cast.alice, cast.alice_private, days_ago=2)
    call = step(referral, StepSlug.CALL)
    api = token_client(cast.alice)

    agenda = api.call("GET", "agenda").json()
    (item,) = [i for i in agenda["overdue"] if i["source"] == "referral_step"]
    assert item == {
        "key": key_of(call),
        "source": "referral_step",
        "partner": {"id": cast.alice_private.pk, "name": "Priya Private"},
        "title": f"Call the partner about the client: {NEED}",
        "due": days(-2).isoformat(),
        "at": None,
        "owner": "advisor",
        "detail": "Sent referral · step 1 of 5",
        "object_id": call.pk,
        "overdue": True,
    }

    response = api.call(
        "POST", f"agenda/{item['key']}/complete", {"summary": "Called about the estate plan"}
    )
    assert response.status_code == 200, response.json()
    call.refresh_from_db()
    assert call.touch is not None
    assert response.json() == {
        "key": item["key"],
        "source": "referral_step",
        "detail": "Call the partner about the client",
        "touch_id": call.touch.pk,
    }
    assert (call.touch.kind, call.touch.summary) == ("call", "Called about the estate plan")

    email = step(referral, StepSlug.EMAIL)
    response = api.call(
        "POST",
        f"agenda/{key_of(email)}/snooze",
        {"until": days(3).isoformat(), "reason": "Waiting for the client's documents"},
    )
    assert response.status_code == 200, response.json()
    after = api.call("GET", "agenda").json()
    assert (after["count"], after["snoozed"]) == (0, 1)


def test_the_api_refuses_a_step_of_someone_elses_partner(cast: Cast) -> None:
    call = step(send(cast.alice, cast.alice_private, days_ago=1), StepSlug.CALL)
    mallory = token_client(cast.mallory)

    assert mallory.call("POST", f"agenda/{key_of(call)}/complete", {}).status_code == 404
    forged = item_key("referral_step", cast.mallory_partner.pk, call.pk)
    assert mallory.call("POST", f"agenda/{forged}/complete", {}).status_code == 404
    body = {"until": days(2).isoformat(), "reason": "x"}
    assert mallory.call("POST", f"agenda/{key_of(call)}/snooze", body).status_code == 404
    call.refresh_from_db()
    assert call.done_at is None


def test_the_cli_agenda_lists_the_next_step(cast: Cast) -> None:
    call = step(send(cast.alice, cast.alice_private, days_ago=1), StepSlug.CALL)

    out = io.StringIO()
    call_command("agenda", "--user", "alice", "--json", stdout=out)
    (entry,) = json.loads(out.getvalue())
    assert (entry["source"], entry["key"], entry["object_id"]) == (
        "referral_step",
        key_of(call),
        call.pk,
    )
    assert entry["detail"] == "Sent referral · step 1 of 5"
    assert entry["overdue"] is True

    out = io.StringIO()
    call_command("agenda", "--user", "alice", stdout=out)
    text = out.getvalue()
    assert f"Call the partner about the client: {NEED} — Priya Private" in text
    assert key_of(call) in text


# --- The weekly digest ----------------------------------------------------------------------


def test_the_weekly_digest_lists_the_steps_due_with_a_link_to_the_referral(cast: Cast) -> None:
    referral = send(cast.alice, cast.alice_private, days_ago=2)

    rendered = digest_render(advisor=cast.alice)

    title = f"Call the partner about the client: {NEED}"
    assert [i.title for i in rendered.digest.agenda.overdue] == [title]
    assert rendered.subject.startswith("Your week: 1 overdue")
    assert title in rendered.text
    assert "Sent referral · step 1 of 5" in rendered.text
    link = f'href="http://127.0.0.1:8000/referrals/{referral.pk}/" style="'
    assert link in rendered.html
    assert f">{title}</a>" in unescape(rendered.html)


# --- Cost -----------------------------------------------------------------------------------


def referrals_in_flight(owner: Any, n: int) -> None:
    for i in range(n):
        referral = send(owner, PartnerFactory(owner=owner, team=None), days_ago=i + 1)
        if i % 2:
            referral_step_complete(step=step(referral, StepSlug.CALL), by=owner)
        if i % 3 == 2:
            referral_step_skip(step=step(referral, StepSlug.EMAIL), by=owner)


def test_the_agenda_costs_the_same_queries_for_1_or_10_referrals_in_flight(cast: Cast) -> None:
    referrals_in_flight(cast.alice, 1)
    with CaptureQueriesContext(connection) as one:
        assert len(steps_on_agenda(cast.alice)) == 1
    referrals_in_flight(cast.alice, 9)
    with CaptureQueriesContext(connection) as ten:
        assert len(steps_on_agenda(cast.alice, horizon_days=30)) == 10

    assert len(ten) == len(one)
    steps = [q["sql"] for q in ten.captured_queries if "referrals_referralstep" in q["sql"]]
    assert len(steps) == 1
