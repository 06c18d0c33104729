"""A firm's starter playbook: meeting plans, cadence defaults, questions and library entries."""

from django.db import transaction

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import Firm, User
from reciprocity.playbook import defaults
from reciprocity.playbook.models import (
    CadenceDefault,
    DiagnosticQuestion,
    MeetingPlan,
    MeetingPlanItem,
    Solution,
)
from reciprocity.playbook.services.common import bulk_create_attributed


@transaction.atomic
def firm_defaults_install(*, firm: Firm, by: User | None = None) -> None:
    """Give a firm the starter playbook. Idempotent: a firm that already has a meeting plan of a
    kind, or any cadence default, question or library entry, keeps its own."""
    existing_kinds = set(MeetingPlan.objects.filter(firm=firm).values_list("kind", flat=True))
    for seed in defaults.MEETING_PLANS:
        if seed.kind in existing_kinds:
            continue
        plan = attribute(
            MeetingPlan(
                firm=firm,
                kind=seed.kind,
                name=seed.name,
                purpose=seed.purpose,
                duration_minutes=seed.duration_minutes,
            ),
            by,
        )
        plan.save()
        bulk_create_attributed(
            [
                MeetingPlanItem(
                    plan=plan,
                    position=position,
                    prompt=item.prompt,
                    guidance=item.guidance,
                    profile_field=item.profile_field,
                )
                for position, item in enumerate(seed.items, start=1)
            ],
            MeetingPlanItem,
            by,
        )
    if not CadenceDefault.objects.filter(firm=firm).exists():
        bulk_create_attributed(
            [
                CadenceDefault(
                    firm=firm,
                    stage=seed.stage,
                    kind=seed.kind,
                    interval_months=seed.interval_months,
                )
                for seed in defaults.CADENCE_DEFAULTS
            ],
            CadenceDefault,
            by,
        )
    if not DiagnosticQuestion.objects.filter(firm=firm).exists():
        bulk_create_attributed(
            [
                DiagnosticQuestion(firm=firm, topic=topic, text=text, position=position)
                for topic, texts in defaults.QUESTION_BANK.items()
                for position, text in enumerate(texts, start=1)
            ],
            DiagnosticQuestion,
            by,
        )
    if not Solution.objects.filter(firm=firm).exists():
        bulk_create_attributed(
            [
                Solution(
                    firm=firm,
                    title=seed.title,
                    topic=seed.topic,
                    problem=seed.problem,
                    approach=seed.approach,
                    keywords=seed.keywords,
                )
                for seed in defaults.SOLUTIONS
            ],
            Solution,
            by,
        )
