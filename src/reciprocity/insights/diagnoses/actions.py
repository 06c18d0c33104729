"""The playbook's answers to a diagnosis: one class per action, with its label and the place in
the web app where it is taken. ``ACTIONS`` is the registry, by slug."""

from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlencode

from django.urls import reverse

from reciprocity.partners.models import FailureReason, Stage

if TYPE_CHECKING:
    from reciprocity.insights.diagnoses.base import Diagnosis


class Action:
    slug: ClassVar[str]
    label: ClassVar[str]
    # The section of the partner's page the action is taken in.
    anchor: ClassVar[str] = ""

    def label_for(self, reason: str) -> str:
        return self.label

    def url(self, diagnosis: "Diagnosis") -> str:
        return reverse("partner_detail", args=[diagnosis.partner_id]) + self.anchor


class ChangeStrategy(Action):
    slug = "change_strategy"
    label = "Move up the referral spectrum"
    anchor = "#strategy-title"


class OnTheAgreement(Action):
    def url(self, diagnosis: "Diagnosis") -> str:
        return reverse("partner_agreement", args=[diagnosis.partner_id])


class MakeTheAsk(OnTheAgreement):
    slug = "make_the_ask"
    label = "Make the ask: write the agreement"


class ReviewAgreement(OnTheAgreement):
    # The agreement is written and nothing comes back: go over it together, not write another.
    slug = "review_agreement"
    label = "Review the agreement together: ask for what it promised"


class MakeItExplicit(OnTheAgreement):
    slug = "make_it_explicit"
    label = "Make it explicit: write the agreement"


class WalkAway(Action):
    slug = "walk_away"
    label = "Walk away"

    def label_for(self, reason: str) -> str:
        return f"{self.label}: {FailureReason(reason).label.lower()}" if reason else self.label

    def url(self, diagnosis: "Diagnosis") -> str:
        query = urlencode({"stage": Stage.RETIRED.value, "reason": diagnosis.reason})
        return reverse("partner_stage", args=[diagnosis.partner_id]) + "?" + query


class ChangeMessage(Action):
    slug = "change_message"
    label = "Sharpen your message"
    anchor = "#playbook"

    def url(self, diagnosis: "Diagnosis") -> str:
        # The message is the partner owner's, and the reader is not the owner: their playbook
        # section on the partner's page; else the reader's own message.
        if diagnosis.owners_message:
            return super().url(diagnosis)
        return reverse("playbook_message")


class Focus(Action):
    slug = "focus"
    label = "Choose your five to seven"

    def url(self, diagnosis: "Diagnosis") -> str:
        return reverse("pipeline")


class Reconnect(Action):
    slug = "reconnect"
    label = "Reconnect: plan the next touch, or move them to dormant"
    anchor = "#commitments-title"


class KeepGoing(Action):
    slug = "keep_going"
    label = "Keep going: keep to the cadence"
    anchor = "#touch-title"


ACTIONS: dict[str, Action] = {
    action.slug: action
    for action in (
        ChangeStrategy(),
        MakeTheAsk(),
        ReviewAgreement(),
        WalkAway(),
        ChangeMessage(),
        Focus(),
        Reconnect(),
        MakeItExplicit(),
        KeepGoing(),
    )
}
