from django.utils.functional import SimpleLazyObject


def bell(request):
    """The reminder count in the staff header, counted only when a page shows it."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {}
    from supervision.reminders import bell_count

    return {"bell": SimpleLazyObject(lambda: {"count": bell_count(user)})}
