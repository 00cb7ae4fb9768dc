"""Portal pages that QR codes open: no log-in; the random token is the only key."""

from django.urls import path

from field import views

app_name = "field_public"
urlpatterns = [
    path("visit/<str:token>/", views.visit, name="visit"),
    path("check/<str:token>/", views.check, name="check"),
]
