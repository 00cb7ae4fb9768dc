from functools import lru_cache

from org.permissions import CAPABILITIES


def staff_context(request):
    """The capabilities of the logged-in user, so templates show only what they may use."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {"caps": frozenset()}
    if not user.is_active:
        return {"caps": frozenset()}
    return {"caps": _capabilities(frozenset(user.role_codes))}


@lru_cache(maxsize=256)
def _capabilities(roles: frozenset[str]) -> frozenset[str]:
    """Every capability a set of roles grants (what can() answers for each), worked out once per
    set of roles and process: the capability table is code."""
    return frozenset(cap for cap, granted in CAPABILITIES.items() if roles & granted)
