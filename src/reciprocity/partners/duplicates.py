"""Likely duplicates of a partner about to be added: the same email, the same phone number, or a
close name in the same organization, among the partners of the firm the advisor can see.

Creating a partner in the web app and the API, and the import, ask ``partner_duplicates_for``
before they write; none of them refuses a duplicate on its own, they show it and let the advisor
decide (or merge the two later, see merge.py).
"""

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Lower, Replace, Right, Trim

from reciprocity.accounts.models import User
from reciprocity.partners.models import Partner, PartnerQuerySet
from reciprocity.partners.selectors import partners_visible_to

# Two names of one organization this close (difflib's ratio, 0 to 1) are probably one person.
NAME_SIMILARITY = 0.85
# Phone numbers compare on their last digits, so "+1 (617) 555-0101" matches "617.555.0101".
PHONE_DIGITS = 10
# At most this many candidates are shown: a warning, not a report.
MAX_DUPLICATES = 10
# Candidates read per partner described, at most (a very common name in a very large book).
MAX_CANDIDATES = 200
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
    expression: Replace | Lower = Lower(Trim("phone"))
    for character in _PHONE_PUNCTUATION:
        expression = Replace(expression, Value(character), Value(""))
    assert isinstance(expression, Replace)
    return expression


@dataclass
class Duplicate:
    partner: Partner
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Described:
    """What is known of a partner about to be added, normalised for comparing."""

    name: str
    organization: str = ""
    email: str = ""
    phone: str = ""

    @property
    def keys(self) -> tuple[str, str, str, str]:
        """Normalised name, organization, email and phone."""
        return (
            normalised_name(self.name),
            (self.organization or "").strip().lower(),
            (self.email or "").strip().lower(),
            normalised_phone(self.phone),
        )

    def reasons(self, partner: Partner) -> list[str]:
        """Why ``partner`` is likely the one described (nothing when it is not)."""
        name, organization, email, phone = self.keys
        reasons = []
        if email and partner.email.strip().lower() == email:
            reasons.append(SAME_EMAIL)
        if phone and normalised_phone(partner.phone) == phone:
            reasons.append(SAME_PHONE)
        other_name = normalised_name(partner.name)
        if name and other_name == name:
            reasons.append(SAME_NAME)
        elif (
            name
            and organization
            and partner.organization.strip().lower() == organization
            and difflib.SequenceMatcher(None, name, other_name).ratio() >= NAME_SIMILARITY
        ):
            reasons.append(CLOSE_NAME)
        return reasons


def partner_duplicates_among(
    *,
    advisor: User,
    described: Sequence[Described],
    among: PartnerQuerySet | None = None,
) -> list[list[Duplicate]]:
    """For each partner described, the partners ``advisor`` can see (archived ones left out)
    that are likely the same person, each with why, the strongest matches first. One query for
    the whole sequence (an import asks a batch of rows at a time); ``among`` narrows the
    partners searched."""
    keys = [one.keys for one in described]
    # Names are looked for as typed and normalised ("Dr. Dana Whitfield", "dana whitfield").
    names = {key[0] for key in keys} | {one.name.strip().lower() for one in described}
    organizations, emails, phones = ({key[i] for key in keys} for i in (1, 2, 3))
    candidates = (
        (among if among is not None else partners_visible_to(advisor=advisor))
        .annotate(
            email_key=Lower(Trim("email")),
            organization_key=Lower(Trim("organization")),
            name_key=Lower(Trim("name")),
            phone_key=Right(_phone_digits_expression(), PHONE_DIGITS),
        )
        .filter(
            Q(email_key__in=emails - {""})
            | Q(phone_key__in=phones - {""})
            | Q(organization_key__in=organizations - {""})
            | Q(name_key__in=names - {""})
        )
        .select_related("owner")
        .order_by("name", "pk")
    )
    pool = list(candidates[: MAX_CANDIDATES * max(len(described), 1)])
    found = []
    for one in described:
        matches = [
            Duplicate(partner, reasons) for partner in pool if (reasons := one.reasons(partner))
        ]
        matches.sort(key=lambda duplicate: -len(duplicate.reasons))
        found.append(matches[:MAX_DUPLICATES])
    return found


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
    """``partner_duplicates_among`` for one partner described; ``exclude`` leaves out a partner
    by id (the one being compared)."""
    if exclude is not None:
        among = (among if among is not None else partners_visible_to(advisor=advisor)).exclude(
            pk=exclude
        )
    described = Described(name=name, organization=organization, email=email, phone=phone)
    return partner_duplicates_among(advisor=advisor, described=[described], among=among)[0]


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
