from django.urls import path

from org import views

app_name = "org"
urlpatterns = [
    path("", views.agency, name="agency"),
    path("staff/new/", views.staff_new, name="staff_new"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/roles/", views.staff_roles, name="staff_roles"),
    path("staff/<int:pk>/certificates/new/", views.certificate_new, name="certificate_new"),
]
