"""The diagnosis panel and the time to the first referral on the partner page, so the partner
app's views need not know of them."""

from typing import Any

from django import template

from reciprocity.insights.diagnoses import DIAGNOSED_STAGES, assess
from reciprocity.insights.funnel import FirstReferral, first_referral_of
from reciprocity.partners.models import Partner

register = template.Library()


@register.inclusion_tag("insights/includes/partner_panel.html", takes_context=True)
def partner_diagnoses(context: template.Context, partner: Partner) -> dict[str, Any]:
    """One query for a partner in the diagnosed stages; none otherwise."""
    diagnosed = partner.stage in DIAGNOSED_STAGES and partner.archived_at is None
    found = assess(advisor=context["request"].user, partner=partner) if diagnosed else None
    return {
        "partner": partner,
        "diagnosed": diagnosed,
        "diagnoses": found.diagnoses if found else [],
        "too_early": found.too_early[0] if found and found.too_early else None,
        "can_write": context.get("can_write", False),
    }


@register.simple_tag
def first_referral(partner: Partner) -> FirstReferral:
    """From the first meeting to the first referral received: one query."""
    return first_referral_of(partner)
