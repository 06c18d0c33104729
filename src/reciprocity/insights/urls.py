from django.urls import path

from reciprocity.insights import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("partners/<int:pk>/brief/", views.partner_brief, name="partner_brief"),
    path("partners/<int:pk>/review/", views.partner_review, name="partner_review"),
    path(
        "partners/<int:pk>/diagnoses/<slug:slug>/dismiss/",
        views.diagnosis_dismiss,
        name="diagnosis_dismiss",
    ),
]
