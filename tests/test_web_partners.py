import datetime as dt

import pytest
from django.utils import timezone

from reciprocity.accounts.services import READ_ONLY_ROLE
from reciprocity.dates import IN_THE_FUTURE
from reciprocity.partners import services
from reciprocity.partners.models import (
    NOTES_MAX,
    TEXT_MAX,
    Commitment,
    CommitmentStatus,
    Partner,
    Stage,
    Touch,
    TouchKind,
)
from reciprocity.partners.selectors import SORTS
from tests.conftest import Cast, client_for
from tests.factories import CommitmentFactory, PartnerFactory, StageChangeFactory, TouchFactory
from tests.web import htmx, is_partial, queries_for, shows


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# --- List --------------------------------------------------------------------------------------


def test_the_list_shows_the_advisors_partners_and_not_another_firms(cast: Cast) -> None:
    response = client_for(cast.alice).get("/partners/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Priya Private" in page
    assert "Sam Shared" in page
    assert "Other Firm Partner" not in page


def test_the_list_searches_name_and_organization(cast: Cast) -> None:
    PartnerFactory(owner=cast.alice, name="Olga Org", organization="Lighthouse Tax")
    client = client_for(cast.alice)
    by_org = client.get("/partners/", {"q": "lighthouse"}).content.decode()
    assert "Olga Org" in by_org
    assert "Priya Private" not in by_org
    by_name = client.get("/partners/", {"q": "priya"}).content.decode()
    assert "Priya Private" in by_name
    assert "Olga Org" not in by_name


def test_the_list_filters_by_stage_profession_owner_and_overdue(cast: Cast) -> None:
    PartnerFactory(owner=cast.alice, name="Active Annie", stage=Stage.ACTIVE, profession="attorney")
    late = PartnerFactory(owner=cast.bob, name="Late Larry", team=cast.north)
    CommitmentFactory(partner=late, due=timezone.localdate() - dt.timedelta(days=1))
    client = client_for(cast.alice)
    assert "Active Annie" not in client.get("/partners/", {"stage": "identified"}).content.decode()
    assert "Active Annie" in client.get("/partners/", {"stage": "active"}).content.decode()
    attorneys = client.get("/partners/", {"profession": "attorney"}).content.decode()
    assert "Active Annie" in attorneys
    assert "Priya Private" not in attorneys
    bobs = client.get("/partners/", {"owner": cast.bob.pk}).content.decode()
    assert "Late Larry" in bobs
    assert "Priya Private" not in bobs
    overdue = client.get("/partners/", {"overdue": "on"}).content.decode()
    assert "Late Larry" in overdue
    assert "Active Annie" not in overdue


def test_a_retired_partners_late_step_is_neither_overdue_nor_flagged_in_the_list(
    cast: Cast,
) -> None:
    walked = PartnerFactory(owner=cast.alice, name="Walked Wally", stage=Stage.RETIRED)
    CommitmentFactory(partner=walked, due=timezone.localdate() - dt.timedelta(days=1))
    client = client_for(cast.alice)

    assert "Walked Wally" not in client.get("/partners/", {"overdue": "on"}).content.decode()
    page = client.get("/partners/", {"stage": "retired"}).content.decode()
    assert "Walked Wally" in page
    assert "row--overdue" not in page
    assert "flag--overdue" not in page


def test_every_sort_key_renders_and_marks_the_sorted_column(cast: Cast) -> None:
    client = client_for(cast.alice)
    for key in SORTS:
        response = client.get("/partners/", {"sort": key})
        assert response.status_code == 200, key
    page = client.get("/partners/", {"sort": "-name"}).content.decode()
    assert page.index("Sam Shared") < page.index("Priya Private")
    assert 'aria-sort="descending"' in page


@pytest.mark.parametrize("key", ["name", "organization", "stage", "next_step"])
def test_a_sorted_columns_header_sorts_the_other_way_when_clicked_again(
    cast: Cast, key: str
) -> None:
    client = client_for(cast.alice)
    ascending = client.get("/partners/", {"sort": key}).content.decode()
    assert f'href="?sort=-{key}"' in ascending
    descending = client.get("/partners/", {"sort": f"-{key}"}).content.decode()
    assert 'aria-sort="descending"' in descending
    assert f'href="?sort={key}"' in descending


def test_an_unknown_sort_falls_back_to_name(cast: Cast) -> None:
    response = client_for(cast.alice).get("/partners/", {"sort": "drop table"})
    assert response.status_code == 200


def test_the_list_is_paginated(cast: Cast, settings: object) -> None:
    settings.RECIPROCITY_PAGE_SIZE = 2  # type: ignore[attr-defined]
    PartnerFactory(owner=cast.alice, name="Zed Zimmer")
    client = client_for(cast.alice)
    first = client.get("/partners/").content.decode()
    assert "Page 1 of 2" in first
    assert "Zed Zimmer" not in first
    assert "Zed Zimmer" in client.get("/partners/", {"page": 2}).content.decode()


def test_the_list_answers_htmx_with_the_results_partial(cast: Cast) -> None:
    response = client_for(cast.alice).get("/partners/", {"q": "sam"}, headers=htmx("results"))
    assert response.status_code == 200
    assert is_partial(response)
    page = response.content.decode()
    assert 'id="results"' in page
    assert "Sam Shared" in page
    assert "Priya Private" not in page


def test_a_teammate_sees_shared_partners_but_not_private_ones(cast: Cast) -> None:
    client = client_for(cast.bob)
    page = client.get("/partners/").content.decode()
    assert "Sam Shared" in page
    assert "Priya Private" not in page
    assert client.get(f"/partners/{cast.alice_shared.pk}/").status_code == 200
    assert client.get(f"/partners/{cast.alice_private.pk}/").status_code == 404


def test_a_firm_admin_sees_every_partner_of_the_firm(cast: Cast) -> None:
    client = client_for(cast.ada)
    page = client.get("/partners/").content.decode()
    assert "Sam Shared" in page
    assert "Priya Private" in page
    assert "Other Firm Partner" not in page
    assert client.get(f"/partners/{cast.alice_private.pk}/").status_code == 200


# --- Access ------------------------------------------------------------------------------------


def partner_urls(partner: Partner, commitment: Commitment) -> list[tuple[str, str, dict[str, str]]]:
    base = f"/partners/{partner.pk}/"
    return [
        ("get", base, {}),
        ("get", f"{base}edit/", {}),
        ("post", f"{base}edit/", {"name": "Hijacked", "profession": "cpa"}),
        ("get", f"{base}stage/", {}),
        ("post", f"{base}stage/", {"stage": "qualified"}),
        ("post", f"{base}touches/", {"kind": "call", "summary": "Hi"}),
        ("post", f"{base}commitments/", {"what": "x", "owner": "advisor", "due": "2030-01-01"}),
        ("post", f"{base}commitments/{commitment.pk}/", {"status": "done"}),
        ("post", f"{base}archive/", {}),
        ("post", f"{base}restore/", {}),
    ]


def test_another_firms_advisor_gets_404_on_every_partner_page(cast: Cast) -> None:
    partner = cast.alice_shared
    commitment = CommitmentFactory(partner=partner)
    client = client_for(cast.mallory)
    for method, url, data in partner_urls(partner, commitment):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url)
        response = getattr(client, method)(url, data, headers=htmx("partner-detail"))
        assert response.status_code == 404, (method, url, "htmx")
    partner.refresh_from_db()
    assert partner.name == "Sam Shared"
    assert partner.stage == Stage.IDENTIFIED
    assert partner.archived_at is None
    assert not Touch.objects.filter(partner=partner).exists()
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.OPEN


def test_a_commitment_must_belong_to_the_partner_in_the_url(cast: Cast) -> None:
    other = CommitmentFactory(partner=cast.alice_private)
    url = f"/partners/{cast.alice_shared.pk}/commitments/{other.pk}/"
    assert client_for(cast.alice).post(url, {"status": "done"}).status_code == 404


def test_a_compliance_officer_reads_the_detail_without_write_controls(cast: Cast) -> None:
    page = client_for(cast.cole).get(f"/partners/{cast.alice_private.pk}/").content.decode()
    assert "Priya Private" in page
    assert "/touches/" not in page
    assert "/commitments/" not in page
    assert "/stage/" not in page
    assert "/edit/" not in page
    assert "/archive/" not in page


def test_a_compliance_officer_gets_403_on_every_write(cast: Cast) -> None:
    partner = cast.alice_private
    commitment = CommitmentFactory(partner=partner)
    client = client_for(cast.cole)
    writes = [
        (m, u, d)
        for m, u, d in partner_urls(partner, commitment)
        if u.rstrip("/") != f"/partners/{partner.pk}"
    ]
    writes.append(("post", "/partners/new/", {"name": "New", "profession": "cpa"}))
    for method, url, data in writes:
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (method, url)
        assert shows(response, READ_ONLY_ROLE)
    assert Partner.objects.filter(name="New").count() == 0


# --- Create ------------------------------------------------------------------------------------


def test_adding_a_partner_with_a_plain_post_saves_and_redirects_to_it(cast: Cast) -> None:
    response = client_for(cast.alice).post(
        "/partners/new/",
        {
            "name": "  Nora Newman ",
            "profession": "attorney",
            "organization": "Newman Estate Law",
            "niche": "Family business owners",
            "growth_mode": "true",
            "propensity_to_refer": "high",
            "can_describe_value": "unknown",
            "stage": "qualified",
            "team": cast.north.pk,
            "tags": "estate, downtown , ",
        },
    )
    partner = Partner.objects.get(name="Nora Newman")
    assert response.status_code == 302
    assert response["Location"] == f"/partners/{partner.pk}/"
    assert partner.owner == cast.alice
    assert partner.team == cast.north
    assert partner.stage == Stage.QUALIFIED
    assert partner.growth_mode is True
    assert partner.propensity_to_refer == "high"
    assert sorted(tag.name for tag in partner.tags.all()) == ["downtown", "estate"]
    assert partner.stage_changes.get().by == cast.alice


def test_adding_a_partner_with_htmx_redirects_the_browser(cast: Cast) -> None:
    response = client_for(cast.alice).post(
        "/partners/new/",
        {"name": "Hugo Htmx", "profession": "cpa", "can_describe_value": "unknown"},
        headers=htmx("partner-form"),
    )
    partner = Partner.objects.get(name="Hugo Htmx")
    assert response["HX-Redirect"] == f"/partners/{partner.pk}/"


def test_adding_a_partner_without_a_name_shows_the_error_and_saves_nothing(cast: Cast) -> None:
    before = Partner.objects.count()
    client = client_for(cast.alice)
    response = client.post("/partners/new/", {"name": "", "profession": "cpa"})
    assert response.status_code == 200
    assert 'id="profile-name_error"' in response.content.decode()
    response = client.post(
        "/partners/new/", {"name": "", "profession": "cpa"}, headers=htmx("partner-form")
    )
    assert is_partial(response)
    assert 'id="profile-name_error"' in response.content.decode()
    assert Partner.objects.count() == before


def test_over_long_notes_are_refused_on_their_field_and_nothing_is_saved(cast: Cast) -> None:
    response = client_for(cast.alice).post(
        "/partners/new/",
        {"name": "Verbose Vera", "profession": "cpa", "can_describe_value": "unknown"}
        | {"notes": "x" * (NOTES_MAX + 1), "niche": "y" * (TEXT_MAX + 1)},
    )
    page = response.content.decode()
    assert 'id="profile-notes_error"' in page
    assert 'id="profile-niche_error"' in page
    assert not Partner.objects.filter(name="Verbose Vera").exists()


def test_an_over_long_tag_is_refused_not_cut(cast: Cast) -> None:
    response = client_for(cast.alice).post(
        "/partners/new/",
        {"name": "Taggy Tess", "profession": "cpa", "can_describe_value": "unknown"}
        | {"tags": "downtown, " + "t" * 60},
    )
    page = response.content.decode()
    assert 'id="profile-tags_error"' in page
    assert "A tag has at most 50 characters" in page
    assert not Partner.objects.filter(name="Taggy Tess").exists()


def test_an_over_long_note_on_a_stage_change_is_refused(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice)
    response = client_for(cast.alice).post(
        f"/partners/{partner.pk}/stage/",
        {"stage": "qualified", "note": "z" * (TEXT_MAX + 1)},
        headers=htmx("partner-detail"),
    )
    assert f"at most {TEXT_MAX} characters" in response.content.decode()
    partner.refresh_from_db()
    assert partner.stage == Stage.IDENTIFIED


def test_adding_a_partner_with_an_unknown_stage_is_refused(cast: Cast) -> None:
    before = Partner.objects.count()
    response = client_for(cast.alice).post(
        "/partners/new/",
        {"name": "Stagey", "profession": "cpa", "can_describe_value": "unknown", "stage": "x"},
    )
    assert shows(response, services.UNKNOWN_STAGE)
    assert Partner.objects.count() == before


def test_a_service_refusal_appears_on_its_field(cast: Cast) -> None:
    other_team = cast.north.__class__.objects.create(firm=cast.firm, name="South")
    response = client_for(cast.carol).post(
        "/partners/new/",
        {"name": "Teamless", "profession": "cpa", "can_describe_value": "unknown"}
        | {"team": other_team.pk},
    )
    # Carol is in no team: the form does not even offer South.
    assert 'id="profile-team_error"' in response.content.decode()
    assert not Partner.objects.filter(name="Teamless").exists()


def test_a_firm_admin_can_add_a_partner_for_an_advisor(cast: Cast) -> None:
    client_for(cast.ada).post(
        "/partners/new/",
        {
            "name": "For Bob",
            "profession": "banker",
            "can_describe_value": "unknown",
            "owner": cast.bob.pk,
        },
    )
    assert Partner.objects.get(name="For Bob").owner == cast.bob


# --- Detail ------------------------------------------------------------------------------------


def test_the_detail_shows_profile_next_step_commitments_and_a_dated_timeline(cast: Cast) -> None:
    partner = cast.alice_private
    partner.niche = "Dentists near retirement"
    partner.save()
    now = timezone.now()
    StageChangeFactory(
        partner=partner, to_stage=Stage.IDENTIFIED, occurred_at=now - dt.timedelta(days=30)
    )
    TouchFactory(partner=partner, summary="Old coffee", occurred_at=now - dt.timedelta(days=20))
    TouchFactory(partner=partner, summary="Recent call", occurred_at=now - dt.timedelta(days=2))
    CommitmentFactory(partner=partner, what="Send the article", due=timezone.localdate())
    page = client_for(cast.alice).get(f"/partners/{partner.pk}/").content.decode()
    assert "Dentists near retirement" in page
    assert "Send the article" in page
    assert "Due today" in page
    timeline = page[page.index('class="timeline"') :]
    assert timeline.index("Recent call") < timeline.index("Old coffee") < timeline.index("Added as")


def test_the_partner_page_reads_the_balance_with_the_partner(cast: Cast) -> None:
    client = client_for(cast.alice)
    found = queries_for(lambda: client.get(f"/partners/{cast.alice_private.pk}/"))
    balance = [sql for sql in found.statements if 'AS "balance_counts"' in sql]
    assert len(balance) == 1
    assert 'AS "next_step"' in balance[0]


def test_an_unknown_partner_id_is_404(cast: Cast) -> None:
    assert client_for(cast.alice).get("/partners/999999/").status_code == 404


def test_logging_a_touch_with_a_plain_post_saves_it_and_redirects(cast: Cast) -> None:
    partner = cast.alice_private
    response = client_for(cast.alice).post(
        f"/partners/{partner.pk}/touches/", {"kind": "meeting", "summary": "Lunch"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/partners/{partner.pk}/"
    touch = Touch.objects.get(partner=partner)
    assert (touch.kind, touch.summary, touch.by) == (TouchKind.MEETING, "Lunch", cast.alice)
    assert timezone.now() - touch.occurred_at < dt.timedelta(minutes=1)
    partner.refresh_from_db()
    assert partner.touch_count == 1


def test_a_touch_can_be_back_dated(cast: Cast) -> None:
    partner = cast.alice_private
    when = timezone.now() - dt.timedelta(days=40)
    client_for(cast.alice).post(
        f"/partners/{partner.pk}/touches/",
        {"kind": "call", "summary": "Last spring", "occurred_at": local(when)},
    )
    assert Touch.objects.get(partner=partner).occurred_at.date() == timezone.localtime(when).date()


def test_logging_a_touch_with_htmx_returns_the_detail_partial(cast: Cast) -> None:
    partner = cast.alice_private
    response = client_for(cast.alice).post(
        f"/partners/{partner.pk}/touches/",
        {"kind": "email", "summary": "Sent the memo"},
        headers=htmx("partner-detail"),
    )
    assert response.status_code == 200
    assert is_partial(response)
    page = response.content.decode()
    assert 'id="partner-detail"' in page
    assert "Sent the memo" in page
    assert "Touch logged." in page


def test_a_touch_with_a_malformed_date_shows_the_error_and_saves_nothing(cast: Cast) -> None:
    partner = cast.alice_private
    client = client_for(cast.alice)
    for headers in ({}, htmx("partner-detail")):
        response = client.post(
            f"/partners/{partner.pk}/touches/",
            {"kind": "call", "summary": "Hi", "occurred_at": "31/31/2024 25:00"},
            headers=headers,
        )
        assert response.status_code == 200
        assert 'id="touch-occurred_at_error"' in response.content.decode()
    assert not Touch.objects.filter(partner=partner).exists()


def test_a_touch_in_the_future_is_refused_with_the_services_message(cast: Cast) -> None:
    partner = cast.alice_private
    response = client_for(cast.alice).post(
        f"/partners/{partner.pk}/touches/",
        {
            "kind": "call",
            "summary": "Tomorrow",
            "occurred_at": local(timezone.now() + dt.timedelta(days=2)),
        },
    )
    assert shows(response, IN_THE_FUTURE)
    assert not Touch.objects.filter(partner=partner).exists()


def test_a_touch_needs_a_summary(cast: Cast) -> None:
    partner = cast.alice_private
    response = client_for(cast.alice).post(
        f"/partners/{partner.pk}/touches/", {"kind": "call", "summary": ""}
    )
    assert 'id="touch-summary_error"' in response.content.decode()
    assert not Touch.objects.filter(partner=partner).exists()


def test_adding_a_commitment_works_plain_and_with_htmx(cast: Cast) -> None:
    partner = cast.alice_private
    client = client_for(cast.alice)
    due = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client.post(
        f"/partners/{partner.pk}/commitments/",
        {"what": "Send article", "owner": "advisor", "due": due},
    )
    assert response.status_code == 302
    response = client.post(
        f"/partners/{partner.pk}/commitments/",
        {"what": "Introduce us to the association", "owner": "partner", "due": due},
        headers=htmx("partner-detail"),
    )
    assert is_partial(response)
    assert "Introduce us to the association" in response.content.decode()
    assert sorted(partner.commitments.values_list("owner", flat=True)) == ["advisor", "partner"]


def test_a_commitment_with_a_malformed_due_date_saves_nothing(cast: Cast) -> None:
    partner = cast.alice_private
    response = client_for(cast.alice).post(
        f"/partners/{partner.pk}/commitments/",
        {"what": "Something", "owner": "advisor", "due": "someday"},
    )
    assert 'id="commitment-due_error"' in response.content.decode()
    assert not partner.commitments.exists()


def test_completing_a_commitment_can_log_a_touch_at_the_same_time(cast: Cast) -> None:
    partner = cast.alice_private
    commitment = CommitmentFactory(partner=partner, what="Call about the client")
    response = client_for(cast.alice).post(
        f"/partners/{partner.pk}/commitments/{commitment.pk}/",
        {"status": "done", "touch_kind": "call"},
        headers=htmx("partner-detail"),
    )
    assert response.status_code == 200
    assert is_partial(response)
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.DONE
    assert commitment.touch is not None
    assert commitment.touch.kind == TouchKind.CALL
    partner.refresh_from_db()
    assert partner.touch_count == 1


def test_dropping_a_commitment_with_a_plain_post_redirects_to_the_partner(cast: Cast) -> None:
    partner = cast.alice_private
    commitment = CommitmentFactory(partner=partner)
    response = client_for(cast.alice).post(
        f"/partners/{partner.pk}/commitments/{commitment.pk}/", {"status": "dropped"}
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.DROPPED
    assert not Touch.objects.filter(partner=partner).exists()


def test_a_closed_commitment_cannot_be_closed_again(cast: Cast) -> None:
    partner = cast.alice_private
    commitment = CommitmentFactory(partner=partner, status=CommitmentStatus.DONE)
    response = client_for(cast.alice).post(
        f"/partners/{partner.pk}/commitments/{commitment.pk}/",
        {"status": "done", "touch_kind": "call"},
        follow=True,
    )
    assert shows(response, services.COMMITMENT_NOT_OPEN)
    assert not Touch.objects.filter(partner=partner).exists()


def test_editing_the_profile_works_plain_and_with_htmx(cast: Cast) -> None:
    partner = cast.alice_shared
    client = client_for(cast.bob)
    url = f"/partners/{partner.pk}/edit/"
    form = client.get(url)
    assert form.status_code == 200
    assert 'value="Sam Shared"' in form.content.decode()
    inline = client.get(url, headers=htmx("partner-detail"))
    assert is_partial(inline)
    assert 'id="edit-title"' in inline.content.decode()
    data = {
        "name": "Samantha Shared",
        "profession": "realtor",
        "can_describe_value": "yes",
        "team": cast.north.pk,
        "tags": "homes",
    }
    assert client.post(url, data)["Location"] == f"/partners/{partner.pk}/"
    partner.refresh_from_db()
    assert (partner.name, partner.profession, partner.can_describe_value) == (
        "Samantha Shared",
        "realtor",
        "yes",
    )
    response = client.post(
        url, data | {"niche": "First-time buyers"}, headers=htmx("partner-detail")
    )
    assert is_partial(response)
    assert "First-time buyers" in response.content.decode()
    assert 'id="edit-title"' not in response.content.decode()


def test_an_edit_with_an_empty_name_keeps_the_old_profile(cast: Cast) -> None:
    partner = cast.alice_private
    response = client_for(cast.alice).post(
        f"/partners/{partner.pk}/edit/",
        {"name": " ", "profession": "cpa", "can_describe_value": "unknown"},
        headers=htmx("partner-detail"),
    )
    assert 'id="profile-name_error"' in response.content.decode()
    partner.refresh_from_db()
    assert partner.name == "Priya Private"


def test_archiving_and_restoring_a_partner(cast: Cast) -> None:
    partner = cast.alice_private
    client = client_for(cast.alice)
    assert client.post(f"/partners/{partner.pk}/archive/").status_code == 302
    partner.refresh_from_db()
    assert partner.archived_at is not None
    client.get("/partners/")  # shows the confirmation, which names the partner
    assert "Priya Private" not in client.get("/partners/").content.decode()
    assert "Priya Private" in client.get("/partners/", {"archived": "on"}).content.decode()
    detail = client.get(f"/partners/{partner.pk}/").content.decode()
    assert "/restore/" in detail
    assert "/touches/" not in detail
    response = client.post(f"/partners/{partner.pk}/restore/", headers=htmx("partner-detail"))
    assert is_partial(response)
    partner.refresh_from_db()
    assert partner.archived_at is None


def test_an_archived_partner_refuses_a_touch_with_the_services_message(cast: Cast) -> None:
    partner = cast.alice_private
    services.partner_archive(partner=partner, by=cast.alice)
    response = client_for(cast.alice).post(
        f"/partners/{partner.pk}/touches/", {"kind": "call", "summary": "Hello"}
    )
    assert shows(response, services.ARCHIVED_PARTNER)
    assert not Touch.objects.filter(partner=partner).exists()


def test_the_detail_stage_form_answers_htmx_with_the_detail(cast: Cast) -> None:
    partner = cast.alice_private
    refused = client_for(cast.alice).post(
        f"/partners/{partner.pk}/stage/", {"stage": "retired"}, headers=htmx("partner-detail")
    )
    assert is_partial(refused)
    assert 'id="partner-detail"' in refused.content.decode()
    assert shows(refused, services.RETIRED_NEEDS_REASON)
    moved = client_for(cast.alice).post(
        f"/partners/{partner.pk}/stage/", {"stage": "qualified"}, headers=htmx("partner-detail")
    )
    assert "Moved from Identified to Qualified" in moved.content.decode()


# --- Query counts ------------------------------------------------------------------------------


def add_partners(owner: object, count: int) -> None:
    for _ in range(count):
        partner = PartnerFactory(owner=owner)
        partner.tags.create(firm=partner.firm, name=f"tag-{partner.pk}")
        TouchFactory.create_batch(2, partner=partner)
        CommitmentFactory(partner=partner)


@pytest.mark.parametrize("user", ["alice", "ada"])
def test_the_list_costs_the_same_queries_for_3_or_30_partners(cast: Cast, user: str) -> None:
    client = client_for(getattr(cast, user))
    add_partners(cast.alice, 3)
    small = queries_for(lambda: client.get("/partners/"))
    add_partners(cast.alice, 27)
    assert queries_for(lambda: client.get("/partners/")) == small


def test_the_detail_costs_the_same_queries_for_3_or_30_touches(cast: Cast) -> None:
    partner = cast.alice_private
    client = client_for(cast.alice)
    url = f"/partners/{partner.pk}/"

    def grow(count: int) -> None:
        TouchFactory.create_batch(count, partner=partner)
        CommitmentFactory.create_batch(count, partner=partner)
        CommitmentFactory.create_batch(
            count, partner=partner, status=CommitmentStatus.DONE, completed_at=timezone.now()
        )
        StageChangeFactory.create_batch(count, partner=partner)

    grow(3)
    small = queries_for(lambda: client.get(url))
    grow(27)
    assert queries_for(lambda: client.get(url)) == small


def test_pages_that_answer_htmx_with_fragments_tell_caches_so(cast: Cast) -> None:
    client = client_for(cast.alice)
    for url in ("/pipeline/", "/partners/", f"/partners/{cast.alice_private.pk}/", "/agenda/"):
        assert "HX-Request" in client.get(url)["Vary"], url


def test_the_owner_filter_offers_teammates_to_an_advisor_and_everyone_to_an_admin(
    cast: Cast,
) -> None:
    def owner_options(user: object) -> str:
        page = client_for(user).get("/partners/").content.decode()  # type: ignore[arg-type]
        return page[
            page.index('name="owner"') : page.index("</select>", page.index('name="owner"'))
        ]

    mine = owner_options(cast.alice)
    assert f'value="{cast.bob.pk}"' in mine
    assert f'value="{cast.carol.pk}"' not in mine
    assert f'value="{cast.mallory.pk}"' not in mine
    everyone = owner_options(cast.ada)
    assert f'value="{cast.carol.pk}"' in everyone
    assert f'value="{cast.mallory.pk}"' not in everyone


@pytest.mark.parametrize("url", ["/partners/", "/pipeline/", "/agenda/"])
def test_the_owner_filters_name_people_as_the_pages_do_not_by_username(
    cast: Cast, url: str
) -> None:
    page = client_for(cast.ada).get(url).content.decode()
    choices = page[page.index('name="owner"') :]
    choices = choices[: choices.index("</select>")]
    assert f">{cast.alice.display_name}</option>" in choices
    assert ">alice</option>" not in choices
