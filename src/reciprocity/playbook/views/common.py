"""Small helpers the playbook's web pages share."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from reciprocity.accounts.decorators import posting_requires_write
from reciprocity.accounts.models import Role
from reciprocity.partners import selectors as partner_selectors
from reciprocity.web.forms import form_creates, form_posted, form_submitted
from reciprocity.web.http import AuthedRequest


def partner_or_404(request: AuthedRequest, pk: int) -> Any:
    return partner_selectors.partner_get_for(advisor=request.user, pk=pk)


def can_write_partner(request: AuthedRequest, partner: Any) -> bool:
    return not request.user.is_read_only and partner.archived_at is None


def is_firm_admin(request: AuthedRequest) -> bool:
    return request.user.role == Role.FIRM_ADMIN


def partner_page(
    request: AuthedRequest,
    partner: Any,
    template: str,
    context: dict[str, Any],
    *,
    writable: bool = True,
) -> HttpResponse:
    """A page about one partner: the partner, whether this user may write there, the rest."""
    can_write = writable and can_write_partner(request, partner)
    return render(request, template, {"partner": partner, "can_write": can_write, **context})


def firm_entries_page(
    request: AuthedRequest,
    form: forms.Form,
    add: Callable[..., object],
    *,
    added: str,
    template: str,
    entries: Callable[[], dict[str, Any]],
) -> HttpResponse:
    """A page of the firm's shared entries (cadence defaults, the question bank, the library):
    ``entries`` lists them, and the form adds one through the service ``add`` (by=, **the
    form's data), which refuses anyone but a firm admin."""
    if form_submitted(request, form, lambda data: add(by=request.user, **data), done=added):
        return redirect(request.path)
    context = {**entries(), "form": form, "is_admin": is_firm_admin(request)}
    return render(request, template, context)


def partner_form_posted(
    request: AuthedRequest,
    pk: int,
    form: type[forms.Form],
    write: Callable[..., object],
    *,
    done: str | Callable[[Any, dict[str, Any]], str],
) -> Any:
    """A form about a partner posted from a page that does not show it: the service ``write``
    runs (partner=, by=, **the form's data), then ``done`` is said (called with the partner and
    the data, once written) or the refusal flashed. The partner, for the answer."""
    partner = partner_or_404(request, pk)
    posted = form(request.POST)
    form_posted(
        request,
        posted,
        lambda data: write(partner=partner, by=request.user, **data),
        done=done if isinstance(done, str) else lambda: done(partner, posted.cleaned_data),
    )
    return partner


@dataclass(frozen=True)
class PartnerRecords:
    """A partner's page of one kind of record: the list, and a form that starts one."""

    template: str
    form: type[forms.Form]
    create: Callable[..., Any]  # the service: (partner=, by=, **the form's data) -> the record
    created: str  # said once the record is made
    detail: str  # the record's page: a URL name taking the partner's id and the record's
    listing: str  # the list's name in the template
    records: Callable[..., Iterable[Any]]  # the selector: (partner=) -> the records

    def view(self) -> Callable[[AuthedRequest, int], HttpResponse]:
        """The page as a view taking the partner's id."""

        @login_required
        @require_http_methods(["GET", "POST"])
        @posting_requires_write
        def page(request: AuthedRequest, pk: int) -> HttpResponse:
            return partner_records_page(request, pk, self)

        return page


def partner_records_page(request: AuthedRequest, pk: int, page: PartnerRecords) -> HttpResponse:
    partner = partner_or_404(request, pk)
    form = page.form(request.POST or None)
    if request.method == "POST":
        record = form_creates(
            form, lambda data: page.create(partner=partner, by=request.user, **data)
        )
        if record is not None:
            messages.success(request, page.created)
            return redirect(page.detail, partner.pk, record.pk)
    context = {page.listing: list(page.records(partner=partner)), "form": form}
    return partner_page(request, partner, page.template, context)
