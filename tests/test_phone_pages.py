"""Long pages made usable (issue 12, point 8): the partner page's timeline comes a page at a
time with "Show more", and the agenda groups by when, partner or kind and shows one kind."""

import datetime as dt

from django.utils import timezone

from reciprocity.partners.models import Partner
from tests.conftest import Cast, client_for
from tests.factories import CommitmentFactory, PartnerFactory, TouchFactory
from tests.web import htmx, queries_for


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def busy_partner(cast: Cast, touches: int) -> Partner:
    partner = cast.alice_private
    for n in range(touches):
        TouchFactory(
            partner=partner,
            summary=f"Touch number {n:03d}",
            occurred_at=timezone.now() - dt.timedelta(days=n + 1),
        )
    return partner


def test_the_timeline_shows_twenty_entries_and_a_link_to_more(cast: Cast) -> None:
    partner = busy_partner(cast, 45)
    page = client_for(cast.alice).get(f"/partners/{partner.pk}/").content.decode()
    assert page.count('class="timeline__item') == 20
    assert "Touch number 019" in page
    assert "Touch number 020" not in page
    assert 'href="?timeline=40#timeline-20"' in page


def test_show_more_adds_a_page_and_the_last_page_has_no_link(cast: Cast) -> None:
    partner = busy_partner(cast, 45)
    client = client_for(cast.alice)
    page = client.get(f"/partners/{partner.pk}/", {"timeline": "40"}).content.decode()
    assert page.count('class="timeline__item') == 40
    assert 'id="timeline-20"' in page
    page = client.get(f"/partners/{partner.pk}/", {"timeline": "60"}).content.decode()
    assert page.count('class="timeline__item') == 45
    assert "Show more" not in page


def test_a_bad_timeline_size_shows_the_first_page(cast: Cast) -> None:
    partner = busy_partner(cast, 25)
    client = client_for(cast.alice)
    for asked in ("-5", "abc", "3"):
        page = client.get(f"/partners/{partner.pk}/", {"timeline": asked}).content.decode()
        assert page.count('class="timeline__item') == 20


def test_the_partner_page_costs_the_same_queries_with_a_long_history(cast: Cast) -> None:
    client = client_for(cast.alice)
    partner = busy_partner(cast, 3)
    few = queries_for(lambda: client.get(f"/partners/{partner.pk}/"))
    busy_partner(cast, 60)
    assert queries_for(lambda: client.get(f"/partners/{partner.pk}/")) == few


def agenda_book(cast: Cast) -> tuple[Partner, Partner]:
    first = cast.alice_private
    second = PartnerFactory(owner=cast.alice, name="Zoe Second")
    CommitmentFactory(partner=first, what="Priya late", due=days(-2))
    CommitmentFactory(partner=second, what="Zoe late", due=days(-1))
    CommitmentFactory(partner=first, what="Priya friday", due=days(3))
    return first, second


def test_the_agenda_groups_by_partner(cast: Cast) -> None:
    first, second = agenda_book(cast)
    page = client_for(cast.alice).get("/agenda/", {"group": "partner"}).content.decode()
    priya = page.index(f'id="agenda-partner-{first.pk}"')
    zoe = page.index(f'id="agenda-partner-{second.pk}"')
    # The partner with the most pressing item first; each partner's items together.
    assert priya < page.index("Priya late") < page.index("Priya friday") < zoe
    assert zoe < page.index("Zoe late")
    assert 'id="agenda-overdue"' not in page


def test_the_agenda_groups_by_kind(cast: Cast) -> None:
    agenda_book(cast)
    page = client_for(cast.alice).get("/agenda/", {"group": "kind"}).content.decode()
    assert 'id="agenda-kind-commitment"' in page
    assert page.count('class="agenda__group ') == 1


def test_the_agenda_shows_one_kind(cast: Cast) -> None:
    agenda_book(cast)
    client = client_for(cast.alice)
    page = client.get("/agenda/", {"kind": "meeting"}).content.decode()
    assert "Priya late" not in page
    assert "Nothing on the agenda matches this view." in page
    page = client.get("/agenda/", {"kind": "commitment"}).content.decode()
    assert "Priya late" in page


def test_a_write_keeps_the_agenda_as_it_was_grouped(cast: Cast) -> None:
    first, _second = agenda_book(cast)
    client = client_for(cast.alice)
    page = client.get("/agenda/", {"group": "partner"}).content.decode()
    assert 'name="next" value="/agenda/?group=partner"' in page
    late = first.commitments.get(what="Priya late")
    data = {"key": f"commitment:{first.pk}:{late.pk}", "action": "done"}
    plain = client.post("/agenda/complete/", {**data, "next": "/agenda/?group=partner"})
    assert plain["Location"] == "/agenda/?group=partner"
    friday = first.commitments.get(what="Priya friday")
    data = {"key": f"commitment:{first.pk}:{friday.pk}", "action": "done"}
    response = client.post(
        "/agenda/complete/", {**data, "next": "/agenda/?group=partner"}, headers=htmx("agenda")
    )
    assert 'id="agenda-partner-' in response.content.decode()


def test_the_board_tells_a_touch_screen_to_tap_move(cast: Cast) -> None:
    page = client_for(cast.alice).get("/pipeline/").content.decode()
    assert "Tap a card's Move button to move it." in page
