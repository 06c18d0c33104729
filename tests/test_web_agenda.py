import datetime as dt

from django.utils import timezone

from reciprocity.partners.models import Commitment, CommitmentStatus, Touch, TouchKind
from tests.conftest import Cast, client_for
from tests.factories import CommitmentFactory, PartnerFactory
from tests.web import htmx, is_partial, queries_for


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def test_the_agenda_groups_overdue_today_and_this_week(cast: Cast) -> None:
    partner = cast.alice_private
    CommitmentFactory(partner=partner, what="Late thank-you", due=days(-3))
    CommitmentFactory(partner=partner, what="Call today", due=days(0))
    CommitmentFactory(partner=partner, what="Lunch on Friday", due=days(4), owner="partner")
    CommitmentFactory(partner=partner, what="Next month review", due=days(30))
    CommitmentFactory(partner=partner, what="Already sent", due=days(-1), status="done")
    response = client_for(cast.alice).get("/agenda/")
    assert response.status_code == 200
    page = response.content.decode()
    overdue = page.index('id="agenda-overdue"')
    today = page.index('id="agenda-today"')
    week = page.index('id="agenda-week"')
    assert overdue < page.index("Late thank-you") < today < page.index("Call today") < week
    assert week < page.index("Lunch on Friday")
    assert "Waiting on partner" in page
    assert "Next month review" not in page
    assert "Already sent" not in page


def test_the_agenda_holds_only_the_advisors_own_partners(cast: Cast) -> None:
    CommitmentFactory(partner=cast.alice_shared, what="Alices promise", due=days(1))
    CommitmentFactory(partner=PartnerFactory(owner=cast.carol), what="Carols promise", due=days(1))
    CommitmentFactory(partner=cast.mallory_partner, what="Mallorys promise", due=days(1))
    page = client_for(cast.alice).get("/agenda/").content.decode()
    assert "Alices promise" in page
    assert "Carols promise" not in page
    assert "Mallorys promise" not in page


def test_an_empty_agenda_says_so(cast: Cast) -> None:
    page = client_for(cast.carol).get("/agenda/").content.decode()
    assert "Nothing due this week" in page


def key_of(commitment: Commitment) -> str:
    return f"commitment:{commitment.partner_id}:{commitment.pk}"


def test_completing_from_the_agenda_with_htmx_redraws_the_agenda(cast: Cast) -> None:
    commitment = CommitmentFactory(partner=cast.alice_private, what="Send memo", due=days(0))
    response = client_for(cast.alice).post(
        "/agenda/complete/",
        {"key": key_of(commitment), "action": "done", "touch_kind": "email"},
        headers=htmx("agenda"),
    )
    assert response.status_code == 200
    assert is_partial(response)
    page = response.content.decode()
    assert 'id="agenda"' in page
    assert "Done: Send memo" in page  # the confirmation, swapped in out of band
    assert page.count("Send memo") == 1
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.DONE
    assert Touch.objects.get(partner=cast.alice_private).kind == TouchKind.EMAIL


def test_completing_from_the_agenda_without_javascript_returns_to_the_agenda(
    cast: Cast,
) -> None:
    commitment = CommitmentFactory(partner=cast.alice_private, due=days(-1))
    response = client_for(cast.alice).post(
        "/agenda/complete/", {"key": key_of(commitment), "action": "drop"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/agenda/"
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.DROPPED


def test_a_redirect_elsewhere_is_ignored(cast: Cast) -> None:
    commitment = CommitmentFactory(partner=cast.alice_private, due=days(-1))
    response = client_for(cast.alice).post(
        f"/partners/{cast.alice_private.pk}/commitments/{commitment.pk}/",
        {"status": "done", "next": "https://evil.example/"},
    )
    assert response["Location"] == f"/partners/{cast.alice_private.pk}/"


def test_a_compliance_officer_sees_no_completion_controls(cast: Cast) -> None:
    CommitmentFactory(partner=PartnerFactory(owner=cast.cole), due=days(0))
    page = client_for(cast.cole).get("/agenda/").content.decode()
    assert "close-form" not in page


def test_the_agenda_costs_the_same_queries_for_3_or_30_commitments(cast: Cast) -> None:
    client = client_for(cast.alice)
    for n in range(3):
        CommitmentFactory(partner=cast.alice_private, due=days(n - 1))
    small = queries_for(lambda: client.get("/agenda/"))
    for n in range(27):
        CommitmentFactory(partner=PartnerFactory(owner=cast.alice), due=days(n % 8 - 1))
    assert queries_for(lambda: client.get("/agenda/")) == small
