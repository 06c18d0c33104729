from django.urls import URLPattern, URLResolver, include, path

from reciprocity.referrals import disclosure_views, link_views, views

# One referral's pages, under <int:pk>/.
referral_patterns: list[URLPattern | URLResolver] = [
    path("", views.referral_detail, name="referral_detail"),
    path("edit/", views.referral_edit, name="referral_edit"),
    path("status/", views.referral_status, name="referral_status"),
    path("consent/", views.referral_consent, name="referral_consent"),
    path("consent/withdraw/", views.referral_consent_withdraw, name="referral_consent_withdraw"),
    path("steps/<slug:slug>/", views.referral_step, name="referral_step"),
    path("follow-ups/<int:commitment_pk>/", views.referral_follow_up, name="referral_follow_up"),
    path("links/", link_views.referral_link_create, name="referral_link_create"),
    path(
        "links/<int:link_pk>/revoke/", link_views.referral_link_revoke, name="referral_link_revoke"
    ),
    path("disclosure/", disclosure_views.referral_disclosure, name="referral_disclosure"),
    path(
        "disclosure/document/",
        disclosure_views.referral_disclosure_document,
        name="referral_disclosure_document",
    ),
    path("archive/", views.referral_archive, name="referral_archive"),
    path("restore/", views.referral_restore, name="referral_restore"),
]
# The firm's protocol per profession, under protocols/.
protocol_patterns: list[URLPattern | URLResolver] = [
    path("", views.referral_protocols, name="referral_protocols"),
    path("<slug:profession>/", views.referral_protocol_edit, name="referral_protocol_edit"),
    path("<slug:profession>/reset/", views.referral_protocol_reset, name="referral_protocol_reset"),
]
urlpatterns = [
    path("", views.referral_list, name="referral_list"),
    path("new/", views.referral_create, name="referral_create"),
    path("balance/", views.referral_balance, name="referral_balance"),
    path("protocols/", include(protocol_patterns)),
    path("<int:pk>/", include(referral_patterns)),
]
