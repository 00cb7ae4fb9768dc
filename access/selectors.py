"""Reads of access: who sees which request, the grant that opens a record to a requester, the
records viewed inside a session (each a ledger event), the register."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from access import rules as access_rules
from access.choices import Action, RequesterKind, RequestState
from access.models import AccessRequest, ViewingSession
from ledger.models import Event
from ledger.refusals import object_visible
from ledger.services import event_record
from org.choices import Role
from org.permissions import can, require
from records.models import Record, RecordVersion
from records.selectors import destroyed_reason, version_open

WIDE = (Role.ARCHIVIST, Role.LEADER, Role.LEGAL_REVIEWER)


def _visible(viewer) -> Q:
    """Requests the viewer may see: their own, those for their section's records (the handling
    section knows who reads its files), or all of the agency's for records managers and leaders."""
    if viewer.has_role(*WIDE):
        return Q(agency_id=viewer.agency_id)
    mine = Q(requester_staff=viewer) | Q(created_by=viewer) | Q(handling_section_id=viewer.section_id)
    return Q(agency_id=viewer.agency_id) & mine


def request_list(*, viewer, state: str = "", kind: str = "") -> QuerySet[AccessRequest]:
    if not can(viewer, "access.register"):
        require(viewer, "access.request")
    qs = AccessRequest.objects.filter(_visible(viewer)).select_related("handling_section", "requester_staff")
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(requester_kind=kind)
    return qs


def _log_denied(viewer, subject, data: dict) -> None:
    with transaction.atomic():
        event_record(
            kind="access.denied", subject=subject, acting_user=viewer, agency=viewer.agency, data=data
        )


def request_for(*, viewer, pk: int, log: bool = True) -> AccessRequest:
    """One request for a viewer who may see it; the look is logged (it names the records), a
    refusal too."""
    if not (can(viewer, "access.request") or can(viewer, "access.register")):
        require(viewer, "access.request")
    request = object_visible(
        AccessRequest.objects.select_related(
            "handling_section", "requester_staff", "decided_by", "agency", "matter"
        ).filter(agency_id=viewer.agency_id),
        pk=pk,
        viewer=viewer,
        missing="没有这个调阅申请。",
    )
    if not AccessRequest.objects.filter(_visible(viewer), pk=pk).exists():
        _log_denied(viewer, request, {"number": request.number})
        raise PermissionDenied(
            f"您没有权限查看调阅申请{request.number}：只有申请人、{request.handling_section.name}人员、档案管理员和局领导可以查看。"
        )
    if log:
        with transaction.atomic():
            event_record(
                kind="access.request_view",
                subject=request,
                acting_user=viewer,
                data={"number": request.number},
            )
    return request


def open_session(request: AccessRequest) -> ViewingSession | None:
    return request.sessions.filter(closed_at__isnull=True).select_related("manager").first()


def _in_period(request: AccessRequest) -> bool:
    return request.period_start <= timezone.now() <= request.period_end


def grant_label(viewer, record: Record, use: str) -> str | None:
    """The provider records asks (records.grants): an approved request of this member of staff that
    covers the record, inside its period; where the pack wants viewing accompanied, inside an open
    session; a download only under a copy approval."""
    if not getattr(viewer, "pk", None):
        return None
    candidates = AccessRequest.objects.filter(
        requester_staff=viewer,
        state=RequestState.APPROVED,
        records=record,
        agency_id=record.agency_id,
        period_start__lte=timezone.now(),
        period_end__gte=timezone.now(),
    ).exclude(action=Action.BORROW)
    if use == "download":
        candidates = candidates.filter(action=Action.COPY)
    supervised = access_rules.value(record.agency, "access.supervised_viewing", False)
    for request in candidates.order_by("-pk"):
        if supervised and open_session(request) is None:
            continue
        return f"调阅申请{request.number}"
    return None


def record_to_request(*, viewer, pk: int) -> Record:
    """A record of the viewer's agency named in a request, whether or not the viewer may read it (a
    request is how one asks for records one cannot see; nothing of it is shown). Another agency's
    number gets the answer a missing one gets, and that look is logged as a refusal. Raises
    ValidationError."""
    try:
        return object_visible(
            Record.objects.filter(agency_id=viewer.agency_id).select_related("section"), pk=pk, viewer=viewer,
            missing=f"记录 #{pk} 不存在，或不属于本单位。",
        )
    except Http404 as exc:
        raise ValidationError(f"记录 #{pk} 不存在，或不属于本单位。") from exc


def refusal_advice(viewer, record: Record) -> tuple[str, bool] | None:
    """The adviser records asks (records.grants) when staff are refused a record of their agency:
    who approves a 调阅 of it under the pack and what happens after, with the rule's citation; where
    the pack provides no procedure, that it does not and who to turn to. Returns (text, requestable)."""
    if not getattr(viewer, "pk", None) or viewer.agency_id != record.agency_id or not can(viewer, "access.request"):
        return None
    agency = record.agency
    kind = RequesterKind.OWN_SECTION if viewer.section_id == record.section_id else RequesterKind.OTHER_SECTION
    try:
        rule = access_rules.approval_rule(agency, kind, Action.VIEW)
    except ValidationError as exc:
        return f"{exc.messages[0].rstrip('。')}（承办科室：{record.section.name}）。", False
    if rule.approver == access_rules.NO_APPROVAL:
        who = f"{kind.label}查阅依本单位规定无需审批（{rule.citation}），提交调阅申请即予登记"
    else:
        named = access_rules.value(agency, "access.other_section_approver") if kind == RequesterKind.OTHER_SECTION else None
        label = Role(rule.approver).label
        if rule.approver == Role.SECTION_CHIEF:
            label = f"{record.section.name}{label}"
        who = f"调阅须经{named or label}批准（{rule.citation}）"
    if access_rules.value(agency, "access.supervised_viewing", False):
        role = access_rules.value(agency, "access.records_manager_role", Role.ARCHIVIST)
        after = f"批准后在{Role(role).label}开启的调阅场次内查看"
    else:
        after = "批准后在调阅期内查看"
    return f"{who}：请点击“申请调阅”，填写调阅事由后提交调阅申请；{after}。", True


def session_for(*, viewer, pk: int) -> ViewingSession:
    session = object_visible(
        ViewingSession.objects.select_related("request", "manager", "request__handling_section").filter(
            request__agency_id=viewer.agency_id
        ),
        pk=pk,
        viewer=viewer,
        missing="没有这场调阅。",
    )
    request_for(viewer=viewer, pk=session.request_id, log=False)
    return session


def _session_record(*, viewer, session: ViewingSession, record_pk: int):
    """A record of the session's request that the viewer may look at now (a refusal is logged).
    Returns (record, its latest version or None)."""
    request = session.request
    allowed = viewer.pk in (session.manager_id, request.requester_staff_id)
    # A record outside this request is refused, and logged when it exists elsewhere.
    record = object_visible(
        request.records.select_related("section"), pk=record_pk, viewer=viewer, missing="该记录不在本次调阅范围内。"
    )
    if (
        not allowed
        or session.closed_at is not None
        or request.state != RequestState.APPROVED
        or not _in_period(request)
    ):
        _log_denied(viewer, record, {"number": request.number, "session": session.pk})
        raise PermissionDenied(
            "您没有权限查看：只能在进行中的调阅场次内、由陪同的记录信息管理人员或申请人本人查看；"
            f"请由档案管理员{session.manager.name}开启调阅场次。"
        )
    return record, RecordVersion.objects.filter(record=record).order_by("-number").first()


def _view_data(session: ViewingSession, version) -> dict:
    request = session.request
    return {
        "number": request.number,
        "session": session.pk,
        "requester": request.requester_name,
        "version": version.number if version else None,
    }


def session_view(*, viewer, session: ViewingSession, record_pk: int):
    """A record shown inside an open session, to its manager or to the requester: checked (a refusal
    is logged), then logged as a read. Viewing only: no download link is offered and the content is
    served inline. Returns (record, version); `record.destroyed` says why the file cannot be shown
    when a disposal removed it (None otherwise)."""
    record, version = _session_record(viewer=viewer, session=session, record_pk=record_pk)
    with transaction.atomic():
        event_record(kind="access.view", subject=record, acting_user=viewer, data=_view_data(session, version))
    record.destroyed = destroyed_reason(record=record, version=version) if version else None
    return record, version


def session_content(*, viewer, session: ViewingSession, record_pk: int):
    """The file shown inline in the session's viewer (a read, logged as such). A file an approved
    disposal removed is refused (PermissionDenied naming the register entry, logged as
    `access.denied`). Returns (version, stream)."""
    record, version = _session_record(viewer=viewer, session=session, record_pk=record_pk)
    if version is None:
        raise Http404("该记录没有文件。")
    stream = version_open(viewer=viewer, record=record, version=version, kind="access.view",
                          data=_view_data(session, version), denied_kind="access.denied")
    return version, stream


REGISTER_KINDS = {
    "access.request": "申请",
    "access.approve": "批准",
    "access.refuse": "不予批准",
    "access.session_open": "开始调阅",
    "access.view": "查看记录",
    "access.session_close": "结束调阅",
    "access.copy": "复制",
    "access.post": "寄送",
    "access.lend": "借出",
    "access.return": "归还",
    "access.disc_log": "刻盘存储记录表签字",
    "access.export": "导出证据包",
    "access.denied": "拒绝查看",
    "access.keep_mark": "长期保存标记",
}


def register_lines(
    *, viewer, kind: str = "", number: str = "", since: date | None = None, until: date | None = None
) -> QuerySet[Event]:
    """The 查阅登记簿 (003 附件4 第二条): every access event of the agency, each a ledger leaf."""
    require(viewer, "access.register")
    if kind and kind not in REGISTER_KINDS:
        raise ValidationError(f"未知的登记类别“{kind}”。")
    qs = Event.objects.filter(agency_id=viewer.agency_id, kind__in=list(REGISTER_KINDS)).select_related(
        "actor"
    )
    if kind:
        qs = qs.filter(kind=kind)
    if number:
        qs = qs.filter(data__number=number.strip()[:20])
    if since:
        qs = qs.filter(created_at__date__gte=since)
    if until:
        qs = qs.filter(created_at__date__lte=until)
    return qs.order_by(F("index").asc(nulls_last=True), "id")  # 待入账 events last


def register_read_log(*, viewer, fmt: str, filters: dict) -> None:
    """Reading or exporting the register (it names requesters and records) is itself logged."""
    with transaction.atomic():
        event_record(
            kind="access.register_read",
            subject=viewer.agency,
            acting_user=viewer,
            agency=viewer.agency,
            data={"format": fmt, "filters": {k: str(v) for k, v in filters.items() if v}},
        )


def kept_records(record_ids) -> dict[int, str]:
    """Records marked for long-term keeping, with the basis (the archive's keeper registry)."""
    from access import rules as access_rules
    from access.models import KeepMark

    out = {}
    for mark in KeepMark.objects.filter(record_id__in=list(record_ids)).select_related("record__agency"):
        cite = access_rules.citation(mark.record.agency, "access.long_term_keeping")
        out[mark.record_id] = f"长期保存：{mark.get_reason_display()}" + (f"（{cite}）" if cite else "")
    return out
