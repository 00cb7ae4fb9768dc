"""API routes of inspections, included under /api/v1/."""

from rest_framework.routers import DefaultRouter

from inspections.api import InspectionDrawViewSet, InspectionItemViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("inspection-items", InspectionItemViewSet, basename="inspection-item")
router.register("inspection-draws", InspectionDrawViewSet, basename="inspection-draw")

urlpatterns = router.urls
