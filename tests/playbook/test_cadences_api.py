"""Cadences and strategies through the API, with the keep-warm cadence end to end."""

from typing import Any

import pytest

from reciprocity.partners.agenda import UNKNOWN_AGENDA_ITEM
from reciprocity.partners.models import CommitmentStatus, Partner, Stage, Touch, TouchKind
from reciprocity.playbook.models import INTERVAL_RANGE, AgendaSnooze, PartnerStrategy
from reciprocity.playbook.services.agenda import SNOOZE_NEEDS_REASON, SNOOZE_TOO_LONG
from reciprocity.playbook.services.strategies import SAME_STRATEGY
from tests.api_client import ApiClient, refused, token_client
from tests.conftest import Cast
from tests.factories import (
    CommitmentFactory,
    MeetingFactory,
    OpportunityFactory,
    PartnerFactory,
    TouchFactory,
    ago,
)
from tests.playbook.helpers import days, ok

pytestmark = pytest.mark.django_db


# --- Acceptance: the keep-warm cadence ------------------------------------------------------------


def test_an_active_partner_with_no_cadence_set_is_overdue_four_months_after_its_last_touch(
    playbook_cast: Cast, api: ApiClient
) -> None:
    partner = playbook_cast.alice_private
    ok(api.call("POST", f"partners/{partner.pk}/stage", {"stage": "active"}), 201)
    ok(
        api.call(
            "POST",
            f"partners/{partner.pk}/touches",
            {"kind": "call", "summary": "Caught up", "occurred_at": ago(124).isoformat()},
        ),
        201,
    )
    cadences = ok(api.call("GET", f"partners/{partner.pk}/cadences"))
    touch_base = next(c for c in cadences["items"] if c["kind"] == "touch_base")
    assert (touch_base["interval_months"], touch_base["source"]) == (4, "firm")
    assert touch_base["overdue"] is True

    agenda = ok(api.call("GET", "agenda"))
    [item] = [i for i in agenda["overdue"] if i["source"] == "cadence"]
    assert item["title"] == "Touch base with Priya Private"
    assert item["partner"] == {"id": partner.pk, "name": "Priya Private"}
    assert item["overdue"] is True

    ok(api.call("POST", f"partners/{partner.pk}/touches", {"kind": "call", "summary": "Hi"}), 201)
    agenda = ok(api.call("GET", "agenda"))
    assert not [i for i in agenda["overdue"] if i["source"] == "cadence"]


def test_an_agenda_item_completes_by_its_key(playbook_cast: Cast, api: ApiClient) -> None:
    partner = playbook_cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(stage=Stage.ACTIVE, stage_changed_at=ago(200))
    commitment = CommitmentFactory(partner=partner, what="Send the memo", due=days(-1))
    agenda = ok(api.call("GET", "agenda"))
    keys = {i["source"]: i["key"] for i in agenda["overdue"]}
    assert keys["commitment"] == f"commitment:{partner.pk}:{commitment.pk}"
    assert agenda["count"] == 2

    wrong = api.call("POST", f"agenda/{keys['cadence']}/complete", {"touch_kind": "newsletter"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "touch_kind"
    done = ok(api.call("POST", f"agenda/{keys['cadence']}/complete", {}))
    assert Touch.objects.get(pk=done["touch_id"]).kind == TouchKind.CALL

    done = ok(api.call("POST", f"agenda/{keys['commitment']}/complete", {"touch_kind": "email"}))
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.DONE
    assert done["touch_id"] == commitment.touch_id
    assert ok(api.call("GET", "agenda"))["count"] == 0


def test_an_agenda_item_is_snoozed_with_a_reason(playbook_cast: Cast, api: ApiClient) -> None:
    commitment = CommitmentFactory(partner=playbook_cast.alice_private, due=days(-1))
    key = f"commitment:{commitment.partner_id}:{commitment.pk}"
    refused(
        api.call("POST", f"agenda/{key}/snooze", {"until": days(3).isoformat(), "reason": " "}),
        "reason",
        SNOOZE_NEEDS_REASON,
    )
    refused(
        api.call("POST", f"agenda/{key}/snooze", {"until": days(400).isoformat(), "reason": "x"}),
        "until",
        SNOOZE_TOO_LONG,
    )
    snooze = ok(
        api.call("POST", f"agenda/{key}/snooze", {"until": days(3).isoformat(), "reason": "Away"})
    )
    assert (snooze["key"], snooze["until"], snooze["reason"]) == (key, days(3).isoformat(), "Away")
    agenda = ok(api.call("GET", "agenda"))
    assert (agenda["count"], agenda["snoozed"]) == (0, 1)


def test_an_unknown_or_foreign_agenda_key_is_refused(playbook_cast: Cast) -> None:
    commitment = CommitmentFactory(partner=playbook_cast.alice_private, due=days(-1))
    key = f"commitment:{commitment.partner_id}:{commitment.pk}"
    mallory = token_client(playbook_cast.mallory)
    assert mallory.call("POST", f"agenda/{key}/complete", {}).status_code == 404
    body = {"until": days(3).isoformat(), "reason": "x"}
    assert mallory.call("POST", f"agenda/{key}/snooze", body).status_code == 404
    alice = token_client(playbook_cast.alice)
    refused(alice.call("POST", "agenda/nosuch:1:2/complete", {}), "key", UNKNOWN_AGENDA_ITEM)
    assert not AgendaSnooze.objects.exists()
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.OPEN


def test_the_agenda_costs_the_same_queries_for_a_small_or_a_big_book(
    playbook_cast: Cast, api: ApiClient, django_assert_max_num_queries: Any
) -> None:
    for n in range(15):
        partner = PartnerFactory(owner=playbook_cast.alice, stage=Stage.ACTIVE)
        TouchFactory(partner=partner, occurred_at=ago(130))
        CommitmentFactory(partner=partner, due=days(n % 8 - 2))
        OpportunityFactory(partner=partner, ask_by=days(n % 5))
        MeetingFactory(partner=partner)
    with django_assert_max_num_queries(14):
        assert ok(api.call("GET", "agenda"))["count"] >= 45


# --- Cadences and strategies ----------------------------------------------------------------------


def test_a_cadence_is_overridden_and_reset(playbook_cast: Cast, api: ApiClient) -> None:
    partner = playbook_cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(stage=Stage.ACTIVE)
    path = f"partners/{partner.pk}/cadences"
    changed = ok(api.call("PUT", path, {"kind": "touch_base", "interval_months": 2}))
    touch_base = next(c for c in changed["items"] if c["kind"] == "touch_base")
    assert (touch_base["interval_months"], touch_base["source"]) == (2, "partner")
    off = ok(api.call("PUT", path, {"kind": "newsletter", "enabled": False}))
    assert "newsletter" not in {c["kind"] for c in off["items"]}
    refused(api.call("PUT", path, {"kind": "annual_review", "interval_months": 40}),
            "interval_months", INTERVAL_RANGE)  # fmt: skip
    back = ok(api.call("PUT", path, {"kind": "touch_base", "use_default": True}))
    touch_base = next(c for c in back["items"] if c["kind"] == "touch_base")
    assert (touch_base["interval_months"], touch_base["source"]) == (4, "firm")


def test_the_strategy_is_switched_and_its_history_kept(playbook_cast: Cast, api: ApiClient) -> None:
    path = f"partners/{playbook_cast.alice_private.pk}/strategy"
    current = ok(api.call("GET", path))
    assert (current["strategy"], current["rung"], current["history"]) == (
        "client_requested",
        1,
        [],
    )
    ok(api.call("POST", path, {"strategy": "talk_clients", "note": "They have big clients"}), 201)
    current = ok(api.call("GET", path))
    assert (current["strategy"], current["rung"]) == ("talk_clients", 4)
    assert current["label"] == "Talk clients, not concepts"
    refused(api.call("POST", path, {"strategy": "talk_clients"}), "strategy", SAME_STRATEGY)
    assert PartnerStrategy.objects.count() == 1
