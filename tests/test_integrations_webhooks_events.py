"""The events told by a periodic check and by bulk changes: ``diagnosis.raised`` once when a
partner newly has a diagnosis, and ``partner.created`` for each partner an import brings in,
received by a real HTTP server on loopback that checks each signature."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reciprocity import events
from reciprocity.accounts.models import Role
from reciprocity.insights.diagnoses import diagnoses_for
from reciprocity.insights.services import dismissal_create
from reciprocity.integrations.webhooks.delivery import webhooks_send_due
from reciprocity.integrations.webhooks.diagnoses import diagnoses_tell
from reciprocity.integrations.webhooks.models import DiagnosisNotice, WebhookDelivery, WebhookEvent
from reciprocity.integrations.webhooks.services import webhook_endpoint_create
from reciprocity.integrations.webhooks.tasks import diagnoses_schedule, diagnoses_tick
from reciprocity.partners.models import Partner, Stage
from reciprocity.transfer.imports.models import ImportRun, ImportStatus
from reciprocity.transfer.imports.services import ImportFiles, import_run_create, import_run_execute
from tests.conftest import Cast
from tests.factories import FirmFactory, PartnerFactory, UserFactory
from tests.test_integrations_webhooks import (  # noqa: F401 (the receiver is a fixture)
    Receiver,
    endpoint_of,
    receiver,
    verified,
)

pytestmark = pytest.mark.django_db(transaction=True)


def not_meeting_new_clients(owner, name: str = "Walt Stagnant") -> Partner:  # type: ignore[no-untyped-def]
    """A partner met a month ago whose firm is not in growth mode: ``wrong_firm`` at once."""
    return PartnerFactory(owner=owner, name=name, stage=Stage.FIRST_MEETING, growth_mode=False)


def growth_mode(partner: Partner, value: bool) -> None:
    Partner.objects.filter(pk=partner.pk).update(growth_mode=value)


# --- diagnosis.raised -----------------------------------------------------------------------


def test_a_diagnosis_is_told_once_however_many_checks_run(
    cast: Cast,
    receiver: Receiver,  # noqa: F811
) -> None:
    endpoint = endpoint_of(cast, receiver.url, [events.DIAGNOSIS_RAISED])
    walt = not_meeting_new_clients(cast.alice)
    # Met a month ago, nothing wrong: too early to judge, a reassurance that is not told.
    PartnerFactory(owner=cast.alice, name="Nora New", stage=Stage.FIRST_MEETING)
    slugs = {(d.partner_name, d.slug) for d in diagnoses_for(advisor=cast.alice)}
    assert {("Walt Stagnant", "wrong_firm"), ("Nora New", "too_early")} <= slugs

    assert diagnoses_tell() == 1
    assert diagnoses_tell() == 0
    webhooks_send_due()

    [message] = receiver.received
    body = verified(endpoint, message)
    assert body["type"] == events.DIAGNOSIS_RAISED
    data = body["data"]
    assert data["partner"] == {"id": walt.pk, "name": "Walt Stagnant"}
    diagnosis = data["diagnosis"]
    assert (diagnosis["slug"], diagnosis["action"], diagnosis["reason"]) == (
        "wrong_firm",
        "walk_away",
        "wrong_firm",
    )
    assert diagnosis["title"] == "Their firm is not meeting new clients"
    assert diagnosis["severity"] == "medium"
    assert diagnosis["evidence"][0].startswith("Their firm is not in growth mode")
    assert data["raised_at"]
    notice = DiagnosisNotice.objects.get()
    assert (notice.partner, notice.slug, notice.cleared_at) == (walt, "wrong_firm", None)


def test_a_diagnosis_that_cleared_and_came_back_is_told_again(
    cast: Cast,
    receiver: Receiver,  # noqa: F811
) -> None:
    endpoint_of(cast, receiver.url, [events.DIAGNOSIS_RAISED])
    walt = not_meeting_new_clients(cast.alice)
    assert diagnoses_tell() == 1

    growth_mode(walt, True)
    assert diagnoses_tell() == 0
    assert DiagnosisNotice.objects.get().cleared_at is not None

    growth_mode(walt, False)
    assert diagnoses_tell() == 1
    assert diagnoses_tell() == 0
    webhooks_send_due()

    assert [(m.type, m.data["diagnosis"]["slug"]) for m in receiver.received] == [
        (events.DIAGNOSIS_RAISED, "wrong_firm"),
        (events.DIAGNOSIS_RAISED, "wrong_firm"),
    ]
    assert len({m.headers["webhook-id"] for m in receiver.received}) == 2
    assert DiagnosisNotice.objects.filter(cleared_at__isnull=True).count() == 1


def test_a_dismissed_diagnosis_is_not_told(
    cast: Cast,
    receiver: Receiver,  # noqa: F811
) -> None:
    endpoint_of(cast, receiver.url, [events.DIAGNOSIS_RAISED])
    walt = not_meeting_new_clients(cast.alice)
    dismissal_create(partner=walt, by=cast.alice, slug="wrong_firm", reason="Their new partner")

    assert diagnoses_tell() == 0
    webhooks_send_due()
    assert receiver.received == []
    assert not WebhookEvent.objects.exists()


def test_a_diagnosis_dismissed_after_it_was_told_is_cleared(
    cast: Cast,
    receiver: Receiver,  # noqa: F811
) -> None:
    endpoint_of(cast, receiver.url, [events.DIAGNOSIS_RAISED])
    walt = not_meeting_new_clients(cast.alice)
    assert diagnoses_tell() == 1
    dismissal_create(partner=walt, by=cast.alice, slug="wrong_firm", reason="Their new partner")
    assert diagnoses_tell() == 0
    assert DiagnosisNotice.objects.get().cleared_at is not None


def test_a_firms_endpoint_hears_only_of_its_own_partners_diagnoses(
    cast: Cast,
    receiver: Receiver,  # noqa: F811
) -> None:
    ours = endpoint_of(cast, receiver.url + "/harbor", [events.DIAGNOSIS_RAISED])
    other_admin = UserFactory(firm=cast.other_firm, role=Role.FIRM_ADMIN)
    theirs = webhook_endpoint_create(
        by=other_admin, url=receiver.url + "/elsewhere", events=[events.DIAGNOSIS_RAISED]
    )
    walt = not_meeting_new_clients(cast.alice)
    elsewhere = not_meeting_new_clients(cast.mallory, name="Elsa Elsewhere")
    # A firm with no endpoint wanting the event: its partners are not even diagnosed.
    quiet = UserFactory(firm=FirmFactory())
    not_meeting_new_clients(quiet, name="Quentin Quiet")

    assert diagnoses_tell() == 2
    webhooks_send_due()

    by_path = {message.path: message for message in receiver.received}
    assert set(by_path) == {"/hooks/harbor", "/hooks/elsewhere"}
    assert verified(ours, by_path["/hooks/harbor"])["data"]["partner"]["id"] == walt.pk
    assert verified(theirs, by_path["/hooks/elsewhere"])["data"]["partner"]["id"] == elsewhere.pk
    assert WebhookDelivery.objects.filter(endpoint=ours).count() == 1
    assert set(DiagnosisNotice.objects.values_list("firm_id", flat=True)) == {
        cast.firm.pk,
        cast.other_firm.pk,
    }


def test_an_endpoint_not_wanting_diagnoses_leaves_the_check_with_nothing_to_do(
    cast: Cast,
    receiver: Receiver,  # noqa: F811
) -> None:
    endpoint_of(cast, receiver.url, [events.TOUCH_LOGGED])
    not_meeting_new_clients(cast.alice)
    assert diagnoses_tell() == 0
    assert not DiagnosisNotice.objects.exists()


def test_the_check_costs_the_same_few_queries_however_many_partners_the_firm_has(
    cast: Cast,
    receiver: Receiver,  # noqa: F811
) -> None:
    endpoint_of(cast, receiver.url, [events.DIAGNOSIS_RAISED])

    def queries_of_a_check() -> int:
        with CaptureQueriesContext(connection) as queries:
            diagnoses_tell()
        return len(queries)

    for n in range(3):
        not_meeting_new_clients(cast.alice, name=f"Partner {n}")
    first_few = queries_of_a_check()
    for n in range(3, 40):
        not_meeting_new_clients(cast.alice, name=f"Partner {n}")
    assert queries_of_a_check() <= first_few
    assert DiagnosisNotice.objects.count() == 40
    # Nothing new: the endpoints, the firms, the partners with their readings, the notices.
    assert queries_of_a_check() <= 4


def test_a_long_running_worker_keeps_the_diagnoses_check_queued(cast: Cast) -> None:
    assert diagnoses_schedule()
    assert not diagnoses_schedule()  # once, whoever asks
    assert diagnoses_tick.call() == 0


# --- partner.created from an import ---------------------------------------------------------

HEADER = "ID,Name,Organization,Profession,Email\n"


def book_of(count: int, start: int = 0) -> str:
    rows = (f"r{n},Partner {n},Org {n},cpa,p{n}@example.com\n" for n in range(start, start + count))
    return HEADER + "".join(rows)


def run_import(user, text: str) -> ImportRun:  # type: ignore[no-untyped-def]
    files = ImportFiles(data=text.encode(), file_name="book.csv")
    return import_run_execute(run=import_run_create(by=user, files=files))


def test_an_import_tells_each_partner_it_created(
    cast: Cast,
    receiver: Receiver,  # noqa: F811
) -> None:
    endpoint = endpoint_of(cast, receiver.url, [events.PARTNER_CREATED])
    run = run_import(cast.alice, book_of(5))
    assert (run.status, run.created) == (ImportStatus.DONE, 5)
    assert webhooks_send_due() == 5

    created = {
        verified(endpoint, message)["data"]["partner"]["id"]: message
        for message in receiver.received
    }
    partners = Partner.objects.filter(owner=cast.alice, email__endswith="@example.com")
    assert set(created) == set(partners.values_list("pk", flat=True))
    assert {m.type for m in receiver.received} == {events.PARTNER_CREATED}
    first = receiver.received[0].data["partner"]
    assert (first["profession"], first["stage"], first["owner"]) == (
        "cpa",
        "identified",
        cast.alice.pk,
    )

    # Imported again: matched, updated or unchanged, nothing created, nothing told.
    run_import(cast.alice, book_of(5))
    assert webhooks_send_due() == 0


def test_an_import_refused_tells_nothing(
    cast: Cast,
    receiver: Receiver,  # noqa: F811
) -> None:
    endpoint_of(cast, receiver.url, [events.PARTNER_CREATED])
    run = run_import(cast.alice, book_of(3) + "r9,Bad Row,Nowhere,astronaut,\n")
    assert run.status == ImportStatus.REFUSED
    assert not WebhookEvent.objects.exists()
    assert webhooks_send_due() == 0


def test_an_imports_events_cost_the_same_queries_for_many_partners_as_for_few(
    cast: Cast,
    receiver: Receiver,  # noqa: F811
) -> None:
    endpoint_of(cast, receiver.url, [events.PARTNER_CREATED])
    endpoint_of(cast, receiver.url + "/second", [events.PARTNER_CREATED])

    def queries_of_an_import(text: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert run_import(cast.alice, text).status == ImportStatus.DONE
        return len(queries)

    few = queries_of_an_import(book_of(2))
    many = queries_of_an_import(book_of(60, start=100))
    assert many <= few
    assert WebhookEvent.objects.filter(type=events.PARTNER_CREATED).count() == 62
    assert WebhookDelivery.objects.count() == 124
