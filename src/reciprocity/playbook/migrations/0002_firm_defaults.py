"""Give firms that existed before the playbook its starter content (new firms get it when created)."""

from django.db import migrations


def install(apps, schema_editor):
    from reciprocity.playbook import defaults

    Firm = apps.get_model("accounts", "Firm")
    MeetingPlan = apps.get_model("playbook", "MeetingPlan")
    MeetingPlanItem = apps.get_model("playbook", "MeetingPlanItem")
    CadenceDefault = apps.get_model("playbook", "CadenceDefault")
    DiagnosticQuestion = apps.get_model("playbook", "DiagnosticQuestion")
    Solution = apps.get_model("playbook", "Solution")
    for firm in Firm.objects.all():
        if MeetingPlan.objects.filter(firm=firm).exists():
            continue
        for seed in defaults.MEETING_PLANS:
            plan = MeetingPlan.objects.create(
                firm=firm,
                kind=seed.kind,
                name=seed.name,
                purpose=seed.purpose,
                duration_minutes=seed.duration_minutes,
            )
            MeetingPlanItem.objects.bulk_create(
                MeetingPlanItem(
                    plan=plan,
                    position=position,
                    prompt=item.prompt,
                    guidance=item.guidance,
                    profile_field=item.profile_field,
                )
                for position, item in enumerate(seed.items, start=1)
            )
        CadenceDefault.objects.bulk_create(
            CadenceDefault(
                firm=firm, stage=seed.stage, kind=seed.kind, interval_months=seed.interval_months
            )
            for seed in defaults.CADENCE_DEFAULTS
        )
        DiagnosticQuestion.objects.bulk_create(
            DiagnosticQuestion(firm=firm, topic=topic, text=text, position=position)
            for topic, texts in defaults.QUESTION_BANK.items()
            for position, text in enumerate(texts, start=1)
        )
        Solution.objects.bulk_create(
            Solution(
                firm=firm,
                title=seed.title,
                topic=seed.topic,
                problem=seed.problem,
                approach=seed.approach,
                keywords=seed.keywords,
            )
            for seed in defaults.SOLUTIONS
        )


class Migration(migrations.Migration):
    dependencies = [
        ("playbook", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
