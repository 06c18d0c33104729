"""The operator's admin site writes through the services, as "Running a firm" uses it."""

import pytest
from django.test import Client

from reciprocity.accounts.models import Firm, User
from reciprocity.playbook.models import CadenceDefault, DiagnosticQuestion, MeetingPlan, Solution

pytestmark = pytest.mark.django_db


def operator() -> Client:
    user = User.objects.create_superuser("operator", "operator@example.com", "a long password 1")
    client = Client()
    client.force_login(user)
    return client


def test_a_firm_created_in_the_admin_site_gets_the_starter_playbook() -> None:
    response = operator().post(
        "/admin/accounts/firm/add/",
        {
            "name": "Lakeside Advisors",
            "slug": "lakeside",
            "dormancy_days": 90,
            "retention_days": 2555,
            "requires_mfa": "on",
            **Firm().thresholds,
            "yield_target": 5,
            "patience_months": 18,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    firm = Firm.objects.get(slug="lakeside")
    assert (firm.name, firm.dormancy_days, firm.retention_days, firm.requires_mfa) == (
        "Lakeside Advisors",
        90,
        2555,
        True,
    )
    assert firm.patience_months == 18
    assert MeetingPlan.objects.filter(firm=firm).exists()
    assert CadenceDefault.objects.filter(firm=firm).exists()
    assert DiagnosticQuestion.objects.filter(firm=firm).exists()
    assert Solution.objects.filter(firm=firm).exists()
    assert firm.history.count() == 1


def test_a_firm_changed_in_the_admin_site_keeps_its_playbook() -> None:
    client = operator()
    client.post(
        "/admin/accounts/firm/add/",
        {
            "name": "Lakeside",
            "slug": "lakeside",
            "dormancy_days": 120,
            "retention_days": 2555,
            **Firm().thresholds,
            "yield_target": 5,
        },
    )
    firm = Firm.objects.get(slug="lakeside")
    plans = MeetingPlan.objects.filter(firm=firm).count()
    response = client.post(
        f"/admin/accounts/firm/{firm.pk}/change/",
        {
            "name": "Lakeside Wealth",
            "slug": "lakeside",
            "dormancy_days": 120,
            "retention_days": 2555,
            **firm.thresholds,
            "yield_target": firm.yield_target,
        },
    )
    assert response.status_code == 302
    firm.refresh_from_db()
    assert firm.name == "Lakeside Wealth"
    assert MeetingPlan.objects.filter(firm=firm).count() == plans
