from django.urls import path

from matters import views

app_name = "matters"
urlpatterns = [
    path("", views.matter_list, name="list"),
    path("workbench/", views.workbench, name="workbench"),
    path("new/", views.matter_new, name="new"),
    path("<int:pk>/", views.matter_detail, name="detail"),
    path("<int:pk>/transitions/<slug:code>/", views.matter_transition, name="transition"),
    path("<int:pk>/instruments/<int:instrument>/sign/", views.instrument_sign, name="sign"),
    path("<int:pk>/major/", views.matter_mark_major, name="major"),
]
