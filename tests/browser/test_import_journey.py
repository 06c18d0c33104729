"""The import walked in a real Chromium: upload, mapping, dry run, import with its progress bar
updating by itself, and the result."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from reciprocity.partners.models import Partner
from reciprocity.transfer.imports.models import ImportRun, ImportStatus
from reciprocity.transfer.imports.tasks import run_import
from tests.browser.conftest import axe_violations, log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

FILES = Path(__file__).parent.parent / "import_files"


def test_an_advisor_imports_a_redtail_export(page: Any) -> None:
    advisor = UserFactory(username="importer")
    log_in(page, advisor)
    page.goto("/partners/")
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_text("Files up to 200 MB")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Partners file").set_input_files(str(FILES / "redtail.csv"))
    page.get_by_label("Exported from").select_option("redtail")
    page.get_by_role("button", name="Upload and check the columns").click()

    expect(page.get_by_role("heading", name="Columns")).to_be_visible()
    expect(page.get_by_label("Company Name")).to_have_value("organization")
    page.get_by_role("button", name="Check (dry run)").click()
    expect(page.get_by_role("heading", name="What the import would do")).to_be_visible()
    expect(page.locator('[data-count="created"]')).to_have_text("3")
    assert axe_violations(page) == []
    assert not Partner.objects.exists()

    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Queued")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Import progress")).to_be_visible()
    run = ImportRun.objects.get()
    run_import.call(run.pk)
    # The page polls: the result appears without a reload.
    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Import progress")).to_have_attribute(
        "value", "100"
    )
    expect(page.locator('[data-count="created"]')).to_have_text("3")
    assert ImportRun.objects.get().status == ImportStatus.DONE
    assert axe_violations(page) == []
    page.get_by_role("link", name="See your partners").click()
    expect(page.get_by_role("link", name="Jane Doe")).to_be_visible()
