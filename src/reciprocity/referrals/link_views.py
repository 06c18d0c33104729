"""The partner's confirmation link: its public page (no account, no JavaScript needed), and the
advisor's buttons on the referral page to create and revoke links.

The public page answers every link that does not work (forged, expired, used, revoked) with the
same 404 page, and counts the tries of each network address in the cache (a 429 page beyond
``PARTNER_LINK_ATTEMPTS`` in ``PARTNER_LINK_WINDOW_SECONDS``).
"""

from typing import Any

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from reciprocity.accounts.decorators import write_required
from reciprocity.referrals import link_selectors
from reciprocity.referrals.drafts import link_email_draft, referral_memo
from reciprocity.referrals.link_forms import LinkCreateForm, PartnerAnswerForm
from reciprocity.referrals.link_models import LinkPurpose, ReferralLink
from reciprocity.referrals.services import confirmations
from reciprocity.referrals.views import _after_write, _detail, _get
from reciprocity.web.forms import add_service_errors
from reciprocity.web.http import AuthedRequest, flash_errors

LINK_CREATED = "Link created. Copy it now: it is shown only once."
LINK_REVOKED = "Link revoked: it no longer works."
THROTTLE_KEY = "partner-link:{address}"


# --- The partner's page -----------------------------------------------------------------------


def _throttled(request: HttpRequest) -> bool:
    """Count this try of the request's address; True once it is over the limit."""
    address = get_adapter().get_client_ip(request) or "unknown"
    key = THROTTLE_KEY.format(address=address)
    cache.add(key, 0, timeout=settings.PARTNER_LINK_WINDOW_SECONDS)
    try:
        tries = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=settings.PARTNER_LINK_WINDOW_SECONDS)
        tries = 1
    return tries > settings.PARTNER_LINK_ATTEMPTS


def _private(response: HttpResponse) -> HttpResponse:
    """The secret is in the URL: no search engine indexes it, no cache keeps it (never_cache),
    and no other site hears of it (the page links nowhere; the referrer policy is same-origin,
    which also lets the form's POST carry its origin for the CSRF check)."""
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _not_found(request: HttpRequest) -> HttpResponse:
    context = {"message": link_selectors.LINK_NOT_FOUND}
    return _private(render(request, "referrals/partner_link_gone.html", context, status=404))


@never_cache
@require_http_methods(["GET", "POST"])
def partner_link(request: HttpRequest, token: str) -> HttpResponse:
    """The page behind a partner's link: the referral as they may see it and their answer."""
    if _throttled(request):
        return _private(render(request, "referrals/partner_link_throttled.html", status=429))
    try:
        link = link_selectors.referral_link_for_token(token)
    except Http404:
        return _not_found(request)
    form = PartnerAnswerForm(request.POST or None, purpose=link.purpose)
    if request.method == "POST" and form.is_valid():
        try:
            answered = confirmations.referral_link_answer(link=link, **form.cleaned_data)
        except (confirmations.LinkGoneError, PermissionDenied):
            return _not_found(request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            done = {"link": answered, "advisor": link.created_by}
            return _private(render(request, "referrals/partner_link_done.html", done))
    referral = link.referral
    context: dict[str, Any] = {
        "link": link,
        "referral": referral,
        "advisor": link.created_by,
        "firm": referral.firm,
        # Without the client's consent the partner sees the memo only, never who the client is.
        "memo": "" if referral.has_consent else referral_memo(referral),
        "form": form,
        "receipt": link.purpose == LinkPurpose.RECEIPT,
    }
    return _private(render(request, "referrals/partner_link.html", context))


# --- The advisor's side -----------------------------------------------------------------------


def _absolute_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("partner_link", args=[token]))


def new_link_context(request: AuthedRequest, link: ReferralLink, token: str) -> dict[str, object]:
    """The one time the advisor sees a new link: its URL and a drafted email carrying it."""
    url = _absolute_url(request, token)
    expires = formats.date_format(link.expires_at, "M j, Y")
    draft = link_email_draft(
        link.referral, purpose=link.purpose, url=url, sender=request.user, expires=expires
    )
    return {"link": link, "url": url, "draft": draft}


@login_required
@require_POST
@write_required
def referral_link_create(request: AuthedRequest, pk: int) -> HttpResponse:
    referral = _get(request, pk)
    form = LinkCreateForm(request.POST)
    if not form.is_valid():
        flash_errors(request, form)
        return _after_write(request, referral)
    try:
        link, token = confirmations.referral_link_create(
            referral=referral, by=request.user, purpose=form.cleaned_data["purpose"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _after_write(request, referral)
    messages.success(request, LINK_CREATED)
    # Shown in this answer only, never stored: a reload of the referral page no longer has it.
    return _detail(request, _get(request, pk), new_link=new_link_context(request, link, token))


@login_required
@require_POST
@write_required
def referral_link_revoke(request: AuthedRequest, pk: int, link_pk: int) -> HttpResponse:
    referral = _get(request, pk)
    link = link_selectors.referral_link_get(referral=referral, pk=link_pk)
    try:
        confirmations.referral_link_revoke(link=link, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, LINK_REVOKED)
    return _after_write(request, referral)
