"""Forms of the partner's confirmation links: the advisor asks for one, the partner answers."""

from typing import Any

from django import forms

from reciprocity.referrals.link_models import LinkPurpose
from reciprocity.referrals.services.confirmations import NOTE_LIMIT, answers_for
from reciprocity.web.forms import PageForm


class LinkCreateForm(PageForm, forms.Form):
    purpose = forms.ChoiceField(choices=LinkPurpose.choices)


class PartnerAnswerForm(PageForm, forms.Form):
    """The partner's answer: one of those the link's purpose offers, and an optional note (the
    reason, for not a fit: the service asks for it)."""

    id_prefix = "answer"

    answer = forms.ChoiceField(widget=forms.RadioSelect)
    note = forms.CharField(
        label="A note for the advisor (optional)",
        required=False,
        max_length=NOTE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, purpose: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = answers_for(purpose)
        answer = self.fields["answer"]
        assert isinstance(answer, forms.ChoiceField)
        answer.choices = choices
        answer.label = "What happened?"
        if purpose == LinkPurpose.OUTCOME:
            self.fields["note"].label = "A note for the advisor (say why, if it was not a fit)"
