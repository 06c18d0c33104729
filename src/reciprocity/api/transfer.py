"""Partners in and out: likely duplicates, merging two partners, and exports.

Mounted on ``/partners`` before the partners router, so ``/partners/duplicates`` and
``/partners/export`` are not read as a partner's id.
"""

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router

from reciprocity.accounts.decorators import write_required
from reciprocity.api.auth import current_user
from reciprocity.api.errors import responses
from reciprocity.api.partners import chosen
from reciprocity.api.schemas import transfer as schemas
from reciprocity.api.schemas.common import RecordId
from reciprocity.api.schemas.partners import PartnerFilters
from reciprocity.partners.duplicates import Duplicate, partner_duplicates_for
from reciprocity.partners.merge import partner_merge
from reciprocity.partners.selectors import partner_get_for
from reciprocity.transfer.exports.book import BOOK_CONTENT_TYPE, book_chunks, book_filename
from reciprocity.transfer.exports.lists import (
    LIST_FORMATS,
    export_chunks,
    list_partners_for_export,
)

partner_transfer = Router(tags=["Duplicates, merges and exports"])


@partner_transfer.get(
    "/duplicates",
    response=responses({200: list[schemas.Duplicate]}, not_found=False),
    summary="Find likely duplicates",
)
def find_duplicates(request: HttpRequest, query: Query[schemas.DuplicateQuery]) -> list[Duplicate]:
    """Partners you can see that are likely the one described: the same email or phone, the
    same name, or a close name in the same organization. Ask before creating one, or create it
    with ``?check_duplicates=true``."""
    return partner_duplicates_for(advisor=current_user(request), **query.model_dump())


@partner_transfer.post(
    "/{id}/merge",
    response=responses({200: schemas.MergeResult}),
    summary="Merge a duplicate into a partner",
)
@write_required
def merge_partner(
    request: HttpRequest, id: RecordId, payload: schemas.MergeRequest
) -> schemas.MergeResult:
    """Moves the touches, commitments, stage history, referrals, meetings, agreements, cases and
    opportunities of ``other`` to this partner, and archives ``other`` with a pointer here. A
    firm admin, or the advisor who owns both, may merge."""
    user = current_user(request)
    keep = partner_get_for(advisor=user, pk=id, include_archived=False)
    other = partner_get_for(advisor=user, pk=payload.other, include_archived=False)
    result = partner_merge(user=user, keep=keep, other=other)
    return schemas.MergeResult(partner=keep.pk, merged=other.pk, moved=result.moved)


@partner_transfer.get(
    "/export",
    response=responses({200: None}, not_found=False),
    summary="Export the partner list, or your whole book",
)
def export_partners(
    request: HttpRequest, query: Query[schemas.ExportQuery], filters: Query[PartnerFilters]
) -> StreamingHttpResponse:
    """``csv``, ``xlsx`` or ``vcf``: the partners ``GET /partners`` lists with the same filters
    (every spreadsheet cell neutralised against formulas). ``json``: your whole book (every
    partner you own and every record of theirs) in the versioned ``reciprocity-book`` format
    that the import reads back into an empty account; the filters do not apply to it."""
    user = current_user(request)
    if query.format == "json":
        response = StreamingHttpResponse(book_chunks(user=user), content_type=BOOK_CONTENT_TYPE)
        filename = book_filename(user.username)
    else:
        fmt = LIST_FORMATS[query.format]
        partners = list_partners_for_export(advisor=user, filters=chosen(filters))
        response = StreamingHttpResponse(
            export_chunks(partners, fmt), content_type=fmt.content_type
        )
        filename = fmt.filename()
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
