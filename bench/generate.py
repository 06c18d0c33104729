"""Seeded data for the benchmark: one firm of the size asked, written with bulk inserts.

Sizes (issue 20):
- solo: 1 advisor, 300 partners, 15,000 touches;
- bigbook: 1 advisor, 20,000 partners, 50,000 touches, 10,000 commitments, 5,000 referrals;
- firm: 200 advisors x 300 partners (60,000), 3,000,000 touches, 300,000 referrals,
  600,000 commitments, 10 teams.

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
from reciprocity.referrals.models import Direction, Kind, Referral, lifecycle_of
from reciprocity.referrals.services.ledger import referral_marks_refresh

PASSWORD = "bench"  # noqa: S105 (a generated book on a throwaway database)
LONG_TIMELINE_TOUCHES = 500
BATCH = 5_000


@dataclass(frozen=True)
class Size:
    advisors: int
    partners_each: int
    touches: int
    commitments: int
    referrals: int
    teams: int


SIZES = {
    "solo": Size(1, 300, 15_000, 600, 150, 0),
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
            Partner.objects.filter(firm=firm).order_by("pk").values_list("pk", "owner_id")
        )
        owner_of = dict(partner_rows)
        partner_ids = [pk for pk, _ in partner_rows]
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
        "teams": len(teams),
        "long_timeline_partner": long_timeline,
    }


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
