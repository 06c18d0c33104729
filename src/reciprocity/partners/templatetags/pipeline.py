"""Small read-only helpers the partner templates share (board cards, list rows, detail)."""

import datetime as dt
import functools

from django import template
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

from reciprocity.dates import local_day
from reciprocity.partners import qualification, scored, selectors
from reciprocity.partners.advised import NextAction
from reciprocity.partners.models import Partner, Stage

register = template.Library()


@register.filter
def next_step(partner: Partner) -> selectors.NextStep | None:
    return selectors.next_step_of(partner)


@register.filter
def suggests_dormant(partner: Partner) -> bool:
    return selectors.dormancy_suggested(partner)


@register.filter
def qualification_shortfall(partner: Partner) -> str:
    """For a partner in the qualified column: what keeps them from being qualified, if anything."""
    if partner.stage != Stage.QUALIFIED:
        return ""
    return qualification.shortfall(partner)


@register.filter
def days_since(moment: dt.datetime | None) -> int | None:
    if moment is None:
        return None
    return max((timezone.localdate() - local_day(moment)).days, 0)


@register.filter
def days_until(day: dt.date | None) -> int | None:
    if day is None:
        return None
    return (day - timezone.localdate()).days


@register.filter
def scores(partner: Partner) -> list[scored.PartnerScore]:
    """The partner's scores: from the list's or the board's annotations, else one query."""
    return scored.scores_of(partner)


@register.filter
def score_badges(partner: Partner) -> SafeString:
    """The partner's scores as a card's badges, the band said for screen readers. Built here,
    not in a loop of the template: a board shows hundreds of cards, and the loop's variable
    lookups cost more than the markup."""
    found = scored.score_totals(partner)
    return SafeString(
        "".join(
            _badge(score.title, score.score, last=at == len(found) - 1)
            for at, score in enumerate(found)
        )
    )


@functools.cache
def _badge(title: str, score: int, *, last: bool) -> SafeString:
    """One badge: a few hundred different ones at most (a title, a score out of 100), each
    built and escaped once, then shown on every card with that score."""
    band = scored.band_of(score)
    return format_html(
        '<span class="score-badge score-badge--{}"><span class="score__title">{} </span>{}'
        '<span class="visually-hidden"> ({}){}</span></span>',
        band,
        title,
        score,
        band,
        "" if last else ",",
    )


@register.filter
def score_cells(partner: Partner) -> SafeString:
    """The partner's scores as a list row's cells, one a score, each a badge that opens on
    its parts. Built here for the same reason as the cards' badges: a page of the list shows
    a hundred, and an include for each, looping over its parts, was a sixth of the page's
    time."""
    return SafeString("".join(_score_cell(score) for score in scored.scores_of(partner)))


def _score_cell(score: scored.PartnerScore) -> str:
    # The names escaped; the points are the ints the scores' SQL counts, written as they are
    # (as the template wrote them: None would read "None", not fail the page).
    title, band = escape(score.title), escape(score.band)
    parts = "".join(
        f"<li>{escape(part.label)}: {part.points}/{part.of}</li>" for part in score.parts
    )
    return (
        f'<td data-label="{title}" class="score-cell"><details class="score score--{band}">'
        f'<summary><span class="visually-hidden">{title} </span>'
        f'<span class="score__value">{score.score}</span>'
        f'<span class="visually-hidden"> ({band}), its parts</span></summary>'
        f'<ul class="score__parts">{parts}</ul></details></td>'
    )


@register.filter
def action_for(actions: dict[int, NextAction], partner: Partner) -> NextAction | None:
    """The partner's next best action among those the board read for its cards."""
    return actions.get(partner.pk)
