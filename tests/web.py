"""Helpers the web tests share: htmx headers, message checks and query counting."""

import difflib
import re
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


class QueryCount(int):
    """A number of queries that shows them when a comparison fails, so that a count that
    differs says which queries it differs by."""

    statements: list[str]

    def __repr__(self) -> str:
        return f"{int(self)} queries [{' | '.join(sql[:120] for sql in self.statements)}]"

    def differences(self, other: "QueryCount") -> list[str]:
        """The statements one count has and the other has not, with literals blanked (dates,
        ids and session keys differ between two requests of the same shape)."""

        def shapes(count: QueryCount) -> list[str]:
            return [LITERALS.sub("?", sql)[:300] for sql in count.statements]

        return [
            line
            for line in difflib.unified_diff(shapes(self), shapes(other), lineterm="", n=0)
            if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
        ]


LITERALS = re.compile(r"'[^']*'|\b\d+\b")


def queries_for(request: Callable[[], HttpResponse]) -> QueryCount:
    with CaptureQueriesContext(connection) as captured:
        response = request()
    assert response.status_code == 200
    count = QueryCount(len(captured))
    count.statements = [query["sql"] for query in captured.captured_queries]
    return count
