"""The weekly digest's content: the advisor's agenda and what the playbook suggests."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from reciprocity.accounts.models import Role, User
from reciprocity.partners.agenda import Agenda
from reciprocity.partners.models import CORE_STAGES, CanDescribeValue, Stage
from reciprocity.partners.selectors import dormancy_suggested, partners_visible_to
from reciprocity.playbook.models import Agreement, AgreementStatus, Strategy
from reciprocity.playbook.selectors.agenda import agenda_for
from reciprocity.playbook.selectors.strategies import with_strategy

# Research defaults (PRODUCT.md): a handful of core partners beats dozens.
FOCUS_LIMIT = 7

# A partner that has been active this long on the lowest rung is worth moving up the spectrum.
CLIENT_REQUESTED_PATIENCE_DAYS = 90


@dataclass(frozen=True)
class Suggestion:
    text: str
    partner_id: int | None = None
    partner_name: str = ""


@dataclass(frozen=True)
class Digest:
    advisor: User
    today: dt.date
    agenda: Agenda
    suggestions: list[Suggestion]

    @property
    def is_empty(self) -> bool:
        return not len(self.agenda) and not self.suggestions


def suggestions_for(*, advisor: User, today: dt.date | None = None) -> list[Suggestion]:
    """What the playbook suggests this week: go back to quiet partners, repeat the message,
    move up the referral spectrum, write the agreement, and focus on a handful of partners."""
    today = today or timezone.localdate()
    now = timezone.make_aware(dt.datetime.combine(today, dt.time(12)))
    partners = list(
        with_strategy(partners_visible_to(advisor=advisor).owned_by(advisor).not_retired())
        .select_related("firm")
        .annotate(
            has_agreement=Exists(
                Agreement.objects.filter(partner_id=OuterRef("pk"), status=AgreementStatus.ACTIVE)
            ),
        )
        .order_by("name", "pk")
    )
    suggestions = []
    core = [p for p in partners if p.stage in CORE_STAGES]
    if len(core) > FOCUS_LIMIT:
        suggestions.append(
            Suggestion(
                f"You have {len(core)} core partners. Five to seven, run well, do better than "
                "many: choose where to focus."
            )
        )
    for p in partners:
        if dormancy_suggested(p, now=now):
            days = (now - (p.last_touch_at or p.stage_changed_at)).days
            suggestions.append(
                Suggestion(
                    f"No touch with {p.name} for {days} days: get back in touch, or mark them "
                    "dormant.",
                    p.pk,
                    p.name,
                )
            )
        if p.stage in CORE_STAGES and p.can_describe_value == CanDescribeValue.NO:
            suggestions.append(
                Suggestion(
                    f"{p.name} cannot yet say whom you help and what is unique about you: "
                    "go over your message at the next meeting.",
                    p.pk,
                    p.name,
                )
            )
        if p.stage in (Stage.ACTIVE, Stage.CHAMPION) and not p.has_agreement:
            suggestions.append(
                Suggestion(
                    f"{p.name} is an active partner with no written agreement: write down "
                    "what each of you will do.",
                    p.pk,
                    p.name,
                )
            )
        if (
            p.stage in (Stage.ACTIVE, Stage.CHAMPION)
            and p.current_strategy == Strategy.CLIENT_REQUESTED  # type: ignore[attr-defined]
            and (now - p.stage_changed_at).days > CLIENT_REQUESTED_PATIENCE_DAYS
        ):
            suggestions.append(
                Suggestion(
                    f"With {p.name} you are waiting for clients to ask, which yields a few "
                    "referrals a year at best: try harvesting their clients' complaints.",
                    p.pk,
                    p.name,
                )
            )
    return suggestions


def digest_for(*, advisor: User, today: dt.date | None = None) -> Digest:
    today = today or timezone.localdate()
    return Digest(
        advisor=advisor,
        today=today,
        agenda=agenda_for(advisor, today=today),
        suggestions=suggestions_for(advisor=advisor, today=today),
    )


def digest_recipients() -> QuerySet[User]:
    """Active advisors and firm admins with an email address who have not opted out."""
    return (
        User.objects.filter(is_active=True, firm__isnull=False)
        .exclude(email="")
        .exclude(role=Role.COMPLIANCE)
        .exclude(playbook_profile__weekly_digest=False)
        .select_related("firm")
        .order_by("pk")
    )
