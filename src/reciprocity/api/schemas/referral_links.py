"""The partner's confirmation links of a sent referral."""

import datetime as dt
from typing import Annotated

from ninja import Field, Schema

from reciprocity.api.schemas.common import BlankIsNull, Input, UserRef
from reciprocity.referrals.link_models import LinkPurpose, PartnerAnswer
from reciprocity.referrals.link_models import ReferralLink as ReferralLinkModel
from reciprocity.referrals.link_selectors import link_state


class ReferralLink(Schema):
    """A link as the advisor sees it; its URL only in the answer that created it."""

    id: int
    purpose: LinkPurpose
    state: str = Field(description="live, answered, revoked or expired.")
    created_by: UserRef
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    answer: Annotated[PartnerAnswer | None, BlankIsNull] = Field(
        description="The partner's answer, once given."
    )
    note: str = Field(description="The partner's note.")
    moved_to: Annotated[str | None, BlankIsNull] = Field(
        description="The status the answer moved the referral to."
    )
    held_reason: str = Field(description="Why the answer left the status where it was.")
    touch_id: int | None = Field(description="The touch logged on the partner's timeline.")

    @staticmethod
    def resolve_state(obj: ReferralLinkModel) -> str:
        return link_state(obj)


class ReferralLinkCreated(ReferralLink):
    url: str = Field(description="The partner's URL: shown this once, never again.")


class ReferralLinkCreate(Input):
    purpose: LinkPurpose = Field(
        description="receipt: the partner confirms they received it; outcome: they report it."
    )
