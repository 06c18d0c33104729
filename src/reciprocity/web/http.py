"""Requests and responses of the product's pages.

Every write answers a plain POST with a redirect, so it works without JavaScript. An htmx request
names the page region it came from (the HX-Target header); the answer is that region re-rendered
in place, with the flash messages swapped in out of band.
"""

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from reciprocity.accounts.models import User
from reciprocity.records import rows_between

# Pages answer htmx with a fragment: caches must keep fragments and full pages apart.
vary_on_htmx = vary_on_headers("HX-Request", "HX-Target")


class AuthedRequest(HttpRequest):
    user: User
    htmx: HtmxDetails


def htmx_target(request: AuthedRequest) -> str | None:
    """The id of the page region an htmx request asks for; None for a whole page."""
    return request.htmx.target if request.htmx else None


def render_region(
    request: AuthedRequest, template_name: str, context: dict[str, Any]
) -> HttpResponse:
    """A region for htmx, plus the flash messages swapped in out of band."""
    response = render(request, template_name, context)
    response.write(render_to_string("includes/messages.html", {"oob": True}, request=request))
    return response


def safe_next(request: AuthedRequest) -> str:
    """The ``next`` address the request carries, when it stays on this site; else ""."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if allowed else ""


def flash_errors(request: AuthedRequest, form: BaseForm) -> None:
    """A form's errors as flash messages, for forms posted from a page that does not show them."""
    for errors in form.errors.values():
        messages.error(request, " ".join(str(error) for error in errors))


def action_taken(request: HttpRequest, act: Callable[[], str]) -> bool:
    """Run a button's service: say what it did (``act`` returns that), or flash why the
    service refused. True when done."""
    try:
        done = act()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return False
    messages.success(request, done)
    return True


class KeysFirstPaginator(Paginator):
    """Pages of a queryset whose derived values (annotations) are computed for the page's rows
    only, however deep the page (``records.rows_between``)."""

    def page(self, number: Any) -> Any:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return Page(rows_between(cast(QuerySet[Any], self.object_list), bottom, top), number, self)
