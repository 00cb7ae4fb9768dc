"""API routes of publicity, included under /api/v1/."""

from publicity.api import PublicationViewSet
from utilities.routers import IdRouter

router = IdRouter()
router.register("publications", PublicationViewSet, basename="publication")

urlpatterns = router.urls
