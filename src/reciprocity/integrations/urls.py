from django.urls import path

from reciprocity.integrations import views

urlpatterns = [
    path("mail-in/", views.mail_in, name="mail_in"),
    path("mail-in/renew/", views.mail_in_renew, name="mail_in_renew"),
    path("mail-in/<int:pk>/file/", views.mail_in_file, name="mail_in_file"),
    path("mail-in/<int:pk>/new-partner/", views.mail_in_new_partner, name="mail_in_new_partner"),
    path("mail-in/<int:pk>/dismiss/", views.mail_in_dismiss, name="mail_in_dismiss"),
    path("mail-in/inbound/", views.mail_in_inbound, name="mail_in_inbound"),
]
