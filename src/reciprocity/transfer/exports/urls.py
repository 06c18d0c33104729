from django.urls import path

from reciprocity.transfer.exports import views

urlpatterns = [
    path("partners/export/", views.partner_export, name="partner_export"),
]
