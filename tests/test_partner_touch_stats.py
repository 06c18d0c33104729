"""The touch count and the last touches kept on the partner's row: always what a recount of the
live touches finds, whatever the writes (log, archive, merge, import), so that the lists, the
agenda and the cadences read them from the row instead of the touches."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity.partners.merge import partner_merge
from reciprocity.partners.models import LAST_TOUCH_KINDS, Partner, Profession, Touch, TouchKind
from reciprocity.partners.services import partner_create, touch_archive, touch_log
from reciprocity.playbook.models import CADENCE_LAST_TOUCH, CADENCE_TOUCH_KINDS, CadenceKind
from tests.conftest import Cast
from tests.test_import_run import run_import

COLUMNS = ["touch_count", *LAST_TOUCH_KINDS]


def recount(partner: Partner) -> list[object]:
    live = list(Touch.objects.live().filter(partner=partner))
    lasts = [
        max((t.occurred_at for t in live if kinds is None or t.kind in kinds), default=None)
        for kinds in LAST_TOUCH_KINDS.values()
    ]
    return [len(live), *lasts]


def assert_kept(partners: list[Partner]) -> None:
    for partner in partners:
        partner.refresh_from_db(fields=COLUMNS)
        assert [getattr(partner, column) for column in COLUMNS] == recount(partner), partner.name


# (which partner, log a touch of this kind or archive one of the partner's touches, days ago)
writes = st.tuples(
    st.integers(0, 1), st.one_of(st.sampled_from(TouchKind.values), st.none()), st.integers(0, 60)
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(writes, max_size=12), merge=st.booleans())
def test_the_touch_columns_match_a_recount_after_any_sequence_of_writes(
    cast: Cast, operations: list[tuple[int, str | None, int]], merge: bool
) -> None:
    now = timezone.now()
    with transaction.atomic():
        partners = [
            partner_create(by=cast.alice, name=f"Partner {i}", profession=Profession.CPA)
            for i in range(2)
        ]
        for index, kind, days in operations:
            partner = partners[index]
            if kind is not None:
                at = now - dt.timedelta(days=days)
                touch_log(partner=partner, by=cast.alice, kind=kind, summary="x", occurred_at=at)
            elif touch := Touch.objects.live().filter(partner=partner).first():
                touch_archive(touch=touch, by=cast.alice)
            assert_kept(partners)
        if merge:
            partner_merge(user=cast.alice, keep=partners[0], other=partners[1])
            assert_kept(partners)
        transaction.set_rollback(True)


def test_an_import_keeps_the_last_touches_of_what_it_logs(cast: Cast) -> None:
    start = timezone.localdate() - dt.timedelta(days=100)
    touches = "Partner,Date,Kind,Summary\n" + "".join(
        f"r1,{start + dt.timedelta(days=10 * i)},{kind},Touch {i}\n"
        for i, kind in enumerate(["meeting", "newsletter", "call", "note"])
    )
    run_import(cast.alice, "ID,Name,Profession\nr1,Jane Doe,cpa\n", touches=touches)

    jane = Partner.objects.get(owner=cast.alice, name="Jane Doe")
    assert_kept([jane])
    assert timezone.localdate(jane.last_meeting_at) == start
    assert timezone.localdate(jane.last_conversation_at) == start + dt.timedelta(days=20)


def test_every_cadence_kind_reads_a_last_touch_column_of_the_partner() -> None:
    assert set(CADENCE_LAST_TOUCH) == set(CadenceKind.values) == set(CADENCE_TOUCH_KINDS)
    assert set(CADENCE_LAST_TOUCH.values()) <= set(LAST_TOUCH_KINDS)
