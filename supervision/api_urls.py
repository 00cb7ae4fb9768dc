"""API routes of supervision, included under /api/v1/."""

from rest_framework.routers import DefaultRouter

from supervision.api import FindingViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("supervision/findings", FindingViewSet, basename="supervision-finding")

urlpatterns = router.urls
