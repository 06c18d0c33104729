"""The forms of a referral's compensation and disclosure, and of the compliance list."""

from typing import Any

from django import forms

from reciprocity.dates import out_of_range
from reciprocity.referrals.disclosure import (
    AcknowledgementMethod,
    ArrangementKind,
    DeliveryMethod,
    ReferralDisclosure,
)
from reciprocity.referrals.models import Referral
from reciprocity.referrals.services import disclosures
from reciprocity.web.forms import DateInput, PageForm


def _blank(choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", "—"), *choices]


class DisclosureForm(PageForm, forms.Form):
    compensated = forms.BooleanField(
        label="Involves compensation or a solicitor arrangement (either way)", required=False
    )
    arrangement_kind = forms.ChoiceField(
        label="Kind of arrangement",
        choices=_blank(ArrangementKind.choices),
        required=False,
        error_messages={"invalid_choice": disclosures.UNKNOWN_ARRANGEMENT},
    )
    arrangement_terms = forms.CharField(label="Amount or basis", required=False, max_length=300)
    disclosure_text = forms.CharField(
        label="Disclosure given to the client",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    from_template = forms.BooleanField(
        label="Use the firm's disclosure template as the text", required=False
    )
    disclosure_file = forms.FileField(
        label="Or attach the disclosure document",
        required=False,
        help_text="A PDF, PNG or JPEG file.",
        widget=forms.FileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )
    delivered_on = forms.DateField(label="Delivered on", required=False, widget=DateInput())
    delivery_method = forms.ChoiceField(
        label="Delivered how",
        choices=_blank(DeliveryMethod.choices),
        required=False,
        error_messages={"invalid_choice": disclosures.UNKNOWN_DELIVERY_METHOD},
    )
    acknowledged_on = forms.DateField(
        label="Client acknowledged on", required=False, widget=DateInput()
    )
    acknowledgement_method = forms.ChoiceField(
        label="Acknowledged how",
        choices=_blank(AcknowledgementMethod.choices),
        required=False,
        error_messages={"invalid_choice": disclosures.UNKNOWN_ACKNOWLEDGEMENT_METHOD},
    )

    id_prefix = "disclosure"

    def __init__(self, *args: Any, disclosure: ReferralDisclosure | None = None, **kwargs: Any):
        if disclosure is not None and not args:
            kwargs.setdefault(
                "initial",
                {field: getattr(disclosure, field) for field in disclosures.DISCLOSURE_FIELDS},
            )
        super().__init__(*args, **kwargs)

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("disclosure_file", None)
        return data


class ComplianceFilterForm(PageForm, forms.Form):
    """``missing``, ``from`` and ``to``: the names the API's query uses too."""

    missing = forms.BooleanField(label="Only those missing evidence", required=False)

    id_prefix = "compliance"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(label="Made from", required=False, widget=DateInput())
        self.fields["to"] = forms.DateField(label="to", required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("from", "to"):
            day = cleaned.get(name)
            problem = out_of_range(day) if day else None
            if problem:
                self.add_error(name, problem)
                cleaned.pop(name, None)
        return cleaned


def disclosure_panel(
    referral: Referral, *, form: DisclosureForm | None, can_write: bool
) -> dict[str, Any]:
    """What the referral page's "Compensation and disclosure" section shows."""
    disclosure = getattr(referral, "disclosure", None)
    return {
        "disclosure": disclosure,
        "disclosure_form": form or (DisclosureForm(disclosure=disclosure) if can_write else None),
        "evidence_required": referral.partner.firm.requires_disclosure_evidence,
        "evidence_missing": disclosure.missing if disclosure and disclosure.compensated else [],
        "firm_template": referral.partner.firm.disclosure_template,
    }
