"""Moving a partner safely: the Move form preselects the next stage (never "Identified" for a
champion), a move back must be confirmed, and a retired partner's page says why."""

import re

from reciprocity.partners import services
from reciprocity.partners.forms import CHOOSE_STAGE, MOVE_BACK_UNCONFIRMED
from reciprocity.partners.models import FailureReason, Partner, Stage
from tests.conftest import Cast, client_for
from tests.web import htmx, shows


def selected_stage(page: str) -> str | None:
    form = page[page.index('name="stage"') :]
    form = form[: form.index("</select>")]
    found = re.search(r'<option value="([a-z_]*)" selected>', form)
    return (found.group(1) or None) if found else None


def move(partner: Partner, cast: Cast, stage: str, **fields: str) -> None:
    services.partner_change_stage(partner=partner, by=cast.alice, stage=stage, **fields)


def test_a_champions_move_form_preselects_nothing_so_one_click_demotes_no_one(
    cast: Cast,
) -> None:
    partner = cast.alice_private
    move(partner, cast, Stage.CHAMPION)
    client = client_for(cast.alice)
    for url in (f"/partners/{partner.pk}/", f"/partners/{partner.pk}/stage/"):
        page = client.get(url).content.decode()
        assert selected_stage(page) is None, url
        assert '<option value="" selected>Choose a stage</option>' in page
    # The Move button pressed as it comes moves nothing and says what to do.
    refused = client.post(f"/partners/{partner.pk}/stage/", {}, headers=htmx("partner-detail"))
    assert shows(refused, CHOOSE_STAGE)
    partner.refresh_from_db()
    assert partner.stage == Stage.CHAMPION


def test_the_move_form_preselects_the_next_stage_as_the_boards_dialog_does(cast: Cast) -> None:
    partner = cast.alice_private
    move(partner, cast, Stage.ACTIVE)
    client = client_for(cast.alice)
    assert selected_stage(client.get(f"/partners/{partner.pk}/").content.decode()) == "champion"
    dialog = client.get(f"/partners/{partner.pk}/stage/", headers=htmx("move-dialog-body"))
    assert selected_stage(dialog.content.decode()) == "champion"


def test_a_dormant_partner_preselects_the_stage_it_went_quiet_in(cast: Cast) -> None:
    partner = cast.alice_private
    move(partner, cast, Stage.DUE_DILIGENCE)
    move(partner, cast, Stage.DORMANT)
    page = client_for(cast.alice).get(f"/partners/{partner.pk}/").content.decode()
    assert selected_stage(page) == "due_diligence"


def test_a_move_back_is_refused_until_it_is_confirmed(cast: Cast) -> None:
    partner = cast.alice_private
    move(partner, cast, Stage.CHAMPION)
    client = client_for(cast.alice)
    url = f"/partners/{partner.pk}/stage/"
    refused = client.post(url, {"stage": "identified"}, headers=htmx("partner-detail"))
    message = MOVE_BACK_UNCONFIRMED.format(
        partner=partner.name, current="Champion", stage="Identified"
    )
    assert shows(refused, message)
    assert 'name="confirm_back"' in refused.content.decode()
    partner.refresh_from_db()
    assert partner.stage == Stage.CHAMPION

    client.post(url, {"stage": "identified", "confirm_back": "on"})
    partner.refresh_from_db()
    assert partner.stage == Stage.IDENTIFIED
    # Forward, and into or out of a side state, asks nothing.
    client.post(url, {"stage": "qualified"})
    client.post(url, {"stage": "dormant"})
    client.post(url, {"stage": "first_meeting"})
    partner.refresh_from_db()
    assert partner.stage == Stage.FIRST_MEETING


def test_a_card_dragged_back_on_the_board_moves_nothing_without_confirmation(
    cast: Cast,
) -> None:
    partner = cast.alice_private
    move(partner, cast, Stage.ACTIVE)
    client = client_for(cast.alice)
    response = client.post(
        f"/partners/{partner.pk}/stage/", {"stage": "qualified"}, headers=htmx("board")
    )
    assert response.status_code == 200
    partner.refresh_from_db()
    assert partner.stage == Stage.ACTIVE
    # The board's dialog for that drop asks to confirm.
    dialog = client.get(
        f"/partners/{partner.pk}/stage/?stage=qualified", headers=htmx("move-dialog-body")
    ).content.decode()
    assert 'name="confirm_back"' in dialog
    assert selected_stage(dialog) == "qualified"


def test_a_retired_partner_shows_why_and_no_add_a_commitment_prompt(cast: Cast) -> None:
    partner = cast.alice_private
    move(partner, cast, Stage.FIRST_MEETING)
    move(
        partner,
        cast,
        Stage.RETIRED,
        reason=FailureReason.WRONG_FIRM,
        note="Their practice takes no new clients.",
    )
    page = client_for(cast.alice).get(f"/partners/{partner.pk}/").content.decode()
    start = page.index('class="detail-head"')
    head = page[start : page.index("</header>", start)]
    assert "Walked away on" in head
    assert FailureReason.WRONG_FIRM.label in head
    assert "Their practice takes no new clients." in head
    assert "add a commitment" not in page.lower()
    assert "What will each side do next?" not in page
    assert selected_stage(page) is None
