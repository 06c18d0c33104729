"""Request and response bodies of the playbook: the agenda, agreements, cadences, strategies,
meetings, concerns, client cases, opportunities, the advisor's message and the message checks,
the calendar feed, and the firm's playbook. Choice fields are enums, so the OpenAPI document
lists every slug."""

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt

from reciprocity.api.schemas import Day, Input, PartnerRef, RecordId, UserRef, When
from reciprocity.partners.models import (
    CommitmentOwner,
    CommitmentStatus,
    ReferralProcess,
    Stage,
    TouchKind,
)
from reciprocity.playbook import models
from reciprocity.playbook.models import (
    AgreementStatus,
    CadenceKind,
    CaseStatus,
    ConcernSource,
    ConcernStatus,
    MeetingKind,
    MeetingStatus,
    OpportunityStatus,
    ProfileField,
    Strategy,
    Topic,
)

# Request bodies take numbers and booleans as JSON numbers and booleans, not as look-alikes
# ("5", 0), so a client's mistake is refused rather than guessed.
Id = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]

# An agenda item's key: ``<source>:<partner id>:<reference>``, as the agenda lists it.
AgendaKey = Annotated[
    str, Field(min_length=5, max_length=120, pattern=r"^[a-z_]+:\d+:[A-Za-z0-9_.:-]+$")
]


# --- The agenda -----------------------------------------------------------------------------
class AgendaItem(Schema):
    key: str = Field(description="Address of the item: complete or snooze it by this key.")
    source: str = Field(
        description="commitment, cadence, opportunity, meeting, referral_step, or another."
    )
    partner: PartnerRef
    title: str
    due: dt.date
    at: dt.datetime | None = Field(description="The time of day, for meetings.")
    owner: CommitmentOwner = Field(description="Who has to act.")
    detail: str
    object_id: int | None = Field(
        description="The commitment, opportunity, meeting or referral step."
    )
    overdue: bool


class Agenda(Schema):
    today: dt.date
    overdue: list[AgendaItem]
    due_today: list[AgendaItem]
    this_week: list[AgendaItem] = Field(description="Due after today, up to the horizon.")
    snoozed: int = Field(description="How many items are snoozed and left out.")
    count: int


class AgendaComplete(Input):
    touch_kind: TouchKind | None = Field(
        None,
        description="The touch to log: a cadence takes one that counts for it (default: the "
        "one it asks for); a commitment logs none unless asked; a meeting request defaults to "
        "a call; a referral step always logs the touch of its kind.",
    )
    summary: str = Field("", description="What happened; a sensible default otherwise.")
    occurred_at: When | None = Field(None, description="Defaults to now.")


class AgendaCompletion(Schema):
    key: str
    source: str
    detail: str = Field(description="What recorded the completion.")
    touch_id: int | None = Field(description="The touch logged, if any.")


class AgendaSnoozeCreate(Input):
    until: Day = Field(description="The day it comes back; within a year.")
    reason: str = Field(description="Why it is put off.")


class AgendaSnooze(Schema):
    key: str
    partner: PartnerRef
    until: dt.date
    reason: str
    created_at: dt.datetime


# --- Agreements -----------------------------------------------------------------------------
class Promise(Schema):
    id: int
    owner: CommitmentOwner
    what: str
    commitment_id: int | None
    commitment_status: CommitmentStatus | None
    due: dt.date | None

    @staticmethod
    def resolve_commitment_status(obj: models.AgreementPromise) -> str | None:
        return obj.commitment.status if obj.commitment else None

    @staticmethod
    def resolve_due(obj: models.AgreementPromise) -> dt.date | None:
        return obj.commitment.due if obj.commitment else None


class Agreement(Schema):
    id: int
    partner: PartnerRef
    status: AgreementStatus
    promises: list[Promise]
    referral_process: ReferralProcess
    keep_in_touch: str
    agreed_on: dt.date
    next_review: dt.date
    review_commitment_id: int | None
    meeting_id: int | None
    notes: str
    ended_at: dt.datetime | None
    end_reason: str
    by: UserRef
    created_at: dt.datetime

    @staticmethod
    def resolve_promises(obj: models.Agreement) -> list[models.AgreementPromise]:
        return list(obj.promises.all())


class PromiseCreate(Input):
    owner: CommitmentOwner
    what: str
    due: Day | None = Field(None, description="Defaults to the next review.")


class AgreementCreate(Input):
    partner: Id
    promises: list[PromiseCreate] = Field(
        description="What each side will do: at least one by the advisor and one by the partner."
    )
    referral_process: ReferralProcess
    next_review: Day
    keep_in_touch: str = Field("", description="Defaults to the partner's running cadences.")
    agreed_on: Day | None = Field(None, description="Defaults to today.")
    meeting: Id | None = Field(None, description="The partnership meeting it came from.")
    notes: str = ""


class AgreementFilters(Schema):
    partner: RecordId | None = None
    status: AgreementStatus | None = None


class ReasonBody(Input):
    reason: str


# --- Cadences -------------------------------------------------------------------------------
class Cadence(Schema):
    kind: CadenceKind
    interval_months: int | None = Field(description="Null for a membership (the newsletter).")
    source: str = Field(description="firm (the stage's default) or partner (an override).")
    description: str
    last_touch_at: dt.datetime | None
    due: dt.date | None
    overdue: bool


class CadenceList(Schema):
    items: list[Cadence]
    count: int


class CadenceSet(Input):
    kind: CadenceKind
    enabled: StrictBool = Field(True, description="False turns this cadence off for the partner.")
    interval_months: StrictInt | None = Field(None, description="1 to 36; null for the newsletter.")
    use_default: StrictBool = Field(
        False, description="Drop the override: the firm's default for the stage applies again."
    )


# --- Strategies -----------------------------------------------------------------------------
class StrategySwitch(Schema):
    id: int
    strategy: Strategy
    started_at: dt.datetime
    note: str
    by: UserRef


class PartnerStrategy(Schema):
    strategy: Strategy
    label: str
    rung: int = Field(description="1 (client-requested) to 5 (joint client work).")
    history: list[StrategySwitch] = Field(description="Every switch, newest first.")


class StrategySwitchCreate(Input):
    strategy: Strategy
    note: str = ""
    occurred_at: When | None = Field(None, description="Defaults to now.")


# --- Meetings -------------------------------------------------------------------------------
class MeetingPoint(Schema):
    id: int
    position: int
    prompt: str
    profile_field: ProfileField | None = Field(description="The profile field its answer fills.")
    covered: bool
    answer: str

    @staticmethod
    def resolve_profile_field(obj: models.MeetingPoint) -> str | None:
        return obj.profile_field or None


class Meeting(Schema):
    id: int
    partner: PartnerRef
    kind: MeetingKind
    plan_id: int | None
    plan_name: str
    scheduled_for: dt.datetime
    duration_minutes: int
    location: str
    status: MeetingStatus
    held_at: dt.datetime | None
    summary: str
    touch_id: int | None
    points: list[MeetingPoint]
    created_at: dt.datetime

    @staticmethod
    def resolve_plan_name(obj: models.Meeting) -> str:
        return obj.plan.name if obj.plan else ""

    @staticmethod
    def resolve_points(obj: models.Meeting) -> list[models.MeetingPoint]:
        return list(obj.points.all())


class MeetingCreate(Input):
    kind: MeetingKind
    scheduled_for: When = Field(description="May be in the past, to log a meeting held.")
    duration_minutes: StrictInt | None = Field(None, description="Defaults to the plan's length.")
    location: str = ""


class PointAnswer(Input):
    point: Id
    answer: str = ""
    covered: StrictBool = False


class MeetingHold(Input):
    held_at: When | None = Field(None, description="Defaults to now.")
    summary: str = ""
    points: list[PointAnswer] = Field(
        default_factory=list,
        description="Answers by point id; an answer to a point naming a profile field fills it.",
    )


class MeetingCancel(Input):
    reason: str = ""


class MeetingReschedule(Input):
    """Move a planned meeting; its points and plan stay."""

    scheduled_for: When = Field(description="The new date and time.")
    duration_minutes: StrictInt | None = Field(None, description="5 to 480; unchanged if left out.")
    location: str | None = Field(None, description="Unchanged if left out.")


# --- Concerns, the library and opportunities ------------------------------------------------
class Opportunity(Schema):
    id: int
    partner: PartnerRef
    strategy: Strategy
    title: str
    proposal: str
    status: OpportunityStatus
    concern_id: int | None
    solution_id: int | None
    case_id: int | None
    meeting_id: int | None
    ask_by: dt.date
    meeting_requested_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome_note: str
    referral: int | None = Field(description="The received referral it produced, once linked.")
    created_at: dt.datetime

    @staticmethod
    def resolve_referral(obj: models.Opportunity) -> int | None:
        return obj.referral_id


class OpportunityCreate(Input):
    title: str
    strategy: Strategy | None = Field(None, description="Defaults to the partner's current one.")
    proposal: str = ""
    meeting: Id | None = Field(None, description="The co-hosted event or joint review.")
    ask_by: Day | None = Field(None, description="Defaults to a week from today.")


class OpportunityRequest(Input):
    touch_kind: TouchKind = TouchKind.CALL
    note: str = ""
    occurred_at: When | None = None


class OpportunityClose(Input):
    outcome: OpportunityStatus = Field(description="referred or declined.")
    note: str = ""
    occurred_at: When | None = Field(
        None, description="Defaults to now. With a referral, it closes when that was received."
    )
    referral: Id | None = Field(
        None,
        description="When referred: the referral received from the partner that it produced.",
    )


class OpportunityLink(Input):
    referral: Id = Field(
        description="A referral (not a connection) received from the opportunity's partner, "
        "not archived and not linked to another opportunity."
    )
    note: str = ""


class YieldFilters(Schema):
    partner: RecordId | None = Field(None, description="Only this partner's opportunities.")


class StrategyYield(Schema):
    strategy: Strategy
    label: str
    rung: int = Field(description="1 (client-requested) to 5 (joint client work).")
    partners: int = Field(description="Partners currently on this strategy.")
    opportunities: int
    meetings_requested: int
    referred: int = Field(description="Opportunities closed as referred.")
    referrals: int = Field(description="Received referrals linked to its opportunities.")
    clients: int = Field(description="Of those referrals, the ones that became clients.")


class Concern(Schema):
    id: int
    partner: PartnerRef
    source: ConcernSource
    description: str
    topic: Topic | None
    heard_on: dt.date
    status: ConcernStatus
    opportunity_ids: list[int]
    created_at: dt.datetime

    @staticmethod
    def resolve_topic(obj: models.ClientConcern) -> str | None:
        return obj.topic or None

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
    topic: Topic | None
    problem: str
    approach: str
    keywords: list[str]
    archived_at: dt.datetime | None = Field(description="Archived entries no longer match.")

    @staticmethod
    def resolve_topic(obj: models.Solution) -> str | None:
        return obj.topic or None

    @staticmethod
    def resolve_keywords(obj: models.Solution) -> list[str]:
        return obj.keyword_list


class Question(Schema):
    id: int
    topic: Topic
    text: str
    position: int
    archived_at: dt.datetime | None = Field(description="Archived questions are no longer drawn.")


# --- Client cases ---------------------------------------------------------------------------
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


# --- The advisor's message and the calendar feed --------------------------------------------
class AdvisorMessage(Schema):
    whom_i_help: str
    what_is_unique: str
    has_message: bool
    weekly_digest: bool


class AdvisorMessageSet(Input):
    whom_i_help: str
    what_is_unique: str
    weekly_digest: StrictBool | None = Field(None, description="Email me my week on Mondays.")


# Whether the partner could say the advisor's message back.
CheckResult = Literal["yes", "no"]


class MessageCheck(Schema):
    id: int
    partner: PartnerRef
    result: CheckResult = Field(description="yes: they said it back; no: not yet.")
    heard: str = Field(description="What they said.")
    checked_at: dt.datetime
    by: UserRef


class MessageCheckCreate(Input):
    result: CheckResult = Field(description="The partner's profile (can_describe_value) follows.")
    heard: str = Field("", max_length=1000, description="What they said, in their words.")
    checked_at: When | None = Field(None, description="Defaults to now; may be in the past.")


class CalendarFeed(Schema):
    live: bool
    hint: str = Field(description="The first characters of the live address's secret.")
    created_at: dt.datetime | None


class CalendarFeedCreated(Schema):
    url: str = Field(description="The secret address to subscribe to; shown only this once.")
    hint: str
    created_at: dt.datetime


class CalendarFeedRevoked(Schema):
    revoked: int = Field(description="How many live feeds were stopped.")


class MeetingPlanItem(Schema):
    id: int
    plan_id: int
    position: int
    prompt: str
    guidance: str
    profile_field: ProfileField | None

    @staticmethod
    def resolve_profile_field(obj: models.MeetingPlanItem) -> str | None:
        return obj.profile_field or None


class MeetingPlan(Schema):
    id: int
    kind: MeetingKind
    name: str
    purpose: str
    duration_minutes: int
    items: list[MeetingPlanItem]

    @staticmethod
    def resolve_items(obj: models.MeetingPlan) -> list[models.MeetingPlanItem]:
        return list(obj.items.all())


class CadenceDefault(Schema):
    stage: Stage
    kind: CadenceKind
    interval_months: int | None


# --- Editing the firm's playbook (firm admins) ----------------------------------------------
# Updates change only the fields sent; null clears a field that may be empty (a purpose, a
# guidance, a topic, a profile field, the keywords) and leaves a required one as it is.


class MeetingPlanUpdate(Input):
    """Only the fields sent change; ``purpose: null`` empties it."""

    name: str | None = None
    purpose: str | None = None
    duration_minutes: StrictInt | None = Field(None, description="5 to 480.")


PlanPosition = Annotated[StrictInt, Field(ge=0, le=999)]


class MeetingPlanItemCreate(Input):
    prompt: str = Field(description="The point to cover.")
    guidance: str = ""
    profile_field: ProfileField | None = Field(
        None, description="The partner's profile field its answer fills."
    )
    position: PlanPosition | None = Field(None, description="Defaults to after the last point.")


class MeetingPlanItemUpdate(Input):
    """Only the fields sent change; ``guidance: null`` empties it, ``profile_field: null``
    makes the answer fill no field."""

    prompt: str | None = None
    guidance: str | None = None
    profile_field: ProfileField | None = None
    position: PlanPosition | None = None


class CadenceDefaultList(Schema):
    items: list[CadenceDefault]
    count: int


class CadenceDefaultSet(Input):
    stage: Stage
    kind: CadenceKind
    interval_months: StrictInt | None = Field(None, description="1 to 36; null for the newsletter.")
    enabled: StrictBool = Field(
        True,
        description="False removes the firm's default of this kind for the stage: its partners "
        "get none unless their advisor sets one.",
    )


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
