"""Web pages of the partner pipeline. Forms parse, services write, selectors read.

Every write answers a plain POST with a redirect, so it works without JavaScript. An htmx request
names the page region it came from (the HX-Target header); the answer is that region re-rendered
in place, with the flash messages swapped in out of band.
"""

from reciprocity.partners.views.board import pipeline
from reciprocity.partners.views.detail import (
    commitment_close,
    commitment_create,
    partner_archive,
    partner_detail,
    partner_edit,
    partner_merge_view,
    partner_restore,
    partner_stage,
    touch_create,
)
from reciprocity.partners.views.listing import partner_bulk, partner_create, partner_list

__all__ = [
    "commitment_close",
    "commitment_create",
    "partner_archive",
    "partner_bulk",
    "partner_create",
    "partner_detail",
    "partner_edit",
    "partner_list",
    "partner_merge_view",
    "partner_restore",
    "partner_stage",
    "pipeline",
    "touch_create",
]
