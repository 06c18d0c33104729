"""Forms of the sign-in pages and the firm admin's pages; the services decide what is saved."""

import datetime as dt
from typing import Any

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.utils import timezone

from reciprocity.accounts.models import DEFAULT_YIELD_TARGET, Firm, Role, Team, TokenScope, User
from reciprocity.accounts.selectors import advisors_of_firm, teams_of_firm
from reciprocity.accounts.services import FIRM_SETTINGS


class PersonChoiceField(forms.ModelChoiceField):
    """A choice of people of the firm, each named as the pages name them (``display_name``),
    not by their username."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class LoginForm(AllauthLoginForm):
    """Allauth's sign-in form, with the field named for what it takes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Username or email"
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)


class AdminForm(forms.Form):
    """No colon after labels; ids prefixed per form so several forms can share a page."""

    prefix_id = "id"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.prefix_id}-%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class InviteForm(AdminForm):
    prefix_id = "invite"
    email = forms.EmailField(max_length=254)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.ADVISOR)
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, admin: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = teams_of_firm(admin=admin)
        self.fields["teams"].queryset = teams  # type: ignore[attr-defined]
        if not teams.exists():
            del self.fields["teams"]


class RoleForm(AdminForm):
    prefix_id = "role"
    role = forms.ChoiceField(choices=Role.choices)


class TeamForm(AdminForm):
    prefix_id = "team"
    name = forms.CharField(max_length=120)
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, admin: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = advisors_of_firm(user=admin)  # type: ignore[attr-defined]
        self.fields["members"].label_from_instance = lambda user: user.display_name  # type: ignore[attr-defined]


class FirmSettingsForm(AdminForm):
    """The firm's settings, with the model's labels, help and limits (the service saves)."""

    prefix_id = "firm"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(Firm, fields=FIRM_SETTINGS))
        self.fields["dormancy_days"].label = "Dormancy after (days)"
        # Left out of a submission (an older form), the yield target stays as it is.
        self.fields["yield_target"].required = False

    def clean_yield_target(self) -> int:
        value = self.cleaned_data.get("yield_target")
        if value is None:
            return int(self.initial.get("yield_target") or DEFAULT_YIELD_TARGET)
        return int(value)


# How long a new token lasts, in days; None: until it is revoked.
TOKEN_LIFETIMES = {"30": 30, "90": 90, "365": 365, "never": None}


class TokenForm(AdminForm):
    """A new personal access token: what it is for, how long it lasts, what it may do."""

    prefix_id = "token"

    name = forms.CharField(
        max_length=100, help_text="What it is for, to recognise it later: 'CRM sync'."
    )
    expires = forms.ChoiceField(
        label="Expires",
        choices=[
            ("30", "In 30 days"),
            ("90", "In 90 days"),
            ("365", "In a year"),
            ("never", "Never (until revoked)"),
        ],
        initial="90",
    )
    scope = forms.ChoiceField(
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
        help_text="A read-only token can read your book but is refused every change.",
    )

    def expires_at(self) -> dt.datetime | None:
        days = TOKEN_LIFETIMES[self.cleaned_data["expires"]]
        return None if days is None else timezone.now() + dt.timedelta(days=days)
