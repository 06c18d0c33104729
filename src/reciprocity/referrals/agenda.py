"""The protocol steps of referrals in flight, on the advisor's agenda.

Each open, live referral with steps left puts its next one on the agenda (the lowest position
neither done nor skipped), due by ``models.STEP_DUE_AFTER_DAYS``: the step carries the moment
its days count from (``ReferralStep.due_from``), so the steps in flight are counted and cut in
SQL however many pile up. Its key is
``referral_step:<partner id>:<step id>``; completing it completes the step, which logs the
step's touch on the partner's timeline; setting it aside skips it. Registered from
``ReferralsConfig.ready``.

The title names the step and the referral's need, never the client: a sent referral carries the
client's identity only once consent is recorded, and the agenda travels further than the
referral's page (the weekly digest email, the API, the CLI).
"""

import datetime as dt
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.urls import reverse

from reciprocity.accounts.models import User
from reciprocity.dates import day_start, local_day
from reciprocity.partners.agenda import (
    AGENDA_ITEM_DONE,
    UNKNOWN_AGENDA_ITEM,
    AgendaItem,
    AgendaQuery,
    Completion,
    Controls,
    RecordSource,
)
from reciprocity.partners.models import CommitmentOwner, Partner
from reciprocity.records import Conflict, lock
from reciprocity.referrals.models import (
    HISTORY_AFTER_DAYS,
    STEP_DUE_AFTER_DAYS,
    Direction,
    Kind,
    ReferralStep,
    step_due,
)
from reciprocity.referrals.selectors import referral_step_get_for
from reciprocity.referrals.services.steps import referral_step_complete, referral_step_skip
from reciprocity.sql_days import AddDays, LocalDay

# History entered long after the fact waits until the advisor works one of its steps.
HISTORY_AGE = dt.timedelta(days=HISTORY_AFTER_DAYS)
# The steps by how many days after their moment they fall due.
_SLUGS_BY_DAYS = {
    days: [slug for slug, after in STEP_DUE_AFTER_DAYS.items() if after == days]
    for days in sorted(set(STEP_DUE_AFTER_DAYS.values()))
}


def _due_before(day: dt.date) -> Q:
    """Steps due before ``day``: counted from a moment before the local midnight that many
    days earlier (a local day plus days keeps the order of the moments)."""
    due = Q()
    for days, slugs in _SLUGS_BY_DAYS.items():
        due |= Q(slug__in=slugs, due_from__lt=day_start(day - dt.timedelta(days=days)))
    return due


class ReferralStepSource(RecordSource[ReferralStep]):
    model = ReferralStep
    slug = "referral_step"
    label = "Referral"

    def records_due(self, query: AgendaQuery) -> QuerySet[ReferralStep]:
        """The next step of every referral in flight with the partners in scope."""
        worked = ReferralStep.objects.filter(referral_id=OuterRef("referral_id")).filter(
            Q(done_at__isnull=False) | Q(skipped_at__isnull=False)
        )
        return (
            ReferralStep.objects.filter(
                _due_before(query.until + dt.timedelta(days=1)),
                due_from__isnull=False,
                referral__partner__in=query.partners.values("pk"),
                referral__closed_at__isnull=True,
                referral__archived_at__isnull=True,
            )
            .exclude(
                Q(referral__created_at__gt=F("referral__occurred_at") + HISTORY_AGE)
                & ~Exists(worked.order_by())
            )
            # The partner's name is all an item shows of it.
            .annotate(
                partner_id=F("referral__partner_id"), partner_name=F("referral__partner__name")
            )
        )

    def read(self, records: QuerySet[ReferralStep]) -> QuerySet[ReferralStep]:
        """With what the item says of the referral and the step's place in its protocol. (Not
        the referral's row: its partner column beside the ``partner_id`` annotation misaligns
        the columns of a ranked read.)"""
        siblings = ReferralStep.objects.filter(referral_id=OuterRef("referral_id")).order_by()
        return records.annotate(
            need=F("referral__need"),
            direction=F("referral__direction"),
            kind=F("referral__kind"),
            steps_before=Subquery(
                siblings.filter(position__lt=OuterRef("position"))
                .values("referral_id")
                .annotate(n=Count("pk"))
                .values("n")
            ),
            steps_total=Subquery(
                siblings.values("referral_id").annotate(n=Count("pk")).values("n")
            ),
        )

    def item_of(self, record: ReferralStep, query: AgendaQuery) -> AgendaItem:
        found: Any = record  # with the annotations of records_due and read
        return self.item(
            found.partner_id,
            found.partner_name,
            (record.pk,),
            title=f"{record.label}: {found.need}",
            due=step_due(
                record.slug,
                referral_day=local_day(cast(dt.datetime, record.due_from)),
                finished_day=None,
            ),
            owner=CommitmentOwner.ADVISOR,
            detail=(
                f"{Direction(found.direction).label} {Kind(found.kind).label.lower()}"
                f" · step {(found.steps_before or 0) + 1} of {found.steps_total}"
            ),
            object_id=record.pk,
            url=reverse("referral_detail", args=[record.referral_id]),
        )

    def sections(self, query: AgendaQuery) -> tuple[Q, Q]:
        return _due_before(query.today), _due_before(query.today + dt.timedelta(days=1))

    def order(self) -> list[Any]:
        days = Case(
            *[When(slug__in=slugs, then=Value(days)) for days, slugs in _SLUGS_BY_DAYS.items()],
            output_field=IntegerField(),
        )
        return [AddDays(LocalDay("due_from"), days).asc()]

    def _step(self, by: User, partner: Partner, reference: str) -> ReferralStep:
        step = referral_step_get_for(advisor=by, pk=reference)
        if step.referral.partner_id != partner.pk:
            raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
        return step

    def complete(
        self, *, by: User, partner: Partner, reference: str, options: dict[str, Any]
    ) -> ReferralStep:
        """Done, with its touch (``occurred_at``, ``summary``); refused once done or skipped,
        which the step's own page allows (its completion there changes nothing)."""
        step = lock(self._step(by, partner, reference))
        if step.done_at is not None or step.skipped_at is not None:
            raise Conflict({"key": AGENDA_ITEM_DONE})
        return referral_step_complete(
            step=step,
            by=by,
            occurred_at=options.get("occurred_at"),
            summary=options.get("summary", ""),
        )

    def set_aside(self, *, by: User, partner: Partner, reference: str) -> ReferralStep:
        """Skipped: it stays on the referral's checklist, marked skipped, and logs no touch."""
        return referral_step_skip(step=self._step(by, partner, reference), by=by)

    def describe(self, result: ReferralStep) -> str:
        if result.touch is None:
            return "Done."
        touch = result.touch
        return f"Done: {result.label}. Logged: {touch.get_kind_display()} with {touch.partner.name}"

    def describe_set_aside(self, result: ReferralStep) -> str:
        return f"Skipped: {result}"

    def completion(self, result: ReferralStep) -> Completion:
        return Completion(detail=str(result), touch_id=result.touch_id)

    def controls(self, item: AgendaItem, today: dt.date) -> Controls:
        # The step logs the touch of its own kind; the referral's page has the whole protocol.
        return Controls(
            set_aside_label="Skip",
            link=item.url or self.partner_url(item),
            link_label="Referral",
        )
