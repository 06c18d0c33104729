"""Seeded data for the benchmark: one firm of the size asked, written with bulk inserts.

Sizes (issue 20):
- solo: 1 advisor, 300 partners, 15,000 touches, 3,000 commitments, 1,500 referrals: one
  advisor's share of the firm, so that a page's growth from solo to firm is the same book
  among the firm's;
- bigbook: 1 advisor, 20,000 partners, 50,000 touches, 10,000 commitments, 5,000 referrals;
- firm: 200 advisors x 300 partners (60,000), 3,000,000 touches, 300,000 referrals,
  600,000 commitments, 10 teams.

Every size has, as real books do, the protocol's steps of each referral sent (most long done,
some skipped, the recent ones and a few forgotten in flight), opportunities from the referral
strategies (a tenth of the partners) and meetings planned (one partner in twenty).

The first advisor (``bench0``) has 300 partners in solo and firm, the whole big book in bigbook;
one of their partners (the "long timeline") has 500 touches. ``benchadmin`` is the firm admin.
Histories are not written (bulk inserts bypass them): the pages measured do not read them.
"""

import datetime as dt
import random
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from reciprocity.accounts.models import Role, Team, User
from reciprocity.accounts.services import firm_create
from reciprocity.partners.models import (
    LAST_TOUCH_KINDS,
    PIPELINE_STAGES,
    Commitment,
    CommitmentOwner,
    CommitmentStatus,
    Partner,
    Profession,
    Propensity,
    Stage,
    StageChange,
    Touch,
    TouchKind,
)
from reciprocity.partners.services import record_move
from reciprocity.playbook.models import (
    Meeting,
    MeetingKind,
    MeetingStatus,
    Opportunity,
    OpportunityStatus,
    Strategy,
)
from reciprocity.referrals.models import (
    STEP_DUE_AFTER_DAYS,
    Direction,
    Kind,
    Referral,
    ReferralStep,
    lifecycle_of,
)
from reciprocity.referrals.services.ledger import referral_marks_refresh
from reciprocity.referrals.services.protocols import protocol_template_for

PASSWORD = "bench"  # noqa: S105 (a generated book on a throwaway database)
LONG_TIMELINE_TOUCHES = 500
BATCH = 5_000
# A step due is done (or, one time in ten, skipped) within a few days, but for this share of
# them, forgotten: it and the referral's later steps stay in flight.
FORGOTTEN = 0.03
SKIPPED = 0.1
# Shares of the partners with an open opportunity, and with a meeting planned.
OPPORTUNITIES = 0.1
MEETINGS = 0.05


@dataclass(frozen=True)
class Size:
    advisors: int
    partners_each: int
    touches: int
    commitments: int
    referrals: int
    teams: int


SIZES = {
    "solo": Size(1, 300, 15_000, 3_000, 1_500, 0),
    "bigbook": Size(1, 20_000, 50_000, 10_000, 5_000, 0),
    "firm": Size(200, 300, 3_000_000, 600_000, 300_000, 10),
}
LAST_NAMES = [
    "Smith",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Lopez",
    "Wilson",
    "Moore",
    "Taylor",
    "Thomas",
    "Lee",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "King",
    "Wright",
    "Scott",
]
FIRST_NAMES = ["Ana", "Ben", "Cara", "Dan", "Eva", "Finn", "Gia", "Hal", "Ivy", "Jon", "Kim"]
STAGES = list(Stage.values)
STAGE_WEIGHTS = [20, 15, 12, 10, 8, 10, 5, 10, 10]


def _path_to(stage: str, rng: random.Random) -> list[str]:
    """The stages a partner went through to ``stage``, one move each: the pipeline in order
    (some skip a stage), then dormant or retired from somewhere along it."""
    pipeline = [s.value for s in PIPELINE_STAGES]
    if stage in pipeline:
        walked = pipeline[: pipeline.index(stage) + 1]
    else:
        walked = [*pipeline[: rng.randint(1, 6)], stage]
    if len(walked) == 1:
        return walked
    return [walked[0], *(s for s in walked[1:-1] if rng.random() < 0.8), walked[-1]]


def _bulk(model: Any, rows: list[Any]) -> None:
    for start in range(0, len(rows), BATCH):
        model.objects.bulk_create(rows[start : start + BATCH])


def _ids(model: Any, **filters: Any) -> list[int]:
    return list(model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True))


def generate(size_name: str, *, seed: int = 20) -> dict[str, Any]:
    """Fill an empty, migrated database; returns what was made and how long it took."""
    size = SIZES[size_name]
    rng = random.Random(seed)
    started = time.perf_counter()
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        firm = firm_create(name="Bench Wealth", slug="bench")
        advisors = [
            User(firm=firm, username=f"bench{i}", first_name=f"Advisor{i}", role=Role.ADVISOR)
            for i in range(size.advisors)
        ]
        admin = User(firm=firm, username="benchadmin", first_name="Admin", role=Role.FIRM_ADMIN)
        for user in [*advisors, admin]:
            user.set_password(PASSWORD)
        User.objects.bulk_create([*advisors, admin])
        advisors = list(User.objects.filter(username__startswith="bench", role=Role.ADVISOR))
        advisors.sort(key=lambda user: int(user.username[5:]))
        teams = []
        if size.teams:
            Team.objects.bulk_create([Team(firm=firm, name=f"Team {i}") for i in range(size.teams)])
            teams = list(Team.objects.filter(firm=firm).order_by("pk"))
            per_team = max(1, len(advisors) // len(teams))
            Team.members.through.objects.bulk_create(
                [
                    Team.members.through(team_id=teams[i // per_team % len(teams)].pk, user_id=a.pk)
                    for i, a in enumerate(advisors)
                ]
            )
        team_of = {
            a.pk: teams[i // max(1, len(advisors) // len(teams)) % len(teams)].pk if teams else None
            for i, a in enumerate(advisors)
        }

        partners = []
        moves: list[list[tuple[str, dt.datetime]]] = []  # each partner's, oldest first
        for advisor in advisors:
            for n in range(size.partners_each):
                changed = now - dt.timedelta(days=rng.randint(1, 900), minutes=rng.randint(0, 999))
                partner = Partner(
                    firm=firm,
                    owner=advisor,
                    team_id=team_of[advisor.pk] if rng.random() < 0.2 else None,
                    name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {n}",
                    profession=rng.choice(Profession.values),
                    organization=f"{rng.choice(LAST_NAMES)} & Co {n % 997}",
                    propensity_to_refer=rng.choice([None, *Propensity.values]),
                    growth_mode=rng.choice([None, True, False]),
                    stage=rng.choices(STAGES, STAGE_WEIGHTS)[0],
                    stage_changed_at=changed,
                )
                # Its moves, recorded below, as the stage writes keep them.
                path = _path_to(partner.stage, rng)
                moments = [changed]
                for _ in path[1:]:
                    moments.append(moments[-1] - dt.timedelta(days=rng.randint(7, 120)))
                moves.append(list(zip(path, reversed(moments), strict=True)))
                for stage, moment in moves[-1]:
                    record_move(partner, stage, moment)
                partners.append(partner)
        _bulk(Partner, partners)
        partner_rows = list(
            Partner.objects.filter(firm=firm)
            .order_by("pk")
            .values_list("pk", "owner_id", "profession")
        )
        owner_of = {pk: owner for pk, owner, _ in partner_rows}
        profession_of = {pk: profession for pk, _, profession in partner_rows}
        partner_ids = [pk for pk, _, _ in partner_rows]
        # The partners were inserted in the order they were made, and are read back in it.
        _bulk(
            StageChange,
            [
                StageChange(
                    partner_id=pk,
                    from_stage=path[i - 1][0] if i else "",
                    to_stage=stage,
                    occurred_at=moment,
                    left_at=path[i + 1][1] if i + 1 < len(path) else None,
                    reason="other" if stage == Stage.RETIRED else "",
                    by_id=owner_of[pk],
                )
                for pk, path in zip(partner_ids, moves, strict=True)
                for i, (stage, moment) in enumerate(path)
            ],
        )
        long_timeline = partner_ids[0]
        touch_count: dict[int, int] = {}
        # Each partner's last touch of each sort (``LAST_TOUCH_KINDS``), by column.
        last_touch: dict[str, dict[int, dt.datetime]] = {c: {} for c in LAST_TOUCH_KINDS}
        kinds = TouchKind.values
        remaining = size.touches
        first = True
        while remaining > 0:
            rows = []
            for _ in range(min(remaining, 50_000)):
                if first and len(rows) < LONG_TIMELINE_TOUCHES:
                    pk = long_timeline
                else:
                    pk = partner_ids[rng.randrange(len(partner_ids))]
                at = now - dt.timedelta(days=rng.randint(0, 900), minutes=rng.randint(0, 1440))
                touch_count[pk] = touch_count.get(pk, 0) + 1
                kind = rng.choice(kinds)
                for column, counted in LAST_TOUCH_KINDS.items():
                    last = last_touch[column]
                    if (counted is None or kind in counted) and (pk not in last or at > last[pk]):
                        last[pk] = at
                rows.append(
                    Touch(
                        partner_id=pk,
                        kind=kind,
                        summary="Talked about clients",
                        occurred_at=at,
                        by_id=owner_of[pk],
                    )
                )
            first = False
            _bulk(Touch, rows)
            remaining -= len(rows)
        _update_touch_columns(touch_count, last_touch)

        rows = []
        next_due: dict[int, dt.date] = {}
        for i in range(size.commitments):
            pk = partner_ids[rng.randrange(len(partner_ids))]
            status = CommitmentStatus.OPEN if rng.random() < 0.5 else CommitmentStatus.DONE
            due = today + dt.timedelta(days=rng.randint(-90, 60))
            if status == CommitmentStatus.OPEN:
                next_due[pk] = min(due, next_due.get(pk, due))
            rows.append(
                Commitment(
                    partner_id=pk,
                    what=f"Send the planning checklist {i}",
                    owner=rng.choice(CommitmentOwner.values),
                    due=due,
                    status=status,
                    completed_at=now if status == CommitmentStatus.DONE else None,
                    by_id=owner_of[pk],
                )
            )
            if len(rows) >= 50_000:
                _bulk(Commitment, rows)
                rows = []
        _bulk(Commitment, rows)
        _update_next_step_column(next_due)

        rows = []
        for i in range(size.referrals):
            pk = partner_ids[rng.randrange(len(partner_ids))]
            direction = rng.choice(Direction.values)
            kind = Kind.REFERRAL if rng.random() < 0.8 else Kind.CONNECTION
            at = now - dt.timedelta(days=rng.randint(0, 900))
            rows.append(
                Referral(
                    firm=firm,
                    partner_id=pk,
                    direction=direction,
                    kind=kind,
                    need=f"Estate plan for a business owner {i}",
                    status=lifecycle_of(direction, kind).initial,
                    occurred_at=at,
                    status_changed_at=at,
                    by_id=owner_of[pk],
                )
            )
            if len(rows) >= 50_000:
                _bulk(Referral, rows)
                rows = []
        _bulk(Referral, rows)
        for start in range(0, len(partner_ids), BATCH):
            referral_marks_refresh(partner_ids[start : start + BATCH])
        steps = _steps(firm.pk, profession_of, rng, now=now)
        opportunities, meetings = _playbook(partner_ids, owner_of, rng, now=now, today=today)
    # The planner's statistics and the visibility map (index-only scans), as autovacuum would
    # leave a table after a load this size.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {
        "size": size_name,
        "seconds": round(time.perf_counter() - started, 1),
        "advisors": len(advisors),
        "partners": len(partner_ids),
        "touches": size.touches,
        "stage_changes": sum(len(path) for path in moves),
        "commitments": size.commitments,
        "referrals": size.referrals,
        "referral_steps": steps,
        "opportunities": opportunities,
        "meetings": meetings,
        "teams": len(teams),
        "long_timeline_partner": long_timeline,
    }


def _steps(
    firm_id: int, profession_of: dict[int, str], rng: random.Random, *, now: dt.datetime
) -> int:
    """The protocol's steps of every referral sent, as the services make and work them: each
    due so many days after the referral or the step before (``STEP_DUE_AFTER_DAYS``), done or
    skipped by then unless it is not due yet or was forgotten; the first left in flight counts
    its days from the last one finished (``due_from``, as ``referral_next_step_refresh`` keeps
    it). Returns how many."""
    templates = {
        profession: protocol_template_for(firm_id=firm_id, profession=profession).steps
        for profession in set(profession_of.values())
    }
    sent = (
        Referral.objects.filter(firm_id=firm_id, direction=Direction.SENT, kind=Kind.REFERRAL)
        .order_by("pk")
        .values_list("pk", "partner_id", "occurred_at")
    )
    rows: list[ReferralStep] = []
    made = 0
    for referral_id, partner_id, occurred_at in list(sent):
        counted_from, in_flight = occurred_at, False
        for position, step in enumerate(templates[profession_of[partner_id]], start=1):
            row = ReferralStep(
                referral_id=referral_id, slug=step["slug"], label=step["label"], position=position
            )
            due = counted_from + dt.timedelta(days=STEP_DUE_AFTER_DAYS[step["slug"]])
            if not in_flight and (due > now or rng.random() < FORGOTTEN):
                in_flight, row.due_from = True, counted_from
            elif not in_flight:
                finished = min(due + dt.timedelta(hours=rng.randint(1, 72)), now)
                if rng.random() < SKIPPED:
                    row.skipped_at = finished
                else:
                    row.done_at = finished
                counted_from = max(counted_from, finished)
            rows.append(row)
        if len(rows) >= 50_000:
            _bulk(ReferralStep, rows)
            made, rows = made + len(rows), []
    _bulk(ReferralStep, rows)
    return made + len(rows)


def _playbook(
    partner_ids: list[int],
    owner_of: dict[int, int],
    rng: random.Random,
    *,
    now: dt.datetime,
    today: dt.date,
) -> tuple[int, int]:
    """Open opportunities to ask for by a day around today, and meetings planned around now,
    some of them past (not yet recorded as held). Returns how many of each."""
    opportunities = [
        Opportunity(
            partner_id=pk,
            strategy=rng.choice(Strategy.values),
            title=f"Introduce the tax review to a client of theirs {pk}",
            status=OpportunityStatus.OPEN,
            ask_by=today + dt.timedelta(days=rng.randint(-30, 30)),
            by_id=owner_of[pk],
        )
        for pk in partner_ids
        if rng.random() < OPPORTUNITIES
    ]
    meetings = [
        Meeting(
            partner_id=pk,
            kind=rng.choice(MeetingKind.values),
            scheduled_for=now + dt.timedelta(hours=rng.randint(-10 * 24, 30 * 24)),
            status=MeetingStatus.PLANNED,
            by_id=owner_of[pk],
        )
        for pk in partner_ids
        if rng.random() < MEETINGS
    ]
    _bulk(Opportunity, opportunities)
    _bulk(Meeting, meetings)
    return len(opportunities), len(meetings)


def _update_next_step_column(due: dict[int, dt.date]) -> None:
    """The partners' next step due day, as the commitments' writes keep it."""
    rows = Partner.objects.in_bulk(list(due))
    for pk, partner in rows.items():
        partner.next_step_due = due[pk]
    Partner.objects.bulk_update(list(rows.values()), ["next_step_due"], BATCH)


def _update_touch_columns(count: dict[int, int], last: dict[str, dict[int, dt.datetime]]) -> None:
    """The partners' derived touch columns, as the services keep them."""
    rows = Partner.objects.in_bulk(list(count))
    for pk, partner in rows.items():
        partner.touch_count = count[pk]
        for column, moments in last.items():
            setattr(partner, column, moments.get(pk))
    Partner.objects.bulk_update(list(rows.values()), ["touch_count", *last], BATCH)
