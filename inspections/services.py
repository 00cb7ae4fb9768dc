"""Writes of 双随机一公开: the item list, recusals, draws and results. Each logs its ledger event."""

import hashlib
import json
import math
import secrets
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from enterprises.models import Enterprise
from inspections.draw import DrawError, draw
from inspections.models import InspectionDraw, InspectionItem, InspectionTask, Recusal
from ledger.services import event_record
from org.choices import Role
from org.models import EnforcementCertificate
from org.permissions import require
from policy.selectors import agency_rules

ITEM_FIELDS = (
    "name",
    "basis",
    "section",
    "target",
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
    recusal, _ = Recusal.objects.update_or_create(officer=officer, party=party, defaults={"reason": reason.strip()})
    event_record(kind="recusal.record", subject=recusal, acting_user=acting_user, agency=officer.agency,
                 data={"officer": officer.pk, "party": party.pk, "reason": reason.strip()})  # fmt: skip
    return recusal


def draw_inputs(item: InspectionItem, *, on=None) -> tuple[dict, dict, dict]:
    """The inputs of a draw from today's data: the regulated parties (by their public code), the
    officers with a valid 执法证 (by certificate number) and who is excluded for whom.
    Returns (inputs, parties by key, officers by key)."""
    on = on or timezone.localdate()
    parties = Enterprise.objects.filter(agency=item.agency)
    if item.target_industry:
        parties = parties.filter(industry=item.target_industry)
    party_by_key = {p.id_number: p for p in parties.order_by("id_number")}
    certificates = (
        EnforcementCertificate.objects.valid_on(on)
        .filter(staff__agency=item.agency, staff__is_active=True, staff__role_assignments__role=Role.OFFICER)
        .select_related("staff")
        .order_by("number")
    )
    officer_by_key = {}
    for certificate in certificates:
        if certificate.staff not in officer_by_key.values():
            officer_by_key[certificate.number] = certificate.staff
    key_of_staff = {staff.pk: key for key, staff in officer_by_key.items()}
    excluded: dict[str, set[str]] = {}
    for recusal in Recusal.objects.filter(party__in=party_by_key.values(), officer_id__in=key_of_staff):
        excluded.setdefault(recusal.party.id_number, set()).add(key_of_staff[recusal.officer_id])
    if agency_rules(item.agency, on).value("publicity.inspection_recuse_last_inspector", default=False):
        seen = set()
        last_tasks = InspectionTask.objects.filter(party__in=party_by_key.values()).order_by("-draw__drawn_at", "-id")
        for task in last_tasks.prefetch_related("officers").select_related("party"):
            if task.party_id in seen:
                continue
            seen.add(task.party_id)
            for officer in task.officers.all():
                if officer.pk in key_of_staff:
                    excluded.setdefault(task.party.id_number, set()).add(key_of_staff[officer.pk])
    count = math.ceil(len(party_by_key) * item.proportion / 100) if party_by_key else 0
    inputs = {
        "item": item.pk,
        "on": on.isoformat(),
        "targets": list(party_by_key),
        "officers": list(officer_by_key),
        "count": count,
        "per_target": item.officers_per_target,
        "excluded": {k: sorted(v) for k, v in sorted(excluded.items())},
    }
    return inputs, party_by_key, officer_by_key


@transaction.atomic
def draw_run(*, item: InspectionItem, plan: str, acting_user, seed: str | None = None) -> InspectionDraw:
    """Draw targets and officers for `item` by its proportion, within its yearly frequency, excluding
    recused officers; the seed, inputs and result are kept and published so anyone can re-run it.

    Raises ValidationError for an inactive item, a frequency already used up this year, no targets,
    or too few eligible officers.
    """
    require(acting_user, "inspections.draw", agency=item.agency)
    item = InspectionItem.objects.select_for_update().get(pk=item.pk)
    if not item.active:
        raise ValidationError("该抽查事项已停用。")
    if not (plan or "").strip():
        raise ValidationError("须写明抽查计划名称。")
    year = timezone.localdate().year
    if item.draws.filter(drawn_at__year=year).count() >= item.draws_per_year:
        raise ValidationError(f"本年度已按抽查频次（{item.frequency}）完成抽取，不能再次抽取。")
    inputs, party_by_key, officer_by_key = draw_inputs(item)
    if not inputs["count"]:
        raise ValidationError("没有可抽取的检查对象。")
    seed = seed or secrets.token_hex(16)
    try:
        result = draw(seed, inputs)
    except DrawError as exc:
        raise ValidationError(str(exc)) from None
    record = InspectionDraw.objects.create(
        agency=item.agency,
        item=item,
        plan=plan.strip(),
        seed=seed,
        inputs=inputs,
        result=result,
        drawn_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    for task in result["tasks"]:
        row = InspectionTask.objects.create(draw=record, party=party_by_key[task["target"]])
        row.officers.set([officer_by_key[k] for k in task["officers"]])
    digest = hashlib.sha256(json.dumps([inputs, result], sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    event_record(kind="inspection.draw", subject=record, acting_user=acting_user,
                 data={"item": item.pk, "seed": seed, "sha256": digest, "targets": len(result["tasks"])})  # fmt: skip
    return record


@transaction.atomic
def task_result_record(*, task: InspectionTask, result: str, acting_user) -> InspectionTask:
    """The result of one inspection task, published with the draw (002 二（一）3: 检查结果)."""
    task = InspectionTask.objects.select_for_update().select_related("draw__agency").get(pk=task.pk)
    require(acting_user, "inspections.record", agency=task.draw.agency)
    if not (result or "").strip():
        raise ValidationError("检查结果不能为空。")
    task.result = result.strip()
    task.result_at = timezone.now()
    task.save(update_fields=["result", "result_at"])
    event_record(kind="inspection.result", subject=task, acting_user=acting_user, agency=task.draw.agency,
                 data={"result": task.result})  # fmt: skip
    return task
