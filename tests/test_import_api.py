"""POST /api/v1/imports (multipart) checks or queues an import; GET /api/v1/imports/{id}
follows it."""

from django.core.files.uploadedfile import SimpleUploadedFile

from reciprocity.partners.models import Partner
from reciprocity.transfer.imports.tasks import run_import
from tests.api_client import API, token_client

BOOK = b"ID,Name,Organization,Profession\n7,Jane Doe,Doe CPA,cpa\n8,Raj Patel,Patel Law,lawyer\n"


def post(client, data: bytes = BOOK, name: str = "book.csv", **fields):
    return client.post(f"{API}/imports", {"file": SimpleUploadedFile(name, data), **fields})


def test_a_dry_run_answers_the_counts_and_writes_nothing(cast):
    response = post(token_client(cast.alice), dry_run="true")
    assert response.status_code == 200
    assert response.json() == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "touches": 0,
        "refused": [],
        "duplicates": [],
    }
    assert not Partner.objects.filter(name="Jane Doe").exists()


def test_an_import_is_queued_and_followed_to_its_result(cast, django_capture_on_commit_callbacks):
    client = token_client(cast.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client)
    assert response.status_code == 202
    body = response.json()
    # The file's rows, its header apart.
    assert (body["status"], body["progress"], body["total"]) == ("queued", 0, 2)
    run_import.call(body["id"])
    done = client.call("GET", f"imports/{body['id']}").json()
    assert (done["status"], done["created"], done["percent"]) == ("done", 2, 100)
    assert Partner.objects.get(name="Raj Patel").profession == "attorney"
    assert token_client(cast.bob).call("GET", f"imports/{body['id']}").status_code == 404


def test_a_bad_file_answers_422_with_the_reason(cast):
    response = post(
        token_client(cast.alice), b"BEGIN:VCARD\nVERSION:3.0\nFN Jane\nEND:VCARD\n", "a.vcf"
    )
    assert response.status_code == 422
    assert "Line 3" in response.json()["detail"]


def test_an_unknown_preset_is_refused(cast):
    response = post(token_client(cast.alice), preset="salesforce", dry_run="true")
    assert response.status_code == 422
    assert "Unknown preset 'salesforce'" in response.json()["detail"]
