"""The dashboard, the papers of a partner (the meeting brief and the annual review), and
dismissing a partner's diagnosis."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from reciprocity.accounts.decorators import write_required
from reciprocity.accounts.models import Team, User
from reciprocity.insights import charts, services
from reciprocity.insights.diagnoses import assess_paged, thresholds_of
from reciprocity.insights.forms import DismissForm, FunnelForm
from reciprocity.insights.funnel import funnel_for
from reciprocity.insights.paper import annual_review_for, meeting_brief_for, review_years_of
from reciprocity.insights.selectors import funnel_scope, mine_only_for, picture_for
from reciprocity.ops.routers import reads_from_replica
from reciprocity.partners.models import Partner
from reciprocity.partners.selectors import partner_get_for
from reciprocity.web.forms import add_service_errors
from reciprocity.web.http import AuthedRequest, flash_errors
from reciprocity.web.pdf import pdf_response

# ?scope=all widens the picture from the advisor's own partners to every partner they may see;
# ?scope=mine narrows it back; without it, mine_only_for decides.
SCOPE_ALL = "all"
SCOPE_MINE = "mine"
SCOPES = {SCOPE_ALL: True, SCOPE_MINE: False}

# ?format=pdf answers a document as a PDF made on the server.
FORMAT_PDF = "pdf"
UNKNOWN_REVIEW_YEAR = "There is no review for {year}: choose a year from {first} to {last}."


# The dashboard names the first diagnoses and partners too early to judge, with their counts;
# "more" shows this many more each time, up to the maximum.
DASHBOARD_LIST_LIMIT = 20
DASHBOARD_MAX_SHOWN = 500


def funnel_label(*, team: Team | None, owner: User | None) -> str:
    """Whose funnel is drawn, when it is not the dashboard's scope."""
    if owner is not None:
        return owner.display_name + (f" in {team.name}" if team is not None else "")
    return team.name if team is not None else ""


def dashboard_context(
    user: User,
    *,
    mine_only: bool,
    shown: int = DASHBOARD_LIST_LIMIT,
    funnel_form: FunnelForm | None = None,
) -> dict[str, Any]:
    picture = picture_for(advisor=user, mine_only=mine_only)
    chosen = funnel_form.cleaned_data if funnel_form and funnel_form.is_valid() else {}
    funnel = funnel_for(
        partners=funnel_scope(
            advisor=user, mine_only=mine_only, team=chosen.get("team"), owner=chosen.get("owner")
        )
    )
    assessment = assess_paged(advisor=user, mine_only=mine_only, today=picture.today)
    diagnoses, too_early = assessment.first(shown)
    more = min(shown + DASHBOARD_LIST_LIMIT, DASHBOARD_MAX_SHOWN)
    return {
        "picture": picture,
        "funnel": funnel,
        "funnel_form": funnel_form,
        "funnel_of": funnel_label(team=chosen.get("team"), owner=chosen.get("owner")),
        "diagnoses": diagnoses,
        "diagnoses_count": len(assessment.diagnoses),
        "too_early": too_early,
        "too_early_count": len(assessment.too_early),
        "more_shown": more if more > shown else None,
        "patience_months": thresholds_of(user).patience_months,
        "stage_chart": charts.stage_chart(picture.pipeline),
        "referral_chart": charts.referral_chart(picture.months),
        "chart_width": charts.WIDTH,
        "chart_height": charts.HEIGHT,
        "mine_only": mine_only,
        "can_write": not user.is_read_only,
    }


@login_required
@reads_from_replica
def dashboard(request: AuthedRequest) -> HttpResponse:
    wide = SCOPES.get(request.GET.get("scope", ""))
    mine_only = mine_only_for(advisor=request.user, wide=wide)
    shown = request.GET.get("shown", "")
    funnel_form = (
        FunnelForm(request.GET, user=request.user) if request.user.sees_whole_firm else None
    )
    context = dashboard_context(
        request.user,
        mine_only=mine_only,
        funnel_form=funnel_form,
        shown=min(int(shown), DASHBOARD_MAX_SHOWN)
        if shown.isdigit() and int(shown)
        else DASHBOARD_LIST_LIMIT,
    )
    return render(request, "insights/dashboard.html", context)


def _paper(
    request: AuthedRequest, partner: Partner, document: str, title: str, **context: Any
) -> HttpResponse:
    """A document about a partner: a page that prints cleanly, or (?format=pdf) its PDF."""
    context |= {"partner": partner, "document": document, "title": f"{title}: {partner.name}"}
    if request.GET.get("format") == FORMAT_PDF:
        context["printed_for"] = request.user.display_name
        filename = f"{slugify(title)}-{slugify(partner.name) or partner.pk}.pdf"
        return pdf_response(request, "insights/paper/pdf.html", context, filename=filename)
    return render(request, "insights/paper/page.html", context)


@login_required
@require_GET
def partner_brief(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = partner_get_for(advisor=request.user, pk=pk)
    paper = meeting_brief_for(advisor=request.user, partner=partner)
    return _paper(
        request, partner, "insights/paper/brief_document.html", "Meeting brief", paper=paper
    )


@login_required
@require_GET
def partner_review(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = partner_get_for(advisor=request.user, pk=pk)
    years = review_years_of(partner)
    asked = request.GET.get("year", "")
    year = int(asked) if asked.isdigit() and int(asked) in years else years[0]
    if asked and str(year) != asked:
        messages.error(
            request, UNKNOWN_REVIEW_YEAR.format(year=asked[:12], first=years[-1], last=years[0])
        )
    paper = annual_review_for(advisor=request.user, partner=partner, year=year)
    return _paper(
        request,
        partner,
        "insights/paper/review_document.html",
        "Annual review",
        paper=paper,
        year=year,
        years=years,
    )


@login_required
@require_POST
@write_required
def diagnosis_dismiss(request: AuthedRequest, pk: int, slug: str) -> HttpResponse:
    """Set a diagnosis of the partner aside, with the reason, until its evidence changes."""
    partner = partner_get_for(advisor=request.user, pk=pk)
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            services.dismissal_create(
                partner=partner, by=request.user, slug=slug, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Diagnosis dismissed: it comes back if the evidence changes.")
    flash_errors(request, form)
    return redirect(reverse("partner_detail", args=[partner.pk]) + "#diagnosis-title")
