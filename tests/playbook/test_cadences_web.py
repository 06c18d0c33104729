"""The keep-warm cadence on the web: an overdue touch on the agenda, logged in place."""

import pytest

from reciprocity.partners.models import Partner, Stage, Touch, TouchKind
from reciprocity.playbook.models import Cadence
from reciprocity.playbook.selectors.agenda import agenda_for
from reciprocity.playbook.services.cadences import INTERVAL_REQUIRED
from tests.conftest import Cast, client_for
from tests.factories import TouchFactory, ago
from tests.playbook.helpers import has, local, page_of
from tests.web import htmx, is_partial

pytestmark = pytest.mark.django_db


def test_an_active_partner_with_no_cadence_gets_the_firm_default_and_goes_overdue_after_four_months(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    client = client_for(alice)
    # Moved to Active partner today; the last call was four months and a few days ago.
    response = client.post(f"/partners/{partner.pk}/stage/", {"stage": "active"})
    assert response.status_code == 302
    client.post(
        f"/partners/{partner.pk}/touches/",
        {"kind": "call", "summary": "Caught up", "occurred_at": local(ago(124))},
    )
    assert not Cadence.objects.filter(partner=partner).exists()

    detail = page_of(client.get(f"/partners/{partner.pk}/"))
    assert "Touch base every 4 months" in detail
    assert "firm default" in detail

    agenda = page_of(client.get("/agenda/"))
    overdue = agenda.index('id="agenda-overdue"')
    assert overdue < agenda.index("Touch base with Priya Private")

    # Logging a call clears it.
    client.post(
        f"/partners/{partner.pk}/touches/", {"kind": "call", "summary": "Quarterly check-in"}
    )
    assert "Touch base with Priya Private" not in page_of(client.get("/agenda/"))


def test_completing_the_cadence_item_on_the_agenda_logs_the_touch_it_asks_for(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(stage=Stage.ACTIVE, stage_changed_at=ago(200))
    TouchFactory(partner=partner, kind=TouchKind.EMAIL, occurred_at=ago(130))
    [item] = agenda_for(alice).overdue
    client = client_for(alice)

    page = page_of(client.get("/agenda/"))
    assert 'value="call" selected' in page  # the touch it asks for is preselected
    assert "Log as" in page

    response = client.post(
        "/agenda/complete/",
        {"key": item.key, "action": "done", "touch_kind": "meeting"},
        headers=htmx("agenda"),
    )
    page = page_of(response)
    assert is_partial(response)
    assert "Touch base with Priya Private" not in page
    assert "Logged: Meeting with Priya Private" in page
    assert Touch.objects.filter(partner=partner, kind=TouchKind.MEETING).count() == 1


def test_a_cadence_refuses_a_touch_that_does_not_count_for_it(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(stage=Stage.ACTIVE, stage_changed_at=ago(200))
    [item] = agenda_for(alice).overdue
    client = client_for(alice)
    response = client.post(
        "/agenda/complete/", {"key": item.key, "action": "done", "touch_kind": "newsletter"}
    )
    assert response.status_code == 302
    page = page_of(client.get("/agenda/"))
    assert "That touch does not count for this cadence" in page
    assert "Touch base with Priya Private" in page
    assert not Touch.objects.exists()


def test_the_cadence_can_be_changed_and_reset_for_one_partner(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(stage=Stage.ACTIVE)
    client = client_for(alice)
    url = f"/partners/{partner.pk}/cadences/"
    assert "firm default for Active partner" in page_of(client.get(url))

    response = client.post(url, {"kind": "touch_base", "enabled": "1", "interval_months": "2"})
    assert response.status_code == 302
    page = page_of(client.get(url))
    assert "Touch base every 2 months" in page
    assert "set for this partner" in page

    refused = page_of(client.post(url, {"kind": "touch_base", "enabled": "1"}))
    assert has(refused, INTERVAL_REQUIRED)

    client.post(f"{url}reset/", {"kind": "touch_base"})
    assert not Cadence.objects.filter(partner=partner).exists()
    assert "Touch base every 4 months" in page_of(client.get(url))
