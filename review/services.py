"""Writes of legal review (000 抚顺市应急管理局重大行政执法决定法制审核制度; 行政处罚法 第五十八条):
submission, supplements, reviewers, the checklist and opinion, the leader's decision, 备案."""

from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ledger.services import event_record
from org.choices import Role
from org.permissions import require
from policy.calendar import workday_calendar
from policy.models import Deadline
from policy.selectors import agency_rules
from policy.services import deadline_extend, deadline_track
from review.choices import Finding, LeaderDecision, Outcome, ReviewState
from review.models import (
    ChecklistFinding,
    LegalReview,
    ReviewerAssignment,
    ReviewMaterial,
    ReviewOpinion,
    SupplementRequest,
)
from review.scope import review_required
from utilities.bounds import ID_MAX, TEXT_LONG, text_for_column

OPEN_STATES = (ReviewState.SUPPLEMENTING, ReviewState.REVIEWING, ReviewState.OPINION)


# --- what a submission must carry ----------------------------------------------------------------
def material_requirements(matter, rules) -> list[dict]:
    """The pack's 送审材料 (000 第五条) for this matter: each item, whether it is required, and which
    part of the submission form supplies it. Conditional items (经听证的, 经评估鉴定的) are required
    only when the matter went through that step; “其他” items are optional."""
    rows = []
    steps = set(matter.steps.values_list("transition", flat=True)) if matter.pk else set()
    for item in rules.value("review.required_materials", default=[]):
        supplied_by, required = None, True
        if "申请表" in item:
            supplied_by = "application"
        elif "情况说明" in item:
            supplied_by = "situation"
        elif "决定书" in item:
            supplied_by = "draft_decision"
        elif "听证" in item:
            required = "hold_hearing" in steps
        elif any(word in item for word in ("鉴定", "评估", "评审")):
            required = "appraise" in steps or bool((matter.data or {}).get("appraised"))
        elif item.startswith("其他"):
            required = False
        rows.append({"item": item, "required": required, "supplied_by": supplied_by})
    return rows


# Offered where the pack lists no materials (余姚, 平顶山 name none): optional, so it requires nothing.
OTHER_RECORDS = "相关执法记录"


def submitted_items(matter, rules) -> list[str]:
    """The materials a submission may name: the pack's items the form does not supply otherwise, or
    one optional row of records where the pack lists none."""
    rows = material_requirements(matter, rules)
    return [row["item"] for row in rows if not row["supplied_by"]] if rows else [OTHER_RECORDS]


def material_rows(matter, rules) -> list[dict]:
    """The rows of the submission form: material_requirements, or the optional row of records."""
    rows = material_requirements(matter, rules)
    return rows or [{"item": OTHER_RECORDS, "required": False, "supplied_by": None}]


def _provided(entry) -> bool:
    if not entry:
        return False
    if isinstance(entry, dict):
        return bool((entry.get("note") or "").strip() or entry.get("records"))
    return bool(str(entry).strip())


def submission_missing(*, matter, rules, application: dict, situation: str, draft_decision: str, materials: dict):
    """What a submission lacks, in the words of the pack (empty when complete)."""
    missing = []
    for item in rules.value("review.application_items", default=[]):
        if item.startswith("其他"):
            continue
        if not str(application.get(item, "")).strip():
            missing.append(f"申请表：{item}")
    if not (situation or "").strip():
        missing.append("拟作决定的情况说明")
    if not (draft_decision or "").strip():
        missing.append("拟作出的决定书文本")
    for row in material_requirements(matter, rules):
        if row["supplied_by"] or not row["required"]:
            continue
        if not _provided(materials.get(row["item"])):
            missing.append(row["item"])
    return missing


def _may_submit(acting_user, matter) -> None:
    """Only those who may see the matter (its section, its officers) send it or its supplements."""
    from matters.selectors import matter_visible, refusal_message

    if acting_user is not None and not matter_visible(viewer=acting_user, matter=matter):
        raise PermissionDenied(refusal_message(matter))


def _material_records(acting_user, matter, materials: dict, items) -> None:
    """Materials name the pack's items (`items`), each with a note and the ids of the matter's own
    records the submitter may read: a review shows them to the reviewers, so attaching one would hand
    it on. The view and the API resolve the ids first (selectors.material_records_checked), which logs
    a refusal; this is the service's own guard."""
    from records.selectors import record_list
    from review.selectors import MATERIAL_RECORDS_MAX, matter_record_ids

    if not isinstance(materials, dict):
        raise ValidationError("送审材料格式不正确。")
    unknown = [str(item)[:40] for item in materials if item not in items]
    if unknown:
        raise ValidationError(
            f"送审材料“{'、'.join(unknown)}”不在本次可提交的材料中；可提交：{'、'.join(items) or '无'}。"
        )
    ids = set()
    for item, entry in materials.items():
        if not isinstance(entry, dict):
            if not isinstance(entry, str):
                raise ValidationError(f"送审材料“{item}”格式不正确。")
            entry = {"note": entry}
        note, records = entry.get("note", ""), entry.get("records") or []
        if not isinstance(note, str) or len(note) > TEXT_LONG:
            raise ValidationError(f"送审材料“{item}”的说明须为文字，最多{TEXT_LONG}字。")
        if not isinstance(records, list) or any(
            isinstance(i, bool) or not isinstance(i, int) or not 0 < i <= ID_MAX for i in records
        ):
            raise ValidationError(f"送审材料“{item}”的记录须为记录ID的列表。")
        if len(set(records)) > MATERIAL_RECORDS_MAX:
            raise ValidationError(f"送审材料“{item}”最多选择{MATERIAL_RECORDS_MAX}条记录（现有{len(set(records))}条）。")
        ids |= set(records)
    if not ids or acting_user is None:
        return
    found = set(
        record_list(viewer=acting_user)
        .filter(pk__in=ids)
        .filter(pk__in=matter_record_ids(matter))
        .values_list("pk", flat=True)
    )
    missing = sorted(ids - found)
    if missing:
        raise ValidationError(f"找不到、无权使用或不属于本案的记录：#{'、#'.join(map(str, missing))}。")


def _store_materials(review, materials: dict, now) -> None:
    for item, entry in materials.items():
        if not _provided(entry):
            continue
        note = entry.get("note", "") if isinstance(entry, dict) else str(entry)
        material = ReviewMaterial.objects.create(review=review, item=item, note=note.strip(), added_at=now)
        records = entry.get("records", []) if isinstance(entry, dict) else []
        if records:
            material.records.set(sorted(set(records)))


# --- the clock (000 第十条) --------------------------------------------------------------------------
def _limit(rules, review) -> tuple[int, str] | None:
    if "review.time_limit" not in rules:
        return None
    rule = rules.rule("review.time_limit")
    amount = int(rule.value)
    if review.extended_at and "review.extension" in rules:
        amount += int(rules.value("review.extension"))
    return amount, rule.unit


def working_days_between(start: date, end: date) -> int:
    """Working days d with start < d <= end: the days of a period that have run by `end`."""
    calendar = workday_calendar()
    count, day = 0, start + timedelta(days=1)
    while day <= end:
        count += calendar.is_workday(day)
        day += timedelta(days=1)
    return count


def _start_clock(review, rules, today: date) -> None:
    """Run the clock from `today` for what is left of the period, as a tracked policy Deadline (so
    that entering a year's holidays moves it; see due_follow) with its due time copied onto the
    review for lists and ordering."""
    limit = _limit(rules, review)
    review.clock_started_on = today
    if limit is None:
        review.due, review.due_provisional = None, False
    else:
        amount, unit = limit
        # 抚顺 审核第十条: with supplements the period runs afresh from the day all of them arrived.
        restart = rules.value("review.clock_restarts_after_supplement", default=False)
        remaining = max(amount - review.days_used, 0) if unit == "working_days" and not restart else amount
        deadline = deadline_track(
            agency=review.agency, subject=review, rule_key="review.time_limit", start=today, amount=remaining
        )
        review.due, review.due_provisional = deadline.due, deadline.provisional
    review.save(update_fields=["clock_started_on", "due", "due_provisional"])


def _clock(review) -> Deadline | None:
    """The tracked deadline of the review's current run of the clock."""
    return (
        Deadline.objects.filter(
            subject_type=ContentType.objects.get_for_model(LegalReview),
            subject_id=str(review.pk),
            rule_key="review.time_limit",
        )
        .order_by("-pk")
        .first()
    )


def due_follow(sender, deadline: Deadline, **kwargs) -> None:
    """policy.signals.deadline_moved: a running review's due time follows its tracked deadline."""
    if deadline.rule_key != "review.time_limit":
        return
    if deadline.subject_type_id != ContentType.objects.get_for_model(LegalReview).pk:
        return
    review = LegalReview.objects.filter(pk=deadline.subject_id, state=ReviewState.REVIEWING).first()
    if review is not None and (current := _clock(review)) is not None and current.pk == deadline.pk:
        LegalReview.objects.filter(pk=review.pk).update(due=deadline.due, due_provisional=deadline.provisional)


def _event(kind, review, acting_user, **data):
    event_record(kind=kind, subject=review, acting_user=acting_user, agency=review.agency, data=data)


def _open_review(review_pk) -> LegalReview:
    return LegalReview.objects.select_for_update(of=("self",)).select_related("matter", "agency").get(pk=review_pk)


# --- submission ------------------------------------------------------------------------------------
def _not_twice(matter, transition: str) -> None:
    """One review per proposal: none while one is open or after it passed (000 第十二条: the
    decision then follows the review). After 审核未通过 a new submission needs a new step on the
    matter since the leader's decision (补充调查, a new proposal), so the same proposal is not sent
    again unchanged."""
    reviews = LegalReview.objects.filter(matter=matter, transition=transition).order_by("-submitted_at", "-pk")
    current = reviews.filter(state__in=OPEN_STATES).first()
    if current is not None:
        raise ValidationError(
            f"本案已有正在进行的法制审核（{current.get_state_display()}，{current.submitted_at:%Y-%m-%d}送审），"
            "不能重复送审；请在该审核中补正材料或等待审核意见。"
        )
    last = reviews.first()
    if last is None:
        return
    if last.state in (ReviewState.PASSED, ReviewState.FILED):
        raise ValidationError(
            f"本案的法制审核已作出决定（{last.get_state_display()}），不能再次送审；请按审核结果办理后续环节。"
        )
    if last.state == ReviewState.NOT_PASSED and not matter.steps.filter(acted_at__gt=last.leader_at).exists():
        raise ValidationError(
            "本案的法制审核未通过，须按审核意见补充调查或重新提出处理意见后，方可再次送审。"
        )


@transaction.atomic
def review_submit(
    *,
    matter,
    acting_user,
    application: dict,
    situation: str,
    draft_decision: str,
    materials: dict | None = None,
    transition: str = "decide",
) -> LegalReview:
    """The handling section submits a matter's proposed decision for review (000 第五条、第六条).

    Raises ValidationError listing every missing item when the submission is incomplete, or when
    the matter already has a review under way.
    """
    require(acting_user, "review.submit", agency=matter.agency)
    _may_submit(acting_user, matter)
    materials = materials or {}
    today = timezone.localdate()
    rules = agency_rules(matter.agency, today)
    _material_records(acting_user, matter, materials, submitted_items(matter, rules))
    _not_twice(matter, transition)
    missing = submission_missing(
        matter=matter,
        rules=rules,
        application=application,
        situation=situation,
        draft_decision=draft_decision,
        materials=materials,
    )
    if missing:
        cite = "；".join(
            str(c)
            for key in ("review.required_materials", "review.application_items")
            if key in rules
            for c in rules.rule(key).citations
        )
        raise ValidationError(
            [f"送审材料不齐全，缺少：{'；'.join(missing)}。" + (f"（依据：{cite}）" if cite else "")]
        )
    _, hits = review_required(matter, transition)
    now = timezone.now()
    review = LegalReview(
        agency=matter.agency,
        matter=matter,
        transition=transition,
        state=ReviewState.REVIEWING,
        scope=[h.as_dict() for h in hits],
        application={k: v for k, v in application.items() if str(v).strip()},
        situation=situation,
        draft_decision=draft_decision,
        submitted_by=acting_user,
        submitted_at=now,
    )
    review.save()
    _start_clock(review, rules, today)
    _store_materials(review, materials, now)
    _event(
        "review.submit",
        review,
        acting_user,
        matter=matter.pk,
        scope=[h.code for h in hits],
        due=review.due.isoformat() if review.due else None,
    )
    return review


@transaction.atomic
def review_supplement_request(
    *, review, items: list[str], supply_by: date, acting_user, note: str = ""
) -> SupplementRequest:
    """Ask the section for more materials by a date (000 第八条); the clock stops until they are in
    (第十条: the period runs from receiving all materials)."""
    review = _open_review(review.pk)
    require(acting_user, "review.conduct", agency=review.agency)
    if review.state != ReviewState.REVIEWING:
        raise ValidationError(f"法制审核处于“{review.get_state_display()}”状态，不能要求补正材料。")
    items = [i.strip() for i in items if i and i.strip()]
    if not items:
        raise ValidationError("请写明需要补正的材料。")
    longest = ReviewMaterial._meta.get_field("item").max_length  # each item becomes a material row
    if too_long := [i for i in items if len(i) > longest]:
        raise ValidationError(f"每项需补正的材料不超过 {longest} 字（“{too_long[0][:20]}…”超出），请分行简要写明。")
    today = timezone.localdate()
    if supply_by < today:
        raise ValidationError("补正期限不能早于今天。")
    if review.clock_started_on:
        review.days_used += working_days_between(review.clock_started_on, today)
    review.state = ReviewState.SUPPLEMENTING
    review.due = None
    review.save(update_fields=["days_used", "state", "due"])
    request = SupplementRequest.objects.create(
        review=review,
        items=items,
        note=note,
        supply_by=supply_by,
        requested_by=acting_user,
        requested_at=timezone.now(),
    )
    _event("review.supplement_request", review, acting_user, items=items, supply_by=supply_by.isoformat(),
           days_used=review.days_used)
    return request


@transaction.atomic
def review_supplement_provide(*, review, materials: dict, acting_user) -> LegalReview:
    """The section hands in the supplements; the clock runs again for the working days left."""
    review = _open_review(review.pk)
    require(acting_user, "review.submit", agency=review.agency)
    _may_submit(acting_user, review.matter)
    if review.state != ReviewState.SUPPLEMENTING:
        raise ValidationError("本次法制审核没有待补正的材料。")
    request = review.supplements.filter(supplied_at__isnull=True).last()
    _material_records(acting_user, review.matter, materials, request.items)
    missing = [item for item in request.items if not _provided(materials.get(item))]
    if missing:
        raise ValidationError([f"补正材料不齐全，缺少：{'；'.join(missing)}。"])
    now = timezone.now()
    _store_materials(review, materials, now)
    request.supplied_at = now
    request.save(update_fields=["supplied_at"])
    review.state = ReviewState.REVIEWING
    review.save(update_fields=["state"])
    _start_clock(review, agency_rules(review.agency), timezone.localdate())
    _event("review.supplement_provide", review, acting_user, items=list(materials),
           due=review.due.isoformat() if review.due else None)
    return review


@transaction.atomic
def review_extend(*, review, reason: str, acting_user) -> LegalReview:
    """Extend a complex case's review once, with the leader's approval (000 第十条)."""
    review = _open_review(review.pk)
    require(acting_user, "review.approve", agency=review.agency)
    rules = agency_rules(review.agency)
    if "review.extension" not in rules:
        raise ValidationError("本单位政策包未规定法制审核期限的延长。")
    if review.extended_at:
        raise ValidationError("法制审核期限已经延长过一次。")
    if review.state not in (ReviewState.REVIEWING, ReviewState.SUPPLEMENTING):
        raise ValidationError(f"法制审核处于“{review.get_state_display()}”状态，不能延长期限。")
    reason = text_for_column(reason, label="延长理由", model=LegalReview, field="extension_reason")
    if not reason:
        raise ValidationError("请写明延长理由（案件复杂的情况）。")
    rule = rules.rule("review.extension")
    review.extended_by, review.extended_at, review.extension_reason = acting_user, timezone.now(), reason
    deadline = _clock(review) if review.state == ReviewState.REVIEWING and review.due else None
    if deadline is not None:
        if deadline.unit != rule.unit:
            raise ValidationError(
                f"政策包中审核期限（{deadline.unit}）与延长期限（{rule.unit}）的单位不一致，"
                "无法计算延长后的期限，请联系系统管理员修正政策包。"
            )
        deadline_extend(deadline=deadline, by=int(rule.value), rule_key="review.extension", acting_user=acting_user)
        review.due, review.due_provisional = deadline.due, deadline.provisional
    review.save()
    _event("review.extend", review, acting_user, reason=reason,
           due=review.due.isoformat() if review.due else None)
    return review


# --- reviewers (000 第十三条; 行政处罚法 第五十八条) -------------------------------------------------
def _took_part(matter, staff) -> bool:
    if matter.opened_by_id == staff.pk or matter.officers.filter(pk=staff.pk).exists():
        return True
    steps = matter.steps.all()
    return steps.filter(officers=staff).exists() or steps.filter(acted_by=staff).exists()


@transaction.atomic
def review_assign(*, review, reviewer, acting_user, first: bool = False, interest: str = "") -> ReviewerAssignment:
    """Assign a reviewer. Refused for one with an interest in the matter (a relation to the party,
    a part in the investigation: 000 第十三条), and for a first reviewer without the
    legal-profession qualification (行政处罚法 第五十八条第二款)."""
    review = _open_review(review.pk)
    require(acting_user, "review.conduct", agency=review.agency)
    _check_reviewer(review, reviewer, first=first, interest=interest)
    assignment = ReviewerAssignment.objects.create(
        review=review, reviewer=reviewer, first=first, assigned_by=acting_user, assigned_at=timezone.now()
    )
    _event("review.assign", review, acting_user, reviewer=reviewer.pk, first=first)
    return assignment


def _check_reviewer(review, reviewer, *, first: bool, interest: str = "", replacing=None) -> None:
    rules = agency_rules(review.agency)
    if reviewer.agency_id != review.agency_id or not reviewer.is_active:
        raise ValidationError("审核人员不属于本单位。")
    if not reviewer.has_role(Role.LEGAL_REVIEWER):
        raise ValidationError(f"{reviewer.name}不是法制审核人员。")
    if review.state not in (ReviewState.REVIEWING, ReviewState.SUPPLEMENTING):
        raise ValidationError(f"法制审核处于“{review.get_state_display()}”状态，不能指派审核人员。")
    if review.assignments.filter(reviewer=reviewer).exists():
        raise ValidationError(f"{reviewer.name}已是本案审核人员。")
    if rules.value("review.recusal_required", default=True):
        recusal = _recusal_cite(rules)
        if (interest or "").strip():
            raise ValidationError(f"{reviewer.name}与审核事项有利害关系（{interest.strip()}），应当回避（{recusal}）。")
        if _took_part(review.matter, reviewer) or review.submitted_by_id == reviewer.pk:
            raise ValidationError(f"{reviewer.name}参与了本案的调查或送审，应当回避（{recusal}）。")
    if first:
        if review.assignments.filter(first=True).exclude(pk=getattr(replacing, "pk", None)).exists():
            raise ValidationError("本案已指派初审人员。")
        if rules.value("review.first_reviewer_legal_qualification", default=False) and not reviewer.legal_qualification:
            cite = rules.rule("review.first_reviewer_legal_qualification").cited()
            raise ValidationError(f"{reviewer.name}未取得法律职业资格，不能担任初审人员（{cite}）。")


def may_reassign(user, review) -> bool:
    """Who corrects an assignment: the leader (局主要负责人 answers for review, 000 第十三条) or the
    chief of the section whose reviewers were assigned (政策法规科 answers for its opinions)."""
    if user is None or not user.is_active or user.agency_id != review.agency_id:
        return False
    if user.has_role(Role.LEADER):
        return True
    sections = {a.reviewer.section_id for a in review.assignments.select_related("reviewer")}
    return user.has_role(Role.SECTION_CHIEF) and user.section_id in sections


@transaction.atomic
def review_reassign(*, review, assignment, reviewer, reason: str, acting_user) -> ReviewerAssignment:
    """Correct a wrong assignment: the reviewer of `assignment` is replaced by `reviewer`, who must
    pass the same checks as any assignment (回避, the first reviewer's qualification). The ledger
    event keeps who was replaced, by whom and why.

    Raises PermissionDenied unless the leader or the review section's chief acts; ValidationError
    when the review is no longer open, the reason is missing or the new reviewer is not allowed."""
    review = _open_review(review.pk)
    require(acting_user, "review.reassign", agency=review.agency)
    if not may_reassign(acting_user, review):
        raise PermissionDenied("审核人员的调整须由局领导或法制审核机构（政策法规科）负责人办理。")
    assignment = ReviewerAssignment.objects.select_for_update().filter(pk=assignment.pk, review=review).first()
    if assignment is None:
        raise ValidationError("该审核人员不是本案的审核人员。")
    if not (reason or "").strip():
        raise ValidationError("请写明调整审核人员的理由。")
    if len(reason) > 300:
        raise ValidationError("调整理由不能超过300个字。")
    _check_reviewer(review, reviewer, first=assignment.first, replacing=assignment)
    previous = assignment.reviewer_id
    assignment.reviewer = reviewer
    assignment.assigned_by = acting_user
    assignment.assigned_at = timezone.now()
    assignment.save(update_fields=["reviewer", "assigned_by", "assigned_at"])
    _event("review.reassign", review, acting_user, previous=previous, reviewer=reviewer.pk,
           first=assignment.first, reason=reason.strip())
    return assignment


def _recusal_cite(rules) -> str:
    if "review.recusal_required" in rules:
        return rules.rule("review.recusal_required").cited()
    return "回避规定"


# --- the checklist and the opinion (000 第七条、第九条、第十一条) -----------------------------------
def outcome_choices(rules) -> list[tuple[str, str]]:
    """The outcomes the pack lists with its wording, else the seven kinds of 第九条 by name."""
    if "review.outcomes" in rules:
        return [(row["code"], row["text"]) for row in rules.value("review.outcomes")]
    return list(Outcome.choices)


@transaction.atomic
def review_opinion_issue(
    *,
    review,
    acting_user,
    findings: list[dict],
    outcome: str,
    opinion: str,
    suggestions: list[str] | None = None,
    adviser: str = "",
    meeting_on: date | None = None,
    meeting_participants: str = "",
    meeting_minutes: str = "",
) -> ReviewOpinion:
    """Record the checklist, the opinion decided by the section's meeting (科务会), and issue the
    意见书 (附件2) numbered by the agency's prefix, in the pack's number of copies."""
    adviser = text_for_column(adviser, label="法律顾问、专家", model=ReviewOpinion, field="adviser")
    review = _open_review(review.pk)
    require(acting_user, "review.conduct", agency=review.agency)
    rules = agency_rules(review.agency)
    if review.state != ReviewState.REVIEWING:
        raise ValidationError(f"法制审核处于“{review.get_state_display()}”状态，不能出具审核意见。")
    first = review.assignments.filter(first=True).select_related("reviewer").first()
    if first is None:
        raise ValidationError("尚未指派初审人员，不能出具审核意见。")
    if not review.assignments.filter(reviewer=acting_user).exists():
        raise ValidationError("只有本案的审核人员可以出具审核意见。")
    checklist = rules.value("review.checklist", default=[])
    if len(findings) != len(checklist):
        raise ValidationError(f"审核内容共{len(checklist)}项，须逐项填写结论。")
    errors = []
    for position, (item, row) in enumerate(zip(checklist, findings, strict=True), start=1):
        if row.get("finding") not in Finding.values:
            errors.append(f"第{position}项“{item}”未填写结论")
        elif row["finding"] == Finding.ISSUE and not (row.get("note") or "").strip():
            errors.append(f"第{position}项“{item}”存在问题，须写明情况")
    outcomes = dict(outcome_choices(rules))
    if outcome not in outcomes:
        errors.append("请选择审核意见类型")
    if not (opinion or "").strip():
        errors.append("请填写审查意见")
    if rules.value("review.collective_decision", default=False) and not (meeting_on and meeting_minutes.strip()):
        cite = rules.rule("review.collective_decision").cited()
        errors.append(f"审核意见须经科务会集体研究决定，请填写会议日期和研究记录（{cite}）")
    if outcome == Outcome.AGREE and any(r.get("finding") == Finding.ISSUE for r in findings):
        errors.append("审核内容存在问题的，不能提出同意的审核意见")
    if errors:
        raise ValidationError(errors)
    for position, (item, row) in enumerate(zip(checklist, findings, strict=True), start=1):
        ChecklistFinding.objects.create(
            review=review, position=position, item=item, finding=row["finding"], note=row.get("note", "")
        )
    suggestions = [s.strip() for s in (suggestions or []) if s and s.strip()]
    copies = _copies(rules, review)
    record = ReviewOpinion.objects.create(
        review=review,
        outcome=outcome,
        opinion=opinion,
        suggestions=suggestions,
        adviser=adviser,
        meeting_on=meeting_on,
        meeting_participants=meeting_participants,
        meeting_minutes=meeting_minutes,
        copies=copies,
        decided_by=acting_user,
        decided_at=timezone.now(),
    )
    record.instrument = _issue_letter(review, record, outcomes[outcome], acting_user)
    record.save(update_fields=["instrument"])
    review.state = ReviewState.OPINION
    review.save(update_fields=["state"])
    _event(
        "review.opinion",
        review,
        acting_user,
        outcome=outcome,
        instrument=record.instrument_id,
        number=record.instrument.number if record.instrument else "",
        issues=[f.position for f in review.findings.filter(finding=Finding.ISSUE)],
    )
    return record


def _copies(rules, review) -> list[dict]:
    """一式二份 (第十一条): one numbered 意见书, its copies kept apart by holder."""
    count = int(rules.value("review.opinion_copies", default=1))
    holders = ["法制审核机构留存归档", f"随案卷退{review.matter.section.name}存档"]
    return [{"copy": n, "holder": holders[n - 1] if n <= len(holders) else "其他"} for n in range(1, count + 1)]


def _issue_letter(review, record, outcome_text: str, acting_user):
    from matters.instruments import instrument_issue

    matter = review.matter
    party = matter.party.name if matter.party_id else ""
    findings = [
        f"{f.item}：{f.get_finding_display()}" + (f"（{f.note}）" if f.note else "")
        for f in review.findings.all()
    ]
    section = getattr(acting_user, "section", None)
    # Keys as the 附件2 template reads them (matters/doc_templates/review_opinion.txt).
    content = {
        "addressee": matter.section.name,
        "case": matter.title,
        "party": party,
        "facts": "；".join(findings),
        "suggestions": record.suggestions or findings,
        "outcome": outcome_text,
        "opinion": f"{Outcome(record.outcome).label}。{record.opinion}",
        "counsel": record.adviser,
        "reviewer_section": section.name if section else "",
        "copies": [c["holder"] for c in record.copies],
    }
    return instrument_issue(
        matter=matter,
        agency=review.agency,
        type_code="review_opinion",
        content=content,
        acting_user=acting_user,
        capability="review.conduct",
    )


# --- the decision (000 第十二条) ------------------------------------------------------------------
@transaction.atomic
def review_leader_decide(
    *, review, decision: str, acting_user, collective: bool = False, note: str = ""
) -> LegalReview:
    """The leader approves the decision after review; where the opinion is not 同意 and the section
    disagrees, only the leaders' collective discussion may let the decision go ahead."""
    review = _open_review(review.pk)
    require(acting_user, "review.approve", agency=review.agency)
    if review.state != ReviewState.OPINION:
        raise ValidationError("尚未出具审核意见，或已有领导决定。")
    if decision not in LeaderDecision.values:
        raise ValidationError("请选择领导决定。")
    agreed = review.opinion.outcome == Outcome.AGREE
    rules = agency_rules(review.agency)
    # 抚顺 审核第十二条（二）: on the section's objection the 局主要负责人 may decide instead.
    leader_may = "leader" in rules.value("review.disagreement_decided_by", default=[])
    if decision == LeaderDecision.APPROVE and not agreed and not collective:
        if not leader_may:
            raise ValidationError(
                "法制审核未通过的，不得作出决定；承办科室对审核意见有异议的，须报请局领导集体讨论决定"
                "（行政处罚法 第五十八条）。"
            )
        if not (note or "").strip():
            cite = rules.rule("review.disagreement_decided_by").cited()
            raise ValidationError(
                "承办科室对审核意见有异议的，由局主要负责人决定须记录异议和决定理由，"
                f"或报请局领导集体讨论决定（{cite}）。"
            )
    if collective and not (note or "").strip():
        raise ValidationError("局领导集体讨论决定的，须记录讨论情况和结论。")
    review.leader_decision = decision
    review.leader_collective = collective
    review.leader_note = note
    review.leader_by = acting_user
    review.leader_at = timezone.now()
    review.state = ReviewState.PASSED if decision == LeaderDecision.APPROVE else ReviewState.NOT_PASSED
    review.save()
    _event("review.leader", review, acting_user, decision=decision, collective=collective)
    return review


def decision_file(matter, step) -> None:
    """After-hook of the decision. The gate ran on the proposal's figures; the decision may set
    others (a higher fine, another measure), so its own figures are checked again here, and a
    refusal undoes the whole step. Then the decision is filed with the review section (备案,
    000 第十二条第二款)."""
    from review.scope import gate

    refused = gate(matter, step.transition)
    if refused:
        raise ValidationError([f"按拟作出的决定：{refused}"])
    review = (
        LegalReview.objects.select_for_update()
        .filter(matter=matter, transition=step.transition, state=ReviewState.PASSED)
        .order_by("-submitted_at", "-pk")
        .first()
    )
    if review is None:
        return
    review.state = ReviewState.FILED
    review.filed_step = step
    review.filed_at = timezone.now()
    review.save(update_fields=["state", "filed_step", "filed_at"])
    _event("review.file", review, step.acted_by, step=step.pk)
