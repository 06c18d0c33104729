"""``reciprocity diagnoses``: the stalled alliances as text or JSON, for one's own partners or
every partner one may see."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from reciprocity.accounts.cli import UNKNOWN_USER
from reciprocity.accounts.models import User
from reciprocity.partners import services
from reciprocity.partners.models import Partner, Profession, Stage
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def wrong_firm(owner: User, name: str, **kwargs: object) -> Partner:
    return services.partner_create(
        by=owner,
        name=name,
        profession=Profession.BANKER,
        stage=Stage.FIRST_MEETING,
        occurred_at=timezone.now() - dt.timedelta(days=400),
        growth_mode=False,
        **kwargs,
    )


def test_json_lists_each_diagnosis_with_evidence_and_action(cast: Cast) -> None:
    partner = wrong_firm(cast.alice, "Walter Greystone")

    entries = json.loads(run("diagnoses", "--user", "alice", "--json"))

    assert entries == [
        {
            "slug": "wrong_firm",
            "partner": {"id": partner.pk, "name": "Walter Greystone"},
            "partner_id": partner.pk,
            "partner_name": "Walter Greystone",
            "title": "Their firm is not meeting new clients",
            "evidence": entries[0]["evidence"],
            "action": "walk_away",
            "action_label": "Walk away: wrong firm",
            "action_url": f"/partners/{partner.pk}/stage/?stage=retired&reason=wrong_firm",
            "severity": "high",
            "reason": "wrong_firm",
        }
    ]
    assert len(entries[0]["evidence"]) == 3


def test_text_says_what_stalled_why_and_what_to_do(cast: Cast) -> None:
    partner = wrong_firm(cast.alice, "Walter Greystone")
    services.partner_create(
        by=cast.alice,
        name="Nora New",
        profession=Profession.CPA,
        stage=Stage.FIRST_MEETING,
        occurred_at=timezone.now() - dt.timedelta(days=30),
    )

    text = run("diagnoses", "--user", "alice")

    assert f"[decide] Walter Greystone (#{partner.pk}): Their firm is not meeting new clients" in (
        text
    )
    assert "    - Their firm is not in growth mode: it meets few new clients to refer" in text
    assert "    → Walk away: wrong firm (/partners/" in text
    assert "1 partner met less than 12 months ago with no referral yet: too early to judge." in (
        text
    )


def test_nothing_stalled_says_so(cast: Cast) -> None:
    assert "Nothing has stalled." in run("diagnoses", "--user", "carol")


def test_all_widens_to_the_partners_shared_with_the_user(cast: Cast) -> None:
    wrong_firm(cast.alice, "Shared Stall", team=cast.north)
    wrong_firm(cast.alice, "Private Stall")
    assert json.loads(run("diagnoses", "--user", "bob", "--json")) == []
    names = [
        e["partner_name"] for e in json.loads(run("diagnoses", "--user", "bob", "--all", "--json"))
    ]
    assert names == ["Shared Stall"]
    assert json.loads(run("diagnoses", "--user", "mallory", "--all", "--json")) == []


def test_the_firm_admin_and_compliance_start_from_the_whole_firm_and_mine_narrows(
    cast: Cast,
) -> None:
    wrong_firm(cast.alice, "Private Stall")
    for who in ("ada", "cole"):
        names = [e["partner_name"] for e in json.loads(run("diagnoses", "--user", who, "--json"))]
        assert names == ["Private Stall"]
        assert json.loads(run("diagnoses", "--user", who, "--mine", "--json")) == []
        assert "Diagnoses of the partners visible to" in run("diagnoses", "--user", who)
    assert "Diagnoses of the partners of" in run("diagnoses", "--user", "alice")


def test_all_and_mine_together_are_refused(cast: Cast) -> None:
    with pytest.raises(CommandError, match="not allowed with argument"):
        run("diagnoses", "--user", "ada", "--all", "--mine")


def test_an_unknown_user_is_refused(cast: Cast) -> None:
    with pytest.raises(CommandError, match=UNKNOWN_USER.format(username="nobody")):
        run("diagnoses", "--user", "nobody")
