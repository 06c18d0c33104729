"""The ``day_label`` template filter, a builtin of every template: a day as people read it, with
its year only when it is not this year ("Sat, Dec 4"; "Sat, Dec 4, 2027")."""

import datetime as dt
import functools

from django import template
from django.template.defaultfilters import date as format_date
from django.utils import timezone, translation

register = template.Library()

# Formats without and with the year, per variant.
FORMATS: dict[str, tuple[str, str]] = {
    "": ("D, M j", "D, M j, Y"),
    "short": ("M j", "M j, Y"),
    "time": ("D, M j, g:i a", "D, M j, Y, g:i a"),
    "short_time": ("M j, g:i a", "M j, Y, g:i a"),
    "long": ("l, M j", "l, M j, Y"),
}


@register.filter
def day_label(value: dt.date | dt.datetime | None, variant: str = "") -> str:
    """``variant``: "" (Sat, Dec 4), "short" (Dec 4), "time" (Sat, Dec 4, 3:00 pm),
    "short_time" (Dec 4, 3:00 pm) or "long" (Saturday, Dec 4)."""
    if value is None or value == "":
        return ""
    this_year, other_year = FORMATS[variant]
    day = timezone.localtime(value).date() if isinstance(value, dt.datetime) else value
    chosen = this_year if day.year == timezone.localdate().year else other_year
    if isinstance(value, dt.datetime):
        return format_date(value, chosen)
    return _label_of_day(value, chosen, translation.get_language())


@functools.lru_cache(maxsize=4096)
def _label_of_day(day: dt.date, chosen: str, language: str | None) -> str:
    """A day's label in one format and language, made once: a page labels hundreds of days,
    few of them different, and each label costs a pass through the date format's letters."""
    return format_date(day, chosen)
