from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "reciprocity.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from reciprocity.insights.medians import add_sqlite_median

        # The funnel's medians on SQLite, which has no median of its own.
        connection_created.connect(add_sqlite_median, dispatch_uid="insights.sqlite_median")

        from reciprocity.insights.diagnoses import TITLES, diagnosed_partner_ids
        from reciprocity.partners.diagnosed import DiagnosisFilter, register

        # The partner list filters by the diagnoses of single partners (not the book's).
        choices = [(slug, title) for slug, title in TITLES.items() if slug != "too_many_partners"]
        register(DiagnosisFilter(choices=choices, partner_ids=diagnosed_partner_ids))

        from reciprocity.insights.scores import SCORES, ranked_by, scores_of, with_scores
        from reciprocity.partners.scored import Scorer
        from reciprocity.partners.scored import register as register_scorer

        register_scorer(
            Scorer(
                titles={slug: score.title for slug, score in SCORES.items()},
                attach=with_scores,
                rank=ranked_by,
                scores_of=scores_of,
            )
        )

        from reciprocity.insights.next_action import next_actions_for
        from reciprocity.partners.advised import register as register_adviser

        register_adviser(next_actions_for)
