"""The protocol steps of referrals in flight, on the advisor's agenda.

Each open, live referral with steps left puts its next one on the agenda (the lowest position
neither done nor skipped), due by ``models.STEP_DUE_AFTER_DAYS``. Its key is
``referral_step:<partner id>:<step id>``; completing it completes the step, which logs the
step's touch on the partner's timeline; setting it aside skips it. Registered from
``ReferralsConfig.ready``.

The title names the step and the referral's need, never the client: a sent referral carries the
client's identity only once consent is recorded, and the agenda travels further than the
referral's page (the weekly digest email, the API, the CLI).
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse

from reciprocity.accounts.models import User
from reciprocity.partners.agenda import (
    AGENDA_ITEM_DONE,
    UNKNOWN_AGENDA_ITEM,
    AgendaItem,
    AgendaQuery,
    AgendaSource,
    Completion,
    Controls,
)
from reciprocity.partners.models import CommitmentOwner, Partner
from reciprocity.records import Conflict, lock
from reciprocity.referrals.models import ReferralStep
from reciprocity.referrals.selectors import next_steps_in_flight, referral_step_get_for
from reciprocity.referrals.services.steps import referral_step_complete, referral_step_skip


class ReferralStepSource(AgendaSource[ReferralStep]):
    slug = "referral_step"
    label = "Referral"

    def items(self, query: AgendaQuery) -> list[AgendaItem]:
        """The next step of every referral in flight with the partners in scope."""
        items = []
        for found in next_steps_in_flight(partners=query.partners):
            if found.due > query.until:
                continue
            step, referral = found.step, found.step.referral
            items.append(
                self.item(
                    referral.partner_id,
                    step.partner_name,  # type: ignore[attr-defined]
                    (step.pk,),
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

    def _step(self, by: User, partner: Partner, reference: str) -> ReferralStep:
        step = referral_step_get_for(advisor=by, pk=reference)
        if step.referral.partner_id != partner.pk:
            raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
        return step

    def complete(
        self, *, by: User, partner: Partner, reference: str, options: dict[str, Any]
    ) -> ReferralStep:
        """Done, with its touch (``occurred_at``, ``summary``); refused once done or skipped,
        which the step's own page allows (its completion there changes nothing)."""
        step = lock(self._step(by, partner, reference))
        if step.done_at is not None or step.skipped_at is not None:
            raise Conflict({"key": AGENDA_ITEM_DONE})
        return referral_step_complete(
            step=step,
            by=by,
            occurred_at=options.get("occurred_at"),
            summary=options.get("summary", ""),
        )

    def set_aside(self, *, by: User, partner: Partner, reference: str) -> ReferralStep:
        """Skipped: it stays on the referral's checklist, marked skipped, and logs no touch."""
        return referral_step_skip(step=self._step(by, partner, reference), by=by)

    def describe(self, result: ReferralStep) -> str:
        if result.touch is None:
            return "Done."
        touch = result.touch
        return f"Done: {result.label}. Logged: {touch.get_kind_display()} with {touch.partner.name}"

    def describe_set_aside(self, result: ReferralStep) -> str:
        return f"Skipped: {result}"

    def completion(self, result: ReferralStep) -> Completion:
        return Completion(detail=str(result), touch_id=result.touch_id)

    def controls(self, item: AgendaItem, today: dt.date) -> Controls:
        # The step logs the touch of its own kind; the referral's page has the whole protocol.
        return Controls(
            set_aside_label="Skip",
            link=item.url or self.partner_url(item),
            link_label="Referral",
        )
