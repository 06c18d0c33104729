"""The firm's protocols for sending a referral."""

import datetime as dt

from ninja import Field, Schema

from reciprocity.api.schemas.common import Input
from reciprocity.partners.models import Profession
from reciprocity.referrals import models as referral_models
from reciprocity.referrals.models import StepSlug


class ProtocolStep(Input):
    slug: StepSlug
    label: str


class Protocol(Schema):
    """The firm's steps for sending a referral to one profession."""

    profession: Profession
    steps: list[ProtocolStep]
    is_default: bool = Field(description="Whether the steps are the product's defaults.")
    updated_at: dt.datetime | None = Field(description="Null while never edited nor used.")

    @staticmethod
    def resolve_is_default(obj: referral_models.ProtocolTemplate) -> bool:
        return obj.steps == referral_models.default_protocol(obj.profession)

    @staticmethod
    def resolve_updated_at(obj: referral_models.ProtocolTemplate) -> dt.datetime | None:
        return obj.updated_at if obj.pk else None


class ProtocolUpdate(Input):
    steps: list[ProtocolStep] = Field(description="The steps, in order; each slug at most once.")
