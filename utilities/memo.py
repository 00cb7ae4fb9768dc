"""Reads worked out once per request: a page whose parts each need the same read (the agency's
rules, the open matters an officer handles) asks for it through `per_request`, and the second
caller gets the first caller's answer instead of another query.

Only inside a GET or HEAD request (RequestMemoMiddleware opens the scope): such a request changes
nothing that is memoised (a logged read adds a ledger event, not a rule or a matter), and the scope
ends with the response, so another request or process never sees an old answer. Outside a request
(services, commands, workers) every call reads afresh.
"""

from collections.abc import Callable
from contextvars import ContextVar

_scope: ContextVar[dict | None] = ContextVar("zhifa_request_memo", default=None)


def per_request(key: tuple, compute: Callable):
    """compute() once per request scope for `key` (which must name everything the answer
    depends on); without a scope, compute() every time."""
    store = _scope.get()
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]


class RequestMemoMiddleware:
    """Opens a memo scope for the length of a GET or HEAD request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        token = _scope.set({})
        try:
            return self.get_response(request)
        finally:
            _scope.reset(token)
