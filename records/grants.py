"""Access grants that other apps provide, without records importing them.

`access` registers a provider in its AppConfig.ready():

    grants.register(provider)   # provider(viewer, record, use) -> str | None

`use` is "read" (the record's page and metadata) or "download" (its file). A provider returns a
short Chinese label of the grant (e.g. the approved request's number), which goes into the read's
ledger event, or None.
"""

from collections.abc import Callable

_providers: list[Callable] = []


def register(provider: Callable) -> None:
    if provider not in _providers:
        _providers.append(provider)


def grant_for(viewer, record, use: str) -> str | None:
    for provider in _providers:
        label = provider(viewer, record, use)
        if label:
            return label
    return None
