"""API routes of review, included under /api/v1/."""

from django.urls import path

from review import api

urlpatterns = [
    path("reviews/", api.ReviewListView.as_view(), name="api-review-list"),
    path("reviews/submit/", api.SubmitView.as_view(), name="api-review-submit"),
    path("reviews/staffing/", api.StaffingView.as_view(), name="api-review-staffing"),
    path("reviews/<int:pk>/", api.ReviewDetailView.as_view(), name="api-review-detail"),
    path("reviews/<int:pk>/assign/", api.AssignView.as_view(), name="api-review-assign"),
    path("reviews/<int:pk>/supplement/", api.SupplementView.as_view(), name="api-review-supplement"),
    path("reviews/<int:pk>/provide/", api.ProvideView.as_view(), name="api-review-provide"),
    path("reviews/<int:pk>/extend/", api.ExtendView.as_view(), name="api-review-extend"),
    path("reviews/<int:pk>/opinion/", api.OpinionView.as_view(), name="api-review-opinion"),
    path("reviews/<int:pk>/decide/", api.DecideView.as_view(), name="api-review-decide"),
    path("matters/<int:pk>/review-scope/", api.ScopeView.as_view(), name="api-review-scope"),
    path("matters/<int:pk>/major/", api.MajorView.as_view(), name="api-review-major"),
]
