"""Keeping partners warm: cadences from the firm's defaults by stage, overridden per partner."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from reciprocity.partners import services as partner_services
from reciprocity.partners.models import Stage, Touch, TouchKind
from reciprocity.partners.services import UNKNOWN_STAGE
from reciprocity.playbook.models import INTERVAL_RANGE, CadenceDefault, CadenceKind
from reciprocity.playbook.selectors.agenda import agenda_for
from reciprocity.playbook.selectors.cadences import add_months, cadences_of, newsletter_list
from reciprocity.playbook.services.agenda import agenda_complete
from reciprocity.playbook.services.cadences import (
    CADENCE_TOUCH_MISMATCH,
    INTERVAL_REQUIRED,
    UNKNOWN_CADENCE_KIND,
    cadence_complete,
    cadence_default_set,
    cadence_reset,
    cadence_set,
)
from tests.conftest import Cast
from tests.factories import PartnerFactory, TouchFactory

pytestmark = pytest.mark.django_db


def cadence_keys(advisor: object, **kwargs: object) -> dict[str, str]:
    agenda = agenda_for(advisor, **kwargs)  # type: ignore[arg-type]
    groups = {"overdue": agenda.overdue, "today": agenda.due_today, "week": agenda.this_week}
    return {
        item.title: group
        for group, items in groups.items()
        for item in items
        if item.source == "cadence"
    }


def test_a_partner_moved_to_active_with_no_cadence_gets_the_firm_default(
    playbook_cast: Cast,
) -> None:
    partner = playbook_cast.alice_private
    assert cadences_of(partner=partner) == []

    partner_services.partner_change_stage(partner=partner, by=playbook_cast.alice, stage="active")

    running = {c.kind: c for c in cadences_of(partner=partner)}
    assert set(running) == {
        CadenceKind.TOUCH_BASE,
        CadenceKind.ANNUAL_REVIEW,
        CadenceKind.NEWSLETTER,
    }
    assert running[CadenceKind.TOUCH_BASE].interval_months == 4
    assert running[CadenceKind.TOUCH_BASE].source == "firm"
    assert running[CadenceKind.ANNUAL_REVIEW].interval_months == 12
    assert running[CadenceKind.NEWSLETTER].due is None  # a membership, never due


def test_four_months_after_the_last_touch_it_is_overdue_and_logging_a_call_clears_it(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    partner_services.partner_change_stage(partner=partner, by=alice, stage="active")
    today = timezone.localdate()
    last_call = timezone.now() - dt.timedelta(days=130)
    partner_services.touch_log(
        partner=partner, by=alice, kind="call", summary="Catch-up", occurred_at=last_call
    )
    title = f"Touch base with {partner.name}"
    due = add_months(timezone.localdate(last_call), 4)
    assert due < today

    assert cadence_keys(alice) == {title: "overdue"}
    item = next(i for i in agenda_for(alice).overdue if i.source == "cadence")
    assert item.due == due

    partner_services.touch_log(partner=partner, by=alice, kind="call", summary="Called again")

    assert cadence_keys(alice) == {}
    assert cadence_keys(alice, today=add_months(today, 4)) == {title: "today"}
    assert cadence_keys(alice, today=add_months(today, 4) + dt.timedelta(days=1)) == {
        title: "overdue"
    }


def test_a_cadence_runs_from_the_stage_change_when_no_touch_was_logged(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    partner_services.partner_change_stage(partner=partner, by=alice, stage="active")
    became_active = timezone.localdate(partner.stage_changed_at)

    touch_base = {c.kind: c for c in cadences_of(partner=partner)}[CadenceKind.TOUCH_BASE]

    assert touch_base.last_touch_at is None
    assert touch_base.due == add_months(became_active, 4)


def test_only_the_touches_a_cadence_asks_for_count(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    partner_services.partner_change_stage(partner=partner, by=alice, stage="active")
    long_ago = timezone.now() - dt.timedelta(days=400)
    TouchFactory(partner=partner, kind=TouchKind.MEETING, occurred_at=long_ago)
    partner_services.touch_log(partner=partner, by=alice, kind="newsletter", summary="June issue")
    partner_services.touch_log(partner=partner, by=alice, kind="note", summary="Internal note")

    running = {c.kind: c for c in cadences_of(partner=partner)}

    assert running[CadenceKind.TOUCH_BASE].last_touch_at == long_ago
    assert running[CadenceKind.ANNUAL_REVIEW].last_touch_at == long_ago


def test_an_advisor_overrides_the_default_for_one_partner(playbook_cast: Cast) -> None:
    alice = playbook_cast.alice
    partner = playbook_cast.alice_private
    other = playbook_cast.alice_shared
    for p in (partner, other):
        partner_services.partner_change_stage(partner=p, by=alice, stage="active")

    cadence_set(partner=partner, by=alice, kind="touch_base", interval_months=2)
    cadence_set(partner=partner, by=alice, kind="newsletter", enabled=False)

    mine = {c.kind: c for c in cadences_of(partner=partner)}
    assert mine[CadenceKind.TOUCH_BASE].interval_months == 2
    assert mine[CadenceKind.TOUCH_BASE].source == "partner"
    assert CadenceKind.NEWSLETTER not in mine
    assert {c.kind: c.interval_months for c in cadences_of(partner=other)}[
        CadenceKind.TOUCH_BASE
    ] == 4
    assert [p.pk for p in newsletter_list(advisor=alice)] == [other.pk]

    cadence_reset(partner=partner, by=alice, kind="touch_base")
    mine = {c.kind: c for c in cadences_of(partner=partner)}
    assert (mine[CadenceKind.TOUCH_BASE].interval_months, mine[CadenceKind.TOUCH_BASE].source) == (
        4,
        "firm",
    )


def test_an_override_starts_a_cadence_in_a_stage_without_defaults(playbook_cast: Cast) -> None:
    partner = playbook_cast.alice_private
    cadence_set(partner=partner, by=playbook_cast.alice, kind="touch_base", interval_months=1)

    assert [(c.kind, c.source) for c in cadences_of(partner=partner)] == [
        (CadenceKind.TOUCH_BASE, "partner")
    ]


def test_retired_partners_run_no_cadence(playbook_cast: Cast) -> None:
    partner = PartnerFactory(owner=playbook_cast.alice, stage=Stage.RETIRED)
    cadence_set(partner=partner, by=playbook_cast.alice, kind="touch_base", interval_months=1)

    assert cadences_of(partner=partner) == []


def test_completing_a_cadence_item_logs_the_touch_it_asks_for(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    partner_services.partner_change_stage(partner=partner, by=alice, stage="active")

    touch = cadence_complete(partner=partner, by=alice, kind="annual_review")

    assert (touch.kind, touch.summary) == (
        TouchKind.MEETING,
        "Annual review of the clients referred",
    )
    with pytest.raises(ValidationError) as excinfo:
        cadence_complete(partner=partner, by=alice, kind="annual_review", touch_kind="email")
    assert excinfo.value.message_dict == {
        "touch_kind": [CADENCE_TOUCH_MISMATCH.format(choices="meeting")]
    }
    assert Touch.objects.filter(partner=partner).count() == 1


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        ({"kind": "weekly"}, {"kind": [UNKNOWN_CADENCE_KIND]}),
        ({"kind": "touch_base"}, {"interval_months": [INTERVAL_REQUIRED]}),
        (
            {"kind": "touch_base", "interval_months": 0},
            {"interval_months": [INTERVAL_RANGE]},
        ),
        (
            {"kind": "touch_base", "interval_months": 40},
            {"interval_months": [INTERVAL_RANGE]},
        ),
    ],
)
def test_a_bad_override_says_what_is_wrong(
    playbook_cast: Cast, kwargs: dict[str, object], errors: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        cadence_set(partner=playbook_cast.alice_private, by=playbook_cast.alice, **kwargs)  # type: ignore[arg-type]
    assert excinfo.value.message_dict == errors


def test_the_firm_admin_sets_the_defaults_and_advisors_cannot(playbook_cast: Cast) -> None:
    cadence_default_set(by=playbook_cast.ada, stage="active", kind="touch_base", interval_months=3)
    cadence_default_set(
        by=playbook_cast.ada, stage="first_meeting", kind="touch_base", interval_months=1
    )

    rows = CadenceDefault.objects.filter(firm=playbook_cast.firm, kind="touch_base")
    assert dict(rows.values_list("stage", "interval_months")) == {
        "active": 3,
        "champion": 3,
        "first_meeting": 1,
        "proposed": 1,
    }
    with pytest.raises(PermissionDenied):
        cadence_default_set(
            by=playbook_cast.alice, stage="active", kind="touch_base", interval_months=6
        )
    with pytest.raises(ValidationError) as excinfo:
        cadence_default_set(
            by=playbook_cast.ada, stage="someday", kind="touch_base", interval_months=6
        )
    assert excinfo.value.message_dict == {"stage": [UNKNOWN_STAGE]}


def test_a_compliance_officer_cannot_change_a_cadence(playbook_cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        cadence_set(
            partner=playbook_cast.alice_private,
            by=playbook_cast.cole,
            kind="touch_base",
            interval_months=2,
        )


def test_an_advisor_of_another_firm_cannot_reach_a_cadence(playbook_cast: Cast) -> None:
    partner = playbook_cast.alice_private
    partner_services.partner_change_stage(partner=partner, by=playbook_cast.alice, stage="active")
    key = agenda_for(playbook_cast.alice, today=add_months(timezone.localdate(), 5)).items

    assert key  # alice has the item; mallory can neither see nor complete it
    assert agenda_for(playbook_cast.mallory, today=add_months(timezone.localdate(), 5)).items == []
    with pytest.raises(Http404):
        agenda_complete(by=playbook_cast.mallory, key=key[0].key)
