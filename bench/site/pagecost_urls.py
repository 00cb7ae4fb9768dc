"""The product's URLs plus the baselines bench/pagecost.py compares against: /bench/bare/ (a view
that does nothing, from portal_urls), /bench/unlogged/records/<pk>/ (the record page with its
ledger event switched off, from reads_urls) and /bench/unlogged/api/v1/records/<pk>/ (the record
detail API the same way). Bench only, never in the product."""

from django.urls import path
from portal_urls import bare
from reads_urls import unlogged_record_api_detail, unlogged_record_detail

from zhifa.urls import handler403  # noqa: F401
from zhifa.urls import urlpatterns as product_urls

urlpatterns = [
    path("bench/bare/", bare),
    path("bench/unlogged/records/<int:pk>/", unlogged_record_detail),
    path("bench/unlogged/api/v1/records/<int:pk>/", unlogged_record_api_detail),
    *product_urls,
]
