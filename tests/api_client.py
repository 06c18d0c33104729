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
