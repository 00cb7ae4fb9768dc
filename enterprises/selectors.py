from django.db.models import Q, QuerySet

from enterprises.models import Enterprise
from ledger.refusals import object_visible
from org.permissions import require


def enterprise_list(*, viewer, query: str = "") -> QuerySet[Enterprise]:
    """The viewer's agency register of enterprises, optionally filtered by name, code or industry."""
    require(viewer, "enterprises.view")
    qs = Enterprise.objects.filter(agency_id=viewer.agency_id).select_related("supervising_section")
    query = (query or "").strip()
    if query:
        qs = qs.filter(
            Q(name__icontains=query) | Q(id_number__icontains=query) | Q(industry__icontains=query)
        )
    return qs.order_by("name")


def enterprise_get(*, viewer, pk: int) -> Enterprise:
    return object_visible(
        enterprise_list(viewer=viewer), pk=pk, viewer=viewer, missing="本单位登记簿中没有这个生产经营单位。"
    )
