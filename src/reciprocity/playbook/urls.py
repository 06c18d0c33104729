from django.urls import path

from reciprocity.playbook import views

P = "partners/<int:partner_id>/"

urlpatterns = [
    # The agenda
    path("agenda/", views.agenda, name="agenda"),
    path("agenda/complete/", views.agenda_complete, name="agenda_complete"),
    path("agenda/snooze/", views.agenda_snooze, name="agenda_snooze"),
    path("agenda/unsnooze/", views.agenda_unsnooze, name="agenda_unsnooze"),
    # Calendars
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path(P + "meetings/<int:meeting_id>.ics", views.meeting_download, name="meeting_ics"),
    # A partner's playbook
    path("partners/<int:pk>/strategy/", views.strategy_switch, name="strategy_switch"),
    path("partners/<int:pk>/message-check/", views.message_check, name="message_check"),
    path("partners/<int:pk>/cadences/", views.partner_cadences, name="partner_cadences"),
    path(
        "partners/<int:pk>/cadences/reset/",
        views.partner_cadence_reset,
        name="partner_cadence_reset",
    ),
    path("partners/<int:pk>/meetings/", views.partner_meetings, name="partner_meetings"),
    path(P + "meetings/<int:meeting_id>/", views.meeting_detail, name="meeting_detail"),
    path(P + "meetings/<int:meeting_id>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path(
        P + "meetings/<int:meeting_id>/reschedule/",
        views.meeting_reschedule,
        name="meeting_reschedule",
    ),
    path("partners/<int:pk>/agreement/", views.partner_agreement, name="partner_agreement"),
    path("partners/<int:pk>/agreement/end/", views.agreement_end, name="agreement_end"),
    path("partners/<int:pk>/agreement/print/", views.agreement_print, name="agreement_print"),
    path("partners/<int:pk>/concerns/", views.partner_concerns, name="partner_concerns"),
    path(P + "concerns/<int:concern_id>/", views.concern_detail, name="concern_detail"),
    path(P + "concerns/<int:concern_id>/dismiss/", views.concern_dismiss, name="concern_dismiss"),
    path(
        "partners/<int:pk>/opportunities/",
        views.partner_opportunities,
        name="partner_opportunities",
    ),
    path(
        P + "opportunities/<int:opportunity_id>/request/",
        views.opportunity_request,
        name="opportunity_request",
    ),
    path(
        P + "opportunities/<int:opportunity_id>/close/",
        views.opportunity_close,
        name="opportunity_close",
    ),
    path(
        P + "opportunities/<int:opportunity_id>/referral/",
        views.opportunity_link,
        name="opportunity_link",
    ),
    path(
        P + "opportunities/<int:opportunity_id>/referral/unlink/",
        views.opportunity_unlink,
        name="opportunity_unlink",
    ),
    path("partners/<int:pk>/cases/", views.partner_cases, name="partner_cases"),
    path(P + "cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path(P + "cases/<int:case_id>/ready/", views.case_ready, name="case_ready"),
    path(P + "cases/<int:case_id>/questions/", views.case_questions_add, name="case_questions_add"),
    path(
        P + "cases/<int:case_id>/questions/<int:question_id>/remove/",
        views.case_question_remove,
        name="case_question_remove",
    ),
    # The playbook's settings
    path("playbook/", views.playbook_home, name="playbook_home"),
    path("playbook/message/", views.playbook_message, name="playbook_message"),
    path("playbook/digest/", views.playbook_digest, name="playbook_digest"),
    path("playbook/calendar/", views.playbook_calendar, name="playbook_calendar"),
    path(
        "playbook/calendar/revoke/",
        views.playbook_calendar_revoke,
        name="playbook_calendar_revoke",
    ),
    path("playbook/meetings/", views.meeting_plans, name="meeting_plans"),
    path("playbook/meetings/<int:plan_id>/", views.meeting_plan, name="meeting_plan"),
    path("playbook/meetings/<int:plan_id>/items/", views.plan_item_add, name="plan_item_add"),
    path(
        "playbook/meetings/<int:plan_id>/items/<int:item_id>/",
        views.plan_item_update,
        name="plan_item_update",
    ),
    path(
        "playbook/meetings/<int:plan_id>/items/<int:item_id>/remove/",
        views.plan_item_remove,
        name="plan_item_remove",
    ),
    path("playbook/cadences/", views.cadence_defaults, name="cadence_defaults"),
    path("playbook/cadences/remove/", views.cadence_default_remove, name="cadence_default_remove"),
    path("playbook/questions/", views.question_bank, name="question_bank"),
    path(
        "playbook/questions/<int:question_id>/",
        views.question_detail,
        name="question_detail",
    ),
    path(
        "playbook/questions/<int:question_id>/archive/",
        views.question_archive,
        name="question_archive",
    ),
    path("playbook/library/", views.solution_library, name="solution_library"),
    path("playbook/library/<int:solution_id>/", views.solution_detail, name="solution_detail"),
    path(
        "playbook/library/<int:solution_id>/archive/",
        views.solution_archive,
        name="solution_archive",
    ),
]
