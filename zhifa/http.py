"""Facts about an HTTP request that several apps need."""

from ipaddress import ip_address

from django.conf import settings


def client_address(request) -> str | None:
    """The address the request came from. Behind ZHIFA_TRUSTED_PROXIES reverse proxies, the entry
    that the outermost trusted proxy appended to X-Forwarded-For; entries further left were written
    by the client and are not believed. None when no valid address is known."""
    candidate = request.META.get("REMOTE_ADDR", "")
    hops = settings.ZHIFA_TRUSTED_PROXIES
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
    try:
        return str(ip_address(candidate))
    except ValueError:
        return None
