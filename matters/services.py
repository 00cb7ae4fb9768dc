"""Writes on matters: opening one, and each named transition of its workflow.

`matter_transition` is the one service every step goes through; the workflow definition says
what the step needs (文书, officers, deadlines), the agency's pack says the figures and which
steps must be recorded on video, and the checks below hold the rules that compare them. Each
refusal is a ValidationError (or PermissionDenied) in Chinese naming the rule and its article,
raised before anything is written.
"""

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from enterprises.choices import PartyKind
from ledger.services import event_record
from matters import gates
from matters.choices import MatterKind, Procedure, ServiceMethod
from matters.instrument_types import TYPES
from matters.models import Hazard, Instrument, Matter, Service, ServiceAddress, Step
from matters.workflows import DECISION_STEPS, Transition, Workflow, workflow_for
from org.choices import Role
from org.permissions import can, require, who_acts
from org.services import NotAssignable, officer_check_assignable
from policy.calendar import deadline_for
from policy.models import Deadline
from policy.registry import UNIT_LABELS
from policy.selectors import agency_rules
from policy.services import deadline_track
from records.choices import RecordKind
from utilities.bounds import (
    TEXT_LINE,
    TEXT_LONG,
    decimal_for_column,
    text_bounded,
    text_for_column,
    year_bounded,
)

AV_KINDS = (RecordKind.VIDEO, RecordKind.AUDIO)

REQUIREMENT_LABELS = {
    "receipt": "送达回执（扫描件）",
    "recipient_signature": "受送达人或签收人签名",
    "post_receipt": "邮寄凭证和回执",
    "refusal_reason": "拒收事由",
    "witness": "见证人",
    "av": "送达过程的音像记录",
    "reason": "委托、转交的原因",
    "failed_methods": "其他方式均无法送达的情况",
    "notice": "留存的书面公告",
    "address_confirmation": "当事人签署、同意电子送达的送达地址确认书",
    "sent_record": "系统发送记录",
    "delivery_receipt": "文书到达受送达人特定系统的回执记录",
}


def _rules(matter: Matter, on: date | None = None):
    return agency_rules(matter.agency, on)


# --- opening -----------------------------------------------------------------------------------------


def matter_open(
    *,
    acting_user,
    kind: str,
    title: str,
    party=None,
    officers=(),
    procedure: str = Procedure.GENERAL,
    section=None,
    facts: str = "",
    confidentiality: str | None = None,
    opened_at: datetime | None = None,
) -> Matter:
    """Register a new matter in its workflow's first state, with the officers who handle it.

    Raises PermissionDenied unless the user may act on matters; ValidationError for an unknown
    kind, a missing title, a party of another agency's list, or an officer who may not be assigned
    (no valid 执法证: 行政处罚法第四十二条).
    """
    require(acting_user, "matters.act", agency=acting_user.agency)
    if kind not in MatterKind.values:
        raise ValidationError(f"未知的执法事项类别：{kind}。")
    if procedure not in Procedure.values or (procedure == Procedure.SIMPLE and kind != MatterKind.PENALTY):
        raise ValidationError("简易程序只适用于行政处罚。")
    title = text_for_column(title, label="事由", model=Matter, field="title")
    if not title:
        raise ValidationError("请填写事由。")
    facts = text_bounded(facts, label="违法事实 / 基本情况", max_length=TEXT_LONG)
    section = section or acting_user.section
    if section is None or section.agency_id != acting_user.agency_id:
        raise ValidationError("请选择本单位的承办科室。")
    workflow = workflow_for(kind, procedure)
    opened_at = opened_at or timezone.now()
    team = _check_officers(list(officers) or [acting_user], on=timezone.localtime(opened_at).date())
    matter = Matter(
        agency=acting_user.agency,
        section=section,
        kind=kind,
        procedure=procedure,
        workflow=workflow.code,
        state=workflow.initial,
        title=title.strip(),
        party=party,
        facts=facts,
        opened_by=acting_user,
        opened_at=opened_at,
    )
    if confidentiality:
        matter.confidentiality = confidentiality
    matter.full_clean(exclude=["party", "officers"])
    with transaction.atomic():
        matter.save()
        matter.officers.set(team)
        event_record(
            kind="matter.open",
            subject=matter,
            acting_user=acting_user,
            data={
                "kind": kind,
                "procedure": procedure,
                "title": matter.title,
                "party": party.pk if party else None,
                "officers": [o.pk for o in team],
            },
        )
    return matter


def _check_officers(officers, *, on: date) -> list:
    team = list(dict.fromkeys(officers))
    for officer in team:
        try:
            officer_check_assignable(staff=officer, on=on)
        except NotAssignable as exc:
            raise ValidationError(exc.messages if hasattr(exc, "messages") else str(exc)) from exc
    return team


# --- transitions ---------------------------------------------------------------------------------------


@dataclass
class ServiceInput:
    """What the officer reports about one act of service (送达)."""

    method: str
    recipient: str
    served_at: datetime
    place: str = ""
    signer: str = ""
    refusal_reason: str = ""
    witness: str = ""
    reason: str = ""
    failed_methods: str = ""
    medium: str = ""
    tracking_number: str = ""
    receipt: object = None  # Record: the scanned 送达回执
    post_receipt: object = None  # Record: 付邮凭证 and 回执
    av: object = None  # Record: recording of the service
    notice: object = None  # Record: the public notice kept
    sent_record: object = None  # Record: the system's record of sending (电子送达)
    delivery_receipt: object = None  # Record: the record that it reached the party's system (电子送达)
    address: object = None  # ServiceAddress: the party's 送达地址确认书 (电子送达)
    pending: tuple = ()  # what the pack requires and is still to come (set by the checks)
    # Proofs delivered with the form ({"sent_record": ProofUpload}): counted present by the checks and
    # filed in the vault only when the service is recorded, in its transaction.
    uploads: dict = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class ProofUpload:
    """A file delivered as proof of a service (a scan, the sending system's record), not filed yet."""

    path: Path
    original_name: str
    title: str


def proof_file(*, matter: Matter, upload: ProofUpload, acting_user):
    """File a delivered proof in the vault as a record of the matter's party (in the section's name
    where the user may not file for it). Returns (record, created): created is False when the same
    content was already filed. Callers run it in the transaction that uses the record, so a refusal
    after it leaves no record behind."""
    from matters.instruments import _filer
    from records.services import record_ingest

    title = text_bounded(upload.title, label="名称", max_length=200)
    result = record_ingest(
        acting_user=_filer(acting_user, matter.section),
        section=matter.section,
        path=Path(upload.path),
        original_name=upload.original_name,
        title=title,
        officers=list(matter.officers.all()),
        party=matter.party,
    )
    return result.version.record, result.created


PROOF_NAMES = ("receipt", "post_receipt", "notice", "sent_record", "delivery_receipt")


def _parse(field, raw):
    if raw in (None, "", []):
        return None
    label = field.label
    try:
        if field.kind == "date":
            return year_bounded(raw if isinstance(raw, date) else date.fromisoformat(str(raw)), label=label)
        if field.kind == "datetime":
            value = year_bounded(raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw)), label=label)
            if timezone.is_naive(value):
                value = timezone.make_aware(value)
            return value
        if field.kind == "decimal":
            # Amounts (罚款数额, 缴纳数额) are kept in Matter.fine_amount: its digits and places bound them.
            return decimal_for_column(raw, label=label, model=Matter, field="fine_amount")
    except (ValueError, InvalidOperation, TypeError, OverflowError):
        shown = str(raw)[:40] + ("…" if len(str(raw)) > 40 else "")
        example = "2026-11-24 09:30" if field.kind == "datetime" else "2026-11-24"
        raise ValidationError(f"“{label}”不是有效的日期或时间：{shown}。应写成 {example}。") from None
    if field.kind == "choice":
        if not isinstance(raw, str) or raw not in dict(field.choices):
            raise ValidationError(f"“{label}”只能选择：{'、'.join(dict(field.choices).values())}。")
        return raw
    if field.kind == "multichoice":
        values = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else [raw]
        unknown = [str(v)[:40] for v in values if not isinstance(v, str) or v not in dict(field.choices)]
        if unknown:
            raise ValidationError(f"“{label}”中有未知选项：{'、'.join(unknown[:5])}。")
        return values
    if field.kind == "bool":
        return bool(raw)
    if isinstance(raw, dict | list):
        raise ValidationError(f"“{label}”应为文字。")
    return text_bounded(raw, label=label, max_length=TEXT_LONG if field.kind == "textarea" else TEXT_LINE)


def _clean(transition: Transition, data: dict) -> dict:
    cleaned, missing = {}, []
    for f in transition.fields:
        value = _parse(f, data.get(f.name))
        if value is None or value == "":
            if f.required:
                missing.append(f.label)
            continue
        cleaned[f.name] = value
    if missing:
        raise ValidationError(f"{transition.label}：请填写{'、'.join(missing)}。")
    return cleaned


def _json(data: dict) -> dict:
    out = {}
    for k, v in data.items():
        if isinstance(v, datetime):
            out[k] = timezone.localtime(v).isoformat(timespec="minutes")
        elif isinstance(v, date):
            out[k] = v.isoformat()
        elif isinstance(v, Decimal):
            out[k] = str(v)
        else:
            out[k] = v
    return out


def _may_act(user, matter: Matter, transition: Transition) -> None:
    if user is not None and user.is_authenticated and not can(user, transition.capability):
        # A refusal for a role names who takes the step (“作出行政处罚决定”须由局领导决定).
        raise PermissionDenied(f"您没有权限办理“{transition.label}”：此环节{who_acts(transition.capability)}。")
    require(user, transition.capability, agency=matter.agency)
    if transition.capability == "matters.act":
        handles = matter.officers.filter(pk=user.pk).exists()
        chief = user.has_role(Role.SECTION_CHIEF) and user.section_id == matter.section_id
        if not (handles or chief):
            names = "、".join(o.name for o in matter.officers.all()) or "未指定"
            raise PermissionDenied(
                f"只有承办本事项的执法人员（{names}）或{matter.section.name}负责人可以办理此环节；"
                "请由承办人员办理。"
            )
    elif transition.capability == "matters.approve" and not user.has_role(Role.LEADER):
        # Where the pack sends an approval up to the 局主要负责人 (通化 001 第九条、第二十三条), a
        # section chief's approval does not end it.
        rule = _rules(matter).get("matters.leader_approval_steps")
        if rule and any(r["matter_kind"] == matter.kind and r["step"] == transition.code for r in rule.value):
            raise PermissionDenied(
                f"{transition.label}须逐级报局主要负责人审批（{rule.cited('、')}），科室负责人不能作最终审批，"
                "请报局领导审批。"
            )
        if user.section_id != matter.section_id:
            raise PermissionDenied("只有承办科室的负责人或局领导可以审批此环节。")


def matter_may_act(*, acting_user, matter: Matter, transition: str) -> None:
    """Raise PermissionDenied unless `acting_user` may take `transition` on `matter` (the pages
    check this before the step's form, so a refusal is a refusal and not a form to fill in)."""
    t = workflow_for(matter.kind, matter.procedure).transition(transition)
    if t is not None:
        _may_act(acting_user, matter, t)


def _steps_done(matter: Matter, *codes: str) -> bool:
    return matter.steps.filter(transition__in=codes).exists()


def _check_officer_count(matter, transition, team, occurred_on, rules) -> None:
    if not transition.officers_rule:
        return
    rule = rules.get(transition.officers_rule)
    if rule is None:
        return
    needed = int(rule.value)
    if len(team) < needed:
        raise ValidationError(
            f"{transition.label}须由不少于{needed}名执法人员进行，本次只登记了{len(team)}名"
            f"（{rule.cited('、')}）。"
        )


# What 音像 means where a pack does not list its recording methods: sound and picture recordings.
DEFAULT_AV_MEDIA = ("video", "audio")


def av_requirements(matter: Matter, transition_code: str, rules=None, *, method: str | None = None,
                    any_method: bool = False):
    """The rows of the pack's recording list (`av.required_steps`) that apply to this step, with the
    rule; a row limited to some ways of service applies only when the step serves that way (with
    `any_method`, every row of the step: what its form must ask before the way is known)."""
    rules = rules or _rules(matter)
    rule = rules.get("av.required_steps")
    if rule is None:
        return [], None
    rows = [
        row
        for row in rule.value
        if row["matter_kind"] == matter.kind
        and row["step"] == transition_code
        and (any_method or not row.get("service_methods") or method in row["service_methods"])
    ]
    return rows, rule


def av_requirement(matter: Matter, transition_code: str, rules=None):
    """The first pack row saying this step must be recorded, with its rule; else None (for pages)."""
    rows, rule = av_requirements(matter, transition_code, rules)
    return (rows[0], rule) if rows else None


def av_media(rules, rows) -> tuple[str, ...]:
    """The record kinds that satisfy the rows: each row's own methods, else the pack's (通化 第三条
    counts photos), else sound and picture recordings."""
    listed = {m for row in rows for m in row.get("media", ())}
    if listed:
        return tuple(sorted(listed))
    return tuple(rules.value("av.media_kinds", default=DEFAULT_AV_MEDIA))


def _check_av(matter, transition, records, exemption, rules, *, service=None, disputed=None) -> bool | None:
    """Refuse a step on the agency's recording list without a linked recording or a written
    exemption (不适宜音像记录). Returns the officer's answer to 是否可能引发争议 where the list asks it."""
    method = service.method if service is not None else None
    rows, rule = av_requirements(matter, transition.code, rules, method=method)
    if not rows:
        return None
    always = [r for r in rows if r.get("when", "always") == "always"]
    asks = [r for r in rows if r.get("when") == "disputed"]
    if asks and disputed is None:
        where = "、".join(r.get("row", r["item"]) for r in asks)
        raise ValidationError(
            f"{transition.label}：请登记本环节是否可能引发争议；可能引发争议的，须音像记录（{where}；{rule.cited('、')}）。"
        )
    needed = always + (asks if disputed else [])
    if not needed:
        return disputed if asks else None
    if exemption is not None:
        if exemption.agency_id != matter.agency_id:
            raise ValidationError("所附不适宜音像记录的说明不属于本单位。")
        return disputed if asks else None
    media = av_media(rules, needed)
    linked = list(records) + ([service.av] if service is not None and service.av is not None else [])
    if not any(r.kind in media for r in linked):
        row = needed[0]
        where = f"，{row['row']}" if row.get("row") else ""
        span = f"，自{row['start']}记录至{row['end']}" if row.get("start") and row.get("end") else ""
        from records.choices import RecordKind

        kinds = "、".join(RecordKind(m).label for m in media)
        raise ValidationError(
            f"{transition.label}（{row['item']}）必须有音像记录（{kinds}）{span}：请关联本环节的记录，"
            f"或登记不适宜音像记录的情形和原因（{rule.cited('、')}{where}）。"
        )
    return disputed if asks else None


SERVICE_TEXT_LABELS = {
    "recipient": "受送达人",
    "place": "送达地点",
    "signer": "签收人",
    "refusal_reason": "拒收事由",
    "witness": "见证人",
    "reason": "委托、转交的原因",
    "failed_methods": "其他方式无法送达的情况",
    "medium": "公告载体",
    "tracking_number": "邮件号码",
}


def _bound_service_text(service: ServiceInput) -> None:
    """Each text of a service fits where it is kept: a Service column, or one line of its details."""
    for name, label in SERVICE_TEXT_LABELS.items():
        column = Service._meta.get_field(name) if name in ("recipient", "place") else None
        limit = column.max_length if column else TEXT_LINE
        setattr(service, name, text_bounded(getattr(service, name), label=label, max_length=limit))


def service_requirements(matter: Matter, method: str, rules=None) -> tuple[list[str], object]:
    """What the pack requires a service in `method` to leave, and the rule that says so. 电子送达 reads
    its own rule (行政处罚法第六十一条第二款) unless the agency's table lists the method itself."""
    rules = rules or _rules(matter)
    rule = rules.rule("service.requirements")
    for row in rule.value:
        if row["method"] == method:
            return list(row["requires"]), rule
    if method == ServiceMethod.ELECTRONIC:
        electronic = rules.rule("service.electronic_requirements")
        return list(electronic.value), electronic
    return [], rule


def _check_electronic(matter: Matter, service: ServiceInput, rules) -> None:
    """电子送达 only where the party signed a 送达地址确认书 agreeing to it, at an address it gave, and
    not before it signed (行政处罚法第六十一条第二款)."""
    rule = rules.rule("service.electronic_requirements")
    address = service.address
    if address is None or address.matter_id != matter.pk or not address.electronic:
        raise ValidationError(
            f"电子送达须经当事人同意并签订确认书（{rule.cited('、')}）：本案尚未登记当事人同意电子送达的送达地址确认书。"
            "请先登记当事人签署的送达地址确认书（附签名页扫描件），再以电子送达方式送达；当事人未同意的，请改用直接送达、邮寄送达等方式。"
        )
    place = (service.place or "").strip() or address.electronic_addresses[0]
    if place not in address.electronic_addresses:
        raise ValidationError(
            f"电子送达只能送至当事人在送达地址确认书中确认的地址：{'、'.join(address.electronic_addresses)}（{rule.cited('、')}）。"
        )
    service.place = place
    _failed_send_refusal(service.sent_record)
    if service.served_at is not None and timezone.localtime(service.served_at).date() < address.signed_on:
        raise ValidationError(
            f"送达时间早于送达地址确认书的签署日期（{address.signed_on:%Y年%m月%d日}）：当事人同意前不能电子送达。"
        )


def _failed_send_refusal(record) -> None:
    """A 发送记录 filed for an attempt the mail server did not accept (field app,
    `instrument.electronic_send_failed`) proves no sending: it cannot be an electronic service's record."""
    from ledger.models import Event

    if record is not None and Event.objects.filter(
        kind="instrument.electronic_send_failed", data__sent_record=record.pk
    ).exists():
        raise ValidationError(
            f"记录#{record.pk} 是一次未成功的电子送达的发送记录（收件服务器未接收），不能证明已送达。"
            "请由承办人员在文书打印页重新发送，以成功发送的发送记录登记；或改用其他送达方式。"
        )


def electronic_consent_check(*, matter: Matter, address) -> None:
    """Raise the service form's ValidationError unless `address` is this matter's signed 送达地址确认书
    agreeing to 电子送达 (for pages that send electronically before the service is recorded)."""
    _check_electronic(matter, ServiceInput("electronic", recipient="", served_at=None, address=address), _rules(matter))


def _check_service(matter: Matter, service: ServiceInput, rules) -> None:
    if service.method not in ServiceMethod.values:
        raise ValidationError(f"未知的送达方式：{service.method}。")
    if not (service.recipient or "").strip():
        raise ValidationError("请填写受送达人。")
    if service.served_at is None:
        raise ValidationError("请填写送达时间。")
    time_not_future("送达时间", service.served_at, timezone.now(), rules)
    if service.method == ServiceMethod.ELECTRONIC:
        _check_electronic(matter, service, rules)
    _check_uploads(matter, service)
    requires, rule = service_requirements(matter, service.method, rules)

    def given(name):
        return getattr(service, name) is not None or name in service.uploads

    present = {
        "receipt": given("receipt"),
        "recipient_signature": bool(service.signer.strip()),
        "post_receipt": given("post_receipt") and bool(service.tracking_number.strip()),
        "refusal_reason": bool(service.refusal_reason.strip()),
        "witness": bool(service.witness.strip()),
        "av": service.av is not None and service.av.kind in av_media(rules, []),
        "reason": bool(service.reason.strip()),
        "failed_methods": bool(service.failed_methods.strip()),
        "notice": given("notice") and bool(service.medium.strip()),
        "address_confirmation": service.address is not None and service.address.electronic,
        "sent_record": given("sent_record"),
        "delivery_receipt": given("delivery_receipt"),
    }
    # The scanned receipt may be attached afterwards (补充送达回证); until then the service shows it missing.
    later = {"receipt"}
    service.pending = tuple(r for r in requires if r in later and not present[r])
    missing = [REQUIREMENT_LABELS[r] for r in requires if not present[r] and r not in later]
    if missing:
        method = ServiceMethod(service.method).label
        raise ValidationError(f"{method}须留存：{'、'.join(missing)}（{rule.cited('、')}）。")
    _check_proofs(matter, service)


def _digest(upload: ProofUpload) -> str:
    digest = hashlib.sha256()
    with Path(upload.path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _stored_as(matter: Matter, upload: ProofUpload):
    """The agency's record this upload would be filed as because its bytes are stored already (the
    vault recognises a file by its hash), or None for a new file."""
    from records.models import RecordVersion

    found = RecordVersion.objects.filter(sha256=_digest(upload), record__agency_id=matter.agency_id)
    version = found.select_related("record").order_by("id").first()
    return version.record if version else None


def _check_uploads(matter: Matter, service: ServiceInput) -> None:
    """Before any byte is stored: each upload fills an empty slot, no two are the same file, and one
    whose bytes the vault holds already is checked as the record it would be filed as — so that the
    checks after filing (`_check_proofs`) find nothing new and no refused service stores a file."""
    seen = {}
    picked = {getattr(service, n).pk: n for n in PROOF_NAMES if getattr(service, n) is not None}
    for name, upload in service.uploads.items():
        label = REQUIREMENT_LABELS.get(name, name)
        if name not in PROOF_NAMES:
            raise ValidationError(f"未知的送达材料：{name}。")
        if getattr(service, name) is not None:
            raise ValidationError(f"{label}：请选择本案已有的记录或上传文件，二者选一。")
        digest = _digest(upload)
        if digest in seen:
            raise ValidationError(f"{seen[digest]}和{label}上传的是同一个文件：同一份记录不能同时作为本次送达的两种材料。")
        seen[digest] = label
        record = _stored_as(matter, upload)
        if record is not None:
            if record.pk in picked:
                raise ValidationError(f"{label}上传的文件就是所选的记录#{record.pk}：同一份记录不能同时作为本次送达的两种材料。")
            service_proof_unused(matter, record)
            if name == "sent_record":
                _failed_send_refusal(record)


def _check_proofs(matter: Matter, service: ServiceInput) -> None:
    """The proofs (picked, or filed from the uploads) are this agency's, distinct, and not used before."""
    proofs = (service.receipt, service.post_receipt, service.notice, service.sent_record, service.delivery_receipt)
    for record in (*proofs, service.av):
        if record is not None and record.agency_id != matter.agency_id:
            raise ValidationError("送达材料中有不属于本单位的记录。")
    seen = [r.pk for r in proofs if r is not None]
    if len(seen) != len(set(seen)):
        raise ValidationError("同一份记录不能同时作为本次送达的两种材料。")
    for record in proofs:
        if record is not None:
            service_proof_unused(matter, record)


def service_proof_unused(matter: Matter, record) -> None:
    """A receipt (or other proof of delivery) proves one service of one 文书 of this matter's party."""
    used = Service.objects.filter(Q(records=record) | Q(receipt=record)).select_related("instrument").first()
    if used is not None:
        raise ValidationError(
            f"记录#{record.pk}“{record.title}”已作为《{used.instrument.title}》{used.instrument.number}的送达材料，"
            f"一份回执只能证明一次送达；请上传本次送达的回执扫描件。"
        )
    if record.party_id and matter.party_id and record.party_id != matter.party_id:
        raise ValidationError(f"记录#{record.pk}“{record.title}”属于其他当事人，不能作为本案的送达材料。")
    if ServiceAddress.objects.filter(scan=record).exists():
        raise ValidationError(f"记录#{record.pk}“{record.title}”是送达地址确认书的扫描件，不能作为送达回执。")


# --- claimed times (行政处罚法第四十七条: the record says when things happened) -------------------------

_SPAN = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def _span(rule) -> timedelta:
    return timedelta(seconds=int(rule.value) * _SPAN.get(rule.unit, 86400))


def _when(value: datetime) -> str:
    return f"{timezone.localtime(value):%Y年%m月%d日 %H:%M}"


def time_not_future(label: str, value, now: datetime, rules) -> None:
    """A claimed time may not lie ahead of now beyond the pack's clock tolerance."""
    if value is None:
        return
    rule = rules.rule("time.clock_tolerance")
    if isinstance(value, datetime):
        if value > now + _span(rule):
            raise ValidationError(
                f"{label}（{_when(value)}）晚于现在：尚未发生的时间不能登记，请在事情办完后按实际时间登记"
                f"（{rule.cited('、')}）。"
            )
    elif value > timezone.localdate(now):
        raise ValidationError(f"{label}（{value:%Y年%m月%d日}）不能晚于今天：尚未发生的日期不能登记，请按实际日期登记。")


def service_after_issue(served_at: datetime, issued_at: datetime, rules) -> None:
    """A 文书 is served only after it was made (within the clock tolerance)."""
    rule = rules.rule("time.clock_tolerance")
    if served_at < issued_at - _span(rule):
        raise ValidationError(
            f"送达时间（{_when(served_at)}）早于文书制作时间（{_when(issued_at)}）。文书须先制作、后送达，请按实际送达时间登记。"
        )


# Times that name what is planned, not what happened: a plan's inspection time.
SCHEDULED_FIELDS = {("plan", "time")}


def _previous_step(matter: Matter, t: Transition) -> Step | None:
    """The step this one follows: any earlier step for a step that moves the matter on, else the one
    that brought the matter into its present state."""
    steps = matter.steps.all()
    if t.target is None or t.target == matter.state:
        moved = [s for s in steps.order_by("-pk") if s.to_state != s.from_state]
        return moved[0] if moved else None
    return steps.order_by("-occurred_at", "-pk").first()


def _check_claimed_times(matter: Matter, t: Transition, occurred_at, cleaned: dict, now, rules, late_reason: str):
    time_not_future("发生时间", occurred_at, now, rules)
    for f in t.fields:
        if f.kind in ("date", "datetime") and (t.code, f.name) not in SCHEDULED_FIELDS and f.name not in (
            "hearing_at", "rectify_by"
        ):
            time_not_future(f.label, cleaned.get(f.name), now, rules)
    previous = _previous_step(matter, t)
    if previous is not None and occurred_at < previous.occurred_at - _span(rules.rule("time.clock_tolerance")):
        raise ValidationError(
            f"发生时间（{_when(occurred_at)}）早于上一环节“{previous.label}”的发生时间（{_when(previous.occurred_at)}），"
            f"请核对后按实际时间登记。"
        )
    rule = rules.rule("time.late_entry_tolerance")
    if now - occurred_at > _span(rule) and not late_reason:
        unit = UNIT_LABELS.get(rule.unit, rule.unit)
        raise ValidationError(
            f"发生时间（{_when(occurred_at)}）早于登记时间超过{rule.value}{unit}，请在“补录原因”中写明为何事后登记"
            f"（{rule.cited('、')}）。"
        )


def _deadline(matter: Matter, rule_key: str) -> Deadline | None:
    return (
        Deadline.objects.filter(
            subject_type=ContentType.objects.get_for_model(Matter), subject_id=str(matter.pk), rule_key=rule_key
        )
        .order_by("-start", "-pk")
        .first()
    )


def _fine_limit_rule(matter, rules):
    kind = matter.party.kind if matter.party else None
    key = (
        "penalty.simple_procedure_limit_person"
        if kind == PartyKind.NATURAL_PERSON
        else "penalty.simple_procedure_limit_organisation"
    )
    return rules.rule(key)


def _guard_emergency(matter: Matter, code: str, data: dict, now: datetime, rules) -> None:
    """行政强制法 第十九条: the report of an on-the-spot seizure comes after it, not in the future,
    and within the pack's hours, else it states why it is late (and stays on record as late); the
    leader approves only what was reported."""
    rule = rules.get("compulsion.emergency_report")
    if code == "approve_emergency":
        if not _steps_done(matter, "report_emergency"):
            cite = f"（{rule.cited('、')}）" if rule else ""
            raise ValidationError(f"须先登记执法人员向负责人报告的情况，再补办批准手续{cite}。")
        return
    seized = matter.steps.filter(transition="seal_on_spot").order_by("pk").first()
    reported = data["time"]
    if reported > now:
        raise ValidationError("报告时间不能晚于现在。")
    if seized is not None and reported < seized.occurred_at:
        raise ValidationError(
            f"报告时间不能早于当场实施查封、扣押的时间（{timezone.localtime(seized.occurred_at):%Y-%m-%d %H:%M}）。"
        )
    period = _deadline(matter, "compulsion.emergency_report")
    if rule is not None and period is not None and reported > period.due and not (data.get("late_reason") or "").strip():
        unit = UNIT_LABELS.get(rule.unit, rule.unit)
        raise ValidationError(
            f"当场实施行政强制措施后应在{rule.value}{unit}内（{timezone.localtime(period.due):%Y-%m-%d %H:%M}前）"
            f"向负责人报告，本次报告已超过时限，请写明超过时限的原因（{rule.cited('、')}）。"
        )


def _guard(matter: Matter, transition: Transition, data: dict, now: datetime, rules, service=None) -> None:
    """Rules particular to one step, each refusal naming its article."""
    code = transition.code
    wf = matter.workflow
    if code == "decide_on_spot":
        if matter.party is None:
            raise ValidationError("当场处罚须登记当事人。")
        rule = _fine_limit_rule(matter, rules)
        amount = data.get("amount") or Decimal(0)
        if amount > Decimal(str(rule.value)):
            who = "公民" if matter.party.kind == PartyKind.NATURAL_PERSON else "法人或者其他组织"
            raise ValidationError(
                f"对{who}罚款{amount}元超过简易程序（当场处罚）上限{rule.value}元，应当适用一般程序（{rule.cited('、')}）。"
            )
        items = rules.get("penalty.simple_procedure_record_items")
        if items is not None and not (data.get("defence") or "").strip():
            raise ValidationError(f"简易程序须记录当事人陈述、申辩及复核处理情况（{items.cited('、')}）。")
    if wf == "penalty_general" and code in ("decide", "discuss") and matter.state == "notified":
        defended = _steps_done(matter, "record_defence")
        period = _deadline(matter, "penalty.defence_period")
        if not defended and period is not None and now <= period.due:
            rule = rules.rule("penalty.defence_period")
            raise ValidationError(
                f"陈述申辩期限至{timezone.localtime(period.due):%Y年%m月%d日}届满，当事人尚未陈述申辩，"
                f"期限届满前不能作出决定（{rule.cited('、')}）。"
            )
    if wf == "penalty_general" and code in ("decide", "discuss") and matter.state == "notified":
        from matters.instruments import hearing_qualifies

        period = _deadline(matter, "penalty.hearing_request_period")
        qualifies, _ = hearing_qualifies(matter, rules)
        if qualifies and period is not None and now <= period.due and not _steps_done(matter, "waive_hearing"):
            rule = rules.rule("penalty.hearing_request_period")
            raise ValidationError(
                f"当事人要求听证的期限至{timezone.localtime(period.due):%Y年%m月%d日}届满，期限内不能作出决定（{rule.cited('、')}）。"
                f"当事人书面放弃听证的，请先办理“当事人放弃听证”登记其声明；否则请待期限届满。"
            )
    if wf == "penalty_general" and code == "decide" and matter.major and not _steps_done(matter, "discuss"):
        rule = rules.get("penalty.collective_discussion_required")
        if rule is not None and rule.value:
            raise ValidationError(
                f"重大行政处罚案件须经负责人集体讨论后方可作出决定（{rule.cited('、')}）。"
                f"请先办理“集体讨论”（{who_acts('matters.decide')}），再作出决定。"
            )
    if code in ("propose", "decide"):
        _check_decision_facts(data, rules)
    if code in ("report_emergency", "approve_emergency"):
        _guard_emergency(matter, code, data, now, rules)
    if code == "request_hearing":
        period = _deadline(matter, "penalty.hearing_request_period")
        requested = data["requested_on"]
        if period is not None and requested > timezone.localtime(period.due).date():
            rule = rules.rule("penalty.hearing_request_period")
            raise ValidationError(
                f"听证申请期限已于{timezone.localtime(period.due):%Y年%m月%d日}届满（{rule.cited('、')}）。"
            )
    if code == "notify_hearing":
        rule = rules.rule("penalty.hearing_notice_lead")
        served = service.served_at if service else now
        earliest = deadline_for(rule, served).due
        if timezone.localtime(data["hearing_at"]).date() < earliest:
            unit = UNIT_LABELS.get(rule.unit, rule.unit)
            raise ValidationError(
                f"听证通知须在举行听证的{rule.value}{unit}前送达当事人：{timezone.localtime(served):%Y年%m月%d日}送达的，"
                f"听证最早可定于{earliest:%Y年%m月%d日}（{rule.cited('、')}）。"
            )
    if code == "hold_hearing":
        scheduled = matter.steps.filter(transition="notify_hearing").order_by("-pk").first()
        hearing_at = datetime.fromisoformat(scheduled.data["hearing_at"]) if scheduled else None
        if hearing_at and now < hearing_at:
            raise ValidationError(f"听证定于{hearing_at:%Y年%m月%d日 %H:%M}举行，尚未到时间。")
    if code == "pay" and matter.fine_amount and data["amount"] < matter.fine_amount:
        raise ValidationError(f"缴纳数额{data['amount']}元少于决定的罚款{matter.fine_amount}元。")
    if code == "apply_court":
        demand = _deadline(matter, "compulsion.demand_period")
        rule = rules.rule("compulsion.demand_period")
        if demand is None:
            raise ValidationError(f"申请人民法院强制执行前须先书面催告当事人履行（{rule.cited('、')}）。")
        if now <= demand.due:
            raise ValidationError(
                f"催告书送达后{rule.value}日内当事人仍可履行，{timezone.localtime(demand.due):%Y年%m月%d日}后方可申请"
                f"（{rule.cited('、')}）。"
            )
    if code == "close" and wf in ("penalty_general", "penalty_simple") and matter.state == "served":
        rule = rules.get("penalty.closing_requires_execution")
        if matter.fine_amount and rule is not None and rule.value:
            raise ValidationError(
                f"罚款{matter.fine_amount}元尚未缴纳，也没有申请强制执行，不能结案（{rule.cited('、')}）。"
            )
    if code == "close" and wf == "inspection":
        open_hazards = matter.hazards.exclude(state__in=("rectified", "referred")).count()
        if open_hazards:
            raise ValidationError(f"还有{open_hazards}项隐患未确认整改，不能结案；未整改的应移交立案查处。")
    if code == "revoke":
        if data["revoked_on"] > timezone.localdate(now):
            raise ValidationError("决定撤销之日不能晚于今天。")
        decided = matter.steps.filter(transition__in=DECISION_STEPS.get(matter.kind, ())).order_by("pk").first()
        if decided is not None and data["revoked_on"] < timezone.localtime(decided.occurred_at).date():
            raise ValidationError(
                f"决定撤销之日不能早于作出决定之日（{timezone.localtime(decided.occurred_at):%Y年%m月%d日}）。"
            )
    if code == "extend":
        period = _deadline(matter, "compulsion.seizure_period")
        if period is not None and now > period.due:
            rule = rules.rule("compulsion.seizure_extension")
            raise ValidationError(f"查封、扣押期限已届满，不能再延长（{rule.cited('、')}）。")
    if code == "reinspect":
        rectify_by = matter.data.get("rectify_by")
        when = timezone.localtime(data["time"]).date()
        # Before the deadline only once the party reported every open hazard fixed (001 第八条).
        waiting = matter.hazards.filter(state__in=("open", "reported"))
        reported = waiting.exists() and not waiting.filter(state="open").exists()
        if rectify_by and when < date.fromisoformat(rectify_by) and not reported:
            raise ValidationError(
                f"复查应在整改期限（{rectify_by}）届满后进行，或当事人报告整改完毕后进行："
                f"请在本页“本次检查发现的隐患”中打开隐患，登记当事人的整改完毕报告后再复查。"
            )


def _check_decision_facts(data: dict, rules) -> None:
    """A confiscation states its value (the catalogue reviews it by value, 000 审核第三条（二）3); a
    named benchmark entry must be one of the pack's."""
    if "confiscation" in (data.get("measures") or []) and data.get("confiscation_value") is None:
        raise ValidationError("选择没收违法所得、非法财物的，须填写没收财物的价值（元），据此判断是否须法制审核。")
    value = data.get("confiscation_value")
    if value is not None and (value > Decimal("999999999999.99") or value != value.quantize(Decimal("0.01"))):
        raise ValidationError("没收财物的价值须为不超过999999999999.99元、最多两位小数的金额。")
    if len(data.get("corrects") or "") > 60:
        raise ValidationError("被纠正的决定书文号最多60个字符。")
    code = data.get("benchmark")
    if code and benchmark_entry(rules, code) is None:
        rule = rules.get("review.benchmark")
        known = "、".join(row["code"] for row in rule.value) if rule else "（本单位政策包未设裁量基准表）"
        raise ValidationError(f"裁量基准编号“{code}”不在本单位的裁量基准表中。可选：{known}。")


def benchmark_entry(rules, code: str) -> dict | None:
    rule = rules.get("review.benchmark")
    if rule is None or not code:
        return None
    return next((row for row in rule.value if row["code"] == code), None)


def benchmark_place(rules, code: str, amount) -> dict | None:
    """Where a proposed fine sits in the pack's benchmark (裁量基准): the entry, its range and whether
    the amount is inside it (000 审核第五条（二）、第七条（四）; 余姚 二（三）3)."""
    row = benchmark_entry(rules, code)
    if row is None:
        return None
    rule = rules.rule("review.benchmark")
    inside = amount is None or row["min"] <= Decimal(str(amount)) <= row["max"]
    return {
        **row,
        "amount": str(amount) if amount is not None else None,
        "within": inside,
        "citation": rule.cited("、"),
        "own": row["source"] == "agency",
    }


# Steps whose own checks count from the service: the hearing notice's lead time (行政处罚法第六十四条).
SERVICE_TIMED_STEPS = ("notify_hearing",)


def service_deferrable(t: Transition) -> bool:
    """Whether a step that issues a 文书 to be served may issue it now and leave its service to be
    recorded afterwards (登记送达): only where nothing the step starts or checks counts from the
    service (a period running from service, such as the 告知书's 陈述申辩 period, needs it now)."""
    return bool(t.serve and t.instrument and not t.starts and t.code not in SERVICE_TIMED_STEPS)


def _served_instrument(matter: Matter, transition: Transition, issued: Instrument | None) -> Instrument:
    if issued is not None:
        return issued
    # A `serve` step delivers the latest served 文书 not yet delivered (the decision).
    for instrument in matter.instruments.order_by("-issued_at", "-pk"):
        if TYPES[instrument.type].served and not instrument.services.exists():
            return instrument
    raise ValidationError("没有待送达的文书。")


def matter_transition(
    *,
    acting_user,
    matter: Matter,
    transition: str,
    data: dict | None = None,
    officers=(),
    records=(),
    exemption=None,
    service: ServiceInput | None = None,
    note: str = "",
    occurred_at: datetime | None = None,
    disputed: bool | None = None,
    late_reason: str = "",
) -> Step:
    """Take one named step of the matter's workflow.

    Changes: a Step row; the matter's state and the facts the step settles (fine, measures,
    hazards); the step's 文书 (numbered, rendered, in the vault); its service record; the
    deadlines it starts; one ledger event. Raises PermissionDenied for the wrong role or a user
    who does not handle the matter; ValidationError when the state does not allow the step, a
    required field, officer, recording, exemption or service item is missing, a deadline rule
    forbids it, or another app's gate (legal review) stops it. Nothing changes on a refusal.
    `disputed` is the officer's answer, for a step the recording list requires only when it may give
    rise to a dispute (003 附件1), to whether it may. `late_reason` explains a step recorded long
    after it happened (time.late_entry_tolerance); a time in the future or before the step this one
    follows is refused.
    """
    workflow: Workflow = workflow_for(matter.kind, matter.procedure)
    t = workflow.transition(transition)
    if t is None:
        raise ValidationError(f"{workflow.label}没有“{transition}”这一环节。")
    _may_act(acting_user, matter, t)
    note = text_bounded(note, label="说明", max_length=TEXT_LONG)
    late_reason = text_bounded(late_reason, label="补录原因", max_length=TEXT_LINE)
    if service is not None:
        _bound_service_text(service)
    with transaction.atomic():
        matter = Matter.objects.select_for_update().get(pk=matter.pk)
        if matter.state not in t.sources:
            possible = "、".join(x.label for x in workflow.available(matter.state)) or "无"
            raise ValidationError(
                f"当前环节为“{workflow.state(matter.state).label}”，不能办理“{t.label}”。可办理的环节：{possible}。"
            )
        if t.once and _steps_done(matter, t.code):
            raise ValidationError(f"“{t.label}”只能办理一次。")
        now = timezone.now()
        if occurred_at is None and t.serve and t.instrument and service is not None and service.served_at:
            # A 文书 made and handed over on the spot: the step happened when it was served.
            occurred_at = min(service.served_at, now)
        occurred_at = occurred_at or now
        rules = _rules(matter, timezone.localtime(occurred_at).date())
        cleaned = _clean(t, data or {})
        _check_claimed_times(matter, t, occurred_at, cleaned, now, rules, late_reason)
        if late_reason:
            cleaned["late_reason"] = late_reason
        # Field work is done by officers holding a 执法证; approvals are the approver's alone.
        fieldwork = t.capability == "matters.act" or bool(officers)
        team = (
            _check_officers(list(officers) or [acting_user], on=timezone.localtime(occurred_at).date())
            if fieldwork
            else []
        )
        if t.officers_rule:
            _check_officer_count(matter, t, team, occurred_at, rules)
        records = list(records)
        for r in records:
            if r.agency_id != matter.agency_id:
                raise ValidationError("关联的记录不属于本单位。")
        answered = _check_av(matter, t, records, exemption, rules, service=service, disputed=disputed)
        if answered is not None:
            cleaned["disputed"] = answered
        if t.serve and service is None and not service_deferrable(t):
            raise ValidationError(f"{t.label}：请登记送达方式和送达情况。")
        if t.serve and service is not None:
            _check_service(matter, service, rules)
            issued_at = occurred_at if t.instrument else _served_instrument(matter, t, None).issued_at
            service_after_issue(service.served_at, issued_at, rules)
        _guard(matter, t, cleaned, now, rules, service)
        refused = gates.refusals(matter, t.code)
        if refused:
            raise ValidationError(refused)

        step = Step.objects.create(
            matter=matter,
            transition=t.code,
            label=t.label,
            from_state=matter.state,
            to_state=t.target or matter.state,
            note=note,
            data=_json(cleaned),
            exemption=exemption,
            occurred_at=occurred_at,
            acted_by=acting_user,
        )
        step.officers.set(team)
        step.records.set(records)
        _apply(matter, t, cleaned, step, now)
        issued = None
        if t.instrument:
            from matters.instruments import instrument_issue

            issued = instrument_issue(
                matter=matter,
                type_code=t.instrument,
                content=_instrument_content(matter, cleaned, t, rules),
                step=step,
                acting_user=acting_user,
                capability=t.capability,
                issued_at=occurred_at,
            )
        if t.serve and service is not None:
            _record_service(matter, _served_instrument(matter, t, issued), service, acting_user)
        start = service.served_at if (t.serve and service) else occurred_at
        for key in t.starts:
            if rules.get(key) is None:
                continue
            if key == "compulsion.seizure_extension":  # the extension runs on from the first period's end
                first = _deadline(matter, "compulsion.seizure_period")
                start = first.due if first else start
            deadline_track(agency=matter.agency, subject=matter, rule_key=key, start=start)
        event = event_record(
            kind=f"matter.{t.code}",
            subject=matter,
            acting_user=acting_user,
            data={
                "step": step.pk,
                "from": step.from_state,
                "to": step.to_state,
                "data": step.data,
                "officers": [o.pk for o in team],
                "records": [r.pk for r in records],
                "exemption": exemption.pk if exemption else None,
                "instrument": issued.number if issued else None,
            },
        )
        step.event, step.event_index = event, event.index
        step.save(update_fields=["event", "event_index"])
        gates.run_after(matter, t.code, step)
    return step


def _instrument_content(matter: Matter, cleaned: dict, t: Transition, rules) -> dict:
    """What the 文书 says: the step's own fields over what the matter has settled so far."""
    hazards = "\n".join(h.description for h in matter.hazards.exclude(state="rectified"))
    content = {
        "facts": matter.facts,
        "basis": matter.legal_basis,
        "amount": str(matter.fine_amount) if matter.fine_amount is not None else "",
        "hazards": hazards,
        "decision": matter.data.get("decision") or matter.data.get("proposed_decision", ""),
    }
    if t.code == "extend":
        rule = rules.rule("compulsion.seizure_extension")
        content["period"] = f"延长{rule.value}{UNIT_LABELS.get(rule.unit, rule.unit)}"
    content.update({k: v for k, v in _json(cleaned).items() if v not in (None, "") and k != "late_reason"})
    if isinstance(content.get("measures"), list):
        from matters.workflows import MEASURE_CHOICES

        labels = dict(MEASURE_CHOICES)
        content["measures"] = "、".join(labels.get(m, m) for m in content["measures"])
    return content


def _apply(matter: Matter, t: Transition, cleaned: dict, step: Step, now: datetime) -> None:
    """What the step settles on the matter itself."""
    fields = ["state"]
    if t.code in ("request_filing", "propose", "decide", "decide_on_spot"):
        for attr, key in (("facts", "facts"), ("legal_basis", "basis")):
            if cleaned.get(key):
                setattr(matter, attr, cleaned[key])
                fields.append(attr)
    if t.code in ("propose", "decide", "decide_on_spot"):
        matter.fine_amount = cleaned.get("amount")
        matter.measures = cleaned.get("measures", []) if t.code != "decide_on_spot" else []
        fields += ["fine_amount", "measures"]
    if t.code in ("propose", "decide"):
        # The decision restates the proposal's facts; what it leaves out stays as proposed.
        before = matter.data or {}
        value = cleaned.get("confiscation_value")
        code = cleaned.get("benchmark") or (before.get("benchmark") or {}).get("code")
        facts = {
            "confiscation_value": str(value) if value is not None else before.get("confiscation_value"),
            "corrects": cleaned.get("corrects") or before.get("corrects"),
            "benchmark": benchmark_place(_rules(matter), code, cleaned.get("amount")),
        }
        kept = {k: v for k, v in before.items() if k not in facts}
        matter.data = {**kept, **{k: v for k, v in facts.items() if v}}
        fields.append("data")
        if matter.data.get("corrects") and "correction" not in matter.measures:
            matter.measures = [*matter.measures, "correction"]
    if t.code == "examine_application" and cleaned.get("proposed_action") == "revoke":
        matter.measures = ["licensing_revocation"]
        fields.append("measures")
    if t.code in ("propose", "decide") and cleaned.get("decision"):
        key = "proposed_decision" if t.code == "propose" else "decision"
        matter.data = {**matter.data, key: cleaned["decision"]}
        fields.append("data")
    if t.code == "inspect":
        lines = [ln.strip() for ln in (cleaned.get("hazards") or "").splitlines() if ln.strip()]
        for line in lines:
            Hazard.objects.create(matter=matter, description=line, found_in=step)
    if t.code in ("order_rectification", "onsite_measures"):
        matter.data = {**matter.data, "rectify_by": cleaned["rectify_by"].isoformat()}
        from matters.hazards import hazards_deadline_set

        hazards_deadline_set(
            matter=matter, rectify_by=cleaned["rectify_by"], start=step.occurred_at, acting_user=step.acted_by
        )
        fields.append("data")
    if t.code == "reinspect":
        state = "rectified" if cleaned["rectified"] == "yes" else "not_rectified"
        matter.hazards.filter(state__in=("open", "reported")).update(
            state=state, checked_in=step, checked_at=step.occurred_at, checked_by=step.acted_by
        )
    if t.target:
        matter.state = t.target
    if t.target and workflow_for(matter.kind, matter.procedure).state(t.target).final and not matter.closed_at:
        matter.closed_at = now
        fields.append("closed_at")
    matter.save(update_fields=fields)


def _record_service(matter: Matter, instrument: Instrument, service: ServiceInput, acting_user) -> Service:
    """Write the service once every check passed, filing its uploaded proofs first (in the caller's
    transaction: a refusal from here on leaves neither the records nor the service)."""
    if service.uploads:
        # the files the vault holds already first: a refusal while filing them stores nothing new
        order = sorted(service.uploads.items(), key=lambda item: _stored_as(matter, item[1]) is None)
        for name, upload in order:
            setattr(service, name, proof_file(matter=matter, upload=upload, acting_user=acting_user)[0])
        service.uploads = {}
        _check_proofs(matter, service)  # the same content may have been filed and used before
    details = {
        k: v
        for k, v in {
            "signer": service.signer,
            "refusal_reason": service.refusal_reason,
            "witness": service.witness,
            "reason": service.reason,
            "failed_methods": service.failed_methods,
            "medium": service.medium,
            "tracking_number": service.tracking_number,
            "pending": list(service.pending),
        }.items()
        if v
    }
    row = Service.objects.create(
        instrument=instrument,
        method=service.method,
        recipient=service.recipient.strip(),
        served_at=service.served_at,
        place=service.place,
        details=details,
        receipt=service.receipt,
        address=service.address,
        recorded_by=acting_user,
    )
    linked = (service.receipt, service.post_receipt, service.av, service.notice, service.sent_record,
              service.delivery_receipt)
    row.records.set([r for r in linked if r])
    return row


def matter_mark_major(*, acting_user, matter: Matter, reason: str) -> Matter:
    """Mark a matter 重大 by hand (collective discussion and legal review then apply)."""
    require(acting_user, "matters.view", agency=matter.agency)
    if not acting_user.has_role(Role.LEGAL_REVIEWER, Role.LEADER, Role.SECTION_CHIEF):
        raise PermissionDenied("只有法制审核人员、科室负责人或局领导可以认定重大案件。")
    from matters.selectors import matter_visible, refusal_message

    if acting_user is not None and not matter_visible(viewer=acting_user, matter=matter):
        raise PermissionDenied(refusal_message(matter))
    reason = text_for_column(reason, label="重大案件理由", model=Matter, field="major_reason")
    if not reason:
        raise ValidationError("认定重大案件须说明理由。")
    with transaction.atomic():
        matter = Matter.objects.select_for_update().get(pk=matter.pk)
        matter.major = True
        matter.major_reason = reason
        matter.save(update_fields=["major", "major_reason"])
        event_record(kind="matter.mark_major", subject=matter, acting_user=acting_user, data={"reason": reason})
    return matter


def service_proof_add(
    *, acting_user, service: Service, receipt=None, av=None, signer: str = "", refusal_reason: str = "",
    witness: str = "", reason: str = "", failed_methods: str = "", medium: str = "", tracking_number: str = "",
) -> Service:
    """Add the proof a service lacks (a receipt scan, a recording, a signer, the witness…) after the
    fact. What was recorded stays: only empty items are filled and records are added, never
    replaced. A ledger event; the compliance scan closes its finding once nothing is missing."""
    matter = service.instrument.matter
    require(acting_user, "matters.act", agency=service.instrument.agency)
    from matters.selectors import matter_visible, refusal_message

    if matter is None or not matter_visible(viewer=acting_user, matter=matter):
        raise PermissionDenied(refusal_message(matter) if matter else "该文书不属于您可办理的事项。")
    texts = {"signer": signer, "refusal_reason": refusal_reason, "witness": witness, "reason": reason,
             "failed_methods": failed_methods, "medium": medium, "tracking_number": tracking_number}
    texts = {k: text_bounded(v, label=SERVICE_TEXT_LABELS[k], max_length=TEXT_LINE) for k, v in texts.items() if v}
    kept = [SERVICE_TEXT_LABELS[k] for k in texts if (service.details or {}).get(k)]
    if kept:
        raise ValidationError(f"{'、'.join(kept)}已有登记，不能改写；如登记有误，请在事项中说明。")
    records = [r for r in (receipt, av) if r is not None]
    if not texts and not records:
        raise ValidationError("请至少补充一项送达材料（回执、音像记录或送达情况）。")
    for record in records:
        if record.agency_id != matter.agency_id:
            raise ValidationError("送达材料中有不属于本单位的记录。")
    if receipt is not None:
        if receipt.kind in AV_KINDS:
            raise ValidationError("送达回执应为扫描件或照片，录音录像请作为送达过程的音像记录补充。")
        used = Service.objects.filter(records=receipt).exclude(pk=service.pk).select_related("instrument").first()
        if used is not None:
            raise ValidationError(
                f"记录#{receipt.pk}“{receipt.title}”已作为《{used.instrument.title}》{used.instrument.number}的送达材料，"
                f"一份回执只能证明一次送达；请上传本次送达的回执扫描件。"
            )
    if av is not None and av.kind not in av_media(_rules(matter), []):
        raise ValidationError("送达过程的音像记录应为录音或录像。")
    with transaction.atomic():
        service = Service.objects.select_for_update().get(pk=service.pk)
        service.details = {**(service.details or {}), **texts}
        service.save(update_fields=["details"])
        if records:
            service.records.add(*records)
        event_record(kind="service.proof_add", subject=service, acting_user=acting_user, agency=matter.agency,
                     data={"details": sorted(texts), "records": [r.pk for r in records]})
    return service
