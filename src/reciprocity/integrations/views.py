"""The advisor's logging address and the messages waiting to be filed; and the endpoint a mail
provider posts raw messages to."""

import hmac
import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from reciprocity.accounts.decorators import write_required
from reciprocity.integrations import selectors, services
from reciprocity.integrations.forms import MailFileForm, MailNewPartnerForm
from reciprocity.integrations.mail.parsing import MailRefused, MailTooLarge
from reciprocity.web.forms import form_posted
from reciprocity.web.http import AuthedRequest

log = logging.getLogger(__name__)

INBOUND_UNAUTHORIZED = "Unauthorized."
INBOUND_NO_MESSAGE = "Post the raw message as the body (message/rfc822) or as the field email."


def _page(request: AuthedRequest, **forms: Any) -> HttpResponse:
    advisor = request.user
    waiting = list(selectors.mail_waiting_of(advisor=advisor)[: selectors.WAITING_SHOWN])
    rows = [
        (
            message,
            forms.get(f"file-{message.pk}")
            or MailFileForm(user=advisor, message=message, initial=_first(message)),
            forms.get(f"new-{message.pk}")
            or MailNewPartnerForm(message=message, initial=_first(message, "email")),
        )
        for message in waiting
    ]
    return render(
        request,
        "integrations/mail_in.html",
        {
            "address": selectors.mail_address_of(advisor=advisor),
            "rows": rows,
            "waiting_count": selectors.mail_waiting_of(advisor=advisor).count(),
            "recent": list(selectors.mail_recent_of(advisor=advisor)[:10]),
            "can_write": not advisor.is_read_only,
        },
    )


def _first(message: Any, field: str = "address") -> dict[str, str]:
    return {field: message.unknown_addresses[0]} if message.unknown_addresses else {}


@login_required
@require_GET
def mail_in(request: AuthedRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
@write_required
def mail_in_renew(request: AuthedRequest) -> HttpResponse:
    address = services.mail_address_renew(by=request.user)
    messages.success(request, f"Your logging address is now {address.address}.")
    return redirect("mail_in")


@login_required
@require_POST
@write_required
def mail_in_file(request: AuthedRequest, pk: int) -> HttpResponse:
    message = selectors.mail_message_get_for(advisor=request.user, pk=pk)
    form = MailFileForm(request.POST, user=request.user, message=message)
    if form_posted(
        request,
        form,
        lambda data: services.mail_file(
            message=message, partner=data["partner"], by=request.user, address=data["address"]
        ),
        done=lambda: f"Logged on {form.cleaned_data['partner'].name}: {message.subject}",
    ):
        return redirect("mail_in")
    return _page(request, **{f"file-{message.pk}": form})


@login_required
@require_POST
@write_required
def mail_in_new_partner(request: AuthedRequest, pk: int) -> HttpResponse:
    message = selectors.mail_message_get_for(advisor=request.user, pk=pk)
    form = MailNewPartnerForm(request.POST, message=message)
    if form_posted(
        request,
        form,
        lambda data: services.mail_file_as_new_partner(message=message, by=request.user, **data),
        done=lambda: f"Added {form.cleaned_data['name']} and logged the email on them.",
    ):
        return redirect("mail_in")
    return _page(request, **{f"new-{message.pk}": form})


@login_required
@require_POST
@write_required
def mail_in_dismiss(request: AuthedRequest, pk: int) -> HttpResponse:
    message = selectors.mail_message_get_for(advisor=request.user, pk=pk)
    services.mail_dismiss(message=message, by=request.user)
    messages.success(request, f"Dismissed: {message.subject or services.NO_SUBJECT}")
    return redirect("mail_in")


def _raw_message(request: HttpRequest) -> bytes:
    """The raw message: the body itself, or the form field mail providers use for it."""
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for name in ("email", "body-mime"):
            upload = request.FILES.get(name)
            if upload is not None:
                return upload.read(settings.MAIL_IN_MAX_BYTES + 1)
            if name in request.POST:
                return request.POST[name].encode("utf-8", "surrogateescape")
        return b""
    # Read past Django's in-memory body limit up to the mail limit, and one byte more, so a
    # message over it is refused as too large rather than cut.
    return request.read(settings.MAIL_IN_MAX_BYTES + 1)


@csrf_exempt
@require_POST
def mail_in_inbound(request: HttpRequest) -> HttpResponse:
    """A mail provider's inbound webhook: the raw message, with ``Authorization: Bearer
    <MAIL_IN_SECRET>``. Off (404) while MAIL_IN_SECRET is not set."""
    secret = settings.MAIL_IN_SECRET
    if not secret:
        raise Http404("Not found.")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), secret.encode()):
        log.warning("Mail refused: wrong inbound secret from %s", request.META.get("REMOTE_ADDR"))
        return JsonResponse({"detail": INBOUND_UNAUTHORIZED}, status=401)
    raw = _raw_message(request)
    if not raw:
        return JsonResponse({"detail": INBOUND_NO_MESSAGE}, status=422)
    try:
        result = services.mail_receive(raw=raw)
    except MailRefused as refused:
        log.warning("Mail refused: %s", refused)
        status = 413 if isinstance(refused, MailTooLarge) else 422
        return JsonResponse({"detail": str(refused)}, status=status)
    return JsonResponse(
        {"touches": result.touches, "unmatched": result.unmatched, "duplicates": result.duplicates},
        status=202,
    )
