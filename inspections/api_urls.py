"""API routes of inspections, included under /api/v1/."""

urlpatterns = []
