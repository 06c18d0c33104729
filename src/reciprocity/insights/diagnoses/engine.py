"""Reading the book: which partners are judged, by which kinds, in what order, and the one
diagnosis of the advisor's book (too many core partners).

Reads are scoped like every selector (``partners_visible_to``) and cost a constant number of
queries: one for the partners with every count annotated, one for the advisor's core stages.
"""

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

import reciprocity.insights.diagnoses as package
from reciprocity.accounts.models import Firm, User
from reciprocity.dates import local_day
from reciprocity.insights.diagnoses.base import (
    DIAGNOSED_STAGES,
    SEVERITY_ORDER,
    SLUG_ORDER,
    Assessment,
    Diagnosis,
    Kind,
    Thresholds,
    TooEarly,
    judging_for,
    plural,
    thresholds_of,
)
from reciprocity.insights.diagnoses.kinds import PARTNER_KINDS
from reciprocity.insights.diagnoses.readings import readings_of, with_readings
from reciprocity.partners.models import CORE_STAGES, Partner, PartnerQuerySet, Stage
from reciprocity.partners.selectors import partners_visible_to


class TooManyPartners(Kind):
    """About the advisor, not one partner: more than the focus limit of the advisor's own
    partners in the core stages (proposed, active, champion). Answer: focus."""

    slug = "too_many_partners"
    title = "Too many core partners"
    action = "focus"
    severity = "low"

    def judge_book(self, advisor: User, thresholds: Thresholds) -> Diagnosis | None:
        """One query: the advisor's own live partners in the core stages, by stage."""
        per_stage = dict(
            partners_visible_to(advisor=advisor)
            .filter(owner_id=advisor.pk, stage__in=CORE_STAGES)
            .order_by()
            .values("stage")
            .annotate(n=Count("pk"))
            .values_list("stage", "n")
        )
        core = sum(per_stage.values())
        limit = thresholds.focus_limit
        if core <= limit:
            return None
        proposed, active, champions = (
            per_stage.get(stage, 0) for stage in (Stage.PROPOSED, Stage.ACTIVE, Stage.CHAMPION)
        )
        stages = f"{proposed} proposed, {active} active, {plural(champions, 'champion')}"
        return self.diagnosis(
            None,
            [
                f"{core} of your partners are in the core stages ({stages})",
                f"Five to seven core partners, run well, do better than dozens; "
                f"{core - limit} more than {limit} get less than they need",
            ],
            title=f"{core} core partners: too many to serve well",
        )


BOOK_KIND = TooManyPartners()
# Every kind, the partners' first: the titles the partner list filters by, and the slugs.
KINDS: tuple[Kind, ...] = (*PARTNER_KINDS, BOOK_KIND)
TITLES: dict[str, str] = {kind.slug: kind.title for kind in KINDS}


def _moment(today: dt.date | None) -> tuple[dt.date, dt.datetime]:
    """Today and the moment up to which records count (now, or the end of a given day)."""
    if today is None:
        now = timezone.now()
        return local_day(now), now
    end = dt.datetime.combine(today, dt.time.max)
    return today, timezone.make_aware(end)


def _partner_diagnoses(
    p: Any, *, advisor: User, today: dt.date, thresholds: Thresholds, too_early: bool = True
) -> tuple[list[Diagnosis], TooEarly | None]:
    """The diagnoses of one partner read through ``with_readings``, as ``advisor`` reads them,
    and (unless ``too_early`` is False) the reassurance that it is too early to judge."""
    judging = judging_for(p, advisor=advisor, today=today, thresholds=thresholds)
    found: list[Diagnosis] = []
    early = None
    for kind in PARTNER_KINDS:
        if kind.reassurance and not too_early:
            continue
        diagnosis = kind.judge(p, judging)
        if diagnosis is None:
            continue
        # Dismissed, and the evidence reads as it did then: it stands (a cause on record
        # still stands instead of no_referral_yet) but is not shown.
        dismissed = getattr(p, f"dismissed_{kind.slug}", None) == diagnosis.fingerprint
        if dismissed:
            judging = judging.with_found(diagnosis)
            continue
        if kind.reassurance:
            early = TooEarly(
                partner_id=p.pk,
                partner_name=p.name,
                met_on=judging.met_on,
                judge_from=judging.judge_from,
                touches=p.touches_since_met,
                diagnosis=diagnosis,
            )
            continue
        found.append(diagnosis)
        judging = judging.with_found(diagnosis)
    return found, early


def _sort_key(diagnosis: Diagnosis) -> tuple[Any, ...]:
    return (
        not diagnosis.about_the_book,
        SEVERITY_ORDER[diagnosis.severity],
        diagnosis.partner_name.lower(),
        diagnosis.partner_id or 0,
        SLUG_ORDER[diagnosis.slug],
    )


def _scope(advisor: User, partner: Partner | None, mine_only: bool) -> QuerySet[Partner]:
    partners = partners_visible_to(advisor=advisor).filter(stage__in=DIAGNOSED_STAGES)
    if partner is not None:
        # One partner the advisor may see: shared ones too, whoever owns them.
        return partners.filter(pk=partner.pk)
    return partners.owned_by(advisor) if mine_only else partners


def assess(
    *,
    advisor: User,
    partner: Partner | None = None,
    today: dt.date | None = None,
    mine_only: bool = True,
    too_early: bool = True,
) -> Assessment:
    """The diagnoses of the partners ``advisor`` may see (their own only, unless
    ``mine_only`` is False; or the one ``partner``), and (unless ``too_early`` is False) the
    partners too early to judge. The advisor-level ``too_many_partners`` is included unless one
    partner is asked about."""
    today, now = _moment(today)
    thresholds = thresholds_of(advisor)
    readings = with_readings(
        _scope(advisor, partner, mine_only), today=today, now=now, thresholds=thresholds
    )
    # Looked up on the package, so that the prefilter can be set aside as a whole.
    partners = package.may_be_named(
        readings, today=today, too_early=too_early, thresholds=thresholds
    )
    diagnoses: list[Diagnosis] = []
    early_ones: list[TooEarly] = []
    for row in partners.order_by("name", "pk"):
        found, early = _partner_diagnoses(row, advisor=advisor, today=today, thresholds=thresholds)
        diagnoses.extend(found)
        if early is not None and too_early:
            early_ones.append(early)
    if partner is None:
        focus = BOOK_KIND.judge_book(advisor, thresholds)
        if focus is not None:
            diagnoses.append(focus)
    diagnoses.sort(key=_sort_key)
    return Assessment(diagnoses=diagnoses, too_early=early_ones)


def assessment_of(diagnosed: tuple[list[Diagnosis], TooEarly | None]) -> Assessment:
    """One partner's diagnoses as ``diagnoses_of_partners`` reads them, as ``assess`` answers
    them for that partner."""
    found, early = diagnosed
    return Assessment(diagnoses=sorted(found, key=_sort_key), too_early=[early] if early else [])


def diagnoses_for(
    *,
    advisor: User,
    partner: Partner | None = None,
    today: dt.date | None = None,
    mine_only: bool = True,
) -> list[Diagnosis]:
    """The named diagnoses, the book's first, then the most severe, then by partner name; the
    partners too early to judge last, as ``too_early`` diagnoses (severity info)."""
    found = assess(advisor=advisor, partner=partner, today=today, mine_only=mine_only)
    return found.everything


def diagnoses_of_firm(*, firm: Firm, today: dt.date | None = None) -> list[Diagnosis]:
    """Every diagnosis of the firm's live partners, each as its owner reads it (their
    dismissals hold), without the reassurances and the one about an advisor's book: what the
    firm's webhooks are told of, which no advisor asks for. One query whatever the size of
    the book."""
    today, now = _moment(today)
    thresholds = Thresholds(**firm.thresholds)
    partners = Partner.objects.filter(firm_id=firm.pk, stage__in=DIAGNOSED_STAGES).live()
    readings = with_readings(partners, today=today, now=now, thresholds=thresholds)
    named = package.may_be_named(readings, today=today, too_early=False, thresholds=thresholds)
    found: list[Diagnosis] = []
    for row in named.order_by("pk"):
        diagnoses, _early = _partner_diagnoses(
            row, advisor=row.owner, today=today, thresholds=thresholds, too_early=False
        )
        found.extend(diagnoses)
    return found


def diagnoses_of_partners(
    *, advisor: User, partner_ids: Collection[int], today: dt.date | None = None
) -> dict[int, tuple[list[Diagnosis], TooEarly | None]]:
    """The diagnoses of each of these partners ``advisor`` may see (whoever owns them), as the
    partner page shows them, by partner id: one query whatever their number."""
    today, now = _moment(today)
    thresholds = thresholds_of(advisor)
    readings = readings_of(
        partners_visible_to(advisor=advisor).filter(stage__in=DIAGNOSED_STAGES),
        partner_ids,
        scope_key=("visible", *PartnerQuerySet.visibility_key(advisor)),
        today=today,
        now=now,
        thresholds=thresholds,
    )
    return {
        row.pk: _partner_diagnoses(row, advisor=advisor, today=today, thresholds=thresholds)
        for row in readings
    }
