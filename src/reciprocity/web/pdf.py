"""Pages made into PDF on the server (WeasyPrint), for documents an advisor prints or files.

Nothing is fetched while rendering: the stylesheet is read from the product's own static files
and every address in the page is refused, so a PDF never reaches the network or the disk.
"""

from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

PAPER_STYLESHEET = "css/paper.css"


def pdf_of(request: HttpRequest, template: str, context: dict[str, Any]) -> bytes:
    # WeasyPrint takes about half a second to import: only the pages that print pay for it.
    import weasyprint

    found = finders.find(PAPER_STYLESHEET)
    assert isinstance(found, str), f"{PAPER_STYLESHEET} is missing from the static files"
    refuse_all = weasyprint.URLFetcher(allowed_protocols=())
    html = weasyprint.HTML(
        string=render_to_string(template, context, request=request), url_fetcher=refuse_all
    )
    stylesheet = weasyprint.CSS(string=Path(found).read_text(), url_fetcher=refuse_all)
    return html.write_pdf(stylesheets=[stylesheet])


def pdf_response(
    request: HttpRequest, template: str, context: dict[str, Any], *, filename: str
) -> HttpResponse:
    response = HttpResponse(pdf_of(request, template, context), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
