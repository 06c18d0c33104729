"""Every playbook record keeps its history, attributed; every new firm gets the starter playbook."""

import datetime as dt

import pytest
from django.apps import apps
from django.utils import timezone

from reciprocity.accounts import services as account_services
from reciprocity.accounts.audit import audit_source
from reciprocity.playbook import defaults
from reciprocity.playbook.models import (
    CadenceDefault,
    DiagnosticQuestion,
    MeetingPlan,
    MeetingPlanItem,
    Solution,
)
from reciprocity.playbook.services.agreements import PromiseInput, agreement_create
from reciprocity.playbook.services.cadences import cadence_default_remove
from reciprocity.playbook.services.firm import firm_defaults_install
from reciprocity.playbook.services.library import case_create
from reciprocity.playbook.services.meetings import meeting_plan_update
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_every_playbook_model_keeps_its_history() -> None:
    missing = [
        model.__name__
        for model in apps.get_app_config("playbook").get_models()
        if not model.__name__.startswith("Historical") and not hasattr(model, "history")
    ]
    assert missing == []


def test_writes_are_attributed_to_the_user_and_the_channel(playbook_cast: Cast) -> None:
    with audit_source("web"):
        agreement = agreement_create(
            partner=playbook_cast.alice_private,
            by=playbook_cast.alice,
            promises=[PromiseInput("advisor", "Send notes"), PromiseInput("partner", "Introduce")],
            referral_process="email_thread",
            next_review=timezone.localdate() + dt.timedelta(days=90),
        )
        case = case_create(
            partner=playbook_cast.alice_private,
            by=playbook_cast.alice,
            alias="Client B",
            description="Retired pilot",
            topics=["retirement"],
        )

    record = agreement.history.get()  # type: ignore[attr-defined]
    assert (record.history_user, record.history_source) == (playbook_cast.alice, "web")
    question = case.questions.first()
    assert question is not None
    record = question.history.get()  # type: ignore[attr-defined]
    assert (record.history_user, record.history_source) == (playbook_cast.alice, "web")


def test_a_new_firm_gets_the_starter_playbook(db: None) -> None:
    firm = account_services.firm_create(name="Fresh Advisors")

    assert MeetingPlan.objects.filter(firm=firm).count() == len(defaults.MEETING_PLANS)
    assert MeetingPlanItem.objects.filter(plan__firm=firm).count() == sum(
        len(plan.items) for plan in defaults.MEETING_PLANS
    )
    assert CadenceDefault.objects.filter(firm=firm).count() == len(defaults.CADENCE_DEFAULTS)
    assert DiagnosticQuestion.objects.filter(firm=firm).count() == sum(
        len(texts) for texts in defaults.QUESTION_BANK.values()
    )
    assert Solution.objects.filter(firm=firm).count() == len(defaults.SOLUTIONS)
    assert MeetingPlan.history.filter(firm_id=firm.pk).count() == len(defaults.MEETING_PLANS)  # type: ignore[attr-defined]
    assert DiagnosticQuestion.history.filter(firm_id=firm.pk).exists()  # type: ignore[attr-defined]


def test_installing_the_defaults_again_keeps_the_firms_own_edits(playbook_cast: Cast) -> None:
    cadence_default_remove(by=playbook_cast.ada, stage="proposed", kind="touch_base")
    plan = MeetingPlan.objects.get(firm=playbook_cast.firm, kind="first_meeting")
    meeting_plan_update(plan=plan, by=playbook_cast.ada, name="Our first coffee")
    counts = (MeetingPlanItem.objects.count(), DiagnosticQuestion.objects.count())

    firm_defaults_install(firm=playbook_cast.firm)

    assert not CadenceDefault.objects.filter(firm=playbook_cast.firm, stage="proposed").exists()
    plan.refresh_from_db()
    assert plan.name == "Our first coffee"
    assert (MeetingPlanItem.objects.count(), DiagnosticQuestion.objects.count()) == counts
