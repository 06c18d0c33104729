from django.urls import path

from reciprocity.partners import views

urlpatterns = [
    path("pipeline/", views.pipeline, name="pipeline"),
    path("partners/", views.partner_list, name="partner_list"),
    path("partners/bulk/", views.partner_bulk, name="partner_bulk"),
    path("partners/new/", views.partner_create, name="partner_create"),
    path("partners/<int:pk>/", views.partner_detail, name="partner_detail"),
    path("partners/<int:pk>/edit/", views.partner_edit, name="partner_edit"),
    path("partners/<int:pk>/stage/", views.partner_stage, name="partner_stage"),
    path("partners/<int:pk>/touches/", views.touch_create, name="touch_create"),
    path("partners/<int:pk>/commitments/", views.commitment_create, name="commitment_create"),
    path(
        "partners/<int:pk>/commitments/<int:commitment_pk>/",
        views.commitment_close,
        name="commitment_close",
    ),
    path("partners/<int:pk>/archive/", views.partner_archive, name="partner_archive"),
    path("partners/<int:pk>/restore/", views.partner_restore, name="partner_restore"),
    path("partners/<int:pk>/merge/", views.partner_merge_view, name="partner_merge"),
]
