"""The firm's cadence defaults through the API (firm admins edit them)."""

from typing import Any

import pytest

from reciprocity.api.errors import FIELD_REQUIRED
from reciprocity.partners.models import Partner, Stage
from reciprocity.playbook.models import (
    INTERVAL_RANGE,
    CadenceDefault,
)
from reciprocity.playbook.services.cadences import INTERVAL_REQUIRED
from tests.api_client import ApiClient, refused, token_client
from tests.conftest import Cast
from tests.playbook.helpers import ok, settings_of

pytestmark = pytest.mark.django_db


def test_the_firm_sets_and_removes_a_cadence_default_by_stage(
    playbook_cast: Cast, admin: ApiClient
) -> None:
    partner = playbook_cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(stage=Stage.QUALIFIED)
    alice = token_client(playbook_cast.alice)
    assert ok(alice.call("GET", f"partners/{partner.pk}/cadences"))["count"] == 0
    count = CadenceDefault.objects.filter(firm=playbook_cast.firm).count()

    answered = ok(
        admin.call(
            "PUT",
            "playbook/cadence-defaults",
            {"stage": "qualified", "kind": "touch_base", "interval_months": 2},
        )
    )
    assert answered["count"] == count + 1
    assert {"stage": "qualified", "kind": "touch_base", "interval_months": 2} in answered["items"]
    assert ok(alice.call("GET", "playbook/cadence-defaults"))["items"] == answered["items"]
    [cadence] = ok(alice.call("GET", f"partners/{partner.pk}/cadences"))["items"]
    assert (cadence["kind"], cadence["interval_months"], cadence["source"]) == (
        "touch_base",
        2,
        "firm",
    )

    changed = ok(
        admin.call(
            "PUT",
            "playbook/cadence-defaults",
            {"stage": "active", "kind": "touch_base", "interval_months": 6},
        )
    )
    assert changed["count"] == count + 1
    assert {"stage": "active", "kind": "touch_base", "interval_months": 6} in changed["items"]

    removed = ok(
        admin.call(
            "PUT",
            "playbook/cadence-defaults",
            {"stage": "qualified", "kind": "touch_base", "enabled": False},
        )
    )
    assert removed["count"] == count
    assert ok(alice.call("GET", f"partners/{partner.pk}/cadences"))["count"] == 0
    membership = ok(
        admin.call("PUT", "playbook/cadence-defaults", {"stage": "proposed", "kind": "newsletter"})
    )
    assert {"stage": "proposed", "kind": "newsletter", "interval_months": None} in membership[
        "items"
    ]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"stage": "active", "kind": "touch_base", "interval_months": 40},
            "interval_months",
            INTERVAL_RANGE,
        ),
        ({"stage": "active", "kind": "touch_base"}, "interval_months", INTERVAL_REQUIRED),
        ({"stage": "nowhere", "kind": "touch_base", "interval_months": 2}, "stage", None),
        ({"stage": "active", "kind": "lunch", "interval_months": 2}, "kind", None),
        (
            {"stage": "active", "kind": "touch_base", "interval_months": "2"},
            "interval_months",
            None,
        ),
        ({"kind": "touch_base", "interval_months": 2}, "stage", FIELD_REQUIRED),
    ],
)
def test_a_refused_cadence_default_saves_nothing(
    playbook_cast: Cast, admin: ApiClient, body: dict[str, Any], field: str, message: str | None
) -> None:
    before = settings_of(playbook_cast.firm.pk)
    refused(admin.call("PUT", "playbook/cadence-defaults", body), field, message)
    assert settings_of(playbook_cast.firm.pk) == before
