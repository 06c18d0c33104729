from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "reciprocity.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from reciprocity import events
        from reciprocity.integrations.merge import ADDRESS_MOVE
        from reciprocity.integrations.webhooks.services import events_record
        from reciprocity.integrations.webhooks.tasks import diagnoses_schedule, webhooks_schedule
        from reciprocity.ops.worker import schedule_on_start
        from reciprocity.partners.merge import register as merge_register

        # The domain's events are kept for the firm's webhooks, in the emitting transaction;
        # a long-running worker keeps the webhooks' periodic checks on schedule.
        events.register(events_record)
        schedule_on_start(webhooks_schedule)
        schedule_on_start(diagnoses_schedule)

        # A merge of two partners moves the addresses the one merged away wrote from.
        merge_register(ADDRESS_MOVE)
