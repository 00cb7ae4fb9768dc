"""API plumbing shared by every app: Chinese errors for refused writes, and base views."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ledger.refusals import object_visible
from org.permissions import HasCapability
from policy.packs import RuleMissing


def exception_handler(exc, context):
    """Service errors become API errors: a Chinese `detail`, and nothing was changed."""
    if isinstance(exc, DjangoValidationError):
        return Response(
            {"detail": "；".join(exc.messages), "errors": exc.messages}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"detail": str(exc) or "您没有权限执行此操作。"}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, RuleMissing):
        return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        # Field errors: keep them per field and add one Chinese sentence for people and simple clients.
        parts = [text if not path else f"{path}：{text}" for path, text in _flatten(response.data)]
        response.data = {"detail": "；".join(parts), "errors": response.data}
    return response


def _flatten(errors, path: str = ""):
    """(field path, message) for every message in DRF's nested errors: a field of a nested
    serializer is `service.served_at`, an item of a list `officers[2]`; never a Python repr."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = "" if key == "non_field_errors" else str(key)
            if isinstance(key, int):
                child = f"{path}[{key}]"
            else:
                child = f"{path}.{name}" if path and name else (name or path)
            yield from _flatten(value, child)
    elif isinstance(errors, list | tuple):
        for value in errors:
            yield from _flatten(value, path)
    else:
        yield path, str(errors)


class CapabilityMixin:
    """Every API view names its capability; HasCapability enforces it (see org.permissions)."""

    permission_classes = (HasCapability,)
    capability: str
    capabilities: dict = {}

    def get_object(self):
        """The object of a detail route from the viewer's queryset; an id outside it that exists
        (another agency's, one the viewer may not see) is logged as `<model>.denied` before the 404."""
        try:
            return super().get_object()
        except Http404:
            pk = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
            if self.lookup_field == "pk" and pk is not None and str(pk).isdigit():
                object_visible(self.get_queryset(), pk=int(pk), viewer=self.request.user)
            raise
