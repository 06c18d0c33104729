"""The search page: one box in the header of every page leads here."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from reciprocity.search.selectors import search
from reciprocity.web.http import AuthedRequest

# The page shows the best matches; a search that needs more should say more.
SHOWN = 50
MAX_QUERY = 200


@login_required
def search_page(request: AuthedRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()[:MAX_QUERY]
    results = search(advisor=request.user, text=text, limit=SHOWN)
    return render(request, "search/results.html", {"q": text, "results": results, "shown": SHOWN})
