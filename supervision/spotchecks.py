"""音像记录抽查 (003 附件3 第十六条): the supervisor draws a proportion of a period's recordings and
answers, for each, the three questions of the article. Writes, each with its ledger event.

The draw is reproducible as the 双随机 draw is (`inspections/draw.py`): the seed's SHA-256 is
published when the spot check is opened, the recordings of the period are fixed when it is drawn,
and the seed is shown with the result. Rank of a recording = SHA-256 of "seed|record id"; the
`count` lowest are drawn:

    inputs = {"recordings": [record ids as text, ascending], "count": n, ...}
    spot_sample(seed, inputs) -> [record ids]
"""

import math
import secrets
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min
from django.db.models.functions import Coalesce
from django.utils import timezone

from inspections.draw import commitment, digest, rank
from ledger.services import event_record
from policy.selectors import agency_rules
from records.models import Record
from supervision.choices import SpotCheckQuestion, SpotCheckState
from supervision.oversight_models import SpotCheck, SpotCheckItem
from supervision.oversight_selectors import supervisor_required
from utilities.bounds import TEXT_LONG, text_bounded, text_for_column, year_bounded

PROPORTION_RULE = "supervision.av_spot_check_proportion"
ITEMS_RULE = "supervision.av_spot_check_items"
MEDIA_RULE = "av.media_kinds"


def spot_sample(seed: str, inputs: dict) -> list[str]:
    """The drawn recordings: the `count` recordings whose SHA-256 rank under `seed` is lowest."""
    return sorted(set(inputs["recordings"]), key=lambda key: rank(seed, key))[: int(inputs["count"])]


def spot_count(total: int, proportion: Decimal) -> int:
    """How many of `total` recordings a proportion draws: rounded up, at least one."""
    return min(total, max(1, math.ceil(total * proportion / 100))) if total else 0


def questions(agency) -> list[dict]:
    """The questions asked of each drawn recording, from the pack (code, question), with their basis."""
    rule = agency_rules(agency).rule(ITEMS_RULE)
    return [{"code": row["code"], "question": row["question"], "basis": rule.cited("、")} for row in rule.value]


def period_recordings(agency, period_start: date, period_end: date):
    """The agency's audio-visual records made in the period (the first version's recording start,
    else the time it was registered)."""
    kinds = agency_rules(agency).value(MEDIA_RULE, default=["video", "audio"])
    return (
        Record.objects.filter(agency=agency, kind__in=kinds)
        .annotate(made=Coalesce(Min("versions__recorded_start"), "created_at"))
        .filter(made__date__gte=period_start, made__date__lte=period_end)
    )


@transaction.atomic
def spotcheck_commit(*, acting_user, title: str, period_start: date, period_end: date) -> SpotCheck:
    """Open a spot check of the recordings made in [period_start, period_end]: the system makes a
    secret seed and publishes only its SHA-256, before the period's recordings are fixed. The
    proportion is the pack's. Raises ValidationError for a missing title or a period that is
    reversed or not yet over."""
    supervisor_required(acting_user)
    agency = acting_user.agency
    title = text_for_column(title, label="抽查名称", model=SpotCheck, field="title")
    if not title:
        raise ValidationError("请填写抽查名称。")
    year_bounded(period_start, label="抽查期间起")
    year_bounded(period_end, label="抽查期间止")
    if period_end < period_start:
        raise ValidationError("抽查期间的结束日期不能早于开始日期。")
    today = timezone.localdate()
    if period_end > today:
        raise ValidationError(f"抽查期间不能晚于今天（{today:%Y年%m月%d日}）：只能抽查已经形成的音像记录。")
    rule = agency_rules(agency).rule(PROPORTION_RULE)
    seed = secrets.token_hex(16)
    spot_check = SpotCheck.objects.create(
        agency=agency, title=title, period_start=period_start, period_end=period_end,
        proportion=Decimal(str(rule.value)), basis=rule.cited("、")[:300], seed=seed, seed_sha256=commitment(seed),
        committed_by=acting_user, committed_at=timezone.now(),
    )
    event_record(kind="spotcheck.commit", subject=spot_check, acting_user=acting_user,
                 data={"title": title, "period": [period_start.isoformat(), period_end.isoformat()],
                       "proportion": str(spot_check.proportion), "seed_sha256": spot_check.seed_sha256})
    return spot_check


@transaction.atomic
def spotcheck_draw(*, spot_check: SpotCheck, acting_user) -> SpotCheck:
    """Fix the period's recordings, draw on the committed seed and reveal it: one SpotCheckItem per
    drawn recording, with its section and officers. Raises ValidationError when already drawn or
    when the period has no recording (nothing changes; the commitment stays)."""
    supervisor_required(acting_user)
    spot_check = SpotCheck.objects.select_for_update().get(pk=spot_check.pk)
    if spot_check.agency_id != acting_user.agency_id:
        raise ValidationError("该抽查不属于本单位。")
    if spot_check.state != SpotCheckState.COMMITTED:
        raise ValidationError("该抽查已经抽取，不能再次抽取；如需再抽，请另行公布新的随机种子。")
    records = {
        str(r.pk): r
        for r in period_recordings(spot_check.agency, spot_check.period_start, spot_check.period_end)
        .select_related("section", "created_by").prefetch_related("officers")
    }
    if not records:
        raise ValidationError(
            f"{spot_check.period_start:%Y年%m月%d日}至{spot_check.period_end:%Y年%m月%d日}没有音像记录，无可抽查。"
        )
    inputs = {
        "spot_check": spot_check.pk,
        "period": [spot_check.period_start.isoformat(), spot_check.period_end.isoformat()],
        "proportion": str(spot_check.proportion),
        "recordings": sorted(records, key=int),
        "count": spot_count(len(records), spot_check.proportion),
    }
    drawn = spot_sample(spot_check.seed, inputs)
    for position, key in enumerate(drawn, start=1):
        record = records[key]
        item = SpotCheckItem.objects.create(spot_check=spot_check, position=position, record=record,
                                            section=record.section)
        item.officers.set(list(record.officers.all()) or ([record.created_by] if record.created_by else []))
    spot_check.inputs = inputs
    spot_check.inputs_sha256 = digest(inputs)
    spot_check.result = {"recordings": drawn}
    spot_check.state = SpotCheckState.DRAWN
    spot_check.drawn_at = timezone.now()
    spot_check.save(update_fields=["inputs", "inputs_sha256", "result", "state", "drawn_at"])
    event_record(kind="spotcheck.draw", subject=spot_check, acting_user=acting_user,
                 data={"seed": spot_check.seed, "inputs_sha256": spot_check.inputs_sha256, "drawn": drawn,
                       "of": len(records)})
    return spot_check


def _answer(value, label: str) -> bool:
    if value in (True, "true", "True", "1", "yes", 1):
        return True
    if value in (False, "false", "False", "0", "no", 0):
        return False
    raise ValidationError(f"请回答“{label}”：是或否。")


@transaction.atomic
def spotcheck_answer(*, item: SpotCheckItem, acting_user, recorded, continuous, handled, note: str = "") -> SpotCheckItem:
    """The supervisor's answers for one drawn recording (003 附件3 第十六条（一）至（三）) with notes;
    a "no" needs a note saying what is wrong. Answers are given once. Raises ValidationError."""
    supervisor_required(acting_user)
    item = SpotCheckItem.objects.select_for_update().select_related("spot_check").get(pk=item.pk)
    if item.spot_check.agency_id != acting_user.agency_id:
        raise ValidationError("该抽查不属于本单位。")
    if item.answered_at is not None:
        raise ValidationError(
            f"该音像记录已由{item.answered_by.name if item.answered_by else '他人'}于"
            f"{timezone.localtime(item.answered_at):%Y-%m-%d %H:%M}检查，结果不能修改。"
        )
    answers = {
        "recorded": _answer(recorded, SpotCheckQuestion.RECORDED.label),
        "continuous": _answer(continuous, SpotCheckQuestion.CONTINUOUS.label),
        "handled": _answer(handled, SpotCheckQuestion.HANDLED.label),
    }
    note = text_bounded(note, label="检查情况", max_length=TEXT_LONG)
    if not all(answers.values()) and not note:
        raise ValidationError("检查发现问题的，请在“检查情况”中写明问题所在，以便责令整改。")
    for name, value in answers.items():
        setattr(item, name, value)
    item.note = note
    item.answered_by = acting_user
    item.answered_at = timezone.now()
    item.save(update_fields=["recorded", "continuous", "handled", "note", "answered_by", "answered_at"])
    event_record(kind="spotcheck.answer", subject=item, acting_user=acting_user, agency=item.spot_check.agency,
                 data={**answers, "record": item.record_id, "note": note})
    return item
