"""The firm admin's form for a webhook endpoint: where, what for, which events."""

from django import forms

from reciprocity import events
from reciprocity.web.forms import PageForm


class WebhookEndpointForm(PageForm, forms.Form):
    id_prefix = "webhook"

    url = forms.CharField(
        label="URL",
        max_length=2000,
        help_text="Where each event is posted, signed: an http:// or https:// address.",
    )
    description = forms.CharField(
        label="Description", max_length=200, required=False, help_text="What system this is."
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=[(kind, f"{kind}: {meaning}") for kind, meaning in events.TYPES.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
