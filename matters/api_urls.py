"""API routes of matters, included under /api/v1/."""

from django.urls import path

from matters.api import (
    InstrumentServiceView,
    MatterDetailView,
    MatterListView,
    ServiceAddressView,
    ServiceReceiptView,
    SignatureView,
    TransitionView,
    WorkbenchView,
)
from matters.hazards_api import (
    HazardDetailView,
    HazardListView,
    HazardRecordView,
    HazardReferView,
    HazardReinspectView,
    HazardReportView,
)

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
    path("matters/<int:pk>/hazards/", HazardRecordView.as_view(), name="api-matter-hazards"),
    path("matters/<int:pk>/hazards/refer/", HazardReferView.as_view(), name="api-matter-hazards-refer"),
    path("hazards/", HazardListView.as_view(), name="api-hazards"),
    path("hazards/<int:pk>/", HazardDetailView.as_view(), name="api-hazard"),
    path("hazards/<int:pk>/report/", HazardReportView.as_view(), name="api-hazard-report"),
    path("hazards/<int:pk>/reinspect/", HazardReinspectView.as_view(), name="api-hazard-reinspect"),
    path(
        "matters/<int:pk>/instruments/<int:instrument>/services/",
        InstrumentServiceView.as_view(),
        name="api-matter-instrument-services",
    ),
    path(
        "matters/<int:pk>/instruments/<int:instrument>/receipt/",
        ServiceReceiptView.as_view(),
        name="api-matter-instrument-receipt",
    ),
    path("matters/<int:pk>/service-addresses/", ServiceAddressView.as_view(), name="api-matter-service-addresses"),
]
