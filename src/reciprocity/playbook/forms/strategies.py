"""Forms of the strategy switch and of opportunities: create, ask, close, link a referral."""

from typing import Any

from django import forms

from reciprocity.partners.models import TouchKind
from reciprocity.playbook.models import OpportunityStatus, Strategy
from reciprocity.playbook.services.strategies import UNKNOWN_OUTCOME, UNKNOWN_STRATEGY
from reciprocity.referrals.models import Referral
from reciprocity.referrals.selectors import referrals_visible_to
from reciprocity.web.forms import DateInput, PageForm


class StrategyForm(PageForm, forms.Form):
    strategy = forms.ChoiceField(
        label="Switch to",
        choices=Strategy.choices,
        error_messages={"invalid_choice": UNKNOWN_STRATEGY},
    )
    note = forms.CharField(label="Why", required=False, max_length=1000)

    id_prefix = "strategy"


class OpportunityForm(PageForm, forms.Form):
    title = forms.CharField(label="Opportunity", max_length=200)
    strategy = forms.ChoiceField(
        label="From",
        required=False,
        choices=[("", "The partner's current strategy"), *Strategy.choices],
    )
    proposal = forms.CharField(
        label="What you will bring", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    ask_by = forms.DateField(label="Ask by", required=False, widget=DateInput())

    id_prefix = "opportunity"


class OpportunityRequestForm(forms.Form):
    touch_kind = forms.ChoiceField(choices=TouchKind.choices, initial=TouchKind.CALL)


REFERRAL_REQUIRED = "Choose the referral the partner sent you."
REFERRAL_UNKNOWN = "Choose one of the partner's received referrals."


def _referral_field(*, required: bool) -> forms.ModelChoiceField:
    # The page offers the partner's unlinked received referrals; any referral the user can see
    # parses, so the service can say why another one does not fit.
    return forms.ModelChoiceField(
        label="Referral received",
        queryset=Referral.objects.none(),
        required=required,
        error_messages={"required": REFERRAL_REQUIRED, "invalid_choice": REFERRAL_UNKNOWN},
    )


class _ReferralChoice(forms.Form):
    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["referral"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = referrals_visible_to(advisor=user, include_archived=True)


class OpportunityCloseForm(_ReferralChoice):
    outcome = forms.ChoiceField(
        choices=[
            (OpportunityStatus.REFERRED, "Referred"),
            (OpportunityStatus.DECLINED, "Declined"),
        ],
        error_messages={"invalid_choice": UNKNOWN_OUTCOME},
    )
    referral = _referral_field(required=False)


class OpportunityLinkForm(_ReferralChoice):
    referral = _referral_field(required=True)
