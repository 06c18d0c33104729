"""What the diagnoses read of each partner, annotated in the partners' own query, and the SQL
prefilter that keeps to the partners some kind may name."""

import datetime as dt
from typing import Any, NamedTuple

from django.db import connections
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from reciprocity.insights.diagnoses.base import (
    DIAGNOSED_STAGES,
    PATIENCE_MONTHS,
    WINDOW_MONTHS,
    Thresholds,
    start_of,
)
from reciprocity.insights.diagnoses.kinds import PARTNER_KINDS
from reciprocity.insights.models import Dismissal
from reciprocity.partners.models import Partner, StageChange, Touch
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


def _count(qs: QuerySet[Any]) -> Coalesce:
    return Coalesce(
        Subquery(qs.order_by().values("partner_id").annotate(n=Count("pk")).values("n")), 0
    )


def _first(qs: QuerySet[Any], fn: type[Min] | type[Max] = Min) -> Subquery:
    return Subquery(
        qs.order_by().values("partner_id").annotate(m=fn("occurred_at")).values("m"),
        output_field=DateTimeField(),
    )


def _verdict_annotations(
    qs: QuerySet[Partner], *, today: dt.date, now: dt.datetime, thresholds: Thresholds
) -> QuerySet[Partner]:
    """``qs`` with what the kinds' verdicts read (the wording reads them too)."""
    since_window = start_of(add_months(today, -WINDOW_MONTHS))
    since_walk_away = start_of(add_months(today, -thresholds.walk_away_months))
    met = StageChange.objects.filter(
        partner_id=OuterRef("pk"), to_stage__in=DIAGNOSED_STAGES, occurred_at__lte=now
    )
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
        qs.annotate(
            met_at=Coalesce(
                Subquery(
                    met.order_by().values("partner_id").annotate(m=Min("occurred_at")).values("m"),
                    output_field=DateTimeField(),
                ),
                F("stage_changed_at"),
            )
        )
        .annotate(
            touches_since_met=_count(touches),
            received_ever=_count(received),
            received_12m=_count(received.filter(occurred_at__gte=since_window)),
            received_24m=_count(received.filter(occurred_at__gte=since_walk_away)),
            sent_12m=_count(sent.filter(occurred_at__gte=since_window)),
            first_sent_at=_first(sent),
            last_received_at=_first(received, Max),
            has_agreement=Exists(in_force),
            last_touched_at=_first(all_touches, Max),
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


class VerdictRow(NamedTuple):
    """What ``verdict_rows`` reads of a partner, in its query's columns' order, and the last
    sign of life (the later of the last touch and the last referral from them)."""

    pk: int
    name: str
    stage: str
    growth_mode: bool | None
    propensity_to_refer: str | None
    can_describe_value: str
    met_at: dt.datetime
    # Counted up to ``many_touches`` only, and only where a verdict reads it (no referral
    # received); 0 elsewhere, and where the partner has fewer live touches than that in all.
    touches_since_met: int
    last_touched_at: dt.datetime | None
    received_ever: int
    received_12m: int
    received_24m: int
    sent_12m: int
    first_sent_at: dt.datetime | None
    last_received_at: dt.datetime | None
    has_agreement: bool
    cadence_enabled: bool | None
    cadence_months: int | None
    stage_cadence_months: int | None
    dismissed_any: bool
    last_contact_at: dt.datetime | None


# Where SQLite answers a moment as text, and a flag as 0 or 1.
_MOMENTS = [
    VerdictRow._fields.index(name)
    for name in ("met_at", "last_touched_at", "first_sent_at", "last_received_at")
]
_FLAGS = [
    VerdictRow._fields.index(name)
    for name in ("growth_mode", "has_agreement", "cadence_enabled", "dismissed_any")
]
_TOUCHED = VerdictRow._fields.index("last_touched_at")
_RECEIVED = VerdictRow._fields.index("last_received_at")


# The parts joined, each table's aggregate once; names quoted, values bound. The touches are
# read by partner instead, through the index of live touches on (partner, moment), and only
# where the partner's own row cannot answer: a firm's partners carry dozens each, and a pass
# over all of them read millions of rows.
# - The last touch is the one the partner's row keeps, unless that one is still to come.
# - The touches since the first meeting are counted only as far as a verdict compares
#   (``many_touches``), and only where one reads them: no referral received yet, and that many
#   live touches in all (those since the meeting are among them).
_JOINED = """
SELECT s.id, s.name, s.stage, s.growth_mode, s.propensity, s.describes,
    -- A partner with no recorded move into a met stage counts from its last move.
    COALESCE(m.m, s.changed_at),
    CASE WHEN COALESCE(r.ever, 0) > 0 OR s.touches < %s THEN 0 ELSE (
        SELECT COUNT(*) FROM (
            SELECT 1 FROM {touch} t
            WHERE t.partner_id = s.id AND t.archived_at IS NULL
                AND t.occurred_at >= COALESCE(m.m, s.changed_at) AND t.occurred_at <= %s
            LIMIT %s
        ) n
    ) END,
    CASE WHEN s.last_touch IS NULL OR s.last_touch <= %s THEN s.last_touch ELSE (
        SELECT MAX(t.occurred_at) FROM {touch} t
        WHERE t.partner_id = s.id AND t.archived_at IS NULL AND t.occurred_at <= %s
    ) END,
    COALESCE(r.ever, 0), COALESCE(r.r12, 0), COALESCE(r.r24, 0), COALESCE(r.s12, 0),
    r.first_sent, r.last_received, a.partner_id IS NOT NULL,
    c.enabled, c.interval_months, d.interval_months, x.partner_id IS NOT NULL
FROM diag_scope s
LEFT JOIN diag_met m ON m.partner_id = s.id
LEFT JOIN diag_referral r ON r.partner_id = s.id
LEFT JOIN diag_agreed a ON a.partner_id = s.id
LEFT JOIN diag_dismissed x ON x.partner_id = s.id
LEFT JOIN {cadence} c ON c.partner_id = s.id AND c.kind = %s
LEFT JOIN {stage_cadence} d
    ON d.firm_id = s.firm_id AND d.stage = s.stage AND d.kind = %s
ORDER BY s.name, s.id
"""


def verdict_rows(
    scope: QuerySet[Partner],
    *,
    today: dt.date,
    now: dt.datetime,
    thresholds: Thresholds | None = None,
) -> list[VerdictRow]:
    """What the kinds' verdicts read of every partner of ``scope`` (``with_readings`` without
    what only the wording reads), ordered as ``assess`` reads them, and ``dismissed_any``:
    whether some diagnosis of the partner is dismissed (whose fingerprint only the wording
    tells).

    One query whatever the book: each table is aggregated once by partner over the scope's
    partners and joined to them (correlated subqueries would read each partner's rows apart,
    a dozen index probes a partner), but the touches, of which a partner may have hundreds:
    two short reads of the index of live ones each. The parts are the ORM's; the joins are
    written here."""
    thresholds = thresholds or Thresholds()
    since_window = start_of(add_months(today, -WINDOW_MONTHS))
    since_walk_away = start_of(add_months(today, -thresholds.walk_away_months))
    in_scope = RawSQL("SELECT id FROM diag_scope", ())
    partners = scope.order_by().values(
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
    )
    met = (
        StageChange.objects.filter(
            partner_id__in=in_scope, to_stage__in=DIAGNOSED_STAGES, occurred_at__lte=now
        )
        .values("partner_id")
        .annotate(m=Min("occurred_at"))
        .order_by()
    )
    received = Q(direction=Direction.RECEIVED)
    sent = Q(direction=Direction.SENT)
    referrals = (
        Referral.objects.live()
        .filter(partner_id__in=in_scope, kind=Kind.REFERRAL, occurred_at__lte=now)
        .values("partner_id")
        .annotate(
            received_ever=Count("pk", filter=received),
            received_12m=Count("pk", filter=received & Q(occurred_at__gte=since_window)),
            received_24m=Count("pk", filter=received & Q(occurred_at__gte=since_walk_away)),
            sent_12m=Count("pk", filter=sent & Q(occurred_at__gte=since_window)),
            first_sent_at=Min("occurred_at", filter=sent),
            last_received_at=Max("occurred_at", filter=received),
        )
        .order_by()
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
            " touches, last_touch)",
            partners,
        ),
        ("diag_met(partner_id, m)", met),
        ("diag_referral(partner_id, ever, r12, r24, s12, first_sent, last_received)", referrals),
        ("diag_agreed(partner_id)", agreed),
        ("diag_dismissed(partner_id)", dismissed),
    ]
    using = scope.db
    compiled = [(name, *qs.query.get_compiler(using=using).as_sql()) for name, qs in parts]
    touch, cadence, stage_cadence = (
        connections[using].ops.quote_name(model._meta.db_table)
        for model in (Touch, Cadence, CadenceDefault)
    )
    sql = "WITH " + ", ".join(f"{name} AS ({part})" for name, part, _ in compiled)
    sql += _JOINED.format(touch=touch, cadence=cadence, stage_cadence=stage_cadence)
    params = [p for _, _, part_params in compiled for p in part_params]
    until = connections[using].ops.adapt_datetimefield_value(now)
    many = thresholds.many_touches
    params += [many, until, many, until, until]
    params += [CadenceKind.TOUCH_BASE, CadenceKind.TOUCH_BASE]
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    # The zone SQLite's text moments were written in (None only without USE_TZ).
    zone = connections[using].timezone or dt.UTC
    return [_row(values, zone) for values in fetched]


def _row(values: tuple[Any, ...], zone: dt.tzinfo) -> VerdictRow:
    row = list(values)
    for at in _MOMENTS:
        if isinstance(value := row[at], str):
            row[at] = _moment(value, zone)
    for at in _FLAGS:
        if (value := row[at]) is not None:
            row[at] = bool(value)
    touched, received = row[_TOUCHED], row[_RECEIVED]
    both = touched is not None and received is not None
    row.append(max(touched, received) if both else touched or received)
    return VerdictRow._make(row)


def _moment(value: str, zone: dt.tzinfo) -> dt.datetime:
    moment = parse_datetime(value)
    assert moment is not None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, zone)


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


def judged_until(today: dt.date, patience_months: int = PATIENCE_MONTHS) -> dt.date:
    """The last day a first meeting may have been for the partner to be judged today: the
    latest day whose patience window later is not after ``today`` (a Feb 29 lands on Feb 28)."""
    day = add_months(today, -patience_months)
    while add_months(day + dt.timedelta(days=1), patience_months) <= today:
        day += dt.timedelta(days=1)
    return day


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
    last_judged = judged_until(today, thresholds.patience_months)
    patient = Q(met_at__lt=start_of(last_judged + dt.timedelta(days=1)))
    condition = Q(pk__in=[])
    for kind in PARTNER_KINDS:
        if kind.reassurance and not too_early:
            continue
        condition |= kind.candidates(today=today, patient=patient, thresholds=thresholds)
    return partners.filter(condition)
