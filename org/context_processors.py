from org.permissions import CAPABILITIES, can


def staff_context(request):
    """The capabilities of the logged-in user, so templates show only what they may use."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {"caps": frozenset()}
    return {"caps": frozenset(cap for cap in CAPABILITIES if can(user, cap))}
