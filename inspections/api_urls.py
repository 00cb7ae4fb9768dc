"""API routes of inspections, included under /api/v1/."""

from inspections.api import InspectionDrawViewSet, InspectionItemViewSet
from utilities.routers import IdRouter

router = IdRouter()
router.register("inspection-items", InspectionItemViewSet, basename="inspection-item")
router.register("inspection-draws", InspectionDrawViewSet, basename="inspection-draw")

urlpatterns = router.urls
