"""The named diagnoses of a stalled alliance: each appears, with its evidence, exactly when its
condition holds; the patience and focus boundaries; who sees which; and what they cost."""

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.insights.diagnoses import (
    MANY_TOUCHES,
    ONE_WAY_MIN_SENT,
    PATIENCE_MONTHS,
    Assessment,
    Diagnosis,
    day,
    months_between,
)
from reciprocity.insights.diagnoses import assess as assess_all
from reciprocity.insights.diagnoses import diagnoses_for as diagnoses_for_all
from reciprocity.partners import services
from reciprocity.partners.models import Partner, Profession, Stage
from reciprocity.playbook.models import CadenceKind
from reciprocity.playbook.selectors.cadences import add_months
from reciprocity.playbook.selectors.digest import FOCUS_LIMIT
from reciprocity.playbook.services.cadences import cadence_set
from reciprocity.playbook.services.message import message_check_record
from reciprocity.referrals.models import Direction, Kind
from tests.conftest import Cast
from tests.factories import PartnerFactory, ReferralFactory, TouchFactory, ago

pytestmark = pytest.mark.django_db

# This module is about the stalls named first; gone_cold, no_agreement and too_early (the
# reassurance, listed here as Assessment.too_early) have their own module.
LATER = {"gone_cold", "no_agreement", "too_early"}


def assess(**kwargs: Any) -> Assessment:
    found = assess_all(**kwargs)
    return Assessment(
        diagnoses=[d for d in found.diagnoses if d.slug not in LATER], too_early=found.too_early
    )


def diagnoses_for(**kwargs: Any) -> list[Diagnosis]:
    return [d for d in diagnoses_for_all(**kwargs) if d.slug not in LATER]


def met(
    owner: User,
    *,
    days_ago: int = 500,
    stage: str = Stage.FIRST_MEETING,
    name: str = "Carla Reyes",
    touches: int = 0,
    **profile: Any,
) -> Partner:
    """A partner first met ``days_ago`` days ago (the stage change is dated), with ``touches``
    touches in the days after that meeting."""
    partner = services.partner_create(
        by=owner,
        name=name,
        profession=Profession.CPA,
        stage=Stage.FIRST_MEETING,
        occurred_at=ago(days_ago),
        **profile,
    )
    if stage != Stage.FIRST_MEETING:
        services.partner_change_stage(
            partner=partner, by=owner, stage=stage, occurred_at=ago(days_ago - 1)
        )
    for index in range(touches):
        TouchFactory(partner=partner, occurred_at=ago(days_ago - 2 - index))
    return partner


def referral(partner: Partner, *, direction: str, days_ago: int, kind: str = Kind.REFERRAL) -> None:
    ReferralFactory(partner=partner, direction=direction, kind=kind, occurred_at=ago(days_ago))


def slugs(found: list[Diagnosis], partner: Partner | None = None) -> list[str]:
    pk = partner.pk if partner else None
    return [d.slug for d in found if partner is None or d.partner_id == pk]


def one(found: list[Diagnosis], slug: str) -> Diagnosis:
    matching = [d for d in found if d.slug == slug]
    assert len(matching) == 1, [d.slug for d in found]
    return matching[0]


# --- no_referral_yet ------------------------------------------------------------------------


def test_many_touches_and_a_year_without_a_referral_is_no_referral_yet(cast: Cast) -> None:
    partner = met(cast.alice, days_ago=500, touches=MANY_TOUCHES + 2)

    diagnosis = one(diagnoses_for(advisor=cast.alice), "no_referral_yet")

    met_on = timezone.localdate(ago(500))
    assert diagnosis.partner_id == partner.pk
    assert diagnosis.partner_name == "Carla Reyes"
    assert diagnosis.title == "No referral after 16 months"
    assert diagnosis.evidence[:2] == [
        f"{MANY_TOUCHES + 2} touches since {day(met_on)}, when you first met",
        "No referral received in 16 months",
    ]
    assert diagnosis.evidence[2] == "Strategy: Client-requested referral (rung 1 of 5)"
    assert diagnosis.action == "change_strategy"
    assert diagnosis.action_url == f"/partners/{partner.pk}/#strategy-title"
    assert diagnosis.severity == "medium"


def test_fewer_touches_than_many_is_not_a_diagnosis(cast: Cast) -> None:
    met(cast.alice, days_ago=500, touches=MANY_TOUCHES - 1)
    assert diagnoses_for(advisor=cast.alice) == []


def test_touches_before_the_first_meeting_do_not_count(cast: Cast) -> None:
    partner = met(cast.alice, days_ago=500, touches=MANY_TOUCHES - 1)
    TouchFactory(partner=partner, occurred_at=ago(600))
    assert diagnoses_for(advisor=cast.alice) == []
    TouchFactory(partner=partner, occurred_at=ago(10))
    assert slugs(diagnoses_for(advisor=cast.alice)) == ["no_referral_yet"]


def test_any_referral_received_ever_means_referrals_came(cast: Cast) -> None:
    partner = met(cast.alice, days_ago=700, touches=MANY_TOUCHES + 5)
    referral(partner, direction=Direction.RECEIVED, days_ago=650)
    assert diagnoses_for(advisor=cast.alice) == []


def test_connections_and_archived_referrals_are_not_referrals_received(cast: Cast) -> None:
    partner = met(cast.alice, days_ago=500, touches=MANY_TOUCHES)
    referral(partner, direction=Direction.RECEIVED, days_ago=100, kind=Kind.CONNECTION)
    ReferralFactory(
        partner=partner, direction=Direction.RECEIVED, occurred_at=ago(50), archived_at=ago(40)
    )
    assert slugs(diagnoses_for(advisor=cast.alice)) == ["no_referral_yet"]


def test_before_twelve_months_it_is_too_early_to_judge_and_on_the_day_a_diagnosis(
    cast: Cast,
) -> None:
    partner = met(cast.alice, days_ago=600, touches=MANY_TOUCHES)
    # Touching base is off: the touches all came after the meeting, and a partner gone cold
    # would not be reassured as too early (the reassurance shows only when nothing is found).
    cadence_set(partner=partner, by=cast.alice, kind=CadenceKind.TOUCH_BASE, enabled=False)
    met_on = timezone.localdate(ago(600))
    judge_from = add_months(met_on, PATIENCE_MONTHS)

    early = assess(advisor=cast.alice, today=judge_from - dt.timedelta(days=1))
    on_the_day = assess(advisor=cast.alice, today=judge_from)

    assert early.diagnoses == []
    assert [(e.partner_id, e.met_on, e.judge_from, e.touches) for e in early.too_early] == [
        (partner.pk, met_on, judge_from, MANY_TOUCHES)
    ]
    assert slugs(on_the_day.diagnoses) == ["no_referral_yet"]
    assert on_the_day.too_early == []


def test_a_partner_moved_along_counts_from_its_first_meeting(cast: Cast) -> None:
    """The clock starts at the first met stage, not at the last move."""
    partner = met(cast.alice, days_ago=400, stage=Stage.ACTIVE, touches=MANY_TOUCHES)
    services.partner_change_stage(
        partner=partner, by=cast.alice, stage=Stage.CHAMPION, occurred_at=ago(30)
    )
    assert slugs(diagnoses_for(advisor=cast.alice)) == ["no_referral_yet"]


def test_a_partner_with_no_recorded_meeting_counts_from_its_last_move(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice, stage=Stage.DUE_DILIGENCE, stage_changed_at=ago(30))
    for days in range(MANY_TOUCHES):
        TouchFactory(partner=partner, occurred_at=ago(20 - days))
    found = assess(advisor=cast.alice)
    assert found.diagnoses == []
    assert [e.partner_id for e in found.too_early] == [partner.pk]


# --- one_way --------------------------------------------------------------------------------


def test_referrals_sent_and_none_back_in_twelve_months_is_one_way(cast: Cast) -> None:
    partner = met(cast.alice, days_ago=300, stage=Stage.PROPOSED)
    for days in (200, 120, 30):
        referral(partner, direction=Direction.SENT, days_ago=days)

    diagnosis = one(diagnoses_for(advisor=cast.alice), "one_way")

    assert diagnosis.evidence == [
        "3 referrals sent in the last 12 months; none received",
        "Nothing written down: no agreement on what each side will do",
    ]
    assert diagnosis.action == "make_the_ask"
    assert diagnosis.action_label == "Make the ask: write the agreement"
    assert diagnosis.action_url == f"/partners/{partner.pk}/agreement/"


def test_fewer_referrals_sent_is_not_one_way(cast: Cast) -> None:
    partner = met(cast.alice, days_ago=300, stage=Stage.PROPOSED)
    for days in range(ONE_WAY_MIN_SENT - 1):
        referral(partner, direction=Direction.SENT, days_ago=10 + days)
    referral(partner, direction=Direction.SENT, days_ago=400)  # outside the window
    assert diagnoses_for(advisor=cast.alice) == []


def test_one_referral_back_in_the_window_ends_one_way_but_an_older_one_does_not(
    cast: Cast,
) -> None:
    partner = met(cast.alice, days_ago=600, stage=Stage.ACTIVE)
    for days in (200, 120, 30):
        referral(partner, direction=Direction.SENT, days_ago=days)
    referral(partner, direction=Direction.RECEIVED, days_ago=400)
    assert slugs(diagnoses_for(advisor=cast.alice)) == ["one_way"]
    referral(partner, direction=Direction.RECEIVED, days_ago=100)
    assert diagnoses_for(advisor=cast.alice) == []


def test_one_way_for_twenty_four_months_is_time_to_walk_away(cast: Cast) -> None:
    partner = met(cast.alice, days_ago=900, stage=Stage.ACTIVE)
    for days in (800, 500, 300, 200, 30):
        referral(partner, direction=Direction.SENT, days_ago=days)

    diagnosis = one(diagnoses_for(advisor=cast.alice), "one_way")

    assert diagnosis.action == "walk_away"
    assert diagnosis.reason == "wrong_professional"
    assert diagnosis.severity == "high"
    first = timezone.localdate(ago(800))
    months = months_between(first, timezone.localdate())
    assert diagnosis.evidence[1] == (
        f"Nothing back in the {months} months since your first referral to them on {day(first)}"
    )
    assert diagnosis.action_url == (
        f"/partners/{partner.pk}/stage/?stage=retired&reason=wrong_professional"
    )


def test_a_referral_back_in_the_last_two_years_keeps_asking_rather_than_walking_away(
    cast: Cast,
) -> None:
    partner = met(cast.alice, days_ago=900, stage=Stage.ACTIVE)
    for days in (800, 300, 200, 30):
        referral(partner, direction=Direction.SENT, days_ago=days)
    referral(partner, direction=Direction.RECEIVED, days_ago=500)
    assert one(diagnoses_for(advisor=cast.alice), "one_way").action == "make_the_ask"


def test_walking_away_counts_from_the_last_referral_back_when_it_came_after_the_first_sent(
    cast: Cast,
) -> None:
    partner = met(cast.alice, days_ago=1300, stage=Stage.ACTIVE)
    for days in (1200, 300, 200, 30):
        referral(partner, direction=Direction.SENT, days_ago=days)
    referral(partner, direction=Direction.RECEIVED, days_ago=900)

    diagnosis = one(diagnoses_for(advisor=cast.alice), "one_way")

    last = timezone.localdate(ago(900))
    months = months_between(last, timezone.localdate())
    assert diagnosis.action == "walk_away"
    assert diagnosis.evidence[1] == (
        f"Nothing back in {months} months: the last referral from them came on {day(last)}"
    )
    assert "first referral" not in " ".join(diagnosis.evidence)


def test_a_referral_back_before_the_first_sent_is_named_but_the_count_starts_at_the_first_sent(
    cast: Cast,
) -> None:
    partner = met(cast.alice, days_ago=1300, stage=Stage.ACTIVE)
    referral(partner, direction=Direction.RECEIVED, days_ago=1000)
    for days in (800, 300, 200, 30):
        referral(partner, direction=Direction.SENT, days_ago=days)

    diagnosis = one(diagnoses_for(advisor=cast.alice), "one_way")

    first, last = timezone.localdate(ago(800)), timezone.localdate(ago(1000))
    months = months_between(first, timezone.localdate())
    assert diagnosis.action == "walk_away"
    assert diagnosis.evidence[1] == (
        f"Nothing back in the {months} months since your first referral to them on "
        f"{day(first)}; the last referral from them came before, on {day(last)}"
    )


def test_a_first_referral_sent_less_than_two_years_ago_is_still_time_to_ask(cast: Cast) -> None:
    partner = met(cast.alice, days_ago=1300, stage=Stage.ACTIVE)
    referral(partner, direction=Direction.RECEIVED, days_ago=1000)
    for days in (600, 300, 200, 30):
        referral(partner, direction=Direction.SENT, days_ago=days)
    diagnosis = one(diagnoses_for(advisor=cast.alice), "one_way")
    assert diagnosis.action == "make_the_ask"
    assert not any(line.startswith("Nothing back") for line in diagnosis.evidence)


# --- wrong_message --------------------------------------------------------------------------


def test_a_partner_who_cannot_describe_your_value_has_the_wrong_message(cast: Cast) -> None:
    partner = met(cast.alice, days_ago=100, can_describe_value="no")

    diagnosis = one(diagnoses_for(advisor=cast.alice), "wrong_message")

    assert diagnosis.partner_id == partner.pk
    assert diagnosis.evidence == [
        "Their profile says they cannot describe your value",
        "The message (whom you help, what is unique) is not written down",
        "No referral received from them yet",
    ]
    assert diagnosis.action == "change_message"
    assert diagnosis.action_url == "/playbook/message/"


def test_a_failed_message_check_is_the_evidence(cast: Cast) -> None:
    partner = met(cast.alice, days_ago=100)
    message_check_record(
        partner=partner, by=cast.alice, result="no", heard="You do taxes?", occurred_at=ago(5)
    )

    diagnosis = one(diagnoses_for(advisor=cast.alice), "wrong_message")

    assert diagnosis.evidence[0] == (
        f"Could not say your message back on {day(ago(5))}: “You do taxes?”"
    )


@pytest.mark.parametrize("value", ["yes", "unknown"])
def test_a_partner_who_can_or_was_never_asked_is_not_the_wrong_message(
    cast: Cast, value: str
) -> None:
    met(cast.alice, days_ago=100, can_describe_value=value)
    assert diagnoses_for(advisor=cast.alice) == []


def test_a_teammate_reading_the_wrong_message_is_told_whose_message_and_sent_to_the_partner(
    cast: Cast,
) -> None:
    cast.alice.first_name, cast.alice.last_name = "Alice", "Smith"
    cast.alice.save()
    partner = met(cast.alice, days_ago=100, can_describe_value="no", team=cast.north)

    for reader in (cast.bob, cast.ada):
        diagnosis = one(diagnoses_for(advisor=reader, mine_only=False), "wrong_message")

        assert diagnosis.evidence[1] == (
            "Alice Smith's message (whom they help, what is unique) is not written down"
        )
        assert diagnosis.action_url == f"/partners/{partner.pk}/#playbook"
    assert one(diagnoses_for(advisor=cast.alice), "wrong_message").action_url == (
        "/playbook/message/"
    )


def test_an_owner_without_a_full_name_is_named_by_username(cast: Cast) -> None:
    User.objects.filter(pk=cast.alice.pk).update(first_name="", last_name="")
    met(cast.alice, days_ago=100, can_describe_value="no")
    diagnosis = one(diagnoses_for(advisor=cast.ada, mine_only=False), "wrong_message")
    assert diagnosis.evidence[1].startswith("alice's message ")


# --- wrong_firm -----------------------------------------------------------------------------


def test_a_firm_not_in_growth_mode_is_the_wrong_firm(cast: Cast) -> None:
    partner = met(cast.alice, days_ago=400, stage=Stage.DUE_DILIGENCE, growth_mode=False)

    diagnosis = one(diagnoses_for(advisor=cast.alice), "wrong_firm")

    assert diagnosis.evidence == [
        "Their firm is not in growth mode: it meets few new clients to refer",
        "No referral received in the last 12 months",
        f"Due diligence since {day(ago(399))}",
    ]
    assert diagnosis.action == "walk_away"
    assert diagnosis.reason == "wrong_firm"
    assert diagnosis.action_label == "Walk away: wrong firm"
    assert diagnosis.action_url == f"/partners/{partner.pk}/stage/?stage=retired&reason=wrong_firm"


def test_a_firm_not_in_growth_mode_is_the_wrong_firm_before_the_patience_window_ends(
    cast: Cast,
) -> None:
    """A fact about fit: known as soon as it is on record, less pressing before the window."""
    met(cast.alice, days_ago=3, growth_mode=False)
    found = assess(advisor=cast.alice)
    (early,) = found.diagnoses
    assert early.slug == "wrong_firm"
    assert early.severity == "medium"
    assert early.action == "walk_away"
    assert early.evidence[-1].startswith("Waiting longer will not help")
    assert found.too_early == []

    judge_from = add_months(timezone.localdate(ago(3)), PATIENCE_MONTHS)
    (on_the_day,) = diagnoses_for(advisor=cast.alice, today=judge_from)
    assert (on_the_day.slug, on_the_day.severity) == ("wrong_firm", "high")
    assert len(on_the_day.evidence) == 3


def test_growth_unknown_or_a_referral_this_year_is_not_the_wrong_firm(cast: Cast) -> None:
    met(cast.alice, days_ago=400, growth_mode=None, name="Unknown Growth")
    referring = met(cast.alice, days_ago=400, growth_mode=False, name="Still Refers")
    referral(referring, direction=Direction.RECEIVED, days_ago=60)
    assert diagnoses_for(advisor=cast.alice) == []


def test_an_old_referral_is_named_in_the_wrong_firm_evidence(cast: Cast) -> None:
    partner = met(cast.alice, days_ago=800, stage=Stage.ACTIVE, growth_mode=False)
    referral(partner, direction=Direction.RECEIVED, days_ago=500)
    diagnosis = one(diagnoses_for(advisor=cast.alice), "wrong_firm")
    assert diagnosis.evidence[1] == (
        f"No referral received in the last 12 months; the last came on {day(ago(500))}"
    )


# --- wrong_professional ---------------------------------------------------------------------


def test_a_low_propensity_and_a_year_without_referral_is_the_wrong_professional(
    cast: Cast,
) -> None:
    partner = met(cast.alice, days_ago=450, touches=MANY_TOUCHES + 1, propensity_to_refer="low")

    found = diagnoses_for(advisor=cast.alice)

    # The cause is on record, so it stands instead of "no referral yet".
    assert slugs(found) == ["wrong_professional"]
    diagnosis = found[0]
    assert diagnosis.evidence == [
        "Propensity to refer: low",
        f"No referral received in the 14 months since you first met on {day(ago(450))}",
        f"{MANY_TOUCHES + 1} touches in that time",
    ]
    assert diagnosis.action_url == (
        f"/partners/{partner.pk}/stage/?stage=retired&reason=wrong_professional"
    )


def test_a_low_propensity_is_given_its_year_too(cast: Cast) -> None:
    met(cast.alice, days_ago=300, propensity_to_refer="low")
    found = assess(advisor=cast.alice)
    assert found.diagnoses == []
    assert len(found.too_early) == 1


def test_a_low_propensity_partner_who_referred_is_not_the_wrong_professional(
    cast: Cast,
) -> None:
    partner = met(cast.alice, days_ago=450, propensity_to_refer="low")
    referral(partner, direction=Direction.RECEIVED, days_ago=400)
    assert diagnoses_for(advisor=cast.alice) == []


# --- too_many_partners ----------------------------------------------------------------------


def core(owner: User, count: int, **kwargs: Any) -> list[Partner]:
    stages = [Stage.PROPOSED, Stage.ACTIVE, Stage.CHAMPION]
    return [
        PartnerFactory(owner=owner, stage=stages[index % 3], stage_changed_at=ago(10), **kwargs)
        for index in range(count)
    ]


def test_seven_core_partners_are_a_focus_and_eight_are_too_many(cast: Cast) -> None:
    core(cast.alice, FOCUS_LIMIT)
    assert "too_many_partners" not in slugs(diagnoses_for(advisor=cast.alice))

    core(cast.alice, 1)
    diagnosis = one(diagnoses_for(advisor=cast.alice), "too_many_partners")

    assert diagnosis.partner_id is None
    assert diagnosis.partner_name == ""
    assert diagnosis.title == "8 core partners: too many to serve well"
    assert diagnosis.evidence[0] == (
        "8 of your partners are in the core stages (4 proposed, 2 active, 2 champions)"
    )
    assert diagnosis.action == "focus"
    assert diagnosis.action_url == "/pipeline/"


def test_only_the_advisors_own_live_core_partners_count(cast: Cast) -> None:
    core(cast.alice, FOCUS_LIMIT)
    core(cast.bob, 3, team=cast.north)  # shared with alice, but bob's
    core(cast.alice, 2, archived_at=ago(1))
    PartnerFactory(owner=cast.alice, stage=Stage.DUE_DILIGENCE)
    assert "too_many_partners" not in slugs(diagnoses_for(advisor=cast.alice, mine_only=False))


def test_one_partner_asked_about_leaves_the_book_out(cast: Cast) -> None:
    partners = core(cast.alice, FOCUS_LIMIT + 1)
    assert diagnoses_for(advisor=cast.alice, partner=partners[0]) == []


# --- which partners, and in what order ------------------------------------------------------


@pytest.mark.parametrize("stage", [Stage.IDENTIFIED, Stage.QUALIFIED, Stage.DORMANT])
def test_partners_not_met_or_no_longer_worked_are_not_diagnosed(cast: Cast, stage: str) -> None:
    PartnerFactory(owner=cast.alice, stage=stage, growth_mode=False, can_describe_value="no")
    found = assess(advisor=cast.alice)
    assert found.diagnoses == []
    assert found.too_early == []


def test_retired_and_archived_partners_are_not_diagnosed(cast: Cast) -> None:
    retired = met(cast.alice, days_ago=400, growth_mode=False, name="Walked Away")
    services.partner_change_stage(
        partner=retired, by=cast.alice, stage=Stage.RETIRED, reason="wrong_firm"
    )
    archived = met(cast.alice, days_ago=400, growth_mode=False, name="Put Away")
    services.partner_archive(partner=archived, by=cast.alice)
    assert diagnoses_for(advisor=cast.alice) == []


def test_the_book_comes_first_then_the_most_severe_then_by_name(cast: Cast) -> None:
    core(cast.alice, FOCUS_LIMIT + 1)
    met(cast.alice, days_ago=100, can_describe_value="no", name="Anna Message")
    met(cast.alice, days_ago=400, growth_mode=False, name="Zed Firm")
    met(cast.alice, days_ago=100, can_describe_value="no", name="Bea Message")

    found = diagnoses_for(advisor=cast.alice)

    assert [(d.slug, d.partner_name) for d in found] == [
        ("too_many_partners", ""),
        ("wrong_firm", "Zed Firm"),
        ("wrong_message", "Anna Message"),
        ("wrong_message", "Bea Message"),
    ]


def test_one_partner_can_have_several_diagnoses(cast: Cast) -> None:
    # Met more than PATIENCE_MONTHS ago, so the wrong firm may be judged too.
    partner = met(cast.alice, days_ago=400, growth_mode=False, can_describe_value="no")
    for days in (200, 100, 50):
        referral(partner, direction=Direction.SENT, days_ago=days)
    assert sorted(slugs(diagnoses_for(advisor=cast.alice), partner)) == [
        "one_way",
        "wrong_firm",
        "wrong_message",
    ]


# --- who sees what ----------------------------------------------------------------------------


@pytest.fixture
def stalled(cast: Cast) -> Cast:
    """Every partner of the cast with the wrong message."""
    for partner in (cast.alice_private, cast.alice_shared, cast.mallory_partner):
        Partner.objects.filter(pk=partner.pk).update(
            stage=Stage.ACTIVE, can_describe_value="no", stage_changed_at=ago(30)
        )
    return cast


def names(found: list[Diagnosis]) -> set[str]:
    return {d.partner_name for d in found}


def test_mallory_never_sees_the_harbor_partners(stalled: Cast) -> None:
    for mine_only in (True, False):
        assert names(diagnoses_for(advisor=stalled.mallory, mine_only=mine_only)) == {
            "Other Firm Partner"
        }
    assert names(diagnoses_for(advisor=stalled.mallory, partner=stalled.alice_private)) == set()


def test_alice_sees_her_own(stalled: Cast) -> None:
    assert names(diagnoses_for(advisor=stalled.alice)) == {"Priya Private", "Sam Shared"}


def test_bob_sees_alices_shared_partner_only_when_asked_for_more_than_his_own(
    stalled: Cast,
) -> None:
    assert names(diagnoses_for(advisor=stalled.bob)) == set()
    assert names(diagnoses_for(advisor=stalled.bob, mine_only=False)) == {"Sam Shared"}
    assert names(diagnoses_for(advisor=stalled.bob, partner=stalled.alice_shared)) == {"Sam Shared"}
    assert names(diagnoses_for(advisor=stalled.bob, partner=stalled.alice_private)) == set()


def test_the_firm_admin_and_compliance_see_the_whole_firm(stalled: Cast) -> None:
    for reader in (stalled.ada, stalled.cole):
        assert names(diagnoses_for(advisor=reader, mine_only=False)) == {
            "Priya Private",
            "Sam Shared",
        }
        assert diagnoses_for(advisor=reader) == []


# --- cost -------------------------------------------------------------------------------------


def book(owner: User, size: int) -> None:
    for index in range(size):
        partner = met(
            owner,
            days_ago=400 + index,
            stage=[Stage.FIRST_MEETING, Stage.PROPOSED, Stage.ACTIVE][index % 3],
            touches=2,
            name=f"Partner {index}",
            growth_mode=index % 2 == 0,
            can_describe_value="no" if index % 5 == 0 else "yes",
        )
        referral(partner, direction=Direction.SENT, days_ago=10)
        if index % 4 == 0:
            referral(partner, direction=Direction.RECEIVED, days_ago=20)
        if index % 6 == 0:
            message_check_record(partner=partner, by=owner, result="no", occurred_at=ago(3))


def queries_for_assess(advisor: User, *, mine_only: bool = True) -> int:
    with CaptureQueriesContext(connection) as captured:
        assess(advisor=advisor, mine_only=mine_only)
    return len(captured)


def test_the_diagnoses_cost_the_same_queries_for_3_or_30_partners(cast: Cast) -> None:
    book(cast.alice, 3)
    small = queries_for_assess(cast.alice)
    assert small == 2  # the partners with every count, and the core stages
    book(cast.carol, 30)
    assert queries_for_assess(cast.carol) == small
    assert len(diagnoses_for(advisor=cast.carol)) > 10
    # Read by someone else, the owners are named from the same query.
    assert queries_for_assess(cast.ada, mine_only=False) == small
