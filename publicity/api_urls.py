"""API routes of publicity, included under /api/v1/."""

urlpatterns = []
