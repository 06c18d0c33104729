"""The playbook a new firm starts with; every piece is a row the firm can then edit.

Meeting plans follow the three meetings of a partnership (learn about them, build their profile,
make the partnership explicit) plus the yearly review and joint client work. Cadences follow the
keep-warm practice: the newsletter list, a call every four months, a yearly review of the clients
referred. Question texts and library entries are our own wording.
"""

from dataclasses import dataclass, field

from reciprocity.partners.models import Stage
from reciprocity.playbook.models import CadenceKind, MeetingKind, ProfileField, Topic


@dataclass(frozen=True)
class PlanItemSeed:
    prompt: str
    profile_field: str = ""
    guidance: str = ""


@dataclass(frozen=True)
class PlanSeed:
    kind: str
    name: str
    purpose: str
    duration_minutes: int
    items: tuple[PlanItemSeed, ...] = field(default_factory=tuple)


MEETING_PLANS: tuple[PlanSeed, ...] = (
    PlanSeed(
        kind=MeetingKind.FIRST,
        name="First meeting: get to know them",
        purpose=(
            "An introductory conversation. Listen more than you talk: learn how they work, "
            "whom they serve and whether their practice is growing. Leave with a second meeting."
        ),
        duration_minutes=30,
        items=(
            PlanItemSeed("How did they come to this work, and what does a normal week look like?"),
            PlanItemSeed(
                "Who are their best clients, and what do those clients have in common?",
                ProfileField.NICHE,
            ),
            PlanItemSeed("Which services do they lead with?", ProfileField.SPECIALTIES),
            PlanItemSeed("How do most of their new clients find them?"),
            PlanItemSeed(
                "Which other professionals do their clients rely on, and how do they work together?"
            ),
            PlanItemSeed("What client problems land on their desk that are outside their field?"),
            PlanItemSeed(
                "Is the firm taking on new clients, and where do they want it to be in three "
                "years?",
                ProfileField.GROWTH_MODE,
                "Answer yes or no: a stagnant firm meets no new clients.",
            ),
            PlanItemSeed("What would make an introduction from you worth their time?"),
            PlanItemSeed("Agree the next step: a longer second conversation, with a date."),
        ),
    ),
    PlanSeed(
        kind=MeetingKind.DUE_DILIGENCE,
        name="Due diligence: build their profile",
        purpose=(
            "About forty minutes to go deeper. Each answer fills the partner's profile, so by "
            "the end you know whom they serve, how they like to pass clients on and whether "
            "they can say what you do."
        ),
        duration_minutes=40,
        items=(
            PlanItemSeed(
                "Describe the clients they serve best: ages, occupations, wealth, stage of life.",
                ProfileField.NICHE,
            ),
            PlanItemSeed(
                "Which specialties or services do they want to be known for?",
                ProfileField.SPECIALTIES,
            ),
            PlanItemSeed(
                "How many people work in their firm?",
                ProfileField.ORGANIZATION_SIZE,
                "solo, small (2 to 10), medium (11 to 50) or large.",
            ),
            PlanItemSeed(
                "Is the firm growing: hiring, opening offices, marketing for new clients?",
                ProfileField.GROWTH_MODE,
                "Answer yes or no.",
            ),
            PlanItemSeed(
                "How often do they introduce clients to other professionals today, and to whom?",
                ProfileField.PROPENSITY_TO_REFER,
                "low, medium or high.",
            ),
            PlanItemSeed(
                "When they pass a client on, how do they like to do it?",
                ProfileField.PREFERRED_REFERRAL_PROCESS,
                "email_thread, conference_call or face_to_face.",
            ),
            PlanItemSeed(
                "What is the best way to reach them between meetings?",
                ProfileField.PREFERRED_CONTACT_METHOD,
                "phone, email, in_person or text.",
            ),
            PlanItemSeed(
                "What do they value most in a professional they work alongside?",
                ProfileField.VALUES,
            ),
            PlanItemSeed("What has disappointed them about advisors their clients used before?"),
            PlanItemSeed("Which client situations are they seeing more of this year?"),
            PlanItemSeed("What would a good first year of working together look like to them?"),
            PlanItemSeed(
                "Ask them to say, in a sentence, whom you help and what sets you apart.",
                ProfileField.CAN_DESCRIBE_VALUE,
                "yes if they could, no if they could not.",
            ),
        ),
    ),
    PlanSeed(
        kind=MeetingKind.PARTNERSHIP,
        name="Partnership meeting: time to shine",
        purpose=(
            "Present the practice so they can picture it, then make explicit what usually stays "
            "implied: you want them to introduce clients, and you say what you will do in "
            "return. Write the win-win down as the agreement."
        ),
        duration_minutes=45,
        items=(
            PlanItemSeed("Walk through how you work with a client, from first call to years in."),
            PlanItemSeed("Show how you work with other professionals, with a recent example."),
            PlanItemSeed("Give your experience and credentials in two or three concrete facts."),
            PlanItemSeed("A snapshot of the firm: size, clients, what you specialise in."),
            PlanItemSeed(
                "State your message, whom you help and what is unique, and ask them to repeat it.",
                ProfileField.CAN_DESCRIBE_VALUE,
                "yes if they could, no if they could not.",
            ),
            PlanItemSeed("Make the ask out loud: introduce clients who fit."),
            PlanItemSeed("Say what you will do for them in return."),
            PlanItemSeed(
                "Agree how a referral will be passed.",
                ProfileField.PREFERRED_REFERRAL_PROCESS,
                "email_thread, conference_call or face_to_face.",
            ),
            PlanItemSeed(
                "Agree how you will keep in touch: newsletter, a call every few months, a yearly "
                "review of shared clients."
            ),
            PlanItemSeed("Write it down as the agreement and set the first review date."),
        ),
    ),
    PlanSeed(
        kind=MeetingKind.ANNUAL_REVIEW,
        name="Annual review: how are our clients doing?",
        purpose=(
            "Once a year, review every client passed in either direction and whether the "
            "agreement still works for both sides."
        ),
        duration_minutes=45,
        items=(
            PlanItemSeed("Go through each client referred either way: how is the work going?"),
            PlanItemSeed("What changed in their practice and clientele this year?"),
            PlanItemSeed("Is the agreed way of passing referrals still working?"),
            PlanItemSeed("What could each side do better next year?"),
            PlanItemSeed("Confirm the keep-in-touch plan and the next review date."),
        ),
    ),
    PlanSeed(
        kind=MeetingKind.CLIENT_EVENT,
        name="Co-hosted client event",
        purpose=(
            "Meet clients together: a seminar or a joint review. Agree the audience and roles "
            "beforehand and the follow-up afterwards."
        ),
        duration_minutes=90,
        items=(
            PlanItemSeed("Agree the audience and the topic, and who invites whom."),
            PlanItemSeed("Split the roles for the session."),
            PlanItemSeed("Plan the follow-up with every attendee who wants a conversation."),
            PlanItemSeed("Debrief with the partner and log an opportunity per interested client."),
        ),
    ),
    PlanSeed(
        kind=MeetingKind.JOINT_REVIEW,
        name="Joint client review",
        purpose="Review a shared client's plan together, each from their own field.",
        duration_minutes=60,
        items=(
            PlanItemSeed("Agree beforehand what each professional will cover."),
            PlanItemSeed("Review the client's goals and what changed since the last review."),
            PlanItemSeed("Agree the actions, who does each, and by when."),
        ),
    ),
)


@dataclass(frozen=True)
class CadenceSeed:
    stage: str
    kind: str
    interval_months: int | None


CADENCE_DEFAULTS: tuple[CadenceSeed, ...] = (
    CadenceSeed(Stage.ACTIVE, CadenceKind.TOUCH_BASE, 4),
    CadenceSeed(Stage.ACTIVE, CadenceKind.ANNUAL_REVIEW, 12),
    CadenceSeed(Stage.ACTIVE, CadenceKind.NEWSLETTER, None),
    # Champions are core partners; meeting them about quarterly is common practice.
    CadenceSeed(Stage.CHAMPION, CadenceKind.TOUCH_BASE, 3),
    CadenceSeed(Stage.CHAMPION, CadenceKind.ANNUAL_REVIEW, 12),
    CadenceSeed(Stage.CHAMPION, CadenceKind.NEWSLETTER, None),
    # A partnership on the table should not go cold while the partner thinks it over.
    CadenceSeed(Stage.PROPOSED, CadenceKind.TOUCH_BASE, 1),
)


QUESTION_BANK: dict[str, tuple[str, ...]] = {
    Topic.RETIREMENT: (
        "At what age does the client hope to stop working, and how firm is that date?",
        "How much income will they need each year once they stop?",
        "Which pensions, retirement accounts and other savings do they hold today?",
        "When do they intend to start drawing Social Security or their state pension?",
        "How is their money invested, and when was that mix last reviewed?",
        "How did they react the last time markets fell sharply?",
        "Do they expect to support children, grandchildren or parents in retirement?",
        "How will they pay for healthcare before and during retirement?",
        "Have they thought about how long-term care would be paid for?",
        "Do they have old workplace plans they never consolidated?",
        "Do they know which accounts they will draw from first, with taxes in mind?",
        "Do they own their home outright, and do they plan to move or downsize?",
        "Does their spouse or partner share the same picture of retirement?",
    ),
    Topic.BUSINESS_OWNER: (
        "What does the business do, how long have they owned it, and how big is it?",
        "Who owns the business, and in what shares?",
        "Who takes over one day: family, partners, employees or a buyer?",
        "Is there a buy-sell agreement, and is it funded?",
        "Has the business ever been valued by a professional?",
        "How much of the owner's net worth is tied up in the business?",
        "What retirement plan does the business offer, and does it suit the owner?",
        "Would the business survive losing the owner or a key employee?",
        "How does the owner pay themselves: salary, distributions or both?",
        "Are the owner's personal assets kept separate from the business's risks?",
        "Is the owner thinking of selling within five years?",
        "What worries the owner most about the business today?",
        "How are key employees rewarded and kept?",
    ),
    Topic.ESTATE: (
        "Does the client have a will, and when was it last updated?",
        "Are there trusts, and are the assets actually titled to them?",
        "Are the beneficiaries on accounts and policies up to date?",
        "Who would make financial and medical decisions if the client could not?",
        "Are there children from more than one marriage, or heirs with special needs?",
        "Is the client uneasy about how a particular heir would handle an inheritance?",
        "Is the estate likely to owe estate or inheritance tax?",
        "Do they give to charity, and do they want to leave a legacy?",
        "Would their heirs know where the documents are and whom to call?",
        "Do they own property in more than one state or country?",
        "Is there a family business or property the heirs will have to share?",
        "Have there been recent deaths, divorces or marriages in the family?",
    ),
    Topic.TAX: (
        "What was the client's top tax rate last year, and do they expect it to change?",
        "Do their investments throw off large taxable distributions?",
        "Are they sitting on a large unrealised gain in one holding?",
        "Do they use all the tax-advantaged accounts open to them?",
        "Have they considered converting some savings to a Roth or similar account?",
        "Do they hold stock options or restricted stock from an employer?",
        "Did they have a large one-off income recently, or do they expect one?",
        "Are their charitable gifts made in the most tax-efficient way?",
        "Have they been surprised by a tax bill or an underpayment penalty?",
        "Do they take required minimum distributions now, or will they soon?",
        "Do they own rental property, and how are its income and depreciation handled?",
        "Is there a plan for the tax due when a business or property is sold?",
    ),
    Topic.INSURANCE: (
        "What life insurance does the client have, and how was the amount chosen?",
        "When were their policies last reviewed?",
        "Who depends on the client's income, and for how long?",
        "Do they have disability income cover, personally or through work?",
        "How would long-term care be paid for if they needed it?",
        "Are the owner and beneficiary of each policy set up as intended?",
        "Is their liability (umbrella) cover in line with what they now own?",
        "Does their business carry key-person or buy-sell cover?",
        "Do they hold old policies they no longer understand or need?",
        "Will the premiums stay affordable through retirement?",
        "Is any of their cover tied to a job they might leave?",
        "Does their home and property cover match what they own today?",
    ),
}


@dataclass(frozen=True)
class SolutionSeed:
    title: str
    topic: str
    problem: str
    approach: str
    keywords: str


SOLUTIONS: tuple[SolutionSeed, ...] = (
    SolutionSeed(
        "Sleepless over market swings",
        Topic.RETIREMENT,
        "The client loses sleep whenever markets drop and is tempted to sell everything.",
        "A risk review that sets the mix of investments by the income the client needs and "
        "the losses they can live with, and a plan for what to do when markets fall.",
        "volatility, volatile, market, markets, sleep, anxious, worried, losses, crash, risk",
    ),
    SolutionSeed(
        "No plan for retirement income",
        Topic.RETIREMENT,
        "The client is close to retiring and does not know what they can spend.",
        "A retirement income plan: what to draw, from which account, in which order, and "
        "when to claim pensions and Social Security.",
        "retire, retirement, retiring, income, pension, social security, spend",
    ),
    SolutionSeed(
        "Savings scattered across old plans",
        Topic.RETIREMENT,
        "Old workplace plans and accounts are spread across providers nobody reviews.",
        "Consolidate where it helps, invest the whole as one plan, and keep one statement.",
        "401k, 401(k), rollover, old plan, scattered, accounts, former employer",
    ),
    SolutionSeed(
        "No exit plan for the business",
        Topic.BUSINESS_OWNER,
        "The owner has no successor, no valuation and no idea what the business would fetch.",
        "A succession plan with the owner's other advisors: valuation, the right buyer, a "
        "funded buy-sell agreement, and what the owner lives on afterwards.",
        "succession, successor, exit, sell the business, buyer, buy-sell, valuation, take over",
    ),
    SolutionSeed(
        "Too much in one stock",
        Topic.TAX,
        "Most of the client's wealth sits in one company's shares, often their employer's.",
        "A staged plan to diversify that weighs the tax cost, with options and restricted "
        "stock handled on a schedule.",
        "concentrated, single stock, employer stock, stock options, rsu, shares",
    ),
    SolutionSeed(
        "Estate documents out of date",
        Topic.ESTATE,
        "The will, trusts or beneficiary designations no longer reflect the family.",
        "A review of titles and beneficiaries against the estate plan, done with the client's "
        "attorney, so the plan works as drafted.",
        "will, trust, beneficiary, beneficiaries, estate, outdated, out of date",
    ),
    SolutionSeed(
        "An heir the client does not trust",
        Topic.ESTATE,
        "The client fears a particular heir, or an heir's spouse, would waste an inheritance.",
        "Structures that pay out over time with a trustee's judgement, designed with the "
        "client's attorney and explained to the family.",
        "heir, son-in-law, daughter-in-law, spendthrift, inheritance, trust the, divorce",
    ),
    SolutionSeed(
        "Tax bills that come as a surprise",
        Topic.TAX,
        "The client's investments create tax bills they did not expect.",
        "Tax-aware investing: where each holding sits, harvesting losses, and planning gains "
        "with the client's CPA before year end.",
        "tax, taxes, tax bill, capital gains, distributions, penalty, surprise",
    ),
    SolutionSeed(
        "A sudden sum to invest",
        Topic.RETIREMENT,
        "The client has sold a business or property, or inherited, and the money sits idle.",
        "A plan for the lump sum: what to keep safe, what to invest and when, and what it "
        "changes in the client's taxes and estate.",
        "windfall, sale, sold, inheritance, inherited, lump sum, proceeds, cash",
    ),
    SolutionSeed(
        "Cover nobody has reviewed",
        Topic.INSURANCE,
        "Life or disability cover was bought years ago and no longer fits the family.",
        "An insurance needs review alongside the financial plan, so cover matches who depends "
        "on the client and for how long.",
        "life insurance, insurance, cover, coverage, policy, policies, underinsured, disability",
    ),
    SolutionSeed(
        "Worried about long-term care",
        Topic.INSURANCE,
        "The client fears the cost of care for themselves or their parents.",
        "A care funding plan: what care could cost, which assets would pay, and whether "
        "insurance is worth it.",
        "long-term care, nursing, care home, aging parents, elderly, dementia",
    ),
    SolutionSeed(
        "Giving without a plan",
        Topic.TAX,
        "The client gives generously but ad hoc, and wants a lasting legacy.",
        "A giving strategy: which assets to give, when, and through which vehicle.",
        "charity, charitable, donate, donation, giving, foundation, legacy",
    ),
    SolutionSeed(
        "Life after a loss or a divorce",
        Topic.ESTATE,
        "A client newly widowed or divorced must take over money matters alone.",
        "A calm transition plan: what must be done now, what can wait, and a clear picture "
        "of the new household's finances.",
        "widow, widowed, widower, divorce, divorced, death, passed away, spouse died",
    ),
)
