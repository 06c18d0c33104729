"""Nothing is deleted, except by a firm admin's purge of records archived longer ago than the
firm's retention period: with a reason, everything that is part of them, their history, and a
record of the purge itself."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import get_resolver
from django.utils import timezone

from reciprocity.accounts.services import NOT_FIRM_ADMIN
from reciprocity.api.api import api
from reciprocity.audit.models import AuditPurge
from reciprocity.audit.services import NOTHING_TO_PURGE, PURGE_NEEDS_REASON, records_purge
from reciprocity.partners import services
from reciprocity.partners.models import Commitment, Partner, StageChange, Touch
from reciprocity.referrals.models import Referral, ReferralStep
from reciprocity.referrals.services.ledger import referral_create
from tests.conftest import Cast, client_for
from tests.web import shows

pytestmark = pytest.mark.django_db
SRC = Path(__file__).resolve().parent.parent / "src" / "reciprocity"


def archived_long_ago(cast: Cast, name: str = "Old Partner") -> Partner:
    partner = services.partner_create(by=cast.alice, name=name, profession="attorney")
    services.touch_log(partner=partner, by=cast.alice, kind="call", summary="Call")
    services.commitment_create(
        partner=partner, by=cast.alice, what="Send memo", owner="advisor", due=timezone.localdate()
    )
    referral_create(by=cast.alice, partner=partner, direction="sent", need="Estate plan")
    services.partner_archive(partner=partner, by=cast.alice)
    long_ago = timezone.now() - dt.timedelta(days=cast.firm.retention_days + 1)
    Partner.objects.filter(pk=partner.pk).update(archived_at=long_ago)
    return partner


def test_a_purge_deletes_old_archived_partners_with_their_parts_and_history(cast: Cast) -> None:
    old = archived_long_ago(cast)
    recent = services.partner_create(by=cast.alice, name="Recent", profession="cpa")
    services.partner_archive(partner=recent, by=cast.alice)
    purge = records_purge(by=cast.ada, reason="Retention period reached")
    assert not Partner.objects.filter(pk=old.pk).exists()
    for model in (Touch, Commitment, StageChange, Referral):
        assert not model.objects.filter(partner_id=old.pk).exists(), model
    assert not ReferralStep.objects.filter(referral__partner_id=old.pk).exists()
    assert not Partner.history.filter(id=old.pk).exists()  # type: ignore[attr-defined]
    assert not Touch.history.filter(partner_id=old.pk).exists()  # type: ignore[attr-defined]
    assert Partner.objects.filter(pk=recent.pk).exists()
    assert Partner.objects.filter(pk=cast.alice_private.pk).exists()
    assert purge.counts["partners.Partner"] == 1
    assert purge.counts["partners.Touch"] == 1
    assert purge.counts["referrals.Referral"] == 1
    assert (purge.by, purge.firm, purge.reason) == (cast.ada, cast.firm, "Retention period reached")


def test_the_purge_itself_is_recorded_with_its_history(cast: Cast) -> None:
    archived_long_ago(cast)
    purge = records_purge(by=cast.ada, reason="Annual clean-up")
    record = AuditPurge.history.get(id=purge.pk)  # type: ignore[attr-defined]
    assert (record.history_user, record.history_type, record.reason) == (
        cast.ada,
        "+",
        "Annual clean-up",
    )


def test_an_archived_touch_past_the_period_goes_alone(cast: Cast) -> None:
    touch = services.touch_log(partner=cast.alice_private, by=cast.alice, kind="call", summary="x")
    services.touch_archive(touch=touch, by=cast.alice)
    Touch.objects.filter(pk=touch.pk).update(
        archived_at=timezone.now() - dt.timedelta(days=cast.firm.retention_days + 1)
    )
    purge = records_purge(by=cast.ada, reason="Old notes")
    assert purge.counts == {"partners.Touch": 1}
    assert Partner.objects.filter(pk=cast.alice_private.pk).exists()


def test_a_purge_needs_a_reason(cast: Cast) -> None:
    archived_long_ago(cast)
    with pytest.raises(ValidationError) as refused:
        records_purge(by=cast.ada, reason="  ")
    assert refused.value.message_dict == {"reason": [PURGE_NEEDS_REASON]}
    assert Partner.objects.filter(name="Old Partner").exists()


def test_a_purge_with_nothing_old_enough_changes_nothing(cast: Cast) -> None:
    services.partner_archive(partner=cast.alice_private, by=cast.alice)
    with pytest.raises(ValidationError) as refused:
        records_purge(by=cast.ada, reason="Try")
    assert refused.value.messages == [NOTHING_TO_PURGE]
    assert not AuditPurge.objects.exists()


@pytest.mark.parametrize("who", ["alice", "cole", "mallory"])
def test_only_a_firm_admin_purges(cast: Cast, who: str) -> None:
    archived_long_ago(cast)
    with pytest.raises(PermissionDenied, match=NOT_FIRM_ADMIN):
        records_purge(by=getattr(cast, who), reason="Not mine to do")
    assert (
        client_for(getattr(cast, who))
        .post("/audit/purge/", {"reason": "x", "confirm": "on"})
        .status_code
        == 403
    )
    assert Partner.objects.filter(name="Old Partner").exists()


def test_a_purge_never_reaches_another_firm(cast: Cast) -> None:
    other = services.partner_create(by=cast.mallory, name="Theirs", profession="cpa")
    services.partner_archive(partner=other, by=cast.mallory)
    Partner.objects.filter(pk=other.pk).update(archived_at=timezone.now() - dt.timedelta(days=9999))
    archived_long_ago(cast)
    records_purge(by=cast.ada, reason="Ours only")
    assert Partner.objects.filter(pk=other.pk).exists()


def test_the_purge_page_previews_then_purges_with_a_confirmation(cast: Cast) -> None:
    archived_long_ago(cast)
    client = client_for(cast.ada)
    page = client.get("/audit/purge/")
    assert "1 partner record" in page.content.decode()
    unconfirmed = client.post("/audit/purge/", {"reason": "Retention"})
    assert unconfirmed.status_code == 200
    assert Partner.objects.filter(name="Old Partner").exists()
    missing_reason = client.post("/audit/purge/", {"confirm": "on"})
    assert "This field is required." in missing_reason.content.decode()
    done = client.post("/audit/purge/", {"reason": "Retention", "confirm": "on"}, follow=True)
    assert not Partner.objects.filter(name="Old Partner").exists()
    assert shows(done, "Retention")
    assert re.search(r"purged \d+ records? archived before", done.content.decode())


# --- No delete anywhere else ------------------------------------------------------------------


def test_the_api_has_no_delete_operation() -> None:
    paths = api.get_openapi_schema()["paths"]
    methods = {method for operations in paths.values() for method in operations}
    assert "delete" not in methods


def test_no_web_route_deletes() -> None:
    def names(resolver: object, prefix: str = "") -> list[str]:
        found = []
        for pattern in resolver.url_patterns:  # type: ignore[attr-defined]
            if hasattr(pattern, "url_patterns"):
                found += names(pattern, prefix + str(pattern.pattern))
            else:
                found.append(f"{prefix}{pattern.pattern} {pattern.name}")
        return found

    product = [route for route in names(get_resolver()) if not route.startswith("admin/")]
    assert not [route for route in product if "delete" in route.lower()]


# Where a row may be deleted at all, and why. The firm's books (partners, touches, commitments,
# referrals and what hangs off them) are never among them, except in the purge.
DELETES_ALLOWED = {
    "audit/services.py": "the retention purge",
    "playbook/services/meetings.py": "settings rows: meeting plan items; a moved meeting's snoozes",
    "playbook/services/cadences.py": "settings rows: cadence settings",
    "playbook/services/agenda.py": "settings rows: agenda snoozes",
    "playbook/services/library.py": "a question taken off a draft client case",
    "ops/services.py": "no records of the firm: heartbeats of workers gone, lost runs of a retry",
    "accounts/services.py": "no records of the firm: the API's rate counters of ended windows",
    "transfer/imports/engine.py": "a partner's tag links, replaced by the tags a re-import brings",
}


def test_only_the_purge_deletes_records() -> None:
    deleting = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts and re.search(r"\.delete\(", path.read_text())
    }
    assert deleting <= set(DELETES_ALLOWED), sorted(deleting - set(DELETES_ALLOWED))
