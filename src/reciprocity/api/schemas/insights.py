"""Response bodies of the diagnoses. Slugs are literals, so the OpenAPI document lists them."""

import datetime as dt
from typing import Annotated

from ninja import Field, Schema

from reciprocity.api.schemas.common import BlankIsNull, Input, PartnerRef, RecordId
from reciprocity.insights import diagnoses as insights
from reciprocity.insights import funnel, models
from reciprocity.insights.diagnoses import ActionSlug, DiagnosisSlug, Severity
from reciprocity.partners.models import FailureReason, Stage


class Diagnosis(Schema):
    slug: DiagnosisSlug = Field(
        description="no_referral_yet, one_way, wrong_message, wrong_firm, wrong_professional, "
        "gone_cold, no_agreement, too_many_partners (about your book, not one partner), or "
        "too_early (severity info: reassurance, not a problem)."
    )
    partner: PartnerRef | None = Field(
        description="The partner diagnosed; null for a diagnosis of your book."
    )
    title: str
    evidence: list[str] = Field(description="What the records show, one fact per line.")
    action: ActionSlug = Field(description="The playbook's answer.")
    action_label: str
    action_url: str = Field(description="Where in the web app the action is taken.")
    severity: Severity = Field(
        description="high: decide now; medium: look into it; low; info: reassurance (too "
        "early to judge), listed after the others."
    )
    reason: Annotated[FailureReason | None, BlankIsNull] = Field(
        description="For walk_away, the failure reason to retire the partner with."
    )

    @staticmethod
    def resolve_partner(obj: insights.Diagnosis) -> dict[str, object] | None:
        if obj.partner_id is None:
            return None
        return {"id": obj.partner_id, "name": obj.partner_name}


class DiagnosisFilters(Schema):
    partner: RecordId | None = Field(None, description="Only this partner's (404 if not yours).")
    slug: DiagnosisSlug | None = Field(None, description="Only this diagnosis.")
    all: bool | None = Field(
        None,
        description="true: every partner you can see (your team's, or the firm's for a firm "
        "admin or compliance officer); false: only your own. Not given: the whole firm for a "
        "firm admin or compliance officer, as the dashboard starts, your own for an advisor.",
    )


class PartnerDiagnosisFilters(Schema):
    slug: DiagnosisSlug | None = Field(None, description="Only this diagnosis.")


class FunnelFilters(Schema):
    all: bool | None = Field(
        None,
        description="true: every partner you can see; false: only your own. Not given: the "
        "whole firm for a firm admin or compliance officer, your own for an advisor.",
    )
    team: RecordId | None = Field(
        None,
        description="Firm admins and compliance officers: the funnel of the partners owned by "
        "this team's members.",
    )
    owner: RecordId | None = Field(
        None,
        description="Firm admins and compliance officers: the funnel of this advisor's "
        "partners (with ``team``, the advisor must be in it for any partner to count).",
    )


class FunnelStep(Schema):
    stage: Stage
    label: str
    reached: int = Field(description="Partners whose furthest stage is this one or later.")
    went_on: int | None = Field(description="Of those, how many reached the next stage.")
    rate: int | None = Field(description="went_on as a percent of reached.")


class StageTime(Schema):
    stage: Stage
    label: str
    median_days: float | None = Field(description="Median days of the completed stays.")
    stays: int


class FirstReferral(Schema):
    median_days: float | None = Field(
        description="Median days from the first meeting to the first referral received."
    )
    partners: int = Field(description="Partners with both, the median is over.")


class TopPartner(Schema):
    partner: PartnerRef
    received: int = Field(description="Referrals received in the last twelve months.")

    @staticmethod
    def resolve_partner(obj: funnel.TopPartner) -> dict[str, object]:
        return {"id": obj.partner_id, "name": obj.name}


class Funnel(Schema):
    steps: list[FunnelStep]
    times: list[StageTime]
    first_referral: FirstReferral
    top: list[TopPartner]

    @staticmethod
    def resolve_first_referral(obj: funnel.Funnel) -> dict[str, object]:
        return {
            "median_days": obj.first_referral_median_days,
            "partners": obj.first_referral_partners,
        }


class DismissalCreate(Input):
    reason: str = Field(description="Why you set this diagnosis aside (required).")


class Dismissal(Schema):
    id: RecordId
    partner: PartnerRef
    slug: DiagnosisSlug
    reason: str
    evidence: list[str] = Field(description="The evidence as it read when dismissed.")
    dismissed_at: dt.datetime
    by: str = Field(description="Who dismissed it.")

    @staticmethod
    def resolve_partner(obj: models.Dismissal) -> dict[str, object]:
        return {"id": obj.partner_id, "name": obj.partner.name}

    @staticmethod
    def resolve_by(obj: models.Dismissal) -> str:
        return obj.by.display_name


class NextAction(Schema):
    sentence: str = Field(description="What to do next with the partner, in one sentence.")
    source: str = Field(
        description="Where it comes from: an agenda item's kind (``commitment``, "
        "``cadence``, ...), ``diagnosis``, ``next_step`` or ``stage``."
    )
    due: dt.date | None = Field(description="When it is due, if it has a date.")
    overdue: bool
    is_next_step: bool = Field(description="It is the partner's next step (``next_step``).")
