from django.contrib.auth import views as auth_views
from django.urls import include, path

from org.permissions import public
from zhifa import views

urlpatterns = [
    # The public portal first: it is the busiest path and needs no log-in (resolved in one step).
    path("public/", include("publicity.urls")),
    path("", views.home, name="home"),
    path("login/", public(auth_views.LoginView.as_view(redirect_authenticated_user=True)), name="login"),
    path("logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    path("org/", include("org.urls")),
    path("policy/", include("policy.urls")),
    path("enterprises/", include("enterprises.urls")),
    path("records/", include("records.urls")),
    path("equipment/", include("equipment.urls")),
    path("ledger/", include("ledger.urls")),
    path("matters/", include("matters.urls")),
    path("review/", include("review.urls")),
    path("inspections/", include("inspections.urls")),
    path("access/", include("access.urls")),
    path("archive/", include("archive.urls")),
    path("supervision/", include("supervision.urls")),
    path("api/v1/", include("zhifa.api_urls")),
    path("field/", include("field.urls")),
    path("public/", include("field.public_urls")),
]

handler400 = "zhifa.errors.bad_request"
handler403 = "zhifa.errors.forbidden"
handler404 = "zhifa.errors.not_found"
handler500 = "zhifa.errors.server_error"
