from typing import Any

import pytest

from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_health_page_answers_in_a_real_browser(page: Any) -> None:
    response = page.goto("/health/")
    assert response.status == 200
    assert '"status": "ok"' in page.content()
    assert axe_violations(page, impacts=("critical",)) == []
