"""The step each referral waits for, kept on the step by the services (``due_from``), is the one
the protocol's rule gives (``next_step_of``) whatever was done, skipped or reopened, in whatever
order and at whatever moment; and the agenda, which counts and cuts the steps in SQL, shows what
reading every referral in full shows."""

import contextlib
import datetime as dt
import importlib
import random

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from reciprocity.dates import local_day
from reciprocity.partners.agenda import SOURCES, AgendaQuery, item_key
from reciprocity.partners.models import Profession
from reciprocity.partners.scope import PartnerScope
from reciprocity.referrals.models import (
    HISTORY_AFTER_DAYS,
    Direction,
    Referral,
    ReferralStatus,
    ReferralStep,
    step_due,
)
from reciprocity.referrals.selectors import next_step_of
from reciprocity.referrals.services.ledger import (
    referral_archive,
    referral_change_status,
    referral_create,
)
from reciprocity.referrals.services.steps import (
    referral_step_complete,
    referral_step_reopen,
    referral_step_skip,
)
from tests.conftest import Cast
from tests.factories import PartnerFactory, ago
from tests.playbook.helpers import assert_windows_read_in_full

pytestmark = pytest.mark.django_db

# A zone far from the database's UTC, at an odd offset: local days are not UTC's.
ZONE = "Pacific/Chatham"


def varied_referrals(cast: Cast, seed: int) -> list[Referral]:
    """Sent referrals of every age (history entered late too), their steps done, skipped and
    reopened in any order at any moment, some lost or archived; partners sharing names."""
    rng = random.Random(seed)
    alice = cast.alice
    names = ("Ann Lee", "Ann Lee", "ann lee", "Émile Roy", "Zoe Park")
    partners = [
        PartnerFactory(
            owner=alice,
            team=None,
            name=name,
            profession=rng.choice([Profession.CPA, Profession.ATTORNEY]),
        )
        for name in names
    ]
    referrals = []
    for _ in range(30):
        days_ago = rng.choice([0, 1, 2, 3, 3, 10, 29, HISTORY_AFTER_DAYS + 1, 45])
        referral = referral_create(
            by=alice,
            partner=rng.choice(partners),
            direction=Direction.SENT,
            need="A plan",
            consent_method="verbal",
            occurred_at=ago(days_ago + rng.choice([0, 0.3, 0.9])),
        )
        steps = list(referral.steps.all())
        for _ in range(rng.randint(0, 6)):
            step = ReferralStep.objects.get(pk=rng.choice(steps).pk)
            action = rng.choice(["done", "done", "skip", "reopen"])
            if action == "done":
                moment = ago(rng.uniform(0, days_ago + 5))
                referral_step_complete(step=step, by=alice, occurred_at=moment)
            elif action == "skip" and step.done_at is None:
                referral_step_skip(step=step, by=alice)
            elif action == "reopen":
                referral_step_reopen(step=step, by=alice)
        referral.refresh_from_db()
        if rng.random() < 0.1:
            referral_archive(referral=referral, by=alice)
        elif rng.random() < 0.1 and referral.closed_at is None:
            # Not a move every lifecycle allows from where it stands.
            with contextlib.suppress(ValidationError):
                referral_change_status(
                    referral=referral, by=alice, status=ReferralStatus.LOST, reason="Went cold"
                )
        referrals.append(referral)
    return referrals


def _query(cast: Cast, *, limit: int | None, snoozed: frozenset[str] = frozenset()) -> AgendaQuery:
    today = timezone.localdate()
    return AgendaQuery(
        advisor=cast.alice,
        today=today,
        until=today + dt.timedelta(days=14),
        scope=PartnerScope(reader=cast.alice, owner=cast.alice.pk),
        mine_only=True,
        limit=limit,
        snoozed_keys=snoozed,
    )


def _waits_as_history(referral: Referral) -> bool:
    """Entered long after the fact, and none of its steps worked yet."""
    late = referral.created_at > referral.occurred_at + dt.timedelta(days=HISTORY_AFTER_DAYS)
    worked = referral.steps.exclude(done_at__isnull=True, skipped_at__isnull=True).exists()
    return late and not worked


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_step_kept_next_is_the_one_the_protocols_rule_gives(
    playbook_cast: Cast, seed: int
) -> None:
    with timezone.override(ZONE):
        referrals = varied_referrals(playbook_cast, seed)
        expected = set()
        until = timezone.localdate() + dt.timedelta(days=14)
        for referral in Referral.objects.filter(pk__in=[r.pk for r in referrals]):
            steps = list(referral.steps.order_by("position"))
            kept = [step for step in steps if step.due_from is not None]
            # The rule, on a referral open or not: its first step neither done nor skipped.
            reopened = Referral(occurred_at=referral.occurred_at)
            rule = next_step_of(reopened, steps)
            if rule is None:
                assert kept == []
                continue
            (step,) = kept
            assert step == rule.step
            assert step.due_from is not None
            kept_due = step_due(step.slug, referral_day=local_day(step.due_from), finished_day=None)
            assert kept_due == rule.due
            if (
                referral.closed_at is None
                and referral.archived_at is None
                and not _waits_as_history(referral)
                and rule.due <= until
            ):
                expected.add((item_key("referral_step", referral.partner_id, step.pk), rule.due))

        listed = SOURCES["referral_step"].items(_query(playbook_cast, limit=None))
        assert {(item.key, item.due) for item in listed} == expected
        assert expected  # the book has steps due, in more than one section
        assert len({item.due < timezone.localdate() for item in listed}) == 2


@pytest.mark.parametrize("seed", [1, 2])
def test_a_window_of_steps_counted_and_cut_by_the_database_is_the_one_read_in_full(
    playbook_cast: Cast, seed: int
) -> None:
    with timezone.override(ZONE):
        varied_referrals(playbook_cast, seed)
        everything = assert_windows_read_in_full(
            SOURCES["referral_step"],
            lambda limit, snoozed: _query(playbook_cast, limit=limit, snoozed=snoozed),
        )
        # Sections past every limit tried (ranked by the database) and sections that fit.
        assert max(everything.counts.values()) > 8
        assert len([count for count in everything.counts.values() if count]) >= 2


def test_the_migration_fills_in_the_next_steps_the_services_keep(playbook_cast: Cast) -> None:
    varied_referrals(playbook_cast, 4)
    kept = dict(ReferralStep.objects.values_list("pk", "due_from"))
    ReferralStep.objects.update(due_from=None)

    migration = importlib.import_module(
        "reciprocity.referrals.migrations.0012_referralstep_due_from"
    )
    migration.fill_due_from(django_apps, None)

    assert dict(ReferralStep.objects.values_list("pk", "due_from")) == kept
    assert len([moment for moment in kept.values() if moment]) > 10
