from django.contrib import admin
from django.urls import include, path, re_path

from reciprocity.accounts import views as account_views
from reciprocity.api.api import api, unknown_endpoint
from reciprocity.referrals import disclosure_views
from reciprocity.referrals.link_views import partner_link
from reciprocity.site import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("ready/", views.ready, name="ready"),
    # The firm admin manages each person's address (it is how they sign in and are invited).
    path("accounts/email/", account_views.email_managed_by_firm, name="account_email"),
    path("accounts/tokens/", account_views.api_tokens, name="api_tokens"),
    path(
        "accounts/tokens/<int:pk>/revoke/", account_views.api_token_revoke, name="api_token_revoke"
    ),
    path("accounts/", include("allauth.urls")),
    path("firm/", include("reciprocity.accounts.urls")),
    path("", include("reciprocity.audit.urls")),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", unknown_endpoint, name="api_unknown"),
    path("admin/", admin.site.urls),
    path("referrals/", include("reciprocity.referrals.urls")),
    # The partner's confirmation link: public, the secret in the path is the only credential.
    path("r/<str:token>/", partner_link, name="partner_link"),
    path(
        "compliance/referrals/",
        disclosure_views.compliance_referrals,
        name="compliance_referrals",
    ),
    path("", include("reciprocity.transfer.exports.urls")),
    path("", include("reciprocity.transfer.imports.urls")),
    path("", include("reciprocity.partners.urls")),
    path("", include("reciprocity.playbook.urls")),
    path("", include("reciprocity.insights.urls")),
    path("", include("reciprocity.integrations.urls")),
    path("", include("reciprocity.search.urls")),
]
handler400 = "reciprocity.site.views.bad_request"
handler500 = "reciprocity.site.views.server_error"
