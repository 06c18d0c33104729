"""Forms of client concerns, client cases, and the firm's question bank and library."""

from typing import Any

from django import forms

from reciprocity.playbook.models import ConcernSource, DiagnosticQuestion, Solution, Topic
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
from reciprocity.web.forms import DateInput, PageForm, optional_choice


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
    topic = optional_choice("Topic", Topic.choices, "No topic")
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
    topic = optional_choice("Topic", Topic.choices, "No topic")
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
