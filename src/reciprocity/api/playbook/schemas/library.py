"""Bodies of client concerns, client cases, and the firm's library and question bank."""

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import StrictInt

from reciprocity.api.playbook.schemas.common import Id
from reciprocity.api.schemas.common import BlankIsNull, Day, Input, PartnerRef
from reciprocity.playbook import models
from reciprocity.playbook.models import CaseStatus, ConcernSource, ConcernStatus, Topic


class Concern(Schema):
    id: int
    partner: PartnerRef
    source: ConcernSource
    description: str
    topic: Annotated[Topic | None, BlankIsNull]
    heard_on: dt.date
    status: ConcernStatus
    opportunity_ids: list[int]
    created_at: dt.datetime

    @staticmethod
    def resolve_opportunity_ids(obj: models.ClientConcern) -> list[int]:
        return [o.pk for o in obj.opportunities.all()]


class ConcernCreate(Input):
    source: ConcernSource
    description: str
    topic: Topic | None = None
    heard_on: Day | None = Field(None, description="Defaults to today.")


class ConcernMatch(Input):
    solution: Id = Field(description="An entry of the firm's 'what we solve' library.")
    proposal: str = Field("", description="Defaults to the entry's approach.")
    ask_by: Day | None = None


class Solution(Schema):
    id: int
    title: str
    topic: Annotated[Topic | None, BlankIsNull]
    problem: str
    approach: str
    keywords: list[str]
    archived_at: dt.datetime | None = Field(description="Archived entries no longer match.")

    @staticmethod
    def resolve_keywords(obj: models.Solution) -> list[str]:
        return obj.keyword_list


class Question(Schema):
    id: int
    topic: Topic
    text: str
    position: int
    archived_at: dt.datetime | None = Field(description="Archived questions are no longer drawn.")


class CaseQuestion(Schema):
    id: int
    question_id: int | None = Field(description="The bank's question it was drawn from.")
    topic: Topic
    text: str
    answer: str


class Case(Schema):
    id: int
    partner: PartnerRef
    alias: str
    description: str
    status: CaseStatus
    solution: str
    questions: list[CaseQuestion]
    answered: int
    ready_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_questions(obj: models.ClientCase) -> list[models.CaseQuestion]:
        return list(obj.questions.all())

    @staticmethod
    def resolve_answered(obj: models.ClientCase) -> int:
        return sum(1 for q in obj.questions.all() if q.answer.strip())


class CaseCreate(Input):
    alias: str = Field(description="A label, never the client's name.")
    description: str
    topics: list[Topic] = Field(description="Topics to draw the diagnostic questions from.")
    question_count: StrictInt = Field(10, description="8 to 12.")


class CaseAnswer(Input):
    question: Id = Field(description="The case question's id.")
    answer: str


class CaseUpdate(Input):
    """Only the fields sent change; a ready case no longer changes."""

    alias: str | None = None
    description: str | None = None
    solution: str | None = None
    answers: list[CaseAnswer] = Field(default_factory=list)
    add_questions: list[Id] = Field(
        default_factory=list, description="Ids of bank questions to add (12 at most in all)."
    )


class CaseReady(Input):
    ask_by: Day | None = Field(None, description="When to ask for the meeting.")


class QuestionCreate(Input):
    topic: Topic
    text: str


class QuestionUpdate(Input):
    """Only the fields sent change."""

    topic: Topic | None = None
    text: str | None = None


class SolutionCreate(Input):
    title: str
    topic: Topic | None = None
    problem: str = Field(description="The problem as clients describe it.")
    approach: str = Field(description="How we solve it.")
    keywords: list[str] = Field(
        default_factory=list, description="Words that signal the problem in a concern."
    )


class SolutionUpdate(Input):
    """Only the fields sent change; ``topic: null`` and ``keywords: null`` clear them."""

    title: str | None = None
    topic: Topic | None = None
    problem: str | None = None
    approach: str | None = None
    keywords: list[str] | None = None
