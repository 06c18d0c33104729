"""What the diagnoses read of each partner, annotated in the partners' own query, and the SQL
prefilter that keeps to the partners some kind may name."""

import datetime as dt
from typing import Any

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
from django.db.models.functions import Coalesce, Greatest

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


# What ``with_verdict_readings`` reads of each partner, as ``verdict_rows`` returns it.
VERDICT_FIELDS = (
    "pk",
    "name",
    "stage",
    "growth_mode",
    "propensity_to_refer",
    "can_describe_value",
    "met_at",
    "touches_since_met",
    "received_ever",
    "received_12m",
    "received_24m",
    "sent_12m",
    "first_sent_at",
    "last_received_at",
    "has_agreement",
    "last_touched_at",
    "cadence_enabled",
    "cadence_months",
    "stage_cadence_months",
    "last_contact_at",
    "dismissed_any",
)


def with_verdict_readings(
    qs: QuerySet[Partner],
    *,
    today: dt.date,
    now: dt.datetime,
    thresholds: Thresholds | None = None,
) -> QuerySet[Partner]:
    """Annotate what the kinds' verdicts read (``with_readings`` without what only the wording
    reads), and ``dismissed_any``: whether some diagnosis of the partner is dismissed (whose
    fingerprint only the wording tells)."""
    thresholds = thresholds or Thresholds()
    annotated = _verdict_annotations(qs, today=today, now=now, thresholds=thresholds)
    live = Dismissal.objects.filter(partner_id=OuterRef("pk"), archived_at__isnull=True)
    return annotated.annotate(dismissed_any=Exists(live))


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
