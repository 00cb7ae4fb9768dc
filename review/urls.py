from django.urls import path

from review import views

app_name = "review"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("staffing/", views.staffing, name="staffing"),
    path("matters/<int:matter_pk>/submit/", views.submit, name="submit"),
    path("matters/<int:matter_pk>/major/", views.mark_major, name="mark_major"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/supplement/", views.supplement, name="supplement"),
    path("<int:pk>/provide/", views.provide, name="provide"),
    path("<int:pk>/extend/", views.extend, name="extend"),
    path("<int:pk>/opinion/", views.opinion, name="opinion"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/reassign/", views.reassign, name="reassign"),
]
