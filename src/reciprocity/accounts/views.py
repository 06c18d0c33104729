"""The firm admin's pages: people (invite, role, deactivate), teams and the firm's settings.

Pages about one person or team find it through the selectors, so anyone who is not an admin of
that firm gets a 404; the firm-wide pages refuse other roles with a 403.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reciprocity.accounts import selectors, services
from reciprocity.accounts.decorators import firm_admin_required
from reciprocity.accounts.forms import (
    FirmSettingsForm,
    InviteForm,
    RoleForm,
    TeamForm,
    TokenForm,
)
from reciprocity.accounts.models import User
from reciprocity.web.forms import add_service_errors, form_creates
from reciprocity.web.http import action_taken


class AdminRequest(HttpRequest):
    user: User


@login_required
@require_GET
def email_managed_by_firm(request: AdminRequest) -> HttpResponse:
    return render(request, "accounts/email_managed.html")


def _people_context(request: AdminRequest, invite_form: InviteForm) -> dict[str, Any]:
    return {
        "people": selectors.people_of_firm(admin=request.user),
        "invite_form": invite_form,
    }


@firm_admin_required
@require_http_methods(["GET", "POST"])
def people(request: AdminRequest) -> HttpResponse:
    form = InviteForm(request.POST or None, admin=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.advisor_invite(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            services.invitation_send(user=person, by=request.user, request=request)
            messages.success(
                request,
                f"Invitation sent to {person.email}. They sign in as {person.username} "
                "once they have chosen a password.",
            )
            return redirect("firm_people")
    return render(request, "accounts/people.html", _people_context(request, form))


@login_required
@require_http_methods(["GET", "POST"])
def person(request: AdminRequest, pk: int) -> HttpResponse:
    target = selectors.person_get_for(admin=request.user, pk=pk)
    form = RoleForm(request.POST or None, initial={"role": target.role})
    if request.method == "POST" and form.is_valid():
        try:
            services.person_change_role(
                person=target, by=request.user, role=form.cleaned_data["role"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{target.display_name} is now {target.get_role_display()}.")
            return redirect("firm_person", pk=target.pk)
    return render(request, "accounts/person.html", {"person": target, "form": form})


def _deactivate(request: AdminRequest, person: User) -> str:
    services.person_deactivate(person=person, by=request.user)
    return f"{person.display_name} can no longer sign in."


def _reactivate(request: AdminRequest, person: User) -> str:
    services.person_reactivate(person=person, by=request.user)
    return f"{person.display_name} can sign in again."


def _invite_again(request: AdminRequest, person: User) -> str:
    services.invitation_send(user=person, by=request.user, request=request)
    return f"Invitation sent again to {person.email}."


# The buttons on a person's page, by the name of their route: each runs a service and says
# what it did.
PERSON_ACTIONS: dict[str, Callable[[AdminRequest, User], str]] = {
    "deactivate": _deactivate,
    "reactivate": _reactivate,
    "invite": _invite_again,
}


def _person_action(request: AdminRequest, pk: int, action: str) -> HttpResponse:
    target = selectors.person_get_for(admin=request.user, pk=pk)
    action_taken(request, lambda: PERSON_ACTIONS[action](request, target))
    return redirect("firm_person", pk=target.pk)


@login_required
@require_POST
def person_deactivate(request: AdminRequest, pk: int) -> HttpResponse:
    return _person_action(request, pk, "deactivate")


@login_required
@require_POST
def person_reactivate(request: AdminRequest, pk: int) -> HttpResponse:
    return _person_action(request, pk, "reactivate")


@login_required
@require_POST
def person_invite(request: AdminRequest, pk: int) -> HttpResponse:
    return _person_action(request, pk, "invite")


@firm_admin_required
@require_http_methods(["GET", "POST"])
def teams(request: AdminRequest) -> HttpResponse:
    form = TeamForm(request.POST or None, admin=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(
                firm=request.user.firm,  # type: ignore[arg-type]
                name=form.cleaned_data["name"].strip(),
                members=list(form.cleaned_data["members"]),
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Team {team.name} created.")
            return redirect("firm_teams")
    return render(
        request,
        "accounts/teams.html",
        {"teams": selectors.teams_of_firm(admin=request.user), "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def team(request: AdminRequest, pk: int) -> HttpResponse:
    target = selectors.team_get_for(admin=request.user, pk=pk)
    initial = {"name": target.name, "members": [member.pk for member in target.members.all()]}
    form = TeamForm(request.POST or None, admin=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(
                team=target,
                by=request.user,
                name=form.cleaned_data["name"],
                members=list(form.cleaned_data["members"]),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Team {target.name} saved.")
            return redirect("firm_teams")
    return render(request, "accounts/team.html", {"team": target, "form": form})


@firm_admin_required
@require_http_methods(["GET", "POST"])
def firm_settings(request: AdminRequest) -> HttpResponse:
    firm = request.user.firm
    assert firm is not None  # a firm admin has a firm
    initial = {field: getattr(firm, field) for field in services.FIRM_SETTINGS}
    form = FirmSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.firm_update(firm=firm, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Firm settings saved.")
            return redirect("firm_settings")
    return render(request, "accounts/firm_settings.html", {"firm": firm, "form": form})


# --- The user's own API tokens ------------------------------------------------------------------
def _tokens_page(request: HttpRequest, form: TokenForm, secret: str | None = None) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    return render(
        request,
        "accounts/tokens.html",
        {
            "tokens": selectors.tokens_of(user=user),
            "form": form,
            "secret": secret,
            "now": timezone.now(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's personal access tokens for the REST API: create one (its secret is shown on
    the answer to that request, once), list them with their last use, revoke one."""
    if request.method != "POST":
        return _tokens_page(request, TokenForm())
    form = TokenForm(request.POST)
    created = form_creates(
        form,
        lambda data: services.token_create(
            user=request.user,  # type: ignore[arg-type]
            name=data["name"],
            scope=data["scope"],
            expires_at=form.expires_at(),
        ),
    )
    if created is None:
        return _tokens_page(request, form)
    _token, secret = created
    # Rendered, not redirected: the secret is in this answer only, never in a URL or a session.
    response = _tokens_page(request, TokenForm(), secret=secret)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    token = services.token_revoke(token=selectors.token_get_for(user=user, pk=pk), by=user)
    messages.success(request, f"Token {token.name} revoked: it is refused from now on.")
    return redirect("api_tokens")
