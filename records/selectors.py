"""Who may read which record, and the reads themselves (each one a ledger event)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404

from ledger.services import event_record
from org.choices import Role
from org.permissions import require
from policy.selectors import agency_rules
from records.choices import Confidentiality
from records.models import Record, RecordVersion
from records.storage import blob_store

WIDE_READERS = (Role.LEADER, Role.ARCHIVIST)


def _visible(viewer) -> Q:
    """Records of the viewer's agency that the viewer may read without an access approval.

    Same section only for officers and chiefs (000 记录信息调阅监督制度第六条: other sections need the
    handling section's approval, which comes with the access-request feature); leaders and archivists
    see the agency's records; 涉密 records only the leader and the person who filed them.
    """
    everything = Q(pk__isnull=False)  # (an empty Q() would vanish when OR-ed)
    leader = viewer.has_role(Role.LEADER)
    normal = everything if viewer.has_role(*WIDE_READERS) else Q(section_id=viewer.section_id)
    own = Q(created_by=viewer) | Q(officers=viewer)
    if leader:
        restricted = everything
    elif viewer.has_role(Role.SECTION_CHIEF):
        restricted = own | Q(section_id=viewer.section_id)
    else:
        restricted = own
    secret = everything if leader else Q(created_by=viewer)
    return Q(agency_id=viewer.agency_id) & (
        (Q(confidentiality=Confidentiality.NORMAL) & normal)
        | (Q(confidentiality=Confidentiality.RESTRICTED) & restricted)
        | (Q(confidentiality=Confidentiality.SECRET) & secret)
    )


def record_list_logged(*, viewer, records: list[Record], purpose: str) -> None:
    """A read of several records' metadata (an API list page) is one ledger event naming them."""
    if records:
        with transaction.atomic():
            event_record(
                kind="record.list",
                subject=viewer,
                acting_user=viewer,
                agency=viewer.agency,
                data={"purpose": purpose, "records": [r.pk for r in records]},
            )


def record_list(*, viewer, query: str = "") -> QuerySet[Record]:
    require(viewer, "records.view")
    qs = Record.objects.filter(_visible(viewer)).distinct().select_related("section", "device", "party")
    if query.strip():
        qs = qs.filter(
            Q(title__icontains=query) | Q(versions__sha256__startswith=query.strip().lower())
        ).distinct()
    return qs.order_by("-id")


def record_for(*, viewer, pk: int) -> Record:
    """The record if the viewer may read it. Raises Record.DoesNotExist (other agency) or
    PermissionDenied with a Chinese message naming what approval is needed."""
    require(viewer, "records.view")
    try:
        record = Record.objects.select_related("section", "agency", "device", "party", "created_by").get(
            pk=pk, agency_id=viewer.agency_id
        )
    except Record.DoesNotExist:
        raise Http404("记录不存在，或不属于本单位。") from None
    if not Record.objects.filter(_visible(viewer), pk=pk).exists():
        _log_refusal(viewer, record)
        raise PermissionDenied(_refusal_text(record))
    return record


def _refusal_text(record: Record) -> str:
    """Who approves another section's access comes from the pack (抚顺 调阅第六条: 承办科室主管领导)."""
    head = f"该记录由{record.section.name}承办（密级：{record.get_confidentiality_display()}），"
    rule = agency_rules(record.agency).get("access.other_section_approver")
    if rule is None:
        return head + (
            "本单位制度未规定非承办科室调阅的审批人；在调阅审批功能上线前，仅本科室人员可以查看，"
            f"请联系{record.section.name}。"
        )
    return (
        head + f"调阅须经{rule.value}批准（{rule.cited('、')}）；在调阅审批功能上线前，仅本科室人员可以查看，"
        f"请联系{record.section.name}。"
    )


def _log_refusal(viewer, record: Record) -> None:
    """A refused look at a record is logged too. Callers check before they open their own
    transaction, so this event commits even though the request fails."""
    with transaction.atomic():
        event_record(
            kind="record.denied", subject=record, acting_user=viewer, data={"section": record.section.name}
        )


def record_view(*, viewer, pk: int, purpose: str = "查看记录详情") -> Record:
    """Read a record's page: checked (a refusal is logged), then logged with who, when and why."""
    record = record_for(viewer=viewer, pk=pk)
    with transaction.atomic():
        event_record(kind="record.view", subject=record, acting_user=viewer, data={"purpose": purpose})
    return record


def version_download(*, viewer, record_pk: int, number: int, purpose: str):
    """Open a stored file for download: checked (a refusal is logged), then logged with the purpose.
    Returns (version, stream)."""
    if not (purpose or "").strip():
        from django.core.exceptions import ValidationError

        raise ValidationError("下载记录须填写用途。")
    record = record_for(viewer=viewer, pk=record_pk)
    version = RecordVersion.objects.filter(record=record, number=number).first()
    if version is None:
        raise Http404(f"该记录没有第{number}版。")
    with transaction.atomic():
        event_record(
            kind="record.download",
            subject=record,
            acting_user=viewer,
            data={"version": number, "sha256": version.sha256, "purpose": purpose.strip()},
        )
    return version, blob_store().open(version.sha256)
