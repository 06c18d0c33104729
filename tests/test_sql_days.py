"""The days computed by the database land where ``dates`` and the cadences put them in Python:
local days in zones far from UTC, days and months added across month ends, at the calendar's
ends."""

import datetime as dt
from typing import Any

import pytest
from django.db.models import DateField, F, Value

from reciprocity.dates import local_day
from reciprocity.partners.models import Partner
from reciprocity.playbook.selectors.cadences import add_months
from reciprocity.sql_days import AddDays, AddMonths, LocalDay
from tests.conftest import Cast
from tests.factories import PartnerFactory

MONTH_ENDS = [
    dt.date(2024, 1, 31),
    dt.date(2024, 2, 29),
    dt.date(2025, 1, 31),
    dt.date(2025, 3, 31),
    dt.date(2025, 8, 31),
    dt.date(2025, 12, 31),
    dt.date(9999, 11, 15),
    dt.date(9999, 12, 31),
    dt.date(1, 1, 1),
]


def computed(partner: Partner, expression: Any) -> Any:
    """What the database makes of ``expression`` (over the partner's row)."""
    return (
        Partner.objects.filter(pk=partner.pk)
        .annotate(value=expression)
        .values_list("value", flat=True)
        .get()
    )


@pytest.mark.parametrize("months", [1, 2, 3, 11, 12, 13, 36])
def test_months_added_by_the_database_land_where_add_months_does(
    playbook_cast: Cast, months: int
) -> None:
    partner = PartnerFactory(owner=playbook_cast.alice)
    for day in MONTH_ENDS:
        found = computed(partner, AddMonths(Value(day, output_field=DateField()), Value(months)))
        assert found == add_months(day, months), (day, months)


# Moments at the calendar's ends, near midnight at a month's end, and in the middle of a day.
MOMENTS = [
    dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.UTC),
    dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC),
    dt.datetime(2024, 2, 29, 23, 30, tzinfo=dt.UTC),
    dt.datetime(2025, 12, 31, 0, 30, tzinfo=dt.UTC),
    dt.datetime(2025, 6, 15, 12, 0, tzinfo=dt.UTC),
]


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Pacific/Kiritimati"])
def test_the_local_day_read_by_the_database_is_the_one_local_day_gives(
    playbook_cast: Cast, settings: Any, zone: str
) -> None:
    settings.TIME_ZONE = zone
    partner = PartnerFactory(owner=playbook_cast.alice)
    for moment in MOMENTS:
        Partner.objects.filter(pk=partner.pk).update(stage_changed_at=moment)
        found = computed(partner, LocalDay(F("stage_changed_at")))
        assert found == local_day(moment), (zone, moment)


@pytest.mark.parametrize("days", [0, 1, 2, 14, 30, 366])
def test_days_added_by_the_database_land_where_python_puts_them(
    playbook_cast: Cast, days: int
) -> None:
    partner = PartnerFactory(owner=playbook_cast.alice)
    for day in MONTH_ENDS:
        found = computed(partner, AddDays(Value(day, output_field=DateField()), Value(days)))
        try:
            expected = day + dt.timedelta(days=days)
        except OverflowError:
            expected = dt.date.max
        assert found == expected, (day, days)
