from django.urls import path

from policy import views

app_name = "policy"
urlpatterns = [
    path("", views.rules, name="rules"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/arrangements/new/", views.arrangement_new, name="arrangement_new"),
    path("supplements/new/", views.supplement_new, name="supplement_new"),
]
