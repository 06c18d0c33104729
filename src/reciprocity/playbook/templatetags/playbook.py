"""The playbook panel of the partner page, so the partner app's views need not know of it."""

from typing import Any

from django import template

from reciprocity.partners.models import Partner
from reciprocity.playbook.views.overview import panel_context

register = template.Library()


@register.inclusion_tag("playbook/includes/partner_panel.html", takes_context=True)
def partner_playbook(context: template.Context, partner: Partner) -> dict[str, Any]:
    return panel_context(context["request"], partner)
