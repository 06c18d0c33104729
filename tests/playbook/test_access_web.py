"""Who may see and change the playbook's web pages."""

from typing import Any

import pytest
from django.utils import timezone

from reciprocity.partners.models import Commitment, Partner, Touch
from reciprocity.playbook.models import (
    Agreement,
    AgreementStatus,
    Cadence,
    ClientCase,
    ClientConcern,
    Meeting,
    MeetingStatus,
    Opportunity,
    PartnerStrategy,
    Solution,
)
from reciprocity.playbook.services.agreements import PromiseInput, agreement_create
from reciprocity.playbook.services.library import case_create
from tests.conftest import Cast, client_for
from tests.factories import (
    ClientConcernFactory,
    MeetingFactory,
    OpportunityFactory,
    PartnerFactory,
    ago,
)
from tests.playbook.helpers import days, local, page_of
from tests.playbook.test_agreements_web import AGREEMENT

pytestmark = pytest.mark.django_db


def partner_urls(partner: Partner, owner: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """Every page and write about one partner's playbook, each with a valid body."""
    meeting = MeetingFactory(partner=partner)
    concern = ClientConcernFactory(partner=partner)
    opportunity = OpportunityFactory(partner=partner)
    case = case_create(partner=partner, by=owner, alias="A", description="d", topics=["tax"])
    question = case.questions.first()
    assert question is not None
    agreement_create(
        partner=partner,
        by=owner,
        promises=[PromiseInput("advisor", "a"), PromiseInput("partner", "b")],
        referral_process="email_thread",
        next_review=days(30),
    )
    solution = Solution.objects.filter(firm=partner.firm).first()
    assert solution is not None
    p = f"/partners/{partner.pk}"
    return [
        ("GET", f"{p}/", {}),
        ("POST", f"{p}/strategy/", {"strategy": "talk_clients"}),
        ("POST", f"{p}/message-check/", {"result": "yes"}),
        ("GET", f"{p}/cadences/", {}),
        ("POST", f"{p}/cadences/", {"kind": "touch_base", "enabled": "0"}),
        ("POST", f"{p}/cadences/reset/", {"kind": "touch_base"}),
        ("GET", f"{p}/meetings/", {}),
        ("POST", f"{p}/meetings/", {"kind": "first_meeting", "scheduled_for": local(ago(-2))}),
        ("GET", f"{p}/meetings/{meeting.pk}/", {}),
        ("POST", f"{p}/meetings/{meeting.pk}/", {"summary": "Held"}),
        (
            "POST",
            f"{p}/meetings/{meeting.pk}/reschedule/",
            {"scheduled_for": local(ago(-3)), "duration_minutes": "30"},
        ),
        ("POST", f"{p}/meetings/{meeting.pk}/cancel/", {}),
        ("GET", f"{p}/meetings/{meeting.pk}.ics", {}),
        ("GET", f"{p}/agreement/", {}),
        ("POST", f"{p}/agreement/", {**AGREEMENT, "next_review": days(40).isoformat()}),
        ("GET", f"{p}/agreement/print/", {}),
        ("POST", f"{p}/agreement/end/", {"reason": "Done"}),
        ("GET", f"{p}/concerns/", {}),
        ("POST", f"{p}/concerns/", {"source": "client_complaint", "description": "Worry"}),
        ("GET", f"{p}/concerns/{concern.pk}/", {}),
        ("POST", f"{p}/concerns/{concern.pk}/", {"solution": solution.pk}),
        ("POST", f"{p}/concerns/{concern.pk}/dismiss/", {}),
        ("GET", f"{p}/opportunities/", {}),
        ("POST", f"{p}/opportunities/", {"title": "Client asked"}),
        ("POST", f"{p}/opportunities/{opportunity.pk}/request/", {"touch_kind": "call"}),
        ("POST", f"{p}/opportunities/{opportunity.pk}/close/", {"outcome": "declined"}),
        ("GET", f"{p}/cases/", {}),
        ("POST", f"{p}/cases/", {"alias": "B", "description": "d", "topics": ["tax"]}),
        ("GET", f"{p}/cases/{case.pk}/", {}),
        ("POST", f"{p}/cases/{case.pk}/", {"alias": "C", "description": "d"}),
        ("POST", f"{p}/cases/{case.pk}/ready/", {}),
        ("POST", f"{p}/cases/{case.pk}/questions/", {"questions": []}),
        ("POST", f"{p}/cases/{case.pk}/questions/{question.pk}/remove/", {}),
    ]


def snapshot() -> tuple[Any, ...]:
    return (
        Touch.objects.count(),
        Commitment.objects.count(),
        Meeting.objects.filter(status=MeetingStatus.PLANNED).count(),
        list(Meeting.objects.order_by("pk").values_list("scheduled_for", "duration_minutes")),
        Agreement.objects.filter(status=AgreementStatus.ACTIVE).count(),
        list(ClientConcern.objects.values_list("status", flat=True)),
        list(Opportunity.objects.values_list("status", flat=True)),
        ClientCase.objects.count(),
        PartnerStrategy.objects.count(),
        Cadence.objects.count(),
    )


def test_every_playbook_url_of_another_firms_partner_is_a_404(playbook_cast: Cast) -> None:
    urls = partner_urls(playbook_cast.mallory_partner, playbook_cast.mallory)
    before = snapshot()
    for who in (playbook_cast.alice, playbook_cast.ada, playbook_cast.cole):
        client = client_for(who)
        for method, path, data in urls:
            response = client.get(path) if method == "GET" else client.post(path, data)
            # A read-only role is refused a write by its role, whatever record it names.
            refused = 403 if who.is_read_only and method == "POST" else 404
            assert response.status_code == refused, (who.username, method, path)
    assert snapshot() == before


def test_a_teammate_cannot_reach_a_private_partners_playbook(playbook_cast: Cast) -> None:
    urls = partner_urls(playbook_cast.alice_private, playbook_cast.alice)
    client = client_for(playbook_cast.bob)
    for method, path, data in urls:
        response = client.get(path) if method == "GET" else client.post(path, data)
        assert response.status_code == 404, (method, path)


def test_a_record_of_another_partner_is_a_404_under_this_one(playbook_cast: Cast) -> None:
    alice = playbook_cast.alice
    meeting = MeetingFactory(partner=playbook_cast.alice_shared)
    concern = ClientConcernFactory(partner=playbook_cast.alice_shared)
    opportunity = OpportunityFactory(partner=playbook_cast.alice_shared)
    p = f"/partners/{playbook_cast.alice_private.pk}"
    client = client_for(alice)
    for path in (
        f"{p}/meetings/{meeting.pk}/",
        f"{p}/concerns/{concern.pk}/",
        f"{p}/opportunities/{opportunity.pk}/close/",
    ):
        response = client.post(path, {"outcome": "declined"})
        assert response.status_code == 404, path


def test_compliance_reads_the_playbook_and_changes_nothing(playbook_cast: Cast) -> None:
    partner = PartnerFactory(owner=playbook_cast.alice, name="Watched Partner")
    urls = partner_urls(partner, playbook_cast.alice)
    client = client_for(playbook_cast.cole)
    before = snapshot()
    for method, path, data in urls:
        if method == "GET":
            page = page_of(client.get(path)) if not path.endswith(".ics") else ""
            assert 'method="post"' not in page.split("<main", 1)[-1], path
        else:
            assert client.post(path, data).status_code == 403, path
    assert snapshot() == before
    for path in ("/playbook/message/", "/playbook/calendar/"):
        assert client.post(path, {"whom_i_help": "x", "what_is_unique": "y"}).status_code == 403
    assert "Save the message" not in page_of(client.get("/playbook/message/"))


def test_an_archived_partner_shows_its_playbook_without_forms(playbook_cast: Cast) -> None:
    partner = playbook_cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(archived_at=timezone.now())
    page = page_of(client_for(playbook_cast.alice).get(f"/partners/{partner.pk}/agreement/"))
    assert "Record the agreement" not in page
    assert "is archived" in page
