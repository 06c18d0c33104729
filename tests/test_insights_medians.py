"""The database's median of durations, on PostgreSQL (its continuous percentile) and SQLite
(the aggregate each connection is given)."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from reciprocity.insights.medians import Elapsed, Median
from reciprocity.partners.models import Stage, StageChange
from tests.conftest import Cast
from tests.factories import PartnerFactory, StageChangeFactory


def test_a_median_given_a_filter_takes_the_middle_of_the_rows_it_keeps(cast: Cast) -> None:
    now = timezone.now()
    partners = []
    stages = [Stage.IDENTIFIED, Stage.QUALIFIED, Stage.FIRST_MEETING]
    # Completed stays: identified for 1, 2 and 6 days, qualified for 10.
    for moves in ([30, 29, 19], [20, 18], [10, 4]):
        partner = PartnerFactory(owner=cast.alice)
        for stage, days in zip(stages, moves, strict=False):
            moment = now - dt.timedelta(days=days)
            StageChangeFactory(partner=partner, to_stage=stage, occurred_at=moment)
        partners.append(partner)

    stay = Elapsed("left_at", "occurred_at")
    found = StageChange.objects.filter(partner__in=partners, left_at__isnull=False).aggregate(
        identified=Median(stay, filter=Q(to_stage=Stage.IDENTIFIED)),
        qualified=Median(stay, filter=Q(to_stage=Stage.QUALIFIED)),
        every=Median(stay),
    )

    in_days = {name: round(value.total_seconds() / 86400, 6) for name, value in found.items()}
    assert in_days == {"identified": 2, "qualified": 10, "every": 4}
