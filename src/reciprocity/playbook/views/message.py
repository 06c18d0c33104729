"""Web pages of the advisor's message, the digest preference, and a partner's message check."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from reciprocity.accounts.decorators import posting_requires_write, write_required
from reciprocity.playbook.forms.message import DigestForm, MessageCheckForm, MessageForm
from reciprocity.playbook.selectors.message import advisor_profile_of
from reciprocity.playbook.services.message import (
    advisor_digest_set,
    advisor_message_set,
    message_check_record,
)
from reciprocity.playbook.views.common import partner_form_posted
from reciprocity.playbook.views.overview import panel_or_redirect
from reciprocity.web.forms import form_submitted
from reciprocity.web.http import AuthedRequest


@login_required
@require_POST
@write_required
def message_check(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = partner_form_posted(
        request,
        pk,
        MessageCheckForm,
        message_check_record,
        done="Recorded whether they could say your message back.",
    )
    return panel_or_redirect(request, partner)


@login_required
@require_http_methods(["GET", "POST"])
@posting_requires_write
def playbook_message(request: AuthedRequest) -> HttpResponse:
    profile = advisor_profile_of(advisor=request.user)
    form = MessageForm(
        request.POST or None,
        initial={
            "whom_i_help": profile.whom_i_help if profile else "",
            "what_is_unique": profile.what_is_unique if profile else "",
        },
    )
    if form_submitted(
        request,
        form,
        lambda data: advisor_message_set(by=request.user, **data),
        done="Your message is saved; it opens every meeting brief.",
    ):
        return redirect("playbook_message")
    return render(
        request,
        "playbook/message.html",
        {
            "form": form,
            "digest_form": DigestForm(
                initial={"weekly_digest": profile.weekly_digest if profile else True}
            ),
            "can_write": not request.user.is_read_only,
        },
    )


@login_required
@require_POST
@write_required
def playbook_digest(request: AuthedRequest) -> HttpResponse:
    form = DigestForm(request.POST)
    if form.is_valid():
        advisor_digest_set(by=request.user, **form.cleaned_data)
        on = form.cleaned_data["weekly_digest"]
        messages.success(request, "Weekly digest on." if on else "Weekly digest off.")
    return redirect("playbook_message")
