from django.apps import AppConfig


class PlaybookConfig(AppConfig):
    name = "reciprocity.playbook"
    label = "playbook"
    verbose_name = "Playbook"

    def ready(self) -> None:
        from reciprocity.partners.agenda import register
        from reciprocity.playbook.agenda import cadences, commitments, meetings, opportunities

        # Open commitments, keep-warm touches, meeting requests and planned meetings are on
        # the advisor's agenda; all but the meeting requests are on their calendar feed too.
        register(commitments.CommitmentSource())
        register(cadences.CadenceSource())
        register(opportunities.OpportunitySource())
        register(meetings.MeetingSource())

        from reciprocity.accounts.services import firm_setup_register
        from reciprocity.playbook.services.firm import firm_defaults_install

        # A new firm starts with the playbook's meeting plans, cadences, questions and library.
        firm_setup_register(self.label, lambda firm: firm_defaults_install(firm=firm))

        from reciprocity.partners.merge import register as merge_register
        from reciprocity.playbook.merge import MOVES

        # A merge of two partners moves the playbook's records of the one merged away.
        for move in MOVES:
            merge_register(move)
