from django.urls import path

from reciprocity.insights import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
]
