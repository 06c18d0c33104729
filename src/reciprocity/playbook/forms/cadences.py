"""Forms of the keep-warm cadences: a partner's overrides and the firm's defaults."""

from django import forms

from reciprocity.partners.models import Stage
from reciprocity.partners.services import UNKNOWN_STAGE
from reciprocity.playbook.models import (
    INTERVAL_MAX_MONTHS,
    INTERVAL_MIN_MONTHS,
    INTERVAL_RANGE,
    CadenceKind,
)
from reciprocity.playbook.services.cadences import UNKNOWN_CADENCE_KIND
from reciprocity.web.forms import PageForm


def _interval_field(help_text: str) -> forms.IntegerField:
    """Months between touches, in the one range a cadence allows; empty for the newsletter."""
    return forms.IntegerField(
        label="Every (months)",
        required=False,
        min_value=INTERVAL_MIN_MONTHS,
        max_value=INTERVAL_MAX_MONTHS,
        help_text=help_text,
        error_messages={"min_value": INTERVAL_RANGE, "max_value": INTERVAL_RANGE},
    )


class CadenceForm(PageForm, forms.Form):
    """Override one cadence for one partner: another interval, or off."""

    kind = forms.ChoiceField(
        label="Cadence",
        choices=CadenceKind.choices,
        error_messages={"invalid_choice": UNKNOWN_CADENCE_KIND},
    )
    enabled = forms.TypedChoiceField(
        label="Running",
        choices=[("1", "On"), ("0", "Off for this partner")],
        coerce=lambda value: value == "1",
        initial="1",
        widget=forms.RadioSelect,
    )
    interval_months = _interval_field("Leave empty for the newsletter list (no due date).")

    id_prefix = "cadence"


class CadenceResetForm(forms.Form):
    kind = forms.ChoiceField(choices=CadenceKind.choices)


class CadenceDefaultForm(PageForm, forms.Form):
    stage = forms.ChoiceField(
        label="Stage",
        choices=Stage.choices,
        error_messages={"invalid_choice": UNKNOWN_STAGE},
    )
    kind = forms.ChoiceField(
        label="Cadence",
        choices=CadenceKind.choices,
        error_messages={"invalid_choice": UNKNOWN_CADENCE_KIND},
    )
    interval_months = _interval_field("Empty for the newsletter list.")

    id_prefix = "default"


class CadenceDefaultRemoveForm(forms.Form):
    stage = forms.ChoiceField(choices=Stage.choices)
    kind = forms.ChoiceField(choices=CadenceKind.choices)
