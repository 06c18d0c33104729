"""The protocol steps of referrals in flight, on the advisor's agenda.

Each open, live referral with steps left puts its next one on the agenda (the lowest position
neither done nor skipped), due by ``models.STEP_DUE_AFTER_DAYS``. Its key is
``referral_step:<partner id>:<step id>``; completing it completes the step, which logs the
step's touch on the partner's timeline. Registered from ``ReferralsConfig.ready``.

The title names the step and the referral's need, never the client: a sent referral carries the
client's identity only once consent is recorded, and the agenda travels further than the
referral's page (the weekly digest email, the API, the CLI).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse

from reciprocity.accounts.models import User
from reciprocity.partners.models import CommitmentOwner, Partner
from reciprocity.playbook.agenda import (
    UNKNOWN_AGENDA_ITEM,
    AgendaItem,
    AgendaQuery,
    item_key,
    register_agenda_completer,
    register_agenda_source,
)
from reciprocity.referrals.models import ReferralStep
from reciprocity.referrals.selectors import next_steps_in_flight, referral_step_get_for
from reciprocity.referrals.services import referral_step_complete

SOURCE = "referral_step"


def referral_step_items(query: AgendaQuery) -> list[AgendaItem]:
    """The next step of every referral in flight with the partners in scope, due by ``until``."""
    items = []
    for found in next_steps_in_flight(partners=query.partners):
        if found.due > query.until:
            continue
        step, referral = found.step, found.step.referral
        items.append(
            AgendaItem(
                source=SOURCE,
                key=item_key(SOURCE, referral.partner_id, step.pk),
                partner_id=referral.partner_id,
                partner_name=referral.partner.name,
                title=f"{step.label}: {referral.need}",
                due=found.due,
                owner=CommitmentOwner.ADVISOR,
                detail=(
                    f"{referral.get_direction_display()} {referral.get_kind_display().lower()}"
                    f" · step {found.number} of {found.total}"
                ),
                object_id=step.pk,
                url=reverse("referral_detail", args=[referral.pk]),
            )
        )
    return items


def complete_referral_step(
    by: User, partner: Partner, reference: str, options: dict[str, Any]
) -> ReferralStep:
    """Complete the step the key names: done, with its touch (``occurred_at``, ``summary``)."""
    step = referral_step_get_for(advisor=by, pk=reference)
    if step.referral.partner_id != partner.pk:
        raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
    return referral_step_complete(
        step=step,
        by=by,
        occurred_at=options.get("occurred_at"),
        summary=options.get("summary", ""),
    )


def register() -> None:
    register_agenda_source(SOURCE, referral_step_items)
    register_agenda_completer(SOURCE, complete_referral_step)
