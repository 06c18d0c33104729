from django.urls import path

from reciprocity.audit import views

urlpatterns = [
    path("partners/<int:pk>/history/", views.partner_history, name="partner_history"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("audit/purge/", views.audit_purge, name="audit_purge"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
]
