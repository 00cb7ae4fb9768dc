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
        parts = []
        for field, messages in response.data.items():
            text = "；".join(map(str, messages)) if isinstance(messages, list) else str(messages)
            parts.append(text if field == "non_field_errors" else f"{field}：{text}")
        response.data = {"detail": "；".join(parts), "errors": response.data}
    return response


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
