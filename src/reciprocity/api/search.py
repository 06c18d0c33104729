"""One search over what the caller may see (search.selectors has the rules), best match first."""

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from reciprocity.api.auth import current_user
from reciprocity.api.errors import responses
from reciprocity.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from reciprocity.api.schemas.common import WholeNumber
from reciprocity.search.selectors import search as search_for

search = Router(tags=["Search"])

# A ranked search is read from its best match: past this, refine the words instead.
MAX_SEARCH_OFFSET = 1000


class SearchParams(Schema):
    q: str = Field(..., min_length=1, max_length=200, description="Words to find.")
    limit: Annotated[int, WholeNumber] = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: Annotated[int, WholeNumber] = Field(0, ge=0, le=MAX_SEARCH_OFFSET)


class SearchPartner(Schema):
    id: int
    name: str


class SearchHit(Schema):
    kind: str = Field(description="`partner`, `touch`, `note` or `referral`.")
    label: str
    title: str
    detail: str
    url: str = Field(description="The web page of the record.")
    partner: SearchPartner
    at: str | None
    rank: float


class SearchResults(Schema):
    items: list[SearchHit]
    count: int


@search.get("", response=responses({200: SearchResults}), summary="Search")
def search_records(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    """Partners (name, organization, email, phone, notes, profile, tag), touches and notes
    (summary) and referrals (need, notes, the person referred) that you may see and that contain
    every word of ``q`` as the start of a word, best match first, ranked by the database's
    full-text search. ``count`` is every match."""
    results = search_for(
        advisor=current_user(request), text=params.q, limit=params.limit, offset=params.offset
    )
    return {
        "count": results.count,
        "items": [
            {
                "kind": hit.kind,
                "label": hit.label,
                "title": hit.title,
                "detail": hit.detail,
                "url": hit.url,
                "partner": {"id": hit.partner_id, "name": hit.partner_name},
                "at": hit.at.isoformat() if hit.at else None,
                "rank": hit.rank,
            }
            for hit in results.hits
        ],
    }
