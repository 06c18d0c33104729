"""Record ids arriving from URLs, query strings and the CLI."""

from typing import Any

from django.db.models import Model, QuerySet
from django.http import Http404

# Both databases key records with signed 64-bit integers.
MAX_ID = 2**63 - 1


def record_id_or_404(value: Any, *, not_found: str) -> int:
    """``value`` as a record id; anything that cannot be one is simply not found."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404(not_found) from None
    if not 1 <= pk <= MAX_ID:
        raise Http404(not_found)
    return pk


def get_visible_or_404[M: Model](queryset: QuerySet[M], pk: Any, *, not_found: str) -> M:
    """The record ``pk`` of ``queryset``, which a selector has already scoped to who asks;
    Http404 with ``not_found`` for anything else, so a record that is not yours looks like one
    that does not exist."""
    found = queryset.filter(pk=record_id_or_404(pk, not_found=not_found)).first()
    if found is None:
        raise Http404(not_found)
    return found
