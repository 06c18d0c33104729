"""The partner's confirmation link on the web and in the API: the public page (memo only without
consent, one 404 for every link that does not work, a plain form with CSRF, a 429 past the limit,
a constant query count), the advisor's buttons on the referral page, and the API's three
operations."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reciprocity.referrals.link_models import ReferralLink
from reciprocity.referrals.link_selectors import LINK_NOT_FOUND
from reciprocity.referrals.link_views import LINK_CREATED, LINK_REVOKED
from reciprocity.referrals.models import ConsentMethod, Direction, Referral, ReferralStatus
from reciprocity.referrals.services import confirmations as links
from reciprocity.referrals.services import ledger
from tests.api_client import token_client
from tests.conftest import Cast, client_for
from tests.factories import PartnerFactory
from tests.web import queries_for, shows

pytestmark = pytest.mark.django_db

PHONE = "555-867-5309"


def send(cast: Cast, **kwargs: Any) -> Referral:
    return ledger.referral_create(
        by=cast.alice,
        partner=cast.alice_private,
        direction=Direction.SENT,
        need=f"Estate plan for a widow, call her on {PHONE}",
        notes="Her late husband's trust needs review.",
        **kwargs,
    )


def link_url(cast: Cast, referral: Referral, purpose: str = "receipt") -> tuple[ReferralLink, str]:
    link, token = links.referral_link_create(referral=referral, by=cast.alice, purpose=purpose)
    return link, reverse("partner_link", args=[token])


def post_answer(url: str, **data: str) -> Any:
    """As a browser does: the page first (for the CSRF cookie and field), then the form."""
    client = Client(enforce_csrf_checks=True)
    page = client.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    return client.post(url, {"csrfmiddlewaretoken": token.group(1), **data})


# --- The partner's page -----------------------------------------------------------------------


def test_without_consent_the_partner_sees_the_memo_and_never_the_client(cast: Cast) -> None:
    _link, url = link_url(cast, send(cast))
    response = Client().get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Hypothetical referral (no client identified)" in page
    assert "[phone removed]" in page
    assert PHONE not in page
    assert "Did you receive this referral?" in page


def test_with_consent_the_partner_sees_who_the_client_is(cast: Cast) -> None:
    referral = send(cast)
    ledger.referral_record_consent(
        referral=referral,
        by=cast.alice,
        method=ConsentMethod.EMAIL,
        client_name="Ann Lee",
        client_contact="ann@example.com",
    )
    _link, url = link_url(cast, referral)
    page = Client().get(url).content.decode()
    assert "Ann Lee" in page
    assert "ann@example.com" in page


def test_the_page_is_its_own_with_no_navigation_search_or_script(cast: Cast) -> None:
    _link, url = link_url(cast, send(cast))
    response = Client().get(url)
    page = response.content.decode()
    for absent in ("site-nav", 'name="q"', "<script", "Pipeline", "Priya Private's timeline"):
        assert absent not in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_a_forged_expired_used_or_revoked_link_is_the_same_404(cast: Cast) -> None:
    referral = send(cast)
    expired, expired_url = link_url(cast, referral, "outcome")
    ReferralLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    revoked, revoked_url = link_url(cast, referral, "outcome")
    links.referral_link_revoke(link=revoked, by=cast.alice)
    used, used_url = link_url(cast, referral, "receipt")
    links.referral_link_answer(link=used, answer="received")
    forged_url = reverse("partner_link", args=["A" * 32])
    bodies = set()
    for url in (forged_url, expired_url, revoked_url, used_url):
        response = Client().get(url)
        assert response.status_code == 404
        assert shows(response, LINK_NOT_FOUND)
        bodies.add(response.content)
    assert len(bodies) == 1
    page = bodies.pop().decode()
    assert "Estate plan" not in page
    assert "Priya" not in page
    assert "alice" not in page.lower()


def test_the_partner_confirms_receipt_with_a_plain_form_post(cast: Cast) -> None:
    referral = send(cast)
    _link, url = link_url(cast, referral)
    response = post_answer(url, answer="received", note="Got it, calling her Monday")
    assert response.status_code == 200
    assert shows(response, "Thank you")
    referral.refresh_from_db()
    assert referral.receipt_confirmed_at is not None
    assert Client().get(url).status_code == 404


def test_a_post_without_the_csrf_token_changes_nothing(cast: Cast) -> None:
    referral = send(cast)
    _link, url = link_url(cast, referral)
    response = Client(enforce_csrf_checks=True).post(url, {"answer": "received"})
    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.receipt_confirmed_at is None


def test_the_outcome_form_refuses_not_a_fit_without_a_reason_in_place(cast: Cast) -> None:
    referral = send(cast)
    _link, url = link_url(cast, referral, "outcome")
    response = post_answer(url, answer="not_a_fit", note="")
    assert response.status_code == 200
    assert shows(response, links.REASON_NEEDED)
    assert not ReferralLink.objects.filter(used_at__isnull=False).exists()
    response = post_answer(url, answer="not_a_fit", note="They need a litigator")
    assert shows(response, "Thank you")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED


@pytest.mark.parametrize(
    "data",
    [
        {"answer": "met", "note": "\x00"},
        {"answer": "met", "note": "x" * 5000},
        {"answer": "received"},
        {"answer": "9" * 30},
        {},
    ],
)
def test_bad_input_on_the_partners_form_is_refused_in_place(
    cast: Cast, data: dict[str, str]
) -> None:
    _link, url = link_url(cast, send(cast), "outcome")
    response = post_answer(url, **data)
    assert response.status_code == 200
    assert 'class="field field--invalid' in response.content.decode()
    assert not ReferralLink.objects.filter(used_at__isnull=False).exists()


def test_too_many_tries_from_one_address_get_a_429(cast: Cast, settings: Any) -> None:
    settings.PARTNER_LINK_ATTEMPTS = 3
    _link, url = link_url(cast, send(cast))
    forged = reverse("partner_link", args=["B" * 32])
    client = Client()
    assert [client.get(forged).status_code for _ in range(3)] == [404, 404, 404]
    throttled = client.get(url)
    assert throttled.status_code == 429
    assert shows(throttled, "Too many requests")
    other_address = Client(REMOTE_ADDR="203.0.113.9")
    assert other_address.get(url).status_code == 200


def test_the_page_reads_a_constant_number_of_queries(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    _link, url = link_url(cast, send(cast))
    with django_assert_max_num_queries(6):
        small = queries_for(lambda: Client().get(url))
    other = ledger.referral_create(
        by=cast.alice,
        partner=PartnerFactory(owner=cast.alice, name="Other"),
        direction=Direction.SENT,
        need="Tax plan",
        notes="Long notes " * 200,
    )
    _other_link, other_url = link_url(cast, other, "outcome")
    assert queries_for(lambda: Client().get(other_url)) == small


# --- The advisor's side -----------------------------------------------------------------------


def test_the_advisor_creates_a_link_sees_its_url_once_and_revokes_it(cast: Cast) -> None:
    cast.alice_private.email = "priya@example.com"
    cast.alice_private.save()
    referral = send(cast)
    client = client_for(cast.alice)
    detail = reverse("referral_detail", args=[referral.pk])
    page = client.get(detail)
    assert shows(page, "Create a link: confirm receipt")

    created = client.post(
        reverse("referral_link_create", args=[referral.pk]), {"purpose": "receipt"}
    )
    assert created.status_code == 200
    assert shows(created, LINK_CREATED)
    url = re.search(r'id="new-link-url" value="([^"]+)"', created.content.decode())
    assert url is not None
    assert "/r/" in url.group(1)
    assert 'href="mailto:priya@example.com?subject=' in created.content.decode()
    assert Client().get(url.group(1).split("testserver", 1)[-1]).status_code == 200

    again = client.get(detail)
    assert url.group(1) not in again.content.decode()
    assert shows(again, "waiting, until")

    link = ReferralLink.objects.get(referral=referral)
    revoked = client.post(reverse("referral_link_revoke", args=[referral.pk, link.pk]), follow=True)
    assert shows(revoked, LINK_REVOKED)
    assert shows(revoked, "revoked")


def test_the_referral_page_tells_the_advisor_an_answer_that_left_the_status(cast: Cast) -> None:
    referral = send(cast)
    link, _url = link_url(cast, referral, "outcome")
    answered = links.referral_link_answer(link=link, answer="engaged")
    page = client_for(cast.alice).get(reverse("referral_detail", args=[referral.pk]))
    assert shows(page, answered.held_reason)
    assert shows(page, "answered")


def test_a_compliance_officer_sees_the_links_but_creates_none(cast: Cast) -> None:
    referral = send(cast)
    link_url(cast, referral)
    client = client_for(cast.cole)
    page = client.get(reverse("referral_detail", args=[referral.pk]))
    assert 'id="links-title"' in page.content.decode()
    assert not shows(page, "Create a link")
    response = client.post(
        reverse("referral_link_create", args=[referral.pk]), {"purpose": "receipt"}
    )
    assert response.status_code == 403
    assert ReferralLink.objects.count() == 1


def test_the_referral_page_with_links_reads_a_bounded_number_of_queries(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    referral = send(cast)
    for purpose in ("receipt", "outcome", "receipt", "outcome"):
        link_url(cast, referral, purpose)
    client = client_for(cast.alice)
    with django_assert_max_num_queries(40):
        assert client.get(reverse("referral_detail", args=[referral.pk])).status_code == 200


# --- The API ----------------------------------------------------------------------------------


def test_the_api_creates_a_link_with_its_url_once_lists_and_revokes_it(cast: Cast) -> None:
    referral = send(cast)
    api = token_client(cast.alice)
    base = f"/api/v1/referrals/{referral.pk}/links"
    created = api.post(base, {"purpose": "outcome"}, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert body["purpose"] == "outcome"
    assert body["state"] == "live"
    assert "/r/" in body["url"]
    assert Client().get(body["url"].split("testserver", 1)[-1]).status_code == 200

    listed = api.get(base).json()
    assert listed["count"] == 1
    assert "url" not in listed["items"][0]

    revoked = api.post(f"{base}/{body['id']}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"


def test_the_api_refuses_a_bad_purpose_and_a_used_link_with_a_detail(cast: Cast) -> None:
    referral = send(cast)
    api = token_client(cast.alice)
    base = f"/api/v1/referrals/{referral.pk}/links"
    assert api.post(base, {"purpose": "gossip"}, content_type="application/json").status_code == 422
    link, _url = link_url(cast, referral)
    links.referral_link_answer(link=link, answer="received")
    refused = api.post(f"{base}/{link.pk}/revoke")
    assert refused.status_code == 422
    assert links.LINK_USED in refused.json()["detail"]
    again = api.post(base, {"purpose": "receipt"}, content_type="application/json")
    assert again.status_code == 422
    assert links.ALREADY_ANSWERED.format(purpose="receipt") in again.json()["detail"]
    listed = api.get(base).json()["items"][0]
    assert (listed["answer"], listed["state"]) == ("received", "answered")
    confirmed = api.get(f"/api/v1/referrals/{referral.pk}").json()["receipt_confirmed_at"]
    assert confirmed is not None
