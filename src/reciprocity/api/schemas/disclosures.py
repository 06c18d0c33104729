"""A referral's compensation and the evidence of its disclosure; the compliance list."""

import datetime as dt
import re
from typing import Annotated, Any, Literal

from django.urls import reverse
from ninja import Field, Schema
from pydantic import BeforeValidator

from reciprocity.api.schemas.common import (
    BlankIsNull,
    Day,
    Input,
    PartnerRef,
    Text,
    UserRef,
    WholeNumber,
)
from reciprocity.dates import out_of_range
from reciprocity.referrals import compliance
from reciprocity.referrals.disclosure import (
    AcknowledgementMethod,
    ArrangementKind,
    DeliveryMethod,
    ReferralDisclosure,
)
from reciprocity.referrals.models import Direction, Kind, ReferralStatus


class Document(Schema):
    name: str = Field(description="The name it was uploaded with.")
    url: str = Field(description="Where it is downloaded (as an attachment).")


class Disclosure(Schema):
    """Whether the referral involves compensation or a solicitor arrangement (either way), the
    arrangement, the disclosure the client was given (a text or a document), when and how it
    was delivered, and the client's acknowledgement."""

    compensated: bool
    arrangement_kind: Annotated[ArrangementKind | None, BlankIsNull]
    arrangement_terms: str = Field(description="The amount or basis of the arrangement.")
    disclosure_text: str
    document: Document | None = Field(description="The disclosure document, when one is attached.")
    delivered_on: dt.date | None
    delivery_method: Annotated[DeliveryMethod | None, BlankIsNull]
    acknowledged_on: dt.date | None
    acknowledgement_method: Annotated[AcknowledgementMethod | None, BlankIsNull]
    missing: list[str] = Field(
        description="The evidence not recorded yet for a compensated referral (empty otherwise). "
        "When the firm requires the evidence, the referral does not pass the introduction "
        "(introduced, meeting_held, engaged, became_client) until this is empty."
    )

    @staticmethod
    def resolve_document(obj: ReferralDisclosure) -> Document | None:
        if not obj.has_document:
            return None
        url = reverse("api:get_referral_disclosure_document", kwargs={"id": obj.referral_id})
        return Document(name=obj.disclosure_file_name, url=url)

    @staticmethod
    def resolve_missing(obj: ReferralDisclosure) -> list[str]:
        return obj.missing if obj.compensated else []


class DisclosureUpdate(Input):
    """The fields given change; the others stay (null clears one). ``from_template`` puts the
    firm's disclosure template in as ``disclosure_text``. A date needs its method."""

    compensated: bool | None = None
    arrangement_kind: ArrangementKind | None = None
    arrangement_terms: str | None = Field(None, max_length=300)
    disclosure_text: str | None = None
    delivered_on: Day | None = Field(None, description="The day it was delivered.")
    delivery_method: DeliveryMethod | None = None
    acknowledged_on: Day | None = Field(None, description="The day the client acknowledged it.")
    acknowledgement_method: AcknowledgementMethod | None = None
    from_template: bool = Field(False, description="Use the firm's disclosure template as text.")


def _iso_day(value: Any) -> Any:
    """A day in a query: ISO 8601 text (YYYY-MM-DD) within the plausible years."""
    if not isinstance(value, str) or not ISO_DAY.fullmatch(value):
        raise ValueError("Use an ISO 8601 date, for example 2025-03-14.")
    day = dt.date.fromisoformat(value)
    problem = out_of_range(day)
    if problem:
        raise ValueError(problem)
    return day


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
QueryDay = Annotated[dt.date, BeforeValidator(_iso_day)]


class ComplianceQuery(Text):
    missing: bool = Field(
        False, description="Only compensated referrals whose disclosure evidence is incomplete."
    )
    start: QueryDay | None = Field(
        None, alias="from", description="Referrals made on or after this day."
    )
    end: QueryDay | None = Field(
        None, alias="to", description="Referrals made on or before this day."
    )
    format: Literal["json", "csv"] = Field("json", description="csv: the whole list as a file.")
    limit: Annotated[int, WholeNumber] = Field(50, ge=1, le=200, description="JSON only.")
    offset: Annotated[int, WholeNumber] = Field(0, ge=0, le=1_000_000_000, description="JSON only.")


class ComplianceReferral(Schema):
    """A compensated referral as the compliance list shows it (read from its disclosure)."""

    id: int = Field(validation_alias="referral_id")
    occurred_at: dt.datetime = Field(validation_alias="referral.occurred_at")
    direction: Direction = Field(validation_alias="referral.direction")
    kind: Kind = Field(validation_alias="referral.kind")
    need: str = Field(validation_alias="referral.need")
    status: ReferralStatus = Field(validation_alias="referral.status")
    past_introduction: bool = Field(
        description="Its status is the introduction or later (introduced, meeting_held, engaged, "
        "became_client)."
    )
    partner: PartnerRef = Field(validation_alias="referral.partner")
    by: UserRef = Field(validation_alias="referral.by")
    disclosure: Disclosure

    @staticmethod
    def resolve_past_introduction(obj: ReferralDisclosure) -> bool:
        return compliance.past_introduction(obj)

    @staticmethod
    def resolve_disclosure(obj: ReferralDisclosure) -> ReferralDisclosure:
        return obj


class ComplianceList(Schema):
    items: list[ComplianceReferral]
    count: int = Field(description="How many match, not only this page.")
