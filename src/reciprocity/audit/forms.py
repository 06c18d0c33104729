from typing import Any

from django import forms

from reciprocity.accounts.audit import SOURCES
from reciprocity.accounts.forms import PersonChoiceField
from reciprocity.accounts.models import User
from reciprocity.audit.selectors import SOURCE_LABELS, AuditFilters, audit_kinds, audit_people

DATE = forms.DateInput(attrs={"type": "date"})


class AuditFilterForm(forms.Form):
    who = PersonChoiceField(queryset=User.objects.none(), required=False, empty_label="Anyone")
    model = forms.ChoiceField(label="Record", required=False)
    source = forms.ChoiceField(label="From", required=False)
    since = forms.DateField(label="From date", required=False, widget=DATE)
    until = forms.DateField(label="To date", required=False, widget=DATE)

    def __init__(self, *args: Any, reader: User, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "filter-%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        who = self.fields["who"]
        who.queryset = audit_people(reader=reader)  # type: ignore[attr-defined]
        self.fields["model"].choices = [("", "Any record"), *audit_kinds()]  # type: ignore[attr-defined]
        self.fields["source"].choices = [  # type: ignore[attr-defined]
            ("", "Anywhere"),
            *((source, SOURCE_LABELS[source]) for source in SOURCES),
        ]

    def filters(self) -> AuditFilters:
        """What parsed; a bad value is shown as an error and ignored."""
        data = getattr(self, "cleaned_data", {})
        who = data.get("who")
        return AuditFilters(
            who=who.pk if who else None,
            model=data.get("model") or "",
            source=data.get("source") or "",
            since=data.get("since"),
            until=data.get("until"),
        )


class PurgeForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Kept with the record of this purge, for your regulator and your successors.",
    )
    confirm = forms.BooleanField(
        label="I understand the purged records and their history cannot be restored."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "purge-%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
