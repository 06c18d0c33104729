"""What every web form shares: service errors shown in place, page-friendly ids, date widgets.

A service refuses bad input with a ValidationError whose messages are module constants;
``add_service_errors`` puts those messages on the form's fields so the page shows them in place.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils import timezone

from reciprocity.web.http import AuthedRequest, flash_errors

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: per field where the form has the field
    (under its own name where the form spells it differently: ``service_field_names``)."""
    names: dict[str, str] = getattr(form, "service_field_names", {})
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            field = names.get(field, field)
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def form_saves(form: forms.BaseForm, write: Callable[[dict[str, Any]], object]) -> bool:
    """Run a service with a valid form's data; a refusal lands on the form. True when saved."""
    if not form.is_valid():
        return False
    try:
        write(form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    return True


def form_posted(
    request: AuthedRequest,
    form: forms.BaseForm,
    write: Callable[[dict[str, Any]], object],
    *,
    done: str | Callable[[], str],
) -> bool:
    """Run a service with a form posted from a page that does not show the form: say it was
    done (``done`` is called after the write, so it can read what changed) or flash why not."""
    if form_saves(form, write):
        messages.success(request, done if isinstance(done, str) else done())
        return True
    flash_errors(request, form)
    return False


def form_submitted(
    request: AuthedRequest,
    form: forms.BaseForm,
    write: Callable[[dict[str, Any]], object],
    *,
    done: str,
) -> bool:
    """Run a service with a form posted to the page that shows it: True (and ``done`` said) when
    saved; else the refusal stays on the form, shown again. A GET saves nothing."""
    if request.method == "POST" and form_saves(form, write):
        messages.success(request, done)
        return True
    return False


def form_creates[T](form: forms.BaseForm, create: Callable[[dict[str, Any]], T]) -> T | None:
    """Like ``form_saves`` for a service that creates: the record, or None when refused."""
    if not form.is_valid():
        return None
    try:
        return create(form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        return None


class PageForm:
    """No colon after labels, and ids prefixed per form so several forms can share a page."""

    id_prefix = "id"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def search_field(placeholder: str) -> forms.CharField:
    """A list's free-text search, read from ``?q=``."""
    return forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.SearchInput(attrs={"placeholder": placeholder}),
    )


def optional_choice(label: str, choices: Any, empty: str) -> forms.ChoiceField:
    """A choice that may be left empty (a list's filter, an optional field); ``empty`` names the
    empty choice ("Any stage", "No topic")."""
    return forms.ChoiceField(label=label, required=False, choices=[("", empty), *choices])


def now_local() -> str:
    """Now, as a datetime-local input's initial value."""
    return timezone.localtime().strftime(DATETIME_LOCAL)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


# From this many options a list is searched rather than scrolled (app.js adds the search box).
SEARCHABLE_FROM = 50


class SearchableSelect(forms.Select):
    """A select that app.js gives a filter box once it has SEARCHABLE_FROM options or more;
    without JavaScript it stays a plain select."""

    def __init__(self, attrs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(attrs={"data-searchable": str(SEARCHABLE_FROM), **(attrs or {})}, **kwargs)
