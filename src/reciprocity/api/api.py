"""The REST API, mounted at /api/v1/: OpenAPI document at openapi.json, interactive docs at docs.

Every operation needs a personal access token or a logged-in session. Operation ids are the
view functions' names (``list_partners``, ``log_touch``…), so keep those readable and unique.
"""

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Swagger

from reciprocity.api import conditional, errors, limits
from reciprocity.api.auth import BearerToken, Session
from reciprocity.api.commitments import commitments, partner_commitments
from reciprocity.api.disclosures import compliance_lists, referral_disclosures
from reciprocity.api.imports import imports
from reciprocity.api.insights import diagnoses, insights, partner_diagnoses
from reciprocity.api.partners import partners, stage, touches
from reciprocity.api.playbook import (
    agenda,
    agreements,
    cadences,
    calendar,
    library,
    meetings,
    message,
    strategies,
)
from reciprocity.api.referral_links import referral_links
from reciprocity.api.referrals import balance, protocols, referrals
from reciprocity.api.search import search
from reciprocity.api.transfer import partner_transfer
from reciprocity.api.webhooks import webhooks

if TYPE_CHECKING:
    from ninja.operation import Operation

DESCRIPTION = """\
Run centers of influence as a pipeline: partners, their stage history, touches and commitments;
referrals sent and received, the protocol for sending one, and the reciprocity balance; and the
playbook that keeps partners referring: the agenda, agreements, cadences, strategies, meetings,
client concerns, client cases and opportunities.

**Authentication.** Send a personal access token as `Authorization: Bearer <token>`
(`reciprocity token create <username>` prints one), or use the session of a logged-in user;
session requests that change data must send the `X-CSRFToken` header. When the user's firm
requires two-factor authentication, the API answers 403 until they have set it up in the web app.

**Lists** take `?limit=&offset=` and answer `{"items": [...], "count": N}`; in their default
order `?after=<id>` pages by keys instead (the items after that one, as fast deep in a list as at
its start).

**Errors** are JSON with a `detail` that says what is wrong. Refused input answers 422 with
`errors`, one `{"field", "message"}` per problem. A record that is not yours answers 404.
"""


NO_SUCH_ENDPOINT = "No such endpoint. Paths have no trailing slash; see /api/v1/docs."


class ReciprocityAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: "Operation") -> str:
        return operation.view_func.__name__

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        conditional.describe(document)
        limits.describe(document)
        return document

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        """Every JSON answer that succeeded carries an ETag (see ``conditional``)."""
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        if 200 <= response.status_code < 300:
            response["ETag"] = conditional.body_tag(data, response.content)
        return response

    def error(self, request: HttpRequest, status: int, detail: str) -> HttpResponse:
        body = errors.Error(detail=detail).model_dump()
        return self.create_response(request, body, status=status)


api = ReciprocityAPI(
    title="Reciprocity API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[BearerToken(), Session()],
    # No validator badge: it would call a server on the internet.
    docs=Swagger(settings={"validatorUrl": None}),
)
errors.install(api)
conditional.install(api, api.error)
limits.install(api, api.error)
# Before the partners router: its "/{id}" would otherwise be asked about "/export" first.
api.add_router("/partners", partner_transfer)
api.add_router("/partners", partners)
api.add_router("/partners", stage)
api.add_router("/partners", touches)
api.add_router("/partners", partner_commitments)
api.add_router("/commitments", commitments)
api.add_router("/partners", cadences.partner_cadences)
api.add_router("/partners", strategies.partner_strategy)
api.add_router("/partners", meetings.partner_meetings)
api.add_router("/partners", strategies.partner_opportunities)
api.add_router("/partners", library.partner_concerns)
api.add_router("/partners", library.partner_cases)
api.add_router("/partners", message.partner_message_checks)
api.add_router("/agenda", agenda.agenda)
api.add_router("/agreements", agreements.agreements)
api.add_router("/meetings", meetings.meetings)
api.add_router("/opportunities", strategies.opportunities)
api.add_router("/concerns", library.concerns)
api.add_router("/cases", library.cases)
api.add_router("/me", message.me)
api.add_router("/calendar-feed", calendar.calendar_feed)
api.add_router("/playbook", library.firm_library)
api.add_router("/playbook", meetings.firm_meeting_plans)
api.add_router("/playbook", cadences.firm_cadence_defaults)
api.add_router("/referrals", referrals)
api.add_router("/referrals", referral_links)
api.add_router("/referrals", referral_disclosures)
api.add_router("/compliance", compliance_lists)
api.add_router("/balance", balance)
api.add_router("/protocols", protocols)
api.add_router("/diagnoses", diagnoses)
api.add_router("/partners", partner_diagnoses)
api.add_router("/insights", insights)
api.add_router("/search", search)
api.add_router("/imports", imports)
api.add_router("/webhooks", webhooks)


@csrf_exempt  # it changes nothing, whatever the method
def unknown_endpoint(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Mounted after the API in urls.py: a mistyped path gets the JSON error shape too."""
    return JsonResponse({"detail": NO_SUCH_ENDPOINT}, status=404)
