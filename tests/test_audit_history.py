"""A partner's History tab: who changed what, when, from where, and what it was before."""

import pytest
from django.test import Client

from reciprocity.accounts.audit import audit_source
from reciprocity.audit.selectors import partner_history
from reciprocity.partners import services
from reciprocity.partners.models import Partner, Stage
from reciprocity.referrals.services.ledger import referral_create
from tests.conftest import Cast, client_for
from tests.web import queries_for

pytestmark = pytest.mark.django_db


def partner_with_a_story(cast: Cast) -> Partner:
    partner = services.partner_create(
        by=cast.alice, name="Rita Reyes", profession="cpa", organization="Reyes CPA"
    )
    with audit_source("web"):
        services.partner_update(partner=partner, by=cast.alice, organization="Reyes & Co")
    with audit_source("api"):
        services.partner_change_stage(partner=partner, by=cast.alice, stage=Stage.QUALIFIED)
    with audit_source("cli"):
        services.touch_log(partner=partner, by=cast.alice, kind="call", summary="Intro call")
    return partner


def test_each_change_says_who_when_from_where_and_before_and_after(cast: Cast) -> None:
    partner = partner_with_a_story(cast)
    entries = partner_history(partner=partner)
    changed = next(
        e
        for e in entries
        if e.kind == "Partner" and any(c.field == "Organization" for c in e.changes)
    )
    assert (changed.who, changed.source, changed.action) == (
        cast.alice.display_name,
        "web",
        "Changed",
    )
    organization = next(c for c in changed.changes if c.field == "Organization")
    assert (organization.before, organization.after) == ("Reyes CPA", "Reyes & Co")
    stage = next(e for e in entries if e.kind == "Partner" and e.source == "api")
    assert any(
        (c.field, c.before, c.after) == ("Stage", "Identified", "Qualified") for c in stage.changes
    )
    touch = next(e for e in entries if e.kind == "Touch")
    assert (touch.action, touch.source, touch.object_label) == ("Created", "cli", "Intro call")
    assert [e.when for e in entries] == sorted((e.when for e in entries), reverse=True)


def test_a_move_after_touches_shows_the_move_not_the_touches_counted_since(cast: Cast) -> None:
    partner = services.partner_create(by=cast.alice, name="Tess Touched", profession="cpa")
    for summary in ("Intro call", "Coffee"):
        services.touch_log(partner=partner, by=cast.alice, kind="call", summary=summary)
    services.partner_change_stage(partner=partner, by=cast.alice, stage=Stage.QUALIFIED)

    moved = next(
        e
        for e in partner_history(partner=partner)
        if e.kind == "Partner" and any(c.field == "Stage" for c in e.changes)
    )

    # The touches' own entries say who logged them; the count and the last one follow them.
    assert {c.field for c in moved.changes} == {"Stage", "Stage changed at"}


def test_names_stand_in_for_ids_and_tags_are_listed(cast: Cast) -> None:
    partner = services.partner_create(by=cast.alice, name="Tom Tagged", profession="attorney")
    services.partner_update(
        partner=partner, by=cast.alice, team=cast.north, tags=["estate", "trusts"]
    )
    changes = [c for e in partner_history(partner=partner) for c in e.changes]
    assert ("Team", "—", "North") in [(c.field, c.before, c.after) for c in changes]
    assert ("Tags", "—", "estate, trusts") in [(c.field, c.before, c.after) for c in changes]
    assert ("Owner", "—", cast.alice.display_name) in [
        (c.field, c.before, c.after) for c in changes
    ]


def test_referrals_of_the_partner_are_in_its_history(cast: Cast) -> None:
    partner = partner_with_a_story(cast)
    referral_create(by=cast.alice, partner=partner, direction="received", need="Estate plan")
    kinds = {e.kind for e in partner_history(partner=partner)}
    assert {"Partner", "Stage change", "Touch", "Referral"} <= kinds


def test_the_history_page_shows_the_changes(cast: Cast) -> None:
    partner = partner_with_a_story(cast)
    page = client_for(cast.bob if partner.team else cast.alice).get(
        f"/partners/{partner.pk}/history/"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "Reyes CPA" in html
    assert "Reyes &amp; Co" in html
    assert "from API" in html
    assert "from CLI" in html


def test_the_history_page_reads_a_constant_number_of_queries(cast: Cast) -> None:
    partner = partner_with_a_story(cast)
    client = client_for(cast.alice)
    url = f"/partners/{partner.pk}/history/"
    before = queries_for(lambda: client.get(url))
    for n in range(6):
        services.partner_update(partner=partner, by=cast.alice, notes=f"note {n}")
        services.touch_log(partner=partner, by=cast.alice, kind="email", summary=f"Email {n}")
        services.commitment_create(
            partner=partner,
            by=cast.alice,
            what=f"Send {n}",
            owner="advisor",
            due=partner.created_at.date(),
        )
    assert queries_for(lambda: client.get(url)) == before


def test_an_archived_partner_keeps_its_history(cast: Cast) -> None:
    partner = partner_with_a_story(cast)
    services.partner_archive(partner=partner, by=cast.alice)
    response = client_for(cast.alice).get(f"/partners/{partner.pk}/history/")
    assert response.status_code == 200
    assert "Archived at" in response.content.decode()


def test_nobody_else_reads_a_private_partners_history(cast: Cast) -> None:
    url = f"/partners/{cast.alice_private.pk}/history/"
    assert client_for(cast.bob).get(url).status_code == 404
    assert client_for(cast.mallory).get(url).status_code == 404
    assert client_for(cast.cole).get(url).status_code == 200
    assert Client().get(url).status_code == 302


def test_the_partner_page_links_to_its_history(cast: Cast) -> None:
    html = client_for(cast.alice).get(f"/partners/{cast.alice_private.pk}/").content.decode()
    assert f'href="/partners/{cast.alice_private.pk}/history/"' in html
