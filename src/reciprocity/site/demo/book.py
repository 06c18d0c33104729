"""Demo data: one firm, three advisors and a book of partners with eighteen months of history.

The book is planned first (pure data from a seeded ``random.Random``, so a seed always gives the
same partners, stages and counts; dates are relative to the moment it runs) and then written
through the services, oldest event first, so stage changes, touches, commitments and referrals
carry history exactly like an advisor's own entries. Referrals flow both ways: sent ones walk the
sending protocol step by step (each step a touch), received ones end as a client, not a fit, or
lost, and the most recent still have their follow-ups open.
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from reciprocity.accounts.models import DEFAULT_YIELD_TARGET, Firm, Role, Team, User
from reciprocity.accounts.services import advisor_create, firm_create, team_create
from reciprocity.partners.models import (
    PIPELINE_STAGES,
    Commitment,
    CommitmentStatus,
    FailureReason,
    Partner,
    Profession,
    Stage,
)
from reciprocity.partners.services import (
    commitment_create,
    commitment_update,
    partner_change_stage,
    partner_create,
    touch_log,
)
from reciprocity.referrals.models import Direction, Kind, ReferralStatus, StepSlug
from reciprocity.referrals.selectors import steps_of
from reciprocity.referrals.services.ledger import referral_change_status, referral_create
from reciprocity.referrals.services.steps import referral_step_complete, referral_step_skip
from reciprocity.site.demo.insights import load_insights_demo
from reciprocity.site.demo.playbook import load_playbook_demo

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"  # noqa: S105  (published in the README; local mode only)
FIRM_NAME = "Harborview Wealth Partners"
FIRM_SLUG = "harborview"
TEAM_NAME = "Business Owners Team"
HISTORY_DAYS = 548  # eighteen months
DEFAULT_SEED = 2024

# username, first name, last name, role
ADVISORS = [
    (DEMO_USERNAME, "Jordan", "Avery", Role.ADVISOR),
    ("morgan", "Morgan", "Ellis", Role.ADVISOR),
    ("rachel", "Rachel", "Okafor", Role.FIRM_ADMIN),
]

# How many partners each advisor owns, by the stage they are in today.
BOOKS: dict[str, dict[str, int]] = {
    DEMO_USERNAME: {
        Stage.IDENTIFIED: 5,
        Stage.QUALIFIED: 5,
        Stage.FIRST_MEETING: 5,
        Stage.DUE_DILIGENCE: 5,
        Stage.PROPOSED: 4,
        Stage.ACTIVE: 8,
        Stage.CHAMPION: 4,
        Stage.DORMANT: 3,
        Stage.RETIRED: 5,
    },
    "morgan": {
        Stage.FIRST_MEETING: 1,
        Stage.DUE_DILIGENCE: 1,
        Stage.PROPOSED: 1,
        Stage.ACTIVE: 2,
        Stage.CHAMPION: 1,
    },
    "rachel": {Stage.QUALIFIED: 1, Stage.ACTIVE: 1, Stage.CHAMPION: 1, Stage.RETIRED: 1},
}
# CPAs and attorneys are the classic centers of influence; the rest come less often.
PROFESSION_WEIGHTS: dict[str, int] = {
    Profession.CPA: 5,
    Profession.ATTORNEY: 4,
    Profession.INSURANCE_AGENT: 3,
    Profession.BANKER: 2,
    Profession.BUSINESS_BROKER: 2,
    Profession.REALTOR: 2,
    Profession.OTHER: 1,
}
# How long ago partners now in these stages made their last move, in days (others: 5 to 45).
LAST_MOVE_DAYS_AGO: dict[str, tuple[float, float]] = {
    Stage.IDENTIFIED: (3, 40),
    Stage.ACTIVE: (60, 250),
    Stage.CHAMPION: (30, 160),
}
# How long ago partners now in these stages entered the book, in days (identified: at last move).
FIRST_DAY_DAYS_AGO: dict[str, tuple[float, float]] = {
    Stage.QUALIFIED: (30, 120),
    Stage.FIRST_MEETING: (60, 200),
    Stage.DUE_DILIGENCE: (100, 280),
    Stage.PROPOSED: (150, 330),
    Stage.ACTIVE: (300, 520),
    Stage.CHAMPION: (470, HISTORY_DAYS),
    Stage.DORMANT: (330, 540),
    Stage.RETIRED: (150, 530),
}
SHARED_WITH_TEAM = {DEMO_USERNAME: 8, "morgan": 4, "rachel": 0}

FIRST_NAMES = [
    "Laura", "Marcus", "Priya", "Daniel", "Elena", "Samuel", "Grace", "Victor", "Hannah", "Omar",
    "Claire", "Tobias", "Nina", "Raymond", "Sofia", "Derek", "Monica", "Julian", "Teresa", "Kevin",
    "Alicia", "Gregory", "Yuki", "Patrick", "Renee", "Anthony", "Leah", "Howard", "Camille",
    "Felix", "Diane", "Martin", "Rosa", "Warren", "Ingrid", "Calvin", "Maya", "Stuart", "Beatriz",
    "Neil",
]  # fmt: skip
LAST_NAMES = [
    "Chen", "Whitaker", "Raman", "Kowalski", "Brennan", "Okonkwo", "Delgado", "Fitzgerald",
    "Nakamura", "Lindqvist", "Abernathy", "Moreau", "Castillo", "Hargrove", "Petrov", "Sullivan",
    "Achebe", "Marchetti", "Goldberg", "Tanaka", "Oyelaran", "Carver", "Haddad", "Bishop",
    "Novak", "Pereira", "Yates", "Holloway", "Iverson", "Quinn", "Ramsey", "Sandoval", "Thornton",
    "Vasquez", "Whitfield", "Zimmerman", "Lambert", "Ostrowski", "Mercer", "Dunbar", "Ferreira",
    "Gallagher", "Huang", "Jablonski", "Kaplan", "Lindgren", "Mbeki", "Nolan", "Osei", "Prescott",
    "Rasmussen", "Singh", "Trujillo", "Underwood", "Valentine", "Wexler", "Abbott", "Bergstrom",
    "Cordero", "Donnelly", "Eriksen", "Farouk", "Greer", "Hollis", "Ibarra", "Jansen", "Keane",
]  # fmt: skip
PLACES = [
    "Harbor Point", "Bayside", "Northshore", "Cedar Street", "Quarry Hill", "Elm Park",
    "Riverbend", "Granite Bay", "Mill Pond", "Lighthouse", "Old Port", "Beacon Hill",
]  # fmt: skip
OTHER_PROFESSIONS = [
    ("Divorce mediator", "divorce financial questions"),
    ("Business valuation analyst", "business valuations"),
    ("Property and casualty broker", "umbrella liability for high earners"),
    ("Physician practice consultant", "practice sales and partner buy-ins"),
]


@dataclass(frozen=True)
class ProfessionKit:
    """What makes partners of one profession sound like themselves."""

    organizations: tuple[str, ...]
    specialties: tuple[str, ...]
    niches: tuple[str, ...]
    topics: tuple[str, ...]
    values: tuple[str, ...]
    tags: tuple[str, ...]


KITS: dict[str, ProfessionKit] = {
    Profession.CPA: ProfessionKit(
        organizations=("{last} & Associates CPAs", "{place} Tax Advisors", "{last} {last2} LLP"),
        specialties=(
            "Tax planning for closely held businesses; multi-state returns",
            "Individual tax for executives; equity compensation",
            "Trusts and estates returns; gift tax",
        ),
        niches=(
            "owners of family businesses with 10 to 100 employees",
            "physicians and dentists in private practice",
            "retirees drawing down IRAs and pensions",
        ),
        topics=(
            "Roth conversions in low-income years",
            "quarterly estimates for business owners",
            "tax-loss harvesting",
            "required minimum distributions",
        ),
        values=(
            "Clients who arrive with organised records; quick answers during tax season",
            "Being kept in the loop on anything with tax consequences",
        ),
        tags=("tax season", "business owners"),
    ),
    Profession.ATTORNEY: ProfessionKit(
        organizations=("{last} Law Group", "{last} & {last2} Estate Law", "{place} Legal"),
        specialties=(
            "Estate planning, revocable trusts, trust administration",
            "Business succession and buy-sell agreements",
            "Elder law and special-needs trusts",
        ),
        niches=(
            "families with estates over five million",
            "business owners planning succession",
            "blended families and second marriages",
        ),
        topics=(
            "trust funding after signing",
            "beneficiary designations",
            "buy-sell agreements",
            "estate plan reviews after a death in the family",
        ),
        values=(
            "Confidentiality first; prefers introductions without third parties in the room",
            "Clients whose assets are already organised before the drafting starts",
        ),
        tags=("estate", "confidential"),
    ),
    Profession.INSURANCE_AGENT: ProfessionKit(
        organizations=("{last} Insurance Group", "{place} Benefits", "{last} Risk Partners"),
        specialties=(
            "Life insurance and buy-sell funding",
            "Long-term care and disability coverage",
            "Group benefits for small employers",
        ),
        niches=(
            "business owners with key-person risk",
            "pre-retirees worried about long-term care",
            "young families of professionals",
        ),
        topics=(
            "long-term care coverage",
            "buy-sell agreement funding",
            "disability cover for surgeons",
            "policy reviews before retirement",
        ),
        values=("Being asked before a policy is replaced", "Joint reviews of shared clients"),
        tags=("insurance", "business owners"),
    ),
    Profession.BANKER: ProfessionKit(
        organizations=("{place} Community Bank", "{place} Private Bank", "First {place} Trust"),
        specialties=(
            "Commercial lending for owner-operated businesses",
            "Private banking and credit for professionals",
            "Cash management and treasury services",
        ),
        niches=(
            "owners of contracting and trades businesses",
            "medical and dental practices",
            "commercial real estate investors",
        ),
        topics=(
            "business lines of credit",
            "cash management after a liquidity event",
            "SBA loans for practice buy-ins",
        ),
        values=("Deposits staying local", "Clients who plan ahead of a credit need"),
        tags=("banking",),
    ),
    Profession.BUSINESS_BROKER: ProfessionKit(
        organizations=("{place} Business Advisors", "{last} M&A", "{last} Transition Partners"),
        specialties=(
            "Sale of main-street businesses under ten million",
            "Valuations and exit readiness",
            "Franchise resales",
        ),
        niches=(
            "owners five years from selling",
            "franchise owners with several locations",
            "manufacturing and distribution companies",
        ),
        topics=("post-sale wealth planning", "earn-out structures", "exit readiness"),
        values=("Sellers who are financially ready to let go", "A team that works to the close"),
        tags=("business owners", "liquidity event"),
    ),
    Profession.REALTOR: ProfessionKit(
        organizations=("{place} Realty", "{last} Home Group", "{place} Properties"),
        specialties=(
            "Downsizing and senior moves",
            "Relocation buyers and executives",
            "Investment property and 1031 exchanges",
        ),
        niches=(
            "empty nesters selling the family home",
            "executives relocating to the area",
            "small landlords with two to ten units",
        ),
        topics=("downsizing budgets", "1031 exchanges", "buying before selling"),
        values=("Responsiveness on weekends", "Being remembered when clients move again"),
        tags=("real estate",),
    ),
    Profession.OTHER: ProfessionKit(
        organizations=("{last} Consulting", "{place} Advisory Group", "{last} & Partners"),
        specialties=("Independent practice; works alongside attorneys and CPAs",),
        niches=(
            "professionals going through a major life change",
            "owners of medical practices",
        ),
        topics=("planning around a life transition", "cash flow after a change"),
        values=("Being part of a client's whole team", "Clear, written next steps"),
        tags=("specialist",),
    ),
}

CLIENTS = [
    "a retiring orthodontist",
    "a family-owned HVAC company",
    "a recently widowed client",
    "two physicians selling their practice",
    "a tech executive with concentrated stock",
    "a couple relocating from Chicago",
    "a contractor planning succession",
    "the owner of three franchise restaurants",
    "a couple whose parents need care",
    "a founder after a partial sale",
]

# Advisor and partner ask for the next step, by the stage the partner is in.
NEXT_STEPS: dict[str, list[tuple[str, str]]] = {
    Stage.IDENTIFIED: [
        ("advisor", "Check whether {org} is taking on new clients and whether {first} refers out"),
        ("advisor", "Ask a shared client how they rate {first}"),
    ],
    Stage.QUALIFIED: [
        ("advisor", "Invite {first} to an introductory coffee"),
        ("partner", "Confirm a date for our first coffee"),
    ],
    Stage.FIRST_MEETING: [
        ("advisor", "Book the 40-minute second meeting to build {first}'s profile"),
        ("partner", "Send the list of client types {org} wants more of"),
    ],
    Stage.DUE_DILIGENCE: [
        ("advisor", "Prepare the partnership presentation and the written ask for {first}"),
        ("partner", "Tell us how {org} prefers to receive referrals"),
    ],
    Stage.PROPOSED: [
        ("partner", "Reply with comments on the draft agreement"),
        ("advisor", "Send {first} the one-paragraph description of whom we help"),
    ],
    Stage.ACTIVE: [
        ("advisor", "Four-month touch base with {first}"),
        ("partner", "Introduce us to the local business owners' association"),
        ("advisor", "Send the article on {topic} for {first}'s clients"),
        ("partner", "Describe one top client anonymously so we can prepare questions"),
    ],
    Stage.CHAMPION: [
        ("advisor", "Plan the co-hosted client seminar on {topic}"),
        ("advisor", "Annual review with {first} of how referred clients are doing"),
        ("partner", "Invite us to the {org} client open house"),
    ],
    Stage.DORMANT: [("advisor", "Call {first} to reconnect with news on {topic}")],
}

# A commitment made when the partner entered a stage and kept soon after, with the touch it made.
KEPT_AT_STAGE: dict[str, tuple[str, str, str, str]] = {
    Stage.FIRST_MEETING: (
        "advisor",
        "Send {first} a thank-you note and our one-page overview",
        "thank_you",
        "Thank-you note and one-page overview sent to {first}.",
    ),
    Stage.DUE_DILIGENCE: (
        "partner",
        "Send a short description of {orgs} ideal clients",
        "email",
        "{first} emailed a description of their ideal clients: {niche}.",
    ),
    Stage.PROPOSED: (
        "advisor",
        "Write up the agreement: what each side will do and how referrals pass",
        "email",
        "Sent {first} the written agreement and the referral process we agreed on.",
    ),
    Stage.ACTIVE: (
        "partner",
        "Add us to the {org} list of trusted professionals",
        "note",
        "{first} confirmed we are on the {org} list of trusted professionals.",
    ),
    Stage.CHAMPION: (
        "advisor",
        "Co-host a client seminar on {topic} with {first}",
        "event",
        "Co-hosted the client seminar on {topic}; twenty-two guests, four asked for meetings.",
    ),
}

# Touches while the partner is in a stage: (kind, summary).
STAGE_TOUCHES: dict[str, list[tuple[str, str]]] = {
    Stage.IDENTIFIED: [
        ("email", "Short note to {first} after a shared client mentioned {org}."),
        ("note", "Looked up {org}: new associates this year, a second office planned."),
    ],
    Stage.QUALIFIED: [
        ("call", "Screening call: {org} took on new clients this year and {first} refers out."),
        ("note", "Asked a colleague about {first}: trusted, responsive, well connected."),
        ("email", "Sent {first} our note on {topic}; warm reply."),
    ],
    Stage.FIRST_MEETING: [
        ("email", "Follow-up email to {first} with the article on {topic}."),
        ("call", "{first} called with a question about {topic}."),
    ],
    Stage.DUE_DILIGENCE: [
        ("call", "Follow-up call on {topic}; {first} described a top client anonymously."),
        ("email", "Sent {first} eight diagnostic questions about that client."),
    ],
    Stage.PROPOSED: [
        ("email", "{first} asked how we work with clients' other professionals."),
        ("call", "Talked through how a referral will pass between us."),
    ],
    Stage.ACTIVE: [
        ("call", "Touch-base call: {first} mentioned {client} worried about {topic}."),
        ("meeting", "Quarterly meeting with {first}: reviewed how referred clients are doing."),
        ("newsletter", "Quarterly newsletter went to {first}; replied with a question on {topic}."),
        ("email", "Sent {first} notes on {topic} for their clients."),
        ("thank_you", "Thank-you note to {first} for the introduction to {client}."),
        ("event", "{first} came to our client appreciation evening."),
        ("gift", "Holiday gift basket to the {org} team."),
    ],
    Stage.CHAMPION: [
        ("meeting", "Joint review of a shared client's plan with {first}."),
        ("call", "{first} called about {client}; set up a conference call with the client."),
        ("thank_you", "Thank-you note to {first} for referring {client}."),
        ("newsletter", "Quarterly newsletter; {first} forwarded it to two clients."),
        ("gift", "Sent {first} a book on {topic} as thanks."),
        ("event", "Co-hosted a breakfast for {orgs} business-owner clients."),
    ],
}

# Introductions that are not prospects (connections), each way.
CONNECTIONS_RECEIVED = [
    "{first} introduced us to the {place} business owners' association",
    "{first} invited us to speak at the {org} client breakfast",
    "{first} introduced us to a colleague who serves {niche}",
]
CONNECTIONS_SENT = [
    "Introduced {first} to the {place} estate planning council",
    "Introduced {first} to a banker who serves {niche}",
    "Put {first} on the panel of our client seminar",
]

# How the advisor first came across a partner.
FIRST_CONTACTS = [
    "Met {first} at the chamber of commerce breakfast; serves {niche}.",
    "A client mentioned {first} at {org}; works with {niche}.",
    "{first} spoke at the estate planning council lunch; worth a conversation.",
    "Sat next to {first} at the business owners' association dinner.",
]

# Entering these stages is itself a meeting.
STAGE_MEETINGS: dict[str, str] = {
    Stage.FIRST_MEETING: "Introductory coffee with {first}: learned about {org} and its clients.",
    Stage.DUE_DILIGENCE: "Second meeting (40 minutes): built {first}'s profile and client base.",
    Stage.PROPOSED: "Partnership meeting: presented our practice and asked for introductions to "
    "{niche}.",
}

RETIREMENTS: dict[str, str] = {
    FailureReason.WRONG_PROFESSIONAL: (
        "{first} is focused on their own work and never refers out; walking away."
    ),
    FailureReason.WRONG_MESSAGE: (
        "After several meetings {first} still could not say whom we help; the message never landed."
    ),
    FailureReason.WRONG_FIRM: "{org} is a mature practice taking no new clients.",
    FailureReason.OTHER: "{first} joined a national firm with an in-house wealth team.",
}


@dataclass
class PlannedCommitment:
    owner: str
    what: str
    due: dt.date
    created_at: dt.datetime
    status: str = CommitmentStatus.OPEN
    closed_at: dt.datetime | None = None
    touch_kind: str = ""
    touch_summary: str = ""


@dataclass
class PlannedReferral:
    direction: str
    need: str
    occurred_at: dt.datetime
    status: str
    kind: str = Kind.REFERRAL
    client_name: str = ""
    client_contact: str = ""
    consent_method: str = ""
    client_has_professional: str = "unknown"
    consultation_fee: str = "unknown"
    # Protocol steps done, by slug: (when, touch summary); the others are skipped when closed.
    steps: dict[str, tuple[dt.datetime, str]] = field(default_factory=dict)
    # Later moves: (when, status, reason), oldest first.
    moves: list[tuple[dt.datetime, str, str]] = field(default_factory=list)


@dataclass
class PlannedPartner:
    owner: str
    shared: bool
    name: str
    profession: str
    profile: dict[str, Any]
    tags: list[str]
    # (when, stage, reason, note); the first one is the stage the partner was created in.
    stages: list[tuple[dt.datetime, str, str, str]] = field(default_factory=list)
    touches: list[tuple[dt.datetime, str, str]] = field(default_factory=list)
    commitments: list[PlannedCommitment] = field(default_factory=list)
    referrals: list[PlannedReferral] = field(default_factory=list)


@dataclass
class DemoSummary:
    firm: Firm
    partners: int
    touches: int
    stage_changes: int
    commitments: int
    referrals: int = 0


class Planner:
    """Plans the whole book from one random generator; draws never depend on the clock."""

    def __init__(self, seed: int, now: dt.datetime) -> None:
        self.rng = random.Random(seed)
        self.today = timezone.localdate(now)
        self.latest = now.replace(second=0, microsecond=0) - dt.timedelta(minutes=5)
        self.names = self._unique_names()
        # The first champion is the book's star, at the firm's yield target (the score bands).
        self.star_planned = False

    def _unique_names(self) -> list[tuple[str, str]]:
        pairs = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
        self.rng.shuffle(pairs)
        seen_last: set[str] = set()
        names = []
        for first, last in pairs:
            if last not in seen_last:
                seen_last.add(last)
                names.append((first, last))
        return names

    def moment(self, days_ago: float) -> dt.datetime:
        """A business-hours moment ``days_ago`` days back, never later than now."""
        minutes = self.rng.randrange(8 * 60 + 30, 17 * 60 + 30)
        day = self.today - dt.timedelta(days=int(days_ago))
        when = timezone.make_aware(dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60)))
        return min(when, self.latest)

    def plan(self) -> list[PlannedPartner]:
        planned = []
        for owner, book in BOOKS.items():
            stages = [stage for stage, count in book.items() for _ in range(count)]
            shared = set(self.rng.sample(range(len(stages)), SHARED_WITH_TEAM[owner]))
            for index, stage in enumerate(stages):
                planned.append(self.partner(owner=owner, final=stage, shared=index in shared))
        return planned

    def partner(self, *, owner: str, final: str, shared: bool) -> PlannedPartner:
        rng = self.rng
        first, last = self.names.pop()
        profession = rng.choices(list(PROFESSION_WEIGHTS), list(PROFESSION_WEIGHTS.values()))[0]
        kit = KITS[profession]
        last2 = rng.choice(LAST_NAMES)
        organization = rng.choice(kit.organizations).format(
            last=last, last2=last2 if last2 != last else "Hale", place=rng.choice(PLACES)
        )
        niche = rng.choice(kit.niches)
        profile: dict[str, Any] = {
            "organization": organization,
            "organization_size": rng.choice(["solo", "small", "small", "medium", "large"]),
            "specialties": rng.choice(kit.specialties),
            "niche": niche,
            "values": rng.choice(kit.values),
            "email": f"{first.lower()}@{slugify(organization)}.example",
            "phone": f"(617) 555-{rng.randrange(100, 200):04d}",
            "website": f"https://www.{slugify(organization)}.example",
            "preferred_contact_method": rng.choice(["phone", "email", "in_person", "text"]),
        }
        topic = rng.choice(kit.topics)
        if profession == Profession.OTHER:
            profile["profession_other"], topic = rng.choice(OTHER_PROFESSIONS)
        possessive = organization + ("'" if organization.endswith("s") else "'s")
        words = {
            "first": first,
            "org": organization,
            "orgs": possessive,
            "niche": niche,
            "topic": topic,
        }
        partner = PlannedPartner(
            owner=owner,
            shared=shared,
            name=f"{first} {last}",
            profession=profession,
            profile=profile,
            tags=rng.sample(kit.tags, k=rng.randint(0, len(kit.tags))),
        )
        reason = ""
        if final == Stage.RETIRED:
            reason = rng.choice(list(FailureReason.values))
        self._assess(partner, final=final, reason=reason)
        self._walk(partner, final=final, reason=reason, words=words)
        return partner

    def _assess(self, partner: PlannedPartner, *, final: str, reason: str) -> None:
        """What the advisor has learned of the partner by now; the further along, the more."""
        rng, profile = self.rng, partner.profile
        if final == Stage.IDENTIFIED:
            profile.update(growth_mode=None, propensity_to_refer=None)
            return
        profile["growth_mode"] = rng.random() < 0.85
        profile["propensity_to_refer"] = rng.choice(["medium", "high", "high"])
        if final in {Stage.PROPOSED, Stage.ACTIVE, Stage.CHAMPION, Stage.DORMANT, Stage.RETIRED}:
            profile["preferred_referral_process"] = rng.choice(
                ["email_thread", "conference_call", "face_to_face"]
            )
            profile["can_describe_value"] = rng.choice(["yes", "unknown", "no"])
        if final == Stage.CHAMPION:
            profile.update(growth_mode=True, propensity_to_refer="high", can_describe_value="yes")
        if reason == FailureReason.WRONG_PROFESSIONAL:
            profile["propensity_to_refer"] = "low"
        elif reason == FailureReason.WRONG_FIRM:
            profile["growth_mode"] = False
        elif reason == FailureReason.WRONG_MESSAGE:
            profile["can_describe_value"] = "no"

    def _path(self, final: str) -> list[str]:
        """The pipeline stages walked through; side stages come after one of them."""
        last = final
        if final == Stage.DORMANT:
            last = self.rng.choice([Stage.FIRST_MEETING, Stage.PROPOSED, Stage.ACTIVE])
        elif final == Stage.RETIRED:
            last = self.rng.choice(
                [Stage.QUALIFIED, Stage.FIRST_MEETING, Stage.DUE_DILIGENCE, Stage.PROPOSED]
            )
        stages = [str(stage) for stage in PIPELINE_STAGES]
        return stages[: stages.index(last) + 1]

    def _walk(
        self, partner: PlannedPartner, *, final: str, reason: str, words: dict[str, str]
    ) -> None:
        """Stage changes with dated touches and commitments in between, oldest first."""
        rng = self.rng
        path = self._path(final)
        side = final in {Stage.DORMANT, Stage.RETIRED}
        # Days ago of the last pipeline move and of going quiet (dormant, retired) or today.
        if final == Stage.DORMANT:
            side_at = rng.uniform(10, 60)
            quiet_from = side_at + rng.uniform(125, 170)
            last_move = quiet_from + rng.uniform(20, 60)
        elif final == Stage.RETIRED:
            side_at = rng.uniform(15, 200)
            quiet_from = side_at + rng.uniform(5, 25)
            last_move = side_at + rng.uniform(30, 90)
        else:
            side_at = quiet_from = 0
            low, high = LAST_MOVE_DAYS_AGO.get(final, (5, 45))
            last_move = rng.uniform(low, high)
        # The first day in the book, and the moves spread unevenly in between.
        low, high = FIRST_DAY_DAYS_AGO.get(final, (last_move, last_move))
        start = min(max(rng.uniform(low, high), last_move + 12 * len(path)), HISTORY_DAYS - 1)
        weights = [rng.uniform(0.5, 1.5) for _ in path[1:]]
        days = [start]
        for weight in weights:
            days.append(days[-1] - (start - last_move) * weight / sum(weights))
        moves = [self.moment(d) for d in days]
        for when, stage in zip(moves, path, strict=True):
            partner.stages.append((when, stage, "", ""))
        # Touches in each stage, until the next move (or until today, or until it went quiet).
        ends = [*days[1:], quiet_from if side else rng.uniform(0, 12)]
        if final == Stage.ACTIVE and rng.random() < 0.2:
            ends[-1] = rng.uniform(125, 150)  # lapsing: the dormancy rule should notice
        if final != Stage.IDENTIFIED or rng.random() < 0.6:
            met = rng.choice(FIRST_CONTACTS).format(**words)
            partner.touches.append((partner.stages[0][0], "note", met))
        for (when, stage, _, _), began, ended in zip(partner.stages, days, ends, strict=True):
            self._stage_life(partner, stage=stage, entered=when, began=began, ended=ended, w=words)
        if side:
            # Open commitments of a partner walked away from are dropped on the day.
            at = self.moment(side_at)
            note = RETIREMENTS.get(reason, "")
            if final == Stage.DORMANT:
                note = "No touch for over four months; parked until there is a reason to call."
            partner.stages.append((at, final, reason, note.format(**words)))
            if final == Stage.RETIRED:
                owner, what = rng.choice(NEXT_STEPS[path[-1]])
                partner.commitments.append(
                    PlannedCommitment(
                        owner=owner,
                        what=what.format(**words),
                        due=timezone.localdate(at) + dt.timedelta(days=rng.randint(3, 20)),
                        created_at=at - dt.timedelta(days=rng.randint(5, 15)),
                        status=CommitmentStatus.DROPPED,
                        closed_at=at - dt.timedelta(minutes=1),
                    )
                )
        if final in {Stage.ACTIVE, Stage.CHAMPION}:
            self._keep_flowing(partner, final=final, since=days[path.index(Stage.ACTIVE)], w=words)
            if ends[-1] < 15 and rng.random() < 0.6:
                self._referral_sent(partner, day=rng.uniform(2, 12), w=words, in_flight=True)
        if final == Stage.PROPOSED and rng.random() < 0.4:
            # The first referral received: the product suggests moving to Active partner.
            self._referral_received(partner, day=rng.uniform(3, min(days[-1], 25)), w=words)
        self._next_steps(partner, final=final, words=words)

    def _connection(self, partner: PlannedPartner, *, day: float, w: dict[str, str]) -> None:
        """An introduction that is not a prospect, one way or the other; the meeting is the end."""
        rng = self.rng
        place = rng.choice(PLACES)
        if rng.random() < 0.5:
            direction, first_move = Direction.RECEIVED, "contacted"
            need = rng.choice(CONNECTIONS_RECEIVED)
        else:
            direction, first_move = Direction.SENT, "introduced"
            need = rng.choice(CONNECTIONS_SENT)
        referral = PlannedReferral(
            direction=direction,
            kind=Kind.CONNECTION,
            need=need.format(place=place, **w),
            occurred_at=self.moment(day),
            status=ReferralStatus.RECEIVED
            if direction == Direction.RECEIVED
            else ReferralStatus.PROPOSED,
        )
        for offset, status in ((3, first_move), (14, "meeting_held")):
            if day - offset >= 0:
                referral.moves.append((self.moment(day - offset), status, ""))
        partner.referrals.append(referral)

    def _keep_flowing(
        self, partner: PlannedPartner, *, final: str, since: float, w: dict[str, str]
    ) -> None:
        """An active partner has referred and been referred to at least once; a champion refers
        both ways, repeatedly, within the last year."""
        wanted = {Direction.RECEIVED: 1, Direction.SENT: 1}
        if final == Stage.CHAMPION:
            wanted = {Direction.RECEIVED: 2, Direction.SENT: 2}
            if not self.star_planned:
                self.star_planned = True
                wanted = {Direction.RECEIVED: DEFAULT_YIELD_TARGET, Direction.SENT: 3}
        year_ago = self.latest - dt.timedelta(days=330)
        for direction, count in wanted.items():
            have = sum(
                1
                for r in partner.referrals
                if r.direction == direction and r.kind == Kind.REFERRAL and r.occurred_at > year_ago
            )
            for _ in range(count - have):
                day = self.rng.uniform(25, max(min(since, 330), 26))
                if direction == Direction.SENT:
                    self._referral_sent(partner, day=day, w=w, may_decline=False)
                else:
                    self._referral_received(partner, day=day, w=w)

    def _stage_life(
        self,
        partner: PlannedPartner,
        *,
        stage: str,
        entered: dt.datetime,
        began: float,
        ended: float,
        w: dict[str, str],
    ) -> None:
        rng = self.rng
        if stage in STAGE_MEETINGS:
            partner.touches.append((entered, "meeting", STAGE_MEETINGS[stage].format(**w)))
        if stage in KEPT_AT_STAGE:
            owner, what, kind, summary = KEPT_AT_STAGE[stage]
            kept = self.moment(max(began - rng.uniform(3, 12), ended))
            partner.commitments.append(
                PlannedCommitment(
                    owner=owner,
                    what=what.format(**w),
                    due=timezone.localdate(entered) + dt.timedelta(days=14),
                    created_at=entered,
                    status=CommitmentStatus.DONE,
                    closed_at=max(kept, entered),
                    touch_kind=kind,
                    touch_summary=summary.format(**w),
                )
            )
        if stage in {Stage.ACTIVE, Stage.CHAMPION}:
            self._cadence(partner, stage=stage, began=began, ended=ended, w=w)
            return
        for _ in range(rng.randint(0, 2)):
            kind, summary = rng.choice(STAGE_TOUCHES[stage])
            at = self.moment(rng.uniform(ended, began))
            partner.touches.append((max(at, entered), kind, summary.format(**w)))

    def _cadence(
        self, partner: PlannedPartner, *, stage: str, began: float, ended: float, w: dict
    ) -> None:
        """Keeping a partner warm: a touch every few weeks, and now and then a whole referral."""
        rng = self.rng
        if rng.random() < 0.6:
            # On the quarterly newsletter list.
            for issue in range(int(began) - 20, int(ended), -91):
                text = f"Quarterly newsletter sent to {w['first']}."
                partner.touches.append((self.moment(issue), "newsletter", text))
        gap = (25, 55) if stage == Stage.ACTIVE else (14, 35)
        day = began - rng.uniform(*gap)
        received_odds = 0.12 if stage == Stage.ACTIVE else 0.22
        while day > ended:
            draw = rng.random()
            if draw < 0.18 and day - 21 > ended:
                self._referral_sent(partner, day=day, w=w)
                day -= 21
            elif draw < 0.18 + received_odds:
                self._referral_received(partner, day=day, w=w)
            elif draw < 0.28 + received_odds:
                self._connection(partner, day=day, w=w)
            else:
                kind, summary = rng.choice(STAGE_TOUCHES[stage])
                client = rng.choice(CLIENTS)
                partner.touches.append((self.moment(day), kind, summary.format(client=client, **w)))
            day -= rng.uniform(*gap)
        if stage == Stage.ACTIVE and began - ended > 90:
            partner.commitments.append(
                PlannedCommitment(
                    owner="advisor",
                    what=f"Quarterly meeting with {w['first']}",
                    due=self.today - dt.timedelta(days=int(began - 80)),
                    created_at=self.moment(began - 60),
                    status=CommitmentStatus.DONE,
                    closed_at=self.moment(began - 85),
                    touch_kind="meeting",
                    touch_summary=f"Quarterly meeting with {w['first']}: what is new at "
                    f"{w['org']}, who they met this quarter.",
                )
            )

    def _person(self) -> tuple[str, str]:
        """A client's or prospect's name and contact details (never a partner's)."""
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        return f"{first} {last}", f"(617) 555-{self.rng.randrange(200, 1000):04d}"

    def _referral_sent(
        self,
        partner: PlannedPartner,
        *,
        day: float,
        w: dict[str, str],
        in_flight: bool = False,
        may_decline: bool = True,
    ) -> None:
        """The five-touch way of sending a referral; attorneys get a call, not an escort.

        One in flight has done only the steps due by today; without consent (now and then for
        one in flight) only the call has been made and the partner gets the memo, not a name.
        """
        rng = self.rng
        client = rng.choice(CLIENTS)
        escort = (
            (StepSlug.CONFERENCE_CALL, f"Conference call introducing {client} to {w['first']}; "
             "I left before the details, for confidentiality.")
            if partner.profession == Profession.ATTORNEY
            else (StepSlug.ESCORT, f"Went with {client} to the first meeting at {w['org']}.")
        )  # fmt: skip
        first = w["first"]
        steps = [
            (0, StepSlug.CALL, f"Called {first} about {client}, who needs help with {w['topic']}."),
            (1, StepSlug.EMAIL, f"Emailed {first} notes and next steps for {client}."),
            (6, *escort),
            (7, StepSlug.THANK_YOU, f"Thank-you note to {first} for taking care of {client}."),
            (20, StepSlug.CHECK_IN, f"Checked in with {first}: the work for {client} is done."),
        ]  # fmt: skip
        consented = not in_flight or rng.random() < 0.6
        declined = may_decline and not in_flight and rng.random() < 0.15
        name, contact = self._person() if consented else ("", "")
        referral = PlannedReferral(
            direction=Direction.SENT,
            need=f"{client[0].upper()}{client[1:]} needs help with {w['topic']}",
            occurred_at=self.moment(day),
            status=ReferralStatus.CONSENT_GIVEN if consented else ReferralStatus.PROPOSED,
            client_name=name,
            client_contact=contact,
            consent_method=rng.choice(["verbal", "email", "written"]) if consented else "",
            client_has_professional=rng.choice(["no", "no", "yes", "unknown"]),
            consultation_fee=rng.choice(["no", "no", "yes", "unknown"]),
        )
        for offset, slug, summary in steps:
            if day - offset < 0 or (not consented and slug != StepSlug.CALL):
                break
            if declined and offset > 1:
                reason = "The client chose to stay with the professional they already have."
                referral.moves.append((self.moment(day - 3), ReferralStatus.DECLINED, reason))
                break
            referral.steps[slug] = (self.moment(day - offset), summary)
        if consented and not declined and day >= 6:
            # The introduction is the first meeting; engaged once the work is done.
            met = self.moment(day - 6)
            referral.moves += [(met, "introduced", ""), (met, "meeting_held", "")]
            if day >= 20:
                referral.moves.append((max(self.moment(day - 20), met), "engaged", ""))
        partner.referrals.append(referral)

    def _referral_received(self, partner: PlannedPartner, *, day: float, w: dict[str, str]) -> None:
        """A prospect from the partner: thanked, met, and by now a client, not a fit or lost."""
        rng = self.rng
        client = rng.choice(CLIENTS)
        name, contact = self._person()
        referral = PlannedReferral(
            direction=Direction.RECEIVED,
            need=f"{client[0].upper()}{client[1:]} asked {w['first']} about {w['topic']}",
            occurred_at=self.moment(day),
            status=ReferralStatus.RECEIVED,
            client_name=name,
            client_contact=contact,
        )
        outcome = rng.choices(["became_client", "not_a_fit", "lost"], [6, 2, 2])[0]
        reasons = {
            "not_a_fit": "Needs were below our minimum; pointed them to a planner who fits.",
            "lost": "Decided to stay with their current advisor for now.",
        }
        for offset, status in ((2, "contacted"), (9, "meeting_held"), (30, outcome)):
            if day - offset < 0:
                break
            if status != "contacted" and status in reasons:
                referral.moves.append((self.moment(day - offset), status, reasons[status]))
                break
            referral.moves.append((self.moment(day - offset), status, ""))
        # Recent ones get their follow-ups as open commitments; older ones were thanked back then.
        if day > 30:
            text = f"Thank-you note to {w['first']} for referring {client}."
            partner.touches.append((self.moment(day - 1), "thank_you", text))
        partner.referrals.append(referral)

    def _next_steps(self, partner: PlannedPartner, *, final: str, words: dict[str, str]) -> None:
        """Open commitments: some overdue, some today, the rest in the coming weeks."""
        rng = self.rng
        if final == Stage.RETIRED or (final == Stage.DORMANT and rng.random() < 0.5):
            return
        options = NEXT_STEPS[final]
        for owner, what in rng.sample(options, k=min(len(options), rng.randint(1, 2))):
            offset = rng.choice([-21, -9, -3, -1, 0, 1, 2, 3, 5, 6, 10, 14, 21, 30, 45])
            due = self.today + dt.timedelta(days=offset)
            created = self.moment(max(-offset, 0) + rng.uniform(3, 15))
            last_move = partner.stages[-1][0]
            partner.commitments.append(
                PlannedCommitment(
                    owner=owner,
                    what=what.format(**words),
                    due=due,
                    created_at=max(created, last_move),
                )
            )


def plan_book(*, seed: int = DEFAULT_SEED, now: dt.datetime | None = None) -> list[PlannedPartner]:
    """The demo book in the order the partners entered it."""
    book = Planner(seed, now or timezone.now()).plan()
    return sorted(book, key=lambda partner: (partner.stages[0][0], partner.name))


def demo_login_line(host: str, port: int) -> str:
    address = f"[{host}]" if ":" in host else host
    return f"Demo login: http://{address}:{port}/  user: {DEMO_USERNAME}  password: {DEMO_PASSWORD}"


def demo_login_works() -> bool:
    """Whether the demo user exists and still has the demo password."""
    user = User.objects.filter(username=DEMO_USERNAME, is_active=True).first()
    return user is not None and user.check_password(DEMO_PASSWORD)


def demo_loaded() -> bool:
    return User.objects.filter(username=DEMO_USERNAME).exists() or (
        Firm.objects.filter(slug=FIRM_SLUG).exists()
    )


@transaction.atomic
def load_demo(*, seed: int = DEFAULT_SEED) -> DemoSummary:
    """Create the demo firm, its advisors and the planned book, through the services."""
    now = timezone.now()
    firm = firm_create(name=FIRM_NAME, slug=FIRM_SLUG)
    # One hash for everyone: hashing is slow on purpose, and all three use the demo password.
    password = make_password(DEMO_PASSWORD)
    advisors: dict[str, User] = {}
    for username, first, last, role in ADVISORS:
        user = advisor_create(
            firm=firm,
            username=username,
            password=None,
            email=f"{username}@{FIRM_SLUG}.example",
            first_name=first,
            last_name=last,
            role=role,
        )
        user.password = password
        user.save(update_fields=["password"])
        advisors[username] = user
    team = team_create(
        firm=firm,
        name=TEAM_NAME,
        members=[advisors[DEMO_USERNAME], advisors["morgan"]],
        by=advisors["rachel"],
    )
    summary = DemoSummary(firm=firm, partners=0, touches=0, stage_changes=0, commitments=0)
    backdated: list[tuple[int, dt.datetime]] = []
    for planned in plan_book(seed=seed, now=now):
        team_or_none = team if planned.shared else None
        backdated += _write_partner(
            planned, by=advisors[planned.owner], team=team_or_none, summary=summary
        )
    # A commitment records when it was entered; the demo's were "entered" back then, so that
    # timelines read naturally. Their history keeps the real moment of insertion.
    for pk, created_at in backdated:
        Commitment.objects.filter(pk=pk).update(created_at=created_at)
    load_playbook_demo(advisors=advisors, seed=seed)
    # A stalled alliance for each diagnosis, whatever the seed drew.
    load_insights_demo(advisors=advisors, counts=summary)
    return summary


def _write_partner(
    planned: PlannedPartner, *, by: User, team: Team | None, summary: DemoSummary
) -> list[tuple[int, dt.datetime]]:
    """Write one planned partner, oldest event first; return its commitments' entry moments."""
    first_at, first_stage, _, _ = planned.stages[0]
    partner = partner_create(
        by=by,
        name=planned.name,
        profession=planned.profession,
        team=team,
        stage=first_stage,
        occurred_at=first_at,
        tags=planned.tags,
        **planned.profile,
    )
    Partner.objects.filter(pk=partner.pk).update(created_at=first_at)
    summary.partners += 1
    summary.stage_changes += 1
    # (when, rank, event): stage moves before touches before commitments of the same moment.
    events: list[tuple[dt.datetime, int, Any]] = []
    events += [(move[0], 0, move) for move in planned.stages[1:]]
    events += [(touch[0], 1, touch) for touch in planned.touches]
    events += [(c.closed_at or c.created_at, 2, c) for c in planned.commitments]
    events += [(r.occurred_at, 3, r) for r in planned.referrals]
    entered: list[tuple[int, dt.datetime]] = []
    for _when, rank, event in sorted(events, key=lambda e: (e[0], e[1])):
        if rank == 0:
            when, stage, reason, note = event
            # The book's history: some were qualified despite a failing answer, and show it.
            partner_change_stage(
                partner=partner,
                by=by,
                stage=stage,
                reason=reason,
                note=note,
                occurred_at=when,
                qualify_anyway=True,
            )
            summary.stage_changes += 1
        elif rank == 1:
            when, kind, text = event
            touch_log(partner=partner, by=by, kind=kind, summary=text, occurred_at=when)
            summary.touches += 1
        elif rank == 2:
            entered.append(
                (_write_commitment(partner, event, by=by, summary=summary), event.created_at)
            )
        else:
            _write_referral(partner, event, by=by, summary=summary)
    return entered


def _write_referral(
    partner: Partner, planned: PlannedReferral, *, by: User, summary: DemoSummary
) -> None:
    """The referral, its protocol steps (each a touch) and its later moves."""
    referral = referral_create(
        by=by,
        partner=partner,
        direction=planned.direction,
        kind=planned.kind,
        need=planned.need,
        status=planned.status,
        occurred_at=planned.occurred_at,
        client_name=planned.client_name,
        client_contact=planned.client_contact,
        consent_method=planned.consent_method,
        consent_at=planned.occurred_at if planned.consent_method else None,
        client_has_professional=planned.client_has_professional,
        consultation_fee=planned.consultation_fee,
    )
    summary.referrals += 1
    summary.commitments += 2 if referral.thank_you_commitment_id else 0
    for when, status, reason in planned.moves:
        referral_change_status(
            referral=referral, by=by, status=status, reason=reason, occurred_at=when
        )
    for step in steps_of(referral=referral):
        if step.slug in planned.steps:
            when, text = planned.steps[step.slug]
            referral_step_complete(step=step, by=by, occurred_at=when, summary=text)
            summary.touches += 1
        elif referral.is_closed:
            referral_step_skip(step=step, by=by)


def _write_commitment(
    partner: Partner, planned: PlannedCommitment, *, by: User, summary: DemoSummary
) -> int:
    commitment = commitment_create(
        partner=partner, by=by, what=planned.what, owner=planned.owner, due=planned.due
    )
    if planned.status != CommitmentStatus.OPEN:
        commitment_update(
            commitment=commitment,
            by=by,
            status=planned.status,
            touch_kind=planned.touch_kind or None,
            touch_summary=planned.touch_summary,
            occurred_at=planned.closed_at,
        )
        summary.touches += bool(planned.touch_kind)
    summary.commitments += 1
    return commitment.pk
