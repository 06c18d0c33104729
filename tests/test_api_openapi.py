"""The OpenAPI document and the interactive docs: complete, local, and working under the CSP."""

import json
import re
from typing import Any

from django.contrib.staticfiles import finders
from django.test import Client

from reciprocity.api.api import NO_SUCH_ENDPOINT

EXPECTED_OPERATIONS = {
    ("get", "/api/v1/partners"): "list_partners",
    ("post", "/api/v1/partners"): "create_partner",
    ("get", "/api/v1/partners/{id}"): "get_partner",
    ("patch", "/api/v1/partners/{id}"): "update_partner",
    ("post", "/api/v1/partners/{id}/archive"): "archive_partner",
    ("post", "/api/v1/partners/{id}/restore"): "restore_partner",
    ("get", "/api/v1/partners/{id}/stage"): "list_stage_changes",
    ("post", "/api/v1/partners/{id}/stage"): "change_stage",
    ("get", "/api/v1/partners/{id}/touches"): "list_touches",
    ("post", "/api/v1/partners/{id}/touches"): "log_touch",
    ("get", "/api/v1/partners/{id}/commitments"): "list_commitments",
    ("post", "/api/v1/partners/{id}/commitments"): "create_commitment",
    ("get", "/api/v1/commitments/{id}"): "get_commitment",
    ("patch", "/api/v1/commitments/{id}"): "update_commitment",
    ("get", "/api/v1/referrals"): "list_referrals",
    ("post", "/api/v1/referrals"): "create_referral",
    ("get", "/api/v1/referrals/{id}"): "get_referral",
    ("patch", "/api/v1/referrals/{id}"): "update_referral",
    ("post", "/api/v1/referrals/{id}/archive"): "archive_referral",
    ("post", "/api/v1/referrals/{id}/restore"): "restore_referral",
    ("get", "/api/v1/referrals/{id}/status"): "list_referral_status_changes",
    ("post", "/api/v1/referrals/{id}/status"): "change_referral_status",
    ("post", "/api/v1/referrals/{id}/consent"): "record_consent",
    ("post", "/api/v1/referrals/{id}/consent/withdraw"): "withdraw_consent",
    ("get", "/api/v1/referrals/{id}/steps"): "list_referral_steps",
    ("post", "/api/v1/referrals/{id}/steps/{slug}"): "change_referral_step",
    ("get", "/api/v1/referrals/{id}/memo"): "get_referral_memo",
    ("get", "/api/v1/referrals/{id}/email-draft"): "get_referral_email_draft",
    ("get", "/api/v1/balance"): "list_reciprocity_balance",
    ("get", "/api/v1/protocols"): "list_protocols",
    ("put", "/api/v1/protocols/{profession}"): "update_protocol",
    ("post", "/api/v1/protocols/{profession}/reset"): "reset_protocol",
}


def openapi() -> dict:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_openapi_document_lists_every_path_with_a_readable_operation_id() -> None:
    document = openapi()
    found = {
        (method, path): operation["operationId"]
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }
    assert found.items() >= EXPECTED_OPERATIONS.items()
    assert len(set(found.values())) == len(found)


def test_every_operation_is_tagged_and_documents_its_errors() -> None:
    for path, operations in openapi()["paths"].items():
        for method, operation in operations.items():
            assert operation["tags"], (method, path)
            assert {"401", "422"} <= set(operation["responses"]), (method, path)
            if "{id}" in path:
                assert "404" in operation["responses"], (method, path)
            if method != "get":
                assert "403" in operation["responses"], (method, path)


def test_the_error_shapes_are_described() -> None:
    schemas = openapi()["components"]["schemas"]
    assert set(schemas["Error"]["properties"]) == {"detail"}
    assert set(schemas["ValidationFailed"]["properties"]) == {"detail", "errors"}


def test_the_slugs_are_listed_as_enums() -> None:
    schemas = openapi()["components"]["schemas"]
    assert schemas["Stage"]["enum"] == [
        "identified", "qualified", "first_meeting", "due_diligence", "proposed", "active",
        "champion", "dormant", "retired",
    ]  # fmt: skip
    assert schemas["FailureReason"]["enum"] == [
        "wrong_professional", "wrong_message", "wrong_firm", "other"
    ]  # fmt: skip
    assert schemas["TouchKind"]["enum"] == [
        "call", "email", "meeting", "note", "thank_you", "newsletter", "event", "gift"
    ]  # fmt: skip
    assert schemas["Profession"]["enum"] == [
        "cpa", "attorney", "insurance_agent", "banker", "business_broker", "realtor", "other"
    ]  # fmt: skip
    assert schemas["CommitmentStatus"]["enum"] == ["open", "done", "dropped"]
    assert schemas["CommitmentOwner"]["enum"] == ["advisor", "partner"]
    assert schemas["Direction"]["enum"] == ["sent", "received"]
    assert schemas["Kind"]["enum"] == ["referral", "connection"]
    assert schemas["StepSlug"]["enum"] == [
        "call", "email", "escort", "conference_call", "thank_you", "check_in"
    ]  # fmt: skip
    assert set(schemas["ReferralStatus"]["enum"]) >= {"proposed", "received", "engaged", "lost"}


def test_list_responses_are_pages_of_items_with_a_count() -> None:
    document = openapi()
    ok = document["paths"]["/api/v1/partners"]["get"]["responses"]["200"]
    ref = ok["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(document["components"]["schemas"][ref]["properties"]) == {"items", "count"}
    parameters = {p["name"] for p in document["paths"]["/api/v1/partners"]["get"]["parameters"]}
    assert parameters >= {"q", "stage", "profession", "owner", "overdue", "archived", "sort"}
    assert parameters >= {"limit", "offset"}


def test_the_bearer_token_and_the_session_are_documented() -> None:
    document = openapi()
    schemes = document["components"]["securitySchemes"]
    assert schemes["BearerToken"]["type"] == "http"
    assert schemes["BearerToken"]["scheme"] == "bearer"
    assert "reciprocity token create" in schemes["BearerToken"]["description"]
    assert schemes["Session"]["in"] == "cookie"
    for operations in document["paths"].values():
        for operation in operations.values():
            assert {"BearerToken": []} in operation["security"]


def test_the_docs_page_uses_local_files_and_no_inline_script() -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert not re.search(r"https?://", html)  # no CDN
    scripts = re.findall(r"<script([^>]*)>", html)
    # Only external scripts run; the settings block is inert JSON.
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)
    assert " style=" not in html
    for src in re.findall(r'(?:src|href)="/static/([^"]+)"', html):
        assert finders.find(src), src


def test_an_unknown_api_path_answers_a_json_404() -> None:
    for path in (
        "/api/v1/partner",
        "/api/v1/partners/",
        "/api/v1/partners/1/referrals/x",
        "/api/v2/partners",
    ):
        response = Client().get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": NO_SUCH_ENDPOINT}


def test_an_unknown_api_path_answers_404_to_any_method() -> None:
    response = Client(enforce_csrf_checks=True).post("/api/v1/partner", {"name": "x"})
    assert response.status_code == 404
    assert response.json() == {"detail": NO_SUCH_ENDPOINT}


def test_the_document_has_no_key_twice_so_yaml_readers_accept_it(db: None) -> None:
    """JSON readers keep the last of two equal keys; the docs page's YAML reader refuses them."""

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        assert len(set(keys)) == len(keys), keys
        return dict(pairs)

    json.loads(Client().get("/api/v1/openapi.json").content, object_pairs_hook=unique)
