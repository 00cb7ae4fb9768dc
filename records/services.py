"""Writes of the records vault. Files go to the write-once blob store first (outside any
transaction: a blob without a record is harmless and is found again by its hash), then the record,
its version, its compliance findings and its ledger event are written in one transaction."""

import itertools
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from ledger.services import event_record
from org.choices import Role
from org.permissions import require
from policy.calendar import compute_deadline, due_moment
from policy.packs import Rule
from policy.selectors import agency_rules
from records.choices import Confidentiality, ExplanationKind, RecordKind, ReturnKind, Source
from records.media import MediaInfo, probe
from records.models import (
    DuplicateDelivery,
    Exemption,
    Explanation,
    FieldReturn,
    Interruption,
    Record,
    RecordVersion,
)
from records.storage import blob_store
from utilities.bounds import TEXT_LONG, text_bounded, text_for_column

_FORBIDDEN_NAME = re.compile(r"[/\\\x00-\x1f\x7f]")
AV_KINDS = (RecordKind.VIDEO, RecordKind.AUDIO, RecordKind.PHOTO)
KIND_FROM_MEDIA = {
    "video": RecordKind.VIDEO,
    "audio": RecordKind.AUDIO,
    "image": RecordKind.PHOTO,
    "document": RecordKind.DOCUMENT,
}


# Kinds no AV rule applies to: the probe does not know every document format (.txt, .wps, a JSON
# export), so either may stand for the other.
_TEXTUAL = (RecordKind.DOCUMENT, RecordKind.OTHER)
_CONTENT_LABELS = {RecordKind.OTHER: "无法识别为录像、录音、照片或文档的文件"}


@dataclass(frozen=True)
class ClockCheck:
    """A device's clock compared with a time that comes neither from the device nor from the dock's
    copy of the file (a dock copies clips hours after they were recorded)."""

    reference: str  # Chinese: what the clip's time was compared with, or why it was not compared
    offset_seconds: float | None = None  # device time minus the reference; None: not checked


NO_CLOCK_REFERENCE = ClockCheck(
    "未核对设备时间：没有独立的参照时间（如执法人员登记的开始记录时间）；"
    "采集站拷贝文件的时间晚于录制，不能作为参照。"
)
NO_EMBEDDED_TIME = ClockCheck("未核对设备时间：文件中没有记录时间。")


@dataclass(frozen=True)
class IngestResult:
    version: RecordVersion
    created: bool  # False when the same file was already in the vault (recognised by its hash)


def clean_file_name(name: str) -> str:
    """The delivered file name, refused when it could not be a plain name. Raises ValidationError."""
    if name is None or not name.strip():
        raise ValidationError("文件名不能为空。")
    if _FORBIDDEN_NAME.search(name):
        raise ValidationError(
            f"文件名“{name.encode('unicode_escape').decode()}”含有路径分隔符或控制字符，请改名后再上传。"
        )
    name = unicodedata.normalize("NFC", name.strip())
    if name in (".", "..") or len(name) > 255:
        raise ValidationError("文件名不合法或过长（最多255个字符）。")
    return name


def _check_file(path: Path, name: str) -> int:
    size = path.stat().st_size
    if size == 0:
        raise ValidationError(f"文件“{name}”是空文件（0字节），未存储。请检查记录设备或导出过程。")
    limit = settings.ZHIFA_MAX_FILE_SIZE
    if size > limit:
        raise ValidationError(
            f"文件“{name}”大小为 {filesizeformat(size)}，超过系统上限 {filesizeformat(limit)}。"
        )
    return size


def _probe(path: Path, name: str):
    """Probe as if the file had its delivered name: an upload waits under a temporary name, and the
    extension steers both FFmpeg's format detection and the container checks."""
    suffix = Path(name).suffix.lower()
    if path.suffix.lower() == suffix or not suffix:
        return probe(path)
    with tempfile.TemporaryDirectory(dir=path.parent) as folder:
        alias = Path(folder) / f"probe{suffix}"
        alias.symlink_to(path.resolve())
        return probe(alias)


def _kind_from_content(declared: str | None, content: str, name: str) -> str:
    """The record's kind is what the probe found in the file; a declared kind must agree with it.

    A mismatch is refused, not stored with a finding: the person filing is there to pick the
    right kind or file, the vault is write-once so a wrong kind could never be put right, and the
    kind decides which rules apply (filing deadline, retention, interruptions). Raises ValidationError.
    """
    if declared is None or declared == content:
        return content
    if declared in _TEXTUAL and content in _TEXTUAL:
        return RecordKind.DOCUMENT
    if declared == RecordKind.DOCUMENT and content == RecordKind.PHOTO:
        return declared  # a photographed or scanned paper document is a 文字记录
    found = _CONTENT_LABELS.get(content, RecordKind(content).label)
    wanted = RecordKind(declared).label
    raise ValidationError(
        f"文件“{name}”的内容经识别是{found}，与所选类型“{wanted}”不符，未存储。"
        f"请改选与内容相符的类型（或不选，由系统按内容确定）；如该文件本应是{wanted}，请检查导出的是否为正确的文件。"
    )


def _finding(code: str, message: str, rule: Rule | None) -> dict:
    return {
        "code": code,
        "message": message,
        "rule": rule.key if rule else None,
        "citation": rule.cited() if rule else None,
    }


def _rule(rules, key: str) -> Rule | None:
    return rules.rules.get(key)


def _seconds(rule: Rule) -> float:
    return float(rule.value) * (60 if rule.unit == "minutes" else 1)


def _day_end(recorded_end: datetime, device, exclude=None) -> datetime:
    """The end of the day's enforcement work: the last recording the device ended that day
    (000 音像记录设备使用管理办法和监督规则第十一条, 执法音像记录管理制度第十四条)."""
    if device is None:
        return recorded_end
    day = timezone.localtime(recorded_end).date()
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    same_day = RecordVersion.objects.filter(
        record__device=device, recorded_end__gte=start, recorded_end__lt=start + timedelta(days=1)
    )
    if exclude is not None:
        same_day = same_day.exclude(pk=exclude.pk)
    latest = same_day.order_by("-recorded_end").values_list("recorded_end", flat=True).first()
    return max(recorded_end, latest) if latest else recorded_end


def _return_for(recorded_end: datetime, officers) -> FieldReturn | None:
    """The officer's recorded return that covers a recording made while away."""
    ids = [o.pk for o in officers if o is not None]
    if not ids:
        return None
    return (
        FieldReturn.objects.filter(officer_id__in=ids, away_from__lte=recorded_end, returned_at__gte=recorded_end)
        .order_by("-returned_at")
        .first()
    )


def _filing_findings(
    rules,
    kind: str,
    recorded_end: datetime | None,
    filed_at: datetime,
    *,
    device=None,
    officers=(),
    exclude=None,
) -> tuple[datetime | None, bool, list[dict]]:
    """The filing deadline of an AV file and whether it was missed (with the article).

    The period runs from where the pack says (`av.ingest_deadline_from`): the recording's end, or the
    end of the day's work. After continuous, remote or out-of-town work it runs from the officer's
    recorded return (`av.ingest_deadline_after_return`), and never past the pack's outer limit
    (`av.ingest_deadline_max`, 余姚 二（二）4（1）: at most 3 working days)."""
    if kind not in AV_KINDS or recorded_end is None:
        return None, False, []
    rule = _rule(rules, "av.ingest_deadline")
    if rule is None:
        return None, False, []
    from_day_end = rules.value("av.ingest_deadline_from", default="recording_end") == "day_end"
    anchor = _day_end(recorded_end, device, exclude) if from_day_end else recorded_end
    deadline = due_moment(compute_deadline(anchor, int(rule.value), rule.unit).due)
    after_return = _rule(rules, "av.ingest_deadline_after_return")
    back = _return_for(recorded_end, officers) if after_return is not None else None
    if back is not None:
        from_return = due_moment(compute_deadline(back.returned_at, int(after_return.value), after_return.unit).due)
        if from_return > deadline:
            rule, anchor, deadline = after_return, back.returned_at, from_return
    findings = []
    late = filed_at > deadline
    if late:
        hours = (filed_at - anchor).total_seconds() / 3600
        since = (
            f"返回单位（{timezone.localtime(anchor):%m月%d日 %H:%M}）"
            if back is not None and anchor == back.returned_at
            else ("当天执法结束" if from_day_end else "记录结束")
        )
        findings.append(
            _finding(
                "late_filing",
                f"{since}后 {hours:.1f} 小时才存储，超过{rule.value}{_unit(rule)}的存储期限，须书面说明原因。",
                rule,
            )
        )
        hard = _rule(rules, "av.ingest_deadline_max")
        if hard is not None and filed_at > due_moment(compute_deadline(anchor, int(hard.value), hard.unit).due):
            findings.append(
                _finding("late_filing_max", f"超过最长存储期限（{hard.value}{_unit(hard)}）。", hard)
            )
    return deadline, late, findings


def field_return_record(
    *,
    acting_user,
    kind: str,
    away_from: datetime,
    returned_at: datetime,
    officer=None,
    place: str = "",
    note: str = "",
) -> FieldReturn:
    """Record that an officer came back to the office after continuous, remote or out-of-town work, so
    that the recordings made while away are due from the return (000 执法音像记录管理制度第十四条;
    003 附件3第六条; 002 二（二）4（1））.

    Raises PermissionDenied unless the user may file records (for another officer: only the section
    chief of that officer); ValidationError for an unknown kind, a time in the future or a return
    before the work began, or text over its length.
    """
    require(acting_user, "records.file", agency=acting_user.agency)
    officer = officer or acting_user
    if officer.agency_id != acting_user.agency_id:
        raise ValidationError("执法人员不属于本单位。")
    if officer.pk != acting_user.pk and not (
        acting_user.has_role(Role.SECTION_CHIEF) and acting_user.section_id == officer.section_id
    ):
        raise PermissionDenied("只能登记本人的返回；为本科室其他执法人员登记须由科室负责人办理。")
    if kind not in ReturnKind.values:
        raise ValidationError(f"请选择情形：{'、'.join(ReturnKind.labels)}。")
    if away_from is None or returned_at is None:
        raise ValidationError("请填写外出执法开始时间和返回单位时间。")
    if returned_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError("返回单位时间不能晚于现在。")
    if away_from >= returned_at:
        raise ValidationError("返回单位时间须晚于外出执法开始时间。")
    place, note = (place or "").strip(), (note or "").strip()
    if len(place) > 200 or len(note) > 300:
        raise ValidationError("执法地点最多200个字，说明最多300个字。")
    with transaction.atomic():
        back = FieldReturn.objects.create(
            agency=acting_user.agency,
            officer=officer,
            kind=kind,
            away_from=away_from,
            returned_at=returned_at,
            place=place,
            note=note,
            recorded_by=acting_user,
        )
        event_record(
            kind="record.field_return",
            subject=back,
            acting_user=acting_user,
            data={
                "officer": officer.pk,
                "kind": kind,
                "away_from": away_from.isoformat(),
                "returned_at": returned_at.isoformat(),
            },
        )
    return back


def _unit(rule: Rule) -> str:
    from policy.registry import UNIT_LABELS

    return UNIT_LABELS.get(rule.unit, "")


def _clock_findings(rules, check: ClockCheck | None) -> list[dict]:
    """A finding when the device clock was off by more than the pack allows, naming the reference."""
    rule = _rule(rules, "equipment.clock_tolerance")
    if rule is None or check is None or check.offset_seconds is None:
        return []
    offset = check.offset_seconds
    if abs(offset) <= _seconds(rule):
        return []
    direction = "快" if offset > 0 else "慢"
    finding = _finding(
        "clock",
        f"设备时间比{check.reference}{direction} {abs(offset):.0f} 秒，设备时间可能未按要求校准。",
        rule,
    )
    finding["reference"] = check.reference
    return [finding]


def clock_checks_from_session_start(
    *, agency, session_start: datetime, clips: dict, now: datetime | None = None
) -> dict:
    """The officer's recorded start of a recording session as the reference for a device's clock.

    `clips` maps any key to the (recorded_start, recorded_end) embedded in each clip. The session is
    the run of clips, each starting within the pack's av.session_break of the previous one's end,
    whose first clip starts nearest the recorded start; its first clip's start minus the recorded
    start is the device's offset, for every clip of the run. Other clips are not checked (they
    belong to another activity). Raises ValidationError for a start in the future.
    """
    if timezone.is_naive(session_start):
        raise ValidationError("登记的开始记录时间须带时区。")
    if session_start > (now or timezone.now()):
        raise ValidationError(
            f"登记的开始记录时间 {timezone.localtime(session_start):%Y-%m-%d %H:%M:%S} 晚于现在，请核对后重新输入。"
        )
    rules = agency_rules(agency)
    session = _rule(rules, "av.session_break")
    window = timedelta(seconds=_seconds(session)) if session is not None else timedelta(0)
    timed = sorted(
        ((span[0], span[1] or span[0], key) for key, span in clips.items() if span[0]), key=lambda c: c[0]
    )
    runs: list[list] = []
    for clip in timed:
        if runs and session is not None and clip[0] - runs[-1][-1][1] <= window:
            runs[-1].append(clip)
        else:
            runs.append([clip])
    checks = {key: NO_EMBEDDED_TIME for key, span in clips.items() if not span[0]}
    if not runs:
        return checks
    chosen = min(runs, key=lambda run: abs((run[0][0] - session_start).total_seconds()))
    shown = timezone.localtime(session_start).strftime("%Y-%m-%d %H:%M:%S")
    reference = f"执法人员登记的开始记录时间（{shown}，与本次执法活动第一段录像的开始时间相比）"
    offset = (chosen[0][0] - session_start).total_seconds()
    for run in runs:
        for _start, _end, key in run:
            checks[key] = (
                ClockCheck(reference, offset)
                if run is chosen
                else ClockCheck(
                    f"未核对设备时间：该片段不属于执法人员登记的开始记录时间（{shown}）所在的执法活动。"
                )
            )
    return checks


def recorded_span(path: Path, name: str) -> tuple[datetime | None, datetime | None]:
    """The recorded start and end embedded in a file (see records.media.probe)."""
    info = _probe(Path(path), name)
    return info.recorded_start, info.recorded_end


def file_probe(path: Path, name: str) -> MediaInfo:
    """What the file at `path` is (records.media.probe), read as if it had its delivered `name`:
    for a caller that probes ahead of record_ingest and hands the result over as `media`.
    Raises OSError only for an I/O error on the file."""
    return _probe(Path(path), name)


def _retain_until(rules, kind: str, when: datetime) -> date | None:
    rule = _rule(rules, "av.retention_min")
    if rule is None or kind not in AV_KINDS:
        return None
    return compute_deadline(when.date(), int(rule.value), rule.unit).due


def _can_file(user, section) -> None:
    require(user, "records.file", agency=section.agency)
    if user is not None and user.section_id != section.pk and not user.has_role(Role.LEADER):
        raise PermissionDenied("只能为本科室登记执法记录。")


def record_ingest(
    *,
    acting_user=None,
    section,
    path: Path,
    original_name: str,
    source: str = Source.UPLOAD,
    title: str = "",
    kind: str | None = None,
    device=None,
    officers=(),
    party=None,
    confidentiality: str = Confidentiality.NORMAL,
    dock_time: datetime | None = None,
    clock_check: ClockCheck | None = None,
    filed_at: datetime | None = None,
    progress=None,
    media: MediaInfo | None = None,
) -> IngestResult:
    """Store a delivered file as a new record (version 1), or recognise it as already stored.

    Unreadable media is stored all the same (it is evidence) and flagged. Raises ValidationError
    for an empty file, a file over the size limit, a bad file name, an unknown kind or one the content
    contradicts (the kind is taken from the content, see _kind_from_content); PermissionDenied
    when the user may not file records for the section.

    `dock_time` is when the dock wrote the file: kept, never taken for the device's clock. The clock
    is judged only against `clock_check`, an independent reference (a dock import without one says
    so). The same content delivered again under another name is kept as a DuplicateDelivery.

    `media`: what file_probe(path, original_name) found, when the caller probed this same file
    ahead (the dock import probes the next file while this one is stored); probed here otherwise.
    """
    if source == Source.DOCK:
        require(acting_user, "records.ingest_dock", agency=section.agency)
    else:
        _can_file(acting_user, section)
    name = clean_file_name(original_name)
    title = text_for_column(title, label="记录名称", model=Record, field="title")  # before any byte is stored
    path = Path(path)
    _check_file(path, name)
    if kind is not None and kind not in RecordKind.values:
        raise ValidationError(f"未知记录类型“{kind}”。")
    if confidentiality not in Confidentiality.values:
        raise ValidationError(f"未知密级“{confidentiality}”。")
    if device is not None and device.agency_id != section.agency_id:
        raise ValidationError("记录设备不属于本单位。")
    filed_at = filed_at or timezone.now()
    info = media if media is not None else _probe(path, name)
    kind = _kind_from_content(kind, KIND_FROM_MEDIA.get(info.kind, RecordKind.OTHER), name)
    rules = agency_rules(section.agency, timezone.localdate(filed_at))
    recorded_end = info.recorded_end or (dock_time if kind in AV_KINDS else None)
    blob = blob_store().put(
        path, retain_until=_retain_until(rules, kind, recorded_end or filed_at), progress=progress
    )
    with transaction.atomic():
        existing = (
            RecordVersion.objects.select_related("record")
            .filter(sha256=blob.sha256, record__agency=section.agency)
            .order_by("id")
            .first()
        )
        if existing is not None:
            if acting_user is not None and not _may_read(acting_user, existing.record):
                raise ValidationError(
                    "该文件已作为本单位其他科室的执法记录存储，未重复存储；如需查阅，请申请调阅。"
                )
            _duplicate_record(
                existing,
                name=name,
                source=source,
                device=device,
                dock_time=dock_time,
                acting_user=acting_user,
                delivered_at=filed_at,
            )
            return IngestResult(existing, created=False)
        if clock_check is None and source == Source.DOCK:
            clock_check = NO_CLOCK_REFERENCE
        if clock_check is not None and info.recorded_start is None:
            clock_check = NO_EMBEDDED_TIME
        deadline, late, findings = _filing_findings(
            rules, kind, recorded_end, filed_at, device=device, officers=_present(acting_user, officers, device)
        )
        findings += _clock_findings(rules, clock_check)
        if not info.readable:
            findings.append(
                _finding(
                    "unreadable",
                    info.problem or "文件无法作为音视频读取，已按原样存储。",
                    _rule(rules, "av.complete_and_playable"),
                )
            )
        record = Record.objects.create(
            agency=section.agency,
            section=section,
            kind=kind,
            title=title or Path(name).stem[: Record._meta.get_field("title").max_length],
            party=party,
            device=device,
            confidentiality=confidentiality,
            created_by=acting_user,
        )
        if officers:
            record.officers.set(officers)
        version = RecordVersion.objects.create(
            record=record,
            number=1,
            sha256=blob.sha256,
            size=blob.size,
            original_name=name,
            format=(Path(name).suffix.lstrip(".").lower() or (info.container or ""))[:20],
            media=info.as_dict(),
            readable=info.readable,
            problem=(info.problem or "")[:300],
            recorded_start=info.recorded_start,
            recorded_end=info.recorded_end,
            time_source=info.time_source or "",
            dock_time=dock_time,
            clock_reference=clock_check.reference[:200] if clock_check else "",
            clock_offset=clock_check.offset_seconds if clock_check else None,
            source=source,
            filed_by=acting_user,
            filed_at=filed_at,
            stored_at=timezone.now(),
            filing_deadline=deadline,
            late=late,
            findings=findings,
        )
        event_record(
            kind="record.create",
            subject=record,
            acting_user=acting_user,
            data={
                "version": 1,
                "sha256": blob.sha256,
                "size": blob.size,
                "name": name,
                "kind": kind,
                "section": section.name,
                "device": device.serial if device else None,
                "recorded_start": _iso(info.recorded_start),
                "recorded_end": _iso(info.recorded_end),
                "source": source,
                "findings": [f["code"] for f in findings],
                "clock_offset": clock_check.offset_seconds if clock_check else None,
            },
        )
        if device is not None and version.recorded_start is not None:
            interruptions_detect(device=device, rules=rules, around=version)
    return IngestResult(version, created=True)


def _duplicate_record(existing: RecordVersion, *, name, source, device, dock_time, acting_user, delivered_at):
    """Keep the other name under which stored content arrived again (once per name and source)."""
    if name == existing.original_name:
        return
    _duplicate, created = DuplicateDelivery.objects.get_or_create(
        version=existing,
        name=name,
        source=source,
        defaults={
            "device": device,
            "dock_time": dock_time,
            "delivered_by": acting_user,
            "delivered_at": delivered_at,
        },
    )
    if created:
        event_record(
            kind="record.duplicate",
            subject=existing.record,
            acting_user=acting_user,
            data={
                "version": existing.number,
                "name": name,
                "source": source,
                "device": device.serial if device else None,
                "sha256": existing.sha256,
            },
        )


def _correction_clock_check(current: RecordVersion, info) -> ClockCheck | None:
    """A corrected file is checked against the reference the version it replaces was checked
    against (the officer's recorded start): the same session, so the same reference time."""
    if current.clock_offset is None or current.recorded_start is None:
        return None
    if info.recorded_start is None:
        return NO_EMBEDDED_TIME
    reference_time = current.recorded_start - timedelta(seconds=current.clock_offset)
    return ClockCheck(current.clock_reference, (info.recorded_start - reference_time).total_seconds())


def _present(acting_user, officers, device) -> list:
    """Who made a recording, for matching a recorded return: its officers, its filer, the device's holder."""
    people = [*officers, acting_user, getattr(device, "holder", None)]
    return list({p.pk: p for p in people if p is not None}.values())


def _may_read(user, record) -> bool:
    from records.selectors import _visible

    return Record.objects.filter(_visible(user), pk=record.pk).exists()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def interruptions_detect(*, device, rules, around: RecordVersion) -> list[Interruption]:
    """Gaps between `around` and its neighbouring clips of the same device that are longer than the
    tolerance but short enough to be the same activity (000 执法音像记录管理制度第十条)."""
    tolerance, session = _rule(rules, "av.interruption_tolerance"), _rule(rules, "av.session_break")
    if tolerance is None or session is None:
        return []
    clips = RecordVersion.objects.filter(
        record__device=device,
        recorded_start__isnull=False,
        recorded_end__isnull=False,
        superseded_by__isnull=True,
    )
    inside = (
        Interruption.objects.filter(
            device=device,
            cleared_by__isnull=True,
            before__recorded_end__lte=around.recorded_start,
            after__recorded_start__gte=around.recorded_end,
        )
        .exclude(before=around)
        .exclude(after=around)
    )
    for stale in inside:
        # The clip lies inside the gap: the two clips it separated were not consecutive.
        stale.cleared_by = around
        stale.save(update_fields=["cleared_by"])
        event_record(
            kind="record.interruption_cleared",
            subject=stale,
            agency=device.agency,
            data={"device": device.serial, "cleared_by": around.pk},
        )
    window = timedelta(seconds=_seconds(session))
    neighbours = list(
        clips.filter(
            recorded_start__lte=around.recorded_end + window, recorded_end__gte=around.recorded_start - window
        ).order_by("recorded_start")
    )
    found = []
    for before, after in itertools.pairwise(neighbours):
        gap = (after.recorded_start - before.recorded_end).total_seconds()
        if _seconds(tolerance) < gap <= _seconds(session) and around.pk in (before.pk, after.pk):
            interruption, created = Interruption.objects.get_or_create(
                before=before,
                after=after,
                defaults={
                    "device": device,
                    "gap_seconds": gap,
                    "rule": tolerance.key,
                    "citation": tolerance.cited()[:300],
                },
            )
            if created:
                event_record(
                    kind="record.interruption",
                    subject=interruption,
                    agency=device.agency,
                    data={
                        "device": device.serial,
                        "gap_seconds": gap,
                        "before": before.pk,
                        "after": after.pk,
                        "rule": tolerance.key,
                        "citation": tolerance.cited(),
                    },
                )
                found.append(interruption)
    return found


@transaction.atomic
def record_correct(
    *, acting_user, record: Record, path: Path, original_name: str, reason: str
) -> RecordVersion:
    """Add a corrected version that supersedes the current one; the old version stays readable.

    Raises ValidationError without a reason, for the same content as the current version, or for
    content of another kind than the record's.
    """
    _can_file(acting_user, record.section)
    reason = text_bounded(reason, label="更正理由", max_length=TEXT_LONG)
    if not reason:
        raise ValidationError("更正须写明理由。")
    name = clean_file_name(original_name)
    _check_file(Path(path), name)
    current = (
        record.versions.select_for_update(of=("self",))
        .filter(superseded_by__isnull=True)
        .order_by("-number")
        .first()
    )
    info = _probe(Path(path), name)
    _kind_from_content(record.kind, KIND_FROM_MEDIA.get(info.kind, RecordKind.OTHER), name)
    blob = blob_store().put(Path(path))
    if blob.sha256 == current.sha256:
        raise ValidationError("更正版本与当前版本内容相同，无需更正。")
    now = timezone.now()
    # A corrected recording is checked as the first was: filing time, device clock, interruptions.
    rules = agency_rules(record.agency, timezone.localdate(now))
    device = record.device
    recorded_end = info.recorded_end
    deadline, late, findings = _filing_findings(
        rules,
        record.kind,
        recorded_end,
        now,
        device=device,
        officers=_present(acting_user, list(record.officers.all()), device),
        exclude=current,
    )
    findings += _clock_findings(rules, _correction_clock_check(current, info))
    if not info.readable:
        findings.append(
            _finding(
                "unreadable",
                info.problem or "文件无法作为音视频读取，已按原样存储。",
                _rule(rules, "av.complete_and_playable"),
            )
        )
    version = RecordVersion.objects.create(
        record=record,
        number=current.number + 1,
        supersedes=current,
        reason=reason.strip(),
        sha256=blob.sha256,
        size=blob.size,
        original_name=name,
        format=Path(name).suffix.lstrip(".").lower()[:20],
        media=info.as_dict(),
        readable=info.readable,
        problem=(info.problem or "")[:300],
        recorded_start=info.recorded_start,
        recorded_end=info.recorded_end,
        time_source=info.time_source or "",
        source=Source.UPLOAD,
        filed_by=acting_user,
        filed_at=now,
        stored_at=now,
        filing_deadline=deadline,
        late=late,
        findings=findings,
    )
    if device is not None and version.recorded_start is not None:
        interruptions_detect(device=device, rules=rules, around=version)
    event_record(
        kind="record.version",
        subject=record,
        acting_user=acting_user,
        data={
            "version": version.number,
            "supersedes": current.number,
            "sha256": blob.sha256,
            "size": blob.size,
            "name": name,
            "reason": reason.strip(),
            "findings": [f["code"] for f in findings],
        },
    )
    return version


@transaction.atomic
def explanation_add(
    *,
    acting_user,
    text: str,
    version: RecordVersion | None = None,
    interruption: Interruption | None = None,
    kind: str,
) -> Explanation:
    """A written explanation for a late file, an interruption or a clock offset. Raises ValidationError."""
    if version is None and interruption is None:
        raise ValidationError("请说明针对的是哪个记录版本或哪次中断。")
    target_record = version.record if version else interruption.before.record
    require(acting_user, "records.file", agency=target_record.agency)
    from records.selectors import record_for

    record_for(viewer=acting_user, pk=target_record.pk)
    if kind not in ExplanationKind.values:
        raise ValidationError(f"未知说明类型“{kind}”。")
    text = text_bounded(text, label="说明", max_length=TEXT_LONG)
    if len(text) < 5:
        raise ValidationError("请写明具体原因（不少于5个字）。")
    explanation = Explanation.objects.create(
        kind=kind, version=version, interruption=interruption, text=text.strip(), written_by=acting_user
    )
    event_record(
        kind="record.explanation",
        subject=target_record,
        acting_user=acting_user,
        data={
            "explanation": explanation.pk,
            "kind": kind,
            "version": version.number if version else None,
            "interruption": interruption.pk if interruption else None,
        },
    )
    return explanation


@transaction.atomic
def exemption_record(
    *, acting_user, reason: str, details: str, occurred_at: datetime, place: str = "", party=None
) -> Exemption:
    """Record that a step was not filmed, with one of the pack's reasons, reported to the section chief.

    Raises ValidationError: a reason the pack does not list, no details, no chief to report to.
    """
    require(acting_user, "records.file", agency=acting_user.agency)
    rules = agency_rules(acting_user.agency)
    reasons = rules.value("av.exemption_reasons", default=[])
    if reason not in reasons:
        raise ValidationError("请选择政策包列明的不适宜音像记录情形：" + "；".join(reasons))
    details = text_bounded(details, label="具体原因和依据", max_length=TEXT_LONG)
    place = text_for_column(place, label="地点", model=Exemption, field="place")
    if not details:
        raise ValidationError("请写明无法音像记录的具体原因和依据。")
    report_role = rules.value("av.exemption_report_to", default=Role.SECTION_CHIEF)
    chief = (
        acting_user.section.staff.filter(role_assignments__role=report_role, is_active=True)
        .exclude(pk=acting_user.pk)
        .first()
        if acting_user.section
        else None
    ) or acting_user.agency.staff.filter(role_assignments__role=Role.LEADER, is_active=True).first()
    if chief is None:
        raise ValidationError("本科室没有可报告的负责人，请联系系统管理员设置科室负责人。")
    exemption = Exemption.objects.create(
        agency=acting_user.agency,
        section=acting_user.section,
        reason=reason,
        details=details,
        occurred_at=occurred_at,
        place=place,
        party=party,
        reported_to=chief,
        created_by=acting_user,
    )
    event_record(
        kind="record.exemption",
        subject=exemption,
        acting_user=acting_user,
        data={"reason": reason, "reported_to": chief.pk},
    )
    return exemption


@transaction.atomic
def exemption_acknowledge(*, acting_user, exemption: Exemption) -> Exemption:
    """The person the exemption was reported to confirms they know of it. Raises PermissionDenied
    for anyone else, ValidationError when already acknowledged."""
    if acting_user is None or exemption.reported_to_id != acting_user.pk:
        raise PermissionDenied("只有被报告的负责人可以确认知悉。")
    if exemption.acknowledged_at:
        raise ValidationError(f"已于{timezone.localtime(exemption.acknowledged_at):%Y-%m-%d %H:%M}确认知悉。")
    exemption.acknowledged_at = timezone.now()
    exemption.save(update_fields=["acknowledged_at"])
    event_record(
        kind="record.exemption_acknowledged",
        subject=exemption,
        acting_user=acting_user,
        data={"exemption": exemption.pk},
    )
    return exemption
