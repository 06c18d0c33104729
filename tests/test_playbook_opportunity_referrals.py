"""A received referral linked back to the opportunity that produced it: the link closes the
opportunity as referred, refuses what does not fit, and lets each strategy's yield count the
referrals and the clients they became; on the web pages, the API and in the history."""

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import escape

from reciprocity.audit.services import records_purge
from reciprocity.partners.services import ARCHIVED_PARTNER, READ_ONLY_ROLE, partner_archive
from reciprocity.playbook.forms import strategies as forms
from reciprocity.playbook.models import Opportunity, OpportunityStatus, Strategy
from reciprocity.playbook.selectors.strategies import referrals_to_link, strategy_yield
from reciprocity.playbook.services import strategies as services
from reciprocity.referrals.models import Direction, Kind, Referral, ReferralStatus
from tests.api_client import ApiClient, token_client
from tests.conftest import Cast, client_for
from tests.factories import OpportunityFactory, PartnerFactory, ReferralFactory
from tests.web import htmx, queries_for

pytestmark = pytest.mark.django_db


def ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def received(partner: Any, **kwargs: Any) -> Referral:
    """A referral of a prospect the partner sent the advisor."""
    return ReferralFactory(partner=partner, direction=Direction.RECEIVED, **kwargs)


def state(opportunity: Opportunity) -> tuple[str, int | None, dt.datetime | None]:
    opportunity.refresh_from_db()
    return opportunity.status, opportunity.referral_id, opportunity.closed_at


def page_of(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- Linking --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["open", "meeting_requested"])
def test_linking_the_referral_closes_the_opportunity_as_referred_when_it_came_in(
    cast: Cast, status: str
) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private, status=status)
    referral = received(cast.alice_private, occurred_at=ago(3))

    services.opportunity_link_referral(opportunity=opportunity, referral=referral, by=cast.alice)

    assert opportunity.status == OpportunityStatus.REFERRED
    assert state(opportunity) == ("referred", referral.pk, referral.occurred_at)
    referral.refresh_from_db()
    assert referral.opportunity == opportunity  # type: ignore[attr-defined]


def test_a_referral_that_came_in_before_the_meeting_was_asked_for_is_refused(
    cast: Cast,
) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    services.opportunity_request_meeting(
        opportunity=opportunity, by=cast.alice, occurred_at=ago(10)
    )
    earlier = received(cast.alice_private, occurred_at=ago(20))

    with pytest.raises(ValidationError) as refused:
        services.opportunity_link_referral(opportunity=opportunity, referral=earlier, by=cast.alice)

    assert refused.value.message_dict == {"referral": [services.REFERRAL_BEFORE_REQUEST]}
    assert state(opportunity) == ("meeting_requested", None, None)
    later = received(cast.alice_private, occurred_at=ago(5))
    services.opportunity_link_referral(opportunity=opportunity, referral=later, by=cast.alice)
    assert state(opportunity) == ("referred", later.pk, later.occurred_at)


def test_a_referral_dated_in_the_future_closes_the_opportunity_now(cast: Cast) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = received(cast.alice_private, occurred_at=timezone.now() + dt.timedelta(days=2))
    before = timezone.now()

    services.opportunity_link_referral(opportunity=opportunity, referral=referral, by=cast.alice)

    assert opportunity.closed_at is not None
    assert before <= opportunity.closed_at <= timezone.now()


def test_a_referred_opportunity_without_a_link_just_gets_the_link(cast: Cast) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    services.opportunity_close(
        opportunity=opportunity, by=cast.alice, outcome="referred", occurred_at=ago(10)
    )
    referral = received(cast.alice_private, occurred_at=ago(2))

    services.opportunity_link_referral(opportunity=opportunity, referral=referral, by=cast.alice)

    assert state(opportunity) == ("referred", referral.pk, opportunity.closed_at)
    assert opportunity.closed_at is not None
    assert abs(opportunity.closed_at - ago(10)) < dt.timedelta(minutes=1)


def test_closing_as_referred_with_the_referral_links_it(cast: Cast) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = received(cast.alice_private, occurred_at=ago(1))

    services.opportunity_close(
        opportunity=opportunity,
        by=cast.alice,
        outcome="referred",
        note="Introduced at lunch",
        referral=referral,
    )

    assert state(opportunity) == ("referred", referral.pk, referral.occurred_at)
    assert opportunity.outcome_note == "Introduced at lunch"


def test_a_declined_opportunity_names_no_referral(cast: Cast) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = received(cast.alice_private)

    with pytest.raises(ValidationError) as excinfo:
        services.opportunity_close(
            opportunity=opportunity, by=cast.alice, outcome="declined", referral=referral
        )

    assert excinfo.value.message_dict == {"referral": [services.REFERRAL_ONLY_IF_REFERRED]}
    assert state(opportunity) == ("open", None, None)


def _sent(cast: Cast) -> Referral:
    return ReferralFactory(partner=cast.alice_private, direction=Direction.SENT)


def _connection(cast: Cast) -> Referral:
    return received(cast.alice_private, kind=Kind.CONNECTION)


def _other_partners(cast: Cast) -> Referral:
    return received(cast.alice_shared)


def _archived(cast: Cast) -> Referral:
    return received(cast.alice_private, archived_at=ago(1))


def _linked_elsewhere(cast: Cast) -> Referral:
    referral = received(cast.alice_private)
    OpportunityFactory(partner=cast.alice_private, status="referred", referral=referral)
    return referral


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_sent, services.REFERRAL_NOT_RECEIVED),
        (_connection, services.REFERRAL_IS_CONNECTION),
        (_other_partners, services.REFERRAL_OF_ANOTHER_PARTNER),
        (_archived, services.REFERRAL_ARCHIVED),
        (_linked_elsewhere, services.REFERRAL_TAKEN),
    ],
)
def test_a_referral_that_does_not_fit_is_refused(cast: Cast, make: Any, message: str) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = make(cast)

    with pytest.raises(ValidationError) as excinfo:
        services.opportunity_link_referral(
            opportunity=opportunity, referral=referral, by=cast.alice
        )

    assert excinfo.value.message_dict == {"referral": [message]}
    assert state(opportunity) == ("open", None, None)


@pytest.mark.parametrize(
    ("status", "linked", "message"),
    [
        ("declined", False, services.OPPORTUNITY_DECLINED),
        ("referred", True, services.OPPORTUNITY_LINKED),
    ],
)
def test_a_declined_or_already_linked_opportunity_is_refused(
    cast: Cast, status: str, linked: bool, message: str
) -> None:
    first = received(cast.alice_private) if linked else None
    opportunity = OpportunityFactory(partner=cast.alice_private, status=status, referral=first)
    referral = received(cast.alice_private)

    with pytest.raises(ValidationError) as excinfo:
        services.opportunity_link_referral(
            opportunity=opportunity, referral=referral, by=cast.alice
        )

    assert excinfo.value.messages == [message]
    assert state(opportunity)[:2] == (status, first.pk if first else None)
    assert not Opportunity.objects.filter(referral=referral).exists()


def test_the_database_keeps_a_linked_opportunity_referred(cast: Cast) -> None:
    referral = received(cast.alice_private)
    with pytest.raises(IntegrityError), transaction.atomic():
        OpportunityFactory(partner=cast.alice_private, status="open", referral=referral)


def test_the_database_refuses_one_referral_for_two_opportunities(cast: Cast) -> None:
    referral = received(cast.alice_private)
    OpportunityFactory(partner=cast.alice_private, status="referred", referral=referral)
    with pytest.raises(IntegrityError), transaction.atomic():
        OpportunityFactory(partner=cast.alice_private, status="referred", referral=referral)


def test_a_read_only_role_or_an_archived_partner_cannot_link(cast: Cast) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = received(cast.alice_private)

    with pytest.raises(PermissionDenied, match=re.escape(READ_ONLY_ROLE)):
        services.opportunity_link_referral(opportunity=opportunity, referral=referral, by=cast.cole)
    partner_archive(partner=cast.alice_private, by=cast.alice)
    with pytest.raises(ValidationError) as excinfo:
        services.opportunity_link_referral(
            opportunity=opportunity, referral=referral, by=cast.alice
        )

    assert excinfo.value.messages == [ARCHIVED_PARTNER]
    assert state(opportunity) == ("open", None, None)


def test_the_history_records_who_linked_and_unlinked_the_referral(cast: Cast) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_shared)
    referral = received(cast.alice_shared)

    services.opportunity_link_referral(opportunity=opportunity, referral=referral, by=cast.bob)
    services.opportunity_unlink_referral(opportunity=opportunity, by=cast.alice)

    rows = list(opportunity.history.order_by("history_date", "history_id"))  # type: ignore[attr-defined]
    assert [(row.history_user, row.referral_id, row.status) for row in rows[-2:]] == [
        (cast.bob, referral.pk, "referred"),
        (cast.alice, None, "referred"),
    ]


def test_unlinking_keeps_the_opportunity_referred_and_frees_the_referral(cast: Cast) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = received(cast.alice_private)
    services.opportunity_link_referral(opportunity=opportunity, referral=referral, by=cast.alice)
    closed_at = opportunity.closed_at

    services.opportunity_unlink_referral(opportunity=opportunity, by=cast.alice)

    assert state(opportunity) == ("referred", None, closed_at)
    assert list(referrals_to_link(partner=cast.alice_private)) == [referral]
    with pytest.raises(ValidationError) as excinfo:
        services.opportunity_unlink_referral(opportunity=opportunity, by=cast.alice)
    assert excinfo.value.messages == [services.OPPORTUNITY_NOT_LINKED]


def test_the_referrals_to_link_are_the_partners_unlinked_received_ones_newest_first(
    cast: Cast,
) -> None:
    partner = cast.alice_private
    older = received(partner, occurred_at=ago(20))
    newer = received(partner, occurred_at=ago(2))
    for make in (_sent, _connection, _archived, _linked_elsewhere, _other_partners):
        make(cast)

    assert list(referrals_to_link(partner=partner)) == [newer, older]


# --- Yield ----------------------------------------------------------------------------------


def linked(partner: Any, strategy: str, status: str = ReferralStatus.RECEIVED, **kw: Any) -> None:
    referral = received(partner, status=status, **kw)
    OpportunityFactory(partner=partner, strategy=strategy, status="referred", referral=referral)


def test_the_yield_counts_linked_referrals_and_the_clients_they_became(cast: Cast) -> None:
    partner = cast.alice_private
    linked(partner, Strategy.CLIENT_COMPLAINTS)
    linked(partner, Strategy.CLIENT_COMPLAINTS, ReferralStatus.BECAME_CLIENT)
    linked(partner, Strategy.TALK_CLIENTS, ReferralStatus.BECAME_CLIENT)
    linked(partner, Strategy.TALK_CLIENTS, ReferralStatus.NOT_A_FIT, outcome_reason="Too small")
    # Archived: it left the books' counts, and the yield's.
    linked(partner, Strategy.TALK_CLIENTS, ReferralStatus.BECAME_CLIENT, archived_at=ago(1))
    OpportunityFactory(partner=partner, strategy=Strategy.TALK_CLIENTS, status="referred")
    linked(cast.alice_shared, Strategy.CLIENT_COMPLAINTS, ReferralStatus.BECAME_CLIENT)
    linked(cast.mallory_partner, Strategy.CLIENT_COMPLAINTS, ReferralStatus.BECAME_CLIENT)

    rows = {row.strategy: row for row in strategy_yield(advisor=cast.alice)}
    assert (rows["client_complaints"].referred, rows["client_complaints"].referrals) == (3, 3)
    assert rows["client_complaints"].clients == 2
    assert (rows["talk_clients"].referred, rows["talk_clients"].referrals) == (4, 2)
    assert rows["talk_clients"].clients == 1
    assert rows["client_requested"].referrals == rows["joint_client_work"].clients == 0

    teammate = {row.strategy: row for row in strategy_yield(advisor=cast.bob)}
    assert (teammate["client_complaints"].referrals, teammate["client_complaints"].clients) == (
        1,
        1,
    )
    assert sum(row.referrals for row in teammate.values()) == 1
    one = {row.strategy: row for row in strategy_yield(advisor=cast.alice, partner=partner)}
    assert one["client_complaints"].clients == 1


def test_the_yield_costs_two_queries_for_any_book(
    cast: Cast, django_assert_num_queries: Any
) -> None:
    partner = cast.alice_private
    for n in range(12):
        linked(partner, Strategy.values[n % 5], ReferralStatus.BECAME_CLIENT)
        OpportunityFactory(partner=PartnerFactory(owner=cast.alice), status="open")

    with django_assert_num_queries(2):
        rows = strategy_yield(advisor=cast.alice)
    assert sum(row.clients for row in rows) == 12


# --- The web pages --------------------------------------------------------------------------


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


# --- The API --------------------------------------------------------------------------------


@pytest.fixture
def api(cast: Cast) -> ApiClient:
    return token_client(cast.alice)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.json()
    return response.json()


def test_the_api_links_a_referral_and_shows_it_on_the_opportunity(
    cast: Cast, api: ApiClient
) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = received(cast.alice_private, occurred_at=ago(2))
    assert ok(api.call("GET", f"opportunities/{opportunity.pk}"))["referral"] is None

    body = ok(
        api.call("POST", f"opportunities/{opportunity.pk}/referral", {"referral": referral.pk})
    )

    assert (body["status"], body["referral"]) == ("referred", referral.pk)
    listed = ok(api.call("GET", f"partners/{cast.alice_private.pk}/opportunities"))
    assert listed["items"][0]["referral"] == referral.pk


def test_the_api_closes_as_referred_with_the_referral(cast: Cast, api: ApiClient) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = received(cast.alice_private)

    body = ok(
        api.call(
            "POST",
            f"opportunities/{opportunity.pk}/close",
            {"outcome": "referred", "referral": referral.pk},
        )
    )

    assert (body["status"], body["referral"]) == ("referred", referral.pk)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_sent, services.REFERRAL_NOT_RECEIVED),
        (_connection, services.REFERRAL_IS_CONNECTION),
        (_other_partners, services.REFERRAL_OF_ANOTHER_PARTNER),
        (_archived, services.REFERRAL_ARCHIVED),
        (_linked_elsewhere, services.REFERRAL_TAKEN),
    ],
)
def test_the_api_says_why_a_referral_does_not_fit(
    cast: Cast, api: ApiClient, make: Any, message: str
) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = make(cast)

    response = api.call(
        "POST", f"opportunities/{opportunity.pk}/referral", {"referral": referral.pk}
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "referral", "message": message}]
    assert message.rstrip(".") in response.json()["detail"]
    assert state(opportunity) == ("open", None, None)


def test_the_api_refuses_a_declined_opportunity_and_a_declined_close_with_a_referral(
    cast: Cast, api: ApiClient
) -> None:
    declined = OpportunityFactory(partner=cast.alice_private, status="declined")
    referral = received(cast.alice_private)
    response = api.call("POST", f"opportunities/{declined.pk}/referral", {"referral": referral.pk})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": None, "message": services.OPPORTUNITY_DECLINED}]

    opportunity = OpportunityFactory(partner=cast.alice_private)
    response = api.call(
        "POST",
        f"opportunities/{opportunity.pk}/close",
        {"outcome": "declined", "referral": referral.pk},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "referral", "message": services.REFERRAL_ONLY_IF_REFERRED}
    ]


def test_the_api_unlinks_a_referral(cast: Cast, api: ApiClient) -> None:
    referral = received(cast.alice_private)
    opportunity = OpportunityFactory(
        partner=cast.alice_private, status="referred", referral=referral
    )

    body = ok(api.call("POST", f"opportunities/{opportunity.pk}/referral/unlink"))

    assert (body["status"], body["referral"]) == ("referred", None)
    response = api.call("POST", f"opportunities/{opportunity.pk}/referral/unlink")
    assert response.status_code == 422
    assert response.json()["detail"] == services.OPPORTUNITY_NOT_LINKED


def test_who_may_link_through_the_api(cast: Cast) -> None:
    private = OpportunityFactory(partner=cast.alice_private)
    referral = received(cast.alice_private)
    theirs = received(cast.mallory_partner)
    link = f"opportunities/{private.pk}/referral"
    for who in (cast.mallory, cast.bob, cast.carol):
        response = token_client(who).call("POST", link, {"referral": referral.pk})
        assert response.status_code == 404, who
    # A referral the caller cannot see is a 404 too, not a reason it does not fit.
    response = token_client(cast.alice).call("POST", link, {"referral": theirs.pk})
    assert response.status_code == 404
    response = token_client(cast.cole).call("POST", link, {"referral": referral.pk})
    assert (response.status_code, response.json()["detail"]) == (403, READ_ONLY_ROLE)
    assert state(private) == ("open", None, None)

    shared = OpportunityFactory(partner=cast.alice_shared)
    mine = received(cast.alice_shared)
    body = ok(
        token_client(cast.bob).call(
            "POST", f"opportunities/{shared.pk}/referral", {"referral": mine.pk}
        )
    )
    assert body["referral"] == mine.pk


def test_the_api_yield_counts_referrals_and_clients(
    cast: Cast, api: ApiClient, django_assert_max_num_queries: Any
) -> None:
    linked(cast.alice_private, Strategy.CLIENT_COMPLAINTS, ReferralStatus.BECAME_CLIENT)
    linked(cast.alice_shared, Strategy.CLIENT_COMPLAINTS)
    for _ in range(10):
        linked(PartnerFactory(owner=cast.alice), Strategy.TALK_CLIENTS)

    with django_assert_max_num_queries(4):
        rows = ok(api.call("GET", "opportunities/yield"))

    assert [row["strategy"] for row in rows] == Strategy.values
    complaints = rows[1]
    assert (complaints["rung"], complaints["referrals"], complaints["clients"]) == (2, 2, 1)
    assert rows[3]["referrals"] == 10
    one = ok(api.call("GET", f"opportunities/yield?partner={cast.alice_private.pk}"))
    assert (one[1]["referrals"], one[1]["clients"], one[3]["referrals"]) == (1, 1, 0)
    for odd in ("+1.0", "1.0", "x"):
        assert api.get("/api/v1/opportunities/yield", {"partner": odd}).status_code == 422
    for who, partner in ((cast.mallory, cast.alice_private), (cast.bob, cast.alice_private)):
        response = token_client(who).call("GET", f"opportunities/yield?partner={partner.pk}")
        assert response.status_code == 404


# --- The retention purge --------------------------------------------------------------------


def test_purging_an_old_archived_referral_keeps_the_opportunity_referred(cast: Cast) -> None:
    referral = received(cast.alice_private)
    opportunity = OpportunityFactory(
        partner=cast.alice_private, status="referred", referral=referral
    )
    Referral.objects.filter(pk=referral.pk).update(
        archived_at=timezone.now() - dt.timedelta(days=cast.firm.retention_days + 1)
    )

    purge = records_purge(by=cast.ada, reason="Retention period reached")

    assert purge.counts == {"referrals.Referral": 1}
    assert not Referral.objects.filter(pk=referral.pk).exists()
    assert state(opportunity)[:2] == ("referred", None)


def test_purging_an_old_archived_partner_takes_its_linked_opportunities_along(
    cast: Cast,
) -> None:
    partner = PartnerFactory(owner=cast.alice, name="Old Partner")
    referral = received(partner)
    OpportunityFactory(partner=partner, status="referred", referral=referral)
    partner_archive(partner=partner, by=cast.alice)
    type(partner).objects.filter(pk=partner.pk).update(
        archived_at=timezone.now() - dt.timedelta(days=cast.firm.retention_days + 1)
    )

    purge = records_purge(by=cast.ada, reason="Retention period reached")

    assert purge.counts["playbook.Opportunity"] == purge.counts["referrals.Referral"] == 1
    assert not Opportunity.objects.filter(partner_id=partner.pk).exists()
