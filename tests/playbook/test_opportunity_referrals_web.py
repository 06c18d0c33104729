"""Linking an opportunity to the referral it produced, on the partner's opportunity page."""

import re
from typing import Any

import pytest
from django.utils.html import escape

from reciprocity.playbook.forms import strategies as forms
from reciprocity.playbook.models import Opportunity, Strategy
from reciprocity.playbook.services import strategies as services
from reciprocity.referrals.models import Direction, Kind, ReferralStatus
from tests.conftest import Cast, client_for
from tests.factories import OpportunityFactory, ReferralFactory, ago
from tests.playbook.helpers import page_of, received, state
from tests.playbook.test_opportunity_referrals import linked
from tests.web import htmx, queries_for

pytestmark = pytest.mark.django_db


def opportunities_url(partner: Any) -> str:
    return f"/partners/{partner.pk}/opportunities/"


def action(opportunity: Opportunity, what: str) -> str:
    return f"/partners/{opportunity.partner_id}/opportunities/{opportunity.pk}/{what}/"


def test_the_close_form_offers_the_partners_unlinked_received_referrals_newest_first(
    cast: Cast,
) -> None:
    partner = cast.alice_private
    OpportunityFactory(partner=partner, title="Estate worry")
    received(partner, need="Older prospect", occurred_at=ago(30))
    received(partner, need="Newer prospect", occurred_at=ago(3))
    ReferralFactory(partner=partner, direction=Direction.SENT, need="Sent away")
    received(partner, kind=Kind.CONNECTION, need="Association intro")
    received(cast.alice_shared, need="Someone else's")

    page = page_of(client_for(cast.alice).get(opportunities_url(partner)))

    offered = re.findall(r'<option value="\d+">([^<(]+) \(', page)
    assert offered == ["Newer prospect", "Older prospect"]
    assert "Not logged yet" in page


def test_closing_as_referred_with_a_referral_works_without_javascript(cast: Cast) -> None:
    partner = cast.alice_private
    opportunity = OpportunityFactory(partner=partner, title="Estate worry")
    referral = received(partner, need="A widow's estate plan")
    client = client_for(cast.alice)

    response = client.post(
        action(opportunity, "close"),
        {"outcome": "referred", "referral": referral.pk, "next": opportunities_url(partner)},
    )

    assert response.status_code == 302
    assert response["Location"] == opportunities_url(partner)
    assert state(opportunity)[:2] == ("referred", referral.pk)
    page = page_of(client.get(opportunities_url(partner)))
    assert f'href="/referrals/{referral.pk}/"' in page
    assert "Referred: Estate worry, linked to the referral" in page
    assert "Unlink the referral" in page


def test_a_refused_referral_is_shown_on_the_opportunitys_form(cast: Cast) -> None:
    partner = cast.alice_private
    opportunity = OpportunityFactory(partner=partner, title="Estate worry")
    OpportunityFactory(partner=partner, title="Another one")
    sent = ReferralFactory(partner=partner, direction=Direction.SENT)
    received(partner)

    page = page_of(
        client_for(cast.alice).post(
            action(opportunity, "close"), {"outcome": "referred", "referral": sent.pk}
        )
    )

    errors = f'id="opportunity-{opportunity.pk}-errors"'
    assert errors in page
    assert page.count('class="errorlist"') == 1
    assert escape(services.REFERRAL_NOT_RECEIVED) in page.split(errors, 1)[1].split("</ul>")[0]
    assert f'aria-describedby="opportunity-{opportunity.pk}-errors"' in page
    assert state(opportunity) == ("open", None, None)


def test_a_referral_the_user_cannot_see_is_refused_as_unknown(cast: Cast) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    theirs = received(cast.mallory_partner)

    page = page_of(
        client_for(cast.alice).post(
            action(opportunity, "close"), {"outcome": "referred", "referral": theirs.pk}
        )
    )

    assert escape(forms.REFERRAL_UNKNOWN) in page
    assert state(opportunity) == ("open", None, None)


def test_a_referred_opportunity_without_a_link_offers_to_link_the_referral(cast: Cast) -> None:
    partner = cast.alice_private
    opportunity = OpportunityFactory(partner=partner, status="referred", title="Estate worry")
    client = client_for(cast.alice)
    page = page_of(client.get(opportunities_url(partner)))
    assert "No received referral to link yet" in page
    referral = received(partner, need="A widow's estate plan")
    assert "Link the referral" in page_of(client.get(opportunities_url(partner)))

    refused = page_of(client.post(action(opportunity, "referral"), {"referral": ""}))
    assert escape(forms.REFERRAL_REQUIRED) in refused
    response = client.post(action(opportunity, "referral"), {"referral": referral.pk})

    assert response.status_code == 302
    assert response["Location"] == opportunities_url(partner)
    assert state(opportunity)[:2] == ("referred", referral.pk)


def test_a_link_made_by_mistake_is_undone_on_the_page(cast: Cast) -> None:
    partner = cast.alice_private
    referral = received(partner)
    opportunity = OpportunityFactory(partner=partner, status="referred", referral=referral)
    client = client_for(cast.alice)

    response = client.post(action(opportunity, "referral/unlink"))

    assert response.status_code == 302
    assert state(opportunity)[:2] == ("referred", None)
    client.post(action(opportunity, "referral/unlink"))
    page = page_of(client.get(opportunities_url(partner)))
    assert escape(services.OPPORTUNITY_NOT_LINKED) in page


def test_the_panel_closes_with_a_referral_in_place(cast: Cast) -> None:
    partner = cast.alice_private
    opportunity = OpportunityFactory(partner=partner, title="Estate worry")
    referral = received(partner, need="A widow's estate plan")
    client = client_for(cast.alice)
    assert 'id="panel-referral-' in page_of(client.get(f"/partners/{partner.pk}/"))

    response = client.post(
        action(opportunity, "close"),
        {"outcome": "referred", "referral": referral.pk},
        headers=htmx("playbook"),
    )

    assert 'id="playbook"' in page_of(response)
    assert state(opportunity)[:2] == ("referred", referral.pk)
    sent = ReferralFactory(partner=partner, direction=Direction.SENT)
    other = OpportunityFactory(partner=partner)
    refused = page_of(
        client.post(
            action(other, "close"),
            {"outcome": "referred", "referral": sent.pk},
            headers=htmx("playbook"),
        )
    )
    assert escape(services.REFERRAL_NOT_RECEIVED) in refused


def test_the_referral_page_says_which_opportunity_produced_it(cast: Cast) -> None:
    partner = cast.alice_private
    referral = received(partner)
    unlinked = received(partner)
    opportunity = OpportunityFactory(
        partner=partner,
        title="Estate worry",
        strategy=Strategy.TALK_CLIENTS,
        status="referred",
        referral=referral,
    )
    client = client_for(cast.alice)

    page = page_of(client.get(f"/referrals/{referral.pk}/"))

    assert "From opportunity" in page
    assert (
        f'<a href="/partners/{partner.pk}/opportunities/#opportunity-{opportunity.pk}">'
        "Estate worry</a> (Talk clients, not concepts)"
    ) in page
    assert "From opportunity" not in page_of(client.get(f"/referrals/{unlinked.pk}/"))


def test_the_yield_tables_show_referrals_received_and_new_clients(cast: Cast) -> None:
    linked(cast.alice_private, Strategy.CLIENT_COMPLAINTS, ReferralStatus.BECAME_CLIENT)
    client = client_for(cast.alice)
    for url in ("/playbook/", opportunities_url(cast.alice_private)):
        page = page_of(client.get(url))
        assert "Referrals received" in page
        assert '<td class="num" data-label="New clients">1</td>' in page, url


def test_the_opportunities_page_costs_the_same_queries_for_3_or_30_opportunities(
    cast: Cast,
) -> None:
    partner = cast.alice_private
    client = client_for(cast.alice)

    def book(n: int) -> None:
        for _ in range(n):
            linked(partner, Strategy.CLIENT_COMPLAINTS, ReferralStatus.BECAME_CLIENT)
            OpportunityFactory(partner=partner, status="referred")
            OpportunityFactory(partner=partner)
            received(partner)

    book(1)
    small = queries_for(lambda: client.get(opportunities_url(partner)))
    book(9)
    assert queries_for(lambda: client.get(opportunities_url(partner))) == small


def test_who_may_link_on_the_web(cast: Cast) -> None:
    private = OpportunityFactory(partner=cast.alice_private)
    referral = received(cast.alice_private)
    for who in (cast.mallory, cast.bob, cast.carol):
        client = client_for(who)
        for what in ("referral", "referral/unlink", "close"):
            body = {"outcome": "referred", "referral": referral.pk}
            assert client.post(action(private, what), body).status_code == 404, (who, what)
    cole = client_for(cast.cole)
    page = page_of(cole.get(opportunities_url(cast.alice_private)))
    assert 'method="post"' not in page.split("<main", 1)[-1]
    assert cole.post(action(private, "referral"), {"referral": referral.pk}).status_code == 403
    assert state(private) == ("open", None, None)

    shared = OpportunityFactory(partner=cast.alice_shared)
    theirs = received(cast.alice_shared)
    response = client_for(cast.bob).post(action(shared, "referral"), {"referral": theirs.pk})
    assert response.status_code == 302
    assert state(shared)[:2] == ("referred", theirs.pk)
