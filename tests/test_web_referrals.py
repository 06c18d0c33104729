"""The referral ledger in the browser: sending with the protocol, logging received referrals, the
balance on partner pages and the board, the firm's balance and protocols, and who may do what."""

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from reciprocity.partners import services as partner_services
from reciprocity.partners.models import (
    Commitment,
    CommitmentStatus,
    Partner,
    Profession,
    Stage,
    Touch,
    TouchKind,
)
from reciprocity.referrals.drafts import MEMO_TITLE
from reciprocity.referrals.models import (
    Direction,
    Kind,
    ProtocolTemplate,
    Referral,
    ReferralStatus,
    StepSlug,
    default_protocol,
)
from reciprocity.referrals.services import ledger, protocols, steps
from tests.conftest import Cast, client_for
from tests.factories import PartnerFactory, ReferralFactory, StageChangeFactory
from tests.web import htmx, is_partial, queries_for, shows


def send(cast: Cast, partner: Partner, **kwargs: Any) -> Referral:
    kwargs.setdefault("need", "Estate plan for a widowed client")
    return ledger.referral_create(
        by=kwargs.pop("by", cast.alice), partner=partner, direction=Direction.SENT, **kwargs
    )


def receive(cast: Cast, partner: Partner, **kwargs: Any) -> Referral:
    kwargs.setdefault("need", "Retirement income plan")
    return ledger.referral_create(
        by=kwargs.pop("by", cast.alice), partner=partner, direction=Direction.RECEIVED, **kwargs
    )


def new_url(partner: Partner, direction: str) -> str:
    return f"/referrals/new/?partner={partner.pk}&direction={direction}"


def live_touches(partner: Partner) -> int:
    return Touch.objects.filter(partner=partner, archived_at__isnull=True).count()


# --- Sending a referral ------------------------------------------------------------------------


def test_the_send_page_asks_the_questions_that_come_before_sharing(cast: Cast) -> None:
    page = client_for(cast.alice).get(new_url(cast.alice_private, "sent")).content.decode()
    assert "Does the client already have such a professional?" in page
    assert "How is that relationship?" in page
    assert "Is there a fee for an initial consultation?" in page
    assert "Has the client consented to their name being shared?" in page
    # The CPA protocol is shown before sending.
    assert "Escort the client to the first meeting" in page


def test_sending_without_consent_records_the_referral_and_shows_the_memo(cast: Cast) -> None:
    partner = cast.alice_private
    response = client_for(cast.alice).post(
        new_url(partner, "sent"),
        {
            "kind": "referral",
            "need": "Business sale next year, needs tax planning",
            "client_has_professional": "yes",
            "existing_relationship": "Their bookkeeper files the returns",
            "consultation_fee": "no",
        },
    )
    referral = Referral.objects.get(partner=partner)
    assert response.status_code == 302
    assert response["Location"] == f"/referrals/{referral.pk}/"
    assert referral.status == ReferralStatus.PROPOSED
    assert referral.client_has_professional == "yes"
    assert referral.steps.count() == 5
    page = client_for(cast.alice).get(response["Location"]).content.decode()
    assert MEMO_TITLE in page
    assert "Their bookkeeper files the returns" in page


def test_a_client_name_without_consent_is_refused_with_the_message_and_nothing_saved(
    cast: Cast,
) -> None:
    partner = cast.alice_private
    client = client_for(cast.alice)
    data = {
        "kind": "referral",
        "need": "Estate plan",
        "client_has_professional": "unknown",
        "consultation_fee": "unknown",
        "client_name": "Ann Lee",
        "client_contact": "ann@example.com",
    }
    for headers in ({}, htmx("referral-form")):
        response = client.post(new_url(partner, "sent"), data, headers=headers)
        assert response.status_code == 200
        assert shows(response, ledger.CONSENT_REQUIRED)
        assert 'id="referral-client_name_error"' in response.content.decode()
    assert is_partial(response)
    assert not Referral.objects.exists()
    assert live_touches(partner) == 0


def test_with_consent_the_name_is_kept_and_the_referral_starts_at_consent_given(
    cast: Cast,
) -> None:
    partner = cast.alice_private
    client_for(cast.alice).post(
        new_url(partner, "sent"),
        {
            "kind": "referral",
            "need": "Estate plan",
            "client_has_professional": "no",
            "consultation_fee": "unknown",
            "consent_method": "verbal",
            "client_name": "Ann Lee",
            "client_contact": "ann@example.com",
        },
    )
    referral = Referral.objects.get(partner=partner)
    assert referral.status == ReferralStatus.CONSENT_GIVEN
    assert referral.client_name == "Ann Lee"
    assert referral.consent_method == "verbal"


def test_the_memo_preview_identifies_no_one_and_saves_nothing(cast: Cast) -> None:
    partner = cast.alice_private
    response = client_for(cast.alice).post(
        new_url(partner, "sent"),
        {
            "kind": "referral",
            "need": "Mrs Lee needs an estate plan after her husband's death",
            "notes": "Call her at 555-123-4567 or ann.lee@example.com",
            "client_has_professional": "unknown",
            "consultation_fee": "unknown",
            "client_name": "Ann Lee",
            "preview": "1",
        },
        headers=htmx("referral-form"),
    )
    assert is_partial(response)
    page = response.content.decode()
    memo = page[page.index('class="memo"') :]
    memo = memo[: memo.index("</pre>")]
    assert MEMO_TITLE in memo
    for identifier in ("Lee", "555-123-4567", "ann.lee@example.com", "Ann"):
        assert identifier not in memo
    assert not Referral.objects.exists()


def test_the_memo_on_the_detail_page_identifies_no_one(cast: Cast) -> None:
    # Even with the name on record (consent given), the memo names no one.
    referral = send(
        cast,
        cast.alice_private,
        need="Retirement plan for Bob Stone",
        notes="Reach Mr Stone on 555-010-0199 or bob.stone@example.com",
        consent_method="verbal",
        client_name="Bob Stone",
        client_contact="bob.stone@example.com",
    )
    page = client_for(cast.alice).get(f"/referrals/{referral.pk}/").content.decode()
    memo = page[page.index('id="memo-text"') :]
    memo = memo[: memo.index("</pre>")]
    assert MEMO_TITLE in memo
    for identifier in ("Stone", "Bob", "555-010-0199", "bob.stone@example.com"):
        assert identifier not in memo
    assert "Retirement plan for the client" in memo


def walk(client: Any, referral: Referral, headers: dict[str, str] | None = None) -> None:
    for step in referral.steps.order_by("position"):
        response = client.post(
            f"/referrals/{referral.pk}/steps/{step.slug}/",
            {"action": "complete"},
            headers=headers or {},
        )
        assert response.status_code == (200 if headers else 302), step.slug


def test_walking_the_cpa_five_steps_puts_five_touches_on_the_timeline(cast: Cast) -> None:
    cpa = PartnerFactory(owner=cast.alice, profession=Profession.CPA, name="Carla CPA")
    client = client_for(cast.alice)
    client.post(
        new_url(cpa, "sent"),
        {
            "kind": "referral",
            "need": "Tax planning for a business sale",
            "client_has_professional": "no",
            "consultation_fee": "no",
            "consent_method": "verbal",
        },
    )
    referral = Referral.objects.get(partner=cpa)
    assert list(referral.steps.values_list("slug", flat=True)) == [
        StepSlug.CALL,
        StepSlug.EMAIL,
        StepSlug.ESCORT,
        StepSlug.THANK_YOU,
        StepSlug.CHECK_IN,
    ]
    walk(client, referral)
    assert live_touches(cpa) == 5
    cpa.refresh_from_db()
    assert cpa.touch_count == 5
    partner_page = client.get(f"/partners/{cpa.pk}/").content.decode()
    timeline = partner_page[partner_page.index('class="timeline"') :]
    assert timeline.count("Referral: ") == 5
    detail = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "5/5" in detail


def test_steps_work_with_htmx_and_can_be_skipped_and_reopened(cast: Cast) -> None:
    referral = send(cast, cast.alice_private)
    client = client_for(cast.alice)
    url = f"/referrals/{referral.pk}/steps/{StepSlug.CALL}/"
    response = client.post(url, {"action": "complete"}, headers=htmx("referral-detail"))
    assert is_partial(response)
    page = response.content.decode()
    assert 'id="referral-detail"' in page
    assert "Logged as a touch on Priya Private" in page
    assert live_touches(cast.alice_private) == 1
    client.post(url, {"action": "reopen"}, headers=htmx("referral-detail"))
    assert live_touches(cast.alice_private) == 0
    client.post(f"/referrals/{referral.pk}/steps/{StepSlug.ESCORT}/", {"action": "skip"})
    assert referral.steps.get(slug=StepSlug.ESCORT).skipped_at is not None
    assert client.post(f"/referrals/{referral.pk}/steps/nope/", {"action": "skip"}).status_code == (
        404
    )


def test_the_attorney_protocol_has_no_escort_and_offers_a_conference_call(cast: Cast) -> None:
    attorney = PartnerFactory(owner=cast.alice, profession=Profession.ATTORNEY)
    client = client_for(cast.alice)
    form = client.get(new_url(attorney, "sent")).content.decode()
    assert "Escort the client" not in form
    assert "conference call" in form
    referral = send(cast, attorney, consent_method="verbal")
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert f"/steps/{StepSlug.CONFERENCE_CALL}/" in page
    assert f"/steps/{StepSlug.ESCORT}/" not in page
    assert "Escort the client" not in page
    walk(client, referral)
    assert live_touches(attorney) == 5
    kinds = Touch.objects.filter(partner=attorney).values_list("kind", flat=True)
    assert TouchKind.MEETING not in kinds


def test_the_email_draft_is_shown_with_a_mailto_link_and_nothing_is_sent(cast: Cast) -> None:
    partner = cast.alice_private
    partner.email = "priya@example.com"
    partner.save()
    referral = send(
        cast, partner, consent_method="email", client_name="Ann Lee", status="consent_given"
    )
    page = client_for(cast.alice).get(f"/referrals/{referral.pk}/").content.decode()
    assert 'href="mailto:priya@example.com?subject=' in page
    assert 'id="draft-subject"' in page
    assert "Referral: Ann Lee, Estate plan for a widowed client" in page


# --- Status and consent ------------------------------------------------------------------------


def test_the_status_buttons_offer_only_allowed_moves(cast: Cast) -> None:
    referral = send(cast, cast.alice_private, consent_method="verbal", status="consent_given")
    page = client_for(cast.alice).get(f"/referrals/{referral.pk}/").content.decode()
    buttons = set(re.findall(r'name="status" value="([a-z_]+)"', page))
    # Consent came through its form and is behind; received statuses never show.
    assert {"introduced", "meeting_held", "engaged"} <= buttons
    assert "consent_given" not in buttons
    assert "became_client" not in buttons
    assert "not_a_fit" not in buttons


def test_moving_the_status_forward_works_plain_and_with_htmx(cast: Cast) -> None:
    referral = send(cast, cast.alice_private, consent_method="verbal")
    client = client_for(cast.alice)
    url = f"/referrals/{referral.pk}/status/"
    assert client.post(url, {"status": "introduced"}).status_code == 302
    response = client.post(url, {"status": "meeting_held"}, headers=htmx("referral-detail"))
    assert is_partial(response)
    assert "Introduced → Meeting held" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.MEETING_HELD


def test_a_move_the_lifecycle_does_not_allow_is_refused_with_the_message(cast: Cast) -> None:
    referral = send(cast, cast.alice_private, consent_method="verbal")
    ledger.referral_change_status(referral=referral, by=cast.alice, status="engaged")
    response = client_for(cast.alice).post(
        f"/referrals/{referral.pk}/status/", {"status": "introduced"}
    )
    assert response.status_code == 200
    assert "cannot move from engaged to introduced" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ENGAGED


@pytest.mark.parametrize(
    ("direction", "failure"),
    [("sent", "declined"), ("sent", "lost"), ("received", "not_a_fit")],
)
def test_closing_as_failed_needs_a_reason(cast: Cast, direction: str, failure: str) -> None:
    referral = (send if direction == "sent" else receive)(cast, cast.alice_private)
    client = client_for(cast.alice)
    url = f"/referrals/{referral.pk}/status/"
    refused = client.post(url, {"status": failure, "reason": " "}, headers=htmx("referral-detail"))
    assert shows(refused, ledger.REASON_REQUIRED)
    referral.refresh_from_db()
    assert referral.status == referral.lifecycle.initial
    client.post(url, {"status": failure, "reason": "Went with their brother-in-law"})
    referral.refresh_from_db()
    assert referral.status == failure
    assert referral.outcome_reason == "Went with their brother-in-law"
    assert referral.closed_at is not None


def test_recording_and_withdrawing_consent(cast: Cast) -> None:
    referral = send(cast, cast.alice_private)
    client = client_for(cast.alice)
    refused = client.post(f"/referrals/{referral.pk}/consent/", {"method": "telepathy"})
    assert shows(refused, ledger.UNKNOWN_CONSENT_METHOD)
    response = client.post(
        f"/referrals/{referral.pk}/consent/",
        {"method": "written", "client_name": "Ann Lee", "client_contact": "555 0100"},
        headers=htmx("referral-detail"),
    )
    assert is_partial(response)
    referral.refresh_from_db()
    assert (referral.status, referral.client_name) == (ReferralStatus.CONSENT_GIVEN, "Ann Lee")
    assert "Ann Lee" in response.content.decode()
    client.post(f"/referrals/{referral.pk}/consent/withdraw/")
    referral.refresh_from_db()
    assert referral.consent_at is None
    assert referral.client_name == ""


def test_editing_a_referral_keeps_the_name_out_until_consent(cast: Cast) -> None:
    referral = send(cast, cast.alice_private)
    client = client_for(cast.alice)
    form = client.get(f"/referrals/{referral.pk}/edit/", headers=htmx("referral-detail"))
    assert is_partial(form)
    assert 'id="edit-client_name"' not in form.content.decode()
    response = client.post(
        f"/referrals/{referral.pk}/edit/",
        {
            "need": "Estate plan, updated",
            "client_has_professional": "no",
            "consultation_fee": "yes",
            "consultation_fee_note": "First hour free",
            "estimated_value": "-5",
        },
    )
    assert shows(response, ledger.NEGATIVE_VALUE)
    client.post(
        f"/referrals/{referral.pk}/edit/",
        {
            "need": "Estate plan, updated",
            "client_has_professional": "no",
            "consultation_fee": "yes",
            "consultation_fee_note": "First hour free",
            "estimated_value": "2500",
        },
    )
    referral.refresh_from_db()
    assert referral.need == "Estate plan, updated"
    assert referral.consultation_fee_note == "First hour free"


def test_archiving_and_restoring_a_referral(cast: Cast) -> None:
    referral = send(cast, cast.alice_private)
    client = client_for(cast.alice)
    assert client.post(f"/referrals/{referral.pk}/archive/").status_code == 302
    referral.refresh_from_db()
    assert referral.archived_at is not None
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "/restore/" in page
    assert "/steps/" not in page
    assert "Estate plan" not in client.get("/referrals/").content.decode()
    assert "Estate plan" in client.get("/referrals/", {"archived": "on"}).content.decode()
    response = client.post(f"/referrals/{referral.pk}/restore/", headers=htmx("referral-detail"))
    assert is_partial(response)
    referral.refresh_from_db()
    assert referral.archived_at is None


# --- Received referrals ------------------------------------------------------------------------


def test_logging_a_received_referral_shows_the_follow_ups_it_created(cast: Cast) -> None:
    partner = cast.alice_private
    client = client_for(cast.alice)
    form = client.get(new_url(partner, "received")).content.decode()
    assert "Has the client consented" not in form
    response = client.post(
        new_url(partner, "received"),
        {
            "kind": "referral",
            "need": "Rollover of a 401(k)",
            "client_name": "Dana Diaz",
            "follow_up": "on",
        },
        follow=True,
    )
    referral = Referral.objects.get(partner=partner)
    assert referral.direction == Direction.RECEIVED
    assert referral.client_name == "Dana Diaz"
    page = response.content.decode()
    assert "Two follow-ups are on your agenda" in page
    assert f"Send {partner.name} a thank-you note for the referral" in page
    assert f"Report back to {partner.name}" in page
    assert referral.thank_you_commitment is not None
    assert referral.report_back_commitment is not None


def test_a_received_referral_logged_with_htmx_redirects_the_browser(cast: Cast) -> None:
    response = client_for(cast.alice).post(
        new_url(cast.alice_private, "received"),
        {"kind": "connection", "need": "Intro to the business owners' association"},
        headers=htmx("referral-form"),
    )
    referral = Referral.objects.get()
    assert response["HX-Redirect"] == f"/referrals/{referral.pk}/"
    assert referral.kind == Kind.CONNECTION
    # Unticked: no follow-ups.
    assert referral.thank_you_commitment is None


def test_completing_a_follow_up_logs_the_thank_you_touch(cast: Cast) -> None:
    referral = receive(cast, cast.alice_private)
    thank_you = referral.thank_you_commitment
    assert thank_you is not None
    client = client_for(cast.alice)
    response = client.post(
        f"/referrals/{referral.pk}/follow-ups/{thank_you.pk}/",
        {"status": "done", "touch_kind": "thank_you"},
        headers=htmx("referral-detail"),
    )
    assert is_partial(response)
    thank_you.refresh_from_db()
    assert thank_you.status == CommitmentStatus.DONE
    assert Touch.objects.get(partner=cast.alice_private).kind == TouchKind.THANK_YOU
    other = Commitment.objects.create(
        partner=cast.alice_private, what="x", due=timezone.localdate(), by=cast.alice
    )
    url = f"/referrals/{referral.pk}/follow-ups/{other.pk}/"
    assert client.post(url, {"status": "done"}).status_code == 404


# --- The partner page and the board ------------------------------------------------------------


def test_the_partner_page_shows_the_balance_and_the_referrals_in_flight(cast: Cast) -> None:
    partner = cast.alice_private
    send(cast, partner, need="Estate plan for the Kims")
    send(cast, partner, need="Old one", occurred_at=timezone.now() - dt.timedelta(days=500))
    receive(cast, partner, need="A dentist selling her practice")
    ledger.referral_create(
        by=cast.alice, partner=partner, direction="sent", kind="connection", need="Rotary intro"
    )
    page = client_for(cast.alice).get(f"/partners/{partner.pk}/").content.decode()
    panel = page[page.index('id="referrals-title"') :]
    panel = panel[: panel.index("</section>")]
    numbers = re.findall(r"<td[^>]*>(\d+)</td>", panel)
    # 12 months: 1 sent, 1 received; all time: 2 sent, 1 received; connections: 1 sent.
    assert numbers == ["1", "1", "2", "1", "1", "0", "1", "0"]
    assert "Estate plan for the Kims" in panel
    assert "A dentist selling her practice" in panel
    assert "First referral received" in panel
    assert f"/referrals/new/?partner={partner.pk}&amp;direction=sent" in panel
    assert f"/referrals/new/?partner={partner.pk}&amp;direction=received" in panel


def test_the_first_received_referral_suggests_active_and_one_click_moves_it(cast: Cast) -> None:
    partner = cast.alice_private
    partner_services.partner_change_stage(partner=partner, by=cast.alice, stage="first_meeting")
    receive(cast, partner)
    client = client_for(cast.alice)
    page = client.get(f"/partners/{partner.pk}/").content.decode()
    assert "Suggested: move to Active partner." in page
    assert "days after the first meeting" in page or "0 days after" in page
    response = client.post(
        f"/partners/{partner.pk}/stage/",
        {"stage": "active", "note": "First referral received"},
        headers=htmx("partner-detail"),
    )
    assert is_partial(response)
    partner.refresh_from_db()
    assert partner.stage == Stage.ACTIVE
    assert partner.stage_changes.first().note == "First referral received"
    assert "Suggested: move to" not in response.content.decode()


def test_referrals_both_ways_repeatedly_suggest_champion(cast: Cast) -> None:
    partner = cast.alice_private
    partner_services.partner_change_stage(partner=partner, by=cast.alice, stage="active")
    for _ in range(2):
        send(cast, partner)
        receive(cast, partner)
    page = client_for(cast.alice).get(f"/partners/{partner.pk}/").content.decode()
    assert "Suggested: move to Champion." in page


def test_the_board_cards_show_a_compact_balance_with_a_label(cast: Cast) -> None:
    partner = cast.alice_private
    send(cast, partner)
    send(cast, partner)
    receive(cast, partner)
    page = client_for(cast.alice).get("/pipeline/").content.decode()
    assert 'aria-label="2 referrals sent, 1 received"' in page
    assert "&uarr;2 &darr;1" in page or "↑2 ↓1" in page


# --- Ledger, balance, protocols ----------------------------------------------------------------


def test_the_ledger_filters_by_direction_kind_status_state_partner_and_search(
    cast: Cast,
) -> None:
    sent = send(cast, cast.alice_private, need="Estate plan for the Kims")
    receive(cast, cast.alice_shared, need="Prospect from Sam")
    ledger.referral_create(
        by=cast.alice,
        partner=cast.alice_shared,
        direction="sent",
        kind="connection",
        need="Rotary intro",
    )
    ledger.referral_change_status(
        referral=sent, by=cast.alice, status="declined", reason="Client said no"
    )
    client = client_for(cast.alice)

    def needs(**query: Any) -> set[str]:
        page = client.get("/referrals/", query).content.decode()
        return {n for n in ("Estate plan", "Prospect from Sam", "Rotary intro") if n in page}

    assert needs() == {"Estate plan", "Prospect from Sam", "Rotary intro"}
    assert needs(direction="received") == {"Prospect from Sam"}
    assert needs(kind="connection") == {"Rotary intro"}
    assert needs(status="declined") == {"Estate plan"}
    assert needs(state="closed") == {"Estate plan"}
    assert needs(state="open") == {"Prospect from Sam", "Rotary intro"}
    assert needs(partner=cast.alice_shared.pk) == {"Prospect from Sam", "Rotary intro"}
    assert needs(q="kims") == {"Estate plan"}
    assert needs(q="sam") == {"Prospect from Sam", "Rotary intro"}  # partner name matches


def test_the_ledger_is_paginated_and_answers_htmx_with_the_results(
    cast: Cast, settings: Any
) -> None:
    settings.RECIPROCITY_PAGE_SIZE = 2
    for index in range(3):
        ReferralFactory(partner=cast.alice_private, need=f"Need {index}")
    client = client_for(cast.alice)
    assert "Page 1 of 2" in client.get("/referrals/").content.decode()
    response = client.get("/referrals/", {"page": 2}, headers=htmx("results"))
    assert is_partial(response)
    assert 'id="results"' in response.content.decode()


def test_the_firm_balance_shows_every_advisor_to_an_admin_and_the_owners_one_sees_to_an_advisor(
    cast: Cast,
) -> None:
    send(cast, cast.alice_private)
    bobs = PartnerFactory(owner=cast.bob, team=cast.north)
    receive(cast, bobs, by=cast.bob)
    for user in (cast.ada, cast.cole):
        page = client_for(user).get("/referrals/balance/").content.decode()
        for advisor in (cast.alice, cast.bob, cast.carol):
            assert advisor.display_name in page, (user, advisor)
        assert "Firm total" in page
    # An advisor: themselves and the teammates whose shared partners they see, as in the API.
    mine = client_for(cast.alice).get("/referrals/balance/").content.decode()
    assert cast.alice.display_name in mine
    assert cast.bob.display_name in mine
    assert cast.carol.display_name not in mine
    assert cast.mallory.display_name not in mine


def test_a_firm_admin_edits_a_protocol_and_resets_it(cast: Cast) -> None:
    client = client_for(cast.ada)
    url = f"/referrals/protocols/{Profession.BANKER}/"
    data = {
        "call-include": "on",
        "call-position": "2",
        "call-label": "Phone the banker",
        "email-include": "on",
        "email-position": "1",
        "email-label": "Email first",
    }
    response = client.post(url, data, headers=htmx(f"protocol-{Profession.BANKER}"))
    assert is_partial(response)
    template = ProtocolTemplate.objects.get(firm=cast.firm, profession=Profession.BANKER)
    assert template.steps == [
        {"slug": "email", "label": "Email first"},
        {"slug": "call", "label": "Phone the banker"},
    ]
    banker = PartnerFactory(owner=cast.alice, profession=Profession.BANKER)
    referral = send(cast, banker)
    assert list(referral.steps.values_list("label", flat=True)) == [
        "Email first",
        "Phone the banker",
    ]
    refused = client.post(url, {})
    assert shows(refused, "A protocol needs at least one step.")
    assert client.post(f"{url}reset/").status_code == 302
    template.refresh_from_db()
    assert template.steps == default_protocol(Profession.BANKER)


def test_others_read_the_protocols_and_get_403_on_a_write(cast: Cast) -> None:
    for user in (cast.alice, cast.cole):
        client = client_for(user)
        page = client.get("/referrals/protocols/").content.decode()
        assert "Conference call" not in page or "conference call" in page.lower()
        assert "Escort the client to the first meeting" in page
        assert 'name="call-include"' not in page
        for url in (
            f"/referrals/protocols/{Profession.CPA}/",
            f"/referrals/protocols/{Profession.CPA}/reset/",
        ):
            response = client.post(url, {"call-include": "on", "call-label": "Call"})
            assert response.status_code == 403, (user, url)
            assert shows(response, protocols.NOT_FIRM_ADMIN)
    assert not ProtocolTemplate.objects.exists()
    assert client_for(cast.ada).post("/referrals/protocols/astrologer/").status_code == 404


# --- Access ------------------------------------------------------------------------------------


def referral_urls(referral: Referral) -> list[tuple[str, str, dict[str, str]]]:
    base = f"/referrals/{referral.pk}/"
    urls = [
        ("get", base, {}),
        ("get", f"{base}edit/", {}),
        ("post", f"{base}edit/", {"need": "Hijacked"}),
        ("post", f"{base}status/", {"status": "introduced"}),
        ("post", f"{base}status/", {"status": "lost", "reason": "x"}),
        ("post", f"{base}consent/", {"method": "verbal"}),
        ("post", f"{base}consent/withdraw/", {}),
        ("post", f"{base}archive/", {}),
        ("post", f"{base}restore/", {}),
    ]
    if referral.direction == Direction.SENT:
        urls.append(("post", f"{base}steps/{StepSlug.CALL}/", {"action": "complete"}))
    else:
        follow_up = referral.thank_you_commitment_id
        urls.append(("post", f"{base}follow-ups/{follow_up}/", {"status": "done"}))
    return urls


def test_another_firms_advisor_gets_404_on_every_referral_url(cast: Cast) -> None:
    sent = send(cast, cast.alice_shared)
    received = receive(cast, cast.alice_shared)
    client = client_for(cast.mallory)
    for referral in (sent, received):
        for method, url, data in referral_urls(referral):
            response = getattr(client, method)(url, data)
            assert response.status_code == 404, (method, url)
            response = getattr(client, method)(url, data, headers=htmx("referral-detail"))
            assert response.status_code == 404, (method, url, "htmx")
    assert client.get(new_url(cast.alice_shared, "sent")).status_code == 404
    assert client.post(new_url(cast.alice_shared, "sent"), {"need": "x"}).status_code == 404
    assert "Estate plan" not in client.get("/referrals/").content.decode()
    assert client.get("/referrals/", {"partner": cast.alice_shared.pk}).status_code == 200
    sent.refresh_from_db()
    assert sent.need == "Estate plan for a widowed client"
    assert sent.status == ReferralStatus.PROPOSED
    assert sent.archived_at is None
    assert live_touches(cast.alice_shared) == 0


def test_a_teammate_works_referrals_of_shared_partners_but_not_private_ones(cast: Cast) -> None:
    shared = send(cast, cast.alice_shared, consent_method="verbal")
    private = send(cast, cast.alice_private, need="Private matter")
    client = client_for(cast.bob)
    page = client.get("/referrals/").content.decode()
    assert "Estate plan" in page
    assert "Private matter" not in page
    assert client.get(f"/referrals/{private.pk}/").status_code == 404
    assert client.post(f"/referrals/{private.pk}/status/", {"status": "lost"}).status_code == 404
    walk(client, shared)
    assert live_touches(cast.alice_shared) == 5
    client.post(new_url(cast.alice_shared, "received"), {"kind": "referral", "need": "From Sam"})
    assert Referral.objects.filter(need="From Sam", by=cast.bob).exists()


def test_a_firm_admin_sees_every_referral_of_the_firm(cast: Cast) -> None:
    private = send(cast, cast.alice_private, need="Private matter")
    send(cast, cast.mallory_partner, by=cast.mallory, need="Other firm's matter")
    client = client_for(cast.ada)
    page = client.get("/referrals/").content.decode()
    assert "Private matter" in page
    assert "Other firm's matter" not in page
    assert client.get(f"/referrals/{private.pk}/").status_code == 200


def test_compliance_reads_everything_and_gets_403_on_every_write(cast: Cast) -> None:
    referral = receive(cast, cast.alice_private)
    sent = send(cast, cast.alice_private)
    client = client_for(cast.cole)
    page = client.get(f"/referrals/{sent.pk}/").content.decode()
    assert "Estate plan" in page
    for fragment in ("/steps/", "/status/", "/consent/", "/edit/", "/archive/"):
        assert fragment not in page, fragment
    writes = [
        (method, url, data)
        for target in (referral, sent)
        for method, url, data in referral_urls(target)
        if not (method == "get" and url.endswith(f"/{target.pk}/"))
    ]
    writes.append(("get", new_url(cast.alice_private, "sent"), {}))
    writes.append(("post", new_url(cast.alice_private, "sent"), {"need": "x"}))
    for method, url, data in writes:
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (method, url)
    assert Referral.objects.count() == 2
    partner_page = client.get(f"/partners/{cast.alice_private.pk}/").content.decode()
    assert "Send a referral" not in partner_page


def test_the_new_referral_page_asks_for_a_partner_and_a_direction_when_missing(
    cast: Cast,
) -> None:
    client = client_for(cast.alice)
    page = client.get("/referrals/new/").content.decode()
    assert "Which partner, and which way" in page
    assert "Priya Private" in page
    assert "Other Firm Partner" not in page
    refused = client.get(f"/referrals/new/?partner={cast.alice_private.pk}&direction=sideways")
    assert shows(refused, ledger.UNKNOWN_DIRECTION)


def test_an_archived_partner_takes_no_new_referral(cast: Cast) -> None:
    partner = cast.alice_private
    partner_services.partner_archive(partner=partner, by=cast.alice)
    client = client_for(cast.alice)
    assert "is archived" in client.get(new_url(partner, "sent")).content.decode()
    response = client.post(new_url(partner, "received"), {"kind": "referral", "need": "x"})
    assert shows(response, partner_services.ARCHIVED_PARTNER)
    assert not Referral.objects.exists()


# --- Query counts ------------------------------------------------------------------------------


def add_referrals(cast: Cast, partner: Partner, count: int) -> None:
    for _ in range(count):
        referral = send(cast, partner, consent_method="verbal")
        for step in referral.steps.all()[:2]:
            steps.referral_step_complete(step=step, by=cast.alice)
        ledger.referral_change_status(referral=referral, by=cast.alice, status="introduced")
        receive(cast, partner)


@pytest.mark.parametrize("user", ["alice", "ada"])
def test_the_ledger_costs_the_same_queries_for_3_or_30_referrals(cast: Cast, user: str) -> None:
    client = client_for(getattr(cast, user))
    add_referrals(cast, cast.alice_private, 2)
    small = queries_for(lambda: client.get("/referrals/"))
    for _ in range(4):
        add_referrals(cast, PartnerFactory(owner=cast.alice), 3)
    assert queries_for(lambda: client.get("/referrals/")) == small


def test_the_referral_detail_costs_the_same_queries_however_long_its_history(
    cast: Cast,
) -> None:
    client = client_for(cast.alice)
    short = send(cast, cast.alice_private, consent_method="verbal", client_name="Ann")
    long = send(cast, cast.alice_private, consent_method="verbal", client_name="Ann")
    for step in long.steps.all():
        steps.referral_step_complete(step=step, by=cast.alice)
    long.refresh_from_db()
    assert long.status == ReferralStatus.ENGAGED
    assert queries_for(lambda: client.get(f"/referrals/{short.pk}/")) == queries_for(
        lambda: client.get(f"/referrals/{long.pk}/")
    )
    received = receive(cast, cast.alice_private)
    received_queries = queries_for(lambda: client.get(f"/referrals/{received.pk}/"))
    ledger.referral_change_status(referral=received, by=cast.alice, status="contacted")
    assert queries_for(lambda: client.get(f"/referrals/{received.pk}/")) == received_queries


def test_the_partner_page_costs_the_same_queries_for_3_or_30_referrals(cast: Cast) -> None:
    partner = cast.alice_private
    StageChangeFactory(partner=partner, to_stage=Stage.FIRST_MEETING)
    client = client_for(cast.alice)
    url = f"/partners/{partner.pk}/"
    add_referrals(cast, partner, 2)
    small = queries_for(lambda: client.get(url))
    add_referrals(cast, partner, 13)
    assert queries_for(lambda: client.get(url)) == small


def test_the_board_costs_the_same_queries_with_referrals_present(cast: Cast) -> None:
    client = client_for(cast.ada)
    add_referrals(cast, cast.alice_private, 1)
    small = queries_for(lambda: client.get("/pipeline/"))
    for stage in (Stage.ACTIVE, Stage.CHAMPION, Stage.QUALIFIED):
        add_referrals(cast, PartnerFactory(owner=cast.alice, stage=stage), 2)
        add_referrals(cast, PartnerFactory(owner=cast.bob, stage=stage, team=cast.north), 1)
    assert queries_for(lambda: client.get("/pipeline/")) == small


def test_referral_pages_that_answer_htmx_with_fragments_tell_caches_so(cast: Cast) -> None:
    referral = send(cast, cast.alice_private)
    client = client_for(cast.alice)
    for url in ("/referrals/", f"/referrals/{referral.pk}/", "/referrals/protocols/"):
        assert "HX-Request" in client.get(url)["Vary"], url
