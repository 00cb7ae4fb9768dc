"""The compliance scan's checks: each applies one pack rule to the facts after the fact.

A check yields `Fact`s for what breaks its rule now; the scan opens a finding for a new fact and
closes the findings whose facts are gone. The article comes from the rule's citation in the
agency's pack; a pack that does not set the rule is not checked for it. Every query walks its
table in primary-key chunks, so memory does not grow with the number of matters.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from supervision.choices import Check

CHUNK = 500


@dataclass(frozen=True)
class Fact:
    kind: str
    subject: str
    rule_key: str
    message: str
    remedy: str
    matter_id: int | None = None
    section_id: int | None = None
    officer_id: int | None = None


def chunked(qs, size: int = CHUNK) -> Iterator[list]:
    """The rows of `qs` in primary-key order, `size` at a time (keyset paging, no OFFSET)."""
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last).order_by("pk")[:size])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def matters_with_deadlines(agency) -> Iterator[list]:
    """The agency's matters that have tracked deadlines, a chunk at a time (found through the
    deadlines, so matters without one cost nothing)."""
    from django.contrib.contenttypes.models import ContentType

    from matters.models import Matter
    from policy.models import Deadline

    ct = ContentType.objects.get_for_model(Matter)
    for deadlines in chunked(Deadline.objects.filter(agency=agency, subject_type=ct).only("pk", "subject_id")):
        ids = {int(d.subject_id) for d in deadlines if d.subject_id.isdigit()}
        yield list(Matter.objects.filter(pk__in=ids).select_related("agency").prefetch_related("officers"))


def _first_officer(matter) -> int | None:
    officers = sorted(o.pk for o in matter.officers.all())
    return officers[0] if officers else matter.opened_by_id


def deadlines(agency, rules, now: datetime) -> Iterator[Fact]:
    """Tracked statutory deadlines (decision, service, payment, archiving…) past due and not met."""
    from matters.selectors import _rows

    for matters in matters_with_deadlines(agency):
        for row in _rows(matters):
            if row.task and not row.met and row.due < now and row.rule_key in rules:
                m = row.matter
                yield Fact(
                    Check.DEADLINE,
                    f"matters.matter:{m.pk}:{row.rule_key}",
                    row.rule_key,
                    f"{m.title}：{row.label}已于{row.due:%Y-%m-%d %H:%M}届满，尚未办结。",
                    f"尽快办理“{row.label}”，并书面说明逾期原因。",
                    m.pk,
                    m.section_id,
                    _first_officer(m),
                )


def av_missing(agency, rules, now: datetime) -> Iterator[Fact]:
    """Steps on the pack's recording list (always recorded) with no linked record and no exemption."""
    from matters.models import Step

    rule = rules.get("av.required_steps")
    if rule is None:
        return
    pairs = {(r["matter_kind"], r["step"]): r for r in rule.value
             if r.get("when", "always") == "always" and not r.get("service_methods")}
    if not pairs:
        return
    wanted = Q()
    for kind, step in pairs:
        wanted |= Q(matter__kind=kind, transition=step)
    linked = Step.records.through.objects.filter(step_id=OuterRef("pk"))
    qs = (
        Step.objects.filter(wanted, matter__agency=agency, exemption__isnull=True)
        .exclude(Exists(linked))
        .select_related("matter")
    )
    for steps in chunked(qs):
        for step in steps:
            row = pairs[(step.matter.kind, step.transition)]
            where = row.get("row", row["item"])
            yield Fact(
                Check.AV_MISSING,
                f"matters.step:{step.pk}",
                rule.key,
                f"{step.matter.title}：“{step.label}”属于音像记录事项（{where}），但没有关联音像记录，也没有不适宜音像记录的说明。",
                "关联该环节的音像记录；确实未能记录的，登记不适宜音像记录的情形并报告科室负责人。",
                step.matter_id,
                step.matter.section_id,
                step.acted_by_id,
            )


# What puts right each problem found when a file was stored (records' own findings).
_RECORD_REMEDY = {
    "late_filing": ("late_filing", "由存储人补写逾期存储的书面说明。"),
    "late_filing_max": ("late_filing", "由存储人补写逾期存储的书面说明。"),
    "clock": ("clock", "补写设备时间偏差的书面说明，并按要求校准设备时间。"),
    "unreadable": (None, "提交可正常读取的更正版本（原文件保留）。"),
}


def records(agency, rules, now: datetime) -> Iterator[Fact]:
    """Files stored late, with an uncalibrated clock or unreadable, not yet explained or corrected."""
    from matters.models import Step
    from records.models import Explanation, RecordVersion

    qs = RecordVersion.objects.filter(record__agency=agency).exclude(findings=[]).select_related("record")
    for versions in chunked(qs):
        ids = [v.pk for v in versions]
        explained = set(Explanation.objects.filter(version_id__in=ids).values_list("version_id", "kind"))
        corrected = set(RecordVersion.objects.filter(supersedes_id__in=ids).values_list("supersedes_id", flat=True))
        matter_of = dict(
            Step.records.through.objects.filter(record_id__in={v.record_id for v in versions})
            .values_list("record_id", "step__matter_id")
        )
        for v in versions:
            for item in v.findings:
                code = item.get("code")
                key = item.get("rule")
                if code not in _RECORD_REMEDY or not key or key not in rules:
                    continue
                needs, remedy = _RECORD_REMEDY[code]
                if (needs and (v.pk, needs) in explained) or (needs is None and v.pk in corrected):
                    continue
                yield Fact(
                    Check.RECORD,
                    f"records.recordversion:{v.pk}:{code}",
                    key,
                    f"{v.record.title}（第{v.number}版）：{item.get('message', '')}"[:500],
                    remedy,
                    matter_of.get(v.record_id),
                    v.record.section_id,
                    v.filed_by_id,
                )


def interruptions(agency, rules, now: datetime) -> Iterator[Fact]:
    """Breaks in a device's recording that nobody has explained (and no later clip fills)."""
    from records.models import Explanation, Interruption

    if not rules.value("av.interruption_explanation_required", default=False):
        return
    explained = Explanation.objects.filter(interruption_id=OuterRef("pk"))
    qs = (
        Interruption.objects.filter(before__record__agency=agency, cleared_by__isnull=True)
        .exclude(Exists(explained))
        .select_related("before__record", "device")
    )
    for gaps in chunked(qs):
        for gap in gaps:
            yield Fact(
                Check.INTERRUPTION,
                f"records.interruption:{gap.pk}",
                "av.interruption_explanation_required",
                f"{gap.device}：{gap.before.record.title}之后记录中断{gap.gap_seconds:.0f}秒，未说明原因。",
                "由使用该设备的执法人员书面说明中断原因。",
                None,
                gap.before.record.section_id,
                gap.before.filed_by_id,
            )


def _matter_id(source: str) -> int | None:
    prefix = "matters.matter:"
    return int(source[len(prefix):]) if source.startswith(prefix) and source[len(prefix):].isdigit() else None


def publications(agency, rules, now: datetime) -> Iterator[Fact]:
    """Decisions not published by their deadline; published ones past their display period or their
    withdrawal date still on the portal."""
    from publicity.choices import PublicationState as S
    from publicity.models import Publication
    from publicity.services import deadline_rule_key

    today = timezone.localdate(now)
    late = Q(state__in=(S.DRAFT, S.REVIEWED), due_on__lt=today)
    stale = Q(state=S.PUBLISHED, taken_down_at__isnull=True) & (
        Q(display_until__lt=today) | Q(withdrawal_due__lt=today)
    )
    qs = Publication.objects.filter(late | stale, agency=agency).select_related("created_by")
    for items in chunked(qs):
        for p in items:
            if p.state in (S.DRAFT, S.REVIEWED):
                key = deadline_rule_key(p.category)
                kind, msg = Check.PUBLICATION_LATE, f"{p.party_public}（{p.instrument_number}）应于{p.due_on:%Y-%m-%d}前公开，尚未公开。"
                remedy = "完成审查并在公示平台公开。"
            elif p.withdrawal_due and p.withdrawal_due < today:
                key = "publicity.withdrawal_deadline"
                kind, msg = Check.PUBLICATION_STALE, f"{p.party_public}（{p.instrument_number}）应于{p.withdrawal_due:%Y-%m-%d}前撤回，仍在公示。"
                remedy = "撤回该公示信息并说明原因。"
            else:
                key = "publicity.display_period"
                kind, msg = Check.PUBLICATION_STALE, f"{p.party_public}（{p.instrument_number}）公示期已于{p.display_until:%Y-%m-%d}届满，仍在公示。"
                remedy = "将期满的公示信息从公示平台撤下。"
            if key not in rules:
                continue
            yield Fact(kind, f"publicity.publication:{p.pk}", key, msg, remedy, _matter_id(p.source), None, p.created_by_id)


def reviews(agency, rules, now: datetime) -> Iterator[Fact]:
    """Decisions taken (决定, 查封扣押, 责令停产停业, 停止供电…) that the pack's catalogue or the
    major-case mark put under legal review, without a review that passed."""
    from matters.models import Step
    from review.models import LegalReview
    from review.scope import GATED, review_required

    # A pack without a catalogue still has the statute's situations (行政处罚法第五十八条第一款) and the mark.
    rule = rules.get("review.scope") or rules.get("review.statutory_scope")
    if rule is None:
        return
    qs = Step.objects.filter(matter__agency=agency, transition__in=GATED).select_related("matter__party", "matter__agency")
    for steps in chunked(qs):
        passed = {
            (r.matter_id, r.transition)
            for r in LegalReview.objects.filter(matter_id__in={s.matter_id for s in steps}, transition__in=GATED)
            if r.passed
        }
        for step in steps:
            if (step.matter_id, step.transition) in passed:
                continue
            required, hits = review_required(step.matter, step.transition)
            if not required:
                continue
            why = "；".join(h.text for h in hits) or f"重大案件：{step.matter.major_reason}"
            yield Fact(
                Check.REVIEW_MISSING,
                f"matters.step:{step.pk}",
                rule.key,
                f"{step.matter.title}：“{step.label}”属于法制审核范围（{why}），但没有通过的法制审核。"[:500],
                "送法制审核机构审核；审核意见与决定不一致的，依法纠正或撤销该决定。",
                step.matter_id,
                step.matter.section_id,
                step.acted_by_id,
            )


# What each item of `service.requirements` is, read back from a stored service: a detail the officer
# wrote, or a linked record of the right kind ("paper": a scan or photo, not a recording).
_PROOF_DETAIL = {"recipient_signature": "signer", "refusal_reason": "refusal_reason", "witness": "witness",
                 "reason": "reason", "failed_methods": "failed_methods"}
_PROOF_PAPER = {"receipt": None, "post_receipt": "tracking_number", "notice": "medium"}


def service_missing(service, requires: list[str], av_kinds) -> list[str]:
    """The items of `requires` a stored Service lacks."""
    details = service.details or {}
    kinds = [r.kind for r in service.records.all()]
    paper = any(k not in ("video", "audio") for k in kinds)
    missing = []
    for item in requires:
        if item in _PROOF_DETAIL:
            ok = bool(str(details.get(_PROOF_DETAIL[item], "")).strip())
        elif item in _PROOF_PAPER:
            detail = _PROOF_PAPER[item]
            ok = paper and (detail is None or bool(str(details.get(detail, "")).strip()))
        elif item == "av":
            ok = any(k in av_kinds for k in kinds)
        else:
            ok = True
        if not ok:
            missing.append(item)
    return missing


def services(agency, rules, now: datetime) -> Iterator[Fact]:
    """文书 served without the proof its way of service requires (the pack's service.requirements):
    a receipt, a signature, the witness of a refusal, a recording, the notice kept."""
    from matters.choices import ServiceMethod
    from matters.models import Service
    from matters.services import DEFAULT_AV_MEDIA, REQUIREMENT_LABELS

    rule = rules.get("service.requirements")
    if rule is None:
        return
    requires = {row["method"]: list(row["requires"]) for row in rule.value}
    av_kinds = tuple(rules.value("av.media_kinds", default=DEFAULT_AV_MEDIA))
    qs = (
        Service.objects.filter(instrument__agency=agency, method__in=list(requires))
        .select_related("instrument__matter")
        .prefetch_related("records")
    )
    for rows in chunked(qs):
        for sv in rows:
            missing = service_missing(sv, requires[sv.method], av_kinds)
            if not missing:
                continue
            inst, matter = sv.instrument, sv.instrument.matter
            what = "、".join(REQUIREMENT_LABELS.get(m, m) for m in missing)
            yield Fact(
                Check.SERVICE_PROOF,
                f"matters.service:{sv.pk}",
                rule.key,
                f"《{inst.title}》{inst.number}已{ServiceMethod(sv.method).label}给{sv.recipient}，但缺少：{what}。"[:500],
                f"补充该次送达的{what}（在事项的送达记录中补充送达材料）。"[:300],
                matter.pk if matter else None,
                matter.section_id if matter else None,
                sv.recorded_by_id,
            )


CHECKS = (deadlines, av_missing, records, interruptions, publications, reviews, services)
