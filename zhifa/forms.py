"""What every form page shares."""

from django.core.exceptions import ValidationError


def form_refusal(form, exc: Exception) -> list[str]:
    """Put a service's refusal on the form as non-field errors (the page shows them, nothing
    changed) and return the messages. A ValidationError may carry several; a PermissionDenied
    carries its own Chinese message."""
    found = exc.messages if isinstance(exc, ValidationError) else [str(exc) or "您没有权限执行此操作。"]
    for message in found:
        form.add_error(None, message)
    return found
