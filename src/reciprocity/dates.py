"""What a plausible date is, said once for each kind of date the product records; the services
apply it, so the forms, the API, the CLI and every later entry point refuse the same dates with
the same words, naming the field.

- Something that happened (a touch, a stage change, a referral, a completion, a meeting held, a
  concern heard, an agreement signed): from 1 January 1900 to now, with a minute of slack for
  the clocks of API clients.
- Something planned (a commitment's due date, a meeting, a review, the day to ask for a
  meeting): from 1 January 1900 to ten years from today. The past is allowed, so that the
  history an advisor already has can be entered; a rule of its own may refuse it (an
  opportunity's ask-by day).

Rows written before the rule may hold any date: what reads them (the calendar feed, the digest,
the agenda, the exports) must not do arithmetic that overflows on them (``shifted``).
"""

import datetime as dt
from typing import cast

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils import timezone

EARLIEST = dt.date(1900, 1, 1)
AHEAD_YEARS = 10
CLOCK_SLACK = dt.timedelta(minutes=1)

# User-facing messages; tests reuse them.
IN_THE_FUTURE = "That date is in the future; record things that have happened."
BEFORE_1900 = "That date is before 1900; give the real date."
TOO_FAR_AHEAD = f"That date is more than {AHEAD_YEARS} years ahead; plan within the next ten years."


def latest_planned() -> dt.date:
    return timezone.localdate() + relativedelta(years=AHEAD_YEARS)


def _aware(value: dt.datetime) -> dt.datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def out_of_range(value: dt.date) -> str | None:
    """The message for a date or moment no kind of date allows, whatever its offset; None when
    it is within the years some kind allows. Safe on any value: it looks at the year first, so
    the API can refuse ``0001-01-01T00:00:00+14:00`` before converting it overflows."""
    if value.year < EARLIEST.year:
        return BEFORE_1900
    if value.year > latest_planned().year:
        return TOO_FAR_AHEAD
    return None


def happened_at(value: dt.datetime | None, field: str = "occurred_at") -> dt.datetime:
    """A moment that has happened: now when not given, aware, from 1900 to now."""
    now = timezone.now()
    if value is None:
        return now
    # The year first: converting a far-off moment with an offset would overflow.
    if value.year < EARLIEST.year:
        raise ValidationError({field: BEFORE_1900})
    if value.year > now.year + 1:
        raise ValidationError({field: IN_THE_FUTURE})
    value = _aware(value)
    if value < dt.datetime.combine(EARLIEST, dt.time.min, tzinfo=dt.UTC):
        raise ValidationError({field: BEFORE_1900})
    if value > now + CLOCK_SLACK:
        raise ValidationError({field: IN_THE_FUTURE})
    return value


def happened_on(value: dt.date, field: str) -> dt.date:
    """A day something happened: from 1900 to today."""
    if value < EARLIEST:
        raise ValidationError({field: BEFORE_1900})
    if value > timezone.localdate():
        raise ValidationError({field: IN_THE_FUTURE})
    return value


def planned_on(value: dt.date, field: str) -> dt.date:
    """A day something is planned for: from 1900 to ten years from today."""
    if value < EARLIEST:
        raise ValidationError({field: BEFORE_1900})
    if value > latest_planned():
        raise ValidationError({field: TOO_FAR_AHEAD})
    return value


def planned_at(value: dt.datetime, field: str) -> dt.datetime:
    """A moment something is planned for (a meeting): aware, from 1900 to ten years ahead."""
    message = out_of_range(value)
    if message is not None:
        raise ValidationError({field: message})
    value = _aware(value)
    planned_on(timezone.localdate(value), field)
    return value


def shifted[D: dt.date](day: D, delta: dt.timedelta | relativedelta) -> D:
    """``day`` (a date or a moment) moved by ``delta``, held at the calendar's ends instead of
    overflowing: a date stored before the rule (9999-12-31) must not break a page or a feed."""
    try:
        return day + delta
    except (OverflowError, ValueError):
        late = day.year > dt.MAXYEAR // 2
        if isinstance(day, dt.datetime):
            end = dt.datetime.max if late else dt.datetime.min
            return cast(D, end.replace(tzinfo=day.tzinfo))
        return cast(D, dt.date.max if late else dt.date.min)


def local_day(moment: dt.datetime) -> dt.date:
    """The local day of a stored moment; the calendar's first or last day for one at its edge
    that has no local day in this time zone (0001-01-01T00:00Z west of Greenwich)."""
    try:
        return timezone.localdate(moment)
    except OverflowError:
        return dt.date.max if moment.year > dt.MAXYEAR // 2 else dt.date.min


def day_start(day: dt.date) -> dt.datetime:
    """The first moment of a local day: what falls on ``day`` or later is at or after it."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def local_moment(moment: dt.datetime) -> dt.datetime:
    """A stored moment in local time, held at the calendar's ends like ``local_day``."""
    try:
        return timezone.localtime(moment)
    except OverflowError:
        end = dt.datetime.max if moment.year > dt.MAXYEAR // 2 else dt.datetime.min
        return end.replace(tzinfo=timezone.get_current_timezone())
