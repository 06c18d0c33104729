"""API clients the playbook's API tests share: an advisor's, and a firm admin's."""

import pytest

from tests.api_client import ApiClient, token_client
from tests.conftest import Cast


@pytest.fixture
def api(playbook_cast: Cast) -> ApiClient:
    return token_client(playbook_cast.alice)


@pytest.fixture
def admin(playbook_cast: Cast) -> ApiClient:
    return token_client(playbook_cast.ada)
