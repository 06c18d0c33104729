"""The partner list's export buttons: the list as filtered on the page, as a file."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from reciprocity.partners.forms import PartnerListForm
from reciprocity.transfer.exports.book import BOOK_CONTENT_TYPE, book_chunks, book_filename
from reciprocity.transfer.exports.lists import (
    LIST_FORMATS,
    export_chunks,
    list_partners_for_export,
)
from reciprocity.web.http import AuthedRequest

UNKNOWN_FORMAT = "Unknown export format. Use one of: csv, xlsx, vcf, json."


def _attachment(response: HttpResponse | StreamingHttpResponse, filename: str) -> None:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'


@login_required
@require_GET
def partner_export(request: AuthedRequest) -> HttpResponse | StreamingHttpResponse:
    """``?format=csv|xlsx|vcf`` with the list's own query string; ``json`` is the whole book."""
    chosen = request.GET.get("format", "")
    response: HttpResponse | StreamingHttpResponse
    if chosen == "json":
        response = StreamingHttpResponse(
            book_chunks(user=request.user), content_type=BOOK_CONTENT_TYPE
        )
        _attachment(response, book_filename(request.user.username))
        return response
    fmt = LIST_FORMATS.get(chosen)
    if fmt is None:
        return HttpResponse(UNKNOWN_FORMAT, status=400, content_type="text/plain")
    filters = PartnerListForm(request.GET, user=request.user).filters()
    partners = list_partners_for_export(advisor=request.user, filters=filters)
    response = StreamingHttpResponse(export_chunks(partners, fmt), content_type=fmt.content_type)
    _attachment(response, fmt.filename())
    return response
