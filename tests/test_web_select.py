"""Selects are written by the project's own template, each option in place: the markup is
Django's select's, byte for byte, with groups, options' attributes, the chosen ones and the
labels' escaping, for single and multiple choices and for the firm's people pickers."""

from pathlib import Path

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer

import reciprocity
from reciprocity.accounts.forms import PersonChoiceField
from reciprocity.accounts.models import User
from tests.factories import FirmFactory, UserFactory

SELECT = Path(reciprocity.__file__).parent / "templates/django/forms/widgets/select.html"
GROUPED = [
    ("", "Anyone"),
    ("Near", [("a", "<Ada>"), ("b", "O'Neil & Sons")]),
    ("Far", [("c", "Cy")]),
]


class Choices(forms.Form):
    one = forms.ChoiceField(choices=GROUPED, required=False)
    many = forms.MultipleChoiceField(choices=GROUPED, required=False)
    flag = forms.NullBooleanField(required=False)
    plain = forms.ChoiceField(
        choices=[("x", "X"), ("y", "Y")],
        widget=forms.Select(attrs={"data-searchable": "50", "disabled": True, "hidden": False}),
    )


@pytest.mark.parametrize(
    "data", [{}, {"one": "b", "many": ["a", "c"], "flag": "true", "plain": "y"}]
)
def test_a_select_writes_the_markup_djangos_select_writes(data: dict[str, object]) -> None:
    form = Choices(data)
    # The same form written by Django's own templates.
    djangos = Choices(data, renderer=DjangoTemplates())
    for name in form.fields:
        assert str(form[name]) == str(djangos[name])
    assert "&lt;Ada&gt;" in str(form["one"])
    assert '<optgroup label="Near">' in str(form["many"])


@pytest.mark.django_db
def test_a_person_picker_names_people_as_the_pages_do_in_djangos_markup() -> None:
    class Pick(forms.Form):
        who = PersonChoiceField(queryset=User.objects.none(), required=False, empty_label="Anyone")

    firm = FirmFactory()
    UserFactory(firm=firm, first_name="Ada", last_name="Lovelace")
    chosen = UserFactory(firm=firm, first_name="<Bo>", last_name="O'Neil & Sons")
    for data in ({}, {"who": str(chosen.pk)}):
        form, djangos = Pick(data), Pick(data, renderer=DjangoTemplates())
        for each in (form, djangos):
            field = each.fields["who"]
            assert isinstance(field, PersonChoiceField)
            field.queryset = User.objects.filter(firm=firm).order_by("pk")
        ours = str(form["who"])
        assert ours == str(djangos["who"])
        assert "&lt;Bo&gt; O&#x27;Neil &amp; Sons" in ours
    assert f'<option value="{chosen.pk}" selected>' in ours


def test_the_forms_are_written_with_the_projects_select() -> None:
    template = get_default_renderer().get_template("django/forms/widgets/select.html")
    assert Path(template.origin.name) == SELECT
