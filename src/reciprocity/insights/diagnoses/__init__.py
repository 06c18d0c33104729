"""Named diagnoses of a stalled alliance, each with its evidence and the playbook's answer.

An advisor who keeps talking to a partner and gets nothing back needs to know why, and what to
do about it (seeds 000 and 004, PRODUCT.md "Diagnosing a stalled alliance"). Each diagnosis has
a stable slug (the API and the CLI report it; add new ones, never rename) and is one class in
``kinds`` (``engine`` has the one about the advisor's book):

- ``no_referral_yet``: many touches since the first meeting and the patience window passed,
  and no referral ever received, with no cause on record. Answer: change the strategy.
- ``one_way``: several referrals sent in the last 12 months and none received. Answer: make
  the ask (or review the agreement in place); walk away once nothing has come back for the
  walk-away window.
- ``wrong_message``: the partner cannot say whom the advisor helps and what is unique.
  Answer: change the message.
- ``wrong_firm``: the partner's firm is not in growth mode and nothing came from it in 12
  months. Answer: walk away.
- ``wrong_professional``: a low propensity to refer and nothing received. Answer: walk away.
- ``too_many_partners`` (about the advisor): more than the focus limit of the advisor's own
  partners in the core stages. Answer: focus.

Only partners in the stages from the first meeting to champion are diagnosed: identified and
qualified ones were never met, dormant and retired ones are no longer worked. Only referrals of
kind ``referral`` count; connections show goodwill, not referrals flowing.

``base`` has the slugs, the thresholds and the finding; ``readings`` what is read of each
partner in one query, and the SQL prefilter; ``engine`` the scope, the order and the book;
``paged`` the same list with the wording done for the rows a page shows only (the dashboard,
the API's list and the partner list's filter read it).
"""

from reciprocity.insights.diagnoses.base import (
    ACTION_LABELS,
    ACTION_SLUGS,
    DIAGNOSED_STAGES,
    DIAGNOSIS_SLUGS,
    FOCUS_LIMIT,
    GONE_COLD_FACTOR,
    MANY_TOUCHES,
    ONE_WAY_MIN_SENT,
    PATIENCE_MONTHS,
    SEVERITIES,
    WALK_AWAY_MONTHS,
    WINDOW_MONTHS,
    ActionSlug,
    Assessment,
    Diagnosis,
    DiagnosisSlug,
    Severity,
    Thresholds,
    TooEarly,
    action_url,
    day,
    judged_until,
    months_between,
    thresholds_of,
)
from reciprocity.insights.diagnoses.engine import (
    KINDS,
    TITLES,
    assess,
    assessment_of,
    diagnoses_for,
    diagnoses_of_firm,
)
from reciprocity.insights.diagnoses.paged import (
    Paged,
    PagedAssessment,
    assess_paged,
    diagnosed_partner_ids,
)
from reciprocity.insights.diagnoses.readings import may_be_named, with_readings

__all__ = [
    "ACTION_LABELS",
    "ACTION_SLUGS",
    "DIAGNOSED_STAGES",
    "DIAGNOSIS_SLUGS",
    "FOCUS_LIMIT",
    "GONE_COLD_FACTOR",
    "KINDS",
    "MANY_TOUCHES",
    "ONE_WAY_MIN_SENT",
    "PATIENCE_MONTHS",
    "SEVERITIES",
    "TITLES",
    "WALK_AWAY_MONTHS",
    "WINDOW_MONTHS",
    "ActionSlug",
    "Assessment",
    "Diagnosis",
    "DiagnosisSlug",
    "Paged",
    "PagedAssessment",
    "Severity",
    "Thresholds",
    "TooEarly",
    "action_url",
    "assess",
    "assess_paged",
    "assessment_of",
    "day",
    "diagnosed_partner_ids",
    "diagnoses_for",
    "diagnoses_of_firm",
    "judged_until",
    "may_be_named",
    "months_between",
    "thresholds_of",
    "with_readings",
]
