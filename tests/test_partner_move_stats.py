"""The first meeting and the furthest stage kept on the partner's row, and when each move was
left kept on the move: always what a recount of the recorded moves finds, whatever the writes
(create, move, merge, import), so that the funnel, the diagnoses and the balance read them as
they are instead of ordering the stage history."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity.partners.merge import partner_merge
from reciprocity.partners.models import (
    MET_STAGES,
    PIPELINE_STAGES,
    FailureReason,
    Partner,
    Profession,
    Stage,
    StageChange,
)
from reciprocity.partners.services import partner_change_stage, partner_create
from tests.conftest import Cast
from tests.test_import_run import run_import


def recount(partner: Partner) -> tuple[dt.datetime | None, str]:
    moves = list(StageChange.objects.filter(partner=partner))
    met = [move.occurred_at for move in moves if move.to_stage in MET_STAGES]
    reached = [move.to_stage for move in moves if move.to_stage in PIPELINE_STAGES]
    return min(met, default=None), max(reached, key=PIPELINE_STAGES.index, default="")


def stays_recounted(partner: Partner) -> dict[int, dt.datetime | None]:
    """Each move's end: the next move's moment, by time then id; none for the last."""
    moves = sorted(StageChange.objects.filter(partner=partner), key=lambda m: (m.occurred_at, m.pk))
    ends: list[dt.datetime | None] = [move.occurred_at for move in moves[1:]]
    return {move.pk: end for move, end in zip(moves, [*ends, None], strict=False)}


def assert_kept(partners: list[Partner]) -> None:
    for partner in partners:
        partner.refresh_from_db(fields=["first_met_at", "furthest_stage"])
        assert (partner.first_met_at, partner.furthest_stage) == recount(partner), partner.name
        kept = dict(StageChange.objects.filter(partner=partner).values_list("pk", "left_at"))
        assert kept == stays_recounted(partner), partner.name


moves = st.tuples(st.integers(0, 1), st.sampled_from(list(Stage)), st.integers(0, 3))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    starts=st.tuples(st.sampled_from(PIPELINE_STAGES), st.sampled_from(PIPELINE_STAGES)),
    met_before=st.tuples(st.booleans(), st.booleans()),
    operations=st.lists(moves, max_size=10),
    merge=st.booleans(),
)
def test_the_first_meeting_and_furthest_stage_match_a_recount_after_any_sequence_of_writes(
    cast: Cast,
    starts: tuple[Stage, Stage],
    met_before: tuple[bool, bool],
    operations: list[tuple[int, Stage, int]],
    merge: bool,
) -> None:
    start = timezone.now() - dt.timedelta(days=400)
    with transaction.atomic():
        partners = []
        for i, (stage, met) in enumerate(zip(starts, met_before, strict=True)):
            met_at = start + dt.timedelta(days=10 * i) if met and stage in MET_STAGES else None
            partners.append(
                partner_create(
                    by=cast.alice,
                    name=f"Partner {i}",
                    profession=Profession.CPA,
                    stage=stage,
                    first_met_at=met_at,
                    # At First meeting since the meeting itself.
                    occurred_at=met_at or start + dt.timedelta(days=20 + 10 * i),
                )
            )
        assert_kept(partners)
        for index, stage, days in operations:
            partner = partners[index]
            partner.refresh_from_db()
            if partner.stage == stage:
                continue
            partner_change_stage(
                partner=partner,
                by=cast.alice,
                stage=stage,
                reason=FailureReason.OTHER if stage == Stage.RETIRED else "",
                occurred_at=partner.stage_changed_at + dt.timedelta(days=days),
                qualify_anyway=True,
            )
            assert_kept(partners)
        if merge:
            partner_merge(user=cast.alice, keep=partners[0], other=partners[1])
            assert_kept(partners)
            # A move after the merge still keeps the earliest meeting of both histories.
            keep = partners[0]
            keep.refresh_from_db()
            following = Stage.CHAMPION if keep.stage != Stage.CHAMPION else Stage.ACTIVE
            partner_change_stage(partner=keep, by=cast.alice, stage=following)
            assert_kept(partners)
        transaction.set_rollback(True)


def test_an_import_keeps_the_first_meeting_and_furthest_stage_of_what_it_creates_and_moves(
    cast: Cast,
) -> None:
    header = "ID,Name,Profession,Stage,In stage since\n"
    run_import(
        cast.alice,
        header + "r1,Jane Doe,cpa,qualified,2025-01-02\nr2,Raj Patel,attorney,active,2025-02-03\n",
    )
    jane, raj = Partner.objects.filter(owner=cast.alice, name__in=["Jane Doe", "Raj Patel"])
    assert (jane.first_met_at, jane.furthest_stage) == (None, Stage.QUALIFIED)
    assert raj.furthest_stage == Stage.ACTIVE
    assert timezone.localdate(raj.first_met_at) == dt.date(2025, 2, 3)
    run_import(
        cast.alice,
        header + "r1,Jane Doe,cpa,due diligence,2025-06-01\nr2,Raj Patel,attorney,dormant,\n",
    )
    assert_kept([jane, raj])
    assert jane.furthest_stage == Stage.DUE_DILIGENCE
    assert timezone.localdate(jane.first_met_at) == dt.date(2025, 6, 1)
    assert raj.furthest_stage == Stage.ACTIVE
