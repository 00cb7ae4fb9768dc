from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny

from enterprises.api import EnterpriseViewSet
from equipment.api import DeviceViewSet
from ledger.api import CheckpointView, ConsistencyView, EventProofView, VerifierKeyView
from org.api import (
    AgencyView,
    AssignableOfficersView,
    CertificateViewSet,
    MeView,
    OfficerCheckView,
    SectionViewSet,
    StaffViewSet,
)
from policy.api import ArrangementViewSet, DeadlineView, PackListView, RulesView, WorkdaysAddView
from records.api import FieldReturnView, RecordViewSet, UploadFinishView, UploadStartView, UploadView
from utilities.routers import IdRouter
from zhifa.api import CapabilityMixin


class TokenView(ObtainAuthToken):
    """POST username and password, get an API token. Open to anyone: it is the log-in."""

    permission_classes = (AllowAny,)
    public = True


class SchemaView(CapabilityMixin, SpectacularAPIView):
    capability = "home.view"


class DocsView(CapabilityMixin, SpectacularSwaggerView):
    capability = "home.view"


router = IdRouter()
router.register("sections", SectionViewSet, basename="section")
router.register("staff", StaffViewSet, basename="staff")
router.register("certificates", CertificateViewSet, basename="certificate")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("calendar/arrangements", ArrangementViewSet, basename="arrangement")
router.register("devices", DeviceViewSet, basename="device")
router.register("records", RecordViewSet, basename="record")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("me/", MeView.as_view(), name="api-me"),
    path("agency/", AgencyView.as_view(), name="api-agency"),
    path("officers/assignable/", AssignableOfficersView.as_view(), name="api-officers-assignable"),
    path("officers/<int:pk>/assignable/", OfficerCheckView.as_view(), name="api-officer-check"),
    path("policy/packs/", PackListView.as_view(), name="api-policy-packs"),
    path("policy/rules/", RulesView.as_view(), name="api-policy-rules"),
    path("workdays/add/", WorkdaysAddView.as_view(), name="api-workdays-add"),
    path("workdays/deadline/", DeadlineView.as_view(), name="api-workdays-deadline"),
    path("uploads/", UploadStartView.as_view(), name="api-upload-start"),
    path("uploads/<uuid:pk>/", UploadView.as_view(), name="api-upload"),
    path("uploads/<uuid:pk>/finish/", UploadFinishView.as_view(), name="api-upload-finish"),
    path("ledger/checkpoint/", CheckpointView.as_view(), name="api-ledger-checkpoint"),
    path("ledger/key/", VerifierKeyView.as_view(), name="api-ledger-key"),
    path("ledger/consistency/", ConsistencyView.as_view(), name="api-ledger-consistency"),
    path("ledger/events/<int:index>/proof/", EventProofView.as_view(), name="api-ledger-proof"),
    path("records/returns/", FieldReturnView.as_view(), name="api-field-returns"),
    *router.urls,
    path("", include("matters.api_urls")),
    path("", include("review.api_urls")),
    path("", include("publicity.api_urls")),
    path("", include("inspections.api_urls")),
    path("", include("access.api_urls")),
    path("", include("archive.api_urls")),
    path("", include("policy.api_urls")),
    path("", include("supervision.api_urls")),
    path("field/", include("field.api_urls")),
]
