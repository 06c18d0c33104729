"""The forms of the insights: a dismissal's reason (the service decides what is saved), and
whose funnel the dashboard draws."""

from typing import Any

from django import forms

from reciprocity.accounts.forms import PersonChoiceField
from reciprocity.accounts.models import Team, User
from reciprocity.accounts.selectors import advisors_of_firm, teams_of


class DismissForm(forms.Form):
    reason = forms.CharField(max_length=500)


class FunnelForm(forms.Form):
    """For who sees the whole firm: one team's funnel, or one advisor's; neither, the firm's."""

    team = forms.ModelChoiceField(
        label="Team", queryset=Team.objects.none(), required=False, empty_label="Every team"
    )
    owner = PersonChoiceField(
        label="Advisor", queryset=User.objects.none(), required=False, empty_label="Every advisor"
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team, owner = self.fields["team"], self.fields["owner"]
        assert isinstance(team, forms.ModelChoiceField)
        assert isinstance(owner, forms.ModelChoiceField)
        team.queryset = teams_of(user=user).order_by("name")
        owner.queryset = advisors_of_firm(user=user)
        for name, field in self.fields.items():
            field.widget.attrs["id"] = f"funnel-{name}"
