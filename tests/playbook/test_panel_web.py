"""The playbook panel of a partner's page."""

import pytest

from reciprocity.partners.models import Partner, Stage
from reciprocity.playbook.models import PartnerStrategy, Strategy
from reciprocity.playbook.services.agreements import PromiseInput, agreement_create
from reciprocity.playbook.services.library import case_create
from reciprocity.playbook.services.strategies import SAME_STRATEGY, strategy_set
from tests.conftest import Cast, client_for
from tests.factories import (
    AdvisorProfileFactory,
    ClientConcernFactory,
    MeetingFactory,
    OpportunityFactory,
    TouchFactory,
)
from tests.playbook.helpers import days, has, page_of
from tests.web import htmx, is_partial, queries_for

pytestmark = pytest.mark.django_db


def test_the_partner_page_shows_the_message_before_every_meeting(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    client = client_for(alice)
    page = page_of(client.get(f"/partners/{partner.pk}/"))
    assert "Before you meet" in page
    assert "Write your message" in page

    AdvisorProfileFactory(user=alice, whom_i_help="Dentists who sell their practice")
    page = page_of(client.get(f"/partners/{partner.pk}/"))
    assert "Dentists who sell their practice" in page
    assert "Not checked" in page
    # The stage's meeting plan is suggested.
    assert "First meeting: get to know them" in page


def test_the_message_check_is_recorded_from_the_panel(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    response = client_for(alice).post(
        f"/partners/{partner.pk}/message-check/",
        {"result": "yes", "heard": "You help business owners sell"},
        headers=htmx("playbook"),
    )
    page = page_of(response)
    assert is_partial(response)
    assert 'id="playbook"' in page
    assert "You help business owners sell" in page
    partner.refresh_from_db()
    assert partner.can_describe_value == "yes"


def test_the_strategy_is_switched_in_place(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    client = client_for(alice)
    assert "Client-requested referral" in page_of(client.get(f"/partners/{partner.pk}/"))
    response = client.post(
        f"/partners/{partner.pk}/strategy/",
        {"strategy": Strategy.CLIENT_COMPLAINTS},
        headers=htmx("playbook"),
    )
    page = page_of(response)
    assert is_partial(response)
    assert "Harvesting client complaints" in page
    assert "rung 2 of 5" in page
    assert PartnerStrategy.objects.get(partner=partner).strategy == Strategy.CLIENT_COMPLAINTS

    again = client.post(
        f"/partners/{partner.pk}/strategy/", {"strategy": Strategy.CLIENT_COMPLAINTS}
    )
    assert again.status_code == 302
    assert has(page_of(client.get(f"/partners/{partner.pk}/")), SAME_STRATEGY)


def test_the_partner_page_costs_the_same_queries_with_little_or_much_playbook_data(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(stage=Stage.ACTIVE)
    AdvisorProfileFactory(user=alice)
    client = client_for(alice)
    url = f"/partners/{partner.pk}/"

    def grow(count: int) -> None:
        for n in range(count):
            TouchFactory(partner=partner)
            MeetingFactory(partner=partner)
            OpportunityFactory(partner=partner)
            ClientConcernFactory(partner=partner)
            case_create(
                partner=partner, by=alice, alias=f"Client {n}", description="d", topics=["tax"]
            )
            strategy_set(
                partner=partner,
                by=alice,
                strategy=[Strategy.CLIENT_COMPLAINTS, Strategy.TALK_CLIENTS][n % 2],
            )
        agreement_create(
            partner=partner,
            by=alice,
            promises=[
                PromiseInput(owner, f"Promise {n}")
                for n in range(count)
                for owner in ("advisor", "partner")
            ],
            referral_process="email_thread",
            next_review=days(90),
        )

    grow(2)
    small = queries_for(lambda: client.get(url))
    grow(12)
    assert queries_for(lambda: client.get(url)) == small
