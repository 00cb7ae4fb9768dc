"""Writes of the archive: assembling, completing, checking and sealing case files; later volumes;
legal holds; disposal; enterprise information collections and storage carriers. Every service
writes its ledger event in the transaction of its change."""

import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from archive import integrity
from archive.choices import (
    CarrierKind,
    CaseFileState,
    CollectionCategory,
    CustodyAction,
    DisposalState,
    HoldKind,
    ItemSource,
    RemovalState,
)
from archive.models import (
    BlobRemoval,
    Carrier,
    CaseFile,
    CaseFileItem,
    Collection,
    CollectionItem,
    CustodyEntry,
    Disposal,
    DisposalItem,
    Hold,
    IntegrityCheck,
)
from archive.pdf import page_count, render_case_file
from archive.retention import (
    AV_KINDS,
    PERMANENT_LOCK_YEARS,
    Retention,
    case_file_retention,
    lock_date,
    longest,
    record_retain_until,
    retention_for,
    shorter,
    until,
)
from ledger.services import event_record
from org.choices import Role
from org.permissions import require
from policy.calendar import compute_deadline, due_moment
from policy.selectors import agency_rules
from records.blobstore import BlobStoreError
from records.choices import Confidentiality, RecordKind
from records.services import clean_file_name, record_ingest
from records.storage import blob_store

SCAN_FORMATS = (".jpg", ".jpeg", ".png", ".tif", ".tiff")
RETENTION_CHOICES = ("permanent", "30", "10", "5")  # the 档案 tiers, offered only where no pack rule decides
CHOSEN_BASIS = "本单位政策包未规定，由档案管理员按档案管理规定确定"  # the basis of a tier so chosen


# --- assembling --------------------------------------------------------------------------------------------


def _code(agency, year: int) -> str:
    prefix = agency.instrument_prefix or agency.short_name or ""
    taken = CaseFile.objects.filter(agency=agency, volume=1, code__startswith=f"{prefix}档〔{year}〕").count()
    return f"{prefix}档〔{year}〕{taken + 1}号"


def _ordered_sources(matter):
    """(record, version, instrument, step, source, dated, title, number, author) in procedure order:
    step by step, each step's own records, then the 文书 it issued, then what was served with it: the
    party's signed 送达地址确认书 (行政处罚法第六十一条) and the 送达回证 of each service."""
    from matters.models import Instrument, Service

    steps = list(matter.steps.prefetch_related("records__versions", "officers").order_by("acted_at", "pk"))
    instruments = list(Instrument.objects.filter(matter=matter).select_related("pdf").order_by("issued_at", "pk"))
    services = list(
        Service.objects.filter(instrument__matter=matter)
        .select_related("instrument")
        .prefetch_related("records__versions")
        .order_by("recorded_at", "pk")
    )
    addresses = list(
        matter.service_addresses.select_related("scan").prefetch_related("scan__versions").order_by("recorded_at", "pk")
    )

    def step_of(moment):
        # What was registered belongs to the last step already taken: a service recorded with its
        # step is written after the step's row, one registered on its own page (a 送达地址确认书, a
        # later service) after the step it follows. No slack: the next step may follow within
        # the second, and would take it.
        found = None
        for s in steps:
            if s.acted_at <= moment:
                found = s
        return found

    agency_name = matter.agency.name
    # A 文书 is filed as its PDF (its DOCX is the editable copy, not the archival form).
    instrument_files = {pk for inst in instruments for pk in (inst.pdf_id, inst.docx_id) if pk}
    # A confirmation's scan that is also a step's record is filed once, with its step.
    step_records = {record.pk for step in steps for record in step.records.all()}
    out = []
    for order, step in enumerate(steps):
        for record in step.records.all():
            if record.pk in instrument_files:
                continue
            version = record.current_version
            when = version.recorded_start or step.occurred_at
            out.append((order, 0, record, version, None, step, ItemSource.STEP, when, record.title, "", None))
        for inst in instruments:
            if inst.step_id == step.pk and inst.pdf_id:
                version = inst.pdf.versions.order_by("-number").first()
                out.append(
                    (order, 1, inst.pdf, version, inst, step, ItemSource.INSTRUMENT, inst.issued_at, inst.title,
                     inst.number, agency_name)
                )
        for address in addresses:
            if step_of(address.recorded_at) is not step or address.scan_id in step_records:
                continue
            out.append(
                (order, 2, address.scan, address.scan.current_version, None, step, ItemSource.SERVICE,
                 address.signed_on, f"送达地址确认书（{address.recipient}）", "", None)
            )
        for service in services:
            if step_of(service.recorded_at) is not step:
                continue
            for record in service.records.all():
                version = record.current_version
                out.append(
                    (order, 2, record, version, service.instrument, step, ItemSource.SERVICE, service.served_at,
                     f"{service.instrument.title}{record.title and '·' + record.title}", "", None)
                )
    loose = len(steps)
    for address in addresses:
        if step_of(address.recorded_at) is None and address.scan_id not in step_records:
            out.append((loose, 2, address.scan, address.scan.current_version, None, None, ItemSource.SERVICE,
                        address.signed_on, f"送达地址确认书（{address.recipient}）", "", None))
    for inst in instruments:
        if inst.step_id is None and inst.pdf_id:
            version = inst.pdf.versions.order_by("-number").first()
            out.append((loose, 1, inst.pdf, version, inst, None, ItemSource.INSTRUMENT, inst.issued_at, inst.title,
                        inst.number, agency_name))
    out.sort(key=lambda row: (row[0], row[1]))
    return out


def _av_defaults(record, version, step) -> dict:
    if record.kind not in AV_KINDS:
        return {}
    maker = record.created_by.name if record.created_by else "、".join(o.name for o in record.officers.all())
    return {
        "av_section": record.section.name,
        "av_maker": maker[:100],
        "av_made_at": version.recorded_start or version.filed_at,
        "av_proves": (f"{step.label}过程" if step else "")[:300],
    }


def _add_item(case_file, position, record, version, *, source, instrument=None, step=None, dated, title,
              number="", author=None, added_by=None, added_reason="") -> CaseFileItem:
    if version is None:
        raise ValidationError(f"记录《{record.title}》没有已存储的文件，不能归入案卷。")
    when = dated if not isinstance(dated, datetime) else timezone.localtime(dated).date()
    item = CaseFileItem(
        case_file=case_file,
        position=position,
        source=source,
        record=record,
        version=version,
        instrument=instrument,
        step=step,
        number=number or "",
        author=(author or (record.created_by.name if record.created_by else record.section.name))[:100],
        title=(title or record.title)[:200],
        dated=when,
        added_by=added_by,
        added_reason=added_reason,
        **_av_defaults(record, version, step),
    )
    item.pages = page_count(item)
    item.save()
    return item


def _number_pages(case_file) -> None:
    page = 1
    for item in case_file.items.order_by("position"):
        first = page if item.pages else None
        if item.first_page != first:
            CaseFileItem.objects.filter(pk=item.pk).update(first_page=first)
        page += item.pages


@transaction.atomic
def casefile_assemble(*, matter, acting_user=None) -> CaseFile:
    """Gather a closed matter's 文书, records and recordings into volume 1 of its case file, in the
    order of the procedure (000 全过程记录制度第十七条). Runs in the closing step's transaction; once
    assembled it is not assembled again."""
    from org.models import Agency

    existing = CaseFile.objects.filter(matter=matter, volume=1).first()
    if existing is not None:
        return existing
    if matter.closed_at is None:
        raise ValidationError("执法事项尚未办结，不能组卷。")
    Agency.objects.select_for_update().get(pk=matter.agency_id)  # one 档号 sequence per agency
    closed_on = timezone.localtime(matter.closed_at).date()
    filing = matter.steps.filter(transition__in=("approve_filing", "decide_on_spot", "accept")).order_by("pk").first()
    case_file = CaseFile.objects.create(
        agency=matter.agency,
        section=matter.section,
        matter=matter,
        code=_code(matter.agency, closed_on.year),
        title=matter.title[:200],
        cause=(f"{matter.get_kind_display()}：{matter.title}")[:200],
        party_name=matter.party.name if matter.party else "",
        filed_on=timezone.localtime(filing.occurred_at).date() if filing else timezone.localtime(matter.opened_at).date(),
        closed_on=closed_on,
        handlers="、".join(o.name for o in matter.officers.all())[:300],
    )
    seen = set()
    position = 0
    for _o, _k, record, version, inst, step, source, dated, title, number, author in _ordered_sources(matter):
        if record.pk in seen:
            continue
        seen.add(record.pk)
        position += 1
        _add_item(case_file, position, record, version, source=source, instrument=inst, step=step, dated=dated,
                  title=title, number=number, author=author)
    _number_pages(case_file)
    event_record(
        kind="casefile.assemble",
        subject=case_file,
        acting_user=acting_user,
        data={"matter": matter.pk, "code": case_file.code, "items": position},
    )
    return case_file


def _editable(case_file: CaseFile) -> CaseFile:
    case_file = CaseFile.objects.select_for_update().get(pk=case_file.pk)
    if case_file.state != CaseFileState.OPEN:
        raise ValidationError(
            f"案卷 {case_file.code} 已{case_file.get_state_display()}，不能再改动；需要补充的请由档案管理员另立新卷并写明理由。"
        )
    return case_file


def scan_ppi(path: Path) -> int | None:
    """The resolution a scan declares in the image itself (JFIF/EXIF/PNG pHYs), the smaller axis."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            dpi = image.info.get("dpi")
    except (UnidentifiedImageError, OSError) as exc:
        raise ValidationError(f"扫描件无法作为图像打开：{exc}") from exc
    if not dpi:
        return None
    return round(min(float(dpi[0]), float(dpi[1])))


def _check_scan(agency, path: Path, name: str) -> int | None:
    """A scanned page must reach the pack's resolution (000 信息采集存储分析和归档制度第五条)."""
    if Path(name).suffix.lower() not in SCAN_FORMATS:
        return None
    rule = agency_rules(agency).get("records.scan_resolution_min")
    ppi = scan_ppi(path)
    if rule is None:
        return ppi
    if ppi is None:
        raise ValidationError(
            f"扫描件“{name}”未载明分辨率，无法确认达到{rule.value}PPI（{rule.cited('、')}），请按{rule.value}PPI以上重新扫描。"
        )
    if ppi < int(rule.value):
        raise ValidationError(
            f"扫描件“{name}”分辨率为{ppi}PPI，低于{rule.value}PPI（{rule.cited('、')}），未存储，请重新扫描。"
        )
    return ppi


def _store_scan(*, section, path: Path, name: str, title: str):
    """Into the vault as it is (no recompression, 第十一条): the bytes uploaded are the bytes kept."""
    return record_ingest(acting_user=None, section=section, path=path, original_name=name, title=title)


def casefile_add(
    *, acting_user, case_file: CaseFile, path: Path, original_name: str, title: str, reason: str,
    author: str = "", number: str = "", dated=None,
) -> CaseFileItem:
    """The archivist adds what is missing — a paper original scanned in — to an open volume, with why.

    Raises PermissionDenied (not an archivist), ValidationError (sealed file, no reason or title, a
    scan below the pack's resolution, a future date)."""
    require(acting_user, "archive.manage", agency=case_file.agency)
    name = clean_file_name(original_name)
    if not (reason or "").strip():
        raise ValidationError("请写明补充归档的理由（如：纸质原件扫描入卷）。")
    if not (title or "").strip():
        raise ValidationError("请填写题名。")
    for value, label, limit in ((title, "题名", 200), (reason, "补充理由", 300), (author, "责任者", 100),
                                (number, "文号", 60)):
        if len((value or "").strip()) > limit:
            raise ValidationError(f"{label}最多{limit}个字。")
    today = timezone.localdate()
    dated = dated or today
    if dated > today:
        raise ValidationError("文件日期不能晚于今天。")
    if case_file.state != CaseFileState.OPEN:
        _editable(case_file)
    _check_scan(case_file.agency, Path(path), name)
    result = _store_scan(section=case_file.section, path=Path(path), name=name, title=title.strip())
    with transaction.atomic():
        case_file = _editable(case_file)
        record = result.version.record
        if case_file.items.filter(record=record).exists():
            raise ValidationError("该文件已在本卷中。")
        position = (case_file.items.aggregate(m=Max("position"))["m"] or 0) + 1
        item = _add_item(
            case_file, position, record, result.version, source=ItemSource.ADDED, dated=dated, title=title.strip(),
            number=number.strip(), author=author.strip() or case_file.section.name, added_by=acting_user,
            added_reason=reason.strip()[:300],
        )
        _number_pages(case_file)
        event_record(
            kind="casefile.add",
            subject=case_file,
            acting_user=acting_user,
            data={"item": item.pk, "record": record.pk, "sha256": result.version.sha256, "reason": reason.strip()},
        )
    return item


@transaction.atomic
def casefile_item_describe(
    *, acting_user, item: CaseFileItem, av_section: str, av_maker: str, av_made_at: datetime | None, av_proves: str
) -> CaseFileItem:
    """Name an AV item's section, maker, time and what it proves (000 记录信息调阅监督制度第四条)."""
    require(acting_user, "archive.manage", agency=item.case_file.agency)
    _editable(item.case_file)
    if av_made_at and av_made_at > timezone.now():
        raise ValidationError("制作时间不能晚于现在。")
    values = {"av_section": av_section, "av_maker": av_maker, "av_proves": av_proves}
    for field, value in values.items():
        limit = CaseFileItem._meta.get_field(field).max_length
        if len((value or "").strip()) > limit:
            raise ValidationError(f"{CaseFileItem._meta.get_field(field).verbose_name}最多{limit}个字。")
        setattr(item, field, (value or "").strip())
    item.av_made_at = av_made_at
    item.save(update_fields=["av_section", "av_maker", "av_made_at", "av_proves"])
    event_record(kind="casefile.describe", subject=item.case_file, acting_user=acting_user,
                 data={"item": item.pk, **values, "av_made_at": av_made_at.isoformat() if av_made_at else None})
    return item


@transaction.atomic
def casefile_check(*, acting_user, case_file: CaseFile) -> IntegrityCheck:
    """Run the 四性 checks now and keep the report with the file."""
    require(acting_user, "archive.manage", agency=case_file.agency)
    sealed = case_file.state == CaseFileState.SEALED
    findings = integrity.run_checks(case_file, lock_date=lock_date(case_file) if sealed else None)
    return _keep_report(case_file, findings, acting_user)


def _keep_report(case_file, findings, acting_user, *, at_sealing=False) -> IntegrityCheck:
    ok = all(f["ok"] for f in findings)
    report = IntegrityCheck.objects.create(
        case_file=case_file, ok=ok, findings=findings, ran_by=acting_user, ran_at=timezone.now(), at_sealing=at_sealing
    )
    event_record(
        kind="casefile.check",
        subject=case_file,
        acting_user=acting_user,
        data={"report": report.pk, "ok": ok, "failed": [f"{f['aspect']}:{f['item']}" for f in findings if not f["ok"]]},
    )
    return report


def casefile_seal(
    *, acting_user, case_file: CaseFile, major_impact: bool = False, complex_case: bool = False,
    retention: str = "", remarks: str = "",
) -> CaseFile:
    """Seal a volume: 四性 checks must pass; the retention comes from the pack (the longest row the
    case meets); the printed file goes into the vault; the stored objects are locked until the
    retention ends (S3 Object Lock); the archiving deadline is met. A sealed volume never changes.

    Raises PermissionDenied (not an archivist of the agency), ValidationError (already sealed, a
    check fails — naming it, no retention where the pack sets none)."""
    require(acting_user, "archive.manage", agency=case_file.agency)
    if case_file.state != CaseFileState.OPEN:
        raise ValidationError(f"案卷 {case_file.code} 已{case_file.get_state_display()}。")
    if len(remarks or "") > 2000:
        raise ValidationError("备考表说明最多2000字。")
    case_file.major_impact, case_file.complex_case = bool(major_impact), bool(complex_case)
    found = retention_for(case_file)
    if found is not None:
        years, basis = found.years, found.basis
    elif retention in RETENTION_CHOICES:
        years = None if retention == "permanent" else int(retention)
        basis = CHOSEN_BASIS
    else:
        raise ValidationError(
            "本单位政策包未规定案卷保管期限（archive.retention），请选择保管期限：永久、30年、10年或5年。"
        )
    long_term = _long_term_copies(case_file)
    findings = integrity.run_checks(case_file, long_term=long_term)
    if not all(f["ok"] for f in findings):
        raise ValidationError(f"四性检测未通过，不能归档：{integrity.summary(findings)}")
    case_file.retention_years, case_file.retention_permanent = years, years is None
    case_file.retention_basis = basis[:300]
    case_file.retain_until = until(case_file.closed_on, years)
    case_file.remarks = (remarks or "").strip()
    case_file.sealed_by, case_file.sealed_at = acting_user, timezone.now()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"案卷-{case_file.pk}.pdf"
        render_case_file(case_file, out)
        printed = record_ingest(
            acting_user=None, section=case_file.section, path=out, original_name=f"{case_file.code}.pdf",
            title=f"案卷 {case_file.code}", kind=RecordKind.DOCUMENT,
        ).version
    lock = lock_date(case_file)
    store = blob_store()
    digests = sorted(
        {i.version.sha256 for i in case_file.items.select_related("version")} | {printed.sha256} | set(long_term.values())
    )
    for digest in digests:
        store.retain(digest, lock)  # only ever extends: a record in several files keeps the longest
    with transaction.atomic():
        locked = _editable(case_file)
        locked.__dict__.update(
            {k: getattr(case_file, k) for k in (
                "major_impact", "complex_case", "retention_years", "retention_permanent", "retention_basis",
                "retain_until", "remarks", "sealed_by_id", "sealed_at")}
        )
        locked.state = CaseFileState.SEALED
        locked.pdf = printed.record
        locked.save()
        for item in locked.items.filter(pk__in=long_term).select_related("version").order_by("position"):
            item.long_term_sha256 = long_term[item.pk]
            item.long_term_size = store.size(item.long_term_sha256)
            item.save(update_fields=["long_term_sha256", "long_term_size"])
            if item.long_term_sha256 != item.version.sha256:  # a copy: registered on its own, for its proof
                event_record(
                    kind="casefile.pdfa", subject=locked, acting_user=acting_user,
                    data={"position": item.position, "record": item.record_id, "original": item.version.sha256,
                          "sha256": item.long_term_sha256, "size": item.long_term_size, "format": "PDF/A-2b"},
                )
        _keep_report(locked, findings, acting_user, at_sealing=True)
        event_record(
            kind="casefile.seal",
            subject=locked,
            acting_user=acting_user,
            data={
                "code": locked.code,
                "retention": locked.retention_label,
                "basis": locked.retention_basis,
                "retain_until": locked.retain_until.isoformat() if locked.retain_until else None,
                "pdf": printed.sha256,
                "items": [[i.position, i.record_id, i.version.sha256] for i in locked.items.select_related("version")],
                "pdfa": {str(i.position): i.long_term_sha256 for i in locked.items.exclude(long_term_sha256="")},
                "lock_until": lock.isoformat(),
            },
        )
        carriers_follow(case_file=locked, acting_user=acting_user)  # a carrier keeps what it holds as long
    return locked


def _long_term_copies(case_file) -> dict[int, str]:
    """Keep every PDF of the volume in PDF/A-2b: an original the validator passes is its own
    long-term file; any other gets a PDF/A-2b copy made by Ghostscript, stored write-once beside it
    (the original stays). Returns {item pk: digest}.

    Raises ValidationError (a copy cannot be made, naming the item and why)."""
    from archive import pdfa

    store = blob_store()
    out = {}
    for item in case_file.items.select_related("version").order_by("position"):
        if (item.version.format or "").lower() != "pdf":
            continue
        with store.open(item.version.sha256) as stream:
            data = stream.read()
        if not pdfa.check(data):
            out[item.pk] = item.version.sha256
            continue
        with tempfile.TemporaryDirectory() as folder:
            source, copy = Path(folder) / "original.pdf", Path(folder) / "pdfa.pdf"
            source.write_bytes(data)
            try:
                pdfa.convert(source, copy)
            except pdfa.PdfaError as exc:
                raise ValidationError(
                    f"四性检测未通过，不能归档：可用性：第{item.position}件《{item.title}》无法转换为长期保存格式"
                    f" PDF/A-2b（{exc}），请补充可打开的原件后再归档。"
                ) from exc
            out[item.pk] = store.put(copy).sha256
    return out


@transaction.atomic
def casefile_new_volume(*, acting_user, matter, reason: str) -> CaseFile:
    """A later addition to a sealed file is a new volume, with its reason; the sealed ones stay."""
    require(acting_user, "archive.manage", agency=matter.agency)
    if not (reason or "").strip():
        raise ValidationError("另立新卷须写明理由。")
    if len(reason.strip()) > 300:
        raise ValidationError("另立新卷的理由最多300字。")
    first = CaseFile.objects.select_for_update().filter(matter=matter, volume=1).first()
    if first is None:
        raise ValidationError("该执法事项尚未组卷。")
    last = CaseFile.objects.filter(matter=matter).order_by("-volume").first()
    if last.state == CaseFileState.OPEN:
        raise ValidationError(f"第{last.volume}卷尚未归档，请直接在该卷中补充。")
    volume = last.volume + 1
    case_file = CaseFile.objects.create(
        agency=first.agency, section=first.section, matter=matter, volume=volume,
        volume_reason=reason.strip()[:300], code=f"{first.code}-{volume}", title=first.title, cause=first.cause,
        party_name=first.party_name, filed_on=first.filed_on, closed_on=first.closed_on, handlers=first.handlers,
    )
    event_record(kind="casefile.volume", subject=case_file, acting_user=acting_user,
                 data={"matter": matter.pk, "volume": volume, "reason": reason.strip()})
    return case_file


def record_keep_long_term(*, record, basis: str, acting_user) -> list[CaseFile]:
    """A record marked for long-term keeping (003 附件3 第十条, marked in access) is kept 永久: every
    sealed volume holding it takes the retention 永久 (the longest wins; a `casefile.retention`
    event each), and on S3 the Object Lock of the record's objects, and of those volumes', is
    extended. Runs in the marking service's transaction. Returns the volumes changed."""
    basis = (basis or "长期保存")[:300]
    store = blob_store()
    far = compute_deadline(timezone.localdate(), PERMANENT_LOCK_YEARS, "years").due
    for version in record.versions.all():
        store.retain(version.sha256, far)  # only ever extends
    changed = []
    holding = CaseFileItem.objects.filter(record=record).values("case_file_id")
    for case_file in CaseFile.objects.select_for_update().filter(
        pk__in=holding, state=CaseFileState.SEALED, retention_permanent=False
    ).order_by("pk"):
        before = case_file.retention_label
        case_file.retention_years, case_file.retention_permanent = None, True
        case_file.retain_until, case_file.retention_basis = None, basis
        case_file.save(update_fields=["retention_years", "retention_permanent", "retain_until", "retention_basis"])
        lock = lock_date(case_file)
        digests = {i.version.sha256 for i in case_file.items.select_related("version")}
        if case_file.pdf_id:
            digests.add(case_file.pdf.current_version.sha256)
        for digest in sorted(digests):
            store.retain(digest, lock)
        event_record(kind="casefile.retention", subject=case_file, acting_user=acting_user,
                     data={"from": before, "to": "永久", "basis": basis, "record": record.pk,
                           "lock_until": lock.isoformat()})
        carriers_follow(case_file=case_file, acting_user=acting_user)
        changed.append(case_file)
    return changed


def sealed_matters(matters) -> set[int]:
    """Matters whose first volume is sealed: their archiving deadline is met (gates.register_met)."""
    return set(
        CaseFile.objects.filter(matter__in=matters, volume=1)
        .exclude(state=CaseFileState.OPEN)
        .values_list("matter_id", flat=True)
    )


# --- holds and disposal ---------------------------------------------------------------------------------


@transaction.atomic
def hold_place(*, acting_user, agency, kind: str, reference: str, case_file=None, record=None) -> Hold:
    """Keep a case file or record beyond its retention while a 复议, 诉讼, access request or
    complaint is open. Other apps (access) place holds through this service. ValidationError: an
    unknown 事由, no 案号, no subject, another agency's subject, or the same open hold (事由 and 案号) on
    the same subject already."""
    require(acting_user, "archive.hold", agency=agency)
    if kind not in HoldKind.values:
        raise ValidationError(f"未知的保全事由“{kind}”。")
    reference = (reference or "").strip()
    if not reference or len(reference) > 100:
        raise ValidationError("请填写复议、诉讼案号或申请编号（最多100字）。")
    if case_file is None and record is None:
        raise ValidationError("请指明保全的案卷或记录。")
    for subject in (case_file, record):
        if subject is not None and subject.agency_id != agency.pk:
            raise ValidationError("保全的案卷或记录不属于本单位。")
    held = Hold.objects.filter(agency=agency, kind=kind, reference=reference, case_file=case_file, record=record,
                               released_at__isnull=True).first()
    if held is not None:
        what = f"案卷 {case_file.code}" if case_file is not None else f"记录《{record.title}》"
        raise ValidationError(f"{what}已在保全中（{held.get_kind_display()}，{reference}），无需重复登记。")
    hold = Hold.objects.create(
        agency=agency, kind=kind, reference=reference, case_file=case_file, record=record,
        placed_by=acting_user, placed_at=timezone.now(),
    )
    event_record(kind="hold.place", subject=hold, acting_user=acting_user,
                 data={"kind": kind, "reference": reference, "case_file": getattr(case_file, "pk", None),
                       "record": getattr(record, "pk", None)})
    return hold


@transaction.atomic
def hold_release(*, acting_user, hold: Hold, reason: str) -> Hold:
    require(acting_user, "archive.hold", agency=hold.agency)
    hold = Hold.objects.select_for_update().get(pk=hold.pk)
    if hold.released_at:
        raise ValidationError("该保全已解除。")
    if not (reason or "").strip():
        raise ValidationError("解除保全须写明理由（如：复议决定已生效）。")
    if len(reason.strip()) > 300:
        raise ValidationError("解除理由最多300字。")
    hold.released_by, hold.released_at, hold.release_reason = acting_user, timezone.now(), reason.strip()[:300]
    hold.save(update_fields=["released_by", "released_at", "release_reason"])
    event_record(kind="hold.release", subject=hold, acting_user=acting_user, data={"reason": hold.release_reason})
    return hold


def holds_place_for(*, agency, kind: str, reference: str, records, acting_user) -> list[Hold]:
    """Hold what another app's action keeps open (an access request, a 复议 or 诉讼 marked on it):
    every case file (not yet destroyed) that holds one of `records`, and each record in no case file
    yet. Called inside that app's checked service and transaction (so no archive capability is
    asked of its user); one `hold.place` event per hold. Already held under the same kind and
    reference: not held twice."""
    if kind not in HoldKind.values:
        raise ValidationError(f"未知的保全事由“{kind}”。")
    reference = (reference or "").strip()[:100]
    records = [r for r in records if r.agency_id == agency.pk]
    files = list(
        CaseFile.objects.filter(agency=agency, items__record__in=records)
        .exclude(state=CaseFileState.DISPOSED).distinct().order_by("pk")
    )
    filed = set(CaseFileItem.objects.filter(case_file__in=files).values_list("record_id", flat=True))
    open_holds = Hold.objects.filter(agency=agency, kind=kind, reference=reference, released_at__isnull=True)
    held_files = set(open_holds.values_list("case_file_id", flat=True))
    held_records = set(open_holds.values_list("record_id", flat=True))
    now = timezone.now()
    placed = []
    subjects = [(f, None) for f in files if f.pk not in held_files]
    subjects += [(None, r) for r in records if r.pk not in filed and r.pk not in held_records]
    for case_file, record in subjects:
        hold = Hold.objects.create(agency=agency, kind=kind, reference=reference, case_file=case_file, record=record,
                                   placed_by=acting_user, placed_at=now)
        event_record(kind="hold.place", subject=hold, acting_user=acting_user,
                     data={"kind": kind, "reference": reference, "case_file": getattr(case_file, "pk", None),
                           "record": getattr(record, "pk", None)})
        placed.append(hold)
    return placed


def holds_release_for(*, agency, kind: str, reference: str, reason: str, acting_user) -> int:
    """Release the open holds another app placed under `kind` and `reference` (the request closed or
    expired); one `hold.release` event each. Returns how many were released."""
    reason = (reason or "").strip()[:300]
    count = 0
    for hold in Hold.objects.select_for_update().filter(
        agency=agency, kind=kind, reference=(reference or "").strip()[:100], released_at__isnull=True
    ):
        hold.released_by, hold.released_at, hold.release_reason = acting_user, timezone.now(), reason
        hold.save(update_fields=["released_by", "released_at", "release_reason"])
        event_record(kind="hold.release", subject=hold, acting_user=acting_user, data={"reason": reason})
        count += 1
    return count


def disposal_blockers(case_file: CaseFile, today=None) -> list[str]:
    """Why a case file may not be proposed for destruction (empty: it may)."""
    today = today or timezone.localdate()
    reasons = []
    label = f"案卷 {case_file.code}"
    if case_file.state != CaseFileState.SEALED:
        reasons.append(f"{label}{case_file.get_state_display()}，不能列入销毁清册")
        return reasons
    if case_file.retention_permanent:
        reasons.append(f"{label}为永久保管")
    elif case_file.retain_until and case_file.retain_until >= today:
        reasons.append(f"{label}保管期限至{case_file.retain_until:%Y年%m月%d日}，尚未届满")
    records = [i.record for i in case_file.items.select_related("record")]
    holds = Hold.objects.filter(released_at__isnull=True).filter(
        models_q_case_or_records(case_file, records)
    )
    for hold in holds:
        reasons.append(f"{label}处于保全中（{hold.get_kind_display()}，{hold.reference}），解除前不得销毁")
    for record in [] if reasons else records:  # the file's own period first; then what else keeps its records
        kept, permanent = record_retain_until(record)
        if permanent or (kept and kept >= today):
            reasons.append(
                f"{label}中的《{record.title}》还须保存"
                + ("（另一案卷永久保管）" if permanent else f"至{kept:%Y年%m月%d日}（所在其他案卷或音像记录最短保存期限）")
            )
    if Disposal.objects.filter(items__case_file=case_file, state=DisposalState.PROPOSED).exists():
        reasons.append(f"{label}已在待审批的销毁清册中")
    return reasons


def models_q_case_or_records(case_file, records):
    from django.db.models import Q

    return Q(case_file=case_file) | Q(record__in=records)


@transaction.atomic
def disposal_propose(*, acting_user, case_files, reason: str) -> Disposal:
    """The archivist proposes a destruction list after appraisal (档案法实施条例第二十四条). Nothing on
    hold and nothing whose retention has not run can be proposed; the refusal names each reason."""
    require(acting_user, "archive.manage", agency=acting_user.agency)
    case_files = list(case_files)
    if not case_files:
        raise ValidationError("请选择要列入销毁清册的案卷。")
    appraisal = agency_rules(acting_user.agency).get("archive.disposal_appraisal")
    if appraisal is not None and appraisal.value and not (reason or "").strip():
        raise ValidationError(f"请填写鉴定意见（为何不再需要保存）：保管期限届满的档案须经鉴定方可销毁（{appraisal.cited('、')}）。")
    blockers = []
    for case_file in case_files:
        if case_file.agency_id != acting_user.agency_id:
            raise ValidationError("案卷不属于本单位。")
        blockers += disposal_blockers(case_file)
    if blockers:
        raise ValidationError("不能列入销毁清册：" + "；".join(blockers) + "。")
    disposal = Disposal.objects.create(
        agency=acting_user.agency, reason=reason.strip(), proposed_by=acting_user, proposed_at=timezone.now()
    )
    for case_file in case_files:
        DisposalItem.objects.create(
            disposal=disposal,
            case_file=case_file,
            contents=[
                {"record": i.record_id, "title": i.title, "sha256": i.version.sha256, "size": i.version.size}
                for i in case_file.items.select_related("version")
            ],
        )
    event_record(kind="disposal.propose", subject=disposal, acting_user=acting_user,
                 data={"case_files": [c.code for c in case_files], "reason": reason.strip()})
    return disposal


def disposal_decide(*, acting_user, disposal: Disposal, approve: bool, note: str = "") -> Disposal:
    """The leader approves or rejects a destruction list. On approval each file is marked destroyed
    and, once that is committed, the stored bytes of its records are removed from the store
    (`disposal_purge`); their metadata, hashes and ledger events stay (the 销毁清册 records what,
    why, who, when)."""
    disposal = _disposal_decide(acting_user=acting_user, disposal=disposal, approve=approve, note=note)
    if disposal.state == DisposalState.APPROVED:
        disposal_purge(disposal=disposal, acting_user=acting_user)
    return disposal


@transaction.atomic
def _disposal_decide(*, acting_user, disposal: Disposal, approve: bool, note: str = "") -> Disposal:
    require(acting_user, "archive.approve_disposal", agency=disposal.agency)
    disposal = Disposal.objects.select_for_update().get(pk=disposal.pk)
    if disposal.state != DisposalState.PROPOSED:
        raise ValidationError(f"该销毁清册已{disposal.get_state_display()}。")
    if not approve and not (note or "").strip():
        raise ValidationError("不批准销毁须写明理由。")
    if len((note or "").strip()) > 300:
        raise ValidationError("审批意见最多300字。")
    if approve:
        blockers = []
        for item in disposal.items.select_related("case_file"):
            blockers += [b for b in disposal_blockers(item.case_file) if "待审批的销毁清册" not in b]
        if blockers:
            raise ValidationError("不能批准销毁：" + "；".join(blockers) + "。")
        CaseFile.objects.filter(disposal_items__disposal=disposal).update(state=CaseFileState.DISPOSED)
        _plan_removals(disposal)
    disposal.state = DisposalState.APPROVED if approve else DisposalState.REJECTED
    disposal.decided_by, disposal.decided_at, disposal.decision_note = acting_user, timezone.now(), (note or "").strip()[:300]
    disposal.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    event_record(kind="disposal.approve" if approve else "disposal.reject", subject=disposal, acting_user=acting_user,
                 data={"note": disposal.decision_note, "case_files": list(disposal.items.values_list("case_file_id", flat=True))})
    return disposal


def _plan_removals(disposal: Disposal) -> None:
    """One BlobRemoval for each stored file of the listed volumes' records (every version, the PDF/A
    copies, the printed case file) that nothing kept still needs: the store is content-addressed,
    so bytes another record or an undestroyed volume shares stay."""
    from records.models import Record, RecordVersion

    files = CaseFile.objects.filter(disposal_items__disposal=disposal)
    items = CaseFileItem.objects.filter(case_file__in=files)
    record_ids = set(items.values_list("record_id", flat=True)) | set(
        files.exclude(pdf=None).values_list("pdf_id", flat=True)
    )
    wanted = [(v.record_id, v.sha256) for v in RecordVersion.objects.filter(record_id__in=record_ids)]
    wanted += [(i.record_id, i.long_term_sha256) for i in items.exclude(long_term_sha256="")]
    in_collections = set(CollectionItem.objects.filter(record_id__in=record_ids).values_list("record_id", flat=True))
    for record_id, digest in sorted(set(wanted)):
        shared = RecordVersion.objects.filter(sha256=digest).exclude(record_id__in=record_ids).exists() or (
            CaseFileItem.objects.filter(long_term_sha256=digest).exclude(case_file__state=CaseFileState.DISPOSED).exists()
        ) or record_id in in_collections  # the enterprise's own file (一企一档) still keeps it
        if not shared:
            BlobRemoval.objects.get_or_create(disposal=disposal, record=Record(pk=record_id), sha256=digest)


def disposal_purge(*, disposal: Disposal | None = None, acting_user=None) -> dict:
    """Remove from the store the bytes an approved destruction list still waits to remove (all lists
    when `disposal` is None): a file is deleted; an S3 object's versions are deleted once their
    Object Lock has run, and until then the removal waits with the lock date. Each removal is a
    `record.destroy` event on its record in the transaction that marks it. Runs after the approval
    and from `zhifa archive purge`. Returns {"removed": n, "waiting": [(removal, until)],
    "failed": [(removal, message)]} (a store that cannot be reached leaves the removal due)."""
    store = blob_store()
    pending = BlobRemoval.objects.filter(state=RemovalState.WAITING).select_related("disposal", "record")
    if disposal is not None:
        pending = pending.filter(disposal=disposal)
    removed, waiting, failed = 0, [], []
    due = list(pending.order_by("pk"))
    for n, removal in enumerate(due):
        try:
            locked = store.remove(removal.sha256)
        except BlobStoreError as exc:  # the store cannot be reached: these stay due, tried again later
            failed += [(r, str(exc)) for r in due[n:]]
            break
        with transaction.atomic():
            row = BlobRemoval.objects.select_for_update().get(pk=removal.pk)
            if locked is not None:
                if row.locked_until != locked:
                    row.locked_until = locked
                    row.save(update_fields=["locked_until"])
                waiting.append((row, locked))
                continue
            row.state, row.removed_at = RemovalState.REMOVED, timezone.now()
            row.save(update_fields=["state", "removed_at"])
            event_record(
                kind="record.destroy", subject=row.record, acting_user=acting_user,
                data={"sha256": row.sha256, "disposal": row.disposal_id,
                      "register": f"销毁清册第{row.disposal_id}号", "approved_by": row.disposal.decided_by.name,
                      "approved_at": row.disposal.decided_at.isoformat()},
            )
            removed += 1
    return {"removed": removed, "waiting": waiting, "failed": failed}


# --- 一企一档: collections and carriers -----------------------------------------------------------------


def collection_create(
    *, acting_user, party, category: str, subject: str, summary: str, collected_on, files: list[tuple[Path, str]],
    originals_from: str = "", originals_received_at: datetime | None = None,
) -> Collection:
    """Collect an enterprise's information: every file stored as it is, scans checked for resolution
    (第五条), with the collection's 说明 (第七条); originals lent for scanning are due back within the
    pack's period (第九条).

    Raises ValidationError (a missing 说明 item, a scan below the resolution — nothing is stored
    then, a future date, an enterprise of another agency)."""
    require(acting_user, "archive.collect", agency=party.agency)
    if acting_user.section_id is None:
        raise PermissionDenied("您不属于任何科室，不能采集信息；请由承办科室人员采集。")
    if category not in CollectionCategory.values:
        raise ValidationError(f"未知的信息类别“{category}”。")
    subject, summary = (subject or "").strip(), (summary or "").strip()
    missing = [n for n, v in (("事项名称", subject), ("内容概述", summary), ("采集时间", collected_on)) if not v]
    if missing:
        rule = agency_rules(party.agency).get("archive.collection_note_fields")
        cite = f"（{rule.cited('、')}）" if rule else ""
        raise ValidationError(f"信息采集须如实填写{'、'.join(missing)}{cite}。")
    if len(subject) > 200 or len((originals_from or "").strip()) > 200:
        raise ValidationError("事项名称、原始资料提供方各最多200字。")
    now = timezone.now()
    if collected_on > timezone.localdate():
        raise ValidationError("采集时间不能晚于今天。")
    if originals_received_at and originals_received_at > now:
        raise ValidationError("原始资料接收时间不能晚于现在。")
    if not files:
        raise ValidationError("请上传采集的文件。")
    checked = []
    for path, name in files:
        name = clean_file_name(name)
        checked.append((Path(path), name, _check_scan(party.agency, Path(path), name)))
    stored = [
        (_store_scan(section=acting_user.section, path=path, name=name, title=f"{subject}·{Path(name).stem}"), ppi)
        for path, name, ppi in checked
    ]
    due = None
    if originals_from.strip():
        rule = agency_rules(party.agency).get("records.collection_return_deadline")
        start = originals_received_at or now
        if rule is not None:
            due = due_moment(compute_deadline(start, int(rule.value), rule.unit).due)
    with transaction.atomic():
        collection = Collection.objects.create(
            agency=party.agency, section=acting_user.section, party=party, category=category, subject=subject,
            summary=summary, collected_on=collected_on, collected_by=acting_user,
            originals_from=originals_from.strip()[:200], originals_due=due,
        )
        for result, ppi in stored:
            CollectionItem.objects.create(collection=collection, record=result.version.record, ppi=ppi)
        event_record(
            kind="collection.create", subject=collection, acting_user=acting_user,
            data={"party": party.pk, "subject": subject, "files": [[r.version.sha256, ppi] for r, ppi in stored],
                  "originals_due": due.isoformat() if due else None},
        )
    return collection


@transaction.atomic
def collection_return_originals(*, acting_user, collection: Collection, returned_at: datetime) -> Collection:
    require(acting_user, "archive.collect", agency=collection.agency)
    collection = Collection.objects.select_for_update().get(pk=collection.pk)
    if not collection.originals_from:
        raise ValidationError("该次采集没有借用原始资料。")
    if collection.originals_returned_at:
        raise ValidationError("原始资料已登记返还。")
    if returned_at > timezone.now():
        raise ValidationError("返还时间不能晚于现在。")
    if returned_at < collection.created_at - timedelta(days=366) or returned_at.date() < collection.collected_on:
        raise ValidationError("返还时间不能早于采集时间。")
    collection.originals_returned_at = returned_at
    collection.save(update_fields=["originals_returned_at"])
    late = bool(collection.originals_due and returned_at > collection.originals_due)
    event_record(kind="collection.return", subject=collection, acting_user=acting_user,
                 data={"returned_at": returned_at.isoformat(), "late": late})
    return collection


def _period_chosen(text: str) -> Retention | None:
    """The 保管期限 the archivist chose: one of the 档案 tiers (永久, 30年, 10年, 5年; "permanent" or
    the number of years), or None for none chosen."""
    value = (text or "").strip()
    if not value:
        return None
    value = {"永久": "permanent"}.get(value, value.removesuffix("年"))
    if value not in RETENTION_CHOICES:
        shown = text.strip()[:20] + ("…" if len(text.strip()) > 20 else "")
        raise ValidationError(f"保管期限“{shown}”无效：请选择永久、30年、10年或5年。")
    return Retention(None if value == "permanent" else int(value), CHOSEN_BASIS)


def carrier_retention(*, agency, case_files, retention: str = "") -> Retention:
    """A carrier's 保管期限 follows what it carries: the longest of its case files' (a sealed file's
    own; an open one's as the pack's archive.retention gives it so far). The archivist chooses it
    only where the pack sets none, never shorter than a carried file's. Raises ValidationError, with
    the pack's citation where it decides."""
    rule = agency_rules(agency).get("archive.retention")
    carried = longest(case_file_retention(f) for f in case_files)
    chosen = _period_chosen(retention)
    if rule is not None:
        cited = rule.cited("、")
        if not case_files:
            raise ValidationError(
                f"本单位政策包按案件类别规定保管期限（{cited}）：请查找并勾选载体所存的案卷，载体的保管期限取其中最长的。"
            )
        if chosen is not None and chosen.years != carried.years:
            raise ValidationError(
                f"本单位政策包已规定保管期限（{cited}）：载体按所存案卷中最长的保管期限（{carried.label}）保管，"
                "“保管期限”请选“按政策包确定”。"
            )
        return carried
    if chosen is None:
        if carried is not None:
            return carried
        label = agency_rules(agency).get("archive.carrier_label_fields")
        raise ValidationError(
            "载体标签须注明保管期限" + (f"（{label.cited('、')}）" if label else "")
            + "：本单位政策包未规定保管期限（archive.retention），所选案卷也未定保管期限，请选择保管期限：永久、30年、10年或5年。"
        )
    if carried is not None and shorter(chosen, carried):
        raise ValidationError(
            f"保管期限不能短于载体所存案卷中最长的保管期限：{carried.label}（{carried.basis}）。"
        )
    return chosen


def _carrier_retention_set(carrier: Carrier, found: Retention) -> None:
    carrier.retention = found.label
    carrier.retention_years, carrier.retention_permanent = found.years, found.permanent
    carrier.retention_basis = found.basis[: Carrier._meta.get_field("retention_basis").max_length]


@transaction.atomic
def carrier_register(
    *, acting_user, number: str, kind: str, period: str, retention: str = "", party=None,
    confidentiality: str = Confidentiality.NORMAL, contents: str = "", holder: str = "", case_files=(),
) -> Carrier:
    """Register a storage carrier with what its label must say (第十八条); custody starts (第二十条).
    Its 保管期限 follows the case files it carries (carrier_retention). `case_files`: the agency's,
    resolved by the caller through archive.selectors.casefile_for_carrier.

    Raises PermissionDenied, ValidationError (a label field missing or too long, an unknown kind or
    密级, a number already registered, another agency's enterprise or case file, a destroyed case
    file, a 保管期限 invalid, shorter than a carried file's, or chosen where the pack decides)."""
    require(acting_user, "archive.manage", agency=acting_user.agency)
    number, period = (number or "").strip(), (period or "").strip()
    if kind not in CarrierKind.values:
        raise ValidationError(f"未知的载体类型“{kind}”。")
    if confidentiality not in Confidentiality.values:
        raise ValidationError(f"未知密级“{confidentiality}”。")
    missing = [n for n, v in (("编号", number), ("时间", period)) if not v]
    if missing:
        rule = agency_rules(acting_user.agency).get("archive.carrier_label_fields")
        raise ValidationError(f"载体标签须注明{'、'.join(missing)}" + (f"（{rule.cited('、')}）" if rule else "") + "。")
    for value, field in ((number, "number"), (period, "period")):
        limit = Carrier._meta.get_field(field).max_length
        if len(value) > limit:
            raise ValidationError(f"{Carrier._meta.get_field(field).verbose_name}最多{limit}个字。")
    if party is not None and party.agency_id != acting_user.agency_id:
        raise ValidationError("企业不属于本单位。")
    case_files = list({f.pk: f for f in case_files}.values())
    for case_file in case_files:
        if case_file.agency_id != acting_user.agency_id:
            raise ValidationError("案卷不属于本单位。")
        if case_file.state == CaseFileState.DISPOSED:
            raise ValidationError(f"案卷 {case_file.code} 已销毁，不能登记为载体所存的案卷。")
    if Carrier.objects.filter(agency=acting_user.agency, number=number).exists():
        raise ValidationError(f"载体编号“{number}”已登记。")
    found = carrier_retention(agency=acting_user.agency, case_files=case_files, retention=retention)
    now = timezone.now()
    carrier = Carrier(
        agency=acting_user.agency, number=number, kind=kind, party=party, period=period,
        confidentiality=confidentiality, contents=(contents or "").strip(), holder=(holder or acting_user.name)[:100],
        registered_by=acting_user, registered_at=now,
    )
    _carrier_retention_set(carrier, found)
    carrier.save()
    carrier.case_files.set(case_files)
    CustodyEntry.objects.create(carrier=carrier, action=CustodyAction.REGISTER, holder=carrier.holder,
                                occurred_at=now, recorded_by=acting_user, note="登记入库")
    event_record(kind="carrier.register", subject=carrier, acting_user=acting_user,
                 data={"number": number, "kind": kind, "party": getattr(party, "pk", None),
                       "retention": carrier.retention, "basis": carrier.retention_basis,
                       "case_files": [f.pk for f in case_files]})
    return carrier


def carriers_follow(*, case_file: CaseFile, acting_user) -> list[Carrier]:
    """A case file's 保管期限 set or lengthened (sealed, or raised to 永久): each carrier holding it and
    kept for less takes it (the longest wins), a `carrier.retention` event each. Never shortens.
    Runs in the caller's transaction."""
    found = case_file_retention(case_file)
    changed = []
    if found is None:
        return changed
    for carrier in case_file.carriers.select_for_update().order_by("pk"):
        current = Retention(carrier.retention_years, carrier.retention_basis)
        if carrier.retention_permanent or (carrier.retention_years and not shorter(current, found)):
            continue
        before = carrier.retention
        _carrier_retention_set(carrier, found)
        carrier.save(update_fields=["retention", "retention_years", "retention_permanent", "retention_basis"])
        event_record(kind="carrier.retention", subject=carrier, acting_user=acting_user,
                     data={"from": before, "to": carrier.retention, "basis": carrier.retention_basis,
                           "case_file": case_file.pk})
        changed.append(carrier)
    return changed


@transaction.atomic
def carrier_custody(*, acting_user, carrier: Carrier, action: str, holder: str, note: str = "",
                    occurred_at: datetime | None = None) -> CustodyEntry:
    require(acting_user, "archive.manage", agency=carrier.agency)
    if action not in CustodyAction.values or action == CustodyAction.REGISTER:
        raise ValidationError(f"未知的保管事项“{action}”。")
    holder = (holder or "").strip()
    if not holder or len(holder) > 100:
        raise ValidationError("请填写保管人或借用人（最多100字）。")
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now():
        raise ValidationError("时间不能晚于现在。")
    last = carrier.custody.order_by("-occurred_at", "-pk").first()
    if last and occurred_at < last.occurred_at:
        raise ValidationError("时间不能早于上一次保管记录。")
    entry = CustodyEntry.objects.create(carrier=carrier, action=action, holder=holder, note=(note or "").strip()[:300],
                                        occurred_at=occurred_at, recorded_by=acting_user)
    carrier.holder = holder
    carrier.save(update_fields=["holder"])
    event_record(kind="carrier.custody", subject=carrier, acting_user=acting_user,
                 data={"action": action, "holder": holder, "at": occurred_at.isoformat()})
    return entry


# --- fixity ---------------------------------------------------------------------------------------------


def archive_check_all(*, acting_user=None) -> dict:
    """Re-run the 四性 checks over every sealed file (fixity); one summary."""
    if acting_user is not None and not acting_user.has_role(Role.ARCHIVIST):
        raise PermissionDenied("只有档案管理员可以运行四性检测。")
    checked, failed = 0, []
    for case_file in CaseFile.objects.filter(state=CaseFileState.SEALED).select_related("agency").order_by("pk"):
        with transaction.atomic():
            findings = integrity.run_checks(case_file, lock_date=lock_date(case_file))
            report = _keep_report(case_file, findings, acting_user)
        checked += 1
        if not report.ok:
            failed.append((case_file, integrity.summary(findings)))
    return {"checked": checked, "failed": failed}


# --- export ---------------------------------------------------------------------------------------------


def _filing_event(version):
    """The ledger event that registered this stored file (its creation or its correction)."""
    from ledger.models import Event

    for event in Event.objects.filter(
        subject_type="records.record", subject_id=str(version.record_id), kind__in=("record.create", "record.version")
    ).order_by("index"):
        if event.data.get("sha256") == version.sha256:
            return event
    raise ValidationError(f"台账中找不到记录“{version.record.title}”第{version.number}版的登记事件，不能导出。")


def _casefile_events(case_file) -> list[dict]:
    from ledger.models import Event

    return [
        {"index": e.index, "kind": e.kind, "leaf_hash": e.leaf_hash, "data": e.data}
        for e in Event.objects.filter(subject_type="archive.casefile", subject_id=str(case_file.pk)).order_by("index")
    ]


def casefile_export(*, acting_user, case_file: CaseFile, out_dir: Path):
    """Export a sealed volume as an evidence package (utilities.package, the bag format of the
    access exports): every item's stored file with the ledger proof of its filing, each PDF/A copy
    with the proof of its registration at sealing, the printed case file PDF, and a contents list (卷内文件清单.json: cover, items with their hashes, the case file's
    own ledger events) registered in the ledger; all proofs on one freshly signed checkpoint.
    Writes a `casefile.export` event. Returns the package result.

    Raises PermissionDenied (not the agency's archivist), ValidationError (not sealed, a file
    without its filing event, a folder that cannot take the package)."""
    import json

    from ledger.models import Event
    from ledger.selectors import proof_bundle
    from ledger.services import checkpoint_sign
    from utilities.package import PackageItem, package_build

    require(acting_user, "archive.manage", agency=case_file.agency)
    case_file = CaseFile.objects.select_related("agency", "pdf").get(pk=case_file.pk)
    if case_file.state != CaseFileState.SEALED:
        raise ValidationError(
            f"案卷 {case_file.code} {case_file.get_state_display()}，只有已归档的案卷可以导出；请先检测并归档。"
        )
    items = list(case_file.items.select_related("version", "record").order_by("position"))
    file_events = [(item, _filing_event(item.version)) for item in items]
    copies = {
        e.data.get("sha256"): e for e in Event.objects.filter(
            kind="casefile.pdfa", subject_type="archive.casefile", subject_id=str(case_file.pk))
    }
    # the PDF/A copies kept beside the originals, each with the proof of its registration at sealing
    copy_events = [(i, copies[i.long_term_sha256]) for i in items
                   if i.long_term_sha256 and i.long_term_sha256 != i.version.sha256 and i.long_term_sha256 in copies]
    printed = case_file.pdf.current_version if case_file.pdf_id else None
    printed_event = _filing_event(printed) if printed else None
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(f"无法创建导出目录：{exc}") from exc
    n = Event.objects.filter(kind="casefile.export", subject_type="archive.casefile",
                             subject_id=str(case_file.pk)).count() + 1
    label = f"AJ{case_file.closed_on:%Y}-{case_file.pk:04d}-{n}"  # ASCII: the disc's volume label carries it
    contents = {
        "case_file": {
            "code": case_file.code, "volume": case_file.volume, "title": case_file.title, "cause": case_file.cause,
            "party": case_file.party_name, "filed_on": case_file.filed_on.isoformat() if case_file.filed_on else None,
            "closed_on": case_file.closed_on.isoformat(), "handlers": case_file.handlers,
            "retention": case_file.retention_label, "retention_basis": case_file.retention_basis,
            "retain_until": case_file.retain_until.isoformat() if case_file.retain_until else None,
            "sealed_at": case_file.sealed_at.isoformat() if case_file.sealed_at else None,
            "agency": case_file.agency.name,
        },
        "items": [
            {"position": i.position, "number": i.number, "author": i.author, "title": i.title,
             "dated": i.dated.isoformat(), "pages": i.page_label, "sha256": i.version.sha256, "size": i.version.size,
             "ledger_index": e.index, "pdfa_sha256": i.long_term_sha256 or None}
            for i, e in file_events
        ],
        "printed_pdf": {"sha256": printed.sha256, "ledger_index": printed_event.index} if printed else None,
        "ledger_events": _casefile_events(case_file),
    }
    with tempfile.TemporaryDirectory() as folder:
        listing = Path(folder) / "contents.json"
        listing.write_text(json.dumps(contents, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        import hashlib

        with transaction.atomic():
            listing_event = event_record(
                kind="casefile.export_document", subject=case_file, acting_user=acting_user,
                data={"code": case_file.code, "package": label, "name": "卷内文件清单.json",
                      "sha256": hashlib.sha256(listing.read_bytes()).hexdigest()},
            )
        checkpoint_sign()  # one checkpoint covers every proof in the package
        store = blob_store()

        def local_digest(digest, name):
            path = Path(folder) / name
            with store.open(digest) as src, path.open("wb") as dst:
                for chunk in iter(lambda src=src: src.read(1 << 20), b""):
                    dst.write(chunk)
            return path

        def local(version, name):
            return local_digest(version.sha256, name)

        files = []
        for item, event in file_events:
            suffix = Path(item.version.original_name).suffix
            files.append(PackageItem(path=local(item.version, f"i{item.pk}"),
                                     name=f"{item.position:03d}-{item.title}{suffix}", proof=proof_bundle(event)))
        for item, event in copy_events:
            files.append(PackageItem(path=local_digest(item.long_term_sha256, f"a{item.pk}"),
                                     name=f"{item.position:03d}-{item.title}（PDF-A）.pdf", proof=proof_bundle(event)))
        documents = [PackageItem(path=listing, name="卷内文件清单.json", proof=proof_bundle(listing_event))]
        if printed:
            documents.insert(0, PackageItem(path=local(printed, "printed.pdf"), name=f"案卷-{case_file.code}.pdf",
                                            proof=proof_bundle(printed_event)))
        try:
            result = package_build(
                label=label, files=files, documents=documents, out_dir=out_dir,
                title=f"{case_file.agency.name} 案卷 {case_file.code} {case_file.title}",
                organization=case_file.agency.name,
            )
        except (ValueError, OSError) as exc:
            raise ValidationError(f"无法写入案卷导出包：{exc}") from exc
    with transaction.atomic():
        event_record(
            kind="casefile.export", subject=case_file, acting_user=acting_user,
            data={"code": case_file.code, "package": label, "iso_sha256": result.iso_sha256,
                  "iso_size": result.iso_path.stat().st_size, "files": len(files) + len(documents)},
        )
    return result
