"""Writes of 双随机一公开: the item list, recusals, draws and results. Each logs its ledger event."""

import hashlib
import json
import secrets
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from enterprises.choices import Sector
from enterprises.models import Enterprise
from inspections.choices import INSPECTION_STEP, DrawState
from inspections.draw import DrawError, commitment, digest, draw
from inspections.models import InspectionDraw, InspectionItem, InspectionTask, Recusal
from inspections.selectors import draw_inputs
from ledger.services import event_record
from org.models import EnforcementCertificate
from org.permissions import require, who_acts
from policy.selectors import agency_rules
from utilities.bounds import TEXT_LONG, text_bounded

ITEM_FIELDS = (
    "name",
    "basis",
    "section",
    "target",
    "target_sector",
    "target_industry",
    "content",
    "proportion",
    "frequency",
    "draws_per_year",
    "method",
    "officers_per_target",
)


@transaction.atomic
def item_create(*, agency, acting_user, **fields) -> InspectionItem:
    """Add a line to the 随机抽查事项清单 (000 第七条第二款、第十八条: 主体、依据、对象、内容、比例、
    方式、频次). Raises ValidationError for a missing field or a proportion outside (0, 100]."""
    require(acting_user, "inspections.draw", agency=agency)
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise ValidationError("未知字段：" + "、".join(sorted(unknown)))
    labels = {"name": "抽查事项", "basis": "抽查依据", "target": "抽查对象", "content": "抽查内容",
              "frequency": "抽查频次", "method": "抽查方式"}  # fmt: skip
    for key, label in labels.items():
        if not str(fields.get(key) or "").strip():
            raise ValidationError(f"{label}不能为空（公示制度第七条第二款）。")
    proportion = Decimal(str(fields.get("proportion") or 0))
    if not 0 < proportion <= 100:
        raise ValidationError("抽查比例须大于0且不超过100%。")
    if int(fields.get("draws_per_year") or 0) < 1 or int(fields.get("officers_per_target") or 0) < 1:
        raise ValidationError("每年抽取次数和每户检查人员数须至少为1。")
    minimum = agency_rules(agency).value("penalty.officers_min", default=None)
    if minimum and int(fields["officers_per_target"]) < int(minimum):
        raise ValidationError(f"每户检查人员不得少于{minimum}人（《行政处罚法》第四十二条）。")
    section = fields.get("section")
    if section is not None and section.agency_id != agency.pk:
        raise ValidationError("实施机构不属于本单位。")
    if fields.get("target_sector") and fields["target_sector"] not in Sector.values:
        raise ValidationError(f"未知的监管行业领域“{fields['target_sector']}”。")
    item = InspectionItem.objects.create(agency=agency, **fields)
    event_record(kind="inspection_item.create", subject=item, acting_user=acting_user,
                 data={"name": item.name, "proportion": str(item.proportion), "frequency": item.frequency})  # fmt: skip
    return item


@transaction.atomic
def recusal_record(*, officer, party, reason: str, acting_user) -> Recusal:
    """Register that `officer` must not inspect `party` (a relation to it)."""
    require(acting_user, "inspections.draw", agency=officer.agency)
    if party.agency_id != officer.agency_id:
        raise ValidationError("检查对象与执法人员不属于同一单位。")
    if not (reason or "").strip():
        raise ValidationError("须写明回避事由。")
    recusal, _ = Recusal.objects.update_or_create(
        officer=officer, party=party, defaults={"reason": reason.strip()}
    )
    event_record(kind="recusal.record", subject=recusal, acting_user=acting_user, agency=officer.agency,
                 data={"officer": officer.pk, "party": party.pk, "reason": reason.strip()})  # fmt: skip
    return recusal


def _locked_draw(record: InspectionDraw) -> InspectionDraw:
    return InspectionDraw.objects.select_for_update().select_related("item", "agency").get(pk=record.pk)


@transaction.atomic
def draw_commit(*, item: InspectionItem, plan: str, acting_user) -> InspectionDraw:
    """Step 1 of a draw: the system makes a secret seed and publishes only its SHA-256, before the
    inputs exist, so that nobody can pick a seed for the inputs or inputs for the seed. The
    commitment counts against the item's draws this year whether or not it is ever drawn, so trying
    seeds until one pleases is visible and soon impossible (000 第七条; 002 二（一）3).

    Raises ValidationError for an inactive item, a missing plan name, or the year's draws used up.
    """
    require(acting_user, "inspections.draw", agency=item.agency)
    item = InspectionItem.objects.select_for_update().get(pk=item.pk)
    if not item.active:
        raise ValidationError("该抽查事项已停用。")
    plan = (plan or "").strip()
    if not plan:
        raise ValidationError("须写明抽查计划名称。")
    if len(plan) > InspectionDraw._meta.get_field("plan").max_length:
        raise ValidationError("抽查计划名称不能超过200字。")
    year = timezone.localdate().year
    if item.draws.filter(drawn_at__year=year).count() >= item.draws_per_year:
        raise ValidationError(f"本年度已按抽查频次（{item.frequency}）完成抽取，不能再次抽取。")
    seed = secrets.token_hex(16)
    record = InspectionDraw.objects.create(
        agency=item.agency,
        item=item,
        plan=plan,
        state=DrawState.COMMITTED,
        seed=seed,
        seed_sha256=commitment(seed),
        drawn_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    event_record(kind="inspection.commit", subject=record, acting_user=acting_user,
                 data={"item": item.pk, "plan": plan, "seed_sha256": record.seed_sha256})  # fmt: skip
    return record


@transaction.atomic
def draw_fix(*, record: InspectionDraw, acting_user) -> InspectionDraw:
    """Step 2: take the inputs from the data of this moment (targets in the item's scope, officers
    with a valid 执法证, who is excluded for whom) and publish them with their SHA-256. The seed is
    still secret.

    Raises ValidationError unless the seed is committed and not yet fixed, when there is no target,
    or when a target has too few officers left after recusals (then nothing changes, and the
    commitment waits for the data to be put right).
    """
    record = _locked_draw(record)
    require(acting_user, "inspections.draw", agency=record.agency)
    if record.state != DrawState.COMMITTED:
        raise ValidationError(
            f"只有已承诺随机种子、尚未固定输入的抽取可以固定输入，当前为“{record.get_state_display()}”。"
        )
    inputs, _, _ = draw_inputs(record.item)
    if not inputs["count"]:
        raise ValidationError("抽查事项范围内没有可抽取的检查对象，请先在一企一档中登记单位的监管行业领域。")
    for target in inputs["targets"]:
        eligible = set(inputs["officers"]) - set(inputs["excluded"].get(target, ()))
        if len(eligible) < inputs["per_target"]:
            raise ValidationError(
                f"对象 {target} 回避后可抽取的执法人员仅 {len(eligible)} 人，不足每户 {inputs['per_target']} 人；"
                "请科室负责人补充持证执法人员后再固定输入。"
            )
    record.inputs = inputs
    record.inputs_sha256 = digest(inputs)
    record.fixed_at = timezone.now()
    record.state = DrawState.FIXED
    record.save(update_fields=["inputs", "inputs_sha256", "fixed_at", "state"])
    event_record(kind="inspection.fix", subject=record, acting_user=acting_user,
                 data={"inputs_sha256": record.inputs_sha256, "targets": len(inputs["targets"]),
                       "count": inputs["count"]})  # fmt: skip
    return record


@transaction.atomic
def draw_reveal(*, record: InspectionDraw, acting_user) -> InspectionDraw:
    """Step 3: publish the seed and draw on it: the tasks (targets and officers) are created and the
    draw is public in full. Raises ValidationError unless the inputs are fixed."""
    record = _locked_draw(record)
    require(acting_user, "inspections.draw", agency=record.agency)
    if record.state != DrawState.FIXED:
        raise ValidationError(f"须先固定抽取输入，才能揭示种子并抽取，当前为“{record.get_state_display()}”。")
    try:
        result = draw(record.seed, record.inputs)
    except DrawError as exc:
        raise ValidationError(str(exc)) from None
    parties = {
        p.id_number: p
        for p in Enterprise.objects.filter(agency=record.agency, id_number__in=record.inputs["targets"])
    }
    officers = {
        c.number: c.staff
        for c in EnforcementCertificate.objects.filter(number__in=record.inputs["officers"]).select_related(
            "staff"
        )
    }
    for task in result["tasks"]:
        row = InspectionTask.objects.create(draw=record, party=parties[task["target"]])
        row.officers.set([officers[k] for k in task["officers"]])
    record.result = result
    record.revealed_at = timezone.now()
    record.state = DrawState.DRAWN
    record.save(update_fields=["result", "revealed_at", "state"])
    sha = hashlib.sha256(
        json.dumps([record.inputs, result], sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    event_record(kind="inspection.draw", subject=record, acting_user=acting_user,
                 data={"item": record.item_id, "seed": record.seed, "sha256": sha, "targets": len(result["tasks"])})  # fmt: skip
    return record


@transaction.atomic
def draw_run(*, item: InspectionItem, plan: str, acting_user) -> InspectionDraw:
    """The three steps at once (commit, fix, reveal), for the API and the demo; each step keeps its
    own ledger event and time. The staff pages go step by step with a preview first."""
    record = draw_commit(item=item, plan=plan, acting_user=acting_user)
    record = draw_fix(record=record, acting_user=acting_user)
    return draw_reveal(record=record, acting_user=acting_user)


@transaction.atomic
def task_matter_open(*, task: InspectionTask, acting_user):
    """Open the 行政检查 matter that carries out a drawn task, with the drawn officers, and link it
    to the task (the result is recorded from that inspection).

    Raises ValidationError when the task already has its matter or the draw is not done.
    """
    from matters.services import matter_open

    task = InspectionTask.objects.select_for_update().select_related("draw__item", "party").get(pk=task.pk)
    require(acting_user, "inspections.record", agency=task.draw.agency)
    if task.matter_id:
        raise ValidationError("该检查任务已有对应的执法事项。")
    section = task.draw.item.section or acting_user.section
    matter = matter_open(
        acting_user=acting_user,
        kind="inspection",
        title=f"双随机抽查：{task.draw.item.name}（{task.draw.plan}）",
        party=task.party,
        officers=list(task.officers.all()),
        section=section,
    )
    task.matter = matter
    task.save(update_fields=["matter"])
    event_record(kind="inspection.task_matter", subject=task, acting_user=acting_user, agency=task.draw.agency,
                 data={"matter": matter.pk, "party": task.party_id})  # fmt: skip
    return matter


def task_result_check(*, task: InspectionTask) -> None:
    """Raise ValidationError unless a result may be registered for the task: a result is registered
    from the inspection that produced it, so the task's matter must be open and have its 现场检查
    recorded (the `inspect` step, which takes it to 已现场检查). The result page checks this first."""
    from matters.models import Step
    from matters.workflows import workflow_for

    if task.matter_id is None:
        names = "、".join(o.name for o in task.officers.all()) or "抽中的检查人员"
        raise ValidationError(
            f"该检查任务尚未开始检查，检查结果须来自实施检查的执法事项。开始检查{who_acts('inspections.record')}"
            f"（本任务抽中的检查人员：{names}）：在“双随机”的“{task.draw.plan}”抽查页面，点击该企业一行的“开始检查”，"
            "或在掌上执法的今日任务中开始检查；现场检查登记后，再登记检查结果。"
        )
    matter = task.matter
    if Step.objects.filter(matter=matter, transition=INSPECTION_STEP).exists():
        return
    workflow = workflow_for(matter.kind, matter.procedure)
    step = workflow.transition(INSPECTION_STEP)
    names = "、".join(o.name for o in task.officers.all()) or "抽中的检查人员"
    raise ValidationError(
        f"该检查任务尚未实施现场检查：执法事项“{matter.title}”仍在“{matter.state_label}”环节，"
        f"检查结果须来自现场检查（{step.article if step else '001 第六条、第七条'}）。"
        f"请由抽中的检查人员{names}在掌上执法或该事项页面登记“{step.label if step else '现场检查'}”后，再登记检查结果。"
    )


@transaction.atomic
def task_result_record(*, task: InspectionTask, result: str, acting_user) -> InspectionTask:
    """The result of one inspection task, published with the draw (002 二（一）3: 检查结果)."""
    task = InspectionTask.objects.select_for_update().select_related("draw__agency").get(pk=task.pk)
    require(acting_user, "inspections.record", agency=task.draw.agency)
    if not (result or "").strip():
        raise ValidationError("检查结果不能为空。")
    result = text_bounded(result, label="检查结果", max_length=TEXT_LONG)
    task_result_check(task=task)
    task.result = result
    task.result_at = timezone.now()
    task.save(update_fields=["result", "result_at"])
    event_record(kind="inspection.result", subject=task, acting_user=acting_user, agency=task.draw.agency,
                 data={"result": task.result})  # fmt: skip
    return task
