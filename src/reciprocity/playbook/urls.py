from django.urls import path

from reciprocity.playbook import views

urlpatterns = [
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path(
        "partners/<int:partner_id>/meetings/<int:meeting_id>.ics",
        views.meeting_download,
        name="meeting_ics",
    ),
]
