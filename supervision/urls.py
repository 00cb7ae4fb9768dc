from django.urls import path

from supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.findings, name="findings"),
    path("findings/<int:pk>/", views.finding, name="finding"),
    path("scan/", views.scan, name="scan"),
    path("statistics/", views.statistics, name="statistics"),
    path("statistics.xlsx", views.statistics_export, name="statistics_export"),
    path("reminders/", views.reminders, name="reminders"),
    path("challenges/", views.challenges, name="challenges"),
    path("challenges/act/", views.challenge_act, name="challenge_act"),
    path("reminders/service-proof/", views.service_proof, name="service_proof"),
]
