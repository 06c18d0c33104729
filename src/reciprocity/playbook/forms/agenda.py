"""Forms of the agenda: complete or set aside an item, snooze it, bring it back."""

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from reciprocity.partners.agenda import SOURCES
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


GROUP_BY = [("when", "When it is due"), ("partner", "Partner"), ("kind", "Kind")]


class AgendaViewForm(PageForm, forms.Form):
    """How the agenda page groups its items, and which kind it shows (from the query string)."""

    group = forms.ChoiceField(label="Group by", choices=GROUP_BY, required=False)
    kind = forms.ChoiceField(label="Show", required=False)

    id_prefix = "agenda-view"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = [(slug, source.label) for slug, source in SOURCES.items()]
        self.fields["kind"].choices = [("", "Every kind"), *kinds]  # type: ignore[attr-defined]

    def choice(self) -> tuple[str, str]:
        """The grouping and the kind asked for; what does not parse is the default."""
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("group") or "when", data.get("kind") or ""
