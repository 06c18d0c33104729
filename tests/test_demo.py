"""``reciprocity demo``: a deterministic, realistic book for trying the product."""

import datetime as dt
import io
import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from reciprocity.accounts.models import Firm, Role, User
from reciprocity.insights.diagnoses import DIAGNOSIS_SLUGS, assess
from reciprocity.insights.scores import SCORES, scores_of
from reciprocity.partners.models import (
    PIPELINE_STAGES,
    Commitment,
    CommitmentOwner,
    CommitmentStatus,
    Partner,
    Stage,
    StageChange,
    Touch,
    TouchKind,
)
from reciprocity.partners.selectors import partner_list, partners_visible_to
from reciprocity.playbook.models import (
    AdvisorProfile,
    Agreement,
    AgreementStatus,
    CaseStatus,
    ClientCase,
    ClientConcern,
    ConcernStatus,
    Meeting,
    MeetingStatus,
    Opportunity,
    OpportunityStatus,
    PartnerStrategy,
    Strategy,
)
from reciprocity.playbook.selectors.agenda import agenda_for
from reciprocity.playbook.selectors.strategies import strategy_yield
from reciprocity.referrals.models import (
    TOUCH_KIND_FOR_STEP,
    Direction,
    Referral,
    ReferralStatus,
    ReferralStatusChange,
    ReferralStep,
)
from reciprocity.referrals.selectors import balance_for, with_balance
from reciprocity.site.demo.book import plan_book
from reciprocity.site.management.commands.demo import (
    ALREADY_LOADED,
    DEMO_USER,
    NOT_EMPTY,
    REFUSED_IN_PRODUCTION,
)
from tests.factories import FirmFactory

# Slow: left out of the quick loop (-m "not slow"); make test runs it.
pytestmark = pytest.mark.slow

LOGIN_LINE = "Demo login: http://127.0.0.1:8000/  user: demo  password: demo"


def demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, Any]:
    return {
        "partners": sorted(
            Partner.objects.values_list(
                "owner__username", "name", "profession", "organization", "stage", "touch_count"
            )
        ),
        "touches": Touch.objects.count(),
        "stage_changes": StageChange.objects.count(),
        "commitments": sorted(
            Commitment.objects.values_list("status", "owner").annotate(n=Count("pk"))
        ),
        "referrals": sorted(
            Referral.objects.values_list("partner__name", "direction", "status", "need")
        ),
        "steps_done": ReferralStep.objects.filter(done_at__isnull=False).count(),
    }


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_book_twice() -> None:
    books = []
    for _ in range(2):
        with transaction.atomic():
            demo("--seed", "7")
            books.append(snapshot())
            transaction.set_rollback(True)
    assert not Partner.objects.exists()
    assert books[0] == books[1]
    assert len(books[0]["partners"]) >= 40


def test_another_seed_gives_another_book() -> None:
    now = timezone.now()
    names = [partner.name for partner in plan_book(seed=1, now=now)]
    assert names == [partner.name for partner in plan_book(seed=1, now=now)]
    assert names != [partner.name for partner in plan_book(seed=2, now=now)]


@pytest.mark.django_db
def test_if_empty_leaves_a_database_with_any_firm_alone() -> None:
    FirmFactory()
    assert demo("--if-empty").strip() == NOT_EMPTY
    assert not Partner.objects.exists()


@pytest.mark.django_db
def test_demo_is_refused_in_production_mode(settings: Any) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match=re.escape(REFUSED_IN_PRODUCTION)):
        demo()
    assert not Firm.objects.exists()


@pytest.fixture(scope="class")
def book(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """One demo load (as `make run` does it) shared by the tests below, rolled back after them."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo("--if-empty")
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.usefixtures("book")
class TestTheDemoBook:
    def test_it_prints_the_demo_user_and_leaves_the_address_to_serve(self, book: str) -> None:
        assert book.strip().endswith(DEMO_USER)
        assert DEMO_USER == "Demo user: demo  password: demo"
        assert "http://" not in book

    def test_demo_logs_in_with_password_demo(self) -> None:
        demo_user = User.objects.get(username="demo")
        assert demo_user.check_password("demo")
        assert demo_user.role == Role.ADVISOR

    def test_the_firm_has_a_team_of_two_and_an_admin(self) -> None:
        firm = Firm.objects.get()
        assert sorted(firm.advisors.values_list("role", flat=True)) == [
            Role.ADVISOR,
            Role.ADVISOR,
            Role.FIRM_ADMIN,
        ]
        team = firm.teams.get()
        assert set(team.members.values_list("username", flat=True)) == {"demo", "morgan"}
        # The two share partners both ways.
        shared = Partner.objects.filter(team=team)
        assert {"demo", "morgan"} <= set(shared.values_list("owner__username", flat=True))

    def test_demo_sees_forty_partners_over_every_pipeline_stage(self) -> None:
        demo_user = User.objects.get(username="demo")
        visible = partners_visible_to(advisor=demo_user)
        assert visible.filter(owner=demo_user).count() >= 40
        stages = set(visible.values_list("stage", flat=True))
        assert set(PIPELINE_STAGES) | {Stage.DORMANT, Stage.RETIRED} <= stages
        assert len(set(visible.values_list("profession", flat=True))) >= 5

    def test_retired_partners_say_why(self) -> None:
        retirements = StageChange.objects.filter(to_stage=Stage.RETIRED)
        assert retirements.count() >= 3
        assert all(change.reason and change.note for change in retirements)

    def test_touches_span_eighteen_months(self) -> None:
        span = Touch.objects.aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
        now = timezone.now()
        assert dt.timedelta(days=450) < now - span["first"] <= dt.timedelta(days=550)
        assert now - span["last"] < dt.timedelta(days=14)
        kinds = set(Touch.objects.values_list("kind", flat=True))
        assert kinds == set(TouchKind.values)

    def test_every_partner_walked_the_stages_in_order(self) -> None:
        for partner in Partner.objects.prefetch_related("stage_changes"):
            changes = sorted(partner.stage_changes.all(), key=lambda c: (c.occurred_at, c.pk))
            assert changes[0].from_stage == ""
            for before, after in itertools.pairwise(changes):
                assert after.from_stage == before.to_stage
            assert changes[-1].to_stage == partner.stage
            assert changes[-1].occurred_at == partner.stage_changed_at

    def test_touch_counts_are_derived_from_the_touches(self) -> None:
        for partner in Partner.objects.annotate(n=Count("touches")):
            assert partner.touch_count == partner.n  # type: ignore[attr-defined]

    def test_open_commitments_are_overdue_on_both_sides(self) -> None:
        today = timezone.localdate()
        overdue = Commitment.objects.filter(status=CommitmentStatus.OPEN, due__lt=today)
        assert set(overdue.values_list("owner", flat=True)) == set(CommitmentOwner.values)
        upcoming = Commitment.objects.filter(status=CommitmentStatus.OPEN, due__gte=today)
        assert upcoming.exists()
        assert Commitment.objects.filter(status=CommitmentStatus.DONE, touch__isnull=False).exists()

    def test_referrals_flow_both_ways_walked_step_by_step_with_outcomes(self) -> None:
        sent = Referral.objects.filter(direction=Direction.SENT)
        received = Referral.objects.filter(direction=Direction.RECEIVED)
        assert sent.count() >= 10
        assert received.count() >= 10
        # Sent ones walked the protocol: each step done is a touch of its kind on the partner.
        walked = sent.filter(status=ReferralStatus.ENGAGED).annotate(
            done=Count("steps", filter=Q(steps__done_at__isnull=False))
        )
        assert walked.filter(done=5).exists()
        for step in ReferralStep.objects.filter(done_at__isnull=False).select_related(
            "touch", "referral"
        ):
            assert step.touch is not None
            assert step.touch.partner_id == step.referral.partner_id
            assert step.touch.kind == TOUCH_KIND_FOR_STEP[step.slug]
        # Attorneys get a conference call instead of an escort.
        attorneys = ReferralStep.objects.filter(referral__partner__profession="attorney")
        assert attorneys.filter(slug="conference_call", done_at__isnull=False).exists()
        assert not attorneys.filter(slug="escort").exists()
        # Without consent yet, no name is on record; the partner gets the memo.
        assert sent.filter(consent_at__isnull=True, client_name="").exists()
        assert not sent.filter(consent_at__isnull=True).exclude(client_name="").exists()
        # Received ones end as a client, not a fit or lost; recent ones are still open.
        outcomes = set(received.values_list("status", flat=True))
        assert ReferralStatus.BECAME_CLIENT in outcomes
        assert outcomes & {ReferralStatus.NOT_A_FIT, ReferralStatus.LOST}
        assert received.filter(closed_at__isnull=True).exists()
        assert received.filter(thank_you_commitment__status=CommitmentStatus.OPEN).exists()

    def test_active_partners_have_referred_and_champions_refer_both_ways_within_the_year(
        self,
    ) -> None:
        for partner in with_balance(Partner.objects.filter(stage=Stage.ACTIVE)):
            balance = balance_for(partner)
            assert balance.referrals_received >= 1, partner
            assert balance.referrals_sent >= 1, partner
        for partner in with_balance(Partner.objects.filter(stage=Stage.CHAMPION)):
            balance = balance_for(partner)
            assert balance.referrals_sent_12m >= 2, partner
            assert balance.referrals_received_12m >= 2, partner

    def test_nothing_is_dated_in_the_future(self) -> None:
        now = timezone.now()
        assert not Referral.objects.filter(occurred_at__gt=now).exists()
        assert not ReferralStatusChange.objects.filter(occurred_at__gt=now).exists()
        assert not ReferralStep.objects.filter(done_at__gt=now).exists()
        assert not Touch.objects.filter(occurred_at__gt=now).exists()
        assert not StageChange.objects.filter(occurred_at__gt=now).exists()
        assert not Commitment.objects.filter(completed_at__gt=now).exists()

    def test_history_records_the_cli_as_the_source(self) -> None:
        sources = {
            *Partner.history.values_list("history_source", flat=True),
            *Touch.history.values_list("history_source", flat=True),
            *StageChange.history.values_list("history_source", flat=True),
            *Commitment.history.values_list("history_source", flat=True),
            *Referral.history.values_list("history_source", flat=True),
            *ReferralStep.history.values_list("history_source", flat=True),
        }
        assert sources == {"cli"}
        assert not Touch.history.filter(history_user__isnull=True).exists()

    def test_the_demo_advisor_runs_a_playbook(self) -> None:
        demo_user = User.objects.get(username="demo")
        assert AdvisorProfile.objects.get(user=demo_user).has_message
        core = Partner.objects.filter(owner=demo_user, stage__in=[Stage.ACTIVE, Stage.CHAMPION])
        written = Agreement.objects.filter(partner__in=core, status=AgreementStatus.ACTIVE)
        # Most core partners have it in writing; a couple do not yet, for the digest to point out.
        assert 0 < core.count() - written.count() <= 2
        assert Commitment.objects.filter(promise__agreement__in=written).exists()
        strategies = set(PartnerStrategy.objects.values_list("strategy", flat=True))
        assert {Strategy.CLIENT_COMPLAINTS, Strategy.TALK_CLIENTS} <= strategies
        assert ClientConcern.objects.filter(status=ConcernStatus.MATCHED).exists()
        assert ClientConcern.objects.filter(status=ConcernStatus.OPEN).exists()
        assert ClientCase.objects.filter(
            status=CaseStatus.READY, opportunity__isnull=False
        ).exists()
        assert (
            Meeting.objects.filter(
                status=MeetingStatus.PLANNED, scheduled_for__gt=timezone.now()
            ).count()
            >= 3
        )
        agenda = agenda_for(demo_user)
        assert {"commitment", "cadence", "opportunity", "meeting"} <= {
            item.source for item in agenda.items
        }
        sources = {
            *Agreement.history.values_list("history_source", flat=True),
            *ClientCase.history.values_list("history_source", flat=True),
        }
        assert sources == {"cli"}

    def test_the_demo_advisor_sees_every_diagnosis_and_partners_too_early_to_judge(
        self,
    ) -> None:
        found = assess(advisor=User.objects.get(username="demo"))
        assert {diagnosis.slug for diagnosis in found.everything} == set(DIAGNOSIS_SLUGS)
        walk_aways = {d.reason for d in found.diagnoses if d.action == "walk_away"}
        assert {"wrong_firm", "wrong_professional"} <= walk_aways
        assert found.too_early

    def test_the_demo_advisor_sees_a_partner_in_each_band_of_each_score(self) -> None:
        demo_user = User.objects.get(username="demo")
        bands = {
            (score.slug, score.band)
            for partner in partner_list(advisor=demo_user)
            for score in scores_of(partner)
        }
        assert bands == {(slug, band) for slug in SCORES for band in ("low", "medium", "high")}

    def test_the_strategy_yield_shows_referrals_received_and_a_client(self) -> None:
        demo_user = User.objects.get(username="demo")
        rows = strategy_yield(advisor=demo_user)
        assert sum(row.referrals for row in rows) >= 2
        assert sum(row.clients for row in rows) >= 1
        linked = Opportunity.objects.filter(referral__isnull=False).select_related("referral")
        for opportunity in linked:
            assert opportunity.referral is not None
            assert opportunity.status == OpportunityStatus.REFERRED
            assert opportunity.referral.partner_id == opportunity.partner_id
            assert opportunity.referral.direction == Direction.RECEIVED
            assert opportunity.closed_at is not None
            assert opportunity.closed_at <= timezone.now()

    def test_if_empty_then_does_nothing(self) -> None:
        before = snapshot()
        assert demo("--if-empty").strip() == NOT_EMPTY
        assert snapshot() == before

    def test_loading_it_twice_is_refused(self) -> None:
        with pytest.raises(CommandError, match=re.escape(ALREADY_LOADED)):
            demo()
