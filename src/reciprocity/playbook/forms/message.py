"""Forms of the advisor's message, the weekly digest preference, and a message check."""

from django import forms

from reciprocity.playbook.services.message import (
    MESSAGE_MAX_CHARS,
    MESSAGE_REQUIRED,
    UNKNOWN_CHECK_RESULT,
)
from reciprocity.web.forms import PageForm


class MessageCheckForm(PageForm, forms.Form):
    result = forms.ChoiceField(
        label="Could they say it back?",
        choices=[("yes", "Yes"), ("no", "Not yet")],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": UNKNOWN_CHECK_RESULT},
    )
    heard = forms.CharField(label="What they said", required=False, max_length=1000)

    id_prefix = "check"


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
