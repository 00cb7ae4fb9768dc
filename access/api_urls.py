"""API routes of access, included under /api/v1/."""

from django.urls import path

from access import api

urlpatterns = [
    path("access/requests/", api.RequestListView.as_view(), name="api-access-requests"),
    path("access/requests/<int:pk>/", api.RequestDetailView.as_view(), name="api-access-request"),
    path("access/requests/<int:pk>/decision/", api.DecisionView.as_view(), name="api-access-decision"),
    path("access/requests/<int:pk>/sessions/", api.SessionOpenView.as_view(), name="api-access-session-open"),
    path("access/requests/<int:pk>/copies/", api.CopyView.as_view(), name="api-access-copies"),
    path("access/requests/<int:pk>/loan/", api.LoanView.as_view(), name="api-access-loan"),
    path("access/requests/<int:pk>/post/", api.PostView.as_view(), name="api-access-post"),
    path("access/requests/<int:pk>/export/", api.ExportView.as_view(), name="api-access-export"),
    path("access/requests/<int:pk>/disc-log/", api.DiscLogView.as_view(), name="api-access-disc-log"),
    path("access/sessions/<int:pk>/close/", api.SessionCloseView.as_view(), name="api-access-session-close"),
    path(
        "access/sessions/<int:pk>/records/<int:record>/",
        api.SessionRecordView.as_view(),
        name="api-access-session-record",
    ),
    path("access/keep-marks/", api.KeepMarkView.as_view(), name="api-access-keep-marks"),
    path("access/register/", api.RegisterView.as_view(), name="api-access-register"),
]
