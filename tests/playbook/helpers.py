"""Helpers the playbook's tests share: answers read, pages read, days counted, records looked at."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.html import escape

from reciprocity.partners.agenda import AgendaQuery, AgendaSource, Window
from reciprocity.playbook.models import (
    CadenceDefault,
    DiagnosticQuestion,
    MeetingKind,
    MeetingPlan,
    MeetingPlanItem,
    Opportunity,
    Solution,
)
from reciprocity.referrals.models import Direction, Referral
from tests.conftest import Cast
from tests.factories import ReferralFactory


def assert_windows_read_in_full(
    source: AgendaSource[Any], query: Callable[[int | None, frozenset[str]], AgendaQuery]
) -> Window:
    """Each window the source counts and cuts in SQL, at every limit, with nothing snoozed and
    with two items snoozed, is the one read in full (``query(limit, snoozed)``); the whole one
    is returned."""
    everything = AgendaSource.window(source, query(None, frozenset()))
    some = frozenset({everything.items[1].key, everything.items[3].key})
    for snoozed in (frozenset(), some):
        for limit in (0, 1, 2, 5, 8):
            asked = query(limit, snoozed)
            assert source.window(asked) == AgendaSource.window(source, asked), (limit, snoozed)
    return everything


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.json()
    return response.json()


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def page_of(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def has(page: str, message: str) -> bool:
    """The page shows ``message`` (as the template escapes it)."""
    return escape(message) in page


def settings_of(firm_id: int) -> tuple[Any, ...]:
    """Everything an edit of a firm's playbook could change."""
    return (
        list(
            MeetingPlan.objects.filter(firm_id=firm_id).values_list(
                "pk", "name", "purpose", "duration_minutes"
            )
        ),
        list(
            MeetingPlanItem.objects.filter(plan__firm_id=firm_id).values_list(
                "pk", "prompt", "guidance", "profile_field", "position"
            )
        ),
        list(
            CadenceDefault.objects.filter(firm_id=firm_id).values_list(
                "stage", "kind", "interval_months"
            )
        ),
        list(
            DiagnosticQuestion.objects.filter(firm_id=firm_id).values_list(
                "pk", "topic", "text", "archived_at"
            )
        ),
        list(
            Solution.objects.filter(firm_id=firm_id).values_list(
                "pk", "title", "topic", "problem", "approach", "keywords", "archived_at"
            )
        ),
    )


def first_meeting_plan(cast: Cast) -> MeetingPlan:
    return MeetingPlan.objects.get(firm=cast.firm, kind=MeetingKind.FIRST)


def received(partner: Any, **kwargs: Any) -> Referral:
    """A referral of a prospect the partner sent the advisor."""
    return ReferralFactory(partner=partner, direction=Direction.RECEIVED, **kwargs)


def state(opportunity: Opportunity) -> tuple[str, int | None, dt.datetime | None]:
    opportunity.refresh_from_db()
    return opportunity.status, opportunity.referral_id, opportunity.closed_at
