"""The next step's due day kept on the partner's row: always what a recount of the open
commitments finds, whatever the writes, so that the board and the list can order by it."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity.partners.merge import partner_merge
from reciprocity.partners.models import Commitment, CommitmentStatus, Partner
from reciprocity.partners.selectors import board_columns
from reciprocity.partners.services import (
    commitment_complete,
    commitment_create,
    commitment_update,
)
from tests.conftest import Cast
from tests.factories import PartnerFactory


def recount(partner: Partner) -> dt.date | None:
    dues = Commitment.objects.filter(partner=partner, status=CommitmentStatus.OPEN).values_list(
        "due", flat=True
    )
    return min(dues, default=None)


def assert_kept(partners: list[Partner]) -> None:
    for partner in partners:
        partner.refresh_from_db(fields=["next_step_due"])
        assert partner.next_step_due == recount(partner), partner.name


creates = st.tuples(st.just("create"), st.integers(0, 1), st.integers(-5, 30))
changes = st.tuples(
    st.sampled_from(["complete", "drop", "reopen", "move"]),
    st.integers(0, 50),
    st.integers(-5, 30),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(st.one_of(creates, changes), max_size=12), merge=st.booleans())
def test_the_next_step_due_matches_a_recount_after_any_sequence_of_writes(
    cast: Cast, operations: list[tuple], merge: bool
) -> None:
    today = timezone.localdate()
    with transaction.atomic():
        partners = [
            PartnerFactory(owner=cast.alice, name="Ines Ortega"),
            PartnerFactory(owner=cast.alice, name="Jon Park"),
        ]
        made: list[Commitment] = []
        for name, index, days in operations:
            if name == "create":
                made.append(
                    commitment_create(
                        partner=partners[index],
                        by=cast.alice,
                        what="Send the checklist",
                        owner="advisor",
                        due=today + dt.timedelta(days=days),
                    )
                )
            elif made:
                commitment = made[index % len(made)]
                commitment.refresh_from_db()
                if name == "complete" and commitment.status == CommitmentStatus.OPEN:
                    commitment_complete(commitment=commitment, by=cast.alice)
                elif name == "drop":
                    commitment_update(
                        commitment=commitment, by=cast.alice, status=CommitmentStatus.DROPPED
                    )
                elif name == "reopen":
                    commitment_update(
                        commitment=commitment, by=cast.alice, status=CommitmentStatus.OPEN
                    )
                elif name == "move":
                    commitment_update(
                        commitment=commitment, by=cast.alice, due=today + dt.timedelta(days=days)
                    )
            assert_kept(partners)
        if merge:
            partner_merge(user=cast.alice, keep=partners[0], other=partners[1])
            assert_kept(partners)
        transaction.set_rollback(True)


def test_the_board_shows_the_most_urgent_next_steps_first(cast: Cast) -> None:
    today = timezone.localdate()
    later, sooner, none = (
        PartnerFactory(owner=cast.alice, name=name, stage="active")
        for name in ("Later", "Sooner", "No step")
    )
    for partner, days in ((later, 9), (sooner, 2), (later, 12)):
        commitment_create(
            partner=partner,
            by=cast.alice,
            what="Call",
            owner="advisor",
            due=today + dt.timedelta(days),
        )
    columns = {stage: cards for stage, cards, _ in board_columns(advisor=cast.alice).columns}
    shown = [card.name for card in columns["active"] if card.pk in {later.pk, sooner.pk, none.pk}]
    assert shown == ["Sooner", "Later", "No step"]
