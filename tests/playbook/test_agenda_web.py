"""The agenda page: every source, completed, set aside or snoozed in place."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from reciprocity.partners.models import CommitmentStatus, Stage, TouchKind
from reciprocity.playbook.models import AgendaSnooze, OpportunityStatus
from reciprocity.playbook.services.agenda import SNOOZE_NOT_AFTER_TODAY
from tests.conftest import Cast, client_for
from tests.factories import (
    CommitmentFactory,
    MeetingFactory,
    OpportunityFactory,
    PartnerFactory,
    TouchFactory,
    ago,
)
from tests.playbook.helpers import days, has, page_of
from tests.web import htmx, is_partial, queries_for

pytestmark = pytest.mark.django_db


def test_the_agenda_holds_every_source_in_its_group(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    CommitmentFactory(partner=partner, what="Send the article", due=days(-2))
    OpportunityFactory(partner=partner, title="Client worried about markets", ask_by=days(0))
    MeetingFactory(
        partner=partner,
        scheduled_for=timezone.make_aware(dt.datetime.combine(days(3), dt.time(10))),
    )
    page = page_of(client_for(alice).get("/agenda/"))
    assert page.index('id="agenda-overdue"') < page.index("Send the article")
    today = page.index('id="agenda-today"')
    assert (
        today
        < page.index("Ask Priya Private for a meeting with the client")
        < page.index('id="agenda-week"')
    )
    assert page.index('id="agenda-week"') < page.index("Prepare the first meeting")
    assert "Meeting asked" not in page  # the agenda says "Asked"
    assert ">Asked<" in page


def test_each_item_offers_its_sources_touches_with_the_usual_one_chosen(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    commitment = CommitmentFactory(partner=partner, what="Send the article", due=days(-2))
    opportunity = OpportunityFactory(partner=partner, title="Client worried", ask_by=days(0))
    page = page_of(client_for(alice).get("/agenda/"))
    lists = dict(
        re.findall(r'<select name="touch_kind" id="kind-([^"]+)">\s*(.*?)\s*</select>', page)
    )
    every_kind = "".join(f'<option value="{k}">{label}</option>' for k, label in TouchKind.choices)
    assert lists == {
        f"commitment-{partner.pk}-{commitment.pk}": '<option value="" selected>No touch</option>'
        + every_kind,
        f"opportunity-{partner.pk}-{opportunity.pk}": every_kind.replace(
            '"call">', '"call" selected>'
        ),
    }


def test_snoozing_an_item_needs_a_reason_and_a_later_day(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    commitment = CommitmentFactory(partner=partner, what="Send the article", due=days(-2))
    key = f"commitment:{partner.pk}:{commitment.pk}"
    client = client_for(alice)

    refused = client.post(
        "/agenda/snooze/", {"key": key, "until": days(0).isoformat(), "reason": "Busy"}
    )
    page = page_of(refused)
    assert has(page, SNOOZE_NOT_AFTER_TODAY)
    assert '<details class="snooze" open>' in page
    assert not AgendaSnooze.objects.exists()

    response = client.post(
        "/agenda/snooze/",
        {"key": key, "until": days(5).isoformat(), "reason": "Partner on holiday"},
        headers=htmx("agenda"),
    )
    page = page_of(response)
    assert is_partial(response)
    assert 'id="agenda-overdue"' not in page
    assert "Partner on holiday" in page  # listed under Snoozed
    assert AgendaSnooze.objects.get().until == days(5)

    client.post("/agenda/unsnooze/", {"key": key})
    assert page_of(client.get("/agenda/")).count("Send the article") >= 1
    assert not AgendaSnooze.objects.exists()


def test_an_opportunity_is_asked_for_from_the_agenda(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    opportunity = OpportunityFactory(partner=partner, title="Estate worry", ask_by=days(1))
    response = client_for(alice).post(
        "/agenda/complete/",
        {"key": f"opportunity:{partner.pk}:{opportunity.pk}", "touch_kind": "email"},
    )
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.status == OpportunityStatus.MEETING_REQUESTED
    assert opportunity.request_touch is not None
    assert opportunity.request_touch.kind == TouchKind.EMAIL


def test_an_agenda_key_of_a_partner_one_cannot_see_is_a_404(playbook_cast: Cast) -> None:
    commitment = CommitmentFactory(partner=playbook_cast.alice_private, due=days(-1))
    key = f"commitment:{commitment.partner_id}:{commitment.pk}"
    client = client_for(playbook_cast.mallory)
    for path, data in (
        ("/agenda/complete/", {"key": key}),
        ("/agenda/complete/", {"key": key, "action": "drop"}),
        ("/agenda/snooze/", {"key": key, "until": days(3).isoformat(), "reason": "x"}),
    ):
        assert client.post(path, data).status_code == 404, path
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.OPEN


def test_the_agenda_costs_the_same_queries_for_a_small_or_a_big_book(playbook_cast: Cast) -> None:
    alice = playbook_cast.alice
    client = client_for(alice)

    def grow(count: int) -> None:
        for n in range(count):
            partner = PartnerFactory(owner=alice, stage=Stage.ACTIVE, stage_changed_at=ago(200))
            TouchFactory(partner=partner, occurred_at=ago(130))
            CommitmentFactory(partner=partner, due=days(n % 8 - 2))
            OpportunityFactory(partner=partner, ask_by=days(n % 5))
            MeetingFactory(partner=partner)
            AgendaSnooze.objects.create(
                advisor=alice, partner=partner, key=f"x:{partner.pk}:{n}", until=days(3), reason="r"
            )

    grow(2)
    small = queries_for(lambda: client.get("/agenda/"))
    grow(12)
    assert queries_for(lambda: client.get("/agenda/")) == small
