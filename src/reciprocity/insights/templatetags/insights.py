"""The diagnosis panel of the partner page, so the partner app's views need not know of it."""

from typing import Any

from django import template

from reciprocity.insights.diagnoses import DIAGNOSED_STAGES, assess
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
