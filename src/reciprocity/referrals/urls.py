from django.urls import path

from reciprocity.referrals import disclosure_views, views

urlpatterns = [
    path("", views.referral_list, name="referral_list"),
    path("new/", views.referral_create, name="referral_create"),
    path("balance/", views.referral_balance, name="referral_balance"),
    path("protocols/", views.referral_protocols, name="referral_protocols"),
    path(
        "protocols/<slug:profession>/",
        views.referral_protocol_edit,
        name="referral_protocol_edit",
    ),
    path(
        "protocols/<slug:profession>/reset/",
        views.referral_protocol_reset,
        name="referral_protocol_reset",
    ),
    path("<int:pk>/", views.referral_detail, name="referral_detail"),
    path("<int:pk>/edit/", views.referral_edit, name="referral_edit"),
    path("<int:pk>/status/", views.referral_status, name="referral_status"),
    path("<int:pk>/consent/", views.referral_consent, name="referral_consent"),
    path(
        "<int:pk>/consent/withdraw/",
        views.referral_consent_withdraw,
        name="referral_consent_withdraw",
    ),
    path("<int:pk>/steps/<slug:slug>/", views.referral_step, name="referral_step"),
    path(
        "<int:pk>/follow-ups/<int:commitment_pk>/",
        views.referral_follow_up,
        name="referral_follow_up",
    ),
    path(
        "<int:pk>/disclosure/",
        disclosure_views.referral_disclosure,
        name="referral_disclosure",
    ),
    path(
        "<int:pk>/disclosure/document/",
        disclosure_views.referral_disclosure_document,
        name="referral_disclosure_document",
    ),
    path("<int:pk>/archive/", views.referral_archive, name="referral_archive"),
    path("<int:pk>/restore/", views.referral_restore, name="referral_restore"),
]
