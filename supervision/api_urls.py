"""API routes of supervision, included under /api/v1/."""

from rest_framework.routers import DefaultRouter

from supervision.api import FindingViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("supervision/findings", FindingViewSet, basename="supervision-finding")

urlpatterns = router.urls

# AV spot checks, 案卷评查 (with the 合格率 and the year's evaluation), 执法过错 (issue 16 items 2-4)
from django.urls import path  # noqa: E402

from supervision.oversight_api import CaseReviewViewSet, EvaluationView, FaultViewSet, SpotCheckViewSet  # noqa: E402

router.register("supervision/spotchecks", SpotCheckViewSet, basename="supervision-spotcheck")
router.register("supervision/casereviews", CaseReviewViewSet, basename="supervision-casereview")
router.register("supervision/faults", FaultViewSet, basename="supervision-fault")
urlpatterns = [*router.urls, path("supervision/evaluation/", EvaluationView.as_view(), name="api-supervision-evaluation")]

# A supervising body's staff (司法行政部门, 执法监督) across the agencies it supervises: read-only (issue 17 item 2)
from supervision import body_api  # noqa: E402

urlpatterns += [
    path("supervision/body/agencies/", body_api.BodyAgencyListView.as_view(), name="api-body-agencies"),
    path("supervision/body/agencies/<int:pk>/", body_api.BodyAgencyView.as_view(), name="api-body-agency"),
    path("supervision/body/agencies/<int:pk>/matters/", body_api.BodyMatterListView.as_view(),
         name="api-body-agency-matters"),
    path("supervision/body/agencies/<int:pk>/statistics/", body_api.BodyStatisticsView.as_view(),
         name="api-body-agency-statistics"),
    path("supervision/body/matters/<int:pk>/", body_api.BodyMatterView.as_view(), name="api-body-matter"),
]
