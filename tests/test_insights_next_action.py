"""The next best action: one sentence per partner, on the board's cards and the partner's page,
read from the agenda, the diagnoses, the next step and the stage, most pressing first."""

import datetime as dt

import pytest
from django.db import connection
from django.test.client import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from reciprocity.insights.diagnoses import ACTION_LABELS, PATIENCE_MONTHS, diagnoses_for
from reciprocity.insights.next_action import (
    STAGE,
    STAGE_ACTIONS,
    TOO_EARLY_ACTION,
    next_actions_for,
)
from reciprocity.partners.agenda import item_key
from reciprocity.partners.models import (
    CommitmentOwner,
    Partner,
    Stage,
)
from reciprocity.playbook.agenda.commitments import CommitmentSource
from reciprocity.playbook.models import CadenceKind
from reciprocity.playbook.selectors.agenda import agenda_for
from reciprocity.playbook.selectors.cadences import add_months, cadence_items_of
from reciprocity.playbook.services.agenda import agenda_snooze
from reciprocity.playbook.services.cadences import cadence_set
from reciprocity.playbook.services.firm import firm_defaults_install
from reciprocity.referrals.models import Direction
from tests.api_client import token_client
from tests.conftest import Cast
from tests.factories import (
    CommitmentFactory,
    PartnerFactory,
    ReferralFactory,
    TouchFactory,
    ago,
    agreement_in_force,
    met_partner,
)

pytestmark = pytest.mark.django_db


def action_of(cast: Cast, partner: Partner) -> str:
    return next_actions_for(cast.alice, [partner.pk])[partner.pk].sentence


def test_an_overdue_promise_comes_first_in_the_agendas_words(cast: Cast) -> None:
    partner = met_partner(
        cast.alice, stage=Stage.ACTIVE, days_ago=40
    )  # no agreement: a diagnosis too
    due = timezone.localdate() - dt.timedelta(days=3)
    CommitmentFactory(partner=partner, what="send the trust article", due=due)

    sentence = action_of(cast, partner)

    assert sentence == f"Overdue since {due:%b %-d}: Send the trust article."
    first = agenda_for(cast.alice).overdue[0]
    assert (first.partner_id, first.title) == (partner.pk, "send the trust article")


def test_a_promise_the_partner_owes_says_to_follow_up_with_them(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice, name="Dev Patel", stage=Stage.QUALIFIED)
    CommitmentFactory(
        partner=partner,
        what="introduce the Lees",
        owner=CommitmentOwner.PARTNER,
        due=timezone.localdate(),
    )

    assert action_of(cast, partner) == (
        "Today: Follow up with Dev Patel, who promised: introduce the Lees."
    )


def test_a_diagnosis_comes_before_what_is_due_later_this_week(cast: Cast) -> None:
    partner = met_partner(cast.alice, stage=Stage.ACTIVE, days_ago=40)
    CommitmentFactory(partner=partner, due=timezone.localdate() + dt.timedelta(days=3))

    [diagnosis] = [
        d for d in diagnoses_for(advisor=cast.alice, partner=partner) if d.severity != "info"
    ]

    assert diagnosis.slug == "no_agreement"
    assert action_of(cast, partner) == (
        f"{ACTION_LABELS['make_it_explicit']} ({diagnosis.title[:1].lower()}{diagnosis.title[1:]})."
    )


def test_an_item_later_this_week_is_the_action_when_nothing_is_wrong(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice, stage=Stage.QUALIFIED)
    due = timezone.localdate() + dt.timedelta(days=4)
    CommitmentFactory(partner=partner, what="Book the lunch", due=due)

    assert action_of(cast, partner) == f"By {due:%a %b %-d}: Book the lunch."


def test_a_next_step_beyond_the_week_is_named_with_whose_move_it_is(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice, stage=Stage.QUALIFIED)
    due = timezone.localdate() + dt.timedelta(days=30)
    CommitmentFactory(partner=partner, what="Call after tax season", due=due)

    assert (
        action_of(cast, partner) == f"Next step by {due:%b %-d, %Y} (yours): Call after tax season."
    )


def test_a_snoozed_item_is_left_out_as_the_agenda_leaves_it_out(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice, name="Dev Patel", stage=Stage.IDENTIFIED)
    commitment = CommitmentFactory(partner=partner, due=timezone.localdate())
    agenda_snooze(
        by=cast.alice,
        key=item_key("commitment", partner.pk, commitment.pk),
        until=timezone.localdate() + dt.timedelta(days=2),
        reason="Away",
    )

    # The commitment stays the next step: named, but not as due today.
    assert action_of(cast, partner).startswith("Next step by")


def test_with_nothing_due_the_stage_says_what_comes_next(cast: Cast) -> None:
    identified = PartnerFactory(owner=cast.alice, name="Ann Lee", stage=Stage.IDENTIFIED)
    dormant = PartnerFactory(owner=cast.alice, name="Bo Chan", stage=Stage.DORMANT)

    found = next_actions_for(cast.alice, [identified.pk, dormant.pk])

    assert found[identified.pk].sentence == STAGE_ACTIONS[Stage.IDENTIFIED].format(name="Ann Lee")
    assert found[dormant.pk].sentence == STAGE_ACTIONS[Stage.DORMANT].format(name="Bo Chan")


def test_a_partner_kept_warm_is_told_the_next_touch_and_its_date(cast: Cast) -> None:
    firm_defaults_install(firm=cast.firm)  # champions: touch base every three months
    partner = met_partner(cast.alice, stage=Stage.CHAMPION, days_ago=500)
    agreement_in_force(partner, cast.alice)
    cadence_set(partner=partner, by=cast.alice, kind=CadenceKind.ANNUAL_REVIEW, enabled=False)
    TouchFactory(partner=partner, occurred_at=ago(10))
    ReferralFactory(partner=partner, direction=Direction.RECEIVED, occurred_at=ago(30))
    [touch_base] = cadence_items_of(
        advisor=cast.alice, partners=Partner.objects.filter(pk=partner.pk)
    )

    assert touch_base.due is not None
    assert action_of(cast, partner) == (
        STAGE_ACTIONS[Stage.CHAMPION].format(name="Carla Reyes")
        + f" Next: touch base with Carla Reyes, by {touch_base.due:%b %-d}."
    )


def test_a_partner_too_early_to_judge_is_reassured(cast: Cast) -> None:
    partner = met_partner(cast.alice, stage=Stage.FIRST_MEETING, days_ago=60)
    judge_from = add_months(timezone.localdate() - dt.timedelta(days=60), PATIENCE_MONTHS)

    assert action_of(cast, partner) == TOO_EARLY_ACTION.format(
        name="Carla Reyes", judge_from=f"{judge_from:%b %-d, %Y}"
    )


def test_a_retired_partner_has_nothing_to_do_whatever_is_left_open(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice, name="Ann Lee", stage=Stage.RETIRED)
    CommitmentFactory(partner=partner, due=timezone.localdate() - dt.timedelta(days=9))

    assert action_of(cast, partner) == STAGE_ACTIONS[Stage.RETIRED].format(name="Ann Lee")


def test_partners_the_reader_may_not_see_get_no_action(cast: Cast) -> None:
    found = next_actions_for(
        cast.carol, [cast.alice_private.pk, cast.alice_shared.pk, cast.mallory_partner.pk]
    )
    teammate = next_actions_for(cast.bob, [cast.alice_private.pk, cast.alice_shared.pk])

    assert found == {}
    assert list(teammate) == [cast.alice_shared.pk]


def test_the_cost_does_not_grow_with_the_number_of_partners(cast: Cast) -> None:
    firm_defaults_install(firm=cast.firm)

    def book(n: int) -> list[int]:
        ids = []
        for i in range(n):
            partner = met_partner(
                cast.alice, stage=[Stage.ACTIVE, Stage.FIRST_MEETING][i % 2], days_ago=90
            )
            # Half overdue (the agenda decides), half beyond the week (the diagnoses decide).
            days = -i if i % 2 else 10 + i
            CommitmentFactory(partner=partner, due=timezone.localdate() + dt.timedelta(days=days))
            TouchFactory(partner=partner, occurred_at=ago(20 + i))
            ids.append(partner.pk)
        return ids

    small = book(2)
    with CaptureQueriesContext(connection) as few:
        next_actions_for(cast.alice, small)
    large = small + book(10)
    with CaptureQueriesContext(connection) as many:
        found = next_actions_for(cast.alice, large)

    assert len(found) == 12
    assert len(many) == len(few)


def test_the_diagnoses_are_not_read_where_the_agenda_decides_every_action(cast: Cast) -> None:
    partners = [met_partner(cast.alice, stage=Stage.ACTIVE, days_ago=40) for _ in range(3)]
    for partner in partners:
        CommitmentFactory(partner=partner, due=timezone.localdate() - dt.timedelta(days=2))
    partners.append(PartnerFactory(owner=cast.alice, stage=Stage.RETIRED))

    with CaptureQueriesContext(connection) as queries:
        found = next_actions_for(cast.alice, [partner.pk for partner in partners])

    assert all("dismissed_" not in q["sql"] for q in queries.captured_queries)
    assert [found[p.pk].source for p in partners] == [CommitmentSource.slug] * 3 + [STAGE]
    assert all(found[p.pk].diagnosed is None for p in partners)


def test_the_board_and_the_partner_page_show_the_same_sentence(cast: Cast, client: Client) -> None:
    partner = PartnerFactory(owner=cast.alice, name="Ann Lee", stage=Stage.QUALIFIED)
    expected = escape(STAGE_ACTIONS[Stage.QUALIFIED].format(name="Ann Lee"))
    client.force_login(cast.alice)

    board = client.get(reverse("pipeline")).content.decode()
    page = client.get(reverse("partner_detail", args=[partner.pk])).content.decode()

    assert expected in board
    assert expected in page


@pytest.mark.parametrize("due_today", [False, True], ids=["diagnosis", "agenda"])
def test_the_partner_page_reads_the_diagnoses_once_whichever_decides_the_action(
    cast: Cast, client: Client, due_today: bool
) -> None:
    partner = met_partner(cast.alice, stage=Stage.ACTIVE, days_ago=40)
    if due_today:
        # The agenda decides the action; the diagnosis panel reads the diagnoses itself.
        CommitmentFactory(partner=partner, what="Send the article", due=timezone.localdate())
    [diagnosis] = [
        d for d in diagnoses_for(advisor=cast.alice, partner=partner) if d.severity != "info"
    ]
    client.force_login(cast.alice)

    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("partner_detail", args=[partner.pk])).content.decode()

    # Every diagnosis's dismissal is read with the readings: one such query on the page.
    readings = [q for q in queries.captured_queries if f"dismissed_{diagnosis.slug}" in q["sql"]]
    assert len(readings) == 1
    assert escape(diagnosis.title) in page
    assert f"{ACTION_LABELS[diagnosis.action]}" in page
    assert ("Send the article" in page) is due_today


def test_a_card_does_not_repeat_the_next_step_it_already_shows(cast: Cast, client: Client) -> None:
    partner = PartnerFactory(owner=cast.alice, name="Ann Lee", stage=Stage.QUALIFIED)
    CommitmentFactory(partner=partner, what="Book the lunch", due=timezone.localdate())
    client.force_login(cast.alice)

    found = next_actions_for(cast.alice, [partner.pk])[partner.pk]
    board = client.get(reverse("pipeline")).content.decode()
    page = client.get(reverse("partner_detail", args=[partner.pk])).content.decode()

    assert found.is_next_step
    assert found.sentence not in board
    assert "Book the lunch" in board
    assert found.sentence in page


def test_the_api_answers_the_pages_sentence_and_hides_other_peoples_partners(
    cast: Cast,
) -> None:
    partner = PartnerFactory(owner=cast.alice, name="Ann Lee", stage=Stage.IDENTIFIED)

    mine = token_client(cast.alice).call("GET", f"partners/{partner.pk}/next-action")
    theirs = token_client(cast.carol).call("GET", f"partners/{partner.pk}/next-action")

    assert mine.status_code == 200
    assert mine.json() == {
        "sentence": STAGE_ACTIONS[Stage.IDENTIFIED].format(name="Ann Lee"),
        "source": "stage",
        "due": None,
        "overdue": False,
        "is_next_step": False,
    }
    assert theirs.status_code == 404
