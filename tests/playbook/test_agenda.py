"""The agenda: overdue first, then today, then this week, from every source; snooze with a
reason; everything completes in place."""

import datetime as dt
from typing import Any, ClassVar

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reciprocity.partners import agenda as agenda_module
from reciprocity.partners import services as partner_services
from reciprocity.partners.agenda import (
    AGENDA_ITEM_DONE,
    OVERDUE,
    UNKNOWN_AGENDA_ITEM,
    AgendaItem,
    AgendaQuery,
    AgendaSource,
    item_key,
)
from reciprocity.partners.models import (
    Commitment,
    CommitmentOwner,
    CommitmentStatus,
    FailureReason,
    Partner,
    Stage,
    Touch,
)
from reciprocity.playbook.agenda.commitments import CommitmentSource
from reciprocity.playbook.models import AgendaSnooze, MeetingStatus, OpportunityStatus
from reciprocity.playbook.selectors.agenda import (
    AgendaFilters,
    agenda_for,
    first_items_of_partners,
)
from reciprocity.playbook.services.agenda import (
    SNOOZE_NEEDS_REASON,
    SNOOZE_NOT_AFTER_TODAY,
    SNOOZE_TOO_LONG,
    agenda_complete,
    agenda_snooze,
    agenda_unsnooze,
)
from reciprocity.records import Conflict
from reciprocity.referrals.models import Direction
from reciprocity.referrals.services.ledger import referral_create
from tests.api_client import ApiClient
from tests.conftest import Cast, client_for
from tests.factories import (
    CommitmentFactory,
    MeetingFactory,
    OpportunityFactory,
    PartnerFactory,
    TouchFactory,
)
from tests.playbook.helpers import days

pytestmark = pytest.mark.django_db


def at(n: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(days(n), dt.time(hour)))


def make_active(partner: object, *, quiet_days: int) -> None:
    """An active partner whose last call was ``quiet_days`` ago."""
    partner.stage = Stage.ACTIVE  # type: ignore[attr-defined]
    partner.stage_changed_at = timezone.now() - dt.timedelta(days=quiet_days)  # type: ignore[attr-defined]
    partner.save()  # type: ignore[attr-defined]
    TouchFactory(partner=partner, occurred_at=timezone.now() - dt.timedelta(days=quiet_days))


def test_overdue_comes_first_then_today_then_this_week(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    late = CommitmentFactory(partner=partner, what="Send the article", due=days(-3))
    today = CommitmentFactory(
        partner=partner, what="Intro to the association", due=days(0), owner="partner"
    )
    OpportunityFactory(partner=partner, title="Client worried about markets", ask_by=days(2))
    MeetingFactory(partner=partner, scheduled_for=at(5))
    CommitmentFactory(partner=partner, what="Far away", due=days(30))
    make_active(playbook_cast.alice_shared, quiet_days=200)

    agenda = agenda_for(alice)

    assert [(i.source, i.title) for i in agenda.overdue] == [
        ("cadence", "Touch base with Sam Shared"),
        ("commitment", "Send the article"),
    ]
    assert agenda.overdue[-1].object_id == late.pk
    assert [(i.source, i.object_id, i.owner) for i in agenda.due_today] == [
        ("commitment", today.pk, CommitmentOwner.PARTNER)
    ]
    assert [i.source for i in agenda.this_week] == ["opportunity", "meeting"]
    assert "Far away" not in {i.title for i in agenda.items}
    assert len(agenda) == 5


def test_each_partners_first_item_is_the_first_of_its_agenda(playbook_cast: Cast) -> None:
    alice = playbook_cast.alice
    private, shared = playbook_cast.alice_private, playbook_cast.alice_shared
    # Ties on the earliest day, a later one, a snoozed one, and other sources.
    for what, due in (("Call back", -2), ("Agree the intro", -2), ("Later", 1), ("Snoozed", -4)):
        CommitmentFactory(partner=private, what=what, due=days(due))
    OpportunityFactory(partner=private, title="Client worried about markets", ask_by=days(-3))
    MeetingFactory(partner=shared, scheduled_for=at(2))
    CommitmentFactory(partner=shared, what="Send the article", due=days(2))
    snoozed = next(i for i in agenda_for(alice).items if i.title == "Snoozed")
    agenda_snooze(by=alice, key=snoozed.key, until=days(3), reason="On holiday")
    ids = [private.pk, shared.pk, playbook_cast.mallory_partner.pk]

    first = first_items_of_partners(alice, partner_ids=ids)

    assert set(first) == {private.pk, shared.pk}  # not another firm's partner
    for pk in (private.pk, shared.pk):
        whole = agenda_for(alice, mine_only=False, filters=AgendaFilters(partner=pk))
        assert first[pk] == whole.items[0]
    assert first[private.pk].source == "opportunity"
    assert first[shared.pk].title == "Send the article"  # a whole day comes before a meeting


def test_a_longer_horizon_reaches_further(playbook_cast: Cast) -> None:
    CommitmentFactory(partner=playbook_cast.alice_private, what="Far away", due=days(30))

    assert agenda_for(playbook_cast.alice).items == []
    assert [i.title for i in agenda_for(playbook_cast.alice, horizon_days=31).items] == ["Far away"]


def test_a_past_planned_meeting_asks_for_what_was_covered(playbook_cast: Cast) -> None:
    partner = playbook_cast.alice_private
    MeetingFactory(partner=partner, scheduled_for=at(-1))
    MeetingFactory(partner=partner, scheduled_for=at(1), status=MeetingStatus.CANCELLED)

    (item,) = agenda_for(playbook_cast.alice).items

    assert item.title == f"Record what was covered in the first meeting with {partner.name}"
    assert item.due == days(-1)


def test_the_agenda_lists_the_advisors_own_partners_unless_asked_for_shared_ones(
    playbook_cast: Cast,
) -> None:
    CommitmentFactory(partner=playbook_cast.alice_shared, what="Shared work", due=days(1))

    assert agenda_for(playbook_cast.bob).items == []
    assert [i.title for i in agenda_for(playbook_cast.bob, mine_only=False).items] == [
        "Shared work"
    ]
    assert agenda_for(playbook_cast.carol, mine_only=False).items == []
    assert agenda_for(playbook_cast.mallory, mine_only=False).items == []


def test_archived_partners_leave_the_agenda(playbook_cast: Cast) -> None:
    partner = playbook_cast.alice_private
    CommitmentFactory(partner=partner, due=days(1))
    OpportunityFactory(partner=partner)
    partner_services.partner_archive(partner=partner, by=playbook_cast.alice)

    assert agenda_for(playbook_cast.alice).items == []


# --- Snoozing -------------------------------------------------------------------------------


def test_a_snoozed_item_leaves_the_agenda_until_its_day(playbook_cast: Cast) -> None:
    alice = playbook_cast.alice
    commitment = CommitmentFactory(partner=playbook_cast.alice_private, due=days(-1))
    (item,) = agenda_for(alice).items

    snooze = agenda_snooze(by=alice, key=item.key, until=days(3), reason="On holiday")

    assert (snooze.reason, snooze.until, snooze.partner_id) == (
        "On holiday",
        days(3),
        commitment.partner_id,
    )
    assert agenda_for(alice).items == []
    assert agenda_for(alice).snoozed == 1
    back = agenda_for(alice, today=days(3))
    assert [i.key for i in back.overdue] == [item.key]


def test_snoozing_again_moves_the_date(playbook_cast: Cast) -> None:
    CommitmentFactory(partner=playbook_cast.alice_private, due=days(-1))
    (item,) = agenda_for(playbook_cast.alice).items
    agenda_snooze(by=playbook_cast.alice, key=item.key, until=days(3), reason="Busy")
    agenda_snooze(by=playbook_cast.alice, key=item.key, until=days(9), reason="Away")

    assert list(AgendaSnooze.objects.values_list("until", "reason")) == [(days(9), "Away")]
    agenda_unsnooze(by=playbook_cast.alice, key=item.key)
    assert [i.key for i in agenda_for(playbook_cast.alice).items] == [item.key]


def test_only_an_item_the_agenda_lists_is_snoozed_however_far_ahead(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    done = CommitmentFactory(partner=partner, due=days(-1), status=CommitmentStatus.DONE)
    far = CommitmentFactory(partner=partner, due=days(200))
    gone = [item_key("commitment", partner.pk, done.pk), item_key("commitment", partner.pk, 0)]

    for key in gone:
        with pytest.raises(Conflict) as excinfo:
            agenda_snooze(by=alice, key=key, until=days(2), reason="Busy")
        assert excinfo.value.message_dict == {"key": [AGENDA_ITEM_DONE]}
    snoozed = agenda_snooze(
        by=alice, key=item_key("commitment", partner.pk, far.pk), until=days(3), reason="Later"
    )

    assert list(AgendaSnooze.objects.all()) == [snoozed]


@pytest.mark.parametrize(
    ("until", "reason", "errors"),
    [
        (1, "", {"reason": [SNOOZE_NEEDS_REASON]}),
        (0, "Tomorrow", {"until": [SNOOZE_NOT_AFTER_TODAY]}),
        (-2, "Tomorrow", {"until": [SNOOZE_NOT_AFTER_TODAY]}),
        (400, "Next year", {"until": [SNOOZE_TOO_LONG]}),
    ],
)
def test_a_bad_snooze_says_what_is_wrong(
    playbook_cast: Cast, until: int, reason: str, errors: dict[str, list[str]]
) -> None:
    CommitmentFactory(partner=playbook_cast.alice_private, due=days(-1))
    (item,) = agenda_for(playbook_cast.alice).items

    with pytest.raises(ValidationError) as excinfo:
        agenda_snooze(by=playbook_cast.alice, key=item.key, until=days(until), reason=reason)

    assert excinfo.value.message_dict == errors
    assert not AgendaSnooze.objects.exists()


@pytest.mark.parametrize(
    "key", ["", "nonsense", "commitment:abc:1", "unknown:1:2", "commitment:1:"]
)
def test_a_malformed_key_is_refused(playbook_cast: Cast, key: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        agenda_snooze(by=playbook_cast.alice, key=key, until=days(2), reason="x")
    assert excinfo.value.message_dict == {"key": [UNKNOWN_AGENDA_ITEM]}


def test_nobody_snoozes_or_completes_items_of_a_partner_they_cannot_see(
    playbook_cast: Cast,
) -> None:
    commitment = CommitmentFactory(partner=playbook_cast.alice_private, due=days(-1))
    key = item_key("commitment", commitment.partner_id, commitment.pk)

    for outsider in (playbook_cast.bob, playbook_cast.carol, playbook_cast.mallory):
        with pytest.raises(Http404):
            agenda_snooze(by=outsider, key=key, until=days(2), reason="mine now")
        with pytest.raises(Http404):
            agenda_complete(by=outsider, key=key)
    with pytest.raises(PermissionDenied):
        agenda_complete(by=playbook_cast.cole, key=key)
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.OPEN


def test_a_key_naming_another_partners_item_is_refused(playbook_cast: Cast) -> None:
    mine = CommitmentFactory(partner=playbook_cast.alice_private, due=days(-1))
    forged = item_key("commitment", playbook_cast.alice_shared.pk, mine.pk)

    with pytest.raises(ValidationError):
        agenda_complete(by=playbook_cast.alice, key=forged)


# --- Completing in place --------------------------------------------------------------------


def test_a_retired_partners_open_commitments_leave_the_agenda_and_the_calendar(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    CommitmentFactory(partner=partner, what="Send the article", due=days(-3))
    CommitmentFactory(partner=partner, what="Call back", due=days(2))
    source = CommitmentSource()

    def listed() -> tuple[list[str], int, list[str]]:
        agenda = agenda_for(alice)
        events = source.calendar_events(
            advisor=alice, partners=Partner.objects.filter(pk=partner.pk), today=days(0)
        )
        titles = [item.title for item in agenda.overdue + agenda.this_week]
        return titles, agenda.count(OVERDUE), [event.summary for event in events]

    assert listed()[:2] == (["Send the article", "Call back"], 1)
    partner_services.partner_change_stage(
        partner=partner, by=alice, stage=Stage.RETIRED, reason=FailureReason.WRONG_FIRM
    )

    assert listed() == ([], 0, [])
    assert partner.commitments.filter(status=CommitmentStatus.OPEN).count() == 2


def test_a_commitment_completes_in_place_and_can_log_a_touch(playbook_cast: Cast) -> None:
    commitment = CommitmentFactory(partner=playbook_cast.alice_private, due=days(-1))
    (item,) = agenda_for(playbook_cast.alice).items
    agenda_snooze(by=playbook_cast.alice, key=item.key, until=days(2), reason="Later")

    agenda_complete(
        by=playbook_cast.alice, key=item.key, touch_kind="email", summary="Article sent"
    )

    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.DONE
    assert commitment.touch is not None
    assert (commitment.touch.kind, commitment.touch.summary) == ("email", "Article sent")
    assert not AgendaSnooze.objects.exists()
    assert agenda_for(playbook_cast.alice, today=days(2)).items == []


def test_a_cadence_item_completes_by_logging_its_touch(playbook_cast: Cast) -> None:
    make_active(playbook_cast.alice_private, quiet_days=200)
    (item,) = agenda_for(playbook_cast.alice).items

    touch = agenda_complete(by=playbook_cast.alice, key=item.key)

    assert isinstance(touch, Touch)
    assert touch.kind == "call"
    assert agenda_for(playbook_cast.alice).items == []


def test_an_opportunity_completes_with_the_meeting_request(playbook_cast: Cast) -> None:
    opportunity = OpportunityFactory(partner=playbook_cast.alice_private, ask_by=days(1))
    (item,) = agenda_for(playbook_cast.alice).items

    agenda_complete(by=playbook_cast.alice, key=item.key, touch_kind="email")

    opportunity.refresh_from_db()
    assert opportunity.status == OpportunityStatus.MEETING_REQUESTED
    assert opportunity.request_touch is not None
    assert opportunity.request_touch.kind == "email"
    assert agenda_for(playbook_cast.alice).items == []


def test_a_meeting_completes_by_being_held(playbook_cast: Cast) -> None:
    meeting = MeetingFactory(partner=playbook_cast.alice_private, scheduled_for=at(-1))
    (item,) = agenda_for(playbook_cast.alice).items

    agenda_complete(by=playbook_cast.alice, key=item.key, summary="Good first talk")

    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert meeting.touch is not None
    assert meeting.touch.summary == "Good first talk"


# --- Another source -------------------------------------------------------------------------


def test_another_app_adds_a_source_and_its_completion(
    playbook_cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    done: list[str] = []

    class Steps(AgendaSource[None]):
        slug = "referral_step"
        label = "Referral"

        def items(self, query: AgendaQuery) -> list[AgendaItem]:
            return [
                AgendaItem(
                    source="referral_step",
                    key=item_key("referral_step", p.pk, 7),
                    partner_id=p.pk,
                    partner_name=p.name,
                    title=f"Thank {p.name}",
                    due=query.today,
                )
                for p in query.partners
            ]

        def complete(self, *, by: object, partner: object, reference: str, options: object) -> None:
            done.append(reference)

    monkeypatch.setitem(agenda_module.SOURCES, "referral_step", Steps())

    titles = [i.title for i in agenda_for(playbook_cast.alice).due_today]
    assert titles == ["Thank Priya Private", "Thank Sam Shared"]
    agenda_complete(
        by=playbook_cast.alice, key=item_key("referral_step", playbook_cast.alice_shared.pk, 7)
    )
    assert done == ["7"]


class BirthdayCards(AgendaSource[str]):
    """A source no other code knows of: a card to send to each partner, today."""

    slug = "birthday"
    label = "Birthday"
    sent: ClassVar[list[str]] = []

    def items(self, query: AgendaQuery) -> list[AgendaItem]:
        return [
            AgendaItem(
                source=self.slug,
                key=item_key(self.slug, p.pk, "card"),
                partner_id=p.pk,
                partner_name=p.name,
                title=f"Send {p.name} a birthday card",
                due=query.today,
            )
            for p in query.partners
        ]

    def complete(self, *, by: object, partner: Any, reference: str, options: object) -> str:
        self.sent.append(partner.name)
        return partner.name

    def describe(self, result: str) -> str:
        return f"Card sent to {result}"


def test_a_registered_source_shows_on_the_agenda_and_completes_through_the_api(
    playbook_cast: Cast, api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(agenda_module.SOURCES, "birthday", BirthdayCards())
    monkeypatch.setattr(BirthdayCards, "sent", [])
    partner = playbook_cast.alice_private
    key = item_key("birthday", partner.pk, "card")

    page = client_for(playbook_cast.alice).get("/agenda/").content.decode()
    assert f"Send {partner.name} a birthday card" in page
    assert '<span class="source source--birthday">Birthday</span>' in page
    assert f'value="{key}"' in page

    response = api.call("POST", f"agenda/{key}/complete", {})
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "key": key,
        "source": "birthday",
        "detail": f"Card sent to {partner.name}",
        "touch_id": None,
    }
    assert BirthdayCards.sent == [partner.name]


# --- Cost -----------------------------------------------------------------------------------


def fill_book(owner: object, n: int) -> None:
    for i in range(n):
        partner = PartnerFactory(owner=owner, team=None)
        make_active(partner, quiet_days=150 + i)
        CommitmentFactory(partner=partner, due=days(-i))
        CommitmentFactory(partner=partner, due=days(i % 5), owner="partner")
        OpportunityFactory(partner=partner, ask_by=days(1))
        MeetingFactory(partner=partner, scheduled_for=at(2))
        referral_create(by=owner, partner=partner, direction=Direction.SENT, need="Estate plan")


def test_the_agenda_costs_the_same_queries_for_a_small_and_a_large_book(
    playbook_cast: Cast,
) -> None:
    alice = playbook_cast.alice
    fill_book(alice, 2)
    with CaptureQueriesContext(connection) as small:
        small_count = len(agenda_for(alice))
    fill_book(alice, 12)
    (item, *_) = agenda_for(alice).items
    agenda_snooze(by=alice, key=item.key, until=days(2), reason="Later")
    with CaptureQueriesContext(connection) as large:
        large_count = len(agenda_for(alice))

    assert large_count > small_count
    # commitments, cadence defaults, cadence partners, their overrides, opportunities,
    # meetings, the next steps of referrals in flight, snoozes
    assert len(large) == len(small) == 8
    assert Commitment.objects.count() == 28
    assert sum(i.source == "referral_step" for i in agenda_for(alice).items) == 14
