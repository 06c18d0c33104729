"""The diagnosis panel and the time to the first referral on the partner page, so the partner
app's views need not know of them."""

from typing import Any

from django import template

from reciprocity.insights.diagnoses import DIAGNOSED_STAGES, TITLES, assess, assessment_of
from reciprocity.insights.funnel import FirstReferral, first_referral_of
from reciprocity.insights.selectors import dismissals_of
from reciprocity.partners.advised import NextAction
from reciprocity.partners.models import Partner

register = template.Library()


@register.inclusion_tag("insights/includes/partner_panel.html", takes_context=True)
def partner_diagnoses(
    context: template.Context, partner: Partner, action: NextAction | None = None
) -> dict[str, Any]:
    """For a partner in the diagnosed stages, the diagnoses the next best ``action`` was read
    from, or one query; nothing otherwise."""
    diagnosed = partner.stage in DIAGNOSED_STAGES and partner.archived_at is None
    found = None
    if diagnosed and action is not None and action.diagnosed is not None:
        found = assessment_of(action.diagnosed)
    elif diagnosed:
        found = assess(advisor=context["request"].user, partner=partner)
    shown = {diagnosis.slug for diagnosis in found.diagnoses} if found else set()
    # What was set aside stays in sight, with why, so an empty panel is not false reassurance.
    set_aside = (
        [(d, TITLES[d.slug]) for d in dismissals_of(partner=partner) if d.slug not in shown]
        if diagnosed
        else []
    )
    return {
        "partner": partner,
        "diagnosed": diagnosed,
        "diagnoses": found.diagnoses if found else [],
        "set_aside": set_aside,
        "too_early": found.too_early[0] if found and found.too_early else None,
        "can_write": context.get("can_write", False),
    }


@register.simple_tag
def first_referral(partner: Partner) -> FirstReferral:
    """From the first meeting to the first referral received: one query."""
    return first_referral_of(partner)
