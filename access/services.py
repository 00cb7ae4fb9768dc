"""Writes of access: requests, decisions, viewing sessions, evidence copies, the disc log, posting,
long-term keeping marks. Each runs in one transaction with its ledger event."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from access import rules as access_rules
from access.choices import STAFF_KINDS, Action, KeepReason, Medium, Proceedings, RequesterKind, RequestState
from access.models import AccessRequest, DiscLog, EvidenceCopy, KeepMark, PresentedDocument, ViewingSession
from ledger.services import event_record
from org.choices import Role
from org.permissions import require
from records.choices import Confidentiality
from records.models import Record, RecordVersion
from records.selectors import destroyed_reason
from records.services import clean_file_name
from records.storage import blob_store

MAX_DOCUMENTS = 20
MAX_RECORDS = 200
# A viewing period is a working arrangement, not a rule of the regulations; this bound only keeps
# a typo (a year 2206) out of the register.
MAX_PERIOD = timedelta(days=366)


@dataclass(frozen=True)
class Presented:
    """A scan of a presented document: its kind (as the pack names it) and the file."""

    kind: str
    path: Path
    name: str


def _text(value: str, label: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(f"请填写{label}。")
    if len(value) > limit:
        raise ValidationError(f"{label}最多{limit}个字符（现有{len(value)}个）。")
    return value


def _now_not_future(moment: datetime, label: str) -> None:
    if moment > timezone.now() + timedelta(minutes=1):
        raise ValidationError(f"{label}不能晚于现在。")


def _records_of_matter(matter) -> list[Record]:
    return list(
        Record.objects.filter(
            Q(matter_steps__matter=matter) | Q(pk__in=matter.instruments.exclude(pdf=None).values("pdf"))
        ).distinct()
    )


def _next_number(agency, year: int) -> str:
    prefix = f"DY{year}-"
    count = AccessRequest.objects.filter(agency=agency, number__startswith=prefix).count()
    return f"{prefix}{count + 1:04d}"


def request_submit(
    *,
    acting_user,
    requester_kind: str,
    action: str,
    purpose: str,
    records=(),
    matter=None,
    period_start: datetime,
    period_end: datetime,
    requester_name: str = "",
    requester_org: str = "",
    requester_id_number: str = "",
    proceedings: str = Proceedings.NONE,
    documents: list[Presented] = (),
) -> AccessRequest:
    """Register a request. Staff of the agency (承办科室, 其他科室) ask for themselves; anyone else's
    request is registered by a records manager at the desk, with scans of what they presented.

    Approved at once where the pack names no approver (e.g. 承办科室, 000 调阅第六条). Raises
    ValidationError for bad input, a request the pack does not provide for, a record that is not
    archived where the pack's rules apply only to archived records, or missing documents (listed);
    PermissionDenied when the user may not register it. Nothing is stored then.
    """
    require(acting_user, "access.request")
    agency = acting_user.agency
    if requester_kind not in RequesterKind.values:
        raise ValidationError(f"未知的申请人类别“{requester_kind}”。")
    if action not in Action.values:
        raise ValidationError(f"未知的调阅方式“{action}”。")
    if proceedings not in Proceedings.values:
        raise ValidationError(f"未知的复议诉讼情况“{proceedings}”。")
    staff = requester_kind in STAFF_KINDS
    if not staff:
        require(acting_user, "access.manage")
    purpose = _text(purpose, "调阅事由", 300)
    requester_name = acting_user.name if staff else _text(requester_name, "申请人姓名", 30)
    requester_org = _text(
        requester_org, "申请单位", 100, required=requester_kind not in (RequesterKind.PARTY,) and not staff
    )
    requester_id_number = _text(requester_id_number, "证件号码", 40, required=False)
    if matter is not None and matter.agency_id != agency.pk:
        raise ValidationError("该执法事项不属于本单位。")
    chosen = list(records)
    if matter is not None and not chosen:
        chosen = _records_of_matter(matter)
    if not chosen:
        raise ValidationError("请选择要调阅的记录，或选择一个已有记录的执法事项。")
    if len(chosen) > MAX_RECORDS:
        raise ValidationError(f"一次最多调阅{MAX_RECORDS}条记录。")
    if any(r.agency_id != agency.pk for r in chosen):
        raise ValidationError("所选记录不属于本单位。")
    sections = {r.section_id for r in chosen}
    if len(sections) > 1:
        raise ValidationError("一次申请只能调阅同一承办科室的记录，请按承办科室分别申请。")
    handling = chosen[0].section
    if requester_kind == RequesterKind.OWN_SECTION and acting_user.section_id != handling.pk:
        raise ValidationError(f"这些记录由{handling.name}承办，您不属于该科室，请按“本局其他科室”申请。")
    if requester_kind == RequesterKind.OTHER_SECTION and acting_user.section_id == handling.pk:
        raise ValidationError("这些记录由您所在科室承办，请按“承办科室”申请。")
    if period_start is None or period_end is None:
        raise ValidationError("请填写调阅期起止时间。")
    if period_end <= period_start:
        raise ValidationError("调阅期止须晚于调阅期起。")
    if period_end - period_start > MAX_PERIOD:
        raise ValidationError("调阅期不能超过一年，请按需要分次申请。")
    if period_end <= timezone.now():
        raise ValidationError("调阅期已过，请填写今后的调阅期。")
    rule = access_rules.approval_rule(agency, requester_kind, action)
    if access_rules.value(agency, "access.archived_only", False):
        pending = [r.title for r in chosen if not access_rules.is_archived(r)]
        if pending:
            raise ValidationError(
                f"以下记录尚未归档（未编入已归档的案卷）：{'、'.join(pending[:10])}。尚未归档的案件资料不适用调阅程序"
                f"（{access_rules.citation(agency, 'access.archived_only')}），请与承办科室联系。"
            )
    conclusive_types = access_rules.value(agency, "access.party_conclusive_instruments", None)
    party = requester_kind in (RequesterKind.PARTY, RequesterKind.PARTY_LAWYER)
    if conclusive_types and party and proceedings == Proceedings.NONE:
        other = [r.title for r in chosen if not access_rules.is_conclusive(r, conclusive_types)]
        if other:
            raise ValidationError(
                f"当事人及其代理律师只能查阅、复制处罚决定书等结论性文件，以下记录不属于：{'、'.join(other[:10])}"
                f"（{access_rules.citation(agency, 'access.party_conclusive_instruments')}）。"
                "案件已进入行政复议或诉讼程序的，请在“复议诉讼情况”中注明，按复议法、诉讼法办理。"
            )
    kinds = [(_text(d.kind, "材料名称", 60), d) for d in documents]
    if len(kinds) > MAX_DOCUMENTS:
        raise ValidationError(f"申请材料最多{MAX_DOCUMENTS}份。")
    missing = [k for k in rule.documents if k not in {kind for kind, _ in kinds}]
    if missing:
        raise ValidationError(
            f"{RequesterKind(requester_kind).label}{Action(action).label}记录须提交：{'、'.join(rule.documents)}；"
            f"缺少：{'、'.join(missing)}（{rule.citation}）。请补齐材料的扫描件后再登记。"
        )
    stored = []
    for kind, doc in kinds:
        name = clean_file_name(doc.name)
        path = Path(doc.path)
        if not path.is_file() or path.stat().st_size == 0:
            raise ValidationError(f"材料“{kind}”的扫描件是空文件，请重新扫描。")
        stored.append((kind, name, blob_store().put(path)))
    now = timezone.now()
    with transaction.atomic():
        request = AccessRequest.objects.create(
            agency=agency,
            number=_next_number(agency, timezone.localdate(now).year),
            requester_kind=requester_kind,
            action=action,
            requester_staff=acting_user if staff else None,
            requester_name=requester_name,
            requester_org=handling.agency.name if staff else requester_org,
            requester_id_number=requester_id_number,
            purpose=purpose,
            handling_section=handling,
            matter=matter,
            period_start=period_start,
            period_end=period_end,
            proceedings=proceedings,
            approver_role=rule.approver,
            rule_note=rule.note[:300],
            rule_citation=rule.citation[:300],
            created_by=acting_user,
            created_at=now,
        )
        request.records.set(chosen)
        for kind, name, blob in stored:
            PresentedDocument.objects.create(
                request=request, kind=kind, sha256=blob.sha256, size=blob.size, original_name=name
            )
        event_record(
            kind="access.request",
            subject=request,
            acting_user=acting_user,
            data={
                "number": request.number,
                "requester_kind": requester_kind,
                "requester": requester_name,
                "org": request.requester_org,
                "action": action,
                "purpose": purpose,
                "records": [r.pk for r in chosen],
                "matter": matter.pk if matter else None,
                "period": [period_start.isoformat(), period_end.isoformat()],
                "proceedings": proceedings,
                "documents": [{"kind": k, "sha256": b.sha256} for k, _, b in stored],
            },
        )
        _hold_records(request, chosen, acting_user)
        if rule.approver == access_rules.NO_APPROVAL:
            request.state = RequestState.APPROVED
            request.decided_at = now
            request.decision_note = "依规定无需审批，已登记"
            request.save(update_fields=["state", "decided_at", "decision_note"])
            event_record(
                kind="access.approve",
                subject=request,
                acting_user=acting_user,
                data={"number": request.number, "approver": "none", "citation": rule.citation},
            )
    return request


def approver_label(request: AccessRequest) -> str:
    if request.approver_role == access_rules.NO_APPROVAL:
        return "无需审批"
    label = Role(request.approver_role).label
    if request.approver_role == Role.SECTION_CHIEF:
        return f"{request.handling_section.name}{label}"
    return label


def check_approver(user, request: AccessRequest) -> None:
    """The pack names who decides; only that person may (a refusal says who can)."""
    require(user, "access.approve", agency=request.agency)
    role = request.approver_role
    ok = role != access_rules.NO_APPROVAL and user.has_role(role)
    if ok and role == Role.SECTION_CHIEF:
        ok = user.section_id == request.handling_section_id
    if not ok:
        raise PermissionDenied(
            f"调阅申请{request.number}须由{approver_label(request)}审批（{request.rule_citation}），"
            "请转交其办理。"
        )


def fee_note(agency) -> str:
    """What the pack says about fees (003 附件4 第十一条), for the request page and the 说明."""
    parts = []
    if access_rules.value(agency, "access.viewing_free", False):
        parts.append("查阅不收费")
    if access_rules.value(agency, "access.copy_at_cost", False):
        parts.append("复制费用由申请人自行支付")
    if not parts:
        return ""
    return f"{'；'.join(parts)}（{access_rules.citation(agency, 'access.copy_at_cost') or access_rules.citation(agency, 'access.viewing_free')}）"


def confidential_records(request: AccessRequest) -> list[Record]:
    return [r for r in request.records.all() if r.confidentiality != Confidentiality.NORMAL]


def request_decide(*, request: AccessRequest, approve: bool, note: str = "", acting_user) -> AccessRequest:
    """Approve or refuse a pending request (a refusal needs its reason). Copies of records whose
    confidentiality the pack excludes from copying cannot be approved. Raises ValidationError,
    PermissionDenied."""
    check_approver(acting_user, request)
    note = _text(note, "不予批准的理由" if not approve else "审批意见", 300, required=not approve)
    with transaction.atomic():
        locked = AccessRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state != RequestState.PENDING:
            raise ValidationError(f"调阅申请{locked.number}已{locked.get_state_display()}，不能再次审批。")
        if approve and locked.action == Action.COPY:
            barred = access_rules.value(locked.agency, "access.no_copy_confidentiality", []) or []
            hit = [r for r in locked.records.all() if r.confidentiality in barred]
            if hit:
                raise ValidationError(
                    f"以下记录{hit[0].get_confidentiality_display()}，依保密规定不予复制："
                    f"{'、'.join(r.title for r in hit[:10])}"
                    f"（{access_rules.citation(locked.agency, 'access.no_copy_confidentiality')}）。"
                    "请退回申请人改为查阅，或不予批准。"
                )
        locked.state = RequestState.APPROVED if approve else RequestState.REFUSED
        locked.decided_by = acting_user
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        event_record(
            kind="access.approve" if approve else "access.refuse",
            subject=locked,
            acting_user=acting_user,
            data={"number": locked.number, "note": note, "approver_role": locked.approver_role},
        )
        if not approve:
            _release_holds(locked, "调阅申请不予批准，已办结", acting_user)
    return locked


# An open request, and a 复议 or 诉讼 marked on it, keep its records' case files from destruction
# (the archive's legal holds); the request's own hold ends with the request, the proceedings' hold
# when the archivist records that the 复议 or 诉讼 has ended.
PROCEEDINGS_HOLDS = {Proceedings.RECONSIDERATION: "reconsideration", Proceedings.LITIGATION: "litigation"}


def _hold_records(request: AccessRequest, records, acting_user) -> None:
    from archive.services import holds_place_for

    holds_place_for(agency=request.agency, kind="access_request", reference=request.number, records=records,
                    acting_user=acting_user)
    if request.proceedings in PROCEEDINGS_HOLDS:
        holds_place_for(agency=request.agency, kind=PROCEEDINGS_HOLDS[request.proceedings],
                        reference=request.number, records=records, acting_user=acting_user)


def _release_holds(request: AccessRequest, reason: str, acting_user) -> int:
    from archive.services import holds_release_for

    return holds_release_for(agency=request.agency, kind="access_request", reference=request.number,
                             reason=reason, acting_user=acting_user)


def requests_expire(*, now: datetime | None = None, acting_user=None) -> list[str]:
    """Release the holds of requests whose period has ended (a file still out on loan stays held
    until it comes back). Returns the numbers released. Run by `zhifa access expire`."""
    from archive.models import Hold

    now = now or timezone.now()
    held = Hold.objects.filter(kind="access_request", released_at__isnull=True)
    done = []
    for request in (
        AccessRequest.objects.filter(period_end__lte=now, number__in=held.values("reference"),
                                     agency_id__in=held.values("agency_id"))
        .exclude(lent_at__isnull=False, returned_at__isnull=True)
        .select_related("agency")
        .order_by("pk")
    ):
        with transaction.atomic():
            if _release_holds(request, f"调阅期已于{timezone.localtime(request.period_end):%Y-%m-%d %H:%M}届满",
                              acting_user):
                done.append(request.number)
    return done


def _require_manager(user, agency) -> None:
    require(user, "access.manage", agency=agency)


def session_open(*, request: AccessRequest, manager, place: str = "", acting_user) -> ViewingSession:
    """Open an accompanied viewing (000 调阅第九条): approved, inside the period, not a loan, the
    accompanying person holds the pack's records-manager role. Raises ValidationError."""
    _require_manager(acting_user, request.agency)
    place = _text(place, "调阅地点", 100, required=False)
    if request.state != RequestState.APPROVED:
        raise ValidationError(f"调阅申请{request.number}{request.get_state_display()}，批准前不能调阅。")
    now = timezone.now()
    if not (request.period_start <= now <= request.period_end):
        raise ValidationError(
            f"现在不在批准的调阅期内（{timezone.localtime(request.period_start):%Y-%m-%d %H:%M}至"
            f"{timezone.localtime(request.period_end):%Y-%m-%d %H:%M}）。"
        )
    if request.action == Action.BORROW:
        raise ValidationError("借阅（外借）按借出登记办理，不开启陪同调阅场次。")
    role = access_rules.value(request.agency, "access.records_manager_role", Role.ARCHIVIST)
    if manager is None or manager.agency_id != request.agency_id or not manager.has_role(role):
        raise ValidationError(f"陪同调阅的人员须是本单位的{Role(role).label}（记录信息管理人员）。")
    with transaction.atomic():
        if ViewingSession.objects.filter(request=request, closed_at__isnull=True).exists():
            raise ValidationError("该申请已有一场进行中的调阅，请先结束。")
        session = ViewingSession.objects.create(request=request, manager=manager, place=place, opened_at=now)
        event_record(
            kind="access.session_open",
            subject=request,
            acting_user=acting_user,
            data={"number": request.number, "session": session.pk, "manager": manager.name, "place": place},
        )
    return session


def session_close(*, session: ViewingSession, note: str = "", acting_user) -> ViewingSession:
    """Close a viewing session; the note records anything found (000 调阅第九条: 涂改、抽换 … 追查)."""
    _require_manager(acting_user, session.request.agency)
    note = _text(note, "结束情况", 300, required=False)
    with transaction.atomic():
        locked = ViewingSession.objects.select_for_update().get(pk=session.pk)
        if locked.closed_at is not None:
            raise ValidationError("该场调阅已经结束。")
        locked.closed_at = timezone.now()
        locked.closing_note = note
        locked.save(update_fields=["closed_at", "closing_note"])
        event_record(
            kind="access.session_close",
            subject=locked.request,
            acting_user=acting_user,
            data={"number": locked.request.number, "session": locked.pk, "note": note},
        )
    return locked


def copy_make(
    *,
    request: AccessRequest,
    version: RecordVersion,
    medium: str,
    extractor: str,
    extracted_at: datetime,
    proves: str = "",
    fee="0",
    acting_user,
) -> EvidenceCopy:
    """Register a copy of one stored file with its 说明 (制作人 = the acting user). Only under an
    approved copy request, for a record in it; the 说明 carries what the pack requires. Raises
    ValidationError."""
    _require_manager(acting_user, request.agency)
    if request.state != RequestState.APPROVED or request.action != Action.COPY:
        raise ValidationError(f"调阅申请{request.number}未批准复制，不能制作复制件。")
    if not request.records.filter(pk=version.record_id).exists():
        raise ValidationError("该记录不在批准复制的范围内。")
    gone = destroyed_reason(record=version.record, version=version)
    if gone:
        raise ValidationError(f"不能制作复制件：{gone}")
    if medium not in Medium.values:
        raise ValidationError(f"未知的载体“{medium}”。")
    required = set(access_rules.value(request.agency, "access.copy_statement", []) or [])
    extractor = _text(extractor, "提取人", 30, required="extractor" in required)
    proves = _text(proves, "证明对象", 200, required="proves" in required)
    if extracted_at is None:
        raise ValidationError("请填写提取时间。")
    _now_not_future(extracted_at, "提取时间")
    # The form takes minutes: a copy taken in the minute of the approval is not before it.
    if request.decided_at and extracted_at < request.decided_at.replace(second=0, microsecond=0):
        raise ValidationError("提取时间不能早于批准时间。")
    try:
        amount = Decimal(str(fee or "0")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError("复制费用须是金额，如 10.00。") from None
    if amount < 0 or amount >= Decimal("1000000"):
        raise ValidationError("复制费用须在0至999999.99元之间。")
    with transaction.atomic():
        copy = EvidenceCopy.objects.create(
            request=request,
            version=version,
            medium=medium,
            maker=acting_user,
            extractor=extractor,
            extracted_at=extracted_at,
            proves=proves,
            fee=amount,
            created_at=timezone.now(),
        )
        event_record(
            kind="access.copy",
            subject=request,
            acting_user=acting_user,
            data={
                "number": request.number,
                "copy": copy.pk,
                "record": version.record_id,
                "version": version.number,
                "file_sha256": version.sha256,
                "medium": medium,
                "maker": acting_user.name,
                "extractor": extractor,
                "extracted_at": extracted_at.isoformat(),
                "proves": proves,
                "fee": str(amount),
            },
        )
    return copy


def loan_out(*, request: AccessRequest, acting_user) -> AccessRequest:
    """An approved loan (003 附件4 第七条: staff only, with the leader's approval) leaves the archive
    inside its period. Raises ValidationError."""
    _require_manager(acting_user, request.agency)
    with transaction.atomic():
        locked = AccessRequest.objects.select_for_update().get(pk=request.pk)
        if locked.action != Action.BORROW or locked.state != RequestState.APPROVED:
            raise ValidationError(f"调阅申请{locked.number}不是已批准的借阅，不能借出。")
        if locked.lent_at is not None:
            raise ValidationError("已经借出。")
        if not (locked.period_start <= timezone.now() <= locked.period_end):
            raise ValidationError("现在不在批准的借阅期内。")
        locked.lent_at = timezone.now()
        locked.save(update_fields=["lent_at"])
        event_record(kind="access.lend", subject=locked, acting_user=acting_user,
                     data={"number": locked.number, "to": locked.requester_name,
                           "due": locked.period_end.isoformat()})
    return locked


def loan_return(*, request: AccessRequest, note: str = "", acting_user) -> AccessRequest:
    """The loaned file came back; the note says whether it is complete (第八条: 不得拆解、涂改、抽取)."""
    _require_manager(acting_user, request.agency)
    note = _text(note, "归还情况", 300, required=False)
    with transaction.atomic():
        locked = AccessRequest.objects.select_for_update().get(pk=request.pk)
        if locked.lent_at is None or locked.returned_at is not None:
            raise ValidationError("该申请没有未归还的借出。")
        locked.returned_at = timezone.now()
        locked.return_note = note
        locked.save(update_fields=["returned_at", "return_note"])
        event_record(kind="access.return", subject=locked, acting_user=acting_user,
                     data={"number": locked.number, "note": note,
                           "overdue": locked.returned_at > locked.period_end})
    return locked


def request_post(*, request: AccessRequest, note: str, acting_user) -> AccessRequest:
    """来函调阅: the approved copies were posted (000 调阅第八条)."""
    _require_manager(acting_user, request.agency)
    note = _text(note, "寄送情况（收件单位、邮件号）", 200)
    if request.requester_kind != RequesterKind.EXTERNAL_LETTER or request.state != RequestState.APPROVED:
        raise ValidationError("只有已批准的外单位来函调阅需要登记寄送。")
    if not request.copies.exists():
        raise ValidationError("请先登记复制件，再登记寄送。")
    with transaction.atomic():
        request.posted_at = timezone.now()
        request.posting_note = note
        request.save(update_fields=["posted_at", "posting_note"])
        event_record(
            kind="access.post",
            subject=request,
            acting_user=acting_user,
            data={"number": request.number, "note": note},
        )
    return request


def disc_log_sign(*, request: AccessRequest, place: str, signers: list[str], acting_user) -> DiscLog:
    """The head of the department signs the 刻盘存储记录表 (003 附件3 第九条) with the place and the
    names of everyone who handled the case. Raises ValidationError, PermissionDenied."""
    require(acting_user, "access.sign_disc_log", agency=request.agency)
    place = _text(place, "摄录地点", 200)
    names = [_text(n, "签名人姓名", 30) for n in signers if (n or "").strip()]
    if not names:
        raise ValidationError("请填写参与案件办理的全部人员的签名。")
    if len(names) > 30:
        raise ValidationError("签名人最多30人。")
    if request.state != RequestState.APPROVED or request.action != Action.COPY:
        raise ValidationError("只有已批准复制的申请才能填写刻盘存储记录表。")
    with transaction.atomic():
        if DiscLog.objects.filter(request=request).exists():
            raise ValidationError("该申请的刻盘存储记录表已签字。")
        log = DiscLog.objects.create(
            request=request, place=place, signers=names, approved_by=acting_user, approved_at=timezone.now()
        )
        event_record(
            kind="access.disc_log",
            subject=request,
            acting_user=acting_user,
            data={"number": request.number, "place": place, "signers": names},
        )
    return log


def keep_mark(*, record: Record, reason: str, note: str = "", acting_user) -> KeepMark:
    """Mark a record for long-term keeping on disc (003 附件3 第十条). Raises ValidationError."""
    require(acting_user, "access.keep_mark", agency=record.agency)
    listed = access_rules.value(record.agency, "access.long_term_keeping", None)
    allowed = listed or KeepReason.values
    if reason not in KeepReason.values or reason not in allowed:
        raise ValidationError(f"未知的长期保存情形“{reason}”。")
    note = _text(note, "说明", 300, required=reason == KeepReason.OTHER)
    with transaction.atomic():
        if KeepMark.objects.filter(record=record).exists():
            raise ValidationError("该记录已标记长期保存。")
        mark = KeepMark.objects.create(
            record=record, reason=reason, note=note, marked_by=acting_user, marked_at=timezone.now()
        )
        event_record(
            kind="access.keep_mark",
            subject=record,
            acting_user=acting_user,
            data={
                "reason": reason,
                "note": note,
                "citation": access_rules.citation(record.agency, "access.long_term_keeping"),
            },
        )
        from access.selectors import kept_records
        from archive.services import record_keep_long_term

        record_keep_long_term(record=record, basis=kept_records([record.pk])[record.pk], acting_user=acting_user)
    return mark


def _file_event(version: RecordVersion):
    """The ledger event that registered this stored file (its creation or the correction)."""
    from ledger.models import Event

    for event in Event.objects.filter(
        subject_type="records.record", subject_id=str(version.record_id), kind__in=["record.create", "record.version"]
    ).order_by("index"):
        if event.data.get("sha256") == version.sha256:
            return event
    raise ValidationError(f"台账中找不到记录“{version.record.title}”第{version.number}版的登记事件。")


def request_export(*, request: AccessRequest, out_dir: Path, acting_user=None):
    """Export the approved copies of a request as an evidence package (utilities.package): the files,
    the 证据复制说明 and (where signed) the 刻盘存储记录表 as PDF, each with its ledger proof on one
    freshly signed checkpoint; the ISO's SHA-256 goes into the register. Returns (Export, result).

    Raises ValidationError when nothing was copied, when the pack wants a signed disc log and there
    is none, or when the folder cannot take the package; PermissionDenied."""
    import tempfile

    from access.models import Export
    from access.rendering import disc_log_pdf, statement_pdf
    from ledger.selectors import proof_bundle
    from ledger.services import checkpoint_sign
    from utilities.package import PackageItem, package_build

    if acting_user is not None:
        _require_manager(acting_user, request.agency)
    copies = list(
        request.copies.select_related("version__record__device", "version__record__created_by", "maker")
        .prefetch_related("version__record__officers")
        .order_by("pk")
    )
    if request.state != RequestState.APPROVED or not copies:
        raise ValidationError(f"调阅申请{request.number}没有已登记的复制件，不能导出证据包。")
    log = DiscLog.objects.filter(request=request).select_related("approved_by").first()
    if log is None and access_rules.value(request.agency, "access.disc_log_required", False):
        raise ValidationError(
            "刻制光盘前须填写刻盘存储记录表，由参与办案的人员签名并经主要负责人签字"
            f"（{access_rules.citation(request.agency, 'access.disc_log_required')}）。"
        )
    for copy in copies:
        gone = destroyed_reason(record=copy.version.record, version=copy.version)
        if gone:
            raise ValidationError(f"复制件“{copy.version.record.title}”（第{copy.version.number}版）不能导出：{gone}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    n = request.exports.count() + 1
    label = f"{request.number}-{n}"
    versions = list({c.version_id: c.version for c in copies}.values())
    with tempfile.TemporaryDirectory() as folder:
        docs = [("证据复制说明.pdf", statement_pdf(request, copies, Path(folder) / "statement.pdf"))]
        if log is not None:
            docs.append(("刻盘存储记录表.pdf", disc_log_pdf(request, log, versions, Path(folder) / "disc.pdf")))
        with transaction.atomic():
            doc_events = [
                event_record(
                    kind="access.export_document",
                    subject=request,
                    acting_user=acting_user,
                    data={"number": request.number, "package": label, "name": name,
                          "sha256": _sha256_of(path)},
                )
                for name, path in docs
            ]
        checkpoint = checkpoint_sign()
        file_items = []
        for v in versions:
            local = Path(folder) / f"v{v.pk}"
            with blob_store().open(v.sha256) as src, local.open("wb") as dst:
                for chunk in iter(lambda src=src: src.read(1 << 20), b""):
                    dst.write(chunk)
            file_items.append(PackageItem(path=local, name=v.original_name, proof=proof_bundle(_file_event(v))))
        doc_items = [
            PackageItem(path=path, name=name, proof=proof_bundle(event))
            for (name, path), event in zip(docs, doc_events, strict=True)
        ]
        try:
            result = package_build(
                label=label, files=file_items, documents=doc_items, out_dir=out_dir,
                title=f"{request.agency.name} 调阅{request.number} 证据包", organization=request.agency.name,
            )
        except (ValueError, OSError) as exc:
            raise ValidationError(f"无法写入证据包：{exc}") from exc
    with transaction.atomic():
        export = Export.objects.create(
            request=request, package_number=label, iso_sha256=result.iso_sha256,
            iso_size=result.iso_path.stat().st_size, files=len(file_items) + len(doc_items),
            checkpoint_size=checkpoint.size, created_by=acting_user, created_at=timezone.now(),
        )
        event_record(
            kind="access.export",
            subject=request,
            acting_user=acting_user,
            data={"number": request.number, "package": label, "iso_sha256": result.iso_sha256,
                  "iso_size": export.iso_size, "files": export.files, "checkpoint": checkpoint.size},
        )
    return export, result


def _sha256_of(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
