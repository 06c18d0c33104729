"""The filter bars show each choice in full, on a laptop's screen and on a phone's: a select
narrower than its chosen option cuts it short ("Any profes…")."""

from typing import Any

import pytest

from reciprocity.partners import services
from reciprocity.partners.models import Profession, Stage
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

FILTER_PAGES = ["/partners/", "/referrals/"]

# How far each select of the filter bar falls short of its chosen option's text, with its
# padding (the arrow sits in the right one), in CSS pixels: 0 when the text shows in full.
SHORTFALL_JS = """
() => [...document.querySelectorAll("form.filters select")].map((select) => {
  const style = getComputedStyle(select);
  const context = document.createElement("canvas").getContext("2d");
  context.font = style.font;
  const text = select.options[select.selectedIndex]?.text ?? "";
  const needed = context.measureText(text).width
    + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  return [select.name, text, Math.max(0, Math.ceil(needed - select.clientWidth))];
})
"""


@pytest.mark.parametrize("width", [1280, 1024, 390])
def test_every_filter_shows_its_chosen_option_in_full(
    browser: Any, live_server: Any, width: int
) -> None:
    advisor = UserFactory(username="filters")
    services.partner_create(
        by=advisor, name="Walter Greystone", profession=Profession.BANKER, stage=Stage.ACTIVE
    )
    viewport = {"width": width, "height": 900}
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    log_in(page, advisor)

    for path in FILTER_PAGES:
        page.goto(path)
        shortfalls = page.evaluate(SHORTFALL_JS)

        assert shortfalls, path
        assert [row for row in shortfalls if row[2] > 0] == [], path
    context.close()
