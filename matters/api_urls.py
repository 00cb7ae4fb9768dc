"""API routes of matters, included under /api/v1/."""

from django.urls import path

from matters.api import MatterDetailView, MatterListView, SignatureView, TransitionView, WorkbenchView

urlpatterns = [
    path("matters/", MatterListView.as_view(), name="api-matters"),
    path("matters/workbench/", WorkbenchView.as_view(), name="api-matters-workbench"),
    path("matters/<int:pk>/", MatterDetailView.as_view(), name="api-matter"),
    path("matters/<int:pk>/transitions/<slug:code>/", TransitionView.as_view(), name="api-matter-transition"),
    path(
        "matters/<int:pk>/instruments/<int:instrument>/signatures/",
        SignatureView.as_view(),
        name="api-matter-signature",
    ),
]
