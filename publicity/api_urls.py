"""API routes of publicity, included under /api/v1/."""

from rest_framework.routers import DefaultRouter

from publicity.api import PublicationViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("publications", PublicationViewSet, basename="publication")

urlpatterns = router.urls
