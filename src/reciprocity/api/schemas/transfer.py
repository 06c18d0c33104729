"""Likely duplicates, merges and exports of partners."""

from typing import Literal

from ninja import Field, Schema

from reciprocity.api.schemas.common import Input, RecordId, Text, UserRef


class Duplicate(Schema):
    """A partner you can see that is likely the same person, with why."""

    id: int = Field(validation_alias="partner.pk")
    name: str = Field(validation_alias="partner.name")
    organization: str = Field(validation_alias="partner.organization")
    owner: UserRef = Field(validation_alias="partner.owner")
    reasons: list[str]


class DuplicatesFound(Schema):
    detail: str
    duplicates: list[Duplicate]


class DuplicateQuery(Text):
    name: str = Field("", max_length=200)
    organization: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)


class CreateOptions(Text):
    check_duplicates: bool = Field(
        False,
        description="Refuse with 409 and the likely duplicates instead of creating a partner "
        "that has some; send the request again without it to create anyway.",
    )


class MergeRequest(Input):
    other: RecordId = Field(description="The partner merged into this one, then archived.")


class MergeResult(Schema):
    partner: RecordId
    merged: RecordId
    moved: dict[str, int]


class ExportQuery(Text):
    format: Literal["csv", "xlsx", "vcf", "json"] = Field(
        description="csv, xlsx or vcf: the partner list as filtered; json: your whole book."
    )
