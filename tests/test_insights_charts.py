"""The dashboard's charts: drawn once for the same figures, again for new ones."""

import base64
import datetime as dt

from reciprocity.insights import charts
from reciprocity.insights.selectors import MonthFlow, StageCount
from reciprocity.partners.models import Stage


def stages(identified: int) -> list[StageCount]:
    return [
        StageCount(Stage.IDENTIFIED, "Identified", identified),
        StageCount("active", "Active", 2),
    ]


def test_the_same_figures_give_the_chart_drawn_before_and_new_figures_a_new_chart() -> None:
    first = charts.stage_chart(stages(3))
    drawn = charts._stage_chart.cache_info().misses
    assert charts.stage_chart(stages(3)) == first
    assert charts._stage_chart.cache_info().misses == drawn
    assert charts.stage_chart(stages(4)) != first


def test_a_referral_chart_is_an_image_without_a_script() -> None:
    months = [MonthFlow(dt.date(2026, m, 1), sent=m, received=1) for m in range(1, 13)]
    uri = charts.referral_chart(months)
    assert uri.startswith("data:image/svg+xml;base64,")
    assert b"<script" not in base64.b64decode(uri.split(",", 1)[1])
    assert charts.referral_chart(list(months)) == uri
