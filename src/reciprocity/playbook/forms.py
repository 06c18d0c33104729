"""Web forms of the playbook: they parse what the browser sends; the services decide what may be
saved, and ``add_service_errors`` puts their refusals on the fields."""

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from reciprocity.partners.forms import DateInput, DateTimeLocalInput, PageForm
from reciprocity.partners.models import CommitmentOwner, ReferralProcess, Stage, TouchKind
from reciprocity.partners.services import UNKNOWN_STAGE
from reciprocity.playbook.models import (
    CadenceKind,
    ConcernSource,
    DiagnosticQuestion,
    MeetingKind,
    MeetingPoint,
    OpportunityStatus,
    ProfileField,
    Solution,
    Strategy,
    Topic,
)
from reciprocity.playbook.services.agreements import UNKNOWN_PROCESS, PromiseInput
from reciprocity.playbook.services.cadences import INTERVAL_RANGE, UNKNOWN_CADENCE_KIND
from reciprocity.playbook.services.library import (
    CASE_DEFAULT_QUESTIONS,
    CASE_MAX_QUESTIONS,
    CASE_MIN_ANSWERS,
    CASE_NEEDS_TOPIC,
    CASE_QUESTION_COUNT,
    QUESTION_NOT_IN_FIRM,
    SOLUTION_NOT_IN_FIRM,
    UNKNOWN_CONCERN_SOURCE,
    UNKNOWN_TOPIC,
)
from reciprocity.playbook.services.meetings import (
    UNKNOWN_MEETING_KIND,
    UNKNOWN_PROFILE_FIELD,
    profile_answer_choices,
)
from reciprocity.playbook.services.message import (
    MESSAGE_MAX_CHARS,
    MESSAGE_REQUIRED,
    UNKNOWN_CHECK_RESULT,
)
from reciprocity.playbook.services.strategies import UNKNOWN_OUTCOME, UNKNOWN_STRATEGY
from reciprocity.referrals.models import Referral
from reciprocity.referrals.selectors import referrals_visible_to


def _in_a_week() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=7)


# --- The agenda -----------------------------------------------------------------------------


class AgendaCompleteForm(forms.Form):
    """Complete an agenda item by its key; a commitment can also be dropped and a referral's
    step skipped (``action=drop``)."""

    key = forms.CharField(max_length=120)
    touch_kind = forms.ChoiceField(choices=[("", "No touch"), *TouchKind.choices], required=False)
    action = forms.ChoiceField(choices=[("done", "Done"), ("drop", "Drop")], required=False)


class AgendaSnoozeForm(PageForm, forms.Form):
    key = forms.CharField(max_length=120, widget=forms.HiddenInput)
    until = forms.DateField(label="Until", initial=_in_a_week, widget=DateInput())
    reason = forms.CharField(label="Why", max_length=300)

    id_prefix = "snooze"


class AgendaUnsnoozeForm(forms.Form):
    key = forms.CharField(max_length=120)


# --- The partner's playbook -----------------------------------------------------------------


class StrategyForm(PageForm, forms.Form):
    strategy = forms.ChoiceField(
        label="Switch to",
        choices=Strategy.choices,
        error_messages={"invalid_choice": UNKNOWN_STRATEGY},
    )
    note = forms.CharField(label="Why", required=False, max_length=1000)

    id_prefix = "strategy"


class CadenceForm(PageForm, forms.Form):
    """Override one cadence for one partner: another interval, or off."""

    kind = forms.ChoiceField(
        label="Cadence",
        choices=CadenceKind.choices,
        error_messages={"invalid_choice": UNKNOWN_CADENCE_KIND},
    )
    enabled = forms.TypedChoiceField(
        label="Running",
        choices=[("1", "On"), ("0", "Off for this partner")],
        coerce=lambda value: value == "1",
        initial="1",
        widget=forms.RadioSelect,
    )
    interval_months = forms.IntegerField(
        label="Every (months)",
        required=False,
        min_value=1,
        max_value=36,
        help_text="Leave empty for the newsletter list (no due date).",
        error_messages={
            "min_value": INTERVAL_RANGE,
            "max_value": INTERVAL_RANGE,
        },
    )

    id_prefix = "cadence"


class CadenceResetForm(forms.Form):
    kind = forms.ChoiceField(choices=CadenceKind.choices)


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


class AgreementForm(PageForm, forms.Form):
    """The written partnership: what each side will do (one promise a line), how referrals are
    passed, how to keep in touch, and when to review it."""

    advisor_promises = forms.CharField(
        label="What you will do",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One promise a line; each becomes your commitment, due at the review.",
    )
    partner_promises = forms.CharField(
        label="What the partner will do",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One promise a line; each becomes the partner's commitment.",
    )
    referral_process = forms.ChoiceField(
        label="How referrals will be passed",
        choices=ReferralProcess.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": UNKNOWN_PROCESS},
    )
    keep_in_touch = forms.CharField(
        label="Keep-in-touch plan",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Leave empty to write down the cadences running for this partner.",
    )
    agreed_on = forms.DateField(
        label="Agreed on", required=False, widget=DateInput(), help_text="Defaults to today."
    )
    next_review = forms.DateField(label="Next review", widget=DateInput())
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    id_prefix = "agreement"

    @staticmethod
    def _lines(text: str) -> list[str]:
        return [line.strip(" -*\t") for line in text.splitlines() if line.strip(" -*\t")]

    def promises(self) -> list[PromiseInput]:
        return [
            PromiseInput(owner=owner, what=what)
            for owner, field in (
                (CommitmentOwner.ADVISOR, "advisor_promises"),
                (CommitmentOwner.PARTNER, "partner_promises"),
            )
            for what in self._lines(self.cleaned_data.get(field) or "")
        ]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "promises": self.promises(),
            "referral_process": data["referral_process"],
            "keep_in_touch": data.get("keep_in_touch") or "",
            "agreed_on": data.get("agreed_on"),
            "next_review": data["next_review"],
            "notes": data.get("notes") or "",
        }


class AgreementEndForm(PageForm, forms.Form):
    reason = forms.CharField(label="Why is it ending?", max_length=300)

    id_prefix = "end"


class ConcernForm(PageForm, forms.Form):
    source = forms.ChoiceField(
        label="Heard as",
        choices=ConcernSource.choices,
        widget=forms.RadioSelect,
        initial=ConcernSource.CLIENT_COMPLAINT,
        error_messages={"invalid_choice": UNKNOWN_CONCERN_SOURCE},
    )
    description = forms.CharField(
        label="What was said",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="In the client's words where you can; never their name.",
    )
    topic = forms.ChoiceField(
        label="Topic", required=False, choices=[("", "No topic"), *Topic.choices]
    )
    heard_on = forms.DateField(
        label="Heard on", required=False, widget=DateInput(), help_text="Defaults to today."
    )

    id_prefix = "concern"


class ConcernMatchForm(PageForm, forms.Form):
    solution = forms.ModelChoiceField(
        label="What we solve",
        queryset=Solution.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": SOLUTION_NOT_IN_FIRM},
    )
    proposal = forms.CharField(
        label="What you will bring to the partner",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Defaults to the library entry's approach.",
    )
    ask_by = forms.DateField(
        label="Ask for the meeting by",
        required=False,
        widget=DateInput(),
        help_text="Defaults to a week from today.",
    )

    id_prefix = "match"

    def __init__(self, *args: Any, solutions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["solution"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = solutions


class OpportunityForm(PageForm, forms.Form):
    title = forms.CharField(label="Opportunity", max_length=200)
    strategy = forms.ChoiceField(
        label="From",
        required=False,
        choices=[("", "The partner's current strategy"), *Strategy.choices],
    )
    proposal = forms.CharField(
        label="What you will bring", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    ask_by = forms.DateField(label="Ask by", required=False, widget=DateInput())

    id_prefix = "opportunity"


class OpportunityRequestForm(forms.Form):
    touch_kind = forms.ChoiceField(choices=TouchKind.choices, initial=TouchKind.CALL)


REFERRAL_REQUIRED = "Choose the referral the partner sent you."
REFERRAL_UNKNOWN = "Choose one of the partner's received referrals."


def _referral_field(*, required: bool) -> forms.ModelChoiceField:
    # The page offers the partner's unlinked received referrals; any referral the user can see
    # parses, so the service can say why another one does not fit.
    return forms.ModelChoiceField(
        label="Referral received",
        queryset=Referral.objects.none(),
        required=required,
        error_messages={"required": REFERRAL_REQUIRED, "invalid_choice": REFERRAL_UNKNOWN},
    )


class _ReferralChoice(forms.Form):
    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["referral"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = referrals_visible_to(advisor=user, include_archived=True)


class OpportunityCloseForm(_ReferralChoice):
    outcome = forms.ChoiceField(
        choices=[
            (OpportunityStatus.REFERRED, "Referred"),
            (OpportunityStatus.DECLINED, "Declined"),
        ],
        error_messages={"invalid_choice": UNKNOWN_OUTCOME},
    )
    referral = _referral_field(required=False)


class OpportunityLinkForm(_ReferralChoice):
    referral = _referral_field(required=True)


class CaseCreateForm(PageForm, forms.Form):
    alias = forms.CharField(
        label="Label",
        max_length=80,
        initial="Client A",
        help_text="Never the client's name.",
    )
    description = forms.CharField(
        label="The client, as the partner describes them",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    topics = forms.MultipleChoiceField(
        label="Questions about",
        choices=Topic.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": CASE_NEEDS_TOPIC},
    )
    question_count = forms.IntegerField(
        label="How many questions",
        initial=CASE_DEFAULT_QUESTIONS,
        min_value=CASE_MIN_ANSWERS,
        max_value=CASE_MAX_QUESTIONS,
        error_messages={
            "min_value": CASE_QUESTION_COUNT,
            "max_value": CASE_QUESTION_COUNT,
        },
    )

    id_prefix = "case"


class CaseForm(PageForm, forms.Form):
    """A draft case: its label, description, the answers and the prepared solution."""

    alias = forms.CharField(label="Label", max_length=80)
    description = forms.CharField(label="The client", widget=forms.Textarea(attrs={"rows": 3}))
    solution = forms.CharField(
        label="The solution you will bring",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    id_prefix = "case"

    def __init__(self, *args: Any, questions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[f"answer_{question.pk}"] = forms.CharField(
                label=question.text,
                required=False,
                initial=question.answer,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def answer_fields(self) -> list[forms.BoundField]:
        return [self[f"answer_{q.pk}"] for q in self.questions]

    def answers(self) -> dict[int, str]:
        return {q.pk: self.cleaned_data.get(f"answer_{q.pk}") or "" for q in self.questions}


class CaseQuestionsForm(PageForm, forms.Form):
    questions = forms.ModelMultipleChoiceField(
        label="Add questions from the bank",
        queryset=DiagnosticQuestion.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": QUESTION_NOT_IN_FIRM},
    )

    id_prefix = "bank"

    def __init__(self, *args: Any, bank: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["questions"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = bank


class MessageCheckForm(PageForm, forms.Form):
    result = forms.ChoiceField(
        label="Could they say it back?",
        choices=[("yes", "Yes"), ("no", "Not yet")],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": UNKNOWN_CHECK_RESULT},
    )
    heard = forms.CharField(label="What they said", required=False, max_length=1000)

    id_prefix = "check"


# --- The playbook's settings ----------------------------------------------------------------


class MessageForm(PageForm, forms.Form):
    whom_i_help = forms.CharField(
        label="Whom I help",
        max_length=MESSAGE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One sentence a partner can repeat: the people you serve best.",
        error_messages={"required": MESSAGE_REQUIRED},
    )
    what_is_unique = forms.CharField(
        label="What is unique about me",
        max_length=MESSAGE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What sets you apart, in words the partner would use.",
        error_messages={"required": MESSAGE_REQUIRED},
    )

    id_prefix = "message"


class DigestForm(PageForm, forms.Form):
    weekly_digest = forms.BooleanField(
        label="Email me my week every Monday morning", required=False
    )

    id_prefix = "digest"


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


class CadenceDefaultForm(PageForm, forms.Form):
    stage = forms.ChoiceField(
        label="Stage",
        choices=Stage.choices,
        error_messages={"invalid_choice": UNKNOWN_STAGE},
    )
    kind = forms.ChoiceField(
        label="Cadence",
        choices=CadenceKind.choices,
        error_messages={"invalid_choice": UNKNOWN_CADENCE_KIND},
    )
    interval_months = forms.IntegerField(
        label="Every (months)",
        required=False,
        min_value=1,
        max_value=36,
        help_text="Empty for the newsletter list.",
        error_messages={
            "min_value": INTERVAL_RANGE,
            "max_value": INTERVAL_RANGE,
        },
    )

    id_prefix = "default"


class CadenceDefaultRemoveForm(forms.Form):
    stage = forms.ChoiceField(choices=Stage.choices)
    kind = forms.ChoiceField(choices=CadenceKind.choices)


class QuestionForm(PageForm, forms.Form):
    topic = forms.ChoiceField(
        label="Topic",
        choices=Topic.choices,
        error_messages={"invalid_choice": UNKNOWN_TOPIC},
    )
    text = forms.CharField(label="Question", max_length=500)

    id_prefix = "question"


class SolutionForm(PageForm, forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    topic = forms.ChoiceField(
        label="Topic", required=False, choices=[("", "No topic"), *Topic.choices]
    )
    problem = forms.CharField(
        label="The problem, as clients describe it", widget=forms.Textarea(attrs={"rows": 2})
    )
    approach = forms.CharField(label="How we solve it", widget=forms.Textarea(attrs={"rows": 3}))
    keywords = forms.CharField(
        label="Keywords",
        required=False,
        max_length=500,
        help_text="Comma-separated words that signal the problem in a concern.",
    )

    id_prefix = "solution"
