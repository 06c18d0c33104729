"""The form of a dismissal: the reason (the service decides what is saved)."""

from django import forms


class DismissForm(forms.Form):
    reason = forms.CharField(max_length=500)
