"""A referral's compensation and the evidence of its disclosure, its document uploaded and
downloaded; the compliance list of compensated referrals (JSON or CSV)."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils import timezone
from ninja import File, Query, Router
from ninja.files import UploadedFile

from reciprocity.accounts.decorators import write_required
from reciprocity.api.auth import current_user
from reciprocity.api.errors import responses
from reciprocity.api.schemas import disclosures as schemas
from reciprocity.api.schemas.common import RecordId
from reciprocity.referrals import compliance
from reciprocity.referrals.disclosure import ReferralDisclosure
from reciprocity.referrals.disclosure_views import document_response
from reciprocity.referrals.selectors import referral_disclosure_document, referral_get_for
from reciprocity.referrals.services import disclosures as services
from reciprocity.spreadsheets import csv_lines

referral_disclosures = Router(tags=["Referrals"])
compliance_lists = Router(tags=["Compliance"])

NO_FILE = "Send the disclosure document as the multipart field 'file'."


def _disclosure(request: HttpRequest, id: int) -> ReferralDisclosure:
    referral = referral_get_for(advisor=current_user(request), pk=id)
    return ReferralDisclosure.objects.filter(referral=referral).first() or ReferralDisclosure(
        referral=referral
    )


@referral_disclosures.get(
    "/{id}/disclosure",
    response=responses({200: schemas.Disclosure}),
    summary="Get a referral's compensation and disclosure",
)
def get_referral_disclosure(request: HttpRequest, id: RecordId) -> ReferralDisclosure:
    """Also part of the referral itself (``disclosure``)."""
    return _disclosure(request, id)


@referral_disclosures.patch(
    "/{id}/disclosure",
    response=responses({200: schemas.Disclosure}),
    summary="Record a referral's compensation and disclosure",
)
@write_required
def update_referral_disclosure(
    request: HttpRequest, id: RecordId, payload: schemas.DisclosureUpdate
) -> ReferralDisclosure:
    """Whether it involves compensation or a solicitor arrangement, the arrangement, the
    disclosure given to the client, when and how it was delivered and the client's
    acknowledgement. When the firm requires the evidence, moving a compensated referral to
    introduced or later answers 422 with a ``detail`` naming what is missing."""
    user = current_user(request)
    fields = payload.model_dump(exclude_unset=True)
    from_template = bool(fields.pop("from_template", False))
    services.referral_disclosure_update(
        referral=referral_get_for(advisor=user, pk=id),
        by=user,
        from_template=from_template,
        **fields,
    )
    return _disclosure(request, id)


@referral_disclosures.post(
    "/{id}/disclosure/document",
    response=responses({200: schemas.Disclosure}),
    summary="Upload a referral's disclosure document",
)
@write_required
def upload_referral_disclosure_document(
    request: HttpRequest, id: RecordId, file: File[UploadedFile | None] = None
) -> ReferralDisclosure:
    """Multipart, field ``file``: a PDF, PNG or JPEG (checked by its content, not its name) of
    at most DISCLOSURE_MAX_BYTES. It replaces the document shown; the earlier one stays on
    record in the disclosure's history."""
    user = current_user(request)
    referral = referral_get_for(advisor=user, pk=id)
    if file is None:
        raise ValidationError({"file": NO_FILE})
    services.referral_disclosure_attach(
        referral=referral, by=user, upload=file, name=file.name or "", size=file.size
    )
    return _disclosure(request, id)


@referral_disclosures.get(
    "/{id}/disclosure/document",
    response=responses({200: None}),
    summary="Download a referral's disclosure document",
)
def get_referral_disclosure_document(request: HttpRequest, id: RecordId) -> FileResponse:
    """As an attachment; 404 for a referral you may not see or one without a document."""
    return document_response(referral_disclosure_document(advisor=current_user(request), pk=id))


@compliance_lists.get(
    "/referrals",
    response=responses({200: schemas.ComplianceList}, not_found=False),
    summary="List compensated referrals and their disclosure evidence",
    openapi_extra={
        "responses": {
            200: {
                "description": "OK",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ComplianceList"}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            },
        }
    },
)
def list_compliance_referrals(
    request: HttpRequest, query: Query[schemas.ComplianceQuery]
) -> StreamingHttpResponse | dict[str, object]:
    """Compliance officers and firm admins: the firm's compensated referrals, newest first;
    ``missing=true`` only those whose disclosure evidence is incomplete; ``from``/``to`` the
    days they were made. ``format=csv``: the whole list as a CSV file."""
    filters = compliance.ComplianceFilters(missing=query.missing, start=query.start, end=query.end)
    rows: QuerySet[ReferralDisclosure] = compliance.compensated_referrals(
        reader=current_user(request), filters=filters
    )
    if query.format == "csv":
        response = StreamingHttpResponse(
            csv_lines(compliance.CSV_HEADER, compliance.csv_rows(rows.iterator())),
            content_type="text/csv; charset=utf-8",
        )
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = (
            f'attachment; filename="compensated-referrals-{stamp}.csv"'
        )
        return response
    page = rows[query.offset : query.offset + query.limit]
    return {
        "items": list(page),
        "count": rows.count(),
    }
