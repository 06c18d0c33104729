"""Input the database cannot hold, answered as bad input rather than as a server error.

A form field or a body may carry a number or a date no column can take (an id of thirty digits,
a year past 9999 once shifted): SQLite raises OverflowError when it binds the value and
PostgreSQL a DataError. Both come from what was sent, so the pages answer 400 and the API 422
(``reciprocity.api.errors``), with the same words, instead of 500.
"""

from collections.abc import Callable

from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.views.defaults import bad_request

# What the database raises for a value it cannot hold; the API maps the same errors.
OUT_OF_RANGE_ERRORS = (OverflowError, DataError)
OUT_OF_RANGE = "A value is out of the range that can be stored."


class OutOfRangeInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OUT_OF_RANGE_ERRORS):
            return bad_request(request, exception)
        return None
