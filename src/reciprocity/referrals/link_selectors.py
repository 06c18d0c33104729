"""Reading the partner's confirmation links: the advisor's list on a referral, and the one link
a partner's secret URL names (see referrals.link_models)."""

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from reciprocity.ids import get_visible_or_404
from reciprocity.referrals.link_models import ReferralLink
from reciprocity.referrals.models import Direction, Referral

# One message for a forged, expired, used or revoked link: the page reveals nothing.
LINK_NOT_FOUND = "This link does not work. Ask the advisor who sent it for a new one."
LINK_ID_NOT_FOUND = "This referral has no such link."
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,64}")


class LinkState:
    LIVE = "live"
    ANSWERED = "answered"
    REVOKED = "revoked"
    EXPIRED = "expired"


def link_state(link: ReferralLink, *, now: dt.datetime | None = None) -> str:
    if link.used_at is not None:
        return LinkState.ANSWERED
    if link.revoked_at is not None:
        return LinkState.REVOKED
    if link.expires_at <= (now or timezone.now()):
        return LinkState.EXPIRED
    return LinkState.LIVE


@dataclass(frozen=True)
class LinkRow:
    """A link as the advisor sees it on the referral."""

    link: ReferralLink
    state: str


def links_of(*, referral: Referral) -> QuerySet[ReferralLink]:
    """The links of a referral the caller fetched through ``referral_get_for``, newest first."""
    return referral.links.select_related("created_by")


def link_rows_of(*, referral: Referral) -> list[LinkRow]:
    now = timezone.now()
    return [LinkRow(link, link_state(link, now=now)) for link in links_of(referral=referral)]


def referral_link_get(*, referral: Referral, pk: object) -> ReferralLink:
    """One link of a referral the caller fetched through ``referral_get_for``; else Http404."""
    return get_visible_or_404(links_of(referral=referral), pk, not_found=LINK_ID_NOT_FOUND)


def referral_link_for_token(token: str) -> ReferralLink:
    """The live link behind a partner's secret, with its referral, partner, firm and advisor, in
    one query; Http404 (always LINK_NOT_FOUND) when it is forged, used, revoked or expired, or
    its referral or partner is archived."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        raise Http404(LINK_NOT_FOUND)
    link = (
        ReferralLink.objects.select_related(
            "referral", "referral__partner", "referral__firm", "created_by"
        )
        .filter(
            token_hash=ReferralLink.hash_token(token),
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            referral__direction=Direction.SENT,
            referral__archived_at__isnull=True,
            referral__partner__archived_at__isnull=True,
        )
        .first()
    )
    if link is None:
        raise Http404(LINK_NOT_FOUND)
    return link
