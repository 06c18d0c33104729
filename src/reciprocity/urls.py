from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from reciprocity import views
from reciprocity.api.api import api, unknown_endpoint

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", unknown_endpoint),
    path("admin/", admin.site.urls),
    path("", include("reciprocity.partners.urls")),
    path("", include("reciprocity.playbook.urls")),
]
handler400 = "reciprocity.views.bad_request"
handler500 = "reciprocity.views.server_error"
