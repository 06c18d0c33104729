"""The playbook panel of the partner page, so the partner app's views need not know of it."""

from typing import Any

from django import template

from reciprocity.partners.advised import NextAction
from reciprocity.partners.models import Partner
from reciprocity.playbook.views.overview import panel_context

register = template.Library()


@register.inclusion_tag("playbook/includes/partner_panel.html", takes_context=True)
def partner_playbook(
    context: template.Context, partner: Partner, action: NextAction | None = None
) -> dict[str, Any]:
    """The panel; the cadences come with the next best ``action`` when it read them."""
    cadences = action.cadences if action is not None else None
    return panel_context(context["request"], partner, cadences=cadences)
