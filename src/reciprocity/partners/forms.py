"""Web forms: they parse what the browser sends; the services decide what may be saved.

A service refuses bad input with a ValidationError whose messages are module constants;
``add_service_errors`` puts those messages on the form's fields so the page shows them in place.
"""

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils import timezone

from reciprocity.accounts.models import Team, User
from reciprocity.accounts.selectors import advisors_of_firm, teams_of
from reciprocity.partners import services
from reciprocity.partners.models import (
    PIPELINE_STAGES,
    CommitmentOwner,
    CommitmentStatus,
    FailureReason,
    Partner,
    Profession,
    Stage,
    TouchKind,
)
from reciprocity.partners.selectors import owners_visible_to
from reciprocity.web.forms import DateInput, DateTimeLocalInput, PageForm, now_local


class PartnerForm(PageForm, forms.ModelForm):
    """Name, profession, organization and the profile. Never saved directly: the view passes
    ``service_kwargs()`` to partner_create or partner_update."""

    # Creating for oneself needs no owner; editing keeps the one shown.
    owner_optional = False
    # Most profile fields are optional, so the few required ones are marked.
    mark_required = True

    tags = forms.CharField(
        required=False,
        max_length=500,
        help_text="Comma-separated, for example: estate planning, downtown.",
    )

    class Meta:
        model = Partner
        fields = (*services.PROFILE_FIELDS, "team")
        labels = {
            "profession_other": "Profession, if other",
            "organization": "Firm or organization",
            "organization_size": "Size of their firm",
            "niche": "Clients they serve",
            "growth_mode": "Is their firm in growth mode?",
            "propensity_to_refer": "Propensity to refer",
            "preferred_referral_process": "How they like to receive referrals",
            "preferred_contact_method": "How they prefer to be contacted",
            "values": "What they value",
            "can_describe_value": "Can they say whom you help and what is unique about you?",
            "team": "Share with team",
        }
        help_texts = {
            "team": "Team members see and work this partner with you.",
            "growth_mode": "A firm meeting new clients can refer; a stagnant one rarely does.",
        }
        widgets = {
            "specialties": forms.Textarea(attrs={"rows": 2}),
            "niche": forms.Textarea(attrs={"rows": 2}),
            "values": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    id_prefix = "profile"

    def __init__(
        self, *args: Any, user: User, partner: Partner | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            # Say what an empty choice means instead of Django's generic prompt.
            if isinstance(field, forms.ChoiceField) and not isinstance(
                field, forms.ModelChoiceField
            ):
                choices = list(cast(list[tuple[Any, str]], field.choices))
                if choices and choices[0][0] in ("", None):
                    choices[0] = ("", "Choose one" if field.required else "Not recorded")
                    field.choices = choices
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ModelChoiceField)
        team_field.queryset = teams_of(user=user)
        team_field.empty_label = "Not shared (only you)"
        if partner is not None and partner.owner_id != user.pk and not user.sees_whole_firm:
            # Sharing is the owner's decision (the services refuse it from a teammate).
            del self.fields["team"]
        # Handing a partner to a colleague is the owner's decision, or a firm admin's.
        if user.sees_whole_firm or (partner is not None and partner.owner_id == user.pk):
            self.fields["owner"] = forms.ModelChoiceField(
                queryset=advisors_of_firm(user=user),
                required=not self.owner_optional,
                empty_label="Me" if self.owner_optional else None,
                help_text="The advisor who runs this relationship.",
            )

    def _post_clean(self) -> None:
        # The services validate the model (and say why in their own words); the form only parses.
        pass

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["tags"] = [tag.strip() for tag in data.pop("tags", "").split(",") if tag.strip()]
        owner: User | None = data.pop("owner", None)
        if owner is not None:
            data["owner"] = owner
        if "team" in self.fields:
            team: Team | None = data.pop("team", None)
            data["team"] = team
        return data


class PartnerCreateForm(PartnerForm):
    owner_optional = True
    stage = forms.ChoiceField(
        label="Pipeline stage",
        choices=[(stage.value, stage.label) for stage in PIPELINE_STAGES],
        initial=Stage.IDENTIFIED,
        required=False,
        help_text="Where the relationship stands today.",
        error_messages={"invalid_choice": services.UNKNOWN_STAGE},
    )

    def clean_stage(self) -> str:
        return self.cleaned_data["stage"] or Stage.IDENTIFIED


class StageForm(PageForm, forms.Form):
    stage = forms.ChoiceField(
        label="Move to",
        choices=Stage.choices,
        error_messages={"invalid_choice": services.UNKNOWN_STAGE},
    )
    reason = forms.ChoiceField(
        label="Why are you walking away?",
        choices=FailureReason.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=(
            "Wrong professional: no propensity to refer, slow to trust. Wrong message: they "
            "cannot say whom you help and what is unique about you. Wrong firm: their firm "
            "meets no new clients."
        ),
        error_messages={"invalid_choice": services.UNKNOWN_REASON},
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    occurred_at = forms.DateTimeField(
        label="When",
        required=False,
        widget=DateTimeLocalInput(),
        help_text="Leave empty for now; set an earlier date to record history.",
    )

    id_prefix = "stage"


class TouchForm(PageForm, forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=TouchKind.choices, initial=TouchKind.CALL)
    summary = forms.CharField(
        label="What happened",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    occurred_at = forms.DateTimeField(
        label="When",
        required=False,
        initial=now_local,
        widget=DateTimeLocalInput(),
        help_text="Defaults to now; set an earlier date to log past contact.",
    )

    id_prefix = "touch"


def _in_a_week() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=7)


class CommitmentForm(PageForm, forms.Form):
    what = forms.CharField(label="What", max_length=300)
    owner = forms.ChoiceField(
        label="Who",
        choices=[(CommitmentOwner.ADVISOR, "Advisor (us)"), (CommitmentOwner.PARTNER, "Partner")],
        initial=CommitmentOwner.ADVISOR,
        widget=forms.RadioSelect,
    )
    due = forms.DateField(label="Due", initial=_in_a_week, widget=DateInput())

    id_prefix = "commitment"


class CommitmentCloseForm(forms.Form):
    """Complete or drop a commitment; completing it can log the touch it took."""

    status = forms.ChoiceField(
        choices=[(CommitmentStatus.DONE, "Done"), (CommitmentStatus.DROPPED, "Drop")],
        error_messages={"invalid_choice": services.UNKNOWN_STATUS},
    )
    touch_kind = forms.ChoiceField(
        label="Log as a touch",
        choices=[("", "No touch"), *TouchKind.choices],
        required=False,
    )


class BoardFilterForm(PageForm, forms.Form):
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Everyone"
    )

    id_prefix = "board"

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = advisors_of_firm(user=user)


class PartnerListForm(PageForm, forms.Form):
    """The list's search, filters and sort, read from the query string."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.SearchInput(attrs={"placeholder": "Name or organization"}),
    )
    stage = forms.ChoiceField(
        label="Stage", required=False, choices=[("", "Any stage"), *Stage.choices]
    )
    profession = forms.ChoiceField(
        label="Profession", required=False, choices=[("", "Any profession"), *Profession.choices]
    )
    owner = forms.ModelChoiceField(
        label="Owner", queryset=User.objects.none(), required=False, empty_label="Anyone"
    )
    overdue = forms.BooleanField(label="Overdue next step", required=False)
    archived = forms.BooleanField(label="Archived", required=False)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    id_prefix = "filter"

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = owners_visible_to(advisor=user)
