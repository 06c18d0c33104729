"""Clients for the REST API: as an integrator (a personal access token) or as a browser."""

import json
from typing import Any

from django.test import Client

from reciprocity.accounts.models import User
from reciprocity.accounts.services import token_create

API = "/api/v1"


class ApiClient(Client):
    """Sends and reads JSON; paths are relative to /api/v1/."""

    def call(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        data = json.dumps(body) if body is not None else ""
        return self.generic(
            method, f"{API}/{path.lstrip('/')}", data, content_type="application/json", **extra
        )


def token_client(user: User) -> ApiClient:
    _token, key = token_create(user=user, name="tests")
    return ApiClient(HTTP_AUTHORIZATION=f"Bearer {key}")


def session_client(user: User, *, enforce_csrf_checks: bool = False) -> ApiClient:
    client = ApiClient(enforce_csrf_checks=enforce_csrf_checks)
    client.force_login(user)
    return client


def refused(response: Any, field: str | None, message: str | None = None) -> None:
    """A 422 whose errors name ``field`` (with ``message``, when given), with a ``detail``."""
    assert response.status_code == 422, response.json()
    errors = response.json()["errors"]
    assert field in [e["field"] for e in errors], errors
    if message is not None:
        assert {"field": field, "message": message} in errors
    assert response.json()["detail"]
