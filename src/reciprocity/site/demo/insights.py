"""Stalled alliances in the demo book, one for each diagnosis of a partner.

The random book shows healthy and lapsing partners; these six are written on purpose, so that
the dashboard and the partner pages show every diagnosis whatever the seed: a CPA met fifteen
months ago who never referred (``no_referral_yet``), an attorney the advisor keeps sending
clients to (``one_way``), a business broker who could not say the advisor's message back
(``wrong_message``), a banker at a firm that takes no new clients (``wrong_firm``), an
insurance agent who does not refer (``wrong_professional``) and a realtor nobody has called in
most of a year (``gone_cold``).

Written through the services after the rest of the demo, oldest event first, with dates relative
to the moment it runs, so every record carries history like an advisor's own.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.partners.models import Partner, Profession, Stage
from reciprocity.partners.services import (
    commitment_create,
    partner_change_stage,
    partner_create,
    touch_log,
)
from reciprocity.playbook.services.message import message_check_record
from reciprocity.referrals.models import Direction, ReferralStatus
from reciprocity.referrals.selectors import steps_of
from reciprocity.referrals.services.ledger import referral_change_status, referral_create
from reciprocity.referrals.services.steps import referral_step_complete, referral_step_skip

OWNER = "demo"


class Counts(Protocol):
    """What the demo's summary counts (book.DemoSummary)."""

    partners: int
    touches: int
    stage_changes: int
    commitments: int
    referrals: int


@dataclass(frozen=True)
class Stalled:
    name: str
    profession: str
    profile: dict[str, Any]
    # (days ago, stage), oldest first; the first is the stage the partner was added in.
    stages: list[tuple[int, str]]
    # (days ago, kind, summary)
    touches: list[tuple[int, str, str]]
    # Days ago of referrals sent (each walked through the protocol), with the client's need.
    sent: list[tuple[int, str]] = field(default_factory=list)
    # (days ago, what they said) of a message check they failed.
    failed_check: tuple[int, str] | None = None
    next_step: str = ""


STALLED = [
    Stalled(
        name="Harold Brightwater",
        profession=Profession.CPA,
        profile={
            "organization": "Brightwater & Lowe CPAs",
            "organization_size": "small",
            "niche": "Owners of family businesses and their heirs",
            "specialties": "Business tax returns, succession planning",
            "growth_mode": True,
            "propensity_to_refer": "medium",
            "can_describe_value": "yes",
            "preferred_referral_process": "email_thread",
        },
        stages=[
            (470, Stage.IDENTIFIED),
            (462, Stage.QUALIFIED),
            (450, Stage.FIRST_MEETING),
            (420, Stage.DUE_DILIGENCE),
            (330, Stage.PROPOSED),
        ],
        touches=[
            (450, "meeting", "First meeting with Harold: his clients are family businesses."),
            (420, "meeting", "Due diligence: Harold walked through his year-end process."),
            (390, "email", "Sent Harold our succession-planning checklist."),
            (330, "meeting", "Partnership meeting: asked Harold to think of owners near a sale."),
            (290, "call", "Caught up with Harold after tax season."),
            (240, "gift", "Sent Harold a book on family-business transitions."),
            (200, "email", "Invited Harold to our spring seminar; he could not come."),
            (150, "call", "Quarterly call with Harold: busy, nothing to pass on."),
            (100, "event", "Saw Harold at the chamber breakfast."),
            (60, "call", "Called Harold; he said he would keep us in mind."),
            (20, "email", "Sent Harold the year-end planning letter."),
        ],
        next_step="Lunch with Harold to ask about one of his owners near a sale",
    ),
    Stalled(
        name="Beatrice Fairweather",
        profession=Profession.ATTORNEY,
        profile={
            "organization": "Fairweather Estate Law",
            "organization_size": "solo",
            "niche": "Widows and widowers settling an estate",
            "specialties": "Wills, trusts, probate",
            "growth_mode": True,
            "propensity_to_refer": "medium",
            "can_describe_value": "yes",
            "preferred_referral_process": "conference_call",
        },
        stages=[(300, Stage.FIRST_MEETING), (270, Stage.DUE_DILIGENCE), (240, Stage.PROPOSED)],
        touches=[
            (300, "meeting", "First meeting with Beatrice at her office."),
            (270, "meeting", "Due diligence: Beatrice explained how she settles estates."),
            (240, "meeting", "Partnership meeting: talked about the clients we share."),
        ],
        sent=[
            (210, "A widowed client needs her trust updated"),
            (130, "A retiring client needs a new will"),
            (60, "A client caring for a parent needs a power of attorney"),
        ],
    ),
    Stalled(
        name="Milton Quayle",
        profession=Profession.BUSINESS_BROKER,
        profile={
            "organization": "Quayle Business Brokers",
            "organization_size": "small",
            "niche": "Owners selling a main-street business",
            "specialties": "Valuations, buyer search",
            "growth_mode": True,
            "propensity_to_refer": "high",
            "preferred_referral_process": "face_to_face",
        },
        stages=[(160, Stage.FIRST_MEETING), (130, Stage.DUE_DILIGENCE), (100, Stage.PROPOSED)],
        touches=[
            (160, "meeting", "First meeting with Milton about the owners he represents."),
            (130, "meeting", "Due diligence: Milton's deals and who his sellers are."),
            (100, "meeting", "Partnership meeting: presented our practice to Milton."),
            (40, "call", "Asked Milton how he would describe us to a seller."),
        ],
        failed_check=(40, "You do investments for retired people, right?"),
    ),
    Stalled(
        name="Walter Greystone",
        profession=Profession.BANKER,
        profile={
            "organization": "Greystone Private Bank",
            "organization_size": "large",
            "niche": "Long-standing private banking clients",
            "specialties": "Credit lines, trust accounts",
            "growth_mode": False,
            "propensity_to_refer": "medium",
            "can_describe_value": "unknown",
        },
        stages=[(420, Stage.FIRST_MEETING), (370, Stage.DUE_DILIGENCE)],
        touches=[
            (420, "meeting", "First meeting with Walter: his bank serves the same old families."),
            (370, "meeting", "Due diligence: Walter takes on almost no new clients."),
            (90, "email", "Sent Walter our retirement-income guide."),
        ],
    ),
    Stalled(
        name="Dolores Ashcombe",
        profession=Profession.INSURANCE_AGENT,
        profile={
            "organization": "Ashcombe Insurance Agency",
            "organization_size": "small",
            "niche": "Young families buying their first policies",
            "specialties": "Term life, disability",
            "growth_mode": True,
            "propensity_to_refer": "low",
            "can_describe_value": "unknown",
        },
        stages=[(430, Stage.FIRST_MEETING), (380, Stage.DUE_DILIGENCE)],
        touches=[
            (430, "meeting", "First meeting with Dolores."),
            (380, "meeting", "Due diligence: Dolores keeps every client to herself."),
            (300, "call", "Called Dolores about a shared client; she preferred to handle it."),
            (200, "email", "Sent Dolores our newsletter."),
            (90, "call", "Quarterly call with Dolores."),
        ],
    ),
    Stalled(
        name="Rosalind Vantreight",
        profession=Profession.REALTOR,
        profile={
            "organization": "Vantreight Realty",
            "organization_size": "small",
            "niche": "Retirees moving to a smaller home",
            "specialties": "Downsizing, estate sales",
            "growth_mode": True,
            "propensity_to_refer": "medium",
            "can_describe_value": "unknown",
        },
        stages=[(480, Stage.FIRST_MEETING), (440, Stage.DUE_DILIGENCE)],
        touches=[
            (480, "meeting", "First meeting with Rosalind about clients who downsize."),
            (440, "meeting", "Due diligence: Rosalind's sellers and where they move."),
            (330, "email", "Sent Rosalind our guide to selling a family home in retirement."),
        ],
    ),
]


def _moment(days_ago: int, *, hour: int = 10) -> dt.datetime:
    """Mid-morning ``days_ago`` days back, never later than now."""
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    when = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))
    return min(when, timezone.now() - dt.timedelta(minutes=5))


def _send(partner: Partner, *, days_ago: int, need: str, by: User, counts: Counts) -> None:
    """A referral sent the protocol's way: consented, introduced and, once old enough, engaged;
    each step done is a touch."""
    sent_at = _moment(days_ago, hour=9)
    referral = referral_create(
        by=by,
        partner=partner,
        direction=Direction.SENT,
        need=need,
        status=ReferralStatus.CONSENT_GIVEN,
        occurred_at=sent_at,
        client_name="A client of ours",
        consent_method="verbal",
        consent_at=sent_at,
        client_has_professional="no",
    )
    counts.referrals += 1
    moves = [(6, ReferralStatus.INTRODUCED), (6, ReferralStatus.MEETING_HELD)]
    moves += [(20, ReferralStatus.ENGAGED)] if days_ago > 20 else []
    for offset, status in moves:
        referral_change_status(
            referral=referral, by=by, status=status, occurred_at=_moment(days_ago - offset)
        )
    for offset, step in enumerate(steps_of(referral=referral)):
        if offset * 5 <= days_ago:
            when = _moment(days_ago - offset * 5, hour=11)
            referral_step_complete(step=step, by=by, occurred_at=when)
            counts.touches += 1
        elif referral.is_closed:
            referral_step_skip(step=step, by=by)


def _write(stalled: Stalled, *, by: User, counts: Counts) -> None:
    first_days, first_stage = stalled.stages[0]
    partner = partner_create(
        by=by,
        name=stalled.name,
        profession=stalled.profession,
        stage=first_stage,
        occurred_at=_moment(first_days, hour=9),
        **stalled.profile,
    )
    Partner.objects.filter(pk=partner.pk).update(created_at=_moment(first_days, hour=9))
    counts.partners += 1
    counts.stage_changes += 1
    # (days ago, rank, event): moves before touches before referrals of the same day.
    events: list[tuple[int, int, Any]] = [(d, 0, stage) for d, stage in stalled.stages[1:]]
    events += [(d, 1, (kind, text)) for d, kind, text in stalled.touches]
    events += [(d, 2, need) for d, need in stalled.sent]
    for days_ago, rank, event in sorted(events, key=lambda e: (-e[0], e[1])):
        if rank == 0:
            partner_change_stage(
                partner=partner,
                by=by,
                stage=event,
                occurred_at=_moment(days_ago, hour=9),
                qualify_anyway=True,
            )
            counts.stage_changes += 1
        elif rank == 1:
            kind, text = event
            touch_log(
                partner=partner, by=by, kind=kind, summary=text, occurred_at=_moment(days_ago)
            )
            counts.touches += 1
        else:
            _send(partner, days_ago=days_ago, need=event, by=by, counts=counts)
    if stalled.failed_check is not None:
        days_ago, heard = stalled.failed_check
        message_check_record(
            partner=partner,
            by=by,
            result="no",
            heard=heard,
            occurred_at=_moment(days_ago, hour=15),
        )
    if stalled.next_step:
        commitment_create(
            partner=partner,
            by=by,
            what=stalled.next_step,
            owner="advisor",
            due=timezone.localdate() + dt.timedelta(days=9),
        )
        counts.commitments += 1


def load_insights_demo(*, advisors: dict[str, User], counts: Counts) -> None:
    """Add the stalled alliances to the demo advisor's book."""
    for stalled in STALLED:
        _write(stalled, by=advisors[OWNER], counts=counts)
