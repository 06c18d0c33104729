"""Partners through the API: list (paginated, filtered, sorted), create, read, update, archive
and restore; bad input is refused with a clear detail and nothing is saved."""

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reciprocity.api.errors import FIELD_REQUIRED, FIELD_UNKNOWN
from reciprocity.api.schemas.common import NUL_IN_TEXT
from reciprocity.api.schemas.partners import PartnerSort
from reciprocity.partners.models import NOTES_MAX, Partner, Profession, Stage, StageChange
from reciprocity.partners.selectors import SORTS
from reciprocity.partners.services import OWNER_NOT_IN_FIRM, RETIRED_NEEDS_REASON, TEAM_NOT_YOURS
from reciprocity.referrals.models import Direction, Kind
from tests.api_client import ApiClient, token_client
from tests.conftest import Cast
from tests.factories import (
    CommitmentFactory,
    PartnerFactory,
    ReferralFactory,
    TeamFactory,
    TouchFactory,
)

PARTNER_FIELDS = {
    "id", "name", "profession", "profession_other", "organization", "organization_size",
    "specialties", "niche", "growth_mode", "propensity_to_refer", "preferred_referral_process",
    "preferred_contact_method", "values", "can_describe_value", "email", "phone", "website",
    "notes", "tags", "owner", "team", "stage", "stage_changed_at", "next_step", "touch_count",
    "last_touch_at", "dormancy_suggested", "archived_at", "created_at", "updated_at",
    "referrals_sent", "referrals_received", "connections_sent", "connections_received",
    "referrals_sent_12m", "referrals_received_12m", "connections_sent_12m",
    "connections_received_12m", "first_referral_received_at", "stage_suggestion",
}  # fmt: skip


@pytest.fixture
def api(cast: Cast) -> ApiClient:
    return token_client(cast.alice)


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.json()
    return [item["name"] for item in response.json()["items"]]


# --- Reading ----------------------------------------------------------------------------------
def test_a_partner_carries_its_profile_pipeline_and_next_step(cast: Cast, api: ApiClient) -> None:
    partner = cast.alice_shared
    due = timezone.localdate() - dt.timedelta(days=2)
    step = CommitmentFactory(partner=partner, what="Send the estate article", due=due)
    CommitmentFactory(partner=partner, due=due + dt.timedelta(days=10))
    TouchFactory(partner=partner)

    body = api.call("GET", f"partners/{partner.pk}").json()

    assert set(body) >= PARTNER_FIELDS
    assert body["name"] == "Sam Shared"
    assert body["owner"] == {
        "id": cast.alice.pk,
        "username": "alice",
        "name": cast.alice.display_name,
    }
    assert body["team"] == {"id": cast.north.pk, "name": "North"}
    assert body["next_step"] == {
        "id": step.pk,
        "what": "Send the estate article",
        "due": due.isoformat(),
        "owner": "advisor",
        "overdue": True,
    }
    assert body["organization_size"] is None
    assert body["can_describe_value"] == "unknown"
    assert (body["referrals_sent"], body["referrals_received"]) == (0, 0)
    assert body["stage_suggestion"] is None


def test_the_list_is_paginated_with_limit_and_offset(cast: Cast, api: ApiClient) -> None:
    for index in range(5):
        PartnerFactory(owner=cast.alice, name=f"Extra {index}")

    page = api.call("GET", "partners?limit=3&offset=2").json()

    assert set(page) == {"items", "count"}
    assert page["count"] == 7
    assert [item["name"] for item in page["items"]] == ["Extra 2", "Extra 3", "Extra 4"]


def test_a_limit_out_of_range_is_refused(api: ApiClient) -> None:
    for query in ("limit=0", "limit=201", "offset=-1", "limit=ten", "offset=%2B0.0", "limit=1_0"):
        response = api.call("GET", f"partners?{query}")
        assert response.status_code == 422, query
        assert response.json()["errors"][0]["field"] == query.split("=")[0]


def test_an_id_in_the_path_or_query_is_digits_only(api: ApiClient, cast: Cast) -> None:
    pk = cast.alice_private.pk
    assert api.call("GET", f"partners/{pk}").status_code == 200
    for path in (f"partners/%2B{pk}.0", f"partners/{pk}.0", f"referrals?partner=%2B{pk}"):
        response = api.call("GET", path)
        assert response.status_code in (404, 422), path
        assert "detail" in response.json()
    refused = api.call("GET", "partners?offset=%2B0.0").json()
    assert refused["errors"] == [{"field": "offset", "message": "Give a whole number, in digits."}]


def test_the_list_filters_by_search_stage_profession_and_owner(cast: Cast) -> None:
    api = token_client(cast.ada)  # the firm admin sees everyone's partners
    PartnerFactory(owner=cast.bob, name="Bea Banker", profession=Profession.BANKER,
                   organization="First Harbor Bank", stage=Stage.QUALIFIED)  # fmt: skip
    PartnerFactory(owner=cast.carol, name="Carl Counsel", profession=Profession.ATTORNEY,
                   organization="Harbor Law", stage=Stage.ACTIVE)  # fmt: skip

    assert names(api.call("GET", "partners?q=harbor")) == ["Bea Banker", "Carl Counsel"]
    assert names(api.call("GET", "partners?q=carl")) == ["Carl Counsel"]
    assert names(api.call("GET", "partners?stage=qualified")) == ["Bea Banker"]
    assert names(api.call("GET", "partners?profession=attorney")) == ["Carl Counsel"]
    assert names(api.call("GET", f"partners?owner={cast.carol.pk}")) == ["Carl Counsel"]
    assert names(api.call("GET", "partners?stage=active&profession=banker")) == []


def test_the_list_filters_overdue_and_archived_partners(cast: Cast, api: ApiClient) -> None:
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    CommitmentFactory(partner=cast.alice_private, due=yesterday)
    cast.alice_shared.archived_at = timezone.now()
    cast.alice_shared.save()

    assert names(api.call("GET", "partners?overdue=true")) == ["Priya Private"]
    assert names(api.call("GET", "partners")) == ["Priya Private"]
    assert names(api.call("GET", "partners?archived=true")) == ["Sam Shared"]


def test_the_list_sorts(cast: Cast, api: ApiClient) -> None:
    Partner.objects.filter(pk=cast.alice_shared.pk).update(touch_count=3)
    assert names(api.call("GET", "partners?sort=-name")) == ["Sam Shared", "Priya Private"]
    assert names(api.call("GET", "partners?sort=-touches")) == ["Sam Shared", "Priya Private"]


def test_an_unknown_filter_value_is_refused_naming_the_field(api: ApiClient) -> None:
    response = api.call("GET", "partners?stage=signed&sort=size")
    assert response.status_code == 422
    body = response.json()
    assert {error["field"] for error in body["errors"]} == {"stage", "sort"}
    assert "stage: Input should be 'identified'" in body["detail"]


def test_an_owner_id_beyond_any_row_is_refused_not_an_error(api: ApiClient) -> None:
    response = api.call("GET", f"partners?owner={2**63}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "owner"


def test_an_owner_id_given_as_true_or_a_fraction_is_refused(api: ApiClient) -> None:
    # JSON's true would otherwise be read as the user with id 1, and 1.0 as 1.
    for owner in (True, 1.0):
        body = {"name": "Dana", "profession": "cpa", "owner": owner}
        response = api.call("POST", "partners", body)
        assert response.status_code == 422, (owner, response.json())
    assert not Partner.objects.filter(name="Dana").exists()


def test_text_with_a_nul_character_is_refused_not_an_error(api: ApiClient) -> None:
    # PostgreSQL can neither store nor compare it.
    search = api.call("GET", "partners?q=a%00b")
    assert search.status_code == 422
    assert search.json()["errors"][0]["field"] == "q"
    created = api.call("POST", "partners", {"name": "Ann", "profession": "cpa", "tags": ["\x00"]})
    assert created.status_code == 422
    assert NUL_IN_TEXT in created.json()["errors"][0]["message"]


def test_every_sort_the_selectors_offer_is_offered_by_the_api() -> None:
    assert set(PartnerSort.__args__) == set(SORTS)  # type: ignore[attr-defined]


@pytest.mark.parametrize("extra", [3, 30])
def test_the_list_runs_a_constant_number_of_queries(
    cast: Cast, api: ApiClient, extra: int, django_assert_max_num_queries: Any
) -> None:
    for index in range(extra):
        partner = PartnerFactory(owner=cast.alice, team=cast.north, name=f"Book {index:02}")
        TouchFactory.create_batch(2, partner=partner)
        CommitmentFactory.create_batch(2, partner=partner)
        partner.tags.create(firm=cast.firm, name=f"tag {index}")
        ReferralFactory(partner=partner, direction=Direction.SENT)
        ReferralFactory(partner=partner, direction=Direction.RECEIVED, kind=Kind.CONNECTION)
    api.call("GET", "partners?limit=1")  # the token's last use is written once a minute

    with CaptureQueriesContext(connection) as queries:
        response = api.call("GET", "partners?limit=100")

    assert response.json()["count"] == extra + 2
    books = [item for item in response.json()["items"] if item["name"].startswith("Book")]
    assert all(len(item["tags"]) == 1 and item["next_step"] for item in books)
    assert all((item["referrals_sent"], item["connections_received"]) == (1, 1) for item in books)
    # token and user, count, page (with its balance), tags, and the page's scores (the firm's
    # advisors' messages for the fit score, then the scores): whatever the size of the book.
    assert len(queries) == 6, [query["sql"] for query in queries.captured_queries]


# --- Creating ---------------------------------------------------------------------------------
def test_a_partner_is_created_with_its_profile_tags_and_past_stage(
    cast: Cast, api: ApiClient
) -> None:
    met = timezone.now() - dt.timedelta(days=200)
    response = api.call(
        "POST",
        "partners",
        {
            "name": "  Dana Deeds  ",
            "profession": "attorney",
            "organization": "Deeds & Wills LLP",
            "organization_size": "small",
            "niche": "Business owners planning succession",
            "growth_mode": True,
            "propensity_to_refer": "high",
            "preferred_referral_process": "conference_call",
            "preferred_contact_method": "email",
            "can_describe_value": "no",
            "email": "dana@example.com",
            "tags": ["estate", "succession", "estate"],
            "stage": "first_meeting",
            "occurred_at": met.isoformat(),
            "team": cast.north.pk,
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Dana Deeds"
    assert body["tags"] == ["estate", "succession"]
    assert body["stage"] == "first_meeting"
    assert body["propensity_to_refer"] == "high"
    assert body["growth_mode"] is True
    assert body["team"]["name"] == "North"
    partner = Partner.objects.get(pk=body["id"])
    assert partner.owner == cast.alice
    assert partner.stage_changed_at == met
    assert partner.stage_changes.get().to_stage == Stage.FIRST_MEETING


def test_a_firm_admin_creates_a_partner_for_an_advisor(cast: Cast) -> None:
    response = token_client(cast.ada).call(
        "POST", "partners", {"name": "Ivy", "profession": "cpa", "owner": cast.carol.pk}
    )
    assert response.status_code == 201
    assert response.json()["owner"]["username"] == "carol"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "", "profession": "cpa"}, "name", "This field cannot be blank."),
        ({"name": "   ", "profession": "cpa"}, "name", "This field cannot be blank."),
        ({"profession": "cpa"}, "name", FIELD_REQUIRED),
        ({"name": "Ann", "profession": "lawyer"}, "profession", "Input should be 'cpa'"),
        ({"name": "Ann", "profession": "cpa", "stage": "signed"}, "stage", "'identified'"),
        ({"name": "Ann", "profession": "cpa", "stage": "retired"}, "stage", RETIRED_NEEDS_REASON),
        ({"name": "Ann", "profession": "cpa", "occurred_at": "last spring"}, "occurred_at", ""),
        ({"name": "Ann", "profession": "cpa", "email": "not-an-email"}, "email", "valid email"),
        ({"name": "Ann", "profession": "cpa", "referrals": 3}, "referrals", FIELD_UNKNOWN),
        ({"name": "Ann", "profession": "cpa", "growth_mode": "maybe"}, "growth_mode", ""),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_saved(
    cast: Cast, api: ApiClient, body: dict[str, Any], field: str, message: str
) -> None:
    before = Partner.objects.count()
    response = api.call("POST", "partners", body)

    assert response.status_code == 422
    result = response.json()
    assert [error["field"] for error in result["errors"]] == [field]
    assert message in result["errors"][0]["message"]
    assert result["detail"].startswith(f"{field}: ")
    assert Partner.objects.count() == before


def test_an_owner_outside_the_firm_is_refused(cast: Cast) -> None:
    response = token_client(cast.ada).call(
        "POST", "partners", {"name": "Ivy", "profession": "cpa", "owner": cast.mallory.pk}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == f"owner: {OWNER_NOT_IN_FIRM}"


def test_an_advisor_cannot_give_a_partner_to_a_colleague(cast: Cast, api: ApiClient) -> None:
    response = api.call(
        "POST", "partners", {"name": "Ivy", "profession": "cpa", "owner": cast.bob.pk}
    )
    assert response.status_code == 422
    assert not Partner.objects.filter(name="Ivy").exists()


def test_sharing_with_a_team_one_is_not_in_is_refused(cast: Cast, api: ApiClient) -> None:
    south = TeamFactory(firm=cast.firm, name="South", members=[cast.carol])
    response = api.call("POST", "partners", {"name": "Ivy", "profession": "cpa", "team": south.pk})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "team", "message": TEAM_NOT_YOURS}]
    assert not Partner.objects.filter(name="Ivy").exists()


def test_a_body_that_is_not_json_is_refused(api: ApiClient) -> None:
    response = api.generic(
        "POST", "/api/v1/partners", "{name: Ann", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is not valid JSON."}


# --- Updating ---------------------------------------------------------------------------------
def test_a_partner_profile_is_updated_field_by_field(cast: Cast, api: ApiClient) -> None:
    partner = cast.alice_private
    response = api.call(
        "PATCH",
        f"partners/{partner.pk}",
        {"niche": "Dentists", "propensity_to_refer": "medium", "tags": ["dental"]},
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["niche"] == "Dentists"
    assert body["propensity_to_refer"] == "medium"
    assert body["tags"] == ["dental"]
    assert body["name"] == "Priya Private"  # not sent, not changed


def test_an_update_can_clear_a_choice_and_stop_sharing(cast: Cast, api: ApiClient) -> None:
    partner = cast.alice_shared
    partner.preferred_contact_method = "email"
    partner.propensity_to_refer = "high"
    partner.save()

    body = api.call(
        "PATCH",
        f"partners/{partner.pk}",
        {"preferred_contact_method": None, "propensity_to_refer": None, "team": None},
    ).json()

    assert body["preferred_contact_method"] is None
    assert body["propensity_to_refer"] is None
    assert body["team"] is None
    partner.refresh_from_db()
    assert (partner.preferred_contact_method, partner.propensity_to_refer) == ("", None)


def test_an_update_with_an_empty_name_changes_nothing(cast: Cast, api: ApiClient) -> None:
    partner = cast.alice_private
    response = api.call("PATCH", f"partners/{partner.pk}", {"name": "", "niche": "Dentists"})

    assert response.status_code == 422
    assert response.json()["detail"] == "name: This field cannot be blank."
    partner.refresh_from_db()
    assert (partner.name, partner.niche) == ("Priya Private", "")


def test_the_stage_is_not_changed_by_a_profile_update(cast: Cast, api: ApiClient) -> None:
    response = api.call("PATCH", f"partners/{cast.alice_private.pk}", {"stage": "champion"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "stage", "message": FIELD_UNKNOWN}]


# --- Archiving --------------------------------------------------------------------------------
def test_a_partner_is_archived_and_restored(cast: Cast, api: ApiClient) -> None:
    partner = cast.alice_private

    archived = api.call("POST", f"partners/{partner.pk}/archive")
    assert archived.status_code == 200
    assert archived.json()["archived_at"] is not None
    assert names(api.call("GET", "partners")) == ["Sam Shared"]
    assert api.call("GET", f"partners/{partner.pk}").status_code == 200

    refused = api.call("PATCH", f"partners/{partner.pk}", {"niche": "Dentists"})
    assert refused.status_code == 422
    assert "archived" in refused.json()["detail"]

    restored = api.call("POST", f"partners/{partner.pk}/restore")
    assert restored.json()["archived_at"] is None
    assert names(api.call("GET", "partners")) == ["Priya Private", "Sam Shared"]
    assert StageChange.objects.filter(partner=partner).count() == 0


def test_the_list_sorts_by_stage_in_the_pipelines_order(cast: Cast, api: ApiClient) -> None:
    for stage in (Stage.RETIRED, Stage.ACTIVE, Stage.IDENTIFIED, Stage.PROPOSED, Stage.CHAMPION):
        PartnerFactory(owner=cast.alice, name=f"By stage {stage}", stage=stage)
    Partner.objects.filter(pk__in=[cast.alice_private.pk, cast.alice_shared.pk]).update(
        archived_at=timezone.now()
    )

    in_order = [
        "By stage identified",
        "By stage proposed",
        "By stage active",
        "By stage champion",
        "By stage retired",
    ]
    assert names(api.call("GET", "partners?sort=stage")) == in_order
    assert names(api.call("GET", "partners?sort=-stage")) == in_order[::-1]


def test_a_retired_partners_late_step_is_not_overdue_work(cast: Cast, api: ApiClient) -> None:
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    CommitmentFactory(partner=cast.alice_private, due=yesterday)
    CommitmentFactory(partner=cast.alice_shared, due=yesterday)
    Partner.objects.filter(pk=cast.alice_shared.pk).update(stage=Stage.RETIRED)

    assert names(api.call("GET", "partners?overdue=true")) == ["Priya Private"]


def test_over_long_notes_are_refused_naming_the_field(api: ApiClient) -> None:
    body = {"name": "Verbose Vera", "profession": "cpa", "notes": "x" * (NOTES_MAX + 1)}
    response = api.call("POST", "partners", body)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["notes"]
    assert not Partner.objects.filter(name="Verbose Vera").exists()


def test_an_over_long_tag_is_refused_naming_the_field(api: ApiClient) -> None:
    body = {"name": "Taggy Tess", "profession": "cpa", "tags": ["t" * 51]}
    response = api.call("POST", "partners", body)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["tags"]
    assert not Partner.objects.filter(name="Taggy Tess").exists()


def test_a_partner_is_read_with_its_balance_in_one_query(cast: Cast) -> None:
    api = token_client(cast.alice)
    with CaptureQueriesContext(connection) as captured:
        assert api.call("GET", f"partners/{cast.alice_private.pk}").status_code == 200
    balance = [q["sql"] for q in captured.captured_queries if 'AS "balance_counts"' in q["sql"]]
    assert len(balance) == 1
    assert 'AS "next_step"' in balance[0]


@pytest.mark.parametrize("path", ["touches", "stage"])
def test_a_partners_touches_and_moves_check_the_partner_without_its_balance(
    cast: Cast, path: str
) -> None:
    api = token_client(cast.alice)
    with CaptureQueriesContext(connection) as captured:
        assert api.call("GET", f"partners/{cast.alice_private.pk}/{path}").status_code == 200
    assert all('AS "balance_counts"' not in q["sql"] for q in captured.captured_queries)
