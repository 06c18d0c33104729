"""Record ids arriving from URLs, query strings and the CLI."""

from typing import Any

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
