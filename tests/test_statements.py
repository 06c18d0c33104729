"""A read compiled once per shape: the same rows as the ORM for each call's ids (and moment),
compiled again only for another shape, the values converted as the ORM converts them."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    DecimalField,
    F,
    Max,
    Q,
    QuerySet,
    Value,
)
from django.test.utils import CaptureQueriesContext

from reciprocity import statements
from reciprocity.partners.models import Partner
from reciprocity.statements import models_of, values_of
from tests.conftest import Cast
from tests.factories import PartnerFactory, TouchFactory, ago

pytestmark = pytest.mark.django_db


class Builder:
    """A read of partners with a count, a date and a datetime, counting its builds."""

    def __init__(self) -> None:
        self.built = 0

    def __call__(self, ids: list[int]) -> QuerySet[Any]:
        self.built += 1
        return (
            Partner.objects.filter(pk__in=ids)
            .annotate(touched=Count("touches"), last=Max("touches__occurred_at"))
            .annotate(twice=F("touched") * 2)
            .values("id", "name", "stage_changed_at", "touched", "last", "twice")
        )


def by_id(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {row["id"]: row for row in rows}


def test_a_statement_answers_what_the_orm_answers_for_other_ids_of_the_same_number(
    cast: Cast,
) -> None:
    partners = [PartnerFactory(owner=cast.alice) for _ in range(4)]
    for days, partner in enumerate(partners):
        TouchFactory(partner=partner, occurred_at=ago(days + 1))
    build = Builder()
    key = ("test", "same number")

    first = values_of(Partner, build, [partners[0].pk, partners[1].pk], key=key)
    second = values_of(Partner, build, [partners[3].pk, partners[2].pk], key=key)

    assert build.built == 1
    assert by_id(first) == by_id(list(build([partners[0].pk, partners[1].pk])))
    assert by_id(second) == by_id(list(build([partners[2].pk, partners[3].pk])))
    assert {row["touched"] for row in second} == {1}
    assert all(row["last"].tzinfo is not None for row in second)


def test_another_number_of_ids_or_another_key_compiles_again(cast: Cast) -> None:
    partners = [PartnerFactory(owner=cast.alice) for _ in range(3)]
    build = Builder()

    values_of(Partner, build, [p.pk for p in partners[:2]], key=("test", "numbers"))
    rows = values_of(Partner, build, [p.pk for p in partners], key=("test", "numbers"))
    values_of(Partner, build, [p.pk for p in partners], key=("test", "other key"))

    assert build.built == 3
    assert {row["id"] for row in rows} == {p.pk for p in partners}


def test_repeated_ids_are_read_once_and_no_ids_read_nothing(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice)
    build = Builder()

    rows = values_of(Partner, build, [partner.pk, partner.pk], key=("test", "repeats"))
    with CaptureQueriesContext(connection) as queries:
        nothing = values_of(Partner, build, [], key=("test", "repeats"))

    assert [row["id"] for row in rows] == [partner.pk]
    assert nothing == []
    assert len(queries) == 0


def test_a_statement_that_drops_an_id_is_refused(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice)

    def first_only(ids: list[int]) -> QuerySet[Any]:
        return Partner.objects.filter(pk__in=ids[:1]).values("id")

    with pytest.raises(ValueError, match="every stand-in"):
        values_of(Partner, first_only, [partner.pk, partner.pk + 1], key=("test", "drops"))


class ModelsBuilder:
    """A read of partners with their owner, and their touches counted up to a moment."""

    def __init__(self) -> None:
        self.built = 0

    def __call__(self, ids: list[int], now: dt.datetime) -> QuerySet[Partner]:
        self.built += 1
        return (
            Partner.objects.filter(pk__in=ids)
            .select_related("owner")
            .annotate(touched=Count("touches", filter=Q(touches__occurred_at__lte=now)))
            .annotate(last=Max("touches__occurred_at", filter=Q(touches__occurred_at__lte=now)))
            .order_by("pk")
        )


def read(partners: list[Partner]) -> list[tuple[Any, ...]]:
    return [(p.pk, p.name, p.owner.username, p.touched, p.last) for p in partners]


def test_instances_are_what_the_orm_makes_for_other_ids_and_another_moment(cast: Cast) -> None:
    partners = [PartnerFactory(owner=cast.alice) for _ in range(3)]
    partners.append(PartnerFactory(owner=cast.bob))
    for days, partner in enumerate(partners):
        TouchFactory(partner=partner, occurred_at=ago(days + 1))
        TouchFactory(partner=partner, occurred_at=ago(10))
    build = ModelsBuilder()
    key = ("test", "instances")
    before = ago(3.5)

    first = models_of(Partner, build, [partners[0].pk, partners[1].pk], now=ago(0), key=key)
    with CaptureQueriesContext(connection) as queries:
        second = models_of(Partner, build, [partners[3].pk, partners[2].pk], now=before, key=key)
        owners = [partner.owner.username for partner in second]

    assert build.built == 1
    assert len(queries) == 1
    assert owners == ["alice", "bob"]
    assert read(first) == read(list(build([partners[0].pk, partners[1].pk], ago(0))))
    assert read(second) == read(list(build([partners[2].pk, partners[3].pk], before)))
    assert [p.touched for p in second] == [1, 2]
    assert all(p.last is not None and p.last.tzinfo is not None for p in second)


def test_a_statement_of_instances_that_drops_the_moment_is_refused(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice)

    def timeless(ids: list[int], now: dt.datetime) -> QuerySet[Partner]:
        return Partner.objects.filter(pk__in=ids)

    with pytest.raises(ValueError, match="every stand-in"):
        models_of(Partner, timeless, [partner.pk], now=ago(0), key=("test", "timeless"))


def test_a_statement_that_holds_no_ids_depends_on_its_key_alone(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice, name="Ann Lee")
    build = Builder()
    owners = ModelsBuilder()

    def named(ids: list[int]) -> QuerySet[Any]:
        return build([partner.pk]).filter(name="Ann Lee")

    first = values_of(Partner, named, None, key=("test", "no ids"))
    PartnerFactory(owner=cast.alice, name="Ann Lee")
    second = values_of(Partner, named, None, key=("test", "no ids"))
    instances = models_of(
        Partner, lambda ids, now: owners([partner.pk], now), None, key=("test", "no ids")
    )

    assert build.built == 1
    assert [row["id"] for row in first] == [row["id"] for row in second] == [partner.pk]
    assert [p.owner.username for p in instances] == ["alice"]


def test_a_statement_that_can_have_no_rows_answers_none(cast: Cast) -> None:
    PartnerFactory(owner=cast.alice)

    def nothing(ids: list[int]) -> QuerySet[Any]:
        return Partner.objects.none().values("id")

    with CaptureQueriesContext(connection) as queries:
        rows = values_of(Partner, nothing, None, key=("test", "none"))

    assert rows == []
    assert len(queries) == 0


def test_a_statement_sends_what_the_orm_sends_its_constants_written_in_where_bound_on_the_client(
    cast: Cast,
) -> None:
    # Percent signs, quotes and a placeholder's look-alike among the constants, in a pattern
    # and in values; a moment, a decimal, a truth value and a null.
    partners = [
        PartnerFactory(owner=cast.alice, name="Ann 50% O'Brien %s"),
        PartnerFactory(owner=cast.alice, name="Bo 50% Lee"),
        PartnerFactory(owner=cast.alice, name="Cy Lee"),
    ]
    ids = [partner.pk for partner in partners]
    moment = dt.datetime(2020, 1, 2, 3, 4, 5, 678_901, tzinfo=dt.UTC)

    def constants(ids: list[int]) -> QuerySet[Any]:
        return (
            Partner.objects.filter(pk__in=ids, name__contains="50%")
            .annotate(
                label=Value("100% O'Brien's %s \\ %%"),
                since=Value(moment, output_field=DateTimeField()),
                amount=Value(Decimal("12.50"), output_field=DecimalField()),
                kept=Value(True),
                nothing=Value(None, output_field=CharField()),
            )
            .values("id", "name", "label", "since", "amount", "kept", "nothing")
            .order_by("pk")
        )

    with CaptureQueriesContext(connection) as kept:
        rows = values_of(Partner, constants, ids, key=("test", "constants"))
    with CaptureQueriesContext(connection) as orm:
        expected = list(constants(ids))

    assert rows == expected
    assert [row["name"] for row in rows] == ["Ann 50% O'Brien %s", "Bo 50% Lee"]
    assert rows[0]["label"] == "100% O'Brien's %s \\ %%"
    assert [query["sql"] for query in kept] == [query["sql"] for query in orm]
    if connection.vendor == "postgresql":
        # Bound on the client: only the ids are left to bind on each call.
        compiled = statements._kept[("values", ("test", "constants"), "default", len(ids))]
        assert len(compiled.params) == len(ids)
