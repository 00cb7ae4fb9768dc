from django.urls import path

from matters import hazards_views, views

app_name = "matters"
urlpatterns = [
    path("", views.matter_list, name="list"),
    path("workbench/", views.workbench, name="workbench"),
    path("new/", views.matter_new, name="new"),
    path("<int:pk>/", views.matter_detail, name="detail"),
    path("<int:pk>/transitions/<slug:code>/", views.matter_transition, name="transition"),
    path("<int:pk>/instruments/<int:instrument>/sign/", views.instrument_sign, name="sign"),
    path("<int:pk>/major/", views.matter_mark_major, name="major"),
    path("hazards/", hazards_views.hazard_register, name="hazards"),
    path("hazards/<int:pk>/", hazards_views.hazard_detail, name="hazard"),
    path("<int:pk>/hazards/refer/", hazards_views.hazards_refer, name="hazards_refer"),
    path("<int:pk>/hazards/new/", hazards_views.hazard_new, name="hazard_new"),
    path("enterprises/<int:pk>/", hazards_views.enterprise_file, name="enterprise_file"),
    path("<int:pk>/instruments/<int:instrument>/serve/", views.instrument_serve, name="serve"),
    path("<int:pk>/instruments/<int:instrument>/receipt/", views.instrument_receipt, name="serve_receipt"),
    path("<int:pk>/service-addresses/", views.service_address_new, name="service_address"),
]
