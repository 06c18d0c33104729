"""Which partners carry a diagnosis, for the partner list's filter.

The diagnoses are the insights app's, above this one: it registers them here in its
``AppConfig.ready`` (as the agenda's sources do), and the list asks without importing it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from reciprocity.accounts.models import User


@dataclass(frozen=True)
class DiagnosisFilter:
    choices: list[tuple[str, str]]
    # The ids of the partners ``advisor`` may see that carry the diagnosis ``slug``.
    partner_ids: Callable[[User, str], set[int]]


_registered: list[DiagnosisFilter] = []


def register(diagnosis_filter: DiagnosisFilter) -> None:
    _registered[:] = [diagnosis_filter]


def diagnosis_choices() -> list[tuple[str, str]]:
    return _registered[0].choices if _registered else []


def diagnosed_partner_ids(advisor: User, slug: str) -> set[int]:
    return _registered[0].partner_ids(advisor, slug) if _registered else set()
