"""The product's URLs plus the baselines of bench/reads.py: /bench/unlogged/records/<pk>/, the
product's record page with its ledger event switched off, and /bench/unlogged/api/v1/records/<pk>/,
the product's record detail API the same way. Bench only, never in the product: the switch replaces
the event writer of `records.selectors` for the length of one request, which is safe only because
gunicorn's sync workers serve one request at a time per process."""

from unittest import mock

from django.urls import path

from records import selectors
from records.views import record_detail
from zhifa.api_urls import router
from zhifa.urls import handler403  # noqa: F401
from zhifa.urls import urlpatterns as product_urls


def _not_logged(**kwargs):
    return None


def unlogged_record_detail(request, pk: int):
    with mock.patch.object(selectors, "event_record", _not_logged):
        return record_detail(request, pk=pk)


# the product's own view of /api/v1/records/<pk>/, as its router builds it
_record_api_detail = next(p.callback for p in router.urls if p.name == "record-detail")


def unlogged_record_api_detail(request, pk: int):
    with mock.patch.object(selectors, "event_record", _not_logged):
        return _record_api_detail(request, pk=pk)


urlpatterns = [
    path("bench/unlogged/records/<int:pk>/", unlogged_record_detail),
    path("bench/unlogged/api/v1/records/<int:pk>/", unlogged_record_api_detail),
    *product_urls,
]
