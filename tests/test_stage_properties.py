"""Property: whatever sequence of moves an advisor tries, the stage history tells the truth."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity.partners import services
from reciprocity.partners.models import FailureReason, Stage, StageChange
from tests.factories import PartnerFactory, UserFactory

moves = st.lists(
    st.tuples(
        st.sampled_from([*Stage.values, "won", ""]),
        st.sampled_from(["", *FailureReason.values, "bored"]),
    ),
    max_size=12,
)


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moves=moves)
def test_the_stage_history_matches_every_accepted_move(moves: list[tuple[str, str]]) -> None:
    user = UserFactory()
    partner = PartnerFactory(owner=user)
    accepted: list[tuple[str, str]] = []
    for stage, reason in moves:
        before = partner.stage
        try:
            services.partner_change_stage(partner=partner, by=user, stage=stage, reason=reason)
        except ValidationError:
            partner.refresh_from_db()
            assert partner.stage == before
            valid = stage in Stage.values and reason in ["", *FailureReason.values]
            assert not valid or stage == before or (stage == Stage.RETIRED and not reason)
            continue
        accepted.append((before, stage))
        assert stage != Stage.RETIRED or reason

    history = StageChange.objects.filter(partner=partner).order_by("occurred_at", "pk")
    assert [(c.from_stage, c.to_stage) for c in history] == accepted
    partner.refresh_from_db()
    assert partner.stage == (accepted[-1][1] if accepted else Stage.IDENTIFIED)
