from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

from reciprocity.api.schemas.common import RecordId, WholeNumber
from reciprocity.records import after_key, rows_between

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 1_000_000_000
AFTER_NOT_IN_LIST = "No item with that id in this list: send the id of an item it listed."
AFTER_NEEDS_DEFAULT_ORDER = (
    "after pages through the list in its default order only; with another sort, use offset."
)
AFTER_WITH_OFFSET = "Send after or offset, not both."


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=`` → ``{"items": [...], "count": N}``; count is the total, not the page.
    ``?after=<id>`` pages by keys instead: the items after that one, however deep."""

    class Input(Schema):
        limit: Annotated[int, WholeNumber] = Field(
            DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="How many items to return."
        )
        # Bounded so that no database is asked for an offset past its integer range.
        offset: Annotated[int, WholeNumber] = Field(
            0, ge=0, le=MAX_OFFSET, description="How many items to skip."
        )
        after: RecordId | None = Field(
            None,
            description="The id of the last item of the previous page: the next page starts "
            "after it (keys rather than an offset, as fast deep in a long list; default order "
            "only).",
        )

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        offset, limit = pagination.offset, min(pagination.limit, self.max_limit)
        if not isinstance(queryset, QuerySet):
            if pagination.after is not None:
                raise ValidationError({"after": AFTER_NEEDS_DEFAULT_ORDER})
            return super().paginate_queryset(queryset, pagination, request, **params)
        page = queryset
        if pagination.after is not None:
            if offset:
                raise ValidationError({"after": AFTER_WITH_OFFSET})
            try:
                after = after_key(queryset, pagination.after)
            except ValueError:
                raise ValidationError({"after": AFTER_NEEDS_DEFAULT_ORDER}) from None
            if after is None:
                raise ValidationError({"after": AFTER_NOT_IN_LIST})
            page = after
        return {
            self.items_attribute: rows_between(page, offset, offset + limit),
            "count": self._items_count(queryset),
        }
