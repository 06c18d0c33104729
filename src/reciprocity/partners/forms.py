"""Web forms: they parse what the browser sends; the services decide what may be saved.

A service refuses bad input with a ValidationError whose messages are module constants;
``add_service_errors`` puts those messages on the form's fields so the page shows them in place.
"""

import datetime as dt
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from reciprocity.accounts.forms import PersonChoiceField
from reciprocity.accounts.models import Team, User
from reciprocity.accounts.selectors import advisors_of_firm, teams_of
from reciprocity.partners import bulk, qualification, services
from reciprocity.partners.diagnosed import diagnosis_choices
from reciprocity.partners.models import (
    PIPELINE_STAGES,
    CanDescribeValue,
    CommitmentOwner,
    CommitmentStatus,
    FailureReason,
    Partner,
    Profession,
    Propensity,
    Stage,
    TouchKind,
    moves_back,
)
from reciprocity.partners.selectors import (
    SORTS,
    PartnerFilters,
    owners_visible_to,
    partner_list,
    tags_visible_to,
)
from reciprocity.web.forms import (
    DateInput,
    DateTimeLocalInput,
    PageForm,
    now_local,
    optional_choice,
    search_field,
)


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
            self.fields["owner"] = PersonChoiceField(
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

    # Set by the "Add anyway" button of the warning about likely duplicates.
    create_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)

    # The partner's past, so time in stage and the patience rules count from when it happened.
    first_met_on = forms.DateField(
        label="First met on",
        required=False,
        widget=DateInput(),
        help_text="If you have met: recorded as the move to First meeting on that day.",
    )
    stage_since = forms.DateField(
        label="In this stage since",
        required=False,
        widget=DateInput(),
        help_text="Leave empty for today.",
    )

    service_field_names = {"first_met_at": "first_met_on", "occurred_at": "stage_since"}

    def clean_stage(self) -> str:
        return self.cleaned_data["stage"] or Stage.IDENTIFIED

    def service_kwargs(self) -> dict[str, Any]:
        data = super().service_kwargs()
        data.pop("create_anyway", None)
        data["first_met_at"] = _start_of(data.pop("first_met_on", None))
        data["occurred_at"] = _start_of(data.pop("stage_since", None))
        return data


class PartnerMergeForm(PageForm, forms.Form):
    """Which partner to merge into the one whose page this is."""

    other = forms.ModelChoiceField(
        label="Partner to merge into this one",
        queryset=Partner.objects.none(),
        error_messages={"invalid_choice": "Choose one of the partners listed."},
    )

    id_prefix = "merge"

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        other = self.fields["other"]
        assert isinstance(other, forms.ModelChoiceField)
        other.queryset = candidates


def _start_of(day: dt.date | None) -> dt.datetime | None:
    """The start of a day in the firm's time zone: a date entered as history."""
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


CHOOSE_STAGE = "Choose the stage to move to."
MOVE_BACK_UNCONFIRMED = (
    "This moves {partner} back from {current} to {stage}, undoing progress. Tick the box to "
    "confirm the move back."
)


class StageForm(PageForm, forms.Form):
    """Preselects the next stage (the view passes it as ``initial``); a move back needs
    ``confirm_back``, so one click never demotes a partner."""

    stage = forms.ChoiceField(
        label="Move to",
        choices=[("", "Choose a stage"), *Stage.choices],
        error_messages={"invalid_choice": services.UNKNOWN_STAGE, "required": CHOOSE_STAGE},
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
    confirm_back = forms.BooleanField(label="Yes, move back to an earlier stage", required=False)
    # The qualification questions (partners/qualification.py), asked on a move to qualified and
    # prefilled from the profile, where the answers are recorded.
    propensity_to_refer = optional_choice(
        qualification.QUESTIONS[0].text, Propensity.choices, "Not asked yet"
    )
    can_describe_value = forms.ChoiceField(
        label=qualification.QUESTIONS[1].text,
        choices=CanDescribeValue.choices,
        required=False,
        help_text="No is fine when you will teach them: sharpen your message with them.",
    )
    growth_mode = optional_choice(
        qualification.QUESTIONS[2].text, [("yes", "Yes"), ("no", "No")], "Not asked yet"
    )
    qualify_anyway = forms.BooleanField(label="Qualify anyway", required=False)

    id_prefix = "stage"
    QUESTION_FIELDS = ("propensity_to_refer", "can_describe_value", "growth_mode")

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.partner = partner
        growth = "" if partner.growth_mode is None else ("yes" if partner.growth_mode else "no")
        self.initial.setdefault("propensity_to_refer", partner.propensity_to_refer or "")
        self.initial.setdefault("can_describe_value", partner.can_describe_value)
        self.initial.setdefault("growth_mode", growth)

    @property
    def qualification_questions(self) -> list[forms.BoundField]:
        return [self[name] for name in self.QUESTION_FIELDS]

    @property
    def moves_back(self) -> bool:
        """Whether the stage chosen (or preselected) is behind the partner's: ask to confirm."""
        chosen = self.data.get("stage") if self.is_bound else self.initial.get("stage")
        return moves_back(self.partner.stage, chosen or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        stage = data.get("stage") or ""
        if moves_back(self.partner.stage, stage) and not data.get("confirm_back"):
            self.add_error(
                "confirm_back",
                MOVE_BACK_UNCONFIRMED.format(
                    partner=self.partner.name,
                    current=self.partner.get_stage_display(),
                    stage=Stage(stage).label,
                ),
            )
        data.pop("confirm_back", None)
        answers = {name: data.pop(name, None) for name in self.QUESTION_FIELDS}
        if stage == Stage.QUALIFIED:
            # Only the questions on the posted form: a card dropped on the board asks none.
            recorded = {
                "propensity_to_refer": answers["propensity_to_refer"] or None,
                "can_describe_value": answers["can_describe_value"] or CanDescribeValue.UNKNOWN,
                "growth_mode": {"yes": True, "no": False}.get(answers["growth_mode"] or ""),
            }
            data["answers"] = {k: v for k, v in recorded.items() if k in self.data}
        return data


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
    owner = PersonChoiceField(queryset=User.objects.none(), required=False, empty_label="Everyone")

    id_prefix = "board"

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = advisors_of_firm(user=user)


def chosen_ids(data: Any) -> tuple[int, ...]:
    """The partners ticked in the list (``partner``, repeated), as the bulk actions and the
    export of the chosen read them."""
    values = cast(QueryDict, data).getlist("partner") if hasattr(data, "getlist") else []
    return tuple(int(value) for value in values if value.isdigit())


class PartnerListForm(PageForm, forms.Form):
    """The list's search, filters and sort, read from the query string."""

    q = search_field("Name or organization")
    stage = optional_choice("Stage", Stage.choices, "Any stage")
    profession = optional_choice("Profession", Profession.choices, "Any profession")
    owner = PersonChoiceField(
        label="Owner", queryset=User.objects.none(), required=False, empty_label="Anyone"
    )
    tag = forms.ChoiceField(label="Tag", required=False)
    quiet_days = forms.IntegerField(
        label="No touch for (days)",
        required=False,
        min_value=1,
        max_value=3650,
        widget=forms.NumberInput(attrs={"placeholder": "e.g. 90"}),
    )
    diagnosis = forms.ChoiceField(label="Diagnosis", required=False)
    overdue = forms.BooleanField(label="Overdue next step", required=False)
    archived = forms.BooleanField(label="Archived", required=False)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    id_prefix = "filter"

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = owners_visible_to(advisor=user)
        tags = tags_visible_to(advisor=user).values_list("name", flat=True)
        cast(forms.ChoiceField, self.fields["tag"]).choices = [
            ("", "Any tag"),
            *((name, name) for name in tags),
        ]
        cast(forms.ChoiceField, self.fields["diagnosis"]).choices = [
            ("", "Any or none"),
            *diagnosis_choices(),
        ]

    def filters(self) -> PartnerFilters:
        """What the list shows (the page, its bulk actions and its exports alike): whatever
        parsed is applied; a bad value is shown as an error and ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        sort = data.get("sort") or "name"
        return PartnerFilters(
            search=(data.get("q") or "").strip(),
            stage=data.get("stage") or "",
            profession=data.get("profession") or "",
            owner=data["owner"].pk if data.get("owner") else None,
            overdue=bool(data.get("overdue")),
            archived=bool(data.get("archived")),
            sort=sort if sort in SORTS else "name",
            tag=data.get("tag") or "",
            quiet_days=data.get("quiet_days"),
            diagnosis=data.get("diagnosis") or "",
            ids=chosen_ids(self.data),
        )


def partners_listed(
    *, advisor: User, params: Any
) -> tuple[PartnerListForm, PartnerFilters, QuerySet[Partner]]:
    """The partner list as its query string asks: the one place its filters are read, for the
    page, its bulk actions and its export alike."""
    form = PartnerListForm(params or None, user=advisor)
    filters = form.filters()
    return form, filters, partner_list(advisor=advisor, filters=filters, scored=True)


BULK_EXPORT = "export"


def _bulk_choices() -> list[tuple[str, str]]:
    return [
        *((slug, action.label) for slug, action in bulk.ACTIONS.items()),
        (BULK_EXPORT, "Export as CSV"),
    ]


class PartnerBulkForm(PageForm, forms.Form):
    """An action on the partners ticked in the list (their ids arrive as ``partner``)."""

    action = forms.ChoiceField(label="With the chosen partners", choices=_bulk_choices)
    stage = forms.ChoiceField(label="Stage", required=False, choices=Stage.choices)
    reason = forms.ChoiceField(
        label="Reason (retired)", required=False, choices=[("", "—"), *FailureReason.choices]
    )
    owner = PersonChoiceField(label="Owner", queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(
        label="Team", queryset=Team.objects.none(), required=False, empty_label="No team"
    )
    tag = forms.CharField(label="Tag", required=False, max_length=50)

    id_prefix = "bulk"

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = advisors_of_firm(user=user)
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = teams_of(user=user)
        if not user.sees_whole_firm:
            # Only a firm admin gives partners to someone else (the service says so too).
            cast(forms.ChoiceField, self.fields["action"]).choices = [
                (slug, label) for slug, label in _bulk_choices() if slug != bulk.Reassign.slug
            ]
            del self.fields["owner"]

    def partner_ids(self) -> list[int]:
        """The ticked rows; an id the user may not see is the service's to refuse."""
        return list(chosen_ids(self.data))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = bulk.ACTIONS.get(data.get("action", ""))
        for field, message in action.needs.items() if action else ():
            if not data.get(field):
                self.add_error(field, message)
        return data

    def bulk_action(self) -> bulk.BulkAction:
        return bulk.ACTIONS[self.cleaned_data["action"]].of(self.cleaned_data)
