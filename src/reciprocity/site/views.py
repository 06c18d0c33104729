from django.db import DatabaseError, connection
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import redirect
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from reciprocity.ops.readiness import database_problem


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 otherwise; for load balancers and monitors."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    """For a load balancer: 200 only when the database answers, every migration is applied
    and the cache table exists; 503 with a ``detail`` otherwise. /health/ stays the cheap
    liveness check."""
    problem = database_problem()
    if problem:
        return JsonResponse({"status": "not ready", "detail": problem}, status=503)
    return JsonResponse({"status": "ready"})


def home(request: HttpRequest) -> HttpResponse:
    return redirect("pipeline")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A request Django refuses before any view (a forged Host header, say); integrators get
    the API's JSON error shape."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return HttpResponseBadRequest(loader.render_to_string("400.html"))


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: the database (sessions, user) may be what failed.
    return HttpResponseServerError(loader.render_to_string("500.html"))
