"""The partner scores: fit, engagement, reciprocity and yield, each 0 to 100 and the sum of its
parts, every part shown with its points (README, "Scores").

One class per score, in ``SCORES``. Each part's points are an SQL expression over inputs
annotated in the partners' own query (correlated subqueries), so a page of partners is one query
whatever its length, and the list sorts by a score in the database. What a part says is read
back from the same annotations. Every window counts from the start of ``today``: the same records
on the same day give the same scores.
"""

import copy
import datetime as dt
import re
from collections.abc import Collection, Iterable
from typing import Any, ClassVar, cast

from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least, NullIf
from django.utils import timezone
from django_cte import CTE, with_cte

from reciprocity.partners.models import (
    CanDescribeValue,
    Commitment,
    CommitmentOwner,
    CommitmentStatus,
    Partner,
    PartnerQuerySet,
    Propensity,
    Touch,
)
from reciprocity.partners.scored import PartnerScore, ScorePart
from reciprocity.playbook.models import (
    CADENCE_TOUCH_KINDS,
    AdvisorProfile,
    Cadence,
    CadenceDefault,
    CadenceKind,
)
from reciprocity.playbook.models.cadences import INTERVAL_MAX_MONTHS
from reciprocity.playbook.selectors.cadences import add_months
from reciprocity.referrals.models import Direction, Kind, Referral
from reciprocity.statements import values_of

WINDOW_MONTHS = 12
# Seed 002: touch base every four months, when neither the partner nor the stage says otherwise.
DEFAULT_INTERVAL_MONTHS = 4
# Words of the advisor's "whom I help" shorter than this, or this common, say nothing of a niche.
MIN_WORD = 4
MAX_WORDS = 20
COMMON_WORDS = frozenset(
    [
        "about",
        "also",
        "and",
        "are",
        "but",
        "can",
        "for",
        "from",
        "have",
        "help",
        "helps",
        "into",
        "like",
        "more",
        "most",
        "that",
        "the",
        "their",
        "them",
        "they",
        "this",
        "those",
        "through",
        "what",
        "when",
        "where",
        "which",
        "while",
        "whom",
        "with",
        "who",
        "your",
        "yours",
    ]
)


def message_words(text: str) -> list[str]:
    """The words of an advisor's "whom I help" matched against a partner's niche: lower case,
    four letters or more, common words left out, a plural's trailing s dropped (not a double
    s: "business" stays)."""
    words: list[str] = []
    for word in re.findall(r"[a-z]+", text.lower()):
        if len(word) < MIN_WORD or word in COMMON_WORDS:
            continue
        plural = word.endswith("s") and not word.endswith("ss") and len(word) > MIN_WORD
        stem = word[:-1] if plural else word
        if stem not in words:
            words.append(stem)
    return words[:MAX_WORDS]


def shared_words(message: str, niche: str) -> list[str]:
    niche = niche.lower()
    return [word for word in message_words(message) if word in niche]


def _int(expression: Any) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=IntegerField())


def _count(qs: QuerySet[Any]) -> Coalesce:
    counted = qs.order_by().values("partner_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class Scoring:
    """What every score's inputs are counted against: the day, its windows, the firm's
    advisors' messages."""

    def __init__(self, *, today: dt.date, messages: dict[int, str]) -> None:
        self.today = today
        self.until = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
        self.until += dt.timedelta(days=1)
        self.since = self.start(add_months(today, -WINDOW_MONTHS))
        self.messages = messages
        # All the statement of the scores depends on besides the partners: the windows are
        # counted from local days, and the fit matches each advisor's words.
        self.key = (today, timezone.get_current_timezone_name(), tuple(sorted(messages.items())))

    @staticmethod
    def start(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    def referrals(self, direction: str, kind: str = Kind.REFERRAL) -> Coalesce:
        return _count(
            Referral.objects.live().filter(
                partner_id=OuterRef("pk"),
                direction=direction,
                kind=kind,
                occurred_at__gte=self.since,
                occurred_at__lt=self.until,
            )
        )


class Score:
    slug: ClassVar[str]
    title: ClassVar[str]
    # Each part's key and its most points; they add up to 100.
    parts: ClassVar[tuple[tuple[str, int], ...]]

    def inputs(self, scoring: Scoring) -> dict[str, Any]:
        """Annotations the parts read, named ``sc_<name>``."""
        raise NotImplementedError

    def points(self, scoring: Scoring) -> dict[str, Any]:
        """Each part's points as an SQL expression over the inputs, by part key."""
        raise NotImplementedError

    def label(self, partner: Any, key: str) -> str:
        """What the part says of ``partner``, from its annotations."""
        raise NotImplementedError


class Fit(Score):
    slug = "fit"
    title = "Fit"
    parts = (("growth", 30), ("propensity", 30), ("overlap", 25), ("describes", 15))

    def inputs(self, scoring: Scoring) -> dict[str, Any]:
        # The words of each advisor's message found in the niche, counted in SQL.
        by_owner = [
            When(owner_id=owner, then=sum(matches, Value(0)))
            for owner, text in sorted(scoring.messages.items())
            if (
                matches := [
                    Case(When(niche__icontains=word, then=Value(1)), default=Value(0))
                    for word in message_words(text)
                ]
            )
        ]
        shared: Any = (
            Case(*by_owner, default=Value(0), output_field=IntegerField())
            if by_owner
            else Value(0, output_field=IntegerField())
        )
        profile = AdvisorProfile.objects.filter(user_id=OuterRef("owner_id"))
        return {
            "sc_shared_words": shared,
            "sc_owner_message": Subquery(profile.values("whom_i_help")[:1]),
        }

    def points(self, scoring: Scoring) -> dict[str, Any]:
        return {
            "growth": Case(
                When(growth_mode=True, then=Value(30)),
                When(growth_mode__isnull=True, then=Value(10)),
                default=Value(0),
            ),
            "propensity": Case(
                When(propensity_to_refer=Propensity.HIGH, then=Value(30)),
                When(propensity_to_refer=Propensity.MEDIUM, then=Value(15)),
                When(propensity_to_refer=Propensity.LOW, then=Value(0)),
                default=Value(10),
            ),
            "overlap": Case(
                When(sc_shared_words__gte=2, then=Value(25)),
                When(sc_shared_words=1, then=Value(15)),
                default=Value(0),
            ),
            "describes": Case(
                When(can_describe_value=CanDescribeValue.YES, then=Value(15)),
                When(can_describe_value=CanDescribeValue.NO, then=Value(0)),
                default=Value(5),
            ),
        }

    def label(self, partner: Any, key: str) -> str:
        if key == "growth":
            known = {True: "yes", False: "no", None: "unknown"}[partner.growth_mode]
            return f"Firm in growth mode: {known}"
        if key == "propensity":
            return f"Propensity to refer: {partner.propensity_to_refer or 'unknown'}"
        if key == "overlap":
            message = partner.sc_owner_message or ""
            if not message_words(message):
                return "Clientele overlap: the advisor's whom-I-help is not written"
            words = shared_words(message, partner.niche)
            return "Clientele overlap with whom the advisor helps: " + (
                ", ".join(words) if words else "no shared word"
            )
        return f"Can describe our value: {partner.can_describe_value or 'unknown'}"


class Engagement(Score):
    slug = "engagement"
    title = "Engagement"
    parts = (("cadence", 40), ("recency", 20), ("advisor_kept", 20), ("partner_kept", 20))

    def inputs(self, scoring: Scoring) -> dict[str, Any]:
        kinds = CADENCE_TOUCH_KINDS[CadenceKind.TOUCH_BASE]
        touches = Touch.objects.live().filter(
            partner_id=OuterRef("pk"), kind__in=kinds, occurred_at__lt=scoring.until
        )
        # The last touch as the first one backwards, through the index of the live touches by
        # partner and moment: a maximum grouped by partner reads every touch of theirs.
        last = touches.order_by("-occurred_at").annotate(m=F("occurred_at"))
        # How many months back the last touch was: the first k whose cut-off (the start of the
        # day k months ago) it is on or after, up to twice the longest interval. Counted once
        # here, so the recency compares it with the interval instead of binding a cut-off for
        # each interval a cadence may have.
        months_back = Case(
            *[
                When(m__gte=scoring.start(add_months(scoring.today, -months)), then=Value(months))
                for months in range(1, 2 * INTERVAL_MAX_MONTHS + 1)
            ],
            default=Value(None),
            output_field=IntegerField(),
        )
        override = Cadence.objects.filter(
            partner_id=OuterRef("pk"), kind=CadenceKind.TOUCH_BASE, enabled=True
        )
        stage_default = CadenceDefault.objects.filter(
            firm_id=OuterRef("firm_id"), stage=OuterRef("stage"), kind=CadenceKind.TOUCH_BASE
        )
        due = Commitment.objects.filter(
            partner_id=OuterRef("pk"), due__gte=add_months(scoring.today, -WINDOW_MONTHS)
        )
        done = due.filter(status=CommitmentStatus.DONE, due__lte=scoring.today)
        missed = due.filter(
            Q(status=CommitmentStatus.DROPPED, due__lte=scoring.today)
            | Q(status=CommitmentStatus.OPEN, due__lt=scoring.today)
        )
        inputs: dict[str, Any] = {
            "sc_interval": Coalesce(
                Subquery(override.values("interval_months")[:1]),
                Subquery(stage_default.values("interval_months")[:1]),
                Value(DEFAULT_INTERVAL_MONTHS),
                output_field=IntegerField(),
            ),
            "sc_touches": _count(touches.filter(occurred_at__gte=scoring.since)),
            "sc_last_touch": Subquery(last.values("m")[:1], output_field=DateTimeField()),
            "sc_months_back": Subquery(
                last.annotate(back=months_back).values("back")[:1], output_field=IntegerField()
            ),
        }
        for owner in CommitmentOwner.values:
            inputs[f"sc_{owner}_done"] = _count(done.filter(owner=owner))
            inputs[f"sc_{owner}_missed"] = _count(missed.filter(owner=owner))
        return inputs

    def points(self, scoring: Scoring) -> dict[str, Any]:
        # A cadence of k months expects 12 / k touches a year.
        cadence = Least(
            Value(40), _int(Value(40) * F("sc_touches") * F("sc_interval") / Value(WINDOW_MONTHS))
        )
        # Within one interval of the last touch, or within two.
        interval = F("sc_interval")
        known = Q(sc_interval__gte=1, sc_interval__lte=INTERVAL_MAX_MONTHS)
        points: dict[str, Any] = {
            "cadence": cadence,
            "recency": Case(
                When(known & Q(sc_months_back__lte=interval), then=Value(20)),
                When(known & Q(sc_months_back__lte=interval * 2), then=Value(10)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        }
        for owner in CommitmentOwner.values:
            done, missed = F(f"sc_{owner}_done"), F(f"sc_{owner}_missed")
            # Nothing due yet: half the points, neither kept nor broken.
            points[f"{owner}_kept"] = Coalesce(
                _int(Value(20) * done / NullIf(done + missed, Value(0))),
                Value(10),
                output_field=IntegerField(),
            )
        return points

    def label(self, partner: Any, key: str) -> str:
        if key == "cadence":
            return (
                f"Touches in 12 months: {partner.sc_touches}, "
                f"against a touch base every {partner.sc_interval} months"
            )
        if key == "recency":
            if partner.sc_last_touch is None:
                return "Last touch: never"
            days = (scoring_day(partner) - timezone.localdate(partner.sc_last_touch)).days
            return f"Last touch: {days} days ago (cadence {partner.sc_interval} months)"
        owner = key.removesuffix("_kept")
        done, missed = getattr(partner, f"sc_{owner}_done"), getattr(partner, f"sc_{owner}_missed")
        who = "Advisor's" if owner == CommitmentOwner.ADVISOR else "Partner's"
        if not done + missed:
            return f"{who} commitments kept: none due in 12 months"
        return f"{who} commitments kept: {done} done, {missed} overdue or dropped"


class Reciprocity(Score):
    slug = "reciprocity"
    title = "Reciprocity"
    parts = (("received", 35), ("sent", 25), ("balance", 25), ("connections", 15))

    def inputs(self, scoring: Scoring) -> dict[str, Any]:
        return {
            "sc_received": scoring.referrals(Direction.RECEIVED),
            "sc_sent": scoring.referrals(Direction.SENT),
            "sc_connections": scoring.referrals(Direction.RECEIVED, Kind.CONNECTION)
            + scoring.referrals(Direction.SENT, Kind.CONNECTION),
        }

    def points(self, scoring: Scoring) -> dict[str, Any]:
        received, sent = F("sc_received"), F("sc_sent")
        return {
            "received": _int(Value(35) * Least(received, Value(3)) / Value(3)),
            "sent": _int(Value(25) * Least(sent, Value(3)) / Value(3)),
            # The smaller flow against the larger: 25 when even, 0 when one-way.
            "balance": Coalesce(
                _int(Value(25) * Least(sent, received) / NullIf(Greatest(sent, received), 0)),
                Value(0),
                output_field=IntegerField(),
            ),
            "connections": _int(Value(5) * Least(F("sc_connections"), Value(3))),
        }

    def label(self, partner: Any, key: str) -> str:
        if key == "received":
            return f"Referrals received in 12 months: {partner.sc_received}"
        if key == "sent":
            return f"Referrals sent in 12 months: {partner.sc_sent}"
        if key == "balance":
            return f"Balance both ways: {partner.sc_sent} sent, {partner.sc_received} received"
        return f"Connections both ways in 12 months: {partner.sc_connections}"


class Yield(Score):
    slug = "yield"
    title = "Yield"
    parts = (("referrals", 100),)

    def inputs(self, scoring: Scoring) -> dict[str, Any]:
        return {
            "sc_yield_received": scoring.referrals(Direction.RECEIVED),
            "sc_yield_target": F("firm__yield_target"),
        }

    def points(self, scoring: Scoring) -> dict[str, Any]:
        target = F("sc_yield_target")
        return {
            "referrals": _int(
                Value(100) * Least(F("sc_yield_received"), target) / NullIf(target, 0)
            )
        }

    def label(self, partner: Any, key: str) -> str:
        return (
            f"Referrals received in 12 months: {partner.sc_yield_received} "
            f"against the firm's target of {partner.sc_yield_target}"
        )


SCORES: dict[str, Score] = {
    score.slug: score for score in (Fit(), Engagement(), Reciprocity(), Yield())
}


def scoring_day(partner: Any) -> dt.date:
    return getattr(partner, "sc_today", None) or timezone.localdate()


def _scoring(firm_id: int | None, today: dt.date | None = None) -> Scoring:
    """The scores counted on ``today`` (the local day by default) for the firm's messages."""
    return Scoring(today=today or timezone.localdate(), messages=_messages(firm_id))


def _messages(firm_id: int | None) -> dict[int, str]:
    """Each advisor's "whom I help" in the firm (one query)."""
    if firm_id is None:
        return {}
    rows = AdvisorProfile.objects.filter(user__firm_id=firm_id).exclude(whom_i_help="")
    return dict(rows.values_list("user_id", "whom_i_help"))


def _scored(
    partners: QuerySet[Partner], scoring: Scoring, scores: Iterable[Score]
) -> QuerySet[Partner]:
    """``partners`` with ``score_<slug>``, ``score_<slug>_<part>`` and the inputs (``sc_*``)
    of ``scores`` annotated. Each input is counted once per partner, in a materialized common
    table of ``partners``, and the points and totals read its columns: annotated on the
    partners themselves, each part would repeat the subqueries of every input it reads, and
    each total every part again."""
    scores = list(scores)
    inputs: dict[str, Any] = {}
    for score in scores:
        inputs.update(score.inputs(scoring))
    counted = CTE(
        partners.order_by().annotate(**inputs).values("id", *inputs),
        name="score_inputs",
        materialized=True,
    )
    joined = counted.join(partners, id=counted.col.id).annotate(
        **{name: getattr(counted.col, name) for name in inputs}
    )
    points: dict[str, Any] = {}
    totals: dict[str, Any] = {}
    for score in scores:
        for key, expression in score.points(scoring).items():
            points[f"score_{score.slug}_{key}"] = ExpressionWrapper(
                expression, output_field=IntegerField()
            )
        totals[f"score_{score.slug}"] = _int(
            sum((F(f"score_{score.slug}_{key}") for key, _of in score.parts), Value(0))
        )
    scored = joined.annotate(**points).annotate(**totals)
    return with_cte(counted, select=scored.annotate(sc_today=Value(scoring.today, DateField())))


def score_values(
    *, ids: Collection[int], firm_id: int | None, today: dt.date | None = None
) -> dict[int, dict[str, Any]]:
    """Every score's annotations (``with_scores``) of the partners ``ids``, by partner: one
    query, its work bounded by the number of partners. Its statement is built once for each
    day, firm's messages and number of partners (``statements``)."""
    scoring = _scoring(firm_id, today)

    def build(stand_ins: list[int]) -> QuerySet[Partner]:
        scored = _scored(Partner.objects.filter(pk__in=stand_ins), scoring, SCORES.values())
        names = [name for name in scored.query.annotations if name.startswith(("sc_", "score_"))]
        return scored.values("id", *names)

    rows = values_of(Partner, build, ids, key=("scores", *scoring.key))
    return {row.pop("id"): row for row in rows}


def with_scores(
    qs: QuerySet[Partner], firm_id: int | None, *, today: dt.date | None = None
) -> QuerySet[Partner]:
    """``qs`` whose partners, once fetched, carry ``score_<slug>`` and ``score_<slug>_<part>``
    for every score and the inputs (``sc_*``) the parts read, counted on ``today`` (the local
    day by default): one more query for the partners a page shows, whatever the book."""

    def attach(partners: list[Partner]) -> None:
        if not partners:
            return
        values = score_values(ids=[p.pk for p in partners], firm_id=firm_id, today=today)
        for partner in partners:
            vars(partner).update(values.get(partner.pk, {}))

    return cast(PartnerQuerySet, qs).attaching(attach)


def ranked_by(qs: QuerySet[Partner], firm_id: int | None, slug: str) -> QuerySet[Partner]:
    """``qs`` with the score ``slug`` annotated in SQL (``score_<slug>``), to sort by: counted
    for every partner of ``qs``, as a sort by it needs."""
    return _scored(qs, _scoring(firm_id), [SCORES[slug]])


def scores_of(partner: Partner, *, today: dt.date | None = None) -> list[PartnerScore]:
    """The partner's scores, from ``with_scores``' values when present, else one query."""
    source: Any = partner
    if not hasattr(partner, "score_fit") or today is not None:
        source = copy.copy(partner)
        values = score_values(ids=[partner.pk], firm_id=partner.firm_id, today=today)
        vars(source).update(values[partner.pk])
    return [
        PartnerScore(
            slug=score.slug,
            title=score.title,
            score=getattr(source, f"score_{score.slug}"),
            parts=tuple(
                ScorePart(
                    label=score.label(source, key),
                    points=getattr(source, f"score_{score.slug}_{key}"),
                    of=of,
                )
                for key, of in score.parts
            ),
        )
        for score in SCORES.values()
    ]
