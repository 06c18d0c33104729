"""Which step of a referral comes next, and from when its days count, kept on the step
(``ReferralStep.due_from``) by every service that creates the steps or finishes or reopens one:
the agenda then counts and cuts the steps in flight in SQL, reading a column."""

import datetime as dt

from django.db.models import Case, DateTimeField, Value, When

from reciprocity.referrals.models import Referral, ReferralStep


def referral_next_step_refresh(*, referral: Referral) -> None:
    """Put ``due_from`` on the referral's first step neither done nor skipped (the later of the
    referral's moment and the last one finished before it) and clear it on the others. The
    caller holds the referral's row lock (the step services take it first): two steps worked at
    once leave the right one next."""
    steps = list(ReferralStep.objects.filter(referral_id=referral.pk).order_by("position"))
    wanted: dict[int, dt.datetime | None] = dict.fromkeys(step.pk for step in steps)
    counted_from = referral.occurred_at
    for step in steps:
        finished = step.done_at or step.skipped_at
        if finished is None:
            wanted[step.pk] = counted_from
            break
        counted_from = max(counted_from, finished)
    changed = {step.pk: wanted[step.pk] for step in steps if step.due_from != wanted[step.pk]}
    if changed:
        ReferralStep.objects.filter(pk__in=changed).update(
            due_from=Case(
                *[When(pk=pk, then=Value(moment)) for pk, moment in changed.items() if moment],
                default=None,
                output_field=DateTimeField(),
            )
        )
