"""Forms of a partnership agreement: write it, end it."""

import datetime as dt
import re
from typing import Any

from django import forms

from reciprocity.partners.models import CommitmentOwner, ReferralProcess
from reciprocity.playbook.services.agreements import UNKNOWN_PROCESS, PromiseInput
from reciprocity.web.forms import DateInput, PageForm

# A promise dated by its author: "Send the article by 2027-03-31".
PROMISE_DUE = re.compile(r"\s+by\s+(\d{4}-\d{2}-\d{2})\s*$", re.IGNORECASE)
PROMISE_DATE_INVALID = "“{line}”: write the date as YYYY-MM-DD, for example 2027-03-31."


class AgreementForm(PageForm, forms.Form):
    """The written partnership: what each side will do (one promise a line), how referrals are
    passed, how to keep in touch, and when to review it."""

    advisor_promises = forms.CharField(
        label="What you will do",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            "One promise a line; each becomes your commitment. End a line with “by 2027-03-31” "
            "to set its date; the others are spread over the time until the review."
        ),
    )
    partner_promises = forms.CharField(
        label="What the partner will do",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One promise a line, dated the same way; each becomes the partner's commitment.",
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

    def _promises_of(self, field: str, owner: str) -> list[PromiseInput]:
        promises = []
        for line in self._lines(self.cleaned_data.get(field) or ""):
            found = PROMISE_DUE.search(line)
            if found is None:
                promises.append(PromiseInput(owner=owner, what=line))
                continue
            try:
                due = dt.date.fromisoformat(found.group(1))
            except ValueError:
                self.add_error(field, PROMISE_DATE_INVALID.format(line=line))
                continue
            promises.append(PromiseInput(owner=owner, what=line[: found.start()], due=due))
        return promises

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Parsed here so a badly written date is refused on its field.
        self.parsed_promises = self._promises_of(
            "advisor_promises", CommitmentOwner.ADVISOR
        ) + self._promises_of("partner_promises", CommitmentOwner.PARTNER)
        return data

    def promises(self) -> list[PromiseInput]:
        return self.parsed_promises

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
