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


# What to do about a refused record: `access` says who approves a 调阅 under the agency's pack.
_advisers: list[Callable] = []


def register_adviser(adviser: Callable) -> None:
    """adviser(viewer, record) -> (text, requestable) or None: the next step for a viewer refused
    `record`, and whether a 调阅 request for it can be submitted."""
    if adviser not in _advisers:
        _advisers.append(adviser)


def advice_for(viewer, record) -> tuple[str, bool] | None:
    for adviser in _advisers:
        advice = adviser(viewer, record)
        if advice:
            return advice
    return None
