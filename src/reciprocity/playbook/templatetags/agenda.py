"""What the agenda page renders the same way for many of its items."""

from functools import lru_cache

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from reciprocity.partners.agenda import Controls

register = template.Library()

SELECTED = mark_safe(" selected")


@lru_cache(maxsize=64)
def _options(choices: tuple[tuple[str, str], ...], initial: str) -> SafeString:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, SELECTED if value == initial else "", label) for value, label in choices),
    )


@register.simple_tag
def touch_options(controls: Controls) -> SafeString:
    """The options of an item's "Log as" list. A page's items share a few such lists, so each
    is built once: rendered option by option in the template, they were half of the page's
    template nodes and about a fifth of its rendering."""
    choices = tuple((str(value), str(label)) for value, label in controls.touch_choices)
    return _options(choices, controls.touch_initial)
