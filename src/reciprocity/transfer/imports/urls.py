from django.urls import path

from reciprocity.transfer.imports import views

urlpatterns = [
    path("partners/import/", views.import_start, name="import_start"),
    path("partners/import/template.csv", views.import_template, name="import_template"),
    path("partners/import/<int:pk>/", views.import_run, name="import_run"),
]
