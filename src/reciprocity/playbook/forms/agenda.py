"""Forms of the agenda: complete or set aside an item, snooze it, bring it back."""

import datetime as dt

from django import forms
from django.utils import timezone

from reciprocity.partners.models import TouchKind
from reciprocity.web.forms import DateInput, PageForm


def _in_a_week() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=7)


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
