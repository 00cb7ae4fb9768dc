"""文书: numbering (〔年〕号), issuing (template → DOCX + PDF into the vault) and signatures.

A number reads `{agency.instrument_prefix}{abbr}〔{year}〕{n}号`; n counts per agency, kind and
year, and is taken in the transaction that creates the 文书, so a failed issue gives its
number back and two issues at once never get the same one.
"""

import json
import tempfile
import uuid
from datetime import date, datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ledger.services import event_record
from matters import rendering
from matters.choices import SignerRole
from matters.instrument_types import TYPES, InstrumentType
from matters.models import Instrument, InstrumentSequence, Signature
from org.choices import Role
from org.permissions import can, require
from records.choices import RecordKind
from records.services import record_ingest

# Content a kind cannot go out without (the rest may be left for the officer to fill in by hand).
REQUIRED: dict[str, tuple[str, ...]] = {
    "inspection_record": ("findings",),
    "rectification_order": ("hazards", "rectify_by"),
    "onsite_measures": ("hazards", "measures"),
    "reinspection_opinion": ("result",),
    "filing_approval": ("facts",),
    "interview_record": ("interviewee",),
    "examination_record": ("findings",),
    "sampling_voucher": ("items",),
    "preservation_list": ("items",),
    "preservation_decision": ("items", "decision"),
    "appraisal_request": ("items",),
    "decision_proposal": ("facts", "decision"),
    "penalty_notice": ("facts", "basis", "decision"),
    "defence_record": ("defence",),
    "hearing_notice": ("hearing_at", "hearing_place"),
    "hearing_record": ("participants",),
    "collective_discussion": ("participants", "conclusion"),
    "penalty_decision": ("facts", "basis", "decision"),
    "simple_penalty_decision": ("facts", "basis"),
    "payment_demand": ("amount",),
    "court_application": ("decision",),
    "closing_approval": ("result",),
    "compulsion_decision": ("reason", "basis", "items"),
    "suspension_order": ("reason", "basis"),
    "extension_decision": ("reason", "period"),
    "release_decision": ("reason",),
    "licensing_decision": ("decision",),
    "confirmation_decision": ("decision",),
    "benefit_decision": ("decision",),
    "review_opinion": ("opinion",),
}

# Who signs for the other side: the party; on a 笔录 also the person questioned or present when it
# is not the party (a witness questioned, a relative at an examination): 001 第十条.
SIGNERS: dict[str, frozenset[str]] = {
    "interview_record": frozenset({SignerRole.PARTY, SignerRole.OTHER}),
    "examination_record": frozenset({SignerRole.PARTY, SignerRole.OTHER}),
    "hearing_record": frozenset({SignerRole.PARTY, SignerRole.OTHER}),
    "service_receipt": frozenset({SignerRole.PARTY, SignerRole.OTHER}),
}
DEFAULT_SIGNERS = frozenset({SignerRole.PARTY})

# Seed 001: the party signs (第七、八、十条); who refuses, the refusal is recorded with a witness
# (第二十条, 留置送达: 记明拒收事由和日期，由送达人、见证人签名).
REFUSAL_RULE = "《安全生产行政执法全过程记录实施办法》（001）第七条、第十条、第二十条"


def _type(type_code: str) -> InstrumentType:
    try:
        return TYPES[type_code]
    except KeyError:
        raise ValidationError(f"未知的文书种类“{type_code}”。") from None


def instrument_number(agency, kind: InstrumentType, year: int, n: int) -> str:
    return f"{agency.instrument_prefix}{kind.abbr}〔{year}〕{n}号"


def instrument_number_allocate(*, agency, type_code: str, year: int) -> int:
    """The next number for (agency, kind, year). Must run inside the transaction that stores the
    文书: the sequence row stays locked until it commits, and a rollback returns the number."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("文书编号必须在保存文书的同一事务中取得")
    for _attempt in range(3):
        seq = (
            InstrumentSequence.objects.select_for_update()
            .filter(agency=agency, type=type_code, year=year)
            .first()
        )
        if seq is not None:
            break
        try:
            with transaction.atomic():  # savepoint: a concurrent first issue of the year wins the insert
                seq = InstrumentSequence.objects.create(agency=agency, type=type_code, year=year, last=0)
            break
        except IntegrityError:
            continue  # the other transaction committed the row; lock it on the next pass
    else:
        raise RuntimeError(f"无法取得文书编号计数器：{agency} {type_code} {year}")
    seq.last += 1
    seq.save(update_fields=["last"])
    return seq.last


def _check_content(kind: InstrumentType, content) -> dict:
    if not isinstance(content, dict):
        raise ValidationError("文书内容格式不正确。")
    try:
        json.dumps(content, ensure_ascii=False)
    except (TypeError, ValueError):
        raise ValidationError("文书内容只能包含文字、数字、日期字符串和列表。") from None
    labels = dict(kind.fields)
    missing = [
        labels.get(key, key)
        for key in REQUIRED.get(kind.code, ())
        if content.get(key) in (None, [], {}) or (isinstance(content.get(key), str) and not content[key].strip())
    ]
    if missing:
        raise ValidationError(f"《{kind.title}》缺少必填内容：{'、'.join(missing)}。")
    return content


def _filer(user, section):
    """Who files the generated files: the issuer where the vault lets them file for the section,
    otherwise the system on their behalf (a legal reviewer's opinion on another section's case)."""
    if user is not None and can(user, "records.file") and (
        user.section_id == section.pk or user.has_role(Role.LEADER)
    ):
        return user
    return None


def pack_figures(agency, on) -> dict:
    """The pack's scalar rules as plain values for templates: {"penalty_payment_deadline":
    {"value": 15, "text": "15日", "cite": "《…》第…条"}} — so a 文书 quotes the figure the pack sets."""
    from policy.registry import UNIT_LABELS
    from policy.selectors import agency_rules

    when = timezone.localtime(on).date() if isinstance(on, datetime) else on
    figures = {}
    for rule in agency_rules(agency, when):
        if isinstance(rule.value, bool) or not isinstance(rule.value, int | float | str):
            continue
        figures[rule.key.replace(".", "_")] = {
            "value": rule.value,
            "text": f"{rule.value}{UNIT_LABELS.get(rule.unit, '')}",
            "cite": rule.cited("、"),
        }
    return figures


def _context(*, agency, matter, kind, number, year, content, issued_at, acting_user) -> dict:
    """What a template sees: plain values only, never the model objects (a replaced template is
    a file on disk; it must not reach a password hash or a method)."""
    officers = list(matter.officers.all()) if matter is not None else []
    party = matter.party if matter is not None else None
    section = matter.section if matter is not None else acting_user.section
    c = rendering.content_text(content)
    return {
        "agency": {
            "name": agency.name, "short_name": agency.short_name, "uscc": agency.uscc,
            "address": agency.address, "phone": agency.phone,
        },
        "matter": {
            "title": matter.title, "kind": matter.get_kind_display(),
            "procedure": matter.get_procedure_display(), "facts": matter.facts, "legal_basis": matter.legal_basis,
        } if matter is not None else None,
        "party": {
            "name": party.name, "kind": party.get_kind_display(), "id_number": party.id_number,
            "address": party.address, "phone": party.phone,
        } if party is not None else None,
        "section": {"name": section.name} if section is not None else None,
        "code": kind.code,
        "title": kind.title,
        "number": number,
        "year": year,
        "c": c,
        "lists": rendering.content_lists(content),
        "fields": [(label, c.get(key, "")) for key, label in kind.fields],
        "party_signs": kind.party_signs,
        "served": kind.served,
        "officers": "、".join(o.name for o in officers) or acting_user.name,
        "issued_by": {"name": acting_user.name},
        "issued_at": issued_at,
        "rules": pack_figures(agency, issued_at),
        "officer_certificates": _officer_certificates(officers, issued_at),
        **(_case_context(matter, issued_at) if matter is not None else {}),
    }


def _officer_certificates(officers, issued_at) -> str:
    """承办执法人员 with the 执法证 number each held on the day (national formats print them)."""
    from org.models import EnforcementCertificate

    day = timezone.localtime(issued_at).date() if timezone.is_aware(issued_at) else issued_at.date()
    shown = []
    for officer in officers:
        cert = EnforcementCertificate.objects.filter(staff=officer).valid_on(day).order_by("-valid_to").first()
        shown.append(f"{officer.name}（执法证号：{cert.number}）" if cert else officer.name)
    return "、".join(shown)


def hearing_qualifies(matter, rules) -> tuple[bool, list]:
    """Whether the proposal is one for which the party may ask for a hearing (行政处罚法第六十三条), by the pack."""
    from decimal import Decimal

    cites = []
    threshold = rules.get("penalty.hearing_fine_threshold")
    measures = rules.get("penalty.hearing_measures")
    if threshold is not None:
        cites.append(threshold)
        limit = Decimal(str(threshold.value))
        confiscated = (matter.data or {}).get("confiscation_value")
        if (matter.fine_amount or 0) >= limit or (confiscated and Decimal(str(confiscated)) >= limit):
            return True, cites
    if measures is not None:
        cites.append(measures)
        if set(matter.measures or []) & set(measures.value):
            return True, cites
    return False, cites


def _period(rule) -> str:
    from policy.registry import UNIT_LABELS

    return f"{rule.value}{UNIT_LABELS.get(rule.unit, rule.unit)}"


# 笔录 and lists made in the investigation: evidence in the case file (行政处罚法第四十六条).
EVIDENCE_INSTRUMENTS = (
    "inspection_record", "interview_record", "examination_record", "sampling_voucher", "preservation_list",
    "hearing_record", "defence_record",
)


def _case_context(matter, issued_at) -> dict:
    """What the law requires a penalty's 文书 to state, from the case itself and the agency's pack."""
    from policy.selectors import agency_rules

    day = timezone.localtime(issued_at).date() if timezone.is_aware(issued_at) else issued_at.date()
    rules = agency_rules(matter.agency, day)
    # 告知书 (行政处罚法第四十四条、第四十五条、第六十三条、第六十四条): the rights, always, with their periods.
    defence = rules.get("penalty.defence_period")
    when = f"自收到本告知书之日起{_period(defence)}内" if defence else "在本机关作出处罚决定之前"
    rights = (
        f"根据《中华人民共和国行政处罚法》第四十四条、第四十五条的规定，你（单位）有权进行陈述和申辩，"
        f"请{when}向本机关提出；逾期未提出的，视为放弃陈述和申辩的权利。"
    )
    qualifies, cites = hearing_qualifies(matter, rules)
    hearing = rules.get("penalty.hearing_request_period")
    if qualifies and hearing is not None:
        rights += (
            f"拟作出的行政处罚属于应当告知听证权利的情形（{'；'.join(r.summary for r in cites)}），你（单位）有权要求举行听证，"
            f"请在收到本告知书后{_period(hearing)}内提出（{hearing.cited('、')}）；逾期未提出的，视为放弃听证权利。"
        )
    # 决定书: the evidence actually in the case file, by title and kind.
    evidence = []
    papers = list(matter.instruments.filter(type__in=EVIDENCE_INSTRUMENTS).order_by("issued_at", "pk"))
    seen = {pk for i in matter.instruments.all() for pk in (i.docx_id, i.pdf_id) if pk}
    for step in matter.steps.order_by("occurred_at", "pk").prefetch_related("records"):
        for record in step.records.all():
            if record.pk not in seen:
                seen.add(record.pk)
                evidence.append(f"{record.title}（{record.get_kind_display()}，{step.label}）")
    evidence += [f"{i.title}{i.number}（笔录）" for i in papers]
    # how the statement and defence were handled
    handled = []
    for step in matter.steps.filter(transition__in=("record_defence", "hold_hearing", "waive_rights")).order_by("pk"):
        d = step.data or {}
        if step.transition == "record_defence":
            handled.append(f"当事人提出陈述、申辩：{d.get('defence', '')}；本机关复核意见：{d.get('adopted', '')}。")
        elif step.transition == "hold_hearing":
            handled.append(f"本机关依当事人申请举行了听证，当事人的意见：{d.get('defence', '')}。")
        else:
            handled.append(f"当事人书面放弃陈述、申辩和听证的权利（{d.get('statement', '')}）。")
    if not handled and matter.steps.filter(transition="notify").exists():
        handled.append("本机关已告知当事人拟作出的行政处罚及其陈述、申辩和听证的权利，当事人在规定期限内未提出陈述、申辩。")
    rate, cap = rules.get("penalty.late_surcharge_daily_rate"), rules.get("penalty.late_surcharge_cap")
    surcharge = ""
    if rate is not None:
        surcharge = (
            f"到期不缴纳罚款的，本机关将依据《中华人民共和国行政处罚法》第七十二条第一款第（一）项的规定，"
            f"每日按罚款数额的{rate.value}%加处罚款"
            + (f"，加处罚款的数额不超过罚款数额的{cap.value}%" if cap is not None else "")
            + "，并可依法申请人民法院强制执行。"
        )
    payment = rules.get("penalty.payment_deadline")
    agency = matter.agency
    pay_at = "指定银行" + (
        f"（{agency.payment_bank}，账号：{agency.payment_account}）"
        if agency.payment_bank and agency.payment_account else ""
    ) + "或者通过电子支付系统缴纳"
    return {
        "notice_rights": rights,
        "hearing_qualifies": qualifies,
        "evidence": evidence,
        "defence_handling": handled,
        "payment_text": (
            f"罚款限于收到本决定书之日起{_period(payment) if payment else '十五日'}内缴至{pay_at}"
            f"（{payment.cited('、') if payment else '《中华人民共和国行政处罚法》第六十七条'}）。"
        ),
        "surcharge_text": surcharge,
    }


def preview_context(agency, kind: InstrumentType, *, moment: datetime | None = None) -> dict:
    """A template's context filled with sample values (for checking an agency's templates)."""
    content = {key: f"（{label}示例）" for key, label in kind.fields}
    if "amount" in content:
        content["amount"] = "10000"
    c = rendering.content_text(content)
    moment = moment or timezone.now()
    year = timezone.localtime(moment).year
    return {
        "agency": {
            "name": agency.name, "short_name": agency.short_name, "uscc": agency.uscc,
            "address": agency.address, "phone": agency.phone,
        },
        "matter": {"title": "（案由示例）", "kind": "", "procedure": "", "facts": "", "legal_basis": ""},
        "party": {"name": "（当事人示例）", "kind": "法人", "id_number": "（证件号码示例）",
                  "address": "（地址示例）", "phone": ""},
        "section": {"name": "（承办科室示例）"},
        "code": kind.code,
        "title": kind.title,
        "number": instrument_number(agency, kind, year, 1) if kind.numbered else "",
        "year": year,
        "c": c,
        "lists": rendering.content_lists(content),
        "fields": [(label, c.get(key, "")) for key, label in kind.fields],
        "party_signs": kind.party_signs,
        "served": kind.served,
        "officers": "（执法人员示例）",
        "issued_by": {"name": "（制作人示例）"},
        "issued_at": moment,
        "rules": pack_figures(agency, moment),
    }


@transaction.atomic
def instrument_issue(
    *,
    matter=None,
    agency=None,
    type_code: str,
    content: dict,
    step=None,
    acting_user,
    issued_at: datetime | None = None,
    capability: str = "matters.act",
) -> Instrument:
    """Issue one 文书: number it, render DOCX and PDF, store both in the vault, record the event.

    `capability` is the step's own (matters.act, .approve, .decide); the legal-review opinion (seed 000 附件2) is issued
    with "review.conduct". Raises ValidationError (Chinese) or PermissionDenied.
    """
    kind = _type(type_code)
    if capability not in ("matters.act", "matters.approve", "matters.decide", "review.conduct"):
        raise ValidationError(f"不能以“{capability}”权限制作文书。")
    if matter is not None:
        if agency is not None and agency.pk != matter.agency_id:
            raise ValidationError("文书的执法主体与执法事项不一致。")
        agency = matter.agency
    if agency is None:
        raise ValidationError("制作文书须指明执法事项或执法主体。")
    require(acting_user, capability, agency=agency)
    if step is not None and (matter is None or step.matter_id != matter.pk):
        raise ValidationError("文书所属环节不属于该执法事项。")
    content = _check_content(kind, content)
    section = matter.section if matter is not None else getattr(acting_user, "section", None)
    if section is None:
        raise ValidationError("无法确定文书归档的科室：请在执法事项中制作，或由所属科室的人员制作。")
    if kind.numbered and not agency.instrument_prefix:
        raise ValidationError(f"执法主体“{agency.name}”尚未设置文书编号机关代字，不能制作编号文书。")
    issued_at = issued_at or timezone.now()
    year = timezone.localtime(issued_at).year if timezone.is_aware(issued_at) else issued_at.year

    moment = timezone.localtime(issued_at) if timezone.is_aware(issued_at) else issued_at
    # Each file carries an identifier of its own (document properties), so two 文书 never share
    # one vault record even when their text is the same.
    identifier = f"zhifa-instrument-{agency.uscc}-{uuid.uuid4().hex}"
    filer = _filer(acting_user, section)
    officers = list(matter.officers.all()) if matter is not None else [acting_user]

    def render(folder: Path, sequence: int | None) -> dict[str, Path]:
        number = instrument_number(agency, kind, year, sequence) if sequence else ""
        context = _context(
            agency=agency, matter=matter, kind=kind, number=number, year=year,
            content=content, issued_at=issued_at, acting_user=acting_user,
        )
        blocks = rendering.layout(agency, kind.code, context)
        files = {}
        for ext, draw in (("docx", rendering.render_docx), ("pdf", rendering.render_pdf)):
            files[ext] = folder / f"instrument-{sequence or 0}.{ext}"
            draw(blocks, files[ext], title=kind.title, number=number, identifier=identifier, moment=moment)
        return files

    with tempfile.TemporaryDirectory(prefix="zhifa-instrument-") as tmp:
        folder = Path(tmp)
        # Rendering takes most of the time, so it is done before any lock, on the number the
        # counter would give now; the locks (the ledger head, then the counter) are held only to
        # take the number and store the files. When another issue took that number meanwhile,
        # the document is drawn again under the lock, with the number it really gets.
        sequence = None
        if kind.numbered:
            last = (
                InstrumentSequence.objects.filter(agency=agency, type=kind.code, year=year)
                .values_list("last", flat=True)
                .first()
            )
            guess = (last or 0) + 1
            files = render(folder, guess)
            sequence = instrument_number_allocate(agency=agency, type_code=kind.code, year=year)
            if sequence != guess:
                files = render(folder, sequence)
        else:
            files = render(folder, None)
        number = instrument_number(agency, kind, year, sequence) if sequence else ""
        instrument = Instrument.objects.create(
            agency=agency,
            matter=matter,
            step=step,
            type=kind.code,
            title=kind.title,
            year=year if kind.numbered else None,
            sequence=sequence,
            number=number,
            content=content,
            party_signs=kind.party_signs,
            issued_by=acting_user,
            issued_at=issued_at,
        )
        base = f"{kind.title}{number}"
        stored = {
            ext: record_ingest(
                acting_user=filer,
                section=section,
                path=path,
                original_name=f"{base}.{ext}",
                title=f"{base}（{ext.upper()}）",
                kind=RecordKind.DOCUMENT,
                officers=officers,
                party=matter.party if matter is not None else None,
                confidentiality=matter.confidentiality if matter is not None else "normal",
                filed_at=timezone.now(),
            ).version
            for ext, path in files.items()
        }
    instrument.docx = stored["docx"].record
    instrument.pdf = stored["pdf"].record
    instrument.save(update_fields=["docx", "pdf"])
    rendering.run_issued(instrument, identifier=identifier)
    if step is not None:
        step.records.add(instrument.docx, instrument.pdf)
    event_record(
        kind="instrument.issue",
        subject=instrument,
        acting_user=acting_user,
        data={
            "type": kind.code,
            "title": kind.title,
            "number": instrument.number,
            "matter": matter.pk if matter is not None else None,
            "step": step.pk if step is not None else None,
            "docx": stored["docx"].sha256,
            "pdf": stored["pdf"].sha256,
        },
    )
    return instrument


@transaction.atomic
def signature_record(
    *,
    instrument,
    role: str,
    name: str,
    signed_on: date,
    refused: bool = False,
    refusal_reason: str = "",
    witness: str = "",
    scan_path: Path | None = None,
    acting_user,
) -> Signature:
    """Record who signed a 文书, or that they refused (拒绝签名) before a witness."""
    require(acting_user, "matters.act", agency=instrument.agency)
    if role not in SignerRole.values:
        raise ValidationError(f"未知的签名人身份“{role}”。")
    name = (name or "").strip()
    if not name:
        raise ValidationError("请填写签名人姓名。")
    if not isinstance(signed_on, date):
        raise ValidationError("请填写签名日期。")
    if timezone.is_aware(instrument.issued_at) and signed_on < timezone.localtime(instrument.issued_at).date():
        raise ValidationError("签名日期早于文书制作日期。")
    witness = (witness or "").strip()
    refusal_reason = (refusal_reason or "").strip()
    if refused and role not in (SignerRole.PARTY, SignerRole.OTHER):
        raise ValidationError("只有当事人或其他有关人员会拒绝签名；执法人员、见证人应当签名。")
    if refused and (not witness or not refusal_reason):
        raise ValidationError(
            f"当事人拒绝签名的，须记明拒签事由和日期，并由见证人签名（{REFUSAL_RULE}）。"
            "请填写见证人和拒签情况。"
        )
    if refused and witness == name:
        raise ValidationError("见证人不能是拒绝签名的本人。")
    scan = None
    if scan_path is not None:
        section = instrument.matter.section if instrument.matter_id else acting_user.section
        scan = record_ingest(
            acting_user=_filer(acting_user, section),
            section=section,
            path=Path(scan_path),
            original_name=f"{instrument.title}{instrument.number}签名页{Path(scan_path).suffix}",
            title=f"{instrument.title}{instrument.number}签名页",
            officers=list(instrument.matter.officers.all()) if instrument.matter_id else [acting_user],
            party=instrument.matter.party if instrument.matter_id else None,
        ).version.record
    signature = Signature.objects.create(
        instrument=instrument,
        role=role,
        name=name,
        refused=refused,
        refusal_reason=refusal_reason if refused else "",
        witness=witness,
        signed_on=signed_on,
        scan=scan,
        recorded_by=acting_user,
    )
    event_record(
        kind="instrument.sign",
        subject=signature,
        acting_user=acting_user,
        agency=instrument.agency,
        data={
            "instrument": instrument.pk,
            "number": instrument.number,
            "role": role,
            "name": name,
            "refused": refused,
            "refusal_reason": signature.refusal_reason,
            "witness": witness,
            "signed_on": signed_on.isoformat(),
            "scan": scan.pk if scan else None,
        },
    )
    return signature


def instrument_signed(instrument) -> bool:
    """Whether a 文书 the party must sign has the party's signature or a witnessed refusal."""
    if not instrument.party_signs:
        return True
    signers = SIGNERS.get(instrument.type, DEFAULT_SIGNERS)
    return any(
        s.role in signers and (not s.refused or (s.witness and s.refusal_reason))
        for s in instrument.signatures.all()
    )
