"""The dashboard's charts: SVG drawn on the server with pygal, shown as images.

The CSP allows no inline style and no inline script, and pygal's SVG carries both (a <style>
element, style attributes and a config <script>). An SVG loaded as an image is a document of its
own, with no scripts run and nothing fetched, so the page shows it as an ``<img>`` with a
``data:`` address (``img-src`` allows ``data:``). The config script is removed anyway: nothing
would run it. Every chart has a text alternative in the page (its alt text and a table).
"""

import base64
import re
from collections.abc import Sequence
from functools import lru_cache

import pygal
from pygal.style import Style

from reciprocity.insights.selectors import MonthFlow, StageCount

# The stylesheet's colours (static/css/app.css): text, muted text, borders, and the stage hues.
TEXT = "#172033"
MUTED = "#525d6d"
GRID = "#d5dbe3"
SENT = "#2b4acb"
RECEIVED = "#1b6a3a"
STAGE_COLORS = {
    "identified": "#64748b",
    "qualified": "#0e7490",
    "first_meeting": "#2563eb",
    "due_diligence": "#7c3aed",
    "proposed": "#c2410c",
    "active": "#15803d",
    "champion": "#b7791f",
    "dormant": "#6b7280",
    "retired": "#9f1239",
}
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground=TEXT,
    foreground_strong=TEXT,
    foreground_subtle=GRID,
    opacity="1",
    opacity_hover="1",
    colors=(SENT, RECEIVED),
    font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    value_font_family=FONT,
    legend_font_family=FONT,
    title_font_family=FONT,
    no_data_font_family=FONT,
    label_font_size=15,
    major_label_font_size=15,
    value_font_size=15,
    legend_font_size=15,
    no_data_font_size=16,
    # Values are printed above the bars, in the text colour.
    value_colors=(TEXT, TEXT),
)
WIDTH, HEIGHT = 600, 300
# pygal takes about 10 ms to draw a chart, and the same figures draw the same chart: a process
# keeps the charts it drew last (each a few kilobytes) and draws again only for new figures.
CHARTS_KEPT = 256
SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL)


def _options(**extra: object) -> dict[str, object]:
    return {
        "style": STYLE,
        "width": WIDTH,
        "height": HEIGHT,
        "explicit_size": True,
        "disable_xml_declaration": True,
        "js": [],
        "show_y_guides": True,
        "show_x_guides": False,
        "print_values": True,
        "print_zeroes": False,
        "print_values_position": "top",
        "min_scale": 2,
        "max_scale": 6,
        "margin": 12,
        "spacing": 14,
        "no_data_text": "Nothing yet",
        "value_formatter": lambda value: f"{value:g}" if value is not None else "",
        **extra,
    }


def data_uri(svg: str) -> str:
    """The SVG as an image address, without the script pygal adds (an image runs none)."""
    clean = SCRIPT.sub("", svg)
    return "data:image/svg+xml;base64," + base64.b64encode(clean.encode()).decode("ascii")


def stage_chart(stages: Sequence[StageCount]) -> str:
    """Partners per stage, as horizontal bars in the stages' colours (the stage names are too
    long to stand side by side under vertical bars)."""
    return _stage_chart(tuple(stages))


@lru_cache(maxsize=CHARTS_KEPT)
def _stage_chart(stages: tuple[StageCount, ...]) -> str:
    chart = pygal.HorizontalBar(
        **_options(show_legend=False, truncate_label=-1, show_y_guides=False, show_x_guides=True)
    )
    # pygal draws the first bar at the bottom; the pipeline reads from the top.
    top_down = list(reversed(stages))
    chart.x_labels = [stage.short_label for stage in top_down]
    chart.add(
        "Partners",
        [
            {"value": stage.count, "color": STAGE_COLORS.get(stage.stage, MUTED)}
            for stage in top_down
        ],
    )
    return data_uri(chart.render(is_unicode=True))


def referral_chart(months: Sequence[MonthFlow]) -> str:
    """Referrals sent and received per month, side by side."""
    return _referral_chart(tuple(months))


@lru_cache(maxsize=CHARTS_KEPT)
def _referral_chart(months: tuple[MonthFlow, ...]) -> str:
    chart = pygal.Bar(
        **_options(
            show_legend=True,
            legend_at_bottom=True,
            legend_at_bottom_columns=2,
            x_label_rotation=0,
            truncate_label=-1,
        )
    )
    chart.x_labels = [f"{month.month:%b}" for month in months]
    chart.add("Sent", [month.sent for month in months])
    chart.add("Received", [month.received for month in months])
    return data_uri(chart.render(is_unicode=True))
