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

# AV spot checks, 案卷评查, 执法过错 and the year's evaluation (issue 16 items 2-4)
from supervision import oversight_views as ov  # noqa: E402

urlpatterns += [
    path("spotchecks/", ov.spotchecks_page, name="spotchecks"),
    path("spotchecks/new/", ov.spotcheck_new, name="spotcheck_new"),
    path("spotchecks/<int:pk>/", ov.spotcheck_page, name="spotcheck"),
    path("spotchecks/<int:pk>/draw/", ov.spotcheck_draw, name="spotcheck_draw"),
    path("spotchecks/items/<int:pk>/answer/", ov.spotcheck_answer, name="spotcheck_answer"),
    path("casereviews/", ov.casereviews_page, name="casereviews"),
    path("casereviews/<int:pk>/", ov.casereview_page, name="casereview"),
    path("casereviews/casefiles/<int:pk>/", ov.casereview_new, name="casereview_new"),
    path("faults/", ov.faults_page, name="faults"),
    path("faults/new/", ov.fault_new, name="fault_new"),
    path("faults/<int:pk>/", ov.fault_page, name="fault"),
    path("evaluation/", ov.evaluation_page, name="evaluation"),
]

# A supervising body's staff (司法行政部门, 执法监督) across the agencies it supervises (issue 17 item 2)
from supervision import body_views as bv  # noqa: E402

urlpatterns += [
    path("body/", bv.body_home, name="body_home"),
    path("body/agencies/<int:pk>/", bv.body_agency, name="body_agency"),
    path("body/agencies/<int:pk>/statistics/", bv.body_statistics, name="body_statistics"),
    path("body/agencies/<int:pk>/records/", bv.body_records, name="body_records"),
    path("body/matters/<int:pk>/", bv.body_matter, name="body_matter"),
    path("body/records/<int:pk>/", bv.body_record, name="body_record"),
]
