"""Consent holds: a sent referral passes the introduction only with the client's consent on record
(service, database, API, web), protocol steps move the status where they imply it, and the status
path shows only what happened. Property tests walk every path of every lifecycle."""

import itertools
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity.partners.models import Partner, Profession
from reciprocity.referrals.models import (
    LIFECYCLES,
    ConsentMethod,
    Direction,
    Kind,
    Referral,
    ReferralStatus,
    ReferralStatusChange,
    ReferralStep,
    StepSlug,
    lifecycle_of,
)
from reciprocity.referrals.selectors import status_changes_of, status_path, steps_of
from reciprocity.referrals.services import ledger, steps
from tests.api_client import token_client
from tests.conftest import Cast, client_for
from tests.factories import PartnerFactory, UserFactory
from tests.web import htmx, shows

CLIENT_NEEDS_CONSENT = ("introduced", "meeting_held", "engaged")


def send(cast: Cast, partner: Partner | None = None, **kwargs: Any) -> Referral:
    return ledger.referral_create(
        by=cast.alice,
        partner=partner or cast.alice_private,
        direction=Direction.SENT,
        need="Estate plan for a widowed client",
        **kwargs,
    )


def walk(referral: Referral, by: Any) -> None:
    for step in steps_of(referral=referral):
        steps.referral_step_complete(step=step, by=by)
    referral.refresh_from_db()


def moves(referral: Referral) -> list[tuple[str, str]]:
    return [(c.from_status, c.to_status) for c in status_changes_of(referral=referral)]


# --- The reproduction: Proposed → Introduced → Engaged with no consent recorded -----------------


def test_a_sent_referral_cannot_be_introduced_or_engaged_without_consent(cast: Cast) -> None:
    referral = send(cast)
    for status in CLIENT_NEEDS_CONSENT:
        with pytest.raises(ValidationError) as error:
            ledger.referral_change_status(referral=referral, by=cast.alice, status=status)
        assert error.value.message_dict == {
            "status": [
                ledger.CONSENT_BEFORE_INTRODUCTION.format(status=ReferralStatus(status).label)
            ]
        }
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PROPOSED
    assert moves(referral) == [("", "proposed")]


@pytest.mark.parametrize("status", ["consent_given", *CLIENT_NEEDS_CONSENT])
def test_a_sent_referral_cannot_be_recorded_past_the_introduction_without_consent(
    cast: Cast, status: str
) -> None:
    with pytest.raises(ValidationError) as error:
        send(cast, status=status)
    assert "status" in error.value.message_dict
    assert not Referral.objects.exists()


def test_the_database_refuses_an_introduced_referral_without_consent(cast: Cast) -> None:
    referral = send(cast, consent_method="verbal", status="introduced")
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(consent_at=None, consent_method="")
    # A connection introduces no client: it needs no consent.
    connection = send(cast, kind=Kind.CONNECTION, status="introduced")
    assert connection.status == ReferralStatus.INTRODUCED


def test_the_api_answers_422_with_a_detail_that_says_why(cast: Cast) -> None:
    api = token_client(cast.alice)
    referral = send(cast)
    for status in CLIENT_NEEDS_CONSENT:
        response = api.call("POST", f"referrals/{referral.pk}/status", {"status": status})
        assert response.status_code == 422
        detail = response.json()["detail"]
        assert "reaches a partner only after their consent" in detail
        assert ReferralStatus(status).label in detail
    created = api.call(
        "POST",
        "referrals",
        {"partner": cast.alice_private.pk, "direction": "sent", "need": "Tax", "status": "engaged"},
    )
    assert created.status_code == 422
    assert "only after their consent" in created.json()["detail"]
    escort = api.call("POST", f"referrals/{referral.pk}/steps/escort", {"action": "complete"})
    assert escort.status_code == 422
    assert escort.json()["detail"] == f"step: {ledger.STEP_NEEDS_CONSENT}"
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PROPOSED


def test_the_web_page_offers_no_introduction_before_consent_and_explains_why(cast: Cast) -> None:
    referral = send(cast)
    client = client_for(cast.alice)
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    buttons = set(re.findall(r'name="status" value="([a-z_]+)"', page))
    assert buttons.isdisjoint({"consent_given", *CLIENT_NEEDS_CONSENT})
    assert "reaches a partner only after their consent" in page
    assert "after the client's consent" in page  # on the escort and the steps after it
    # A move posted anyway is refused on the page with the reason.
    refused = client.post(
        f"/referrals/{referral.pk}/status/", {"status": "engaged"}, headers=htmx("referral-detail")
    )
    assert shows(refused, ledger.CONSENT_BEFORE_INTRODUCTION.format(status="Engaged"))
    step = client.post(
        f"/referrals/{referral.pk}/steps/escort/", {"action": "complete"}, follow=True
    )
    assert ledger.STEP_NEEDS_CONSENT.replace("'", "&#x27;") in step.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PROPOSED

    client.post(f"/referrals/{referral.pk}/consent/", {"method": "verbal"})
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert {"introduced", "meeting_held", "engaged"} <= set(
        re.findall(r'name="status" value="([a-z_]+)"', page)
    )
    assert "reaches a partner only after their consent" not in page


# --- The reproduction: all five steps done and still "Introduced" -------------------------------


def test_all_five_steps_done_leave_the_referral_engaged_not_introduced(cast: Cast) -> None:
    referral = send(cast, consent_method="verbal", status="consent_given")
    ledger.referral_change_status(referral=referral, by=cast.alice, status="introduced")
    walk(referral, cast.alice)
    assert referral.status == ReferralStatus.ENGAGED
    assert referral.is_closed
    assert moves(referral) == [
        ("", "consent_given"),
        ("consent_given", "introduced"),
        ("introduced", "meeting_held"),
        ("meeting_held", "engaged"),
    ]


def test_each_step_moves_the_status_where_it_implies_and_never_back(cast: Cast) -> None:
    referral = send(cast, consent_method="verbal", status="consent_given")
    expected = {
        StepSlug.CALL: "consent_given",
        StepSlug.EMAIL: "consent_given",
        StepSlug.ESCORT: "meeting_held",
        StepSlug.THANK_YOU: "meeting_held",
        StepSlug.CHECK_IN: "engaged",
    }
    for step in steps_of(referral=referral):
        steps.referral_step_complete(step=step, by=cast.alice)
        referral.refresh_from_db()
        assert referral.status == expected[step.slug], step.slug
    # The escort is the introduction and the first meeting: both are recorded.
    assert ("consent_given", "introduced") in moves(referral)
    # Reopening a step rewrites no history.
    steps.referral_step_reopen(step=referral.steps.get(slug=StepSlug.CHECK_IN), by=cast.alice)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ENGAGED


def test_the_attorney_conference_call_is_the_introduction(cast: Cast) -> None:
    attorney = PartnerFactory(owner=cast.alice, profession=Profession.ATTORNEY)
    referral = send(cast, attorney, consent_method="written")
    step = referral.steps.get(slug=StepSlug.CONFERENCE_CALL)
    steps.referral_step_complete(step=step, by=cast.alice)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.INTRODUCED


def test_a_step_on_a_closed_referral_moves_nothing(cast: Cast) -> None:
    referral = send(cast)
    ledger.referral_change_status(
        referral=referral, by=cast.alice, status="declined", reason="Has a planner"
    )
    steps.referral_step_complete(step=referral.steps.get(slug=StepSlug.CALL), by=cast.alice)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED


# --- The reproduction: the stepper said "Consent given" while consent was "Not recorded" --------


def test_the_status_path_shows_consent_only_when_it_is_on_record(cast: Cast) -> None:
    referral = send(cast, consent_method="verbal", status="introduced")
    page = client_for(cast.alice).get(f"/referrals/{referral.pk}/").content.decode()
    path = page[page.index('class="lifecycle"') : page.index("</ol>", page.index('"lifecycle"'))]
    assert "lifecycle__step--done" in path.split("Consent given")[0].rsplit("<li", 1)[1]
    assert "Not recorded. Share the memo" not in page

    ledger.referral_consent_withdraw(referral=referral, by=cast.alice)
    referral.refresh_from_db()
    states = {status: state for status, _label, state in status_path(referral, moves_of(referral))}
    assert states["consent_given"] == "skipped"
    assert referral.status == ReferralStatus.LOST


def moves_of(referral: Referral) -> list[ReferralStatusChange]:
    return list(status_changes_of(referral=referral))


def test_a_status_passed_over_shows_as_not_recorded(cast: Cast) -> None:
    received = ledger.referral_create(
        by=cast.alice,
        partner=cast.alice_private,
        direction=Direction.RECEIVED,
        need="Retirement",
        follow_up=False,
    )
    ledger.referral_change_status(referral=received, by=cast.alice, status="meeting_held")
    states = [state for _s, _l, state in status_path(received, moves_of(received))]
    assert states == ["done", "skipped", "current", "todo"]
    page = client_for(cast.alice).get(f"/referrals/{received.pk}/").content.decode()
    assert "not recorded" in page
    assert "lifecycle__step--skipped" in page


# --- Withdrawing consent moves what rested on it ------------------------------------------------


def test_withdrawing_consent_before_the_introduction_goes_back_to_proposed(cast: Cast) -> None:
    referral = send(cast)
    ledger.referral_record_consent(
        referral=referral, by=cast.alice, method="verbal", client_name="Ann Lee"
    )
    ledger.referral_consent_withdraw(referral=referral, by=cast.alice)
    referral.refresh_from_db()
    assert (referral.status, referral.client_name, referral.consent_at) == ("proposed", "", None)
    assert moves(referral)[-1] == ("consent_given", "proposed")
    assert referral.status_changes.last().reason == ledger.CONSENT_WITHDRAWN


def test_withdrawing_consent_after_the_introduction_closes_the_referral_as_lost(
    cast: Cast,
) -> None:
    referral = send(cast, consent_method="verbal", status="meeting_held", client_name="Ann Lee")
    ledger.referral_consent_withdraw(referral=referral, by=cast.alice)
    referral.refresh_from_db()
    assert (referral.status, referral.outcome_reason) == ("lost", ledger.CONSENT_WITHDRAWN)
    assert referral.is_closed
    assert not referral.has_consent


def test_an_engaged_referral_keeps_the_consent_it_was_introduced_with(cast: Cast) -> None:
    referral = send(cast, consent_method="verbal", status="engaged")
    with pytest.raises(ValidationError) as error:
        ledger.referral_consent_withdraw(referral=referral, by=cast.alice)
    assert error.value.message_dict == {"consent": [ledger.CONSENT_KEPT_AFTER_SUCCESS]}
    referral.refresh_from_db()
    assert referral.has_consent


# --- Properties over every path of every lifecycle ----------------------------------------------

ALL_STATUSES = [*ReferralStatus.values, "won"]
actions = st.lists(
    st.one_of(
        st.tuples(st.just("status"), st.sampled_from(ALL_STATUSES), st.sampled_from(["", "Gone"])),
        st.tuples(st.just("consent"), st.sampled_from([*ConsentMethod.values, "telepathy"])),
        st.tuples(st.just("withdraw")),
        st.tuples(
            st.sampled_from(["complete", "skip", "reopen"]), st.sampled_from(StepSlug.values)
        ),
    ),
    max_size=12,
)
starts = st.tuples(
    st.sampled_from(list(LIFECYCLES)),
    st.sampled_from([None, *ReferralStatus.values]),
    st.booleans(),
)


def _act(referral: Referral, user: Any, action: tuple[Any, ...]) -> None:
    name = action[0]
    if name == "status":
        ledger.referral_change_status(
            referral=referral, by=user, status=action[1], reason=action[2]
        )
    elif name == "consent":
        ledger.referral_record_consent(referral=referral, by=user, method=action[1])
    elif name == "withdraw":
        ledger.referral_consent_withdraw(referral=referral, by=user)
    else:
        step = referral.steps.filter(slug=action[1]).first()
        if step is None:
            raise ValidationError("No such step")
        act = {
            "complete": steps.referral_step_complete,
            "skip": steps.referral_step_skip,
            "reopen": steps.referral_step_reopen,
        }[name]
        act(step=step, by=user)


def _state(referral: Referral) -> tuple[Any, ...]:
    referral.refresh_from_db()
    steps = list(referral.steps.values_list("slug", "done_at", "skipped_at"))
    return (referral.status, referral.consent_at, referral.status_changes.count(), steps)


def _check_invariants(referral: Referral) -> None:
    lifecycle = referral.lifecycle
    assert referral.status in lifecycle.statuses
    if referral.status in lifecycle.needs_consent:
        assert referral.has_consent, referral.status
    assert (referral.closed_at is not None) == (referral.status in lifecycle.closed)

    changes = moves_of(referral)
    assert changes[0].from_status == ""
    for before, after in itertools.pairwise(changes):
        assert after.from_status == before.to_status
        assert after.occurred_at >= before.occurred_at
        forward = after.to_status in lifecycle.allowed_from(after.from_status)
        assert forward or after.reason == ledger.CONSENT_WITHDRAWN, (before, after)
    assert changes[-1].to_status == referral.status

    # A done step's status was reached, unless the referral failed.
    for step in ReferralStep.objects.filter(referral=referral, done_at__isnull=False):
        implied = step.status_after
        if implied and referral.status in lifecycle.path:
            assert lifecycle.path.index(referral.status) >= lifecycle.path.index(implied)

    # The path marks done only what happened.
    recorded = {change.to_status for change in changes}
    for status, _label, state in status_path(referral, changes):
        if state == "done" and status == ReferralStatus.CONSENT_GIVEN:
            assert referral.direction == Direction.RECEIVED or referral.has_consent
        elif state == "done":
            assert status in recorded or status == referral.status


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=starts, actions=actions)
def test_every_path_of_the_lifecycle_keeps_consent_and_history_true(
    start: tuple[tuple[str, str], str | None, bool], actions: list[tuple[Any, ...]]
) -> None:
    (direction, kind), status, consented = start
    user = UserFactory()
    partner = PartnerFactory(owner=user, profession=Profession.CPA)
    lifecycle = lifecycle_of(direction, kind)
    fields: dict[str, Any] = {"status": status, "reason": "Gone"}
    if consented and direction == Direction.SENT:
        fields["consent_method"] = ConsentMethod.VERBAL
    try:
        referral = ledger.referral_create(
            by=user,
            partner=partner,
            direction=direction,
            kind=kind,
            need="A need",
            follow_up=False,
            **fields,
        )
    except ValidationError:
        assert status not in lifecycle.statuses or (
            status in lifecycle.needs_consent and not fields.get("consent_method")
        )
        return
    _check_invariants(referral)
    for action in actions:
        before = _state(referral)
        try:
            _act(referral, user, action)
        except ValidationError:
            assert _state(referral) == before, action
        referral.refresh_from_db()
        _check_invariants(referral)
