"""The agenda shows each section's first items with its count: bounded however long the book,
narrowed by partner, kind and owner, paged through the API."""

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.partners.agenda import SOURCES, AgendaQuery, RecordSource
from reciprocity.partners.models import CommitmentOwner, CommitmentStatus
from reciprocity.partners.scope import PartnerScope
from reciprocity.playbook.models import AgendaSnooze, MeetingStatus, OpportunityStatus
from reciprocity.playbook.selectors.agenda import AgendaFilters, agenda_for
from reciprocity.playbook.services.agenda import agenda_snooze
from reciprocity.referrals.models import Direction
from reciprocity.referrals.services.ledger import referral_create
from tests.api_client import session_client
from tests.conftest import Cast, client_for
from tests.factories import CommitmentFactory, MeetingFactory, OpportunityFactory, PartnerFactory
from tests.playbook.helpers import assert_windows_read_in_full, days


def fill(owner: object, n: int) -> None:
    for i in range(n):
        partner = PartnerFactory(owner=owner, team=None)
        CommitmentFactory(partner=partner, due=days(-1 - i))
        CommitmentFactory(partner=partner, due=days(0))
        CommitmentFactory(partner=partner, due=days(1 + i % 5), owner=CommitmentOwner.PARTNER)


def test_a_limited_agenda_keeps_each_sections_first_items_and_counts_them_all(
    playbook_cast: Cast,
) -> None:
    alice = playbook_cast.alice
    fill(alice, 6)
    everything = agenda_for(alice)
    first = agenda_for(alice, limit=2)

    for section in ("overdue", "due_today", "this_week"):
        assert first.section(section) == everything.section(section)[:2]
        assert first.count(section) == everything.count(section) == len(everything.section(section))
    assert len(first) == len(everything)
    # the most overdue first
    assert first.overdue[0].due == days(-6)


def test_the_items_read_their_partners_name_and_not_the_rest_of_its_row(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    CommitmentFactory(partner=partner, due=days(0))
    OpportunityFactory(partner=partner, ask_by=days(1))
    MeetingFactory(partner=partner)
    referral_create(
        by=alice, partner=partner, direction=Direction.SENT, need="A plan", consent_method="verbal"
    )

    with CaptureQueriesContext(connection) as captured:
        items = agenda_for(alice).items

    assert {item.source for item in items} >= {
        "commitment",
        "opportunity",
        "meeting",
        "referral_step",
    }
    assert {item.partner_name for item in items} == {partner.name}
    # A partner's whole row (its notes, say) costs more to read than the item that shows it.
    assert not [q for q in captured.captured_queries if '"partners_partner"."notes"' in q["sql"]]


def test_snoozed_items_are_left_out_of_the_counts_and_counted_apart(playbook_cast: Cast) -> None:
    alice = playbook_cast.alice
    fill(alice, 3)
    (item, *_) = agenda_for(alice).overdue
    agenda_snooze(by=alice, key=item.key, until=days(3), reason="After the holidays")

    limited = agenda_for(alice, limit=1)

    assert limited.snoozed == 1 == agenda_for(alice).snoozed
    assert limited.count("overdue") == 2
    assert item.key not in {i.key for i in limited.items}
    assert AgendaSnooze.objects.count() == 1


def _query(
    advisor: User, *, limit: int | None, snoozed: frozenset[str] = frozenset()
) -> AgendaQuery:
    today = timezone.localdate()
    return AgendaQuery(
        advisor=advisor,
        today=today,
        until=today + dt.timedelta(days=7),
        scope=PartnerScope(reader=advisor, owner=advisor.pk),
        mine_only=True,
        limit=limit,
        snoozed_keys=snoozed,
    )


OWNERS = (CommitmentOwner.ADVISOR, CommitmentOwner.PARTNER)


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(days(day), dt.time(hour, minute)))


@pytest.mark.parametrize("slug", ["commitment", "opportunity", "meeting"])
def test_a_window_counted_and_cut_by_the_database_is_the_one_read_in_full(
    playbook_cast: Cast, slug: str
) -> None:
    # Days are local: a zone far from the database's UTC, at an odd offset.
    with timezone.override("Pacific/Chatham"):
        alice = playbook_cast.alice
        names = ("Ann Lee", "Ann Lee", "ann lee", "Émile Roy", "Zoe Park", "Bob Ode")
        partners = [PartnerFactory(owner=alice, team=None, name=name) for name in names]
        # Ties on the day and the name, the first and last minutes of local days, and days past
        # the week, which no section holds.
        for i, day in enumerate([-9, -3, -3, -1, -1, 0, 0, 0, 1, 3, 3, 7, 8, 30]):
            partner = partners[i % len(partners)]
            if slug == "commitment":
                CommitmentFactory(partner=partner, due=days(day), owner=OWNERS[i % 2])
            elif slug == "opportunity":
                OpportunityFactory(partner=partner, ask_by=days(day))
            else:
                hour, minute = ((0, 0), (9, 0), (23, 59))[i % 3]
                MeetingFactory(partner=partner, scheduled_for=_at(day, hour, minute))
        for partner in partners[2:5]:  # the same moment: by name, code point by code point
            if slug == "commitment":
                CommitmentFactory(partner=partner, due=days(-1))
            elif slug == "opportunity":
                OpportunityFactory(partner=partner, ask_by=days(-1))
            else:
                MeetingFactory(partner=partner, scheduled_for=_at(-1, 12))
        CommitmentFactory(partner=partners[0], due=days(-2), status=CommitmentStatus.DONE)
        OpportunityFactory(partner=partners[0], ask_by=days(-2), status=OpportunityStatus.REFERRED)
        MeetingFactory(
            partner=partners[0], scheduled_for=_at(-2, 9), status=MeetingStatus.CANCELLED
        )
        everything = assert_windows_read_in_full(
            SOURCES[slug], lambda limit, snoozed: _query(alice, limit=limit, snoozed=snoozed)
        )
        assert everything.counts == {"overdue": 8, "due_today": 3, "this_week": 4}


def test_a_limited_agenda_costs_the_same_queries_for_a_small_and_a_large_book(
    playbook_cast: Cast,
) -> None:
    alice = playbook_cast.alice
    fill(alice, 2)
    with CaptureQueriesContext(connection) as small:
        agenda_for(alice, limit=3)
    fill(alice, 10)
    with CaptureQueriesContext(connection) as large:
        found = agenda_for(alice, limit=3)

    assert len(found.overdue) == 3
    assert found.count("overdue") == 12
    assert len(large) == len(small)


def test_a_readers_agenda_is_built_once_and_reads_the_records_as_they_are_each_time(
    playbook_cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = playbook_cast.alice
    fill(alice, 4)
    built: list[str] = []
    for source in SOURCES.values():
        if isinstance(source, RecordSource):
            records_due = source.records_due

            def counting(query: AgendaQuery, records_due: Any = records_due) -> Any:
                built.append(query.advisor.username)
                return records_due(query)

            monkeypatch.setattr(source, "records_due", counting)
    agenda_for(alice, limit=2)
    built.clear()

    again = agenda_for(alice, limit=2)
    CommitmentFactory(partner=PartnerFactory(owner=alice, team=None), due=days(-30))
    later = agenda_for(alice, limit=2)
    before_snooze = len(built)
    agenda_snooze(by=alice, key=later.overdue[0].key, until=days(3), reason="Away")
    del built[before_snooze:]  # the snooze reads the partner's own agenda, another shape
    snoozed = agenda_for(alice, limit=2)

    assert built == ["alice"] * 2  # the commitments' count and items, with the snoozed one out
    everything = agenda_for(alice)
    assert again.count("overdue") + 1 == later.count("overdue") == everything.count("overdue") + 1
    assert later.overdue[0].due == days(-30)
    assert snoozed.overdue == everything.overdue[:2]
    assert snoozed.snoozed == 1


def test_the_agenda_narrows_to_one_partner_one_kind_or_a_teammates_partners(
    playbook_cast: Cast,
) -> None:
    alice, bob = playbook_cast.alice, playbook_cast.bob
    fill(alice, 2)
    mine = PartnerFactory(owner=alice, team=None)
    OpportunityFactory(partner=mine, ask_by=days(1))
    shared = PartnerFactory(owner=bob, team=playbook_cast.north)
    CommitmentFactory(partner=shared, due=days(2))

    one = agenda_for(alice, filters=AgendaFilters(partner=mine.pk))
    kind = agenda_for(alice, filters=AgendaFilters(kind="opportunity"))
    teammate = agenda_for(alice, filters=AgendaFilters(owner=bob.pk))

    assert {i.partner_id for i in one.items} == {mine.pk}
    assert {i.source for i in kind.items} == {"opportunity"}
    assert {i.partner_id for i in teammate.items} == {shared.pk}
    # carol's partners are not alice's to see, whoever's agenda she asks for
    assert not agenda_for(alice, filters=AgendaFilters(owner=playbook_cast.carol.pk)).items


def test_the_agenda_page_shows_the_first_items_with_the_count_and_more(
    playbook_cast: Cast,
) -> None:
    alice = playbook_cast.alice
    fill(alice, 30)

    page = client_for(alice).get("/agenda/").content.decode()
    more = client_for(alice).get("/agenda/?shown=50").content.decode()
    only = client_for(alice).get("/agenda/?kind=opportunity").content.decode()

    assert "25 of 30 shown." in page
    assert "?shown=50" in page
    assert "25 of 30 shown." not in more
    assert "Nothing on the agenda matches this view." in only


def test_the_api_pages_each_section_and_counts_it(playbook_cast: Cast) -> None:
    alice = playbook_cast.alice
    fill(alice, 5)
    api = session_client(alice)

    first = api.call("GET", "agenda?limit=2").json()
    second = api.call("GET", "agenda?limit=2&offset=2").json()
    everything = api.call("GET", "agenda?limit=200").json()

    assert first["counts"] == {"overdue": 5, "due_today": 5, "this_week": 5}
    assert first["count"] == 15
    keys = [i["key"] for i in everything["overdue"]]
    assert [i["key"] for i in first["overdue"]] == keys[:2]
    assert [i["key"] for i in second["overdue"]] == keys[2:4]


def test_the_api_refuses_an_unknown_kind(playbook_cast: Cast) -> None:
    response = session_client(playbook_cast.alice).call("GET", "agenda?kind=nonsense")

    assert response.status_code in (400, 422)
    assert "Unknown kind. Use one of: " in response.content.decode()


def test_the_api_answers_404_for_a_partner_the_reader_may_not_see(playbook_cast: Cast) -> None:
    private = PartnerFactory(owner=playbook_cast.alice)
    CommitmentFactory(partner=private, due=days(0))

    hidden = session_client(playbook_cast.carol).call("GET", f"agenda?partner={private.pk}")
    own = session_client(playbook_cast.alice).call("GET", f"agenda?partner={private.pk}")

    assert hidden.status_code == 404
    assert own.json()["count"] == 1
