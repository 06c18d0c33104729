"""The partners' scores, for the board, the list and its sorts.

The rules are the insights app's, above this one: it registers them here in its
``AppConfig.ready`` (as the diagnoses do), and the partner pages ask without importing it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet

from reciprocity.partners.models import Partner

# The bands a score falls in, with their lower bounds, highest first.
BANDS = (("high", 70), ("medium", 40), ("low", 0))


def band_of(score: int) -> str:
    return next(band for band, floor in BANDS if score >= floor)


@dataclass(frozen=True)
class ScorePart:
    label: str
    points: int
    of: int


@dataclass(frozen=True)
class ScoreTotal:
    """A score without its parts: what a board card's badge shows."""

    slug: str
    title: str
    score: int

    @property
    def band(self) -> str:
        return band_of(self.score)


@dataclass(frozen=True)
class PartnerScore(ScoreTotal):
    parts: tuple[ScorePart, ...]


@dataclass(frozen=True)
class Scorer:
    # Every score's title by its slug, in the order they are shown.
    titles: dict[str, str]
    # ``partners`` whose rows, once fetched, carry every score and its parts, for the firm's
    # advisors' messages.
    attach: Callable[[QuerySet[Partner], int | None], QuerySet[Partner]]
    # ``partners`` with one score (``score_<slug>``) in SQL, to sort by.
    rank: Callable[[QuerySet[Partner], int | None, str], QuerySet[Partner]]
    # The scores of one partner: from the annotations when present, else one query.
    scores_of: Callable[[Partner], list[PartnerScore]]


_registered: list[Scorer] = []


def register(scorer: Scorer) -> None:
    _registered[:] = [scorer]


def with_scores(qs: QuerySet[Partner], *, firm_id: int | None) -> QuerySet[Partner]:
    return _registered[0].attach(qs, firm_id) if _registered else qs


def ranked_by(qs: QuerySet[Partner], *, firm_id: int | None, slug: str) -> QuerySet[Partner]:
    return _registered[0].rank(qs, firm_id, slug) if _registered else qs


def scores_of(partner: Partner) -> list[PartnerScore]:
    return _registered[0].scores_of(partner) if _registered else []


def score_totals(partner: Partner) -> list[ScoreTotal]:
    """The partner's scores without their parts: read from ``with_scores``' values when
    present, where the parts' wording would cost a board more than its badges' markup; else
    the scores in full (one query)."""
    if not _registered:
        return []
    titles = _registered[0].titles
    if not all(hasattr(partner, f"score_{slug}") for slug in titles):
        return [ScoreTotal(s.slug, s.title, s.score) for s in scores_of(partner)]
    return [
        ScoreTotal(slug, title, getattr(partner, f"score_{slug}")) for slug, title in titles.items()
    ]
