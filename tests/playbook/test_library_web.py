"""Client concerns, opportunities and client cases on the web."""

import pytest

from reciprocity.playbook.models import (
    CaseStatus,
    ClientCase,
    ClientConcern,
    ConcernStatus,
    DiagnosticQuestion,
    Opportunity,
    OpportunityStatus,
    Solution,
    Strategy,
)
from reciprocity.playbook.services.library import (
    CASE_NEEDS_ANSWERS,
    CASE_QUESTION_COUNT,
    SOLUTION_NOT_IN_FIRM,
    case_create,
)
from tests.conftest import Cast, client_for
from tests.factories import ClientConcernFactory, OpportunityFactory
from tests.playbook.helpers import has, page_of
from tests.web import htmx

pytestmark = pytest.mark.django_db


def test_a_complaint_matched_to_what_we_solve_is_an_opportunity_on_the_partner_and_the_agenda(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    client = client_for(alice)
    solution = Solution.objects.create(
        firm=playbook_cast.firm,
        title="Selling the business",
        problem="Owners who want out",
        approach="We plan the sale",
        keywords="sell, business",
    )
    response = client.post(
        f"/partners/{partner.pk}/concerns/",
        {
            "source": "client_complaint",
            "description": "A client wants to sell her business and fears the tax bill",
            "topic": "business_owner",
        },
    )
    concern = ClientConcern.objects.get()
    assert response["Location"] == f"/partners/{partner.pk}/concerns/{concern.pk}/"
    page = page_of(client.get(response["Location"]))
    assert "Selling the business" in page
    assert "sell, business" in page  # the keywords it matched

    client.post(response["Location"], {"solution": solution.pk})
    opportunity = Opportunity.objects.get()
    assert (opportunity.concern, opportunity.solution) == (concern, solution)
    assert opportunity.strategy == Strategy.CLIENT_COMPLAINTS
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.MATCHED
    assert opportunity.title in page_of(client.get(f"/partners/{partner.pk}/"))
    assert "Ask Priya Private for a meeting with the client" in page_of(client.get("/agenda/"))


def test_another_firms_library_entry_cannot_be_matched(playbook_cast: Cast) -> None:
    concern = ClientConcernFactory(partner=playbook_cast.alice_private)
    theirs = Solution.objects.filter(firm=playbook_cast.other_firm).first()
    assert theirs is not None
    url = f"/partners/{concern.partner_id}/concerns/{concern.pk}/"
    page = page_of(client_for(playbook_cast.alice).post(url, {"solution": theirs.pk}))
    assert has(page, SOLUTION_NOT_IN_FIRM)
    assert not Opportunity.objects.exists()


def test_opportunities_are_asked_for_and_closed_from_the_panel(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    opportunity = OpportunityFactory(partner=partner, title="Retirement worry")
    client = client_for(alice)
    base = f"/partners/{partner.pk}/opportunities/{opportunity.pk}"
    response = client.post(f"{base}/request/", {"touch_kind": "call"}, headers=htmx("playbook"))
    assert "Meeting requested" in page_of(response)
    client.post(f"{base}/close/", {"outcome": "referred"})
    opportunity.refresh_from_db()
    assert opportunity.status == OpportunityStatus.REFERRED
    page = page_of(client.get(f"/partners/{partner.pk}/opportunities/"))
    assert "Retirement worry" in page
    assert "Referred" in page


def test_a_case_cannot_be_ready_below_eight_answers(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    client = client_for(alice)
    response = client.post(
        f"/partners/{partner.pk}/cases/",
        {
            "alias": "Client A",
            "description": "Surgeon, 58, selling her practice",
            "topics": ["retirement", "tax"],
            "question_count": "10",
        },
    )
    case = ClientCase.objects.get()
    url = f"/partners/{partner.pk}/cases/{case.pk}/"
    assert response["Location"] == url
    questions = list(case.questions.all())
    assert len(questions) == 10

    def save(answered: int) -> None:
        data = {
            "alias": "Client A",
            "description": "Surgeon, 58, selling her practice",
            "solution": "A withdrawal plan and a Roth ladder",
        }
        data.update({f"answer_{q.pk}": f"Answer {n}" for n, q in enumerate(questions[:answered])})
        assert client.post(url, data).status_code == 302

    save(7)
    assert "7 of 10 questions answered" in page_of(client.get(url))
    refused = page_of(client.post(f"{url}ready/"))
    assert has(refused, CASE_NEEDS_ANSWERS)
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT

    save(8)
    assert client.post(f"{url}ready/").status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.READY
    opportunity = Opportunity.objects.get(case=case)
    assert opportunity.strategy == Strategy.TALK_CLIENTS
    page = page_of(client.get(url))
    assert "Mark the case ready" not in page  # a ready case no longer changes
    assert opportunity.title in page


def test_a_case_draws_eight_to_twelve_questions_and_takes_more_from_the_bank(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    client = client_for(alice)
    refused = page_of(
        client.post(
            f"/partners/{partner.pk}/cases/",
            {"alias": "A", "description": "d", "topics": ["tax"], "question_count": "13"},
        )
    )
    assert has(refused, CASE_QUESTION_COUNT)
    case = case_create(
        partner=partner, by=alice, alias="B", description="d", topics=["tax"], question_count=8
    )
    extra = DiagnosticQuestion.objects.filter(firm=playbook_cast.firm, topic="estate")[:2]
    url = f"/partners/{partner.pk}/cases/{case.pk}/"
    client.post(f"{url}questions/", {"questions": [q.pk for q in extra]})
    assert case.questions.count() == 10
    first = case.questions.first()
    assert first is not None
    client.post(f"{url}questions/{first.pk}/remove/")
    assert case.questions.count() == 9
