"""Several processes writing at once: no "database is locked", no lost update."""

import itertools
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from django.db import connection

from reciprocity.accounts.models import User
from reciprocity.audit.integrity import chain_check
from reciprocity.audit.models import ChainHead, ChainLink
from reciprocity.partners.models import (
    Commitment,
    CommitmentStatus,
    Partner,
    StageChange,
    Touch,
)
from reciprocity.referrals.models import Direction, ReferralStep
from reciprocity.referrals.services.ledger import referral_create
from tests.factories import PartnerFactory, UserFactory

# Slow: left out of the quick loop (-m "not slow"); make test runs it.
pytestmark = pytest.mark.slow

WRITERS = 8
OPS = 15


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] or "postgres"
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def run_writers(
    user: User, shared: Partner, own: list[Partner], steps: Sequence[list[str]] = ()
) -> list[subprocess.Popen[str]]:
    """WRITERS processes at once, each on ``shared`` and on its own partner, the first ones
    each with the arguments of a referral's step (``steps``); when all are done."""
    env = {**os.environ, "DATABASE_URL": database_url()}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    root = Path(__file__).resolve().parent.parent
    writers = [
        subprocess.Popen(  # noqa: S603 (our own interpreter and script)
            [
                sys.executable,
                "-m",
                "tests.concurrency_writer",
                f"--user={user.pk}",
                f"--shared={shared.pk}",
                f"--own={partner.pk}",
                f"--ops={OPS}",
                *step,
            ],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for partner, step in itertools.zip_longest(own, steps, fillvalue=[])
    ]
    results = [writer.communicate(timeout=300) for writer in writers]
    assert [w.returncode for w in writers] == [0] * WRITERS, [err for _, err in results]
    assert [out.strip() for out, _ in results] == ["0"] * WRITERS, [err for _, err in results]
    return writers


@pytest.mark.django_db(transaction=True)
def test_eight_writers_at_once_lose_nothing() -> None:
    user = UserFactory()
    shared = PartnerFactory(owner=user)
    own = [PartnerFactory(owner=user, stage="identified") for _ in range(WRITERS)]
    run_writers(user, shared, own)

    shared.refresh_from_db()
    assert Touch.objects.filter(partner=shared).count() == WRITERS * OPS
    assert shared.touch_count == WRITERS * OPS
    # The next step kept on the row is the earliest of what every writer left open.
    still_open = Commitment.objects.filter(partner=shared, status=CommitmentStatus.OPEN)
    assert still_open.count() == WRITERS * (OPS - OPS // 2)
    assert shared.next_step_due == min(c.due for c in still_open)
    for partner in own:
        partner.refresh_from_db()
        assert StageChange.objects.filter(partner=partner).count() == OPS
        latest = StageChange.objects.filter(partner=partner).order_by("-occurred_at", "-pk")[0]
        assert partner.stage == latest.to_stage
    assert Partner.objects.count() == WRITERS + 1


@pytest.mark.django_db(transaction=True)
def test_eight_writers_at_once_keep_one_unbroken_chain() -> None:
    user = UserFactory()
    shared = PartnerFactory(owner=user)
    own = [PartnerFactory(owner=user, stage="identified") for _ in range(WRITERS)]
    run_writers(user, shared, own)

    links = ChainLink.objects.filter(firm=user.firm)
    # Each operation writes the history of a touch, a stage change and the partner's new stage.
    assert links.count() >= WRITERS * OPS * 3
    assert links.count() == ChainHead.objects.get(chain=user.firm_id).seq
    assert sorted(links.values_list("seq", flat=True)) == list(range(1, links.count() + 1))
    report = chain_check(firm_id=user.firm_id)  # no fork, no gap, nothing left unlinked
    assert report.ok, report.problems[:3]


@pytest.mark.django_db(transaction=True)
def test_steps_of_one_referral_worked_at_once_leave_the_right_one_next() -> None:
    user = UserFactory()
    shared = PartnerFactory(owner=user)
    own = [PartnerFactory(owner=user, stage="identified") for _ in range(WRITERS)]
    referral = referral_create(
        by=user, partner=shared, direction=Direction.SENT, need="A plan", consent_method="verbal"
    )
    first, second, third, fourth, fifth = referral.steps.order_by("position")
    # Each step skipped and reopened over and over by its own writer, then the first, second
    # and fourth completed: the third is next, counted from the later of the first two.
    finished = {first, second, fourth}
    run_writers(
        user,
        shared,
        own,
        [
            [f"--step={step.pk}", *(["--finish"] if step in finished else [])]
            for step in (first, second, third, fourth, fifth)
        ],
    )

    kept = ReferralStep.objects.filter(referral=referral, due_from__isnull=False)
    done = ReferralStep.objects.filter(pk__in=[first.pk, second.pk])
    assert list(kept) == [third]
    assert kept.get().due_from == max(referral.occurred_at, *(s.done_at for s in done))


@pytest.mark.django_db(transaction=True)
def test_a_merge_while_the_referrals_steps_are_worked_waits_its_turn() -> None:
    user = UserFactory()
    keep = PartnerFactory(owner=user)
    other = PartnerFactory(owner=user)
    own = [PartnerFactory(owner=user, stage="identified") for _ in range(WRITERS)]
    referral = referral_create(
        by=user, partner=other, direction=Direction.SENT, need="A plan", consent_method="verbal"
    )
    referral.refresh_from_db()
    # A writer per step does nothing but complete it (a touch on the referral's partner) and
    # reopen it (the touch archived), over and over, while another merges that partner away.
    run_writers(
        user,
        keep,
        own,
        [
            *(
                [f"--step={step.pk}", "--complete-each", "--steps-only"]
                for step in referral.steps.all()
            ),
            [f"--merge={other.pk}"],
        ],
    )

    other.refresh_from_db()
    keep.refresh_from_db()
    referral.refresh_from_db()
    assert other.merged_into == keep
    assert referral.partner == keep
    assert not Touch.objects.live().filter(partner=other).exists()
    touched = (WRITERS - referral.steps.count()) * OPS
    assert Touch.objects.live().filter(partner=keep).count() == touched
    assert keep.touch_count == touched
    first = referral.steps.order_by("position").first()
    assert list(ReferralStep.objects.filter(due_from__isnull=False)) == [first]
    assert first.due_from == referral.occurred_at
