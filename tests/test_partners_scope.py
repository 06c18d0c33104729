"""A scope of partners reads the same partners as a query of them and as conditions on the
partner a record points to."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from reciprocity.partners.models import Commitment
from reciprocity.partners.scope import PartnerScope
from tests.conftest import Cast
from tests.factories import CommitmentFactory, PartnerFactory

pytestmark = pytest.mark.django_db


def _both_readings(scope: PartnerScope) -> tuple[set[int], set[int]]:
    as_partners = set(
        Commitment.objects.filter(partner__in=scope.partners()).values_list("partner_id", flat=True)
    )
    as_conditions = set(
        Commitment.objects.filter(scope.among("partner")).values_list("partner_id", flat=True)
    )
    return as_partners, as_conditions


def test_both_readings_of_a_scope_find_the_same_partners_for_everyone_in_both_firms(
    cast: Cast,
) -> None:
    bobs_shared = PartnerFactory(owner=cast.bob, team=cast.north)
    carols = PartnerFactory(owner=cast.carol)
    archived = PartnerFactory(owner=cast.alice, archived_at=timezone.now())
    partners = [cast.alice_private, cast.alice_shared, cast.mallory_partner, bobs_shared, carols]
    for partner in [*partners, archived]:
        CommitmentFactory(partner=partner)
    readers = [cast.alice, cast.bob, cast.carol, cast.ada, cast.cole, cast.mallory]
    for reader in readers:
        for owner in (None, reader.pk, cast.alice.pk, cast.bob.pk):
            for ids in (None, [p.pk for p in partners[:2]], [archived.pk], []):
                as_partners, as_conditions = _both_readings(
                    PartnerScope(reader=reader, owner=owner, ids=ids)
                )
                assert as_partners == as_conditions, (reader.username, owner, ids)
                assert archived.pk not in as_conditions


def test_a_scope_holds_the_partners_its_reader_may_see_and_no_archived_one(cast: Cast) -> None:
    archived = PartnerFactory(owner=cast.alice, archived_at=timezone.now())
    for partner in (cast.alice_private, cast.alice_shared, cast.mallory_partner, archived):
        CommitmentFactory(partner=partner)
    alice = {cast.alice_private.pk, cast.alice_shared.pk}
    assert _both_readings(PartnerScope(reader=cast.alice)) == (alice, alice)
    assert _both_readings(PartnerScope(reader=cast.bob)) == ({cast.alice_shared.pk},) * 2
    assert _both_readings(PartnerScope(reader=cast.bob, owner=cast.bob.pk)) == (set(), set())
    assert _both_readings(PartnerScope(reader=cast.ada)) == (alice, alice)
    assert _both_readings(PartnerScope(reader=cast.mallory, owner=cast.alice.pk)) == (set(), set())


def test_a_visitor_who_is_not_signed_in_has_no_partners_in_scope(cast: Cast) -> None:
    CommitmentFactory(partner=cast.alice_private)
    scope = PartnerScope(reader=AnonymousUser())  # type: ignore[arg-type]
    assert _both_readings(scope) == (set(), set())
