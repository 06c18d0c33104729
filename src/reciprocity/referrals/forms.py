"""Web forms of the referral ledger: they parse what the browser sends; the services decide.

Messages the services refuse with appear on the fields through ``add_service_errors``.
"""

from typing import Any

from django import forms

from reciprocity.accounts.models import User
from reciprocity.partners.models import Partner, TouchKind
from reciprocity.partners.selectors import partners_visible_to
from reciprocity.referrals.models import (
    FAILURE_STATUSES,
    TOUCH_KIND_FOR_STEP,
    Answer,
    ConsentMethod,
    Direction,
    Kind,
    ProtocolTemplate,
    Referral,
    ReferralStatus,
    StepSlug,
)
from reciprocity.referrals.services import ledger
from reciprocity.web.forms import (
    DateTimeLocalInput,
    PageForm,
    SearchableSelect,
    optional_choice,
    search_field,
)

WHEN_HELP = "Leave empty for now; set an earlier date to record history."


def _answer_field(label: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=Answer.choices,
        initial=Answer.UNKNOWN,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": ledger.UNKNOWN_ANSWER},
    )


def _value_field() -> forms.DecimalField:
    return forms.DecimalField(
        label="Estimated value",
        required=False,
        max_digits=12,
        decimal_places=2,
        help_text="Optional: the fees or assets the referral may bring, in your currency.",
        error_messages={"invalid": ledger.NOT_A_NUMBER},
    )


# The need is shown wherever the referral is (the agenda, the weekly email, the memo), so it
# describes the situation, never the person: the client's identity has its own consented fields.
NEED_HELP = (
    "The situation in a line, without the client's name, for example: estate plan after a "
    "business sale."
)


class ReferralStartForm(PageForm, forms.Form):
    """Which partner and which way: the first question of a new referral (a GET form)."""

    partner = forms.ModelChoiceField(
        queryset=Partner.objects.none(), empty_label="Choose one", widget=SearchableSelect
    )
    direction = forms.ChoiceField(
        label="Direction",
        choices=[
            (Direction.SENT, "I am sending a client to them"),
            (Direction.RECEIVED, "They sent someone to me"),
        ],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": ledger.UNKNOWN_DIRECTION},
    )

    id_prefix = "start"

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partner = self.fields["partner"]
        assert isinstance(partner, forms.ModelChoiceField)
        partner.queryset = partners_visible_to(advisor=user).order_by("name", "pk")


class ReferralForm(PageForm, forms.Form):
    """A new referral to or from one partner; the fields depend on the direction.

    A sent referral asks the questions that come before sharing anything (does the client already
    have such a professional, is there a fee, has the client consented) and takes the client's
    name only with consent; the service refuses it otherwise. A received one offers follow-ups.
    """

    kind = forms.ChoiceField(
        label="Kind",
        choices=[
            (Kind.REFERRAL, "Referral: a client or prospect with a need"),
            (Kind.CONNECTION, "Connection: an introduction, not a prospect"),
        ],
        initial=Kind.REFERRAL,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": ledger.UNKNOWN_KIND},
    )
    need = forms.CharField(
        label="Need or topic",
        max_length=300,
        help_text=NEED_HELP,
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    client_has_professional = _answer_field("Does the client already have such a professional?")
    existing_relationship = forms.CharField(
        label="How is that relationship?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="A client happy with their own CPA may not want a second one.",
    )
    consultation_fee = _answer_field("Is there a fee for an initial consultation?")
    consultation_fee_note = forms.CharField(label="Fee details", required=False, max_length=200)
    consent_method = forms.ChoiceField(
        label="Has the client consented to their name being shared?",
        choices=[("", "Not yet"), *ConsentMethod.choices],
        required=False,
        help_text="Until the client agrees, leave the name out: the partner gets the "
        "hypothetical memo, which identifies no one.",
        error_messages={"invalid_choice": ledger.UNKNOWN_CONSENT_METHOD},
    )
    consent_at = forms.DateTimeField(
        label="Consent given on", required=False, widget=DateTimeLocalInput(), help_text=WHEN_HELP
    )
    client_name = forms.CharField(label="Client or prospect", required=False, max_length=200)
    client_contact = forms.CharField(label="Contact details", required=False, max_length=300)
    estimated_value = _value_field()
    occurred_at = forms.DateTimeField(
        label="When", required=False, widget=DateTimeLocalInput(), help_text=WHEN_HELP
    )
    follow_up = forms.BooleanField(
        label="Add the follow-ups: a thank-you note and a report back",
        required=False,
        initial=True,
        help_text="Untick when you are entering an old referral.",
    )

    id_prefix = "referral"
    mark_required = True

    SENT_ONLY = (
        "client_has_professional",
        "existing_relationship",
        "consultation_fee",
        "consultation_fee_note",
        "consent_method",
        "consent_at",
    )

    def __init__(self, *args: Any, direction: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.direction = direction
        self.fields["occurred_at"].label = (
            "Sent on" if direction == Direction.SENT else "Received on"
        )
        if direction == Direction.SENT:
            del self.fields["follow_up"]
        else:
            for name in self.SENT_ONLY:
                del self.fields[name]
            self.fields["client_name"].label = "Prospect"

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if self.direction == Direction.SENT:
            if not data.get("consent_method"):
                data.pop("consent_at", None)
            elif data["kind"] == Kind.REFERRAL:
                # Consent on record at the start: the referral starts past that step.
                data["status"] = ReferralStatus.CONSENT_GIVEN
        return data

    def unsaved(self, partner: Partner, by: User) -> Referral:
        """The referral as typed so far, for the memo preview (never saved)."""
        data = self.cleaned_data
        return Referral(
            partner=partner,
            firm_id=partner.firm_id,
            direction=self.direction,
            kind=data.get("kind") or Kind.REFERRAL,
            need=data.get("need", ""),
            notes=data.get("notes", ""),
            client_name=data.get("client_name", ""),
            client_contact=data.get("client_contact", ""),
            client_has_professional=data.get("client_has_professional") or Answer.UNKNOWN,
            existing_relationship=data.get("existing_relationship", ""),
            consultation_fee=data.get("consultation_fee") or Answer.UNKNOWN,
            consultation_fee_note=data.get("consultation_fee_note", ""),
            by=by,
        )


class ReferralEditForm(PageForm, forms.ModelForm):
    """The description, the pre-send answers, the estimate and (when allowed) the identity."""

    class Meta:
        model = Referral
        fields = ledger.EDITABLE_FIELDS
        help_texts = {"need": NEED_HELP}
        labels = {
            "need": "Need or topic",
            "client_name": "Client or prospect",
            "client_has_professional": "Does the client already have such a professional?",
            "existing_relationship": "How is that relationship?",
            "consultation_fee": "Is there a fee for an initial consultation?",
            "outcome_reason": "Why it did not go ahead",
        }
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "existing_relationship": forms.Textarea(attrs={"rows": 2}),
            "outcome_reason": forms.Textarea(attrs={"rows": 2}),
            "client_has_professional": forms.RadioSelect,
            "consultation_fee": forms.RadioSelect,
        }

    id_prefix = "edit"
    mark_required = True

    def __init__(self, *args: Any, referral: Referral, **kwargs: Any) -> None:
        super().__init__(*args, instance=referral, **kwargs)
        if referral.direction == Direction.RECEIVED:
            self.fields["client_name"].label = "Prospect"
        if referral.direction == Direction.RECEIVED or referral.kind == Kind.CONNECTION:
            for name in ReferralForm.SENT_ONLY:
                self.fields.pop(name, None)
        if not referral.may_identify_client:
            # No consent yet: the consent panel is where the name comes in.
            del self.fields["client_name"]
            del self.fields["client_contact"]
        if referral.status not in FAILURE_STATUSES:
            del self.fields["outcome_reason"]

    def _post_clean(self) -> None:
        # The service validates and saves; the form only parses.
        pass

    def service_kwargs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields}


class AdvanceForm(PageForm, forms.Form):
    """Move a referral forward along its path (the status comes from the button pressed)."""

    status = forms.ChoiceField(choices=ReferralStatus.choices)
    occurred_at = forms.DateTimeField(
        label="When", required=False, widget=DateTimeLocalInput(), help_text=WHEN_HELP
    )

    id_prefix = "advance"


class CloseForm(PageForm, forms.Form):
    """End a referral that did not go ahead; the service requires the reason."""

    status = forms.ChoiceField(label="Outcome", choices=ReferralStatus.choices)
    reason = forms.CharField(label="Why?", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    id_prefix = "close"

    def __init__(self, *args: Any, referral: Referral, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        failures = referral.lifecycle.failures
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [(value, ReferralStatus(value).label) for value in failures]
        status.widget = forms.RadioSelect(choices=status.choices)
        status.initial = failures[0]


class ConsentForm(PageForm, forms.Form):
    method = forms.ChoiceField(
        label="How did the client consent?",
        choices=ConsentMethod.choices,
        error_messages={"invalid_choice": ledger.UNKNOWN_CONSENT_METHOD},
    )
    consent_at = forms.DateTimeField(
        label="When", required=False, widget=DateTimeLocalInput(), help_text=WHEN_HELP
    )
    client_name = forms.CharField(label="Client", required=False, max_length=200)
    client_contact = forms.CharField(label="Contact details", required=False, max_length=300)

    id_prefix = "consent"


STEP_ACTIONS = ("complete", "skip", "reopen")


class StepForm(forms.Form):
    action = forms.ChoiceField(choices=[(action, action) for action in STEP_ACTIONS])


class ProtocolForm(forms.Form):
    """One profession's protocol: which steps, in which order, with which wording.

    A row per step slug (include, position, label) so the page needs no script to add or order
    steps; the service checks the resulting list.
    """

    def __init__(self, *args: Any, template: ProtocolTemplate, **kwargs: Any) -> None:
        self.profession = template.profession
        kwargs.setdefault("auto_id", f"protocol-{self.profession}-%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        current = {
            step["slug"]: (index, step["label"]) for index, step in enumerate(template.steps)
        }
        count = len(StepSlug.values)
        for slug in StepSlug:
            position, label = current.get(slug.value, (None, slug.label))
            self.fields[f"{slug.value}-include"] = forms.BooleanField(
                label=slug.label, required=False, initial=position is not None
            )
            self.fields[f"{slug.value}-position"] = forms.IntegerField(
                label="Order",
                min_value=1,
                max_value=count,
                required=False,
                initial=position + 1 if position is not None else None,
            )
            self.fields[f"{slug.value}-label"] = forms.CharField(
                label="Label", required=False, max_length=200, initial=label
            )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "name": slug.value.replace("_", " ").capitalize(),
                "touch": TouchKind(TOUCH_KIND_FOR_STEP[slug]).label.lower(),
                "include": self[f"{slug.value}-include"],
                "position": self[f"{slug.value}-position"],
                "label": self[f"{slug.value}-label"],
            }
            for slug in StepSlug
        ]

    def steps(self) -> list[dict[str, str]]:
        """The included steps by their order; unnumbered ones last, in the default order."""
        data = self.cleaned_data
        chosen = [
            (data.get(f"{slug.value}-position") or len(StepSlug.values) + 1, index, slug.value)
            for index, slug in enumerate(StepSlug)
            if data.get(f"{slug.value}-include")
        ]
        return [
            {"slug": slug, "label": data.get(f"{slug}-label") or ""}
            for _, _, slug in sorted(chosen)
        ]


class ReferralListForm(PageForm, forms.Form):
    """The ledger's search and filters, read from the query string."""

    q = search_field("Need, partner or client")
    direction = optional_choice("Direction", Direction.choices, "Both ways")
    kind = optional_choice("Kind", Kind.choices, "Any kind")
    status = optional_choice("Status", ReferralStatus.choices, "Any status")
    state = forms.ChoiceField(
        label="Open or closed",
        required=False,
        choices=[("", "Either"), ("open", "Open"), ("closed", "Closed")],
    )
    partner = forms.ModelChoiceField(
        label="Partner",
        queryset=Partner.objects.none(),
        required=False,
        empty_label="Any partner",
        widget=SearchableSelect,
    )
    archived = forms.BooleanField(label="Archived", required=False)

    id_prefix = "filter"

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partner = self.fields["partner"]
        assert isinstance(partner, forms.ModelChoiceField)
        partner.queryset = partners_visible_to(advisor=user, include_archived=True).order_by(
            "name", "pk"
        )
