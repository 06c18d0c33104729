"""Referrals through the API: logged both ways, walked along their lifecycle and the sending
protocol, kept private until the client consents, counted in the partners' balance, and visible
exactly when their partner is."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.accounts.services import READ_ONLY_ROLE
from reciprocity.api.errors import FIELD_UNKNOWN
from reciprocity.api.referrals import ONLY_WHEN_COMPLETING
from reciprocity.api.schemas.common import NUL_IN_TEXT
from reciprocity.dates import IN_THE_FUTURE
from reciprocity.partners.models import Commitment, Partner, Profession, Stage, Touch
from reciprocity.partners.selectors import NOT_FOUND as PARTNER_NOT_FOUND
from reciprocity.partners.services import ARCHIVED_PARTNER
from reciprocity.referrals.models import (
    PROTOCOL_REPEATED_STEP,
    ProtocolTemplate,
    Referral,
    ReferralStatusChange,
    ReferralStep,
    default_protocol,
)
from reciprocity.referrals.selectors import REFERRAL_NOT_FOUND, STEP_NOT_FOUND, balance_for
from reciprocity.referrals.services.ledger import (
    ARCHIVED_REFERRAL,
    CONSENT_ONLY_SENT,
    CONSENT_REQUIRED,
    NEED_REQUIRED,
    NEGATIVE_VALUE,
    REASON_REQUIRED,
    TRANSITION_NOT_ALLOWED,
)
from reciprocity.referrals.services.protocols import NOT_FIRM_ADMIN
from reciprocity.referrals.services.steps import STEP_DONE
from tests.api_client import ApiClient, token_client
from tests.conftest import Cast
from tests.factories import PartnerFactory, ReferralFactory

NAME = "Ann Lee"
CONTACT = "ann.lee@example.com"
DAY = dt.timedelta(days=1)


@pytest.fixture
def api(cast: Cast) -> ApiClient:
    return token_client(cast.alice)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.json()
    return response.json()


def log(api: ApiClient, partner: Partner, direction: str = "sent", **body: Any) -> Any:
    payload = {"partner": partner.pk, "direction": direction, "need": "Estate plan", **body}
    return ok(api.call("POST", "referrals", payload), 201)


def ago(days: float) -> str:
    return (timezone.now() - days * DAY).isoformat()


def needs(response: Any) -> list[str]:
    return [item["need"] for item in ok(response)["items"]]


def snapshot() -> tuple[Any, ...]:
    """Everything a referral endpoint could change."""
    return (
        list(
            Referral.objects.order_by("pk").values_list(
                "pk", "need", "notes", "status", "archived_at", "consent_at", "client_name"
            )
        ),
        ReferralStatusChange.objects.count(),
        list(ReferralStep.objects.order_by("pk").values_list("pk", "done_at", "skipped_at")),
        Touch.objects.filter(archived_at__isnull=True).count(),
        Commitment.objects.count(),
        list(ProtocolTemplate.objects.order_by("pk").values_list("pk", "steps")),
    )


# --- Logging and reading ----------------------------------------------------------------------
def test_a_sent_referral_is_logged_with_the_protocol_steps_and_read_back(
    cast: Cast, api: ApiClient
) -> None:
    body = log(
        api,
        cast.alice_private,
        need="  Estate plan for a widowed client  ",
        notes="Sold her business last year.",
        estimated_value="2500",
        client_has_professional="no",
        consultation_fee="yes",
        consultation_fee_note="$300, credited if engaged",
    )

    assert body["partner"] == {"id": cast.alice_private.pk, "name": "Priya Private"}
    assert (body["direction"], body["kind"], body["status"]) == ("sent", "referral", "proposed")
    assert body["need"] == "Estate plan for a widowed client"
    assert body["estimated_value"] == "2500.00"
    assert (body["client_has_professional"], body["consultation_fee"]) == ("no", "yes")
    assert [step["slug"] for step in body["steps"]] == [
        "call", "email", "escort", "thank_you", "check_in"
    ]  # fmt: skip
    assert all(step["state"] == "open" for step in body["steps"])
    assert body["next_statuses"] == [
        "consent_given", "introduced", "meeting_held", "engaged", "declined", "lost"
    ]  # fmt: skip
    assert body["outcome"] == {
        "status": "proposed", "closed_at": None, "days_open": 0, "succeeded": None, "reason": ""
    }  # fmt: skip
    assert (body["consent_at"], body["consent_method"], body["may_identify_client"]) == (
        None,
        None,
        False,
    )
    assert body["by"]["username"] == "alice"
    assert ok(api.call("GET", f"referrals/{body['id']}")) == body


def test_a_received_referral_prompts_a_thank_you_and_a_report_back(
    cast: Cast, api: ApiClient
) -> None:
    body = log(
        api, cast.alice_private, "received", need="Retirement income", client_name=NAME,
        client_contact=CONTACT,
    )  # fmt: skip

    assert (body["status"], body["client_name"], body["may_identify_client"]) == (
        "received",
        NAME,
        True,
    )
    assert body["steps"] == []
    prompted = Commitment.objects.filter(
        pk__in=[body["thank_you_commitment_id"], body["report_back_commitment_id"]]
    )
    assert prompted.count() == 2
    partner = ok(api.call("GET", f"partners/{cast.alice_private.pk}"))
    assert partner["next_step"]["id"] == body["thank_you_commitment_id"]


def test_history_is_entered_in_the_past_with_its_outcome_and_no_prompts(
    cast: Cast, api: ApiClient
) -> None:
    body = log(
        api,
        cast.alice_private,
        "received",
        status="not_a_fit",
        reason="Wanted a discount broker",
        occurred_at=ago(200),
    )

    assert body["outcome"]["succeeded"] is False
    assert body["outcome"]["reason"] == "Wanted a discount broker"
    assert body["outcome"]["closed_at"] == body["occurred_at"]  # entered closed
    assert body["next_statuses"] == []
    assert body["thank_you_commitment_id"] is None
    assert not Commitment.objects.exists()


def test_the_list_filters_by_partner_direction_kind_status_state_and_search(
    cast: Cast, api: ApiClient
) -> None:
    log(api, cast.alice_private, need="Estate plan", occurred_at=ago(3))
    log(api, cast.alice_shared, "received", need="Business sale", occurred_at=ago(2))
    log(api, cast.alice_shared, "received", kind="connection", need="Rotary club",
        status="meeting_held", occurred_at=ago(1))  # fmt: skip

    assert needs(api.call("GET", "referrals")) == ["Rotary club", "Business sale", "Estate plan"]
    assert needs(api.call("GET", f"referrals?partner={cast.alice_private.pk}")) == ["Estate plan"]
    assert needs(api.call("GET", "referrals?direction=sent")) == ["Estate plan"]
    assert needs(api.call("GET", "referrals?kind=connection")) == ["Rotary club"]
    assert needs(api.call("GET", "referrals?status=received")) == ["Business sale"]
    assert needs(api.call("GET", "referrals?state=closed")) == ["Rotary club"]
    assert needs(api.call("GET", "referrals?state=open")) == ["Business sale", "Estate plan"]
    assert needs(api.call("GET", "referrals?q=sam")) == ["Rotary club", "Business sale"]
    assert needs(api.call("GET", "referrals?q=estate")) == ["Estate plan"]


def test_the_list_is_paginated_and_refuses_unknown_filter_values(
    cast: Cast, api: ApiClient
) -> None:
    for index in range(5):
        log(api, cast.alice_private, need=f"Need {index}", occurred_at=ago(10 - index))

    page = ok(api.call("GET", "referrals?limit=2&offset=1"))
    assert page["count"] == 5
    assert [item["need"] for item in page["items"]] == ["Need 3", "Need 2"]

    response = api.call("GET", "referrals?direction=both&state=pending")
    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {"direction", "state"}
    nul = api.call("GET", "referrals?q=estate%00")
    assert nul.status_code == 422
    assert NUL_IN_TEXT in nul.json()["detail"]
    too_big = api.call("GET", f"referrals?partner={2**63}")
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["field"] == "partner"


def test_a_referral_is_updated_field_by_field(cast: Cast, api: ApiClient) -> None:
    referral = log(api, cast.alice_private, notes="First notes")

    body = ok(
        api.call(
            "PATCH",
            f"referrals/{referral['id']}",
            {"need": "Trust for a grandchild", "client_has_professional": "yes",
             "existing_relationship": "A CPA who retired", "estimated_value": None},
        )
    )  # fmt: skip

    assert body["need"] == "Trust for a grandchild"
    assert body["client_has_professional"] == "yes"
    assert body["notes"] == "First notes"  # not sent, not changed
    refused = api.call("PATCH", f"referrals/{referral['id']}", {"status": "engaged"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "status", "message": FIELD_UNKNOWN}]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"need": "   "}, "need", NEED_REQUIRED),
        ({"direction": "both"}, "direction", "Input should be 'sent' or 'received'"),
        ({"kind": "favour"}, "kind", "Input should be 'referral' or 'connection'"),
        ({"status": "received"}, "status", "A sent referral has no status 'received'"),
        ({"status": "lost"}, "reason", REASON_REQUIRED),
        ({"status": "consent_given"}, "status", "Record the client's consent"),
        ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at", IN_THE_FUTURE),
        ({"estimated_value": -5}, "estimated_value", NEGATIVE_VALUE),
        ({"estimated_value": "a lot"}, "estimated_value", ""),
        ({"direction": "received", "consent_method": "verbal"}, "consent_method",
         CONSENT_ONLY_SENT),
        ({"client_name": NAME}, "client_name", CONSENT_REQUIRED),
        ({"client_contact": CONTACT}, "client_contact", CONSENT_REQUIRED),
        ({"consent_at": ago(1), "client_name": NAME}, "consent_method", "Say how the client"),
        ({"partner": 987654}, "partner", PARTNER_NOT_FOUND),
        ({"client": NAME}, "client", FIELD_UNKNOWN),
        ({"need": "Estate\u0000plan"}, "need", NUL_IN_TEXT),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_the_field_named_and_nothing_saved(
    cast: Cast, api: ApiClient, body: dict[str, Any], field: str, message: str
) -> None:
    before = snapshot()
    payload = {"partner": cast.alice_private.pk, "direction": "sent", "need": "Estate plan"}
    response = api.call("POST", "referrals", {**payload, **body})

    assert response.status_code == 422
    result = response.json()
    assert [error["field"] for error in result["errors"]] == [field]
    assert message in result["errors"][0]["message"]
    assert result["detail"].startswith(f"{field}: ")
    assert snapshot() == before


def test_a_referral_with_an_archived_partner_is_refused(cast: Cast, api: ApiClient) -> None:
    ok(api.call("POST", f"partners/{cast.alice_private.pk}/archive"))
    response = api.call(
        "POST",
        "referrals",
        {"partner": cast.alice_private.pk, "direction": "received", "need": "Tax planning"},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "partner", "message": ARCHIVED_PARTNER}]
    assert not Referral.objects.exists()


# --- Privacy ----------------------------------------------------------------------------------
def test_the_client_is_not_named_without_consent_and_nothing_is_saved(
    cast: Cast, api: ApiClient
) -> None:
    before = snapshot()
    response = api.call(
        "POST",
        "referrals",
        {"partner": cast.alice_private.pk, "direction": "sent", "need": "Estate plan",
         "client_name": NAME},
    )  # fmt: skip

    assert response.status_code == 422
    assert response.json()["detail"] == f"client_name: {CONSENT_REQUIRED}"
    assert snapshot() == before

    referral = log(api, cast.alice_private)
    refused = api.call("PATCH", f"referrals/{referral['id']}", {"client_name": NAME})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "client_name", "message": CONSENT_REQUIRED}]
    assert Referral.objects.get(pk=referral["id"]).client_name == ""


def test_consent_allows_the_identity_and_withdrawing_it_forgets_it(
    cast: Cast, api: ApiClient
) -> None:
    referral = log(api, cast.alice_private, occurred_at=ago(3))
    path = f"referrals/{referral['id']}"

    consented = ok(
        api.call(
            "POST",
            f"{path}/consent",
            {"method": "written", "consent_at": ago(1), "client_name": NAME},
        )
    )
    assert consented["status"] == "consent_given"
    assert consented["consent_method"] == "written"
    assert consented["client_name"] == NAME
    contact = ok(api.call("PATCH", path, {"client_contact": CONTACT}))
    assert contact["client_contact"] == CONTACT
    draft = ok(api.call("GET", f"{path}/email-draft"))
    assert NAME in draft["subject"]
    assert CONTACT in draft["body"]

    withdrawn = ok(api.call("POST", f"{path}/consent/withdraw"))
    assert (withdrawn["client_name"], withdrawn["client_contact"]) == ("", "")
    assert (withdrawn["consent_at"], withdrawn["may_identify_client"]) == (None, False)
    draft = ok(api.call("GET", f"{path}/email-draft"))
    assert draft["subject"].startswith("Hypothetical referral")


def test_consent_is_refused_for_a_received_referral(cast: Cast, api: ApiClient) -> None:
    referral = log(api, cast.alice_private, "received")
    response = api.call("POST", f"referrals/{referral['id']}/consent", {"method": "verbal"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "method", "message": CONSENT_ONLY_SENT}]


def test_the_memo_and_the_email_draft_name_no_one_without_consent(
    cast: Cast, api: ApiClient
) -> None:
    Partner.objects.filter(pk=cast.alice_private.pk).update(email="priya@example.com")
    referral = log(
        api,
        cast.alice_private,
        need="Ann Lee needs an estate plan",
        notes="Reach her at ann.lee@example.com or 555-201-7788.",
        consent_method="verbal",
        client_name=NAME,
    )

    memo = ok(api.call("GET", f"referrals/{referral['id']}/memo"))["text"]
    assert memo.startswith("Hypothetical referral")
    for identifier in ("Ann", "Lee", "ann.lee@example.com", "555-201-7788"):
        assert identifier not in memo

    unconsented = log(
        api, cast.alice_private, need="A widow's estate", notes="Her email: ann.lee@example.com"
    )
    draft = ok(api.call("GET", f"referrals/{unconsented['id']}/email-draft"))
    assert draft["to"] == "priya@example.com"
    assert draft["mailto"].startswith("mailto:priya@example.com?subject=")
    assert draft["subject"] == "Hypothetical referral: A widow's estate"
    assert "ann.lee@example.com" not in draft["body"]
    assert draft["body"].endswith(cast.alice.display_name)


# --- Lifecycle --------------------------------------------------------------------------------
def test_a_sent_referral_walks_its_lifecycle_with_dated_status_changes(
    cast: Cast, api: ApiClient
) -> None:
    referral = log(api, cast.alice_private, occurred_at=ago(30), consent_method="verbal",
                   consent_at=ago(30), status="consent_given")  # fmt: skip
    path = f"referrals/{referral['id']}"

    for status, days in (("introduced", 20), ("meeting_held", 10), ("engaged", 1)):
        body = {"status": status, "occurred_at": ago(days)}
        change = ok(api.call("POST", f"{path}/status", body), 201)
        assert change["status"] == status
        assert change["by"]["username"] == "alice"

    body = ok(api.call("GET", path))
    assert body["status"] == "engaged"
    assert body["next_statuses"] == []
    assert body["outcome"]["succeeded"] is True
    assert body["outcome"]["days_open"] == 29
    history = ok(api.call("GET", f"{path}/status"))
    assert history["count"] == 4
    assert [(item["from_status"], item["status"]) for item in history["items"]] == [
        (None, "consent_given"),
        ("consent_given", "introduced"),
        ("introduced", "meeting_held"),
        ("meeting_held", "engaged"),
    ]

    refused = api.call("POST", f"{path}/status", {"status": "lost", "reason": "Moved away"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["message"] == TRANSITION_NOT_ALLOWED.format(
        current="engaged", status="lost", allowed="nothing, it is closed"
    )


def test_a_failure_needs_a_reason_and_closes_the_referral(cast: Cast, api: ApiClient) -> None:
    referral = log(api, cast.alice_private, "received")
    path = f"referrals/{referral['id']}/status"

    refused = api.call("POST", path, {"status": "lost"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "reason", "message": REASON_REQUIRED}]
    assert ok(api.call("GET", path))["count"] == 1

    ok(api.call("POST", path, {"status": "lost", "reason": "Went with a robo-advisor"}), 201)
    body = ok(api.call("GET", f"referrals/{referral['id']}"))
    assert body["outcome"]["succeeded"] is False
    assert body["outcome"]["reason"] == "Went with a robo-advisor"
    assert needs(api.call("GET", "referrals?state=closed")) == ["Estate plan"]


def test_a_referral_is_archived_and_restored(cast: Cast, api: ApiClient) -> None:
    referral = log(api, cast.alice_private)
    path = f"referrals/{referral['id']}"

    assert ok(api.call("POST", f"{path}/archive"))["archived_at"] is not None
    assert needs(api.call("GET", "referrals")) == []
    assert needs(api.call("GET", "referrals?archived=true")) == ["Estate plan"]
    for method, sub, body in (
        ("PATCH", "", {"notes": "x"}),
        ("POST", "/status", {"status": "introduced"}),
        ("POST", "/steps/call", {"action": "complete"}),
    ):
        refused = api.call(method, path + sub, body)
        assert refused.status_code == 422, sub
        assert refused.json()["detail"] == ARCHIVED_REFERRAL

    assert ok(api.call("POST", f"{path}/restore"))["archived_at"] is None
    assert needs(api.call("GET", "referrals")) == ["Estate plan"]


# --- The sending protocol ---------------------------------------------------------------------
def test_the_five_step_cpa_protocol_puts_five_touches_on_the_partners_timeline(
    cast: Cast, api: ApiClient
) -> None:
    referral = log(api, cast.alice_private, consent_method="verbal")
    path = f"referrals/{referral['id']}"

    steps = ok(api.call("GET", f"{path}/steps"))
    assert [step["slug"] for step in steps["items"]] == [
        "call", "email", "escort", "thank_you", "check_in"
    ]  # fmt: skip
    for step in steps["items"]:
        done = ok(api.call("POST", f"{path}/steps/{step['slug']}", {"action": "complete"}))
        assert done["state"] == "done"
        assert done["touch_id"] is not None

    touches = ok(api.call("GET", f"partners/{cast.alice_private.pk}/touches"))
    assert touches["count"] == 5
    assert sorted(touch["kind"] for touch in touches["items"]) == [
        "call", "call", "email", "meeting", "thank_you"
    ]  # fmt: skip
    partner = ok(api.call("GET", f"partners/{cast.alice_private.pk}"))
    assert partner["touch_count"] == 5
    again = ok(api.call("POST", f"{path}/steps/call", {"action": "complete"}))
    assert again["state"] == "done"
    assert ok(api.call("GET", f"partners/{cast.alice_private.pk}/touches"))["count"] == 5


def test_a_step_is_completed_with_its_date_and_summary(cast: Cast, api: ApiClient) -> None:
    referral = log(api, cast.alice_private, occurred_at=ago(5))
    when = ago(4)
    done = ok(
        api.call(
            "POST",
            f"referrals/{referral['id']}/steps/email",
            {"action": "complete", "occurred_at": when, "summary": "Sent notes on the estate"},
        )
    )
    touch = Touch.objects.get(pk=done["touch_id"])
    assert touch.summary == "Sent notes on the estate"
    assert touch.occurred_at == dt.datetime.fromisoformat(when)


def test_an_attorney_gets_a_conference_call_instead_of_an_escort(
    cast: Cast, api: ApiClient
) -> None:
    attorney = PartnerFactory(owner=cast.alice, profession=Profession.ATTORNEY)
    referral = log(api, attorney)

    assert [step["slug"] for step in referral["steps"]] == [
        "call", "email", "conference_call", "thank_you", "check_in"
    ]  # fmt: skip
    missing = api.call("POST", f"referrals/{referral['id']}/steps/escort", {"action": "complete"})
    assert missing.status_code == 404
    assert missing.json() == {"detail": STEP_NOT_FOUND}
    unknown = api.call("POST", f"referrals/{referral['id']}/steps/lunch", {"action": "complete"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "slug"


def test_a_step_is_skipped_and_reopened_and_its_touch_goes_with_it(
    cast: Cast, api: ApiClient
) -> None:
    referral = log(api, cast.alice_private)
    path = f"referrals/{referral['id']}/steps"

    assert ok(api.call("POST", f"{path}/escort", {"action": "skip"}))["state"] == "skipped"
    refused = api.call("POST", f"{path}/escort", {"action": "skip", "summary": "No need"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "summary", "message": ONLY_WHEN_COMPLETING}]

    ok(api.call("POST", f"{path}/call", {"action": "complete"}))
    done_refused = api.call("POST", f"{path}/call", {"action": "skip"})
    assert done_refused.status_code == 422
    assert done_refused.json()["errors"] == [{"field": "step", "message": STEP_DONE}]
    assert Partner.objects.get(pk=cast.alice_private.pk).touch_count == 1

    reopened = ok(api.call("POST", f"{path}/call", {"action": "reopen"}))
    assert (reopened["state"], reopened["touch_id"]) == ("open", None)
    assert ok(api.call("GET", f"partners/{cast.alice_private.pk}/touches"))["count"] == 0
    bad = api.call("POST", f"{path}/call", {"action": "undo"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "action"


# --- Protocols --------------------------------------------------------------------------------
def test_every_profession_has_a_protocol_and_a_firm_admin_edits_one(cast: Cast) -> None:
    admin = token_client(cast.ada)
    protocols = ok(admin.call("GET", "protocols"))
    assert protocols["count"] == len(Profession.values)
    assert all(item["is_default"] for item in protocols["items"])

    steps = [{"slug": "call", "label": "Call them"}, {"slug": "thank_you", "label": "Thank them"}]
    edited = ok(admin.call("PUT", "protocols/cpa", {"steps": steps}))
    assert (edited["steps"], edited["is_default"]) == (steps, False)

    referral = log(token_client(cast.alice), cast.alice_private)
    assert [step["label"] for step in referral["steps"]] == ["Call them", "Thank them"]

    reset = ok(admin.call("POST", "protocols/cpa/reset"))
    assert reset["steps"] == default_protocol(Profession.CPA)
    assert reset["is_default"] is True
    kept = ok(token_client(cast.alice).call("GET", f"referrals/{referral['id']}"))
    assert len(kept["steps"]) == 2  # a referral keeps the steps it was created with


def test_a_protocol_with_a_repeated_step_is_refused(cast: Cast) -> None:
    admin = token_client(cast.ada)
    steps = [{"slug": "call", "label": "Call"}, {"slug": "call", "label": "Call again"}]
    response = admin.call("PUT", "protocols/attorney", {"steps": steps})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "steps", "message": PROTOCOL_REPEATED_STEP}]
    assert not ProtocolTemplate.objects.exists()


@pytest.mark.parametrize("who", ["alice", "cole"])
def test_only_a_firm_admin_changes_the_protocols(cast: Cast, who: str) -> None:
    api = token_client(getattr(cast, who))
    steps = [{"slug": "call", "label": "Call"}]
    for method, path, body in (
        ("PUT", "protocols/cpa", {"steps": steps}),
        ("POST", "protocols/cpa/reset", None),
    ):
        response = api.call(method, path, body)
        assert response.status_code == 403
        assert response.json() == {"detail": NOT_FIRM_ADMIN}
    assert not ProtocolTemplate.objects.exists()


# --- The reciprocity balance ------------------------------------------------------------------
def balance_of(api: ApiClient, partner: Partner) -> dict[str, Any]:
    return ok(api.call("GET", f"partners/{partner.pk}"))


def test_the_balance_on_partners_follows_the_ledger(cast: Cast, api: ApiClient) -> None:
    partner = cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(stage=Stage.FIRST_MEETING)
    sent = [
        log(api, partner, occurred_at=ago(days), consent_method="verbal") for days in (10, 20, 500)
    ]
    received = [
        log(api, partner, "received", occurred_at=ago(days), follow_up=False) for days in (5, 400)
    ]
    log(api, partner, kind="connection", occurred_at=ago(3))
    log(api, partner, "received", kind="connection", occurred_at=ago(2))

    body = balance_of(api, partner)
    expected = {
        "referrals_sent": 3, "referrals_received": 2, "connections_sent": 1,
        "connections_received": 1, "referrals_sent_12m": 2, "referrals_received_12m": 1,
        "connections_sent_12m": 1, "connections_received_12m": 1,
    }  # fmt: skip
    assert {name: body[name] for name in expected} == expected
    assert body["first_referral_received_at"] == received[1]["occurred_at"]
    assert body["stage_suggestion"]["stage"] == "active"

    # Status changes move no count; archiving takes a referral out, restoring brings it back.
    ok(api.call("POST", f"referrals/{sent[0]['id']}/status", {"status": "introduced"}), 201)
    ok(api.call("POST", f"referrals/{received[1]['id']}/archive"))
    body = balance_of(api, partner)
    assert (body["referrals_sent"], body["referrals_received"]) == (3, 1)
    assert body["first_referral_received_at"] == received[0]["occurred_at"]

    # Two each way in twelve months: referrals flow both ways.
    log(api, partner, "received", occurred_at=ago(1), follow_up=False)
    body = balance_of(api, partner)
    assert body["referrals_received_12m"] == 2
    assert body["stage_suggestion"]["stage"] == "champion"
    listed = ok(api.call("GET", f"partners?q={partner.name}"))["items"][0]
    assert {name: listed[name] for name in expected} == {name: body[name] for name in expected}
    ledger = balance_for(partner)
    assert {name: getattr(ledger, name) for name in expected} == {
        name: body[name] for name in expected
    }
    referral = ok(api.call("GET", f"referrals/{sent[0]['id']}"))
    assert referral["stage_suggestion"] == body["stage_suggestion"]


def test_the_firm_balance_shows_every_advisor_to_an_admin_and_their_own_to_an_advisor(
    cast: Cast, api: ApiClient
) -> None:
    log(api, cast.alice_private)
    log(api, cast.alice_shared, "received", follow_up=False)
    carols = PartnerFactory(owner=cast.carol)
    log(token_client(cast.carol), carols, kind="connection")

    def rows(user: User) -> dict[str, tuple[int, ...]]:
        items = ok(token_client(user).call("GET", "balance"))["items"]
        return {
            row["advisor"]["username"]: (
                row["partners"], row["referrals_sent"], row["referrals_received"],
                row["connections_sent"],
            )
            for row in items
        }  # fmt: skip

    everyone = {"alice": (2, 1, 1, 0), "bob": (0, 0, 0, 0), "carol": (1, 0, 0, 1)}
    assert rows(cast.ada) == everyone
    assert rows(cast.cole) == everyone
    assert rows(cast.alice) == {"alice": (2, 1, 1, 0)}
    assert rows(cast.bob) == {"alice": (1, 0, 1, 0)}  # the shared partner only
    assert rows(cast.carol) == {"carol": (1, 0, 0, 1)}
    assert rows(cast.mallory) == {"mallory": (1, 0, 0, 0)}


# --- Access -----------------------------------------------------------------------------------
def object_endpoints(referral_id: int) -> list[tuple[str, str, Any]]:
    """Every endpoint about one referral, each with a valid request body."""
    r = f"referrals/{referral_id}"
    return [
        ("GET", r, None),
        ("PATCH", r, {"notes": "Changed"}),
        ("POST", f"{r}/archive", None),
        ("POST", f"{r}/restore", None),
        ("GET", f"{r}/status", None),
        ("POST", f"{r}/consent", {"method": "verbal", "client_name": NAME}),
        ("POST", f"{r}/status", {"status": "introduced"}),
        ("POST", f"{r}/consent/withdraw", None),
        ("GET", f"{r}/steps", None),
        ("POST", f"{r}/steps/call", {"action": "complete"}),
        ("GET", f"{r}/memo", None),
        ("GET", f"{r}/email-draft", None),
    ]


Who = Callable[[Cast], User]


@pytest.mark.parametrize(
    ("who", "whose"),
    [
        pytest.param(lambda c: c.mallory, lambda c: c.alice_shared, id="another firm"),
        pytest.param(lambda c: c.carol, lambda c: c.alice_shared, id="colleague not in team"),
        pytest.param(lambda c: c.bob, lambda c: c.alice_private, id="teammate, private"),
        pytest.param(lambda c: c.alice, lambda c: c.mallory_partner, id="mallory's partner"),
        pytest.param(lambda c: c.ada, lambda c: c.mallory_partner, id="admin, other firm"),
        pytest.param(lambda c: c.cole, lambda c: c.mallory_partner, id="compliance, other firm"),
    ],
)
def test_every_referral_endpoint_answers_404_for_a_referral_one_cannot_see(
    cast: Cast, who: Who, whose: Callable[[Cast], Partner]
) -> None:
    partner = whose(cast)
    owner = token_client(partner.owner)
    referral = log(owner, partner)
    api = token_client(who(cast))
    before = snapshot()

    for method, path, body in object_endpoints(referral["id"]):
        response = api.call(method, path, body)
        assert response.status_code == 404, (method, path, response.json())
        assert response.json() == {"detail": REFERRAL_NOT_FOUND}
    assert needs(api.call("GET", f"referrals?partner={partner.pk}")) == []
    created = api.call(
        "POST", "referrals", {"partner": partner.pk, "direction": "sent", "need": "x"}
    )
    assert created.status_code in {403, 422}
    if created.status_code == 422:
        assert created.json()["errors"] == [{"field": "partner", "message": PARTNER_NOT_FOUND}]

    assert snapshot() == before


def test_a_missing_referral_and_a_hidden_one_answer_alike(cast: Cast, api: ApiClient) -> None:
    hidden = log(api, cast.alice_private)
    mallory = token_client(cast.mallory)
    assert (
        mallory.call("GET", f"referrals/{hidden['id']}").json()
        == mallory.call("GET", "referrals/987654").json()
    )


def test_a_teammate_sees_and_works_the_referrals_of_a_shared_partner(
    cast: Cast, api: ApiClient
) -> None:
    shared = log(api, cast.alice_shared, need="Shared need", consent_method="verbal")
    log(api, cast.alice_private, need="Private need")
    bob = token_client(cast.bob)

    assert needs(bob.call("GET", "referrals")) == ["Shared need"]
    step = ok(bob.call("POST", f"referrals/{shared['id']}/steps/call", {"action": "complete"}))
    assert Touch.objects.get(pk=step["touch_id"]).by == cast.bob
    change = ok(bob.call("POST", f"referrals/{shared['id']}/status", {"status": "introduced"}), 201)
    assert change["by"]["username"] == "bob"
    bobs = log(bob, cast.alice_shared, "received", need="From the shared partner")
    assert bobs["by"]["username"] == "bob"
    assert needs(api.call("GET", f"referrals?partner={cast.alice_shared.pk}")) == [
        "From the shared partner",
        "Shared need",
    ]


def test_a_firm_admin_sees_and_changes_every_referral_of_the_firm(
    cast: Cast, api: ApiClient
) -> None:
    referral = log(api, cast.alice_private, need="Alice's")
    log(token_client(cast.mallory), cast.mallory_partner, need="Mallory's")
    admin = token_client(cast.ada)

    assert needs(admin.call("GET", "referrals")) == ["Alice's"]
    for method, path, body in object_endpoints(referral["id"]):
        response = admin.call(method, path, body)
        assert response.status_code in {200, 201}, (method, path, response.json())
    created = log(admin, cast.alice_private, "received", need="Logged by the admin")
    assert created["by"]["username"] == "ada"


def test_compliance_reads_every_referral_and_gets_403_on_every_write(
    cast: Cast, api: ApiClient
) -> None:
    referral = log(api, cast.alice_private)
    compliance = token_client(cast.cole)
    before = snapshot()

    assert ok(compliance.call("GET", "referrals"))["count"] == 1
    writes = [
        ("POST", "referrals", {"partner": cast.alice_private.pk, "direction": "sent",
                               "need": "x"}),
        *object_endpoints(referral["id"]),
    ]  # fmt: skip
    for method, path, body in writes:
        response = compliance.call(method, path, body)
        if method == "GET":
            assert response.status_code == 200, path
        else:
            assert response.status_code == 403, (method, path, response.json())
            assert response.json() == {"detail": READ_ONLY_ROLE}

    assert snapshot() == before


# --- Query counts -----------------------------------------------------------------------------
@pytest.mark.parametrize("extra", [3, 30])
def test_the_referral_list_runs_a_constant_number_of_queries(
    cast: Cast, api: ApiClient, extra: int
) -> None:
    for index in range(extra):
        partner = PartnerFactory(owner=cast.alice, team=cast.north, name=f"Book {index:02}")
        log(api, partner, need=f"Sent {index}")
        ReferralFactory(partner=partner, direction="received")
    api.call("GET", "referrals?limit=1")  # the token's last use is written once a minute

    with CaptureQueriesContext(connection) as queries:
        response = api.call("GET", "referrals?limit=100")

    page = ok(response)
    assert page["count"] == 2 * extra
    sent = [item for item in page["items"] if item["direction"] == "sent"]
    assert all(len(item["steps"]) == 5 for item in sent)
    assert all(item["stage_suggestion"]["stage"] == "active" for item in page["items"])
    # token and user, count, page, partners with their balance, steps: whatever the length.
    assert len(queries) == 5, [query["sql"] for query in queries.captured_queries]
