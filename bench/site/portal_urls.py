"""The product's URLs plus /bench/bare/: a Django view that does nothing, served by the same
server through the same middleware, as the baseline of bench/portal.py."""

from django.http import HttpResponse
from django.urls import path

from org.permissions import public
from zhifa.urls import handler403  # noqa: F401
from zhifa.urls import urlpatterns as product_urls


@public
def bare(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *product_urls]
