"""Who sees which partner: the one access rule, at the selector layer."""

import pytest
from django.http import Http404

from reciprocity.partners.selectors import commitment_get_for, partner_get_for, partners_visible_to
from tests.conftest import Cast
from tests.factories import CommitmentFactory

pytestmark = pytest.mark.django_db


def visible_names(user: object, cast: Cast) -> set[str]:
    return set(partners_visible_to(advisor=user).values_list("name", flat=True))  # type: ignore[arg-type]


def test_an_advisor_sees_their_own_partners(cast: Cast) -> None:
    assert visible_names(cast.alice, cast) == {"Priya Private", "Sam Shared"}


def test_a_teammate_sees_shared_partners_and_not_private_ones(cast: Cast) -> None:
    assert visible_names(cast.bob, cast) == {"Sam Shared"}
    with pytest.raises(Http404):
        partner_get_for(advisor=cast.bob, pk=cast.alice_private.pk)


def test_an_advisor_outside_the_team_sees_neither(cast: Cast) -> None:
    assert visible_names(cast.carol, cast) == set()


def test_a_firm_admin_sees_all_of_the_firms_partners(cast: Cast) -> None:
    assert visible_names(cast.ada, cast) == {"Priya Private", "Sam Shared"}
    assert visible_names(cast.cole, cast) == {"Priya Private", "Sam Shared"}


def test_an_advisor_of_another_firm_gets_404_for_every_partner(cast: Cast) -> None:
    for partner in (cast.alice_private, cast.alice_shared):
        with pytest.raises(Http404):
            partner_get_for(advisor=cast.mallory, pk=partner.pk)
    with pytest.raises(Http404):
        commitment_get_for(advisor=cast.mallory, pk=CommitmentFactory(partner=cast.alice_shared).pk)


def test_a_malformed_id_is_a_404(cast: Cast) -> None:
    with pytest.raises(Http404):
        partner_get_for(advisor=cast.alice, pk="not-a-number")


def test_a_shared_partner_is_listed_once_for_a_team_of_many(cast: Cast) -> None:
    cast.north.members.add(cast.carol, cast.ada)
    assert partners_visible_to(advisor=cast.alice).count() == 2
