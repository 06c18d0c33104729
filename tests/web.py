"""Helpers the web tests share: htmx headers, message checks and query counting."""

from collections.abc import Callable

from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape


def htmx(target: str) -> dict[str, str]:
    """Headers htmx sends for a request whose answer replaces the element with id ``target``."""
    return {"HX-Request": "true", "HX-Target": target}


def shows(response: HttpResponse, message: str) -> bool:
    """The page shows ``message`` (as the template escapes it)."""
    return escape(message) in response.content.decode()


def is_partial(response: HttpResponse) -> bool:
    return "<html" not in response.content.decode()


def queries_for(request: Callable[[], HttpResponse]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = request()
    assert response.status_code == 200
    return len(captured)
