"""The papers of a partner: the meeting brief and the annual review, as pages and as PDFs."""

import datetime as dt
import io
from typing import Any

import pypdfium2
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reciprocity.insights.paper import annual_review_for, promise_verdict
from reciprocity.insights.views import UNKNOWN_REVIEW_YEAR
from reciprocity.partners.models import (
    Commitment,
    CommitmentOwner,
    CommitmentStatus,
    Partner,
    Stage,
    TouchKind,
)
from reciprocity.partners.services import commitment_update, partner_update, touch_log
from reciprocity.playbook.services.agreements import PromiseInput, agreement_create
from reciprocity.playbook.services.message import advisor_message_set
from reciprocity.referrals.models import ConsentMethod, Direction, Kind, Referral, ReferralStatus
from reciprocity.referrals.services.ledger import referral_create
from tests.conftest import Cast, client_for
from tests.factories import CommitmentFactory, ReferralFactory, TouchFactory, ago

pytestmark = pytest.mark.django_db

CLIENT_NAME = "Jordan Quincy-Client"


def brief_url(partner: Partner, **query: str) -> str:
    return f"/partners/{partner.pk}/brief/" + _query(query)


def review_url(partner: Partner, **query: str) -> str:
    return f"/partners/{partner.pk}/review/" + _query(query)


def _query(query: dict[str, str]) -> str:
    return "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""


def pdf_text(content: bytes) -> tuple[int, str]:
    """The number of pages of a PDF and its text."""
    pdf = pypdfium2.PdfDocument(io.BytesIO(content))
    text = " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    return len(pdf), " ".join(text.split())


def a_partner_with_history(cast: Cast) -> Partner:
    """A typical partner a year into the alliance: a profile, a message, touches, promises both
    ways, referrals both ways (one sent with the client's consent and name)."""
    alice, partner = cast.alice, cast.alice_private
    partner_update(
        partner=partner,
        by=alice,
        organization="Reyes Estate Law",
        niche="Owners of family businesses",
        values="Clients kept out of probate; being told early.",
        growth_mode=True,
    )
    advisor_message_set(
        by=alice,
        whom_i_help="Owners selling a family business",
        what_is_unique="We plan the sale and the estate together",
    )
    for days, summary in [
        (200, "Lunch at the club"),
        (90, "Called about a client"),
        (10, "Sent the article"),
    ]:
        touch_log(
            partner=partner, by=alice, kind=TouchKind.CALL, summary=summary, occurred_at=ago(days)
        )
    CommitmentFactory(
        partner=partner, owner=CommitmentOwner.ADVISOR, what="Send the sale checklist"
    )
    CommitmentFactory(
        partner=partner, owner=CommitmentOwner.PARTNER, what="Introduce the bar group"
    )
    referral_create(
        by=alice,
        partner=partner,
        direction=Direction.SENT,
        need="Estate plan before a business sale",
        client_name=CLIENT_NAME,
        consent_at=ago(30),
        consent_method=ConsentMethod.WRITTEN,
        status=ReferralStatus.CONSENT_GIVEN,
        occurred_at=ago(30),
    )
    referral_create(
        by=alice,
        partner=partner,
        direction=Direction.RECEIVED,
        need="Retirement income for a retiring dentist",
        occurred_at=ago(20),
    )
    return partner


# --- The meeting brief --------------------------------------------------------------------------


def test_the_brief_has_who_they_are_the_message_the_history_and_the_plan(cast: Cast) -> None:
    partner = a_partner_with_history(cast)
    page = client_for(cast.alice).get(brief_url(partner)).content.decode()
    for expected in [
        "Meeting brief",
        partner.name,
        "Reyes Estate Law",
        "Owners of family businesses",
        "Clients kept out of probate",
        "Seeking new clients",
        "Owners selling a family business",
        "Sent the article",
        "Send the sale checklist",
        "Introduce the bar group",
        "Estate plan before a business sale",
        "Retirement income for a retiring dentist",
        "1 sent, 1 received",
    ]:
        assert expected in page, expected


def test_the_brief_never_names_a_client_even_with_consent(cast: Cast) -> None:
    partner = a_partner_with_history(cast)
    client = client_for(cast.alice)
    assert CLIENT_NAME not in client.get(brief_url(partner)).content.decode()
    _, text = pdf_text(client.get(brief_url(partner, format="pdf")).content)
    assert "Estate plan before a business sale" in text
    assert CLIENT_NAME not in text


def test_the_brief_of_a_typical_partner_is_one_page_of_pdf(cast: Cast, tmp_path: Any) -> None:
    partner = a_partner_with_history(cast)
    response = client_for(cast.alice).get(brief_url(partner, format="pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="meeting-brief-priya-private.pdf"' in response["Content-Disposition"]
    pages, text = pdf_text(response.content)
    assert pages == 1
    assert "MEETING BRIEF" in text  # printed in capitals
    assert partner.name in text
    # Looked at as an image: the page is drawn, not blank.
    image = pypdfium2.PdfDocument(io.BytesIO(response.content))[0].render(scale=1.5).to_pil()
    image.save(tmp_path / "brief.png")
    assert len(image.convert("L").getcolors(maxcolors=256) or []) > 10


def test_the_brief_reads_the_same_number_of_queries_however_long_the_history(
    cast: Cast,
) -> None:
    partner = a_partner_with_history(cast)
    client = client_for(cast.alice)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(brief_url(partner)).status_code == 200
        return len(captured)

    before = queries()
    for _ in range(12):
        TouchFactory(partner=partner)
        CommitmentFactory(partner=partner)
        ReferralFactory(partner=partner, direction=Direction.RECEIVED)
    assert queries() == before


def test_a_teammate_reads_the_brief_of_a_shared_partner_and_nobody_else_does(cast: Cast) -> None:
    assert client_for(cast.bob).get(brief_url(cast.alice_shared)).status_code == 200
    assert client_for(cast.bob).get(brief_url(cast.alice_private)).status_code == 404
    assert client_for(cast.mallory).get(brief_url(cast.alice_private)).status_code == 404
    assert client_for(cast.mallory).get(review_url(cast.alice_private)).status_code == 404


def test_the_partner_page_links_to_its_brief_and_its_review(cast: Cast) -> None:
    page = client_for(cast.alice).get(f"/partners/{cast.alice_private.pk}/").content.decode()
    assert brief_url(cast.alice_private) in page
    assert review_url(cast.alice_private) in page


# --- The annual review --------------------------------------------------------------------------


def test_promises_are_kept_kept_late_missed_or_not_yet_due() -> None:
    end = dt.date(2026, 12, 31)
    due = dt.date(2026, 6, 1)

    def done_on(day: dt.date) -> Commitment:
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
        return Commitment(status=CommitmentStatus.DONE, due=due, completed_at=moment)

    assert promise_verdict(done_on(due), until=end) == "kept"
    assert promise_verdict(done_on(due + dt.timedelta(days=3)), until=end) == "late"
    assert (
        promise_verdict(Commitment(status=CommitmentStatus.DROPPED, due=due), until=end) == "missed"
    )
    assert promise_verdict(Commitment(status=CommitmentStatus.OPEN, due=due), until=end) == "missed"
    open_later = Commitment(status=CommitmentStatus.OPEN, due=dt.date(2027, 2, 1))
    assert promise_verdict(open_later, until=end) == "open"
    assert promise_verdict(None, until=end) == "missed"


def test_the_review_counts_the_years_referrals_as_the_records_do(cast: Cast) -> None:
    partner, alice = cast.alice_private, cast.alice
    year = timezone.localdate().year
    in_year = timezone.make_aware(dt.datetime(year, 1, 15, 12))
    last_year = timezone.make_aware(dt.datetime(year - 1, 6, 1, 12))
    for direction, when in [
        (Direction.SENT, in_year),
        (Direction.RECEIVED, in_year),
        (Direction.RECEIVED, in_year),
        (Direction.RECEIVED, last_year),
    ]:
        referral_create(
            by=alice, partner=partner, direction=direction, need="A need", occurred_at=when
        )
    review = annual_review_for(advisor=alice, partner=partner, year=year)
    records = Referral.objects.filter(partner=partner, occurred_at__year=year)
    assert review.counts.sent == records.filter(direction=Direction.SENT).count() == 1
    assert review.counts.received == records.filter(direction=Direction.RECEIVED).count() == 2
    assert review.counts.in_flight == 3
    earlier = annual_review_for(advisor=alice, partner=partner, year=year - 1)
    assert (earlier.counts.sent, earlier.counts.received) == (0, 1)


def test_the_review_says_which_of_the_agreements_promises_were_kept(cast: Cast) -> None:
    partner, alice = cast.alice_private, cast.alice
    today = timezone.localdate()
    agreement = agreement_create(
        partner=partner,
        by=alice,
        promises=[
            PromiseInput("advisor", "Send a client a quarter", today - dt.timedelta(days=5)),
            PromiseInput("partner", "Invite us to the bar lunch", today - dt.timedelta(days=2)),
            PromiseInput("advisor", "Co-host the spring seminar", today + dt.timedelta(days=400)),
        ],
        referral_process="email_thread",
        next_review=today + dt.timedelta(days=365),
        agreed_on=today - dt.timedelta(days=10),
    )
    first = agreement.promises.get(what="Send a client a quarter").commitment
    assert first is not None
    commitment_update(commitment=first, by=alice, status=CommitmentStatus.DONE)
    page = client_for(alice).get(review_url(partner)).content.decode()
    assert "1 kept, 1 missed of 3" in page
    assert "Co-host the spring seminar" in page  # carried into next year
    _, text = pdf_text(client_for(alice).get(review_url(partner, format="pdf")).content)
    assert "ANNUAL REVIEW" in text
    assert "1 kept, 1 missed of 3" in text


def test_an_unknown_year_is_said_and_the_latest_review_is_shown(cast: Cast) -> None:
    partner = cast.alice_private
    year = timezone.localdate().year
    response = client_for(cast.alice).get(review_url(partner, year="1850"), follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    message = UNKNOWN_REVIEW_YEAR.format(year="1850", first=year, last=year)
    assert message in page
    assert f"Annual review · {year}" in page


def test_a_retired_partner_still_has_a_review_of_its_last_year(cast: Cast) -> None:
    partner = cast.alice_private
    partner.stage = Stage.RETIRED
    partner.save(update_fields=["stage"])
    assert client_for(cast.alice).get(review_url(partner)).status_code == 200


def test_the_review_counts_each_kind_of_referral_by_its_own_happy_ending(cast: Cast) -> None:
    partner = cast.alice_private
    in_year = timezone.make_aware(dt.datetime(timezone.localdate().year, 1, 15, 12))
    for direction, kind, status in [
        (Direction.SENT, Kind.REFERRAL, ReferralStatus.ENGAGED),
        (Direction.RECEIVED, Kind.REFERRAL, ReferralStatus.BECAME_CLIENT),
        (Direction.RECEIVED, Kind.CONNECTION, ReferralStatus.MEETING_HELD),
        (Direction.SENT, Kind.REFERRAL, ReferralStatus.DECLINED),
        (Direction.RECEIVED, Kind.REFERRAL, ReferralStatus.CONTACTED),
    ]:
        closed = status != ReferralStatus.CONTACTED
        ReferralFactory(
            partner=partner,
            direction=direction,
            kind=kind,
            status=status,
            occurred_at=in_year,
            closed_at=in_year if closed else None,
            consent_at=in_year,
            consent_method=ConsentMethod.VERBAL,
            outcome_reason="Chose another firm" if status == ReferralStatus.DECLINED else "",
        )

    counts = annual_review_for(advisor=cast.alice, partner=partner, year=in_year.year).counts

    assert (counts.succeeded, counts.closed_otherwise, counts.in_flight) == (3, 1, 1)
