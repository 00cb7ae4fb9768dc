from django.urls import path

from field import views

app_name = "field"
urlpatterns = [
    path("", views.app, name="app"),
    path("app.js", views.app_js, name="app_js"),
    path("sw.js", views.service_worker, name="sw"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("icon.svg", views.icon_svg, name="icon_svg"),
    path("icon-192.png", views.icon_png, name="icon_png"),
    path("matters/<int:pk>/code/", views.code, name="code"),
    path("ratings/", views.ratings, name="ratings"),
    path("instruments/<int:pk>/print/", views.instrument_print, name="print"),
    path("instruments/<int:pk>/send/", views.instrument_send, name="send"),
    path("instruments/<int:pk>/arrived/", views.instrument_arrived, name="arrived"),
]
