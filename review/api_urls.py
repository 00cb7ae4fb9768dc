"""API routes of review, included under /api/v1/."""

urlpatterns = []
