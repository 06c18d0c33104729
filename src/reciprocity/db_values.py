"""Values read back from subqueries and annotations, alike on both databases.

PostgreSQL hands back dates and aware datetimes; SQLite hands back the same values as text when a
subquery computed them, with times in UTC (how Django stores them there).
"""

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime


def as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is not None and timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, dt.UTC)
        return parsed
    return value
