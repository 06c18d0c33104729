"""An integrator's view of the API: a client generated from /api/v1/openapi.json by a maintained
generator (openapi-python-client, offline, from the live server's own document) lists, creates
and updates a partner (with If-Match), logs a touch and walks a referral's protocol steps; and
the document passes an OpenAPI linter."""

import importlib
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openapi_spec_validator import validate
from pytest_django.live_server_helper import LiveServer

from reciprocity.accounts.services import token_create
from reciprocity.partners.models import Partner
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

CONFIG = "package_name_override: reciprocity_client\npost_hooks: []\n"


def generator() -> str:
    found = shutil.which("openapi-python-client") or str(
        Path(sys.executable).parent / "openapi-python-client"
    )
    assert Path(found).exists(), "openapi-python-client is a development dependency"
    return found


@pytest.fixture
def generated(live_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The client package, generated from the running server's document and imported."""
    (tmp_path / "config.yml").write_text(CONFIG)
    # Fetched here rather than by the generator, whose own timeout is short for a busy machine.
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with no_proxy.open(f"{live_server.url}/api/v1/openapi.json", timeout=120) as answer:
        (tmp_path / "openapi.json").write_bytes(answer.read())
    made = subprocess.run(  # noqa: S603 (our own development tool, on our own document)
        [
            generator(),
            "generate",
            "--path",
            str(tmp_path / "openapi.json"),
            "--meta",
            "none",
            "--config",
            str(tmp_path / "config.yml"),
            "--output-path",
            str(tmp_path / "reciprocity_client"),
            "--fail-on-warning",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("reciprocity_client")]:
        monkeypatch.delitem(sys.modules, name)
    return importlib.import_module("reciprocity_client")


def module(name: str) -> Any:
    return importlib.import_module(f"reciprocity_client.{name}")


def test_the_openapi_document_passes_the_linter() -> None:
    document = Client().get("/api/v1/openapi.json").json()
    validate(document)
    assert "If-Match" in str(document["paths"]["/api/v1/partners/{id}"]["patch"]["parameters"])


def test_a_generated_client_runs_the_daily_work_of_a_sync(
    cast: Cast, live_server: LiveServer, generated: Any
) -> None:
    _token, secret = token_create(user=cast.alice, name="generated client")
    client = generated.AuthenticatedClient(base_url=live_server.url, token=secret)
    models = module("models")

    # List
    listed = module("api.partners.list_partners").sync(client=client)
    assert listed.count == 2
    assert {p.name for p in listed.items} == {"Priya Private", "Sam Shared"}

    # Create
    body = models.PartnerCreate(
        name="Rita Realtor", profession=models.Profession.REALTOR, organization="Homes & Co"
    )
    created = module("api.partners.create_partner").sync_detailed(client=client, body=body)
    assert created.status_code == 201
    partner = created.parsed
    assert (partner.name, partner.stage) == ("Rita Realtor", "identified")
    assert Partner.objects.filter(pk=partner.id, owner=cast.alice).exists()

    # Update, with the ETag it answered; the same ETag again is stale
    read = module("api.partners.get_partner").sync_detailed(id=partner.id, client=client)
    etag = read.headers["etag"]
    update = module("api.partners.update_partner")
    changed = update.sync_detailed(
        id=partner.id,
        client=client,
        body=models.PartnerUpdate(notes="Met at the chamber breakfast"),
        if_match=etag,
    )
    assert changed.status_code == 200
    assert changed.parsed.notes == "Met at the chamber breakfast"
    stale = update.sync_detailed(
        id=partner.id, client=client, body=models.PartnerUpdate(notes="Lost"), if_match=etag
    )
    assert stale.status_code == 412
    assert Partner.objects.get(pk=partner.id).notes == "Met at the chamber breakfast"

    # Log a touch
    touch = module("api.touches.log_touch").sync(
        id=partner.id,
        client=client,
        body=models.TouchCreate(kind=models.TouchKind.CALL, summary="Talked about referrals"),
    )
    assert touch.kind == "call"
    again = module("api.partners.get_partner").sync(id=partner.id, client=client)
    assert again.touch_count == 1

    # Walk a referral's steps
    referral = module("api.referrals.create_referral").sync(
        client=client,
        body=models.ReferralCreate(
            partner=partner.id,
            direction=models.Direction.SENT,
            need="A home for a new client",
            consent_method=models.ConsentMethod.VERBAL,
        ),
    )
    steps = module("api.referrals.list_referral_steps").sync(id=referral.id, client=client)
    assert steps.count >= 1
    change = module("api.referrals.change_referral_step")
    for step in steps.items:
        done = change.sync(
            id=referral.id,
            slug=step.slug,
            client=client,
            body=models.StepChange(action=models.StepChangeAction.COMPLETE),
        )
        assert done.state == "done"
    after = module("api.partners.get_partner").sync(id=partner.id, client=client)
    assert after.touch_count == 1 + steps.count

    # Only what changed since then, the archives included
    since = module("api.partners.list_partners").sync(
        client=client, updated_since=after.updated_at, include_archived=True
    )
    assert [p.id for p in since.items] == [partner.id]
