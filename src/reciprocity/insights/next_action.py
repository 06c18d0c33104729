"""The next best action: one sentence per partner saying what to do next, on the board's cards
and the partner's page.

It is read from what the rest of the product already says, most pressing first, so that it
never contradicts the agenda or the diagnosis:

1. the agenda's most urgent item for the partner, when it is overdue or due today (the
   agenda's own words: a promise, a keep-warm touch, a meeting, a referral step);
2. the most severe diagnosis, with the playbook's answer;
3. the agenda's next item due this week;
4. the partner's next step further ahead (the earliest open commitment), unless a keep-warm
   touch comes before it;
5. for a partner too early to judge, the reassurance and what to keep doing; for any other,
   what the stage asks for, with the next keep-warm touch where a cadence runs.

A retired partner has nothing to do, whatever is left open. The agenda's snoozed items are left
out, as the agenda leaves them out.

Reads cost a constant number of queries whatever the number of partners: the agenda's for the
partners, one for the partners with their next steps, one for the diagnoses of those the agenda
does not decide (none when it decides for all), two for their cadences (which the agenda's
keep-warm items are read from too, and the partner page's playbook panel shows).
"""

import datetime as dt
from collections.abc import Collection
from dataclasses import replace

from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.insights.diagnoses import Diagnosis, TooEarly
from reciprocity.insights.diagnoses.base import SEVERITY_ORDER
from reciprocity.insights.diagnoses.engine import diagnoses_of_partners
from reciprocity.partners.advised import NextAction
from reciprocity.partners.agenda import AgendaItem, item_key
from reciprocity.partners.models import CommitmentOwner, Partner, Stage
from reciprocity.partners.selectors import (
    NextStep,
    next_step_of,
    partners_visible_to,
    with_next_step,
)
from reciprocity.playbook.agenda.cadences import CadenceSource
from reciprocity.playbook.agenda.commitments import CommitmentSource
from reciprocity.playbook.selectors.agenda import first_items_of_partners
from reciprocity.playbook.selectors.cadences import (
    CADENCE_TITLES,
    EffectiveCadence,
    cadences_of_partners,
    dated_cadences,
)

# Where an action comes from, besides an agenda source (whose slug it then carries).
DIAGNOSIS = "diagnosis"
NEXT_STEP = "next_step"
STAGE = "stage"

# What each stage asks for when nothing more pressing is due; {name} is the partner's.
STAGE_ACTIONS: dict[str, str] = {
    Stage.IDENTIFIED: (
        "Qualify {name}: do they refer, can they say what you do, is their firm growing?"
    ),
    Stage.QUALIFIED: "Book a first meeting with {name}, with the meeting plan's questions ready.",
    Stage.FIRST_MEETING: (
        "Agree a next step with {name}: a second conversation, or a first referral to send."
    ),
    Stage.DUE_DILIGENCE: "Learn how {name} works with clients, then propose the partnership.",
    Stage.PROPOSED: "Settle the partnership with {name}: write down what each of you will do.",
    Stage.ACTIVE: "Keep {name} warm and send the next good referral their way.",
    Stage.CHAMPION: "Keep {name} warm like a best client, and thank them for every referral.",
    Stage.DORMANT: "Decide about {name}: one concrete touch to reconnect, or retire the alliance.",
    Stage.RETIRED: "Nothing to do: the alliance with {name} is retired.",
}
TOO_EARLY_ACTION = (
    "Give it time: keep to the cadence with {name}; judge the alliance from {judge_from}."
)


def _when(due: dt.date, today: dt.date) -> str:
    if due < today:
        return f"Overdue since {due:%b %-d}"
    if due == today:
        return "Today"
    return f"By {due:%a %b %-d}"


def _sentence(text: str) -> str:
    """Capitalized, and ended with a full stop unless it already ends a sentence."""
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _from_item(item: AgendaItem, today: dt.date, step: NextStep | None) -> NextAction:
    title = item.title
    if item.owner == CommitmentOwner.PARTNER:
        title = f"follow up with {item.partner_name}, who promised: {title}"
    return NextAction(
        partner_id=item.partner_id,
        sentence=_sentence(f"{_when(item.due, today)}: {title[:1].upper()}{title[1:]}"),
        source=item.source,
        due=item.due,
        overdue=item.due < today,
        is_next_step=_is_step(item, step),
    )


def _is_step(item: AgendaItem, step: NextStep | None) -> bool:
    return step is not None and item.key == item_key(
        CommitmentSource.slug, item.partner_id, step.commitment_id
    )


def _next_cadences(cadences: list[EffectiveCadence]) -> dict[int, EffectiveCadence]:
    """Each partner's next keep-warm touch, however far ahead."""
    found: dict[int, EffectiveCadence] = {}
    for cadence in cadences:
        assert cadence.due is not None
        first = found.get(cadence.partner_id)
        if first is None or (cadence.due, cadence.kind) < (first.due or cadence.due, first.kind):
            found[cadence.partner_id] = cadence
    return found


def _next_action(
    partner: Partner,
    *,
    item: AgendaItem | None,
    diagnosed: tuple[list[Diagnosis], TooEarly | None] | None,
    step: NextStep | None,
    cadence: EffectiveCadence | None,
    today: dt.date,
) -> NextAction:
    if partner.stage == Stage.RETIRED:
        # A retired partner's leftover items are not work waiting to be done.
        return NextAction(partner.pk, STAGE_ACTIONS[Stage.RETIRED].format(name=partner.name), STAGE)
    if item is not None and item.due <= today:
        return _from_item(item, today, step)
    diagnoses, early = diagnosed or ([], None)
    if diagnoses:
        worst = min(diagnoses, key=lambda d: SEVERITY_ORDER[d.severity])
        return NextAction(
            partner.pk,
            f"{worst.action_label} ({worst.title[:1].lower()}{worst.title[1:]}).",
            DIAGNOSIS,
        )
    if item is not None:
        return _from_item(item, today, step)
    # Whichever comes first: the next step, or the next keep-warm touch.
    if step is not None and (cadence is None or cadence.due is None or step.due <= cadence.due):
        whose = "their move" if step.owner == CommitmentOwner.PARTNER else "yours"
        return NextAction(
            partner.pk,
            _sentence(f"Next step by {step.due:%b %-d, %Y} ({whose}): {step.what}"),
            NEXT_STEP,
            due=step.due,
            is_next_step=True,
        )
    if early is not None:
        judge_from = f"{early.judge_from:%b %-d, %Y}"
        return NextAction(
            partner.pk, TOO_EARLY_ACTION.format(name=partner.name, judge_from=judge_from), STAGE
        )
    sentence = STAGE_ACTIONS[partner.stage].format(name=partner.name)
    if cadence is not None and cadence.due is not None:
        touch = CADENCE_TITLES[cadence.kind].format(name=partner.name)
        touch = f"{touch[:1].lower()}{touch[1:]}"
        sentence = _sentence(f"{sentence} Next: {touch}, by {cadence.due:%b %-d}")
    return NextAction(partner.pk, sentence, STAGE, due=cadence.due if cadence else None)


def next_actions_for(
    advisor: User, partner_ids: Collection[int], *, today: dt.date | None = None
) -> dict[int, NextAction]:
    """The next best action of each of these partners ``advisor`` may see, by partner id."""
    today = today or timezone.localdate()
    visible = partners_visible_to(advisor=advisor).filter(pk__in=partner_ids)
    # Each partner's next step comes with it, read as the rest of the product reads it.
    partners = {p.pk: p for p in with_next_step(visible.only("pk", "name", "stage"))}
    # Every running cadence, read once: the agenda's keep-warm items are among the dated ones.
    running = cadences_of_partners(advisor=advisor, partners=visible)
    dated = dated_cadences(running)
    first = first_items_of_partners(
        advisor, partner_ids=list(partners), today=today, known={CadenceSource.slug: dated}
    )
    # Diagnosed only where the agenda does not decide already (nothing due by today), and in
    # SQL, the diagnosed stages among them: at most one query, whatever their number.
    undecided = [
        pk
        for pk, partner in partners.items()
        if partner.stage != Stage.RETIRED and (pk not in first or first[pk].due > today)
    ]
    diagnosed = (
        diagnoses_of_partners(advisor=advisor, partner_ids=undecided, today=today)
        if undecided
        else {}
    )
    cadences = _next_cadences(dated)
    actions: dict[int, NextAction] = {}
    for pk, partner in partners.items():
        found = diagnosed.get(pk)
        action = _next_action(
            partner,
            item=first.get(pk),
            diagnosed=found,
            step=next_step_of(partner),
            cadence=cadences.get(pk),
            today=today,
        )
        # The page that shows the action shows these diagnoses (when they were read) and
        # cadences too, without reading them again.
        actions[pk] = replace(action, diagnosed=found, cadences=running.get(pk, []))
    return actions
