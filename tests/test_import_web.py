"""The import page: upload, mapping, dry run, import and its progress, without JavaScript."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reciprocity.partners.models import Partner
from reciprocity.transfer.imports.models import ImportRun, ImportStatus
from reciprocity.transfer.imports.tasks import run_import
from tests.conftest import client_for

BOOK = b"Full Name,Company,Kind of pro,E-mail\nJane Doe,Doe CPA,cpa,jane@example.com\n"


def upload(client, data: bytes = BOOK, name: str = "book.csv", **extra):
    return client.post(reverse("import_start"), {"file": SimpleUploadedFile(name, data), **extra})


def test_the_page_states_the_size_limit_and_offers_the_template(cast):
    client = client_for(cast.alice)
    page = client.get(reverse("import_start"))
    assert "200 MB" in page.content.decode()
    template = client.get(reverse("import_template"))
    first = b"".join(template.streaming_content).decode().splitlines()[0]
    assert first.startswith("External id,Name,Organization,Profession")


def test_upload_map_check_and_import(cast, django_capture_on_commit_callbacks):
    client = client_for(cast.alice)
    response = upload(client)
    run = ImportRun.objects.get()
    assert response.url == reverse("import_run", args=[run.pk])
    page = client.get(response.url).content.decode()
    # Guessed from the header, except the column nobody could guess.
    assert 'value="name" selected' in page
    assert "Kind of pro" in page
    mapping = {
        "column_0": "name",
        "column_1": "organization",
        "column_2": "profession",
        "column_3": "email",
        "action": "check",
    }
    checked = client.post(response.url, mapping).content.decode()
    assert 'data-count="created">1<' in checked
    assert not Partner.objects.exclude(
        pk__in=[cast.alice_private.pk, cast.alice_shared.pk, cast.mallory_partner.pk]
    ).exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {**mapping, "action": "import"})
    run.refresh_from_db()
    assert run.status == ImportStatus.QUEUED
    run_import.call(run.pk)
    page = client.get(response.url).content.decode()
    assert 'data-count="created">1<' in page
    assert Partner.objects.get(email="jane@example.com").profession == "cpa"
    progress = client.get(
        response.url, headers={"HX-Request": "true", "HX-Target": "import-progress"}
    )
    assert 'id="import-progress"' in progress.content.decode()
    assert "<html" not in progress.content.decode()


def test_a_bad_file_is_refused_on_the_upload_with_the_reason(cast):
    response = upload(client_for(cast.alice), b"\x00\x01PK garbage", name="book.csv")
    assert response.status_code == 400
    assert "binary data" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_another_advisors_import_is_not_found(cast):
    upload(client_for(cast.alice))
    run = ImportRun.objects.get()
    assert client_for(cast.bob).get(reverse("import_run", args=[run.pk])).status_code == 404


def test_a_compliance_officer_cannot_import(cast):
    assert upload(client_for(cast.cole)).status_code == 403


def test_values_are_mapped_on_the_mapping_step(cast):
    client = client_for(cast.alice)
    response = upload(client, b"Name,Type\nJane Doe,Numbers person\n")
    mapping = {"column_0": "name", "column_1": "profession", "action": "check"}
    refused = client.post(response.url, mapping).content.decode()
    assert "Unknown profession &#x27;Numbers person&#x27;" in refused
    wrong = client.post(response.url, {**mapping, "values": "profession: Numbers person = cap"})
    assert wrong.status_code == 400
    assert "not one of the choices" in wrong.content.decode()
    checked = client.post(response.url, {**mapping, "values": "profession: Numbers person = cpa"})
    assert 'data-count="created">1<' in checked.content.decode()
    assert ImportRun.objects.get().values == {"profession": {"Numbers person": "cpa"}}
