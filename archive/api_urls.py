"""API routes of the archive, included under /api/v1/."""

from rest_framework.routers import DefaultRouter

from archive.api import CarrierViewSet, CaseFileViewSet, DisposalViewSet, HoldViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("archive/case-files", CaseFileViewSet, basename="archive-case-file")
router.register("archive/holds", HoldViewSet, basename="archive-hold")
router.register("archive/disposals", DisposalViewSet, basename="archive-disposal")
router.register("archive/carriers", CarrierViewSet, basename="archive-carrier")

urlpatterns = router.urls
