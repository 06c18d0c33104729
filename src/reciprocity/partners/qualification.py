"""Qualifying a partner against the three reasons alliances fail (seed 004).

Before a professional becomes a *qualified* prospect for an alliance, the advisor answers three
questions, each recorded on the partner's profile: do they refer clients to other professionals
(the wrong professional does not), can they say whom the advisor helps and what is unique about
them (the wrong message; the advisor can teach it), and is their firm growing, meeting new
clients (the wrong firm is not). A failing answer is a warning, not a wall: the advisor may
qualify anyway, and the board marks such partners in the qualified column.
"""

from dataclasses import dataclass
from typing import Any

from reciprocity.partners.models import CanDescribeValue, Partner, Propensity


@dataclass(frozen=True)
class Question:
    field: str  # the profile field the answer is recorded in
    text: str
    failing: tuple[Any, ...]  # answers that name a failure reason
    failure: str  # the failure, said in a few words
    unanswered: tuple[Any, ...]  # values that mean "not asked yet"

    def fails(self, partner: Partner) -> bool:
        return getattr(partner, self.field) in self.failing

    def is_answered(self, partner: Partner) -> bool:
        return getattr(partner, self.field) not in self.unanswered


QUESTIONS: tuple[Question, ...] = (
    Question(
        field="propensity_to_refer",
        text="Do they refer their clients to other professionals?",
        failing=(Propensity.LOW,),
        failure="they do not refer their clients",
        unanswered=(None, ""),
    ),
    Question(
        field="can_describe_value",
        text="Can they say whom you help and what is unique about you, or will you teach them?",
        # "No" is the message to sharpen, not a reason to pass on them: nothing fails here.
        failing=(),
        failure="",
        unanswered=(CanDescribeValue.UNKNOWN,),
    ),
    Question(
        field="growth_mode",
        text="Is their firm growing, meeting new clients?",
        failing=(False,),
        failure="their firm is not meeting new clients",
        unanswered=(None,),
    ),
)
FIELDS = tuple(question.field for question in QUESTIONS)


def failures(partner: Partner) -> list[Question]:
    return [question for question in QUESTIONS if question.fails(partner)]


def unanswered(partner: Partner) -> list[Question]:
    return [question for question in QUESTIONS if not question.is_answered(partner)]


def shortfall(partner: Partner) -> str:
    """What keeps a partner from being qualified, in a few words; empty when nothing does."""
    failed = failures(partner)
    if failed:
        return "Fails qualification: " + "; ".join(question.failure for question in failed)
    open_questions = unanswered(partner)
    if open_questions:
        count = len(open_questions)
        return f"Not qualified yet: {count} of {len(QUESTIONS)} questions unanswered"
    return ""
