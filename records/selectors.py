"""Who may read which record, and the reads themselves (each one a ledger event)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.db.models.functions import Cast
from django.http import Http404

from ledger.refusals import object_visible
from ledger.services import event_record
from org.choices import Role
from org.models import Staff
from org.permissions import require
from policy.calendar import compute_deadline
from policy.selectors import agency_rules
from records import grants
from records.choices import Confidentiality, RecordKind
from records.models import DuplicateDelivery, Exemption, Record, RecordVersion
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


def _page_rows() -> QuerySet[Record]:
    """A record as its page shows it: its relations, and whether a disposal removed any of its
    files (record_destruction reads no more if not)."""
    return Record.objects.select_related("section", "agency", "device", "party", "created_by").annotate(
        destroy_logged=_destroy_logged()
    )


def record_for(*, viewer, pk: int, use: str | None = None, rows: QuerySet[Record] | None = None) -> Record:
    """The record if the viewer may read it. Raises Http404 (no such record in the viewer's
    agency) or PermissionDenied with a Chinese message naming who can approve; both are logged
    as `record.denied` when the record exists.

    With `use` ("read" or "download"), an approved access grant (000 记录信息调阅监督制度第六条)
    also opens the record; its label is kept on `record.grant` for the read's ledger event.
    `rows`: what to read with the record (default: what its page shows).
    """
    require(viewer, "records.view")
    # Whether the viewer may read it without a grant comes with the row (one query, not two).
    readable = Exists(Record.objects.filter(_visible(viewer), pk=OuterRef("pk")))
    record = object_visible(
        (_page_rows() if rows is None else rows).filter(agency_id=viewer.agency_id).annotate(readable=readable),
        pk=pk,
        viewer=viewer,
        missing="记录不存在，或不属于本单位。",
    )
    record.grant = None
    if not record.readable:
        record.grant = grants.grant_for(viewer, record, use) if use else None
        if record.grant is None:
            _log_refusal(viewer, record)
            raise RecordRefused(record, viewer)
    return record


class RecordRefused(PermissionDenied):
    """A record of the viewer's agency that the viewer may not read: the message says who can let
    them see it, and the refusal page offers a 调阅 request for it where the pack provides one."""

    template = "records/refused.html"

    def __init__(self, record: Record, viewer=None):
        advice = grants.advice_for(viewer, record) if viewer is not None else None
        if record.confidentiality == Confidentiality.SECRET or advice is None:
            message, requestable = refusal_message(record), advice is not None and advice[1]
        else:
            message, requestable = _head(record) + advice[0], advice[1]
        super().__init__(message)
        self.context = {"refused_record": record.pk, "requestable": requestable}


def refusal_message(record: Record) -> str:
    """Why a record is refused, and who can let the viewer see it. Who approves another section's
    access comes from the pack (抚顺 调阅第六条: 承办科室主管领导)."""
    if record.confidentiality == Confidentiality.SECRET:
        return "该记录涉及国家秘密，只有局领导和登记人可以查看；如确需调阅，请报局领导批准。"
    head = _head(record)
    apply = "请在“记录调阅”中提交调阅申请，批准后在调阅期内（须陪同查看的，在档案管理员开启的调阅场次内）查看。"
    rule = agency_rules(record.agency).get("access.other_section_approver")
    if rule is None:
        return head + f"本单位制度未规定非承办科室调阅的审批人，请联系{record.section.name}；" + apply
    return head + f"调阅须经{rule.value}批准（{rule.cited('、')}）：" + apply


def _head(record: Record) -> str:
    return f"该记录由{record.section.name}承办（密级：{record.get_confidentiality_display()}），"


def _log_refusal(viewer, record: Record) -> None:
    """A refused look at a record is logged too. Callers check before they open their own
    transaction, so this event commits even though the request fails."""
    with transaction.atomic():
        event_record(
            kind="record.denied", subject=record, acting_user=viewer, data={"section": record.section.name}
        )


def record_view(
    *, viewer, pk: int, purpose: str = "查看记录详情", rows: QuerySet[Record] | None = None
) -> Record:
    """Read a record's page: checked (a refusal is logged), then logged with who, when and why.
    `rows`: what to read with the record, as record_for takes it."""
    record = record_for(viewer=viewer, pk=pk, use="read", rows=rows)
    data = {"purpose": purpose}
    if record.grant:
        data["grant"] = record.grant
    with transaction.atomic():
        event_record(kind="record.view", subject=record, acting_user=viewer, data=data)
    return record


def record_detail(*, viewer, pk: int, purpose: str) -> Record:
    """A record's metadata as the record detail API shows it: a logged read (record_view), with its
    versions (each knowing whether a later one supersedes it), their other names with the devices
    that delivered them, and its officers, in a fixed number of queries however many versions."""
    versions = RecordVersion.objects.annotate(
        is_superseded=Exists(RecordVersion.objects.filter(supersedes=OuterRef("pk"))),
        has_duplicates=Exists(DuplicateDelivery.objects.filter(version=OuterRef("pk"))),
    ).order_by("number")  # one record's: its Meta ordering would join the records to sort by them first
    rows = Record.objects.select_related("agency").prefetch_related(  # the agency: the read's event names it
        Prefetch("versions", queryset=versions),
        Prefetch("officers", queryset=Staff.objects.select_related(None).only("pk")),  # the JSON lists ids
    )
    record = record_view(viewer=viewer, pk=pk, purpose=purpose, rows=rows)
    # Other names are rare: only the versions that have any read them.
    prefetch_related_objects(
        [v for v in record.versions.all() if v.has_duplicates],
        Prefetch("duplicates", queryset=DuplicateDelivery.objects.select_related("device")),
    )
    return record


def version_download(*, viewer, record_pk: int, number: int, purpose: str):
    """Open a stored file for download: checked (a refusal is logged), then logged with the purpose.
    Returns (version, stream)."""
    if not (purpose or "").strip():
        from django.core.exceptions import ValidationError

        raise ValidationError("下载记录须填写用途。")
    record = record_for(viewer=viewer, pk=record_pk, use="download")
    version = RecordVersion.objects.filter(record=record, number=number).first()
    if version is None:
        raise Http404(f"该记录没有第{number}版。")
    data = {"version": number, "sha256": version.sha256, "purpose": purpose.strip()}
    stream = version_open(viewer=viewer, record=record, version=version, kind="record.download",
                          data=data | ({"grant": record.grant} if record.grant else {}))
    return version, stream


def exemption_for(*, viewer, pk: int) -> Exemption:
    """An exemption of the viewer's agency (its service decides who may act on it)."""
    require(viewer, "records.file")
    return object_visible(
        Exemption.objects.filter(agency_id=viewer.agency_id), pk=pk, viewer=viewer, missing="没有这条不适宜音像记录的说明。"
    )


def field_return_list(*, viewer) -> QuerySet:
    """Recorded returns from work away: one's own, the section's for its chief, all for leaders."""
    from records.models import FieldReturn

    require(viewer, "records.view")
    qs = FieldReturn.objects.filter(agency_id=viewer.agency_id).select_related("officer")
    if viewer.has_role(*WIDE_READERS):
        return qs
    if viewer.has_role(Role.SECTION_CHIEF):
        return qs.filter(Q(officer=viewer) | Q(officer__section_id=viewer.section_id))
    return qs.filter(officer=viewer)


def version_play(*, viewer, record_pk: int, number: int, playback: str, first: bool):
    """Open a stored file for the browser's player. A player fetches one file in many range
    requests; the first request of a playback (`first`: the page's playback id not seen before in
    this session) is logged as one `record.play` read, the rest are not. Returns (version, stream)."""
    record = record_for(viewer=viewer, pk=record_pk, use="read")  # playing is reading: a grant to read opens it
    version = RecordVersion.objects.filter(record=record, number=number).first()
    if version is None:
        raise Http404(f"该记录没有第{number}版。")
    data = {"version": number, "sha256": version.sha256, "playback": playback, "purpose": "在线播放"}
    if record.grant:
        data["grant"] = record.grant
    return version, version_open(viewer=viewer, record=record, version=version,
                                 kind="record.play" if first else None, data=data)


def record_case(*, record: Record) -> list[dict]:
    """The matters and steps a record belongs to (the steps that link it: evidence, a 文书's file),
    for the record page of a viewer who may already read the record."""
    rows = []
    for step in record.matter_steps.select_related("matter", "matter__party").order_by("acted_at", "pk"):
        rows.append({"matter": step.matter, "step": step})
    return rows


def record_retention(*, record: Record, version: RecordVersion, in_case: bool | None = None) -> dict | None:
    """How long the record is kept: the pack's minimum for audio-visual records from the end of the
    recording (or its filing), and, where it is evidence in a matter, with the case file (`in_case`:
    whether a matter's step links it, when the caller already knows)."""
    rules = agency_rules(record.agency)
    rule = rules.get("av.retention_min")
    if rule is None or record.kind not in (RecordKind.VIDEO, RecordKind.AUDIO, RecordKind.PHOTO):
        return None
    start = (version.recorded_end or version.filed_at).date()
    follows = rules.get("av.retention_follows_case_file")
    return {
        "until": compute_deadline(start, int(rule.value), rule.unit).due,
        "citation": rule.cited("、"),
        "follows": follows.cited("、")
        if follows and follows.value and (record.matter_steps.exists() if in_case is None else in_case)
        else "",
    }


def record_proof(*, viewer, pk: int, index: int, purpose: str) -> tuple[Record, object, dict]:
    """The proof bundle of one event of a record the viewer may read: the bundle shows the record's
    metadata, so it is a logged read (a refusal is logged by record_for). Raises Http404 when the
    event is not this record's."""
    from ledger.models import Event
    from ledger.selectors import proof_bundle

    record = record_view(viewer=viewer, pk=pk, purpose=purpose)
    event = Event.objects.filter(index=index, subject_type="records.record", subject_id=str(record.pk)).first()
    if event is None:
        raise Http404(f"记录 #{record.pk} 没有第 {index} 号台账事件。")
    return record, event, proof_bundle(event)


def _destroy_logged() -> Exists:
    """Whether the record has a `record.destroy` event, as an annotation of its row."""
    from ledger.models import Event

    return Exists(
        Event.objects.filter(
            subject_type="records.record", subject_id=Cast(OuterRef("pk"), CharField()), kind="record.destroy"
        )
    )


def record_destruction(*, record: Record) -> dict | None:
    """What an approved disposal has removed of this record's stored bytes, from its
    `record.destroy` ledger events (archive.services.disposal_purge writes them): the register
    entry, who approved it and when, the digests removed and whether every version is gone.
    A record read by record_for knows already whether there are any (`destroy_logged`)."""
    from ledger.models import Event

    if getattr(record, "destroy_logged", None) is False:
        return None
    events = list(Event.objects.filter(subject_type="records.record", subject_id=str(record.pk), kind="record.destroy")
                  .order_by("index"))
    if not events:
        return None
    removed = {e.data.get("sha256") for e in events}
    last = events[-1].data
    return {
        "register": last.get("register", ""),
        "approved_by": last.get("approved_by", ""),
        "approved_at": last.get("approved_at", ""),
        "at": events[-1].created_at,
        "index": events[-1].index,
        "removed": removed,
        "complete": not record.versions.exclude(sha256__in=removed).exists(),
    }


def destroyed_reason(*, record: Record, version: RecordVersion) -> str | None:
    """Why a version's bytes cannot be opened when an approved disposal removed them (naming the
    disposal register entry and who approved it); None while they are stored."""
    gone = record_destruction(record=record)
    if gone and version.sha256 in gone["removed"]:
        return (f"该文件已按{gone['register']}经{gone['approved_by']}批准销毁，存储中不再有其内容；"
                "元数据、哈希值和台账记录仍保留，可在记录页面和台账中核验其曾经存在。")
    return None


def _refuse_destroyed(*, viewer, record: Record, version: RecordVersion, kind: str = "", data=None) -> None:
    """A version whose bytes a disposal removed cannot be opened: say so (a logged refusal,
    `record.denied` unless the caller names its own kind and data)."""
    reason = destroyed_reason(record=record, version=version)
    if reason:
        with transaction.atomic():
            event_record(kind=kind or "record.denied", subject=record, acting_user=viewer,
                         agency=getattr(viewer, "agency", None), data={**(data or {}), "reason": reason})
        raise PermissionDenied(reason)


def version_open(*, viewer, record: Record, version: RecordVersion, kind: str | None, data: dict,
                 denied_kind: str = ""):
    """The stored bytes of `version`, for a viewer its caller has let read `record` (record_for, an
    access session). Bytes an approved disposal removed are refused: PermissionDenied naming the
    disposal register entry, logged as `denied_kind` (default `record.denied`) with `data`.
    Otherwise the read is logged as `kind` with `data` (None: not logged, the caller logs its reads)
    and the stream returned."""
    _refuse_destroyed(viewer=viewer, record=record, version=version, kind=denied_kind, data=data)
    if kind:
        with transaction.atomic():
            event_record(kind=kind, subject=record, acting_user=viewer, data=data)
    return blob_store().open(version.sha256)


def record_history(*, viewer, pk: int, before: int | None = None, limit: int) -> tuple[list, int, bool]:
    """One page of a record's ledger history, oldest first: the newest `limit` events before the
    event `before` (its id; None: the newest, this read included). The read is checked (a refusal is
    logged) and logged once; a `before` that is not one of this record's events is refused first,
    with nothing logged. Returns (the events, the count of all its events, whether older ones remain)."""
    from django.core.exceptions import ValidationError

    from ledger.selectors import events_of

    record = record_for(viewer=viewer, pk=pk, use="read")
    events = events_of(record)
    if before is not None:
        cursor = events.filter(pk=before).values("pk", "index").first()
        if cursor is None:
            raise ValidationError(f"events_before={before} 不是该记录台账历史中的事件：请使用上一页返回的 next 链接。")
        older = Q(index__lt=cursor["index"]) if cursor["index"] is not None else Q(index__isnull=False) | Q(
            index__isnull=True, pk__lt=cursor["pk"])
        events = events.filter(older)
    data = {"purpose": "查看台账历史"} | ({"events_before": before} if before is not None else {})
    if record.grant:
        data["grant"] = record.grant
    with transaction.atomic():
        event_record(kind="record.view", subject=record, acting_user=viewer, data=data)
    newest = list(events.reverse()[: limit + 1])
    return newest[:limit][::-1], events_of(record).count(), len(newest) > limit
