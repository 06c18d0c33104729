import datetime as dt

import pytest
from django.utils import timezone

from reciprocity.accounts.services import READ_ONLY_ROLE
from reciprocity.partners import selectors, services
from reciprocity.partners.models import FailureReason, Partner, Stage, StageChange
from tests.conftest import Cast, client_for
from tests.factories import CommitmentFactory, PartnerFactory, TouchFactory
from tests.web import htmx, is_partial, queries_for, shows


def stage_url(partner: Partner) -> str:
    return f"/partners/{partner.pk}/stage/"


def test_the_pipeline_shows_a_column_per_stage_with_the_advisors_partners(cast: Cast) -> None:
    response = client_for(cast.alice).get("/pipeline/")
    assert response.status_code == 200
    page = response.content.decode()
    for stage in Stage:
        assert f'id="column-{stage.value}"' in page
        assert escape_label(stage.label) in page
    assert "Priya Private" in page
    assert "Sam Shared" in page
    assert "Other Firm Partner" not in page


def escape_label(label: str) -> str:
    return label.replace("&", "&amp;")


def test_an_anonymous_visitor_is_sent_to_the_login_page(db: None) -> None:
    from django.test import Client

    response = Client().get("/pipeline/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_login_page_renders(db: None) -> None:
    from django.test import Client

    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    # One field takes the username or the email address.
    assert 'name="login"' in response.content.decode()


def test_a_card_shows_the_next_step_touches_and_days_since_the_last_touch(cast: Cast) -> None:
    partner = cast.alice_private
    CommitmentFactory(partner=partner, what="Send the estate article", due=timezone.localdate())
    partner.touch_count = 4
    partner.last_touch_at = timezone.now() - dt.timedelta(days=6)
    partner.save()
    page = client_for(cast.alice).get("/pipeline/").content.decode()
    assert "Send the estate article" in page
    assert "Due today" in page
    assert "4 touches" in page
    assert "6 days since last touch" in page


def test_an_overdue_next_step_is_marked_in_words_not_only_colour(cast: Cast) -> None:
    CommitmentFactory(
        partner=cast.alice_private,
        what="Call about the referral",
        due=timezone.localdate() - dt.timedelta(days=2),
    )
    page = client_for(cast.alice).get("/pipeline/").content.decode()
    assert "card--overdue" in page
    assert "Overdue</span>" in page
    assert '<span class="stat__value">1</span> overdue next step' in page


def test_a_quiet_warm_partner_carries_the_suggest_dormant_hint(cast: Cast) -> None:
    PartnerFactory(
        owner=cast.alice,
        name="Quiet Quentin",
        stage=Stage.ACTIVE,
        stage_changed_at=timezone.now() - dt.timedelta(days=400),
        last_touch_at=timezone.now() - dt.timedelta(days=cast.firm.dormancy_days + 10),
    )
    page = client_for(cast.alice).get("/pipeline/").content.decode()
    assert "suggest Dormant" in page


def test_a_capped_column_shows_its_total_and_links_to_the_filtered_list(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "BOARD_COLUMN_LIMIT", 2)
    for _ in range(3):
        PartnerFactory(owner=cast.alice, stage=Stage.QUALIFIED)
    page = client_for(cast.alice).get("/pipeline/").content.decode()
    assert "Showing 2 of 3" in page
    assert 'href="/partners/?stage=qualified&amp;sort=next_step"' in page


def test_a_capped_columns_list_goes_on_from_its_cards_in_the_same_order(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "BOARD_COLUMN_LIMIT", 3)
    # No next step for any: the board orders them by time in the stage, longest first.
    for days, name in enumerate(["Ann", "Bea", "Cal", "Dee", "Eve"]):
        PartnerFactory(
            owner=cast.alice,
            name=name,
            stage=Stage.QUALIFIED,
            stage_changed_at=timezone.now() - dt.timedelta(days=10 - days % 2 * 5 - days),
        )
    board = selectors.board_columns(advisor=cast.alice)
    cards = next(cards for stage, cards, _total in board.columns if stage == Stage.QUALIFIED)
    listed = selectors.partner_list(
        advisor=cast.alice, filters=selectors.PartnerFilters(stage="qualified", sort="next_step")
    )

    assert [p.name for p in cards] != ["Ann", "Bea", "Cal"]
    assert [p.name for p in listed][:3] == [p.name for p in cards]


def test_the_summary_counts_overdue_and_quiet_partners_beyond_the_cards_shown(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "BOARD_COLUMN_LIMIT", 1)
    now, today = timezone.now(), timezone.localdate()
    window = cast.firm.dormancy_days
    for days_quiet in (window + 1, window + 30, window):
        partner = PartnerFactory(
            owner=cast.alice,
            stage=Stage.ACTIVE,
            stage_changed_at=now - dt.timedelta(days=500),
            last_touch_at=now - dt.timedelta(days=days_quiet, hours=1),
        )
        CommitmentFactory(partner=partner, due=today - dt.timedelta(days=days_quiet))
    # Never touched: quiet since the stage was reached. Retired: its overdue step is not work.
    PartnerFactory(
        owner=cast.alice, stage=Stage.CHAMPION, stage_changed_at=now - dt.timedelta(days=window + 2)
    )
    CommitmentFactory(
        partner=PartnerFactory(owner=cast.alice, stage=Stage.RETIRED),
        due=today - dt.timedelta(days=3),
    )
    context = client_for(cast.alice).get("/pipeline/").context
    assert context["overdue_count"] == 3
    assert context["dormant_hints"] == 3
    shown = [p for column in context["pipeline_columns"] for p in column.cards]
    assert sum(selectors.dormancy_suggested(p) for p in shown) < 3


def test_each_card_has_a_move_link_to_the_stage_form(cast: Cast) -> None:
    client = client_for(cast.alice)
    page = client.get("/pipeline/").content.decode()
    assert f'href="{stage_url(cast.alice_private)}?next=' in page
    response = client.get(stage_url(cast.alice_private), {"next": "/pipeline/"})
    assert response.status_code == 200
    assert 'name="stage"' in response.content.decode()
    assert 'name="reason"' in response.content.decode()


def test_moving_a_partner_records_who_moved_it_and_when(cast: Cast) -> None:
    partner = cast.alice_shared
    before = timezone.now()
    response = client_for(cast.bob).post(
        stage_url(partner),
        {"stage": Stage.QUALIFIED, "note": "Fits our clients", "next": "/pipeline/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/pipeline/"
    partner.refresh_from_db()
    assert partner.stage == Stage.QUALIFIED
    change = StageChange.objects.get(partner=partner, to_stage=Stage.QUALIFIED)
    assert change.by == cast.bob
    assert change.from_stage == Stage.IDENTIFIED
    assert change.note == "Fits our clients"
    assert change.occurred_at >= before


def test_a_stage_change_can_be_dated_in_the_past(cast: Cast) -> None:
    partner = cast.alice_private
    when = timezone.localtime() - dt.timedelta(days=3)
    client_for(cast.alice).post(
        stage_url(partner),
        {"stage": Stage.FIRST_MEETING, "occurred_at": when.strftime("%Y-%m-%dT%H:%M")},
    )
    change = StageChange.objects.get(partner=partner, to_stage=Stage.FIRST_MEETING)
    assert change.occurred_at.date() == when.date()


def test_retiring_without_a_reason_is_refused_with_the_message_and_nothing_changes(
    cast: Cast,
) -> None:
    partner = cast.alice_private
    response = client_for(cast.alice).post(stage_url(partner), {"stage": Stage.RETIRED})
    assert response.status_code == 200
    assert shows(response, services.RETIRED_NEEDS_REASON)
    partner.refresh_from_db()
    assert partner.stage == Stage.IDENTIFIED
    assert not StageChange.objects.filter(partner=partner).exists()


def test_retiring_with_a_reason_records_the_reason(cast: Cast) -> None:
    partner = cast.alice_private
    client_for(cast.alice).post(
        stage_url(partner), {"stage": Stage.RETIRED, "reason": FailureReason.WRONG_FIRM}
    )
    partner.refresh_from_db()
    assert partner.stage == Stage.RETIRED
    assert StageChange.objects.get(partner=partner).reason == FailureReason.WRONG_FIRM


def test_the_retire_dialog_refuses_without_a_reason_inside_the_dialog(cast: Cast) -> None:
    partner = cast.alice_private
    response = client_for(cast.alice).post(
        stage_url(partner), {"stage": Stage.RETIRED}, headers=htmx("move-dialog-body")
    )
    assert response.status_code == 200
    assert is_partial(response)
    assert shows(response, services.RETIRED_NEEDS_REASON)
    assert 'id="move-dialog-title"' in response.content.decode()
    partner.refresh_from_db()
    assert partner.stage == Stage.IDENTIFIED


def test_the_move_dialog_loads_the_stage_form_as_a_partial(cast: Cast) -> None:
    response = client_for(cast.alice).get(
        stage_url(cast.alice_private), {"stage": "retired"}, headers=htmx("move-dialog-body")
    )
    assert is_partial(response)
    page = response.content.decode()
    assert 'hx-post="' in page
    assert '<option value="retired" selected>' in page


def test_a_move_saved_from_the_dialog_redraws_the_board_and_closes_the_dialog(
    cast: Cast,
) -> None:
    partner = cast.alice_private
    response = client_for(cast.alice).post(
        stage_url(partner),
        {"stage": Stage.RETIRED, "reason": FailureReason.WRONG_PROFESSIONAL},
        headers=htmx("move-dialog-body"),
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#board"
    assert response["HX-Reswap"] == "outerHTML"
    assert "move-done" in response["HX-Trigger-After-Settle"]
    assert 'id="board"' in response.content.decode()
    partner.refresh_from_db()
    assert partner.stage == Stage.RETIRED


def test_a_card_dropped_on_a_column_is_moved_and_the_board_redrawn(cast: Cast) -> None:
    partner = cast.alice_private
    response = client_for(cast.alice).post(
        stage_url(partner), {"stage": Stage.QUALIFIED}, headers=htmx("board")
    )
    assert response.status_code == 200
    assert is_partial(response)
    page = response.content.decode()
    assert 'id="board"' in page
    assert 'hx-swap-oob="innerHTML"' in page  # the confirmation message
    partner.refresh_from_db()
    assert partner.stage == Stage.QUALIFIED


def test_a_refused_drop_redraws_the_board_and_says_why(cast: Cast) -> None:
    partner = cast.alice_private
    response = client_for(cast.alice).post(
        stage_url(partner), {"stage": Stage.IDENTIFIED}, headers=htmx("board")
    )
    assert response.status_code == 200
    assert shows(response, services.SAME_STAGE)
    assert not StageChange.objects.filter(partner=partner).exists()


def test_an_unknown_stage_is_a_field_error_and_nothing_changes(cast: Cast) -> None:
    partner = cast.alice_private
    response = client_for(cast.alice).post(stage_url(partner), {"stage": "famous"})
    assert response.status_code == 200
    assert shows(response, services.UNKNOWN_STAGE)
    assert not StageChange.objects.filter(partner=partner).exists()


def test_a_malformed_date_is_a_field_error_and_nothing_changes(cast: Cast) -> None:
    partner = cast.alice_private
    response = client_for(cast.alice).post(
        stage_url(partner), {"stage": Stage.QUALIFIED, "occurred_at": "next tuesday-ish"}
    )
    assert response.status_code == 200
    assert 'id="stage-occurred_at_error"' in response.content.decode()
    assert not StageChange.objects.filter(partner=partner).exists()


def test_a_firm_admin_can_narrow_the_board_to_one_owner(cast: Cast) -> None:
    PartnerFactory(owner=cast.bob, name="Bobs Banker")
    client = client_for(cast.ada)
    everyone = client.get("/pipeline/").content.decode()
    assert "Bobs Banker" in everyone
    assert "Priya Private" in everyone
    only_bob = client.get("/pipeline/", {"owner": cast.bob.pk}).content.decode()
    assert "Bobs Banker" in only_bob
    assert "Priya Private" not in only_bob


def test_an_advisor_cannot_use_the_owner_filter_to_see_more(cast: Cast) -> None:
    PartnerFactory(owner=cast.carol, name="Carols Contact")
    page = client_for(cast.alice).get("/pipeline/", {"owner": cast.carol.pk}).content.decode()
    assert 'name="owner"' not in page.split('id="board"')[0]
    assert "Carols Contact" not in page
    assert "Priya Private" in page


def test_the_board_filter_answers_htmx_with_the_board_alone(cast: Cast) -> None:
    response = client_for(cast.ada).get(
        "/pipeline/", {"owner": cast.alice.pk}, headers=htmx("board")
    )
    assert is_partial(response)
    assert 'id="board"' in response.content.decode()


def test_a_compliance_officer_sees_the_board_without_write_controls(cast: Cast) -> None:
    page = client_for(cast.cole).get("/pipeline/").content.decode()
    assert "Priya Private" in page
    assert 'draggable="true"' not in page
    assert "js-move" not in page
    assert "/partners/new/" not in page


def test_a_compliance_officer_cannot_move_a_partner(cast: Cast) -> None:
    partner = cast.alice_private
    response = client_for(cast.cole).post(stage_url(partner), {"stage": Stage.QUALIFIED})
    assert response.status_code == 403
    assert shows(response, READ_ONLY_ROLE)
    partner.refresh_from_db()
    assert partner.stage == Stage.IDENTIFIED


def build_book(owner: object, count: int) -> None:
    stages = list(Stage)
    for index in range(count):
        partner = PartnerFactory(owner=owner, stage=stages[index % len(stages)])
        TouchFactory.create_batch(2, partner=partner)
        CommitmentFactory(partner=partner)
        CommitmentFactory(partner=partner, due=timezone.localdate() - dt.timedelta(days=1))


def test_the_board_costs_the_same_queries_for_3_or_30_partners(cast: Cast) -> None:
    client = client_for(cast.ada)
    build_book(cast.alice, 3)
    small = queries_for(lambda: client.get("/pipeline/"))
    build_book(cast.alice, 27)
    build_book(cast.bob, 3)
    assert queries_for(lambda: client.get("/pipeline/")) == small


def test_an_empty_pipeline_invites_the_first_partner(cast: Cast) -> None:
    page = client_for(cast.carol).get("/pipeline/").content.decode()
    assert "No centers of influence yet" in page
    assert "Add your first partner" in page
