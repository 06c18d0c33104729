"""A partner's stage history, touches and commitments through the API."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from reciprocity.api.schemas.commitments import NOT_CLEARED
from reciprocity.dates import IN_THE_FUTURE
from reciprocity.partners.models import Commitment, CommitmentStatus, Stage, StageChange, Touch
from reciprocity.partners.services import (
    RETIRED_NEEDS_REASON,
    SAME_STAGE,
    partner_change_stage,
)
from tests.api_client import ApiClient, token_client
from tests.conftest import Cast
from tests.factories import CommitmentFactory, TouchFactory


@pytest.fixture
def api(cast: Cast) -> ApiClient:
    return token_client(cast.alice)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.json()
    return response.json()


# --- Stage ------------------------------------------------------------------------------------
def test_a_stage_change_is_recorded_and_listed_newest_first(cast: Cast, api: ApiClient) -> None:
    partner = cast.alice_private
    when = timezone.now() - dt.timedelta(days=3)

    change = ok(
        api.call(
            "POST",
            f"partners/{partner.pk}/stage",
            {"stage": "qualified", "note": "Serves our niche", "occurred_at": when.isoformat()},
        ),
        201,
    )
    assert change["stage"] == "qualified"
    assert change["from_stage"] == "identified"
    assert change["reason"] is None
    assert change["by"]["username"] == "alice"
    ok(api.call("POST", f"partners/{partner.pk}/stage", {"stage": "first_meeting"}), 201)

    history = ok(api.call("GET", f"partners/{partner.pk}/stage"))
    assert history["count"] == 2
    assert [item["stage"] for item in history["items"]] == ["first_meeting", "qualified"]
    detail = ok(api.call("GET", f"partners/{partner.pk}"))
    assert detail["stage"] == "first_meeting"


def test_retiring_a_partner_takes_a_failure_reason(cast: Cast, api: ApiClient) -> None:
    partner = cast.alice_private
    change = ok(
        api.call(
            "POST",
            f"partners/{partner.pk}/stage",
            {"stage": "retired", "reason": "wrong_professional", "note": "Never refers"},
        ),
        201,
    )
    assert change["reason"] == "wrong_professional"


def test_retiring_without_a_reason_changes_nothing_and_says_why(cast: Cast, api: ApiClient) -> None:
    partner = cast.alice_private
    response = api.call("POST", f"partners/{partner.pk}/stage", {"stage": "retired"})

    assert response.status_code == 422
    assert response.json() == {
        "detail": f"reason: {RETIRED_NEEDS_REASON}",
        "errors": [{"field": "reason", "message": RETIRED_NEEDS_REASON}],
    }
    partner.refresh_from_db()
    assert partner.stage == Stage.IDENTIFIED
    assert not StageChange.objects.filter(partner=partner).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stage": "signed"}, "stage"),
        ({"stage": "retired", "reason": "too_busy"}, "reason"),
        ({"stage": "qualified", "occurred_at": "2024-02-30T10:00:00Z"}, "occurred_at"),
        ({"note": "no stage"}, "stage"),
    ],
)
def test_a_bad_stage_change_is_refused_naming_the_field(
    cast: Cast, api: ApiClient, body: dict[str, Any], field: str
) -> None:
    partner = cast.alice_private
    response = api.call("POST", f"partners/{partner.pk}/stage", body)

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]
    partner.refresh_from_db()
    assert partner.stage == Stage.IDENTIFIED


def test_moving_to_the_current_stage_is_refused(cast: Cast, api: ApiClient) -> None:
    response = api.call("POST", f"partners/{cast.alice_private.pk}/stage", {"stage": "identified"})
    assert response.status_code == 422
    assert response.json()["detail"] == f"stage: {SAME_STAGE}"


def test_a_stage_change_in_the_future_is_refused(cast: Cast, api: ApiClient) -> None:
    later = (timezone.now() + dt.timedelta(days=2)).isoformat()
    response = api.call(
        "POST",
        f"partners/{cast.alice_private.pk}/stage",
        {"stage": "qualified", "occurred_at": later},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == f"occurred_at: {IN_THE_FUTURE}"


# --- Touches ----------------------------------------------------------------------------------
def test_a_touch_is_logged_now_by_default_and_counted(cast: Cast, api: ApiClient) -> None:
    partner = cast.alice_shared
    touch = ok(
        api.call("POST", f"partners/{partner.pk}/touches", {"kind": "call", "summary": "Intro"}),
        201,
    )

    assert touch["kind"] == "call"
    assert touch["by"]["username"] == "alice"
    logged = dt.datetime.fromisoformat(touch["occurred_at"])
    assert abs((timezone.now() - logged).total_seconds()) < 60
    detail = ok(api.call("GET", f"partners/{partner.pk}"))
    assert detail["touch_count"] == 1
    assert detail["last_touch_at"] == touch["occurred_at"]


def test_a_past_touch_can_be_entered(cast: Cast, api: ApiClient) -> None:
    partner = cast.alice_shared
    then = (timezone.now() - dt.timedelta(days=400)).replace(microsecond=0)
    body = {"kind": "meeting", "summary": "Lunch", "occurred_at": then.isoformat()}
    ok(api.call("POST", f"partners/{partner.pk}/touches", body), 201)
    assert Touch.objects.get(partner=partner).occurred_at == then


def test_touches_are_listed_newest_first_and_paginated(cast: Cast, api: ApiClient) -> None:
    partner = cast.alice_shared
    now = timezone.now()
    for days in (9, 1, 5):
        TouchFactory(partner=partner, occurred_at=now - dt.timedelta(days=days), summary=f"{days}")

    page = ok(api.call("GET", f"partners/{partner.pk}/touches?limit=2"))
    assert page["count"] == 3
    assert [item["summary"] for item in page["items"]] == ["1", "5"]


def test_the_touch_list_runs_a_constant_number_of_queries(
    cast: Cast, api: ApiClient, django_assert_max_num_queries: Any
) -> None:
    TouchFactory.create_batch(20, partner=cast.alice_shared)
    api.call("GET", "partners?limit=1")
    with django_assert_max_num_queries(4):
        ok(api.call("GET", f"partners/{cast.alice_shared.pk}/touches"))


# --- Commitments ------------------------------------------------------------------------------
def test_a_commitment_is_added_and_becomes_the_next_step(cast: Cast, api: ApiClient) -> None:
    partner = cast.alice_shared
    due = timezone.localdate() + dt.timedelta(days=5)
    created = ok(
        api.call(
            "POST",
            f"partners/{partner.pk}/commitments",
            {"what": "Introduce us to the business owners' association", "due": due.isoformat(),
             "owner": "partner"},
        ),
        201,
    )  # fmt: skip

    assert created["status"] == "open"
    assert created["owner"] == "partner"
    assert created["partner"] == {"id": partner.pk, "name": "Sam Shared"}
    assert created["overdue"] is False
    next_step = ok(api.call("GET", f"partners/{partner.pk}"))["next_step"]
    assert next_step["id"] == created["id"]
    assert next_step["owner"] == "partner"
    listed = ok(api.call("GET", f"partners/{partner.pk}/commitments"))
    assert listed["count"] == 1
    assert ok(api.call("GET", f"commitments/{created['id']}")) == created


def test_a_commitment_owner_defaults_to_the_advisor(cast: Cast, api: ApiClient) -> None:
    body = {"what": "Send the article", "due": timezone.localdate().isoformat()}
    created = ok(api.call("POST", f"partners/{cast.alice_shared.pk}/commitments", body), 201)
    assert created["owner"] == "advisor"


@pytest.mark.parametrize(
    ("records", "body", "field"),
    [
        ("touches", {"kind": "smoke_signal", "summary": "Hi"}, "kind"),
        ("touches", {"kind": "call"}, "summary"),
        ("touches", {"kind": "call", "summary": ""}, "summary"),
        ("touches", {"kind": "call", "summary": "Hi", "occurred_at": "yesterday"}, "occurred_at"),
        ("commitments", {"what": "Call", "due": "2025-02-30"}, "due"),
        ("commitments", {"what": "Call", "due": "next week"}, "due"),
        ("commitments", {"what": "Call"}, "due"),
        ("commitments", {"what": "", "due": "2030-01-01"}, "what"),
        ("commitments", {"what": "Call", "due": "2030-01-01", "owner": "client"}, "owner"),
    ],
)
def test_a_bad_touch_or_commitment_is_refused_and_nothing_is_saved(
    cast: Cast, api: ApiClient, records: str, body: dict[str, Any], field: str
) -> None:
    response = api.call("POST", f"partners/{cast.alice_shared.pk}/{records}", body)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert not Touch.objects.exists()
    assert not Commitment.objects.exists()


def test_a_commitment_is_edited_field_by_field(cast: Cast, api: ApiClient) -> None:
    commitment = CommitmentFactory(partner=cast.alice_shared, what="Call")
    later = timezone.localdate() + dt.timedelta(days=30)
    body = ok(api.call("PATCH", f"commitments/{commitment.pk}", {"due": later.isoformat()}))
    assert body["due"] == later.isoformat()
    assert body["what"] == "Call"
    assert body["status"] == "open"


@pytest.mark.parametrize("field", ["what", "due", "owner", "status"])
def test_a_commitments_field_is_refused_null_not_ignored(
    cast: Cast, api: ApiClient, field: str
) -> None:
    commitment = CommitmentFactory(partner=cast.alice_shared, what="Call")
    response = api.call("PATCH", f"commitments/{commitment.pk}", {field: None})
    assert response.status_code == 422
    assert [(e["field"], NOT_CLEARED in e["message"]) for e in response.json()["errors"]] == [
        (field, True)
    ]
    assert ok(api.call("GET", f"commitments/{commitment.pk}"))["what"] == "Call"


def test_completing_a_commitment_can_log_a_touch(cast: Cast, api: ApiClient) -> None:
    commitment = CommitmentFactory(partner=cast.alice_shared, what="Send the estate article")
    body = ok(
        api.call(
            "PATCH",
            f"commitments/{commitment.pk}",
            {"status": "done", "log_touch": {"kind": "email", "summary": "Sent it"}},
        )
    )

    assert body["status"] == "done"
    assert body["completed_at"] is not None
    touch = Touch.objects.get(partner=cast.alice_shared)
    assert (body["touch_id"], touch.kind, touch.summary) == (touch.pk, "email", "Sent it")
    partner = ok(api.call("GET", f"partners/{cast.alice_shared.pk}"))
    assert partner["touch_count"] == 1
    assert partner["next_step"] is None


def test_dropping_a_commitment_logs_no_touch(cast: Cast, api: ApiClient) -> None:
    commitment = CommitmentFactory(partner=cast.alice_shared)
    assert (
        ok(api.call("PATCH", f"commitments/{commitment.pk}", {"status": "dropped"}))["status"]
        == "dropped"
    )
    assert not Touch.objects.exists()


def test_a_touch_is_logged_only_when_completing(cast: Cast, api: ApiClient) -> None:
    commitment = CommitmentFactory(partner=cast.alice_shared)
    response = api.call(
        "PATCH",
        f"commitments/{commitment.pk}",
        {"status": "dropped", "log_touch": {"kind": "call"}},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "log_touch"
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.OPEN
    assert not Touch.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "finished"}, "status"),
        ({"due": "tomorrow"}, "due"),
        ({"status": "done", "log_touch": {"kind": "pigeon"}}, "log_touch.kind"),
        ({"what": ""}, "what"),
    ],
)
def test_a_bad_commitment_update_changes_nothing(
    cast: Cast, api: ApiClient, body: dict[str, Any], field: str
) -> None:
    commitment = CommitmentFactory(partner=cast.alice_shared, what="Call")
    response = api.call("PATCH", f"commitments/{commitment.pk}", body)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]
    commitment.refresh_from_db()
    assert (commitment.status, commitment.what) == (CommitmentStatus.OPEN, "Call")


def test_a_commitment_list_runs_a_constant_number_of_queries(
    cast: Cast, api: ApiClient, django_assert_max_num_queries: Any
) -> None:
    CommitmentFactory.create_batch(20, partner=cast.alice_shared)
    api.call("GET", "partners?limit=1")
    with django_assert_max_num_queries(4):
        ok(api.call("GET", f"partners/{cast.alice_shared.pk}/commitments"))


def test_the_stage_history_includes_changes_made_elsewhere(cast: Cast, api: ApiClient) -> None:
    partner_change_stage(partner=cast.alice_shared, by=cast.alice, stage=Stage.QUALIFIED)
    history = ok(api.call("GET", f"partners/{cast.alice_shared.pk}/stage"))
    assert [item["stage"] for item in history["items"]] == ["qualified"]
