"""Templates lay a form out by naming its fields: in the order named, a field only some users get
left out when the form lacks it, and a misspelt name an error rather than a field gone missing."""

import pytest
from django import forms

from reciprocity.web.fields import fields


class Meeting(forms.Form):
    kind = forms.CharField()
    place = forms.CharField()
    notes = forms.CharField()


def test_the_named_fields_come_in_the_order_named() -> None:
    assert [field.name for field in fields(Meeting(), "notes kind")] == ["notes", "kind"]


def test_a_field_named_as_optional_is_left_out_when_the_form_lacks_it() -> None:
    assert [field.name for field in fields(Meeting(), "owner? place")] == ["place"]


def test_a_name_the_form_lacks_is_an_error() -> None:
    with pytest.raises(KeyError):
        fields(Meeting(), "kind owner")
