"""API routes of policy added after the first ones (those stay in zhifa/api_urls.py), under /api/v1/."""

from django.urls import path

from policy.api import SupplementListView

urlpatterns = [
    path("policy/supplements/", SupplementListView.as_view(), name="api-policy-supplements"),
]
