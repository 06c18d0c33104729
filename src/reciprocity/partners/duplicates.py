"""Likely duplicates of a partner about to be added: the same email, the same phone number, or a
close name in the same organization, among the partners of the firm the advisor can see.

Creating a partner in the web app and the API, and the import, ask ``partner_duplicates_for``
before they write; none of them refuses a duplicate on its own, they show it and let the advisor
decide (or merge the two later, see merge.py).
"""

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Lower, Replace

from reciprocity.accounts.models import User
from reciprocity.partners.models import Partner, PartnerQuerySet
from reciprocity.partners.selectors import partners_visible_to

# Two names of one organization this close (difflib's ratio, 0 to 1) are probably one person.
NAME_SIMILARITY = 0.85
# Phone numbers compare on their last digits, so "+1 (617) 555-0101" matches "617.555.0101".
PHONE_DIGITS = 10
# At most this many candidates are shown: a warning, not a report.
MAX_DUPLICATES = 10
# Characters people put in phone numbers besides digits.
_PHONE_PUNCTUATION = (" ", "-", "(", ")", ".", "+", "/")
_HONORIFICS = {"mr", "mrs", "ms", "dr", "jr", "sr", "cpa", "esq", "cfp", "ii", "iii"}

SAME_EMAIL = "same email"
SAME_PHONE = "same phone"
SAME_NAME = "same name"
CLOSE_NAME = "close name in the same organization"


def normalised_name(name: str) -> str:
    """Lower case, no accents, no punctuation, no titles: "Dr. José O'Neil, CPA" → "jose oneil"."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9 ]", "", text.replace("-", " ").replace(",", " ")).split()
    return " ".join(word for word in words if word not in _HONORIFICS)


def normalised_phone(phone: str) -> str:
    """The last PHONE_DIGITS digits of a phone number; empty when it has fewer than seven."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-PHONE_DIGITS:] if len(digits) >= 7 else ""


def _phone_digits_expression() -> Replace:
    expression: Replace | Lower = Lower("phone")
    for character in _PHONE_PUNCTUATION:
        expression = Replace(expression, Value(character), Value(""))
    assert isinstance(expression, Replace)
    return expression


@dataclass
class Duplicate:
    partner: Partner
    reasons: list[str] = field(default_factory=list)


def partner_duplicates_for(
    *,
    advisor: User,
    name: str,
    organization: str = "",
    email: str = "",
    phone: str = "",
    exclude: int | None = None,
    among: PartnerQuerySet | None = None,
) -> list[Duplicate]:
    """Partners ``advisor`` can see (archived ones left out) that are likely the same person,
    each with why; the strongest matches first. ``exclude`` leaves out a partner by id (the one
    being compared); ``among`` narrows the partners searched."""
    email = (email or "").strip()
    phone_key = normalised_phone(phone)
    name_key = normalised_name(name)
    organization = (organization or "").strip()
    # One query: candidates by email, phone or organization, or a name sharing its first word.
    wanted = Q(pk__in=[])
    if email:
        wanted |= Q(email__iexact=email)
    if phone_key:
        wanted |= Q(phone_digits__endswith=phone_key)
    if organization:
        wanted |= Q(organization__iexact=organization)
    if name_key:
        wanted |= Q(name__icontains=name_key.split()[0])
    candidates = (
        (among if among is not None else partners_visible_to(advisor=advisor))
        .annotate(phone_digits=_phone_digits_expression())
        .filter(wanted)
        .select_related("owner")
        .order_by("name", "pk")
    )
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude)
    found = []
    for partner in candidates[:500]:
        reasons = []
        if email and partner.email.lower() == email.lower():
            reasons.append(SAME_EMAIL)
        if phone_key and normalised_phone(partner.phone).endswith(phone_key):
            reasons.append(SAME_PHONE)
        other_name = normalised_name(partner.name)
        if name_key and other_name == name_key:
            reasons.append(SAME_NAME)
        elif (
            name_key
            and organization
            and partner.organization.strip().lower() == organization.lower()
            and difflib.SequenceMatcher(None, name_key, other_name).ratio() >= NAME_SIMILARITY
        ):
            reasons.append(CLOSE_NAME)
        if reasons:
            found.append(Duplicate(partner, reasons))
    found.sort(key=lambda duplicate: -len(duplicate.reasons))
    return found[:MAX_DUPLICATES]


def merge_candidates_for(*, advisor: User, partner: Partner) -> PartnerQuerySet:
    """The partners ``advisor`` may merge into ``partner``: live, not ``partner`` itself, and,
    unless they are a firm admin, their own."""
    candidates = partners_visible_to(advisor=advisor).exclude(pk=partner.pk)
    return candidates if advisor.manages_firm else candidates.owned_by(advisor)


def merge_candidates_shown(
    *, advisor: User, partner: Partner, search: str = "", limit: int = 20
) -> list[Duplicate]:
    """What the merge page offers: the partner's likely duplicates, or those whose name or
    organization contains ``search``."""
    mergeable = merge_candidates_for(advisor=advisor, partner=partner)
    if search:
        found: QuerySet[Partner] = mergeable.filter(
            Q(name__icontains=search) | Q(organization__icontains=search)
        ).select_related("owner")[:limit]
        return [Duplicate(candidate) for candidate in found]
    return partner_duplicates_for(
        advisor=advisor,
        name=partner.name,
        organization=partner.organization,
        email=partner.email,
        phone=partner.phone,
        among=mergeable,
    )
