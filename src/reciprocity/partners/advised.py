"""The next best action of each partner, for the board's cards and the partner's page.

What to do next is read from the agenda and the diagnoses, which live above this app: the
insights app registers the reading here in its ``AppConfig.ready`` (as it does the scores),
and the partner pages ask without importing it.
"""

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from reciprocity.accounts.models import User


@dataclass(frozen=True)
class NextAction:
    partner_id: int
    sentence: str
    # Where it comes from: an agenda source's slug, "diagnosis", "next_step" or "stage".
    source: str
    due: dt.date | None = None
    overdue: bool = False
    # It is the partner's next step: a card that shows the step need not say it twice.
    is_next_step: bool = False
    # The partner's diagnoses as they were read for the action (the diagnosed stages only, and
    # None where the agenda decided the action without them), for a page that shows them too
    # and need not read them again.
    diagnosed: Any = None
    # The partner's running cadences (``cadences_of``), read for the action: the same.
    cadences: Any = None


# The next best action of each of the partners ``advisor`` may see among the ids, by id.
Adviser = Callable[[User, Collection[int]], dict[int, NextAction]]
_registered: list[Adviser] = []


def register(adviser: Adviser) -> None:
    _registered[:] = [adviser]


def next_actions(advisor: User, partner_ids: Collection[int]) -> dict[int, NextAction]:
    return _registered[0](advisor, partner_ids) if _registered else {}
