"""The ``fields`` template filter, a builtin of every template: a form's fields by name, so a
template lays a form out in one line a row (``form|fields:"alias question_count"``)."""

from django import forms, template
from django.forms.boundfield import BoundField

register = template.Library()


@register.filter
def fields(form: forms.BaseForm, names: str) -> list[BoundField]:
    """The named fields (separated by spaces), in that order. A name ending in "?" is left out
    when the form lacks it (a field only some users get); any other name it lacks is an error."""
    return [
        form[name.removesuffix("?")]
        for name in names.split()
        if not name.endswith("?") or name.removesuffix("?") in form.fields
    ]
