"""One search over partners, touches, notes and referrals, with the database's own full-text
search: what the issue found missing ("hannah@", "617-555", "tax season"), ranked, and never
anything the searcher may not see."""

import pytest
from django.db import connection
from django.test import Client

from reciprocity.partners.models import Tag, TouchKind
from reciprocity.partners.services import partner_update
from reciprocity.search.fulltext import terms_of
from reciprocity.search.selectors import search
from tests.api_client import token_client
from tests.conftest import Cast
from tests.factories import PartnerFactory, ReferralFactory, TouchFactory

pytestmark = pytest.mark.django_db


def titles(advisor, text):  # type: ignore[no-untyped-def]
    return [hit.title for hit in search(advisor=advisor, text=text).hits]


@pytest.fixture
def hannah(cast: Cast):  # type: ignore[no-untyped-def]
    return PartnerFactory(
        owner=cast.alice,
        name="Hannah Lee",
        organization="Lee & Ortiz CPAs",
        email="hannah@leeortiz.example",
        phone="617-555-0142",
    )


def test_a_partner_is_found_by_the_start_of_her_email(cast: Cast, hannah) -> None:  # type: ignore[no-untyped-def]
    assert titles(cast.alice, "hannah@") == ["Hannah Lee"]


def test_a_partner_is_found_by_part_of_her_phone_number(cast: Cast, hannah) -> None:  # type: ignore[no-untyped-def]
    assert titles(cast.alice, "617-555") == ["Hannah Lee"]
    assert titles(cast.alice, "555 0142") == ["Hannah Lee"]


def test_a_touch_is_found_by_words_of_its_summary(cast: Cast, hannah) -> None:  # type: ignore[no-untyped-def]
    TouchFactory(partner=hannah, summary="Lunch before tax season: she sees many retirees")
    TouchFactory(partner=hannah, summary="Sent the estate article")
    hits = search(advisor=cast.alice, text="tax season").hits
    assert [(hit.kind, hit.partner_name) for hit in hits] == [("touch", "Hannah Lee")]


def test_a_note_is_labelled_a_note(cast: Cast, hannah) -> None:  # type: ignore[no-untyped-def]
    TouchFactory(partner=hannah, kind=TouchKind.NOTE, summary="Prefers mornings")
    assert [hit.label for hit in search(advisor=cast.alice, text="mornings").hits] == ["Note"]


def test_a_referral_is_found_by_its_need(cast: Cast, hannah) -> None:  # type: ignore[no-untyped-def]
    ReferralFactory(partner=hannah, need="Business succession plan for a dentist")
    hits = search(advisor=cast.alice, text="succession").hits
    assert [(hit.kind, hit.url.startswith("/referrals/")) for hit in hits] == [("referral", True)]


def test_a_partner_is_found_by_a_tag(cast: Cast, hannah) -> None:  # type: ignore[no-untyped-def]
    partner_update(partner=hannah, by=cast.alice, tags=["estate planning"])
    assert Tag.objects.filter(name="estate planning").exists()
    assert titles(cast.alice, "estate") == ["Hannah Lee"]


def test_an_edit_is_searchable_at_once(cast: Cast, hannah) -> None:  # type: ignore[no-untyped-def]
    partner_update(partner=hannah, by=cast.alice, organization="Beacon Street Advisors")
    assert titles(cast.alice, "beacon") == ["Hannah Lee"]
    assert titles(cast.alice, "ortiz") == []


def test_the_better_match_ranks_first(cast: Cast) -> None:
    PartnerFactory(owner=cast.alice, name="Dana Brook", notes="Met at a trust seminar")
    PartnerFactory(owner=cast.alice, name="Trust Partners", organization="Trust Partners Trust")
    assert titles(cast.alice, "trust") == ["Trust Partners", "Dana Brook"]


def test_search_finds_only_what_the_searcher_may_see(cast: Cast) -> None:
    for partner in (cast.alice_private, cast.alice_shared, cast.mallory_partner):
        TouchFactory(partner=partner, summary="Quarterly zebra review")
    seen = {
        user.username: sorted(hit.partner_name for hit in search(advisor=user, text="zebra").hits)
        for user in (cast.alice, cast.bob, cast.carol, cast.ada, cast.mallory)
    }
    assert seen == {
        "alice": ["Priya Private", "Sam Shared"],
        "bob": ["Sam Shared"],
        "carol": [],
        "ada": ["Priya Private", "Sam Shared"],
        "mallory": ["Other Firm Partner"],
    }


def test_an_archived_partner_is_not_found(cast: Cast, hannah) -> None:  # type: ignore[no-untyped-def]
    from reciprocity.partners.services import partner_archive

    partner_archive(partner=hannah, by=cast.alice)
    assert titles(cast.alice, "hannah") == []


def test_query_syntax_never_reaches_the_database() -> None:
    assert terms_of('"a" OR b* NEAR(c) -d & e:* \'f') == [
        "a",
        "or",
        "b",
        "near",
        "c",
        "d",
        "e",
        "f",
    ]


@pytest.mark.parametrize("text", ['"', "*", "AND", "a:*", "'", "))", "-"])
def test_odd_input_is_searched_safely(cast: Cast, hannah, text: str) -> None:  # type: ignore[no-untyped-def]
    search(advisor=cast.alice, text=text)


def test_the_search_page_lists_the_hits_with_their_links(cast: Cast, hannah) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(cast.alice)
    page = client.get("/search/", {"q": "hannah@"}).content.decode()
    assert f'href="/partners/{hannah.pk}/"' in page
    assert "1 match for" in page
    assert 'role="search"' in page


def test_the_search_page_reads_a_constant_number_of_queries(
    cast: Cast, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for n in range(12):
        partner = PartnerFactory(owner=cast.alice, name=f"Walnut {n}")
        TouchFactory(partner=partner, summary="walnut grove lunch")
        ReferralFactory(partner=partner, need="walnut estate")
    client = Client()
    client.force_login(cast.alice)
    with django_assert_max_num_queries(14):
        assert client.get("/search/", {"q": "walnut"}).status_code == 200


def test_every_page_has_the_search_box_in_its_header(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.alice)
    assert 'id="site-search-q"' in client.get("/pipeline/").content.decode()


def test_the_api_searches_with_the_same_rules(cast: Cast, hannah) -> None:  # type: ignore[no-untyped-def]
    TouchFactory(partner=hannah, summary="Tax season debrief")
    body = token_client(cast.alice).get("/api/v1/search", {"q": "tax season"}).json()
    assert body["count"] == 1
    assert body["items"][0]["kind"] == "touch"
    assert body["items"][0]["partner"] == {"id": hannah.pk, "name": "Hannah Lee"}
    assert token_client(cast.mallory).get("/api/v1/search", {"q": "tax"}).json()["count"] == 0


def test_the_api_refuses_an_empty_query_with_a_detail(cast: Cast) -> None:
    response = token_client(cast.alice).get("/api/v1/search", {"q": ""})
    assert response.status_code == 422
    assert response.json()["detail"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's query planner")
def test_postgresql_searches_touches_through_the_gin_index(cast: Cast, hannah) -> None:  # type: ignore[no-untyped-def]
    from reciprocity.partners.models import Touch
    from reciprocity.search.fulltext import INDEXED, PostgresFullText

    qs = PostgresFullText().match(Touch.objects.all(), INDEXED["touch"], ["tax"])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    assert "touch_fulltext" in qs.explain()
