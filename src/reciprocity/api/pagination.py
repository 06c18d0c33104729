from typing import Annotated

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

from reciprocity.api.schemas.common import WholeNumber

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 1_000_000_000


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=`` → ``{"items": [...], "count": N}``; count is the total, not the page."""

    class Input(Schema):
        limit: Annotated[int, WholeNumber] = Field(
            DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="How many items to return."
        )
        # Bounded so that no database is asked for an offset past its integer range.
        offset: Annotated[int, WholeNumber] = Field(
            0, ge=0, le=MAX_OFFSET, description="How many items to skip."
        )
