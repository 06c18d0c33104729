"""The diagnoses' thresholds are the firm's settings: the research defaults, changed by a firm
admin on the firm settings page, read by the diagnoses without a query of their own."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from reciprocity.accounts.models import THRESHOLD_FIELDS, Firm
from reciprocity.accounts.selectors import user_by_username
from reciprocity.insights.diagnoses import (
    FOCUS_LIMIT,
    GONE_COLD_FACTOR,
    MANY_TOUCHES,
    ONE_WAY_MIN_SENT,
    PATIENCE_MONTHS,
    WALK_AWAY_MONTHS,
    Thresholds,
    assess,
    diagnoses_for,
    thresholds_of,
)
from reciprocity.partners import services
from reciprocity.partners.models import Profession, Stage
from tests.conftest import Cast
from tests.factories import PartnerFactory, TouchFactory, ago

pytestmark = pytest.mark.django_db


def test_a_new_firm_starts_from_the_research_defaults(db: None) -> None:
    firm = Firm(name="New")
    assert firm.thresholds == {
        "patience_months": PATIENCE_MONTHS,
        "many_touches": MANY_TOUCHES,
        "one_way_min_sent": ONE_WAY_MIN_SENT,
        "walk_away_months": WALK_AWAY_MONTHS,
        "focus_limit": FOCUS_LIMIT,
        "gone_cold_factor": GONE_COLD_FACTOR,
    }
    assert list(firm.thresholds.values()) == [12, 8, 3, 24, 7, 2]
    assert Thresholds(**firm.thresholds) == Thresholds()


def test_the_firm_admin_changes_the_thresholds_on_the_settings_page(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.ada)
    page = client.get("/firm/settings/").content.decode()
    for name in THRESHOLD_FIELDS:
        assert f'name="{name}"' in page
    settings = {"name": "Harbor Wealth", "dormancy_days": 120, "retention_days": 2190}
    changed = {**cast.firm.thresholds, "patience_months": 6, "focus_limit": 5}
    client.post("/firm/settings/", {**settings, **changed})
    firm = Firm.objects.get(pk=cast.firm.pk)
    assert firm.thresholds == changed
    record = Firm.history.filter(id=firm.pk).latest("history_date")  # type: ignore[attr-defined]
    assert (record.patience_months, record.history_user) == (6, cast.ada)

    refused = client.post("/firm/settings/", {**settings, **changed, "patience_months": 0})
    assert "greater than or equal to 1" in refused.content.decode()
    assert Firm.objects.get(pk=firm.pk).patience_months == 6


def test_an_advisor_cannot_change_the_thresholds(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.alice)
    response = client.post("/firm/settings/", {**cast.firm.thresholds, "patience_months": 1})
    assert response.status_code in (403, 404)
    assert Firm.objects.get(pk=cast.firm.pk).patience_months == PATIENCE_MONTHS


def test_the_diagnoses_judge_by_the_firms_patience(cast: Cast) -> None:
    partner = services.partner_create(
        by=cast.alice,
        name="Carla Reyes",
        profession=Profession.CPA,
        stage=Stage.FIRST_MEETING,
        occurred_at=ago(250),
    )
    for index in range(MANY_TOUCHES):
        TouchFactory(partner=partner, occurred_at=ago(20 + index))
    assert [d.slug for d in diagnoses_for(advisor=cast.alice)] == ["too_early"]

    Firm.objects.filter(pk=cast.firm.pk).update(patience_months=8)
    alice = user_by_username(username="alice")
    assert alice is not None
    assert [d.slug for d in diagnoses_for(advisor=alice)] == ["no_referral_yet"]
    # Just below: eight months and a day more than the meeting is not yet there.
    Firm.objects.filter(pk=cast.firm.pk).update(patience_months=9)
    alice = user_by_username(username="alice")
    assert alice is not None
    assert [d.slug for d in diagnoses_for(advisor=alice)] == ["too_early"]


def test_the_diagnoses_judge_by_the_firms_focus_limit_and_many_touches(cast: Cast) -> None:
    for _ in range(6):
        PartnerFactory(owner=cast.alice, stage=Stage.PROPOSED, stage_changed_at=ago(5))
    assert not [d for d in diagnoses_for(advisor=cast.alice) if d.slug == "too_many_partners"]
    Firm.objects.filter(pk=cast.firm.pk).update(focus_limit=5)
    alice = user_by_username(username="alice")
    assert alice is not None
    (focus,) = [d for d in diagnoses_for(advisor=alice) if d.slug == "too_many_partners"]
    assert focus.evidence[1].endswith("1 more than 5 get less than they need")


def test_the_thresholds_come_with_the_advisor_without_a_query(cast: Cast) -> None:
    alice = user_by_username(username="alice")
    assert alice is not None
    with CaptureQueriesContext(connection) as captured:
        assert thresholds_of(alice) == Thresholds()
    assert len(captured) == 0
    with CaptureQueriesContext(connection) as captured:
        assess(advisor=alice)
    assert len(captured) == 2
