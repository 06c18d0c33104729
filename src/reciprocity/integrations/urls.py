from django.urls import path

from reciprocity.integrations import views
from reciprocity.integrations.webhooks import views as webhooks

urlpatterns = [
    path("mail-in/", views.mail_in, name="mail_in"),
    path("mail-in/renew/", views.mail_in_renew, name="mail_in_renew"),
    path("mail-in/<int:pk>/file/", views.mail_in_file, name="mail_in_file"),
    path("mail-in/<int:pk>/new-partner/", views.mail_in_new_partner, name="mail_in_new_partner"),
    path("mail-in/<int:pk>/dismiss/", views.mail_in_dismiss, name="mail_in_dismiss"),
    path("mail-in/inbound/", views.mail_in_inbound, name="mail_in_inbound"),
    path("firm/webhooks/", webhooks.webhooks, name="webhooks"),
    path("firm/webhooks/<int:pk>/", webhooks.webhook_detail, name="webhook_detail"),
    path("firm/webhooks/<int:pk>/rotate/", webhooks.webhook_rotate, name="webhook_rotate"),
    path("firm/webhooks/<int:pk>/switch/", webhooks.webhook_switch, name="webhook_switch"),
    path("firm/webhooks/<int:pk>/archive/", webhooks.webhook_archive, name="webhook_archive"),
    path(
        "firm/webhooks/<int:pk>/deliveries/<int:delivery_pk>/resend/",
        webhooks.webhook_resend,
        name="webhook_resend",
    ),
]
