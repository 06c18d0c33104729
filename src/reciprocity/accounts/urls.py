from django.urls import path

from reciprocity.accounts import views

urlpatterns = [
    path("people/", views.people, name="firm_people"),
    path("people/<int:pk>/", views.person, name="firm_person"),
    path("people/<int:pk>/deactivate/", views.person_deactivate, name="firm_person_deactivate"),
    path("people/<int:pk>/reactivate/", views.person_reactivate, name="firm_person_reactivate"),
    path("people/<int:pk>/invite/", views.person_invite, name="firm_person_invite"),
    path("teams/", views.teams, name="firm_teams"),
    path("teams/<int:pk>/", views.team, name="firm_team"),
    path("settings/", views.firm_settings, name="firm_settings"),
]
