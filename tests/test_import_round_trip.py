"""The list's own export read back by the import, and what an import does not decide for a
partner already in the book: a move back, a return from a walk-away, a change of owner."""

from typing import Any

import pytest

from reciprocity.partners.models import Partner, Profession, Stage, Tag
from reciprocity.transfer.exports.lists import (
    LIST_FORMATS,
    export_chunks,
    list_partners_for_export,
)
from reciprocity.transfer.imports.engine import (
    OWNER_AMBIGUOUS,
    OWNER_NOT_CHANGED,
    OWNER_UNKNOWN,
    STAGE_NOT_BACK,
    STAGE_NOT_FROM_RETIRED,
    Outcome,
)
from reciprocity.transfer.imports.mapping import guess_mapping
from reciprocity.transfer.imports.rows import RETIRED_BY_IMPORT
from reciprocity.transfer.imports.services import ImportFiles, import_check
from tests.conftest import Cast
from tests.factories import PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "Name,Email,Stage,Owner\n"


def check(user: Any, data: bytes, name: str = "book.csv") -> Outcome:
    return import_check(by=user, files=ImportFiles(data=data, file_name=name))


def reasons(outcome: Outcome) -> list[tuple[int, str, str]]:
    return [(r.line, r.column, r.reason) for r in outcome.refused]


@pytest.fixture
def book(cast: Cast) -> Cast:
    PartnerFactory(
        owner=cast.alice,
        name="Dana Mediator",
        email="dana@example.com",
        profession=Profession.OTHER,
        profession_other="Divorce mediator",
        phone="+1 617 555 0100",
        stage=Stage.ACTIVE,
    ).tags.add(Tag.objects.create(firm=cast.firm, name="CPA"))
    PartnerFactory(
        owner=cast.alice,
        name="Walter Away",
        email="walter@example.com",
        profession=Profession.ATTORNEY,
        stage=Stage.RETIRED,
    )
    Partner.objects.filter(pk=cast.alice_shared.pk).update(email="sam@example.com")
    Partner.objects.filter(pk=cast.alice_private.pk).update(email="priya@example.com")
    return cast


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "vcf"])
def test_the_lists_export_imports_back_as_it_is(book: Cast, fmt: str) -> None:
    partners = list_partners_for_export(advisor=book.alice)
    data = b"".join(export_chunks(partners, LIST_FORMATS[fmt]))
    before = list(Partner.objects.order_by("pk").values())

    outcome = check(book.alice, data, f"partners.{fmt}")

    assert reasons(outcome) == []
    assert (outcome.created, outcome.updated) == (0, 0)
    assert outcome.unchanged == partners.count()
    assert list(Partner.objects.order_by("pk").values()) == before


def test_a_teammate_imports_back_the_partners_shared_with_them(book: Cast) -> None:
    partners = list_partners_for_export(advisor=book.bob)
    data = b"".join(export_chunks(partners, LIST_FORMATS["csv"]))

    outcome = check(book.bob, data)

    assert reasons(outcome) == []
    assert outcome.unchanged == partners.count() == 1


def test_an_import_moves_a_partner_forward_but_not_back_nor_out_of_a_walk_away(
    book: Cast,
) -> None:
    PartnerFactory(
        owner=book.alice, name="Quinn Forward", email="quinn@example.com", stage=Stage.QUALIFIED
    )
    file = (
        HEADER
        + "Dana Mediator,dana@example.com,qualified,\n"
        + "Walter Away,walter@example.com,active,\n"
        + "Sam Shared,sam@example.com,retired,\n"
        + "Quinn Forward,quinn@example.com,first meeting,\n"
    )

    outcome = check(book.alice, file.encode())

    assert reasons(outcome) == [
        (
            2,
            "Stage",
            STAGE_NOT_BACK.format(
                partner="Dana Mediator", current="Active partner", stage="Qualified"
            ),
        ),
        (3, "Stage", STAGE_NOT_FROM_RETIRED.format(partner="Walter Away")),
        (4, "Stage", RETIRED_BY_IMPORT),
    ]
    assert outcome.updated == 1


def test_a_new_partner_is_not_imported_as_retired(cast: Cast) -> None:
    outcome = check(cast.alice, (HEADER + "Nora New,,retired,\n").encode())

    assert reasons(outcome) == [(2, "Stage", RETIRED_BY_IMPORT)]


def test_an_import_names_the_owner_by_username_or_name_and_does_not_change_it(
    book: Cast,
) -> None:
    alice = book.alice.display_name
    shared = "Sam Shared,sam@example.com,"
    file = (
        HEADER
        + f"{shared},{alice}\n"
        + "Priya Private,priya@example.com,,alice\n"
        + "Dana Mediator,dana@example.com,,bob\n"
        + f"Nina New,,,{alice.upper()}\n"
    )

    by_owner = check(book.alice, file.encode())
    by_teammate = check(book.bob, (HEADER + f"{shared},bob\n").encode())

    refused = OWNER_NOT_CHANGED.format(partner="Dana Mediator", owner=alice)
    assert reasons(by_owner) == [(4, "Owner", refused)]
    assert (by_owner.created, by_owner.unchanged) == (1, 2)
    refused = OWNER_NOT_CHANGED.format(partner="Sam Shared", owner=alice)
    assert reasons(by_teammate) == [(2, "Owner", refused)]


def test_an_owner_named_as_two_advisors_are_is_refused_for_their_username(cast: Cast) -> None:
    UserFactory(firm=cast.firm, username="pat1", first_name="Pat", last_name="Lee")
    UserFactory(firm=cast.firm, username="pat2", first_name="Pat", last_name="Lee")

    outcome = check(cast.ada, (HEADER + "Nora New,,,Pat Lee\n").encode())

    assert reasons(outcome) == [(2, "Owner", OWNER_AMBIGUOUS.format(owner="Pat Lee"))]


def test_a_profession_guessed_from_a_tag_is_for_new_partners_only(book: Cast) -> None:
    file = "Name,Email,Tags\nDana Mediator,dana@example.com,CPA\nTess Tax,,CPA\n"

    outcome = check(book.alice, file.encode())

    assert (outcome.created, outcome.updated, outcome.unchanged) == (1, 0, 1)


def test_the_templates_own_column_names_are_guessed_without_a_preset() -> None:
    header = ["Owner (username)", "Profession (other)", "In stage since", "Clients served"]

    assert guess_mapping(header) == {
        "Owner (username)": "owner",
        "Profession (other)": "profession_other",
        "In stage since": "stage_since",
        "Clients served": "niche",
    }


def test_a_partner_twice_in_the_file_is_refused_in_the_column_that_says_who(cast: Cast) -> None:
    file = "Name,Email\nAnn Lee,ann@example.com\nAnn B. Lee,ANN@example.com\nBo Chu,\nBo Chu,\n"

    outcome = check(cast.alice, file.encode())

    assert [(line, column) for line, column, _reason in reasons(outcome)] == [
        (3, "Email"),
        (5, "Name"),
    ]


def test_a_partner_of_an_advisor_who_left_reads_back_and_a_stranger_is_refused(
    cast: Cast,
) -> None:
    gone = UserFactory(firm=cast.firm, username="gone", first_name="Gail", last_name="Gone")
    PartnerFactory(owner=gone, name="Left Behind", email="left@example.com")
    type(gone).objects.filter(pk=gone.pk).update(is_active=False)
    row = "Left Behind,left@example.com,,"

    kept = check(cast.ada, (HEADER + row + "Gail Gone\n").encode())
    stranger = check(cast.ada, (HEADER + row + "Nobody Known\n").encode())

    assert reasons(kept) == []
    assert kept.unchanged == 1
    assert reasons(stranger) == [(2, "Owner", OWNER_UNKNOWN.format(owner="Nobody Known"))]
