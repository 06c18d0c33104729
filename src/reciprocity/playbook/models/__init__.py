"""The playbook: how an advisor runs each partner once the pipeline has found them.

Meeting plans per stage, the written agreement, the keep-warm cadence, the referral strategy with
its working tools (client concerns, anonymous client cases, joint client work) and the
opportunities they produce, the advisor's message, and the private calendar feed.
"""

from reciprocity.playbook.models.agenda import AgendaSnooze
from reciprocity.playbook.models.agreements import Agreement, AgreementPromise, AgreementStatus
from reciprocity.playbook.models.cadences import (
    CADENCE_COMPLETION_TOUCH,
    CADENCE_LAST_TOUCH,
    CADENCE_TOUCH_KINDS,
    INTERVAL_MAX_MONTHS,
    INTERVAL_MIN_MONTHS,
    INTERVAL_RANGE,
    Cadence,
    CadenceDefault,
    CadenceKind,
    validate_interval_months,
)
from reciprocity.playbook.models.calendar import CalendarFeed
from reciprocity.playbook.models.library import (
    STRATEGY_OF_CONCERN,
    CaseQuestion,
    CaseStatus,
    ClientCase,
    ClientConcern,
    ConcernSource,
    ConcernStatus,
    DiagnosticQuestion,
    Solution,
    Topic,
)
from reciprocity.playbook.models.meetings import (
    MEETING_FOR_STAGE,
    Meeting,
    MeetingKind,
    MeetingPlan,
    MeetingPlanItem,
    MeetingPoint,
    MeetingStatus,
    ProfileField,
)
from reciprocity.playbook.models.message import AdvisorProfile, MessageCheck
from reciprocity.playbook.models.strategies import (
    OPEN_OPPORTUNITY_STATUSES,
    STRATEGY_RUNGS,
    Opportunity,
    OpportunityStatus,
    PartnerStrategy,
    Strategy,
)

# Django finds an app's models here; each sub-domain's models live in its own module.
__all__ = [
    "CADENCE_COMPLETION_TOUCH",
    "CADENCE_LAST_TOUCH",
    "CADENCE_TOUCH_KINDS",
    "INTERVAL_MAX_MONTHS",
    "INTERVAL_MIN_MONTHS",
    "INTERVAL_RANGE",
    "MEETING_FOR_STAGE",
    "OPEN_OPPORTUNITY_STATUSES",
    "STRATEGY_OF_CONCERN",
    "STRATEGY_RUNGS",
    "AdvisorProfile",
    "AgendaSnooze",
    "Agreement",
    "AgreementPromise",
    "AgreementStatus",
    "Cadence",
    "CadenceDefault",
    "CadenceKind",
    "CalendarFeed",
    "CaseQuestion",
    "CaseStatus",
    "ClientCase",
    "ClientConcern",
    "ConcernSource",
    "ConcernStatus",
    "DiagnosticQuestion",
    "Meeting",
    "MeetingKind",
    "MeetingPlan",
    "MeetingPlanItem",
    "MeetingPoint",
    "MeetingStatus",
    "MessageCheck",
    "Opportunity",
    "OpportunityStatus",
    "PartnerStrategy",
    "ProfileField",
    "Solution",
    "Strategy",
    "Topic",
    "validate_interval_months",
]
