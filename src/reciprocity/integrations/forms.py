"""Filing a message that came from nobody known: under a partner, or as a new partner."""

from typing import Any

from django import forms

from reciprocity.accounts.models import User
from reciprocity.integrations.models import MailInMessage
from reciprocity.partners.models import Partner, Profession
from reciprocity.partners.selectors import partners_visible_to
from reciprocity.web.forms import PageForm


def _address_choices(message: MailInMessage) -> list[tuple[str, str]]:
    return [(address, address) for address in message.unknown_addresses]


class MailFileForm(PageForm, forms.Form):
    partner = forms.ModelChoiceField(queryset=Partner.objects.none(), empty_label="Choose one")
    address = forms.ChoiceField(
        label="Their address",
        required=False,
        help_text="Mail from it is logged on this partner from now on.",
    )

    def __init__(self, *args: Any, user: User, message: MailInMessage, **kwargs: Any) -> None:
        self.id_prefix = f"file-{message.pk}"
        super().__init__(*args, **kwargs)
        partner = self.fields["partner"]
        assert isinstance(partner, forms.ModelChoiceField)
        partner.queryset = partners_visible_to(advisor=user).owned_by(user).order_by("name", "pk")
        address = self.fields["address"]
        assert isinstance(address, forms.ChoiceField)
        address.choices = [("", "None of these"), *_address_choices(message)]


class MailNewPartnerForm(PageForm, forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    profession = forms.ChoiceField(label="Profession", choices=Profession.choices)
    email = forms.ChoiceField(label="Email")

    def __init__(self, *args: Any, message: MailInMessage, **kwargs: Any) -> None:
        self.id_prefix = f"new-{message.pk}"
        super().__init__(*args, **kwargs)
        email = self.fields["email"]
        assert isinstance(email, forms.ChoiceField)
        email.choices = _address_choices(message)
