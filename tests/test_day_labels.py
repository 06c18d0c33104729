"""Dates read right: a day in another year shows its year, and an agreement's promises fall due
over the agreement's time (or on the day the advisor sets), so they show as next steps."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from reciprocity.partners.models import Commitment
from reciprocity.partners.selectors import next_step_of, partner_get_for
from reciprocity.playbook.forms.agreements import PROMISE_DATE_INVALID
from reciprocity.playbook.services.agreements import (
    PromiseInput,
    agreement_create,
    promise_dues,
)
from reciprocity.web import dates
from reciprocity.web.dates import day_label
from tests.conftest import Cast, client_for
from tests.factories import CommitmentFactory
from tests.web import shows


@pytest.fixture
def on_dec_4_2026(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates.timezone, "localdate", lambda *a: dt.date(2026, 12, 4))


def test_a_date_in_another_year_shows_its_year(on_dec_4_2026: None) -> None:
    assert day_label(dt.date(2027, 12, 4)) == "Sat, Dec 4, 2027"
    assert day_label(dt.date(2026, 12, 5)) == "Sat, Dec 5"
    assert day_label(dt.date(2025, 1, 2), "short") == "Jan 2, 2025"
    assert day_label(dt.date(2026, 1, 2), "short") == "Jan 2"
    moment = timezone.make_aware(dt.datetime(2027, 1, 8, 15, 0))
    assert day_label(moment, "time") == "Fri, Jan 8, 2027, 3:00 p.m."
    assert day_label(None) == ""


def test_a_commitment_due_next_year_shows_the_year_on_the_partner_page(cast: Cast) -> None:
    due = timezone.localdate().replace(year=timezone.localdate().year + 1, month=12, day=4)
    CommitmentFactory(partner=cast.alice_private, what="Annual review lunch", due=due)
    page = client_for(cast.alice).get(f"/partners/{cast.alice_private.pk}/").content.decode()
    assert due.strftime("%a, %b ") + f"{due.day}, {due.year}" in page


def test_promises_without_a_date_spread_over_the_agreement_until_the_review() -> None:
    start, review = dt.date(2027, 1, 1), dt.date(2028, 1, 1)
    promises = [PromiseInput("advisor", f"Ours {n}") for n in range(3)]
    promises += [PromiseInput("partner", "Theirs"), PromiseInput("advisor", "Dated", start)]
    dues = promise_dues(promises, agreed_on=start, next_review=review)
    assert dues == [
        dt.date(2027, 4, 2),  # a quarter of the way
        dt.date(2027, 7, 2),
        dt.date(2027, 10, 1),
        dt.date(2027, 7, 2),  # the partner's only undated promise: halfway
        start,  # its own date
    ]


def test_the_first_promise_is_the_partners_next_step_not_the_review(cast: Cast) -> None:
    # The reproduction: every promise was due on the review date, so none showed as a next step.
    partner = cast.alice_private
    today = timezone.localdate()
    review = today + dt.timedelta(days=365)
    agreement_create(
        partner=partner,
        by=cast.alice,
        promises=[
            PromiseInput("advisor", "Send the tax-season checklist"),
            PromiseInput("advisor", "Invite them to the client seminar"),
            PromiseInput("partner", "Introduce two business owners"),
        ],
        referral_process="email_thread",
        next_review=review,
    )
    dues = sorted(Commitment.objects.filter(partner=partner).values_list("due", flat=True))
    assert len(set(dues)) == 4  # three promises and the review, each on its own day
    assert dues[-1] == review
    step = next_step_of(partner_get_for(advisor=cast.alice, pk=partner.pk))
    assert step is not None
    assert step.what == "Send the tax-season checklist"
    assert step.due == today + dt.timedelta(days=365 // 3)


def test_the_agreement_form_takes_a_date_per_promise(cast: Cast) -> None:
    partner = cast.alice_private
    client = client_for(cast.alice)
    review = timezone.localdate() + dt.timedelta(days=365)
    form: dict[str, Any] = {
        "advisor_promises": "Send the checklist by 2026-12-20\nHost a lunch",
        "partner_promises": "Introduce the association's board",
        "referral_process": "email_thread",
        "next_review": review.isoformat(),
    }
    refused = client.post(
        f"/partners/{partner.pk}/agreement/",
        {**form, "advisor_promises": "Send the checklist by 2026-13-45"},
    )
    assert shows(refused, PROMISE_DATE_INVALID.format(line="Send the checklist by 2026-13-45"))
    assert not Commitment.objects.filter(partner=partner).exists()

    client.post(f"/partners/{partner.pk}/agreement/", form)
    dues = dict(Commitment.objects.filter(partner=partner).values_list("what", "due"))
    assert dues["Send the checklist"] == dt.date(2026, 12, 20)
    assert dues["Host a lunch"] == timezone.localdate() + dt.timedelta(days=365 // 2)
