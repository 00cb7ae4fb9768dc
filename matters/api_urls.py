"""API routes of matters, included under /api/v1/."""

urlpatterns = []
