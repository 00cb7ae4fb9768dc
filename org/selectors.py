"""Reads for organisations and people; each takes the viewer and returns only what they may see."""

from datetime import date

from django.db.models import Prefetch, QuerySet

from ledger.refusals import object_visible, refusal_record
from org.gates import assignment_excluded
from org.models import Agency, EnforcementCertificate, Section, Staff
from org.permissions import can, require


def agency_of(*, viewer) -> Agency:
    require(viewer, "org.view_agency")
    return viewer.agency


def section_list(*, viewer) -> QuerySet[Section]:
    require(viewer, "org.view_agency")
    return Section.objects.filter(agency_id=viewer.agency_id).order_by("id")


def staff_list(*, viewer) -> QuerySet[Staff]:
    """The viewer's agency staff with roles and certificates, in a fixed number of queries."""
    require(viewer, "org.view_staff")
    return (
        Staff.objects.filter(agency_id=viewer.agency_id, is_active=True)
        .select_related("agency", "section")
        .prefetch_related(
            "role_assignments",
            Prefetch("certificates", queryset=EnforcementCertificate.objects.order_by("-valid_to")),
        )
        .order_by("section_id", "id")
    )


def staff_get(*, viewer, pk: int) -> Staff:
    """One member of staff: anyone may see themselves; others need org.view_staff."""
    if viewer.pk == pk:
        return Staff.objects.get(pk=pk)
    if not can(viewer, "org.view_staff"):
        other = Staff.objects.filter(pk=pk).first()
        if other is not None:
            refusal_record(subject=other, acting_user=viewer, reason="无查看人员信息的权限")
        require(viewer, "org.view_staff")
    return staff_for(viewer=viewer, pk=pk)


def staff_for(*, viewer, pk: int) -> Staff:
    """A member of the viewer's agency staff (org.view_staff); any other id is a logged 404."""
    return object_visible(staff_list(viewer=viewer), pk=pk, viewer=viewer, missing="本单位没有这名人员，或该人员不存在。")


def officer_list_assignable(*, viewer, on: date) -> QuerySet[Staff]:
    """Officers of the viewer's agency who hold a valid 执法证 on `on` (only they may be assigned)."""
    require(viewer, "org.assign_officers")
    valid = EnforcementCertificate.objects.valid_on(on).values("staff_id")
    return (
        Staff.objects.filter(
            agency_id=viewer.agency_id, is_active=True, role_assignments__role="officer", pk__in=valid
        )
        .exclude(pk__in=assignment_excluded(viewer.agency_id, on))
        .select_related("section")
        .distinct()
        .order_by("section_id", "id")
    )
