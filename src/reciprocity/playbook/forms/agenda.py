"""Forms of the agenda: complete or set aside an item, snooze it, bring it back."""

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from reciprocity.accounts.forms import PersonChoiceField
from reciprocity.accounts.models import User
from reciprocity.partners.agenda import agenda_sources
from reciprocity.partners.models import TouchKind
from reciprocity.partners.selectors import owners_visible_to
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


# The agenda shows each section's first items; "more" shows this many more, up to the maximum.
AGENDA_SECTION_LIMIT = 25
AGENDA_MAX_SHOWN = 500


GROUP_BY = [("when", "When it is due"), ("partner", "Partner"), ("kind", "Kind")]


class AgendaFilterForm(PageForm, forms.Form):
    """What the agenda shows, read from the query string: how it is grouped, one kind, one
    owner's partners, one partner, and how many of each section's items."""

    group = forms.ChoiceField(label="Group by", choices=GROUP_BY, required=False)
    kind = forms.ChoiceField(label="Show", required=False)
    owner = PersonChoiceField(
        label="Partners of", queryset=User.objects.none(), required=False, empty_label="Mine"
    )
    partner = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    shown = forms.IntegerField(
        required=False, min_value=1, max_value=AGENDA_MAX_SHOWN, widget=forms.HiddenInput
    )

    id_prefix = "agenda"

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [("", "Everything"), *((s.slug, s.label) for s in agenda_sources())]
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = owners_visible_to(advisor=user)
