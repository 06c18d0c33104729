"""The diagnoses added to the first six: gone cold, no agreement in force, and too early to
judge (a reassurance); each appears when its threshold is passed and not just below it."""

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from reciprocity.insights.diagnoses import (
    GONE_COLD_FACTOR,
    ONE_WAY_MIN_SENT,
    PATIENCE_MONTHS,
    Diagnosis,
    assess,
    day,
    diagnoses_for,
)
from reciprocity.partners.models import Stage
from reciprocity.playbook.selectors.cadences import add_months
from reciprocity.playbook.services.cadences import cadence_set
from reciprocity.playbook.services.firm import firm_defaults_install
from reciprocity.referrals.models import Direction
from tests.api_client import token_client
from tests.conftest import Cast
from tests.factories import (
    ReferralFactory,
    TouchFactory,
    ago,
    agreement_in_force,
    met_partner,
)

pytestmark = pytest.mark.django_db


def of(found: list[Diagnosis], slug: str) -> list[Diagnosis]:
    return [d for d in found if d.slug == slug]


# --- gone_cold ------------------------------------------------------------------------------


def test_an_active_partner_untouched_for_twice_the_stages_cadence_has_gone_cold(
    cast: Cast,
) -> None:
    firm_defaults_install(firm=cast.firm)  # active: touch base every 4 months
    partner = met_partner(cast.alice, days_ago=900, stage=Stage.ACTIVE)
    agreement_in_force(partner, cast.alice)
    last = timezone.localdate() - dt.timedelta(days=400)
    TouchFactory(partner=partner, occurred_at=ago(400))
    today = timezone.localdate()

    found = of(diagnoses_for(advisor=cast.alice), "gone_cold")

    assert len(found) == 1
    diagnosis = found[0]
    assert diagnosis.evidence == [
        f"Last touch on {day(last)}",
        f"Touch base every 4 months (the firm's cadence for Active partner): nothing for "
        f"more than {GONE_COLD_FACTOR} times that",
    ]
    assert diagnosis.action == "reconnect"
    assert diagnosis.action_url == f"/partners/{partner.pk}/#commitments-title"
    assert add_months(last, 8) < today


def test_on_the_last_day_of_twice_the_cadence_it_has_not_gone_cold(cast: Cast) -> None:
    firm_defaults_install(firm=cast.firm)
    partner = met_partner(cast.alice, days_ago=900, stage=Stage.ACTIVE)
    agreement_in_force(partner, cast.alice)
    TouchFactory(partner=partner, occurred_at=ago(300))
    last = timezone.localdate(ago(300))
    limit = add_months(last, 4 * GONE_COLD_FACTOR)

    assert of(diagnoses_for(advisor=cast.alice, today=limit), "gone_cold") == []
    later = limit + dt.timedelta(days=1)
    assert len(of(diagnoses_for(advisor=cast.alice, today=later), "gone_cold")) == 1


def test_the_partners_own_cadence_counts_and_turning_it_off_ends_gone_cold(cast: Cast) -> None:
    firm_defaults_install(firm=cast.firm)
    partner = met_partner(cast.alice, days_ago=900, stage=Stage.ACTIVE)
    agreement_in_force(partner, cast.alice)
    TouchFactory(partner=partner, occurred_at=ago(400))
    cadence_set(partner=partner, by=cast.alice, kind="touch_base", interval_months=12)
    assert of(diagnoses_for(advisor=cast.alice), "gone_cold") == []
    cadence_set(partner=partner, by=cast.alice, kind="touch_base", interval_months=6)
    assert len(of(diagnoses_for(advisor=cast.alice), "gone_cold")) == 1
    cadence_set(partner=partner, by=cast.alice, kind="touch_base", enabled=False)
    assert of(diagnoses_for(advisor=cast.alice), "gone_cold") == []


def test_a_partner_never_worked_and_never_referring_has_not_gone_cold(cast: Cast) -> None:
    met_partner(cast.alice, days_ago=900, stage=Stage.DUE_DILIGENCE)
    assert of(diagnoses_for(advisor=cast.alice), "gone_cold") == []


def test_a_partner_who_referred_long_ago_and_was_never_touched_has_gone_cold(cast: Cast) -> None:
    partner = met_partner(cast.alice, days_ago=900, stage=Stage.DUE_DILIGENCE)
    ReferralFactory(partner=partner, direction=Direction.RECEIVED, occurred_at=ago(500))
    (diagnosis,) = of(diagnoses_for(advisor=cast.alice), "gone_cold")
    assert diagnosis.evidence[:2] == [
        "No touch logged",
        f"Last referral from them on {day(ago(500))}",
    ]
    assert "(the usual cadence)" in diagnosis.evidence[2]


# --- no_agreement ---------------------------------------------------------------------------


@pytest.mark.parametrize("stage", [Stage.ACTIVE, Stage.CHAMPION])
def test_an_active_partner_or_champion_without_an_agreement_has_none_in_force(
    cast: Cast, stage: str
) -> None:
    partner = met_partner(cast.alice, days_ago=30, stage=stage)
    (diagnosis,) = of(diagnoses_for(advisor=cast.alice), "no_agreement")
    assert diagnosis.action == "make_it_explicit"
    assert diagnosis.action_url == f"/partners/{partner.pk}/agreement/"
    assert diagnosis.evidence[1].startswith("No written agreement in force")


def test_an_agreement_in_force_or_an_earlier_stage_is_not_no_agreement(cast: Cast) -> None:
    partner = met_partner(cast.alice, days_ago=30, stage=Stage.ACTIVE)
    agreement_in_force(partner, cast.alice)
    met_partner(cast.alice, days_ago=30, stage=Stage.PROPOSED)
    assert of(diagnoses_for(advisor=cast.alice), "no_agreement") == []


def test_one_way_never_asks_for_an_agreement_in_force(cast: Cast) -> None:
    partner = met_partner(cast.alice, days_ago=300, stage=Stage.ACTIVE)
    for days in range(ONE_WAY_MIN_SENT):
        ReferralFactory(partner=partner, direction=Direction.SENT, occurred_at=ago(30 + days))
    agreement_in_force(partner, cast.alice)
    found = diagnoses_for(advisor=cast.alice)
    (one_way,) = of(found, "one_way")
    assert one_way.action == "review_agreement"
    assert "A written agreement is in place" in one_way.evidence
    assert of(found, "no_agreement") == []
    assert all(d.action not in ("make_the_ask", "make_it_explicit") for d in found)


# --- too_early ------------------------------------------------------------------------------


def test_a_partner_met_under_the_patience_window_is_too_early_in_the_list(cast: Cast) -> None:
    partner = met_partner(cast.alice, days_ago=60)
    met_on = timezone.localdate(ago(60))

    (diagnosis,) = diagnoses_for(advisor=cast.alice)

    assert diagnosis.slug == "too_early"
    assert diagnosis.severity == "info"
    assert diagnosis.action == "keep_going"
    assert diagnosis.partner_id == partner.pk
    assert diagnosis.evidence[-1] == f"Judge from {day(add_months(met_on, PATIENCE_MONTHS))}"
    assert assess(advisor=cast.alice).diagnoses == []


def test_on_the_day_the_patience_window_ends_it_is_no_longer_too_early(cast: Cast) -> None:
    met_partner(cast.alice, days_ago=60)
    judge_from = add_months(timezone.localdate(ago(60)), PATIENCE_MONTHS)
    eve = judge_from - dt.timedelta(days=1)
    assert [d.slug for d in diagnoses_for(advisor=cast.alice, today=eve)] == ["too_early"]
    assert diagnoses_for(advisor=cast.alice, today=judge_from) == []


def test_a_referral_received_means_it_is_not_too_early(cast: Cast) -> None:
    partner = met_partner(cast.alice, days_ago=60)
    ReferralFactory(partner=partner, direction=Direction.RECEIVED, occurred_at=ago(10))
    assert diagnoses_for(advisor=cast.alice) == []


def test_too_early_never_shows_with_a_walk_away(cast: Cast) -> None:
    met_partner(cast.alice, days_ago=60, growth_mode=False)
    found = diagnoses_for(advisor=cast.alice)
    assert [d.slug for d in found] == ["wrong_firm"]
    assert found[0].action == "walk_away"


def test_too_early_does_not_reassure_beside_any_other_diagnosis(cast: Cast) -> None:
    # Met a month ago, and they cannot say what you do: a cause to act on, not a wait.
    met_partner(cast.alice, days_ago=30, can_describe_value="no")

    found = diagnoses_for(advisor=cast.alice)

    assert [d.slug for d in found] == ["wrong_message"]


def test_the_partner_page_reassures_a_partner_too_early_to_judge(cast: Cast, client: Any) -> None:
    partner = met_partner(cast.alice, days_ago=60)
    client.force_login(cast.alice)
    page = client.get(f"/partners/{partner.pk}/").content.decode()
    assert 'data-slug="too_early"' in page
    assert "Too early to judge." in page


# --- wrong_professional still waits for the patience window -----------------------------------


def test_a_low_propensity_is_the_wrong_professional_only_after_the_patience_window(
    cast: Cast,
) -> None:
    met_partner(cast.alice, days_ago=60, propensity_to_refer="low")
    judge_from = add_months(timezone.localdate(ago(60)), PATIENCE_MONTHS)
    eve = judge_from - dt.timedelta(days=1)
    assert [d.slug for d in diagnoses_for(advisor=cast.alice, today=eve)] == ["too_early"]
    assert [d.slug for d in diagnoses_for(advisor=cast.alice, today=judge_from)] == [
        "wrong_professional"
    ]


# --- Listed by the command and the API --------------------------------------------------------


def test_the_command_and_the_api_list_the_new_slugs(cast: Cast) -> None:
    firm_defaults_install(firm=cast.firm)
    early = met_partner(cast.alice, days_ago=60)
    active = met_partner(cast.alice, days_ago=900, stage=Stage.ACTIVE)
    TouchFactory(partner=active, occurred_at=ago(400))
    out = io.StringIO()
    call_command("diagnoses", "--user", "alice", "--json", stdout=out)
    listed = {(entry["slug"], entry["partner_id"]) for entry in json.loads(out.getvalue())}
    expected = {
        ("too_early", early.pk),
        ("gone_cold", active.pk),
        ("no_agreement", active.pk),
    }
    assert listed == expected
    body = token_client(cast.alice).call("GET", "diagnoses").json()
    assert {(item["slug"], item["partner"]["id"]) for item in body["items"]} == expected
    assert body["items"][-1]["severity"] == "info"
