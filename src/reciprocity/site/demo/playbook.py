"""The playbook of the demo book: the advisors' messages, written agreements with the active
partners and champions, referral strategies, client concerns matched into opportunities, a
client case, and meetings on the calendar. Written through the playbook services after the
partners' histories, so every record carries history like an advisor's own.

Deterministic: partners are taken in a fixed order (by name) and choices come from a seeded
random generator; dates are relative to the moment it runs.
"""

import datetime as dt
import random
from dataclasses import dataclass

from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.partners.models import CommitmentOwner, Partner, Profession, Stage
from reciprocity.playbook.models import (
    ConcernSource,
    MeetingKind,
    PartnerStrategy,
    Solution,
    Strategy,
    Topic,
)
from reciprocity.playbook.selectors.library import solutions_matching
from reciprocity.playbook.services.agreements import PromiseInput, agreement_create
from reciprocity.playbook.services.library import (
    case_create,
    case_mark_ready,
    case_update,
    concern_log,
    concern_match,
)
from reciprocity.playbook.services.meetings import meeting_schedule
from reciprocity.playbook.services.message import advisor_message_set
from reciprocity.playbook.services.strategies import (
    opportunity_create,
    opportunity_link_referral,
    opportunity_request_meeting,
    strategy_set,
)
from reciprocity.referrals.models import Direction, Kind, Referral, ReferralStatus

MESSAGES = {
    "demo": (
        "Business owners and professionals in their fifties who are planning the sale of their "
        "firm, and the years after it.",
        "We plan the sale, the taxes and the retirement income as one project, with your CPA "
        "and attorney at the table.",
    ),
    "morgan": (
        "Physicians and dentists who want to retire on their own schedule.",
        "One plan for the practice, the family and retirement, reviewed with you every year.",
    ),
}

# What each side promises in the agreement, by the partner's profession.
ADVISOR_PROMISES = [
    "Send the quarterly market letter and the estate-planning checklist",
    "Invite {first} to the spring client seminar as a guest speaker",
    "Introduce {first} to clients who need {topic} help, with a call and an email first",
]
PARTNER_PROMISES: dict[str, list[str]] = {
    Profession.CPA: [
        "Mention us to clients facing a business sale or a large tax bill",
        "Bring us into year-end planning meetings for shared clients",
    ],
    Profession.ATTORNEY: [
        "Tell clients updating their estate plan that we can review titles and beneficiaries",
        "Hold a joint review for clients whose trusts need funding",
    ],
}
DEFAULT_PARTNER_PROMISES = [
    "Introduce us to clients who ask about retirement or investments",
    "Share our guide with clients going through a life change",
]
TOPIC_WORDS: dict[str, str] = {
    Profession.CPA: "retirement-income",
    Profession.ATTORNEY: "estate",
    Profession.INSURANCE_AGENT: "retirement",
    Profession.BANKER: "investment",
    Profession.BUSINESS_BROKER: "succession",
    Profession.REALTOR: "relocation",
}

# Concerns a partner's clients voiced (matched with the library by its keywords).
COMPLAINTS = [
    ("A client lies awake over market swings and wants to sell everything.", Topic.RETIREMENT),
    ("A client's will still names her ex-husband as beneficiary.", Topic.ESTATE),
    ("A client was surprised by a large tax bill from fund distributions.", Topic.TAX),
    ("A client wants to sell the business but has no successor in sight.", Topic.BUSINESS_OWNER),
]
PROBLEMS = [
    ("Several clients hold most of their wealth in their employer's stock.", Topic.TAX),
    ("Clients in their sixties with no plan for long-term care.", Topic.INSURANCE),
]

# In the order the questions are drawn: business owner and retirement in turn.
CASE_ANSWERS = [
    "Civil engineering, owned for 22 years, 40 people",
    "At 61, three years from now, and the date is firm",
    "Owns 70%; a silent partner owns the rest",
    "About $180,000 a year",
    "No one in the family; two key employees might buy",
    "A small 401(k): the business was the retirement plan",
    "No buy-sell agreement",
    "Not decided",
    "Never valued; guesses at four million",
]
CASE_B_ANSWERS = [
    "A will from 2009, written before the second marriage",
    "The top bracket; it should drop once the practice income stops",
    "A revocable trust, but the brokerage account was never retitled to it",
    "Yes: two actively managed funds pay out large gains every December",
]
CASE_SOLUTION = (
    "Get the business valued, draft a buy-sell agreement funded with insurance, and a "
    "retirement income plan from the sale proceeds, with the CPA on the tax of the sale."
)


@dataclass
class PlaybookSummary:
    agreements: int = 0
    strategies: int = 0
    concerns: int = 0
    opportunities: int = 0
    referrals_linked: int = 0
    cases: int = 0
    meetings: int = 0


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def load_playbook_demo(*, advisors: dict[str, User], seed: int) -> PlaybookSummary:
    rng = random.Random(seed)
    today = timezone.localdate()
    summary = PlaybookSummary()
    for username, (whom, unique) in MESSAGES.items():
        advisor_message_set(by=advisors[username], whom_i_help=whom, what_is_unique=unique)
    for username, advisor in advisors.items():
        partners = list(
            Partner.objects.filter(owner=advisor, archived_at__isnull=True).order_by("name", "pk")
        )
        _agreements(advisor, partners, rng, today, summary, every=username != "demo")
        if username == "demo":
            _strategies_and_tools(advisor, partners, rng, today, summary)
            _meetings(advisor, partners, today, summary)
    return summary


def _agreements(
    advisor: User,
    partners: list[Partner],
    rng: random.Random,
    today: dt.date,
    summary: PlaybookSummary,
    *,
    every: bool,
) -> None:
    """Champions and most active partners have the partnership in writing; a couple of active
    ones do not yet, which the weekly digest points out."""
    active = [p for p in partners if p.stage == Stage.ACTIVE]
    unwritten = set() if every else {p.pk for p in active[:2]}
    for partner in partners:
        if partner.stage not in (Stage.ACTIVE, Stage.CHAMPION) or partner.pk in unwritten:
            continue
        first = partner.name.split()[0]
        agreed_on = min(timezone.localdate(partner.stage_changed_at), today)
        next_review = agreed_on + dt.timedelta(days=365)
        if next_review < today + dt.timedelta(days=14):
            next_review = today + dt.timedelta(days=rng.randint(20, 90))
        words = {"first": first, "topic": TOPIC_WORDS.get(partner.profession, "financial")}
        ours = rng.sample(ADVISOR_PROMISES, k=2)
        theirs = PARTNER_PROMISES.get(partner.profession, DEFAULT_PARTNER_PROMISES)
        agreement_create(
            partner=partner,
            by=advisor,
            promises=[
                *(PromiseInput(CommitmentOwner.ADVISOR, p.format(**words)) for p in ours),
                *(PromiseInput(CommitmentOwner.PARTNER, p) for p in theirs),
            ],
            referral_process=partner.preferred_referral_process or "email_thread",
            keep_in_touch="",
            agreed_on=agreed_on,
            next_review=next_review,
        )
        summary.agreements += 1


def _strategies_and_tools(
    advisor: User,
    partners: list[Partner],
    rng: random.Random,
    today: dt.date,
    summary: PlaybookSummary,
) -> None:
    champions = [p for p in partners if p.stage == Stage.CHAMPION]
    active = [p for p in partners if p.stage == Stage.ACTIVE]
    library = {s.title: s for s in Solution.objects.filter(firm=advisor.firm)}
    now = timezone.now()

    def switch(partner: Partner, strategy: str, days_ago: int, note: str) -> None:
        strategy_set(
            partner=partner,
            by=advisor,
            strategy=strategy,
            note=note,
            occurred_at=now - dt.timedelta(days=days_ago),
        )
        summary.strategies += 1

    # Champions climbed the spectrum: complaints first, then talking about real clients.
    for partner in champions[:2]:
        switch(partner, Strategy.CLIENT_COMPLAINTS, 120, "Waiting for clients to ask was slow.")
        switch(partner, Strategy.TALK_CLIENTS, 45, "They trust us now; ask about top clients.")
    if len(champions) > 2:
        switch(champions[2], Strategy.JOINT_CLIENT_WORK, 30, "A seminar together in the spring.")
    harvesting = active[2:5]
    for partner in harvesting:
        switch(partner, Strategy.CLIENT_COMPLAINTS, rng.randint(40, 80), "")
    if len(active) > 5:
        switch(active[5], Strategy.IDENTIFIED_PROBLEMS, 35, "They see portfolios every day.")
        description, topic = PROBLEMS[0]
        concern_log(
            partner=active[5],
            by=advisor,
            source=ConcernSource.IDENTIFIED_PROBLEM,
            description=description,
            topic=topic,
            heard_on=today - dt.timedelta(days=9),
        )
        summary.concerns += 1

    # Complaints heard from each harvested partner; most are matched with what we solve.
    for index, partner in enumerate(harvesting):
        description, topic = COMPLAINTS[index % len(COMPLAINTS)]
        concern = concern_log(
            partner=partner,
            by=advisor,
            source=ConcernSource.CLIENT_COMPLAINT,
            description=description,
            topic=topic,
            heard_on=today - dt.timedelta(days=3 + 4 * index),
        )
        summary.concerns += 1
        if index == len(harvesting) - 1:
            continue  # left open, to be matched on the page
        matches = solutions_matching(concern=concern)
        solution = matches[0].solution if matches else next(iter(library.values()))
        opportunity = concern_match(concern=concern, solution=solution, by=advisor)
        summary.opportunities += 1
        if index == 0:
            opportunity_request_meeting(
                opportunity=opportunity,
                by=advisor,
                note=f"Asked {partner.name.split()[0]} to set up a meeting with the client.",
                occurred_at=now - dt.timedelta(days=1),
            )

    # Talk clients, not concepts: a case ready with its solution, and one in progress.
    if champions:
        partner = champions[0]
        case = case_create(
            partner=partner,
            by=advisor,
            alias="Client A",
            description="Owner of a 40-person engineering firm, 58, thinking of selling.",
            topics=[Topic.BUSINESS_OWNER, Topic.RETIREMENT],
            question_count=10,
        )
        questions = list(case.questions.all())
        case_update(
            case=case,
            by=advisor,
            solution=CASE_SOLUTION,
            answers={q.pk: answer for q, answer in zip(questions, CASE_ANSWERS, strict=False)},
        )
        case_mark_ready(case=case, by=advisor, ask_by=today + dt.timedelta(days=2))
        summary.cases += 1
        summary.opportunities += 1
    if len(champions) > 1:
        case = case_create(
            partner=champions[1],
            by=advisor,
            alias="Client B",
            description="Retired surgeon, 66, large IRA, worried about what the heirs will do.",
            topics=[Topic.ESTATE, Topic.TAX],
            question_count=9,
        )
        questions = list(case.questions.all())
        case_update(
            case=case,
            by=advisor,
            answers={q.pk: a for q, a in zip(questions, CASE_B_ANSWERS, strict=False)},
        )
        summary.cases += 1
    _referred_opportunities(advisor, champions[:3], now, summary)
    # A client who asked a partner for an advisor: the lowest rung still produces now and then.
    if active:
        opportunity_create(
            partner=active[0],
            by=advisor,
            title="A client of theirs asked for a second opinion on her pension",
            ask_by=today,
        )
        summary.opportunities += 1


def _strategy_on(partner: Partner, when: dt.datetime) -> str:
    switches = PartnerStrategy.objects.filter(partner=partner, started_at__lte=when)
    latest = switches.order_by("-started_at", "-pk").first()
    return latest.strategy if latest else Strategy.CLIENT_REQUESTED


def _referred_opportunities(
    advisor: User, partners: list[Partner], now: dt.datetime, summary: PlaybookSummary
) -> None:
    """Opportunities that ended in a referral received, linked back to them, so the yield of
    each strategy shows referrals and the clients they became: the champions' latest referral
    (one that became a client when there is one), under the strategy run at the time."""
    today = timezone.localdate()
    for partner in partners:
        received = list(
            Referral.objects.filter(
                partner=partner,
                direction=Direction.RECEIVED,
                kind=Kind.REFERRAL,
                archived_at__isnull=True,
            ).order_by("-occurred_at", "-pk")
        )
        referral = next(
            (r for r in received if r.status == ReferralStatus.BECAME_CLIENT),
            received[0] if received else None,
        )
        if referral is None:
            continue
        opportunity = opportunity_create(
            partner=partner,
            by=advisor,
            title=referral.need[:200],
            strategy=_strategy_on(partner, referral.occurred_at),
            ask_by=today,
        )
        opportunity_request_meeting(
            opportunity=opportunity,
            by=advisor,
            note=f"Asked {partner.name.split()[0]} to introduce us to the client.",
            occurred_at=min(referral.occurred_at - dt.timedelta(days=4), now),
        )
        opportunity_link_referral(opportunity=opportunity, referral=referral, by=advisor)
        summary.opportunities += 1
        summary.referrals_linked += 1


def _meetings(
    advisor: User, partners: list[Partner], today: dt.date, summary: PlaybookSummary
) -> None:
    """The next meetings of partners moving through the pipeline, on the calendar."""
    plans = [
        (Stage.PROPOSED, MeetingKind.PARTNERSHIP, 2, 10, "Their office"),
        (Stage.DUE_DILIGENCE, MeetingKind.DUE_DILIGENCE, 1, 14, "Coffee at the Harbor Cafe"),
        (Stage.FIRST_MEETING, MeetingKind.FIRST, 5, 9, "Video call"),
        (Stage.CHAMPION, MeetingKind.ANNUAL_REVIEW, 9, 11, "Our office"),
    ]
    for stage, kind, in_days, hour, location in plans:
        partner = next((p for p in partners if p.stage == stage), None)
        if partner is None:
            continue
        meeting_schedule(
            partner=partner,
            by=advisor,
            kind=kind,
            scheduled_for=_at(today + dt.timedelta(days=in_days), hour),
            location=location,
        )
        summary.meetings += 1
