from django.urls import URLPattern, URLResolver, include, path

from reciprocity.playbook.views import (
    agenda,
    agreements,
    cadences,
    calendar,
    library,
    meetings,
    message,
    overview,
    strategies,
)

P = "partners/<int:partner_id>/"

# The playbook's settings: the advisor's message, digest and calendar; the firm's meeting plans,
# cadences, question bank and solution library.
meeting_plan_patterns: list[URLPattern | URLResolver] = [
    path("", meetings.meeting_plan, name="meeting_plan"),
    path("items/", meetings.plan_item_add, name="plan_item_add"),
    path("items/<int:item_id>/", meetings.plan_item_update, name="plan_item_update"),
    path("items/<int:item_id>/remove/", meetings.plan_item_remove, name="plan_item_remove"),
]
settings_patterns: list[URLPattern | URLResolver] = [
    path("", overview.playbook_home, name="playbook_home"),
    path("message/", message.playbook_message, name="playbook_message"),
    path("digest/", message.playbook_digest, name="playbook_digest"),
    path("calendar/", calendar.playbook_calendar, name="playbook_calendar"),
    path("calendar/revoke/", calendar.playbook_calendar_revoke, name="playbook_calendar_revoke"),
    path("meetings/", meetings.meeting_plans, name="meeting_plans"),
    path("meetings/<int:plan_id>/", include(meeting_plan_patterns)),
    path("cadences/", cadences.cadence_defaults, name="cadence_defaults"),
    path("cadences/remove/", cadences.cadence_default_remove, name="cadence_default_remove"),
    path("questions/", library.question_bank, name="question_bank"),
    path("questions/<int:question_id>/", library.question_detail, name="question_detail"),
    path("questions/<int:question_id>/archive/", library.question_archive, name="question_archive"),
    path("library/", library.solution_library, name="solution_library"),
    path("library/<int:solution_id>/", library.solution_detail, name="solution_detail"),
    path("library/<int:solution_id>/archive/", library.solution_archive, name="solution_archive"),
]

urlpatterns = [
    # The agenda
    path("agenda/", agenda.agenda, name="agenda"),
    path("agenda/complete/", agenda.agenda_complete, name="agenda_complete"),
    path("agenda/snooze/", agenda.agenda_snooze, name="agenda_snooze"),
    path("agenda/unsnooze/", agenda.agenda_unsnooze, name="agenda_unsnooze"),
    # Calendars
    path("calendar/<str:token>.ics", calendar.calendar_feed, name="calendar_feed"),
    path(P + "meetings/<int:meeting_id>.ics", calendar.meeting_download, name="meeting_ics"),
    # A partner's playbook
    path("partners/<int:pk>/strategy/", strategies.strategy_switch, name="strategy_switch"),
    path("partners/<int:pk>/message-check/", message.message_check, name="message_check"),
    path("partners/<int:pk>/cadences/", cadences.partner_cadences, name="partner_cadences"),
    path(
        "partners/<int:pk>/cadences/reset/",
        cadences.partner_cadence_reset,
        name="partner_cadence_reset",
    ),
    path("partners/<int:pk>/meetings/", meetings.partner_meetings, name="partner_meetings"),
    path(P + "meetings/<int:meeting_id>/", meetings.meeting_detail, name="meeting_detail"),
    path(P + "meetings/<int:meeting_id>/cancel/", meetings.meeting_cancel, name="meeting_cancel"),
    path(
        P + "meetings/<int:meeting_id>/reschedule/",
        meetings.meeting_reschedule,
        name="meeting_reschedule",
    ),
    path("partners/<int:pk>/agreement/", agreements.partner_agreement, name="partner_agreement"),
    path("partners/<int:pk>/agreement/end/", agreements.agreement_end, name="agreement_end"),
    path("partners/<int:pk>/agreement/print/", agreements.agreement_print, name="agreement_print"),
    path("partners/<int:pk>/concerns/", library.partner_concerns, name="partner_concerns"),
    path(P + "concerns/<int:concern_id>/", library.concern_detail, name="concern_detail"),
    path(P + "concerns/<int:concern_id>/dismiss/", library.concern_dismiss, name="concern_dismiss"),
    path(
        "partners/<int:pk>/opportunities/",
        strategies.partner_opportunities,
        name="partner_opportunities",
    ),
    path(
        P + "opportunities/<int:opportunity_id>/request/",
        strategies.opportunity_request,
        name="opportunity_request",
    ),
    path(
        P + "opportunities/<int:opportunity_id>/close/",
        strategies.opportunity_close,
        name="opportunity_close",
    ),
    path(
        P + "opportunities/<int:opportunity_id>/referral/",
        strategies.opportunity_link,
        name="opportunity_link",
    ),
    path(
        P + "opportunities/<int:opportunity_id>/referral/unlink/",
        strategies.opportunity_unlink,
        name="opportunity_unlink",
    ),
    path("partners/<int:pk>/cases/", library.partner_cases, name="partner_cases"),
    path(P + "cases/<int:case_id>/", library.case_detail, name="case_detail"),
    path(P + "cases/<int:case_id>/ready/", library.case_ready, name="case_ready"),
    path(
        P + "cases/<int:case_id>/questions/", library.case_questions_add, name="case_questions_add"
    ),
    path(
        P + "cases/<int:case_id>/questions/<int:question_id>/remove/",
        library.case_question_remove,
        name="case_question_remove",
    ),
    # The playbook's settings, under playbook/
    path("playbook/", include(settings_patterns)),
]
