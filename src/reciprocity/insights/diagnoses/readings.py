"""What the diagnoses read of each partner, annotated in the partners' own query, and the SQL
prefilter that keeps to the partners some kind may name."""

import datetime as dt
from collections.abc import Collection, Hashable
from typing import Any, NamedTuple

from django.db import connections
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from reciprocity.insights.diagnoses.base import (
    WINDOW_MONTHS,
    Thresholds,
    cutoffs_of,
    judged_before,
    start_of,
)
from reciprocity.insights.diagnoses.base import Kind as DiagnosisKind
from reciprocity.insights.diagnoses.kinds import PARTNER_KINDS
from reciprocity.insights.models import Dismissal
from reciprocity.partners.models import Partner, Touch
from reciprocity.playbook.models import (
    AdvisorProfile,
    Agreement,
    AgreementStatus,
    Cadence,
    CadenceDefault,
    CadenceKind,
    MessageCheck,
)
from reciprocity.playbook.selectors.cadences import add_months
from reciprocity.playbook.selectors.strategies import with_strategy
from reciprocity.referrals.models import Direction, Kind, Referral
from reciprocity.statements import models_of


def _count(qs: QuerySet[Any]) -> Coalesce:
    return Coalesce(
        Subquery(qs.order_by().values("partner_id").annotate(n=Count("pk")).values("n")), 0
    )


def _first(qs: QuerySet[Any], *, last: bool = False) -> Subquery:
    """The moment of the first (or the last) of ``qs``: the first row in the order of the
    indexes by partner and moment, where a minimum grouped by partner reads every row."""
    order = "-occurred_at" if last else "occurred_at"
    return Subquery(qs.order_by(order).values("occurred_at")[:1], output_field=DateTimeField())


def _met_by(now: dt.datetime) -> Case:
    """The partner's first move into a met stage, if made by ``now``: the one kept on the row
    is the earliest, so when it is still to come, so are the others."""
    return Case(When(first_met_at__lte=now, then=F("first_met_at")))


def _verdict_annotations(
    qs: QuerySet[Partner], *, today: dt.date, now: dt.datetime, thresholds: Thresholds
) -> QuerySet[Partner]:
    """``qs`` with what the kinds' verdicts read (the wording reads them too)."""
    since_window = start_of(add_months(today, -WINDOW_MONTHS))
    since_walk_away = start_of(add_months(today, -thresholds.walk_away_months))
    referrals = Referral.objects.live().filter(
        partner_id=OuterRef("pk"),
        kind=Kind.REFERRAL,
        occurred_at__lte=now,
    )
    received = referrals.filter(direction=Direction.RECEIVED)
    sent = referrals.filter(direction=Direction.SENT)
    touches = Touch.objects.live().filter(
        partner_id=OuterRef("pk"),
        occurred_at__gte=OuterRef("met_at"),
        occurred_at__lte=now,
    )
    all_touches = Touch.objects.live().filter(partner_id=OuterRef("pk"), occurred_at__lte=now)
    override = Cadence.objects.filter(partner_id=OuterRef("pk"), kind=CadenceKind.TOUCH_BASE)
    stage_cadence = CadenceDefault.objects.filter(
        firm_id=OuterRef("firm_id"), stage=OuterRef("stage"), kind=CadenceKind.TOUCH_BASE
    )
    in_force = Agreement.objects.filter(
        partner_id=OuterRef("pk"),
        status=AgreementStatus.ACTIVE,
        ended_at__isnull=True,
        agreed_on__lte=today,
    )
    return (
        # A partner with no recorded move into a met stage counts from its last move.
        qs.annotate(met_at=Coalesce(_met_by(now), F("stage_changed_at")))
        .annotate(
            touches_since_met=_count(touches),
            received_ever=_count(received),
            received_12m=_count(received.filter(occurred_at__gte=since_window)),
            received_24m=_count(received.filter(occurred_at__gte=since_walk_away)),
            sent_12m=_count(sent.filter(occurred_at__gte=since_window)),
            first_sent_at=_first(sent),
            last_received_at=_first(received, last=True),
            has_agreement=Exists(in_force),
            last_touched_at=_first(all_touches, last=True),
            cadence_enabled=Subquery(override.values("enabled")[:1]),
            cadence_months=Subquery(override.values("interval_months")[:1]),
            stage_cadence_months=Subquery(stage_cadence.values("interval_months")[:1]),
        )
        # The last sign of life: the last touch or the last referral from them.
        .annotate(
            last_contact_at=Greatest(
                Coalesce("last_touched_at", "last_received_at"),
                Coalesce("last_received_at", "last_touched_at"),
            )
        )
    )


# The readings the kinds' verdicts read (``Kind.verdict_sql`` names these columns), each
# table's aggregate once; names quoted, values bound. The touches and the referrals are read
# by partner instead, through their indexes on (partner, ..., moment), and only where the
# partner's own row cannot answer: a firm's partners carry dozens of touches and several
# referrals each, and a pass over all of them read millions of rows.
# - The last touch is the one the partner's row keeps, unless that one is still to come.
# - The touches since the first meeting are counted only as far as a verdict compares
#   (``many_touches``), and only where one reads them: no referral received yet, and that many
#   live touches in all (those since the meeting are among them); 0 elsewhere.
# - The referrals received are what the verdicts ask of them: whether any came by now, in the
#   window, in the walk-away window (1 or 0), read from the first and the latest one the row
#   keeps (the latest looked up again when the row's is still to come); the first sent is the
#   row's earliest unless still to come (then none is sent yet).
# - The referrals sent in the window are counted only as far as a verdict compares
#   (``one_way_min_sent``), and only where one reads them: some sent by now, none received in
#   the window; 0 elsewhere.
_JOINED = """
SELECT s.id AS id, s.name AS name, s.stage AS stage, s.growth_mode AS growth_mode,
    s.propensity AS propensity, s.describes AS describes,
    -- A partner with no recorded move into a met stage counts from its last move.
    COALESCE(s.met, s.changed_at) AS met_at,
    CASE WHEN s.received_ever = 1 OR s.touches < %s THEN 0 ELSE (
        SELECT COUNT(*) FROM (
            SELECT 1 FROM {touch} t
            WHERE t.partner_id = s.id AND t.archived_at IS NULL
                AND t.occurred_at >= COALESCE(s.met, s.changed_at) AND t.occurred_at <= %s
            LIMIT %s
        ) n
    ) END AS touches_since_met,
    CASE WHEN s.last_touch IS NULL OR s.last_touch <= %s THEN s.last_touch ELSE (
        SELECT MAX(t.occurred_at) FROM {touch} t
        WHERE t.partner_id = s.id AND t.archived_at IS NULL AND t.occurred_at <= %s
    ) END AS last_touched_at,
    s.received_ever AS received_ever,
    CASE WHEN s.last_received >= %s THEN 1 ELSE 0 END AS received_12m,
    CASE WHEN s.last_received >= %s THEN 1 ELSE 0 END AS received_24m,
    CASE WHEN s.first_sent IS NULL OR s.last_received >= %s THEN 0 ELSE (
        SELECT COUNT(*) FROM (
            SELECT 1 FROM {referral} f
            WHERE f.partner_id = s.id AND f.direction = %s AND f.kind = %s
                AND f.archived_at IS NULL AND f.occurred_at >= %s AND f.occurred_at <= %s
            LIMIT %s
        ) n
    ) END AS sent_12m,
    s.first_sent AS first_sent_at, s.last_received AS last_received_at,
    a.partner_id IS NOT NULL AS has_agreement, c.enabled AS cadence_enabled,
    c.interval_months AS cadence_months, d.interval_months AS stage_cadence_months,
    x.partner_id IS NOT NULL AS dismissed
FROM diag_scope s
LEFT JOIN diag_agreed a ON a.partner_id = s.id
LEFT JOIN diag_dismissed x ON x.partner_id = s.id
LEFT JOIN {cadence} c ON c.partner_id = s.id AND c.kind = %s
LEFT JOIN {stage_cadence} d
    ON d.firm_id = s.firm_id AND d.stage = s.stage AND d.kind = %s
"""

# The kinds' verdicts over the readings (``raw``), then what the kinds before each one found;
# in the order ``assess`` reads the partners (that of the partners too early to judge).
# - The verdicts are materialized: read from a subquery, each would be written out again
#   wherever the select over them names it, and counted again, with its reads of the touches
#   and the referrals.
# - Only the partners some kind names, or with a dismissal, are returned: the others give the
#   list nothing, and a firm's half of them were fetched to be dropped.
_VERDICTS = """, diag_verdicts AS MATERIALIZED (
    SELECT id, name, dismissed, {raw} FROM ({readings}) readings
)
SELECT id, name, dismissed, {found} FROM diag_verdicts
WHERE dismissed OR {named}
ORDER BY name, id
"""


class VerdictCodes(NamedTuple):
    """A partner as ``verdict_codes`` reads it: whether some diagnosis of theirs is dismissed
    (whose fingerprint only the wording tells), and each kind's ``verdict_code`` or None."""

    pk: int
    name: str
    dismissed_any: bool
    codes: tuple[str | None, ...]


def verdict_codes(
    scope: QuerySet[Partner],
    *,
    today: dt.date,
    now: dt.datetime,
    kinds: tuple[DiagnosisKind, ...],
    thresholds: Thresholds | None = None,
) -> list[VerdictCodes]:
    """Which of ``kinds`` name each partner of ``scope``, and how (``verdict``, decided in
    SQL: ``Kind.verdict_sql``), in the order ``assess`` reads them: the partners some kind
    names or with a dismissal, the others left out.

    One query whatever the book: each table is aggregated once by partner over the scope's
    partners and joined to them (correlated subqueries would read each partner's rows apart,
    a dozen index probes a partner); the kinds' verdicts are read over those readings, then
    what the kinds before each one found. The parts are the ORM's; the joins are written
    here."""
    thresholds = thresholds or Thresholds()
    since_window = start_of(add_months(today, -WINDOW_MONTHS))
    since_walk_away = start_of(add_months(today, -thresholds.walk_away_months))
    in_scope = RawSQL("SELECT id FROM diag_scope", ())
    received = Referral.objects.live().filter(
        partner_id=OuterRef("pk"),
        direction=Direction.RECEIVED,
        kind=Kind.REFERRAL,
        occurred_at__lte=now,
    )
    partners = (
        scope.order_by()
        .annotate(
            met_by_now=_met_by(now),
            received_by_now=Case(When(first_received_at__lte=now, then=1), default=0),
            last_received_by_now=Case(
                When(
                    Q(latest_received_at__isnull=True) | Q(latest_received_at__lte=now),
                    then=F("latest_received_at"),
                ),
                default=_first(received, last=True),
            ),
            first_sent_by_now=Case(When(earliest_sent_at__lte=now, then=F("earliest_sent_at"))),
        )
        .values(
            "pk",
            "name",
            "stage",
            "growth_mode",
            "propensity_to_refer",
            "can_describe_value",
            "stage_changed_at",
            "firm_id",
            "touch_count",
            "last_touch_at",
            "met_by_now",
            "received_by_now",
            "last_received_by_now",
            "first_sent_by_now",
        )
    )
    agreed = (
        Agreement.objects.filter(
            partner_id__in=in_scope,
            status=AgreementStatus.ACTIVE,
            ended_at__isnull=True,
            agreed_on__lte=today,
        )
        .values("partner_id")
        .distinct()
        .order_by()
    )
    dismissed = (
        Dismissal.objects.filter(partner_id__in=in_scope, archived_at__isnull=True)
        .values("partner_id")
        .distinct()
        .order_by()
    )
    parts = [
        (
            "diag_scope(id, name, stage, growth_mode, propensity, describes, changed_at, firm_id,"
            " touches, last_touch, met, received_ever, last_received, first_sent)",
            partners,
        ),
        ("diag_agreed(partner_id)", agreed),
        ("diag_dismissed(partner_id)", dismissed),
    ]
    using = scope.db
    compiled = [(name, *qs.query.get_compiler(using=using).as_sql()) for name, qs in parts]
    touch, referral, cadence, stage_cadence = (
        connections[using].ops.quote_name(model._meta.db_table)
        for model in (Touch, Referral, Cadence, CadenceDefault)
    )
    readings = _JOINED.format(
        touch=touch, referral=referral, cadence=cadence, stage_cadence=stage_cadence
    )
    many, min_sent = thresholds.many_touches, thresholds.one_way_min_sent
    reading_params = [
        *(many, now, many, now, now),
        *(since_window, since_walk_away),
        *(since_window, Direction.SENT, Kind.REFERRAL, since_window, now, min_sent),
        *(CadenceKind.TOUCH_BASE, CadenceKind.TOUCH_BASE),
    ]
    cuts = cutoffs_of(today, thresholds)
    verdicts = [kind.verdict_sql(cuts) for kind in kinds]
    raw = ", ".join(f"{expression} AS k{at}" for at, (expression, _) in enumerate(verdicts))
    sql = "WITH " + ", ".join(f"{name} AS ({part})" for name, part, _ in compiled)
    named = " OR ".join(f"k{at} IS NOT NULL" for at in range(len(kinds)))
    sql += _VERDICTS.format(found=", ".join(_found(kinds)), raw=raw, readings=readings, named=named)
    params = [p for _, _, part_params in compiled for p in part_params]
    params += [param for _, kind_params in verdicts for param in kind_params]
    params += reading_params
    ops = connections[using].ops
    params = [ops.adapt_datetimefield_value(p) if isinstance(p, dt.datetime) else p for p in params]
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        # The codes as a tuple (a row's own slice): ``assess_paged`` reads each combination once.
        return [
            VerdictCodes(row[0], row[1], bool(row[2]), tuple(row[3:])) for row in cursor.fetchall()
        ]


def _found(kinds: tuple[DiagnosisKind, ...]) -> list[str]:
    """Each kind's verdict where the kinds before it leave it standing: a reassurance where no
    other names the partner, a kind with ``unless_found`` where none of those does."""
    at = {kind.slug: index for index, kind in enumerate(kinds)}
    found = []
    for index, kind in enumerate(kinds):
        unless = (
            [at[other.slug] for other in kinds if other is not kind and not other.reassurance]
            if kind.reassurance
            else [at[slug] for slug in kind.unless_found]
        )
        if unless:
            clear = " AND ".join(f"k{other} IS NULL" for other in unless)
            found.append(f"CASE WHEN {clear} THEN k{index} END")
        else:
            found.append(f"k{index}")
    return found


def with_readings(
    qs: QuerySet[Partner],
    *,
    today: dt.date,
    now: dt.datetime,
    thresholds: Thresholds | None = None,
) -> QuerySet[Partner]:
    """Annotate what the diagnoses read, in the partners' own query (correlated subqueries, so
    the list stays one query whatever its length): ``met_at``, ``touches_since_met``,
    ``received_ever``, ``received_12m``, ``received_24m`` (the walk-away window),
    ``sent_12m``, ``first_sent_at``, ``last_received_at``, the latest message check, whether
    the owner's message is written, an agreement in force, the current strategy, the last
    touch and the last sign of life (``last_contact_at``), and the touch-base cadence (the
    partner's override, ``cadence_enabled`` and ``cadence_months``, and the firm's for the
    stage, ``stage_cadence_months``), and the fingerprint of each diagnosis's live dismissal
    (``dismissed_<slug>``)."""
    thresholds = thresholds or Thresholds()
    latest_check = MessageCheck.objects.filter(partner_id=OuterRef("pk"), checked_at__lte=now)
    latest_check = latest_check.order_by("-checked_at", "-pk")
    written = AdvisorProfile.objects.filter(user_id=OuterRef("owner_id"))
    dismissals = Dismissal.objects.filter(partner_id=OuterRef("pk"), archived_at__isnull=True)
    annotated = _verdict_annotations(
        with_strategy(qs.select_related("owner")), today=today, now=now, thresholds=thresholds
    )
    return annotated.annotate(
        check_result=Subquery(latest_check.values("result")[:1]),
        check_at=Subquery(latest_check.values("checked_at")[:1], output_field=DateTimeField()),
        check_heard=Subquery(latest_check.values("heard")[:1]),
        owner_has_message=Exists(written.exclude(whom_i_help="").exclude(what_is_unique="")),
        # What each diagnosis's live dismissal said, if any.
        **{
            f"dismissed_{kind.slug}": Subquery(
                dismissals.filter(slug=kind.slug).values("fingerprint")[:1]
            )
            for kind in PARTNER_KINDS
        },
    )


def readings_of(
    scope: QuerySet[Partner],
    ids: Collection[int],
    *,
    scope_key: Hashable,
    today: dt.date,
    now: dt.datetime,
    thresholds: Thresholds,
) -> list[Partner]:
    """The partners ``ids`` of ``scope`` with what the diagnoses read (``with_readings``), in
    one query. Its statement is built once for each scope (``scope_key``: all it depends on),
    day and zone, thresholds and number of partners (``statements``): a page asks for it on
    every request, and the ORM took several times longer to build and compile it than the
    database to run it."""

    def build(stand_ins: list[int], moment: dt.datetime) -> QuerySet[Partner]:
        partners = scope.filter(pk__in=stand_ins)
        return with_readings(partners, today=today, now=moment, thresholds=thresholds)

    zone = timezone.get_current_timezone_name()
    key = ("readings", scope_key, today, zone, thresholds)
    return models_of(Partner, build, ids, now=now, key=key)


def may_be_named(
    partners: QuerySet[Partner],
    *,
    today: dt.date,
    too_early: bool = True,
    thresholds: Thresholds | None = None,
) -> QuerySet[Partner]:
    """The partners (read through ``with_readings``) the kinds may name, or (with
    ``too_early``) find too early to judge, in SQL: each kind's conditions but the wording, so
    that the Python part reads the candidates only. Every partner the kinds name is among
    them."""
    thresholds = thresholds or Thresholds()
    patient = Q(met_at__lt=judged_before(today, thresholds.patience_months))
    condition = Q(pk__in=[])
    for kind in PARTNER_KINDS:
        if kind.reassurance and not too_early:
            continue
        condition |= kind.candidates(today=today, patient=patient, thresholds=thresholds)
    return partners.filter(condition)
