"""Forms of meetings (schedule, hold, move, cancel) and of the firm's meeting plans."""

from typing import Any

from django import forms

from reciprocity.playbook.models import MeetingKind, MeetingPoint, ProfileField
from reciprocity.playbook.services.meetings import (
    UNKNOWN_MEETING_KIND,
    UNKNOWN_PROFILE_FIELD,
    profile_answer_choices,
)
from reciprocity.web.forms import DateTimeLocalInput, PageForm


class MeetingScheduleForm(PageForm, forms.Form):
    kind = forms.ChoiceField(
        label="Meeting",
        choices=MeetingKind.choices,
        error_messages={"invalid_choice": UNKNOWN_MEETING_KIND},
    )
    scheduled_for = forms.DateTimeField(label="When", widget=DateTimeLocalInput())
    duration_minutes = forms.IntegerField(
        label="Minutes",
        required=False,
        min_value=5,
        max_value=480,
        help_text="Defaults to the plan's length.",
    )
    location = forms.CharField(label="Where", required=False, max_length=200)

    id_prefix = "meeting"


class MeetingHoldForm(PageForm, forms.Form):
    """The meeting's points, each with its answer (which fills the profile where it says so)
    and whether it was covered."""

    held_at = forms.DateTimeField(
        label="Held on",
        required=False,
        widget=DateTimeLocalInput(),
        help_text="Leave empty for now.",
    )
    summary = forms.CharField(
        label="Summary",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Logged as a touch on the timeline.",
    )

    id_prefix = "hold"

    def __init__(self, *args: Any, points: list[MeetingPoint], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.points = points
        for point in points:
            help_text = ""
            if point.profile_field:
                help_text = f"Fills the profile: {ProfileField(point.profile_field).label}."
                choices = profile_answer_choices(point.profile_field)
                if choices:
                    help_text += f" Answer with one of: {choices}."
            self.fields[f"point_{point.pk}"] = forms.CharField(
                label=point.prompt,
                required=False,
                initial=point.answer,
                help_text=help_text,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"covered_{point.pk}"] = forms.BooleanField(
                label="Covered", required=False, initial=point.covered
            )

    def point_rows(self) -> list[tuple[MeetingPoint, forms.BoundField, forms.BoundField]]:
        return [(p, self[f"point_{p.pk}"], self[f"covered_{p.pk}"]) for p in self.points]

    def answers(self) -> dict[int, str]:
        return {p.pk: self.cleaned_data.get(f"point_{p.pk}") or "" for p in self.points}

    def covered(self) -> list[int]:
        return [p.pk for p in self.points if self.cleaned_data.get(f"covered_{p.pk}")]


class MeetingRescheduleForm(PageForm, forms.Form):
    """Move a planned meeting: a new time, and its length or place if those change too."""

    scheduled_for = forms.DateTimeField(label="New time", widget=DateTimeLocalInput())
    duration_minutes = forms.IntegerField(label="Minutes", min_value=5, max_value=480)
    location = forms.CharField(label="Where", required=False, max_length=200)

    id_prefix = "move"


class MeetingCancelForm(PageForm, forms.Form):
    reason = forms.CharField(label="Why", required=False, max_length=500)

    id_prefix = "cancel"


class MeetingPlanForm(PageForm, forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    purpose = forms.CharField(
        label="Purpose", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    duration_minutes = forms.IntegerField(label="Minutes", min_value=5, max_value=480)

    id_prefix = "plan"


class PlanItemForm(PageForm, forms.Form):
    prompt = forms.CharField(label="Point to cover", max_length=500)
    guidance = forms.CharField(label="Guidance", required=False, max_length=1000)
    profile_field = forms.ChoiceField(
        label="Its answer fills",
        required=False,
        choices=[("", "Nothing"), *ProfileField.choices],
        error_messages={"invalid_choice": UNKNOWN_PROFILE_FIELD},
    )
    position = forms.IntegerField(label="Position", required=False, min_value=0, max_value=999)

    id_prefix = "item"
