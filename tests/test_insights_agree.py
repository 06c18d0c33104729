"""Every figure the board, the dashboard, the balance page, the API and the diagnoses show agrees
with a count made directly from the records, and each page says what it counts."""

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone

from reciprocity.insights.diagnoses import diagnoses_for
from reciprocity.partners.models import CORE_STAGES, PIPELINE_STAGES, Partner, Stage
from reciprocity.playbook.models import AgreementStatus, PartnerStrategy, Strategy
from reciprocity.playbook.services.agreements import PromiseInput, agreement_create
from reciprocity.referrals.models import Direction, Kind, Referral
from tests.api_client import token_client
from tests.conftest import Cast, client_for
from tests.factories import CommitmentFactory, PartnerFactory, ReferralFactory


def ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def book(cast: Cast) -> None:
    """Alice's own partners, one shared by Bob with their team, one of Carol's, and referrals
    both ways inside and outside the twelve months."""
    for stage in (Stage.ACTIVE, Stage.CHAMPION, Stage.QUALIFIED, Stage.DORMANT):
        PartnerFactory(owner=cast.alice, stage=stage)
    PartnerFactory(owner=cast.alice, stage=Stage.ACTIVE, archived_at=ago(3))
    bobs = PartnerFactory(owner=cast.bob, team=cast.north, stage=Stage.PROPOSED)
    PartnerFactory(owner=cast.carol, stage=Stage.ACTIVE)
    for partner, direction, days in (
        (cast.alice_private, Direction.SENT, 10),
        (cast.alice_private, Direction.RECEIVED, 40),
        (cast.alice_private, Direction.RECEIVED, 500),
        (cast.alice_shared, Direction.RECEIVED, 100),
        (bobs, Direction.RECEIVED, 20),
        (bobs, Direction.SENT, 30),
    ):
        ReferralFactory(partner=partner, direction=direction, occurred_at=ago(days))
    ReferralFactory(partner=cast.alice_private, direction=Direction.RECEIVED, archived_at=ago(1))
    CommitmentFactory(partner=cast.alice_private, due=timezone.localdate() - dt.timedelta(days=2))
    CommitmentFactory(partner=bobs, due=timezone.localdate() - dt.timedelta(days=1))


def visible_to_alice(cast: Cast) -> Any:
    return Partner.objects.filter(
        Q(owner=cast.alice) | Q(team__in=cast.alice.teams.all()), archived_at=None
    )


def received(partners: Any, *, since: dt.datetime | None = None) -> int:
    ledger = Referral.objects.filter(
        partner__in=partners, direction=Direction.RECEIVED, kind=Kind.REFERRAL, archived_at=None
    )
    return (ledger.filter(occurred_at__gte=since) if since else ledger).count()


def test_the_boards_totals_are_counts_of_the_partners_one_sees(cast: Cast) -> None:
    book(cast)
    response = client_for(cast.alice).get("/pipeline/")
    seen = visible_to_alice(cast)
    assert response.context["in_pipeline"] == seen.filter(stage__in=PIPELINE_STAGES).count()
    assert response.context["core_count"] == seen.filter(stage__in=CORE_STAGES).count()
    late = seen.filter(
        commitments__status="open", commitments__due__lt=timezone.localdate()
    ).exclude(stage=Stage.RETIRED)
    assert response.context["overdue_count"] == late.distinct().count() == 2
    assert "every partner you can see, yours and those shared with you" in (
        response.content.decode()
    )


def test_the_dashboards_totals_are_counts_of_the_partners_of_its_scope(cast: Cast) -> None:
    book(cast)
    client = client_for(cast.alice)
    since = ago(366)
    for scope, partners in (
        ("mine", Partner.objects.filter(owner=cast.alice, archived_at=None)),
        ("all", visible_to_alice(cast)),
    ):
        response = client.get("/dashboard/", {"scope": scope})
        picture = response.context["picture"]
        assert picture.in_pipeline == partners.filter(stage__in=PIPELINE_STAGES).count(), scope
        assert picture.core == partners.filter(stage__in=CORE_STAGES).count(), scope
        assert picture.balance.referrals_received == received(partners, since=since), scope
        sent = Referral.objects.filter(
            partner__in=partners, direction=Direction.SENT, archived_at=None
        )
        assert picture.balance.referrals_sent == sent.count(), scope
        # The yield, on the same partners, counts every received referral once.
        assert sum(row.referrals for row in picture.yields) == received(partners), scope
        page = response.content.decode()
        assert "What is counted:" in page
        assert "so its totals can differ" in page
    # The board and the dashboard differ here, and both pages say why.
    mine = client.get("/dashboard/").context["picture"].in_pipeline
    board = client.get("/pipeline/").context["in_pipeline"]
    assert (mine, board) == (5, 6)


def test_the_strategy_yield_counts_the_received_referrals_of_the_ledger(cast: Cast) -> None:
    # The reproduction: 20 referrals received under a strategy, 2 of them linked to an
    # opportunity. The yield said 2; it counts the 20, under the strategy in force.
    partner = cast.alice_private
    PartnerStrategy.objects.create(
        partner=partner, strategy=Strategy.TALK_CLIENTS, started_at=ago(400), by=cast.alice
    )
    for days in range(20):
        ReferralFactory(partner=partner, direction=Direction.RECEIVED, occurred_at=ago(days + 1))
    api = token_client(cast.alice)
    rows = {row["strategy"]: row for row in api.call("GET", "opportunities/yield").json()}
    assert rows["talk_clients"]["referrals"] == received(Partner.objects.filter(pk=partner.pk))
    assert rows["talk_clients"]["referrals"] == 20
    page = client_for(cast.alice).get("/playbook/").content.decode()
    assert "under the strategy in force with them when it came" in page


def test_the_balance_page_lists_the_advisors_the_api_lists_with_the_same_counts(
    cast: Cast,
) -> None:
    book(cast)
    api_rows = token_client(cast.alice).call("GET", "balance").json()["items"]
    page_rows = client_for(cast.alice).get("/referrals/balance/").context["rows"]
    # The reproduction: the page listed one advisor where the API listed two.
    assert [row["advisor"]["username"] for row in api_rows] == [
        row.advisor.username for row in page_rows
    ]
    assert {row.advisor.username for row in page_rows} == {"alice", "bob"}
    for api_row, page_row in zip(api_rows, page_rows, strict=True):
        owned = visible_to_alice(cast).filter(owner=page_row.advisor)
        assert page_row.partners == api_row["partners"] == owned.count()
        assert page_row.referrals_received == api_row["referrals_received"] == received(owned)


def test_a_one_way_alliance_with_an_agreement_is_asked_to_review_it_not_to_write_one(
    cast: Cast,
) -> None:
    partner = cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(stage=Stage.ACTIVE)
    for days in (200, 120, 30):
        ReferralFactory(partner=partner, direction=Direction.SENT, occurred_at=ago(days))
    agreement_create(
        partner=partner,
        by=cast.alice,
        promises=[PromiseInput("advisor", "Send the article"), PromiseInput("partner", "Refer")],
        referral_process="email_thread",
        next_review=timezone.localdate() + dt.timedelta(days=300),
    )
    assert partner.agreements.filter(status=AgreementStatus.ACTIVE).exists()
    one_way = next(d for d in diagnoses_for(advisor=cast.alice) if d.slug == "one_way")
    assert one_way.action == "review_agreement"
    assert "write the agreement" not in one_way.action_label
    assert "A written agreement is in place" in one_way.evidence
    assert one_way.action_url == f"/partners/{partner.pk}/agreement/"
