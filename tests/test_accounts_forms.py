"""The people pickers write each option in their own template, for speed: the markup is
Django's select's, byte for byte, the chosen person and the names' escaping included."""

import pytest
from django import forms

from reciprocity.accounts.forms import PersonChoiceField, PersonSelect
from reciprocity.accounts.models import User
from tests.factories import FirmFactory, UserFactory

pytestmark = pytest.mark.django_db


class Pick(forms.Form):
    who = PersonChoiceField(queryset=User.objects.none(), required=False, empty_label="Anyone")


def test_a_person_picker_writes_the_markup_djangos_select_writes() -> None:
    firm = FirmFactory()
    UserFactory(firm=firm, first_name="Ada", last_name="Lovelace")
    chosen = UserFactory(firm=firm, first_name="<Bo>", last_name="O'Neil & Sons")
    for data in ({}, {"who": str(chosen.pk)}):
        form = Pick(data)
        field = form.fields["who"]
        assert isinstance(field, PersonChoiceField)
        field.queryset = User.objects.filter(firm=firm).order_by("pk")
        assert isinstance(field.widget, PersonSelect)
        ours = str(form["who"])

        field.widget = forms.Select(choices=field.choices)
        djangos = str(form["who"])

        assert ours == djangos
        assert "&lt;Bo&gt; O&#x27;Neil &amp; Sons" in ours
    assert f'<option value="{chosen.pk}" selected>' in ours
