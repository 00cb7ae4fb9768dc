"""保管期限: which row of the pack's `archive.retention` a case falls in (the longest wins), and how
long a record must be kept given every case file that holds it."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from policy.calendar import compute_deadline
from policy.selectors import agency_rules

HEARING_STEPS = ("request_hearing", "notify_hearing", "hold_hearing")
EXECUTION_STEPS = ("apply_court", "record_court_result")
DECISION_STEPS = ("decide", "decide_on_spot")
AV_KINDS = ("video", "audio", "photo")
# A lock date for 永久: Object Lock needs a date; `zhifa archive check` renews it long before.
PERMANENT_LOCK_YEARS = 100

# Apps above the archive that mark records for keeping for ever (access: 003 附件3 第十条) register
# a keeper here: keeper(record_ids) -> {record_id: basis}. The archive never imports them.
_keepers: list[Callable] = []


def register_keeper(keeper: Callable) -> None:
    if keeper not in _keepers:
        _keepers.append(keeper)


def kept_long_term(record_ids) -> dict[int, str]:
    """The records among `record_ids` some app marks for long-term keeping, with the basis."""
    ids = list(record_ids)
    found: dict[int, str] = {}
    for keeper in _keepers if ids else ():
        for pk, basis in keeper(ids).items():
            found.setdefault(pk, basis)
    return found


@dataclass(frozen=True)
class Retention:
    years: int | None  # None: permanent
    basis: str  # the case kind and its article

    @property
    def permanent(self) -> bool:
        return self.years is None

    @property
    def label(self) -> str:
        return "永久" if self.permanent else f"{self.years}年"


def case_facts(case_file) -> set[str]:
    """The `when` codes of archive.retention that the case meets."""
    matter = case_file.matter
    done = set(matter.steps.values_list("transition", flat=True))
    facts = {"other"}
    if matter.kind == "penalty" and matter.major and done & set(DECISION_STEPS):
        facts.add("major_penalty")
    if case_file.major_impact:
        facts.add("major_impact")
    if case_file.complex_case:
        facts.add("complex")
    if done & set(HEARING_STEPS):
        facts.add("hearing")
    if done & set(EXECUTION_STEPS):
        facts.add("compulsory_execution")
    return facts


def retention_for(case_file, on: date | None = None) -> Retention | None:
    """The longest period among the pack's rows the case meets, 永久 when a record in it is marked
    for long-term keeping; None when the pack sets none."""
    kept = kept_long_term(case_file.items.values_list("record_id", flat=True))
    if kept:
        return Retention(None, next(iter(kept.values())))
    rules = agency_rules(case_file.agency, on or timezone.localdate())
    rule = rules.get("archive.retention")
    if rule is None:
        return None
    facts = case_facts(case_file)
    best: Retention | None = None
    for row in rule.value:
        if row.get("when", "other") not in facts:
            continue
        years = None if row["period"] == "permanent" else int(row["period"])
        candidate = Retention(years, f"{row['case_kind']}（{rule.cited('、')}）")
        if best is None or _longer(candidate, best):
            best = candidate
    return best


def case_file_retention(case_file) -> Retention | None:
    """A case file's 保管期限: fixed once sealed; before that, what the pack's rule gives it so far
    (None where the pack sets none: the archivist chooses it when sealing)."""
    if case_file.state == "open":
        found = retention_for(case_file)
        return Retention(found.years, f"案卷{case_file.code}（待归档）：{found.basis}") if found else None
    if case_file.retention_permanent:
        return Retention(None, f"案卷{case_file.code}：{case_file.retention_basis}")
    if case_file.retention_years:
        return Retention(case_file.retention_years, f"案卷{case_file.code}：{case_file.retention_basis}")
    return None


def longest(retentions) -> Retention | None:
    """The longest of `retentions` (None among them ignored); the first of equals."""
    best = None
    for candidate in retentions:
        if candidate is not None and (best is None or _longer(candidate, best)):
            best = candidate
    return best


def shorter(a: Retention, b: Retention) -> bool:
    """Whether `a` ends before `b` (永久 is never shorter)."""
    return _longer(b, a)


def _longer(a: Retention, b: Retention) -> bool:
    if b.permanent:
        return False
    return a.permanent or a.years > b.years


def until(start: date, years: int | None) -> date | None:
    return None if years is None else compute_deadline(start, years, "years").due


def lock_date(case_file) -> date:
    """The Object Lock date for the file's objects: its retention end, or a far date for 永久."""
    if case_file.retain_until:
        return case_file.retain_until
    return compute_deadline(case_file.closed_on, PERMANENT_LOCK_YEARS, "years").due


def record_retain_until(record) -> tuple[date | None, bool]:
    """How long a record must be kept: the longest of every sealed case file holding it (a record in
    several files keeps the longest) and, for a recording, the pack's minimum from when it was made.
    Returns (date, permanent)."""
    from archive.models import CaseFile

    if kept_long_term([record.pk]):
        return None, True
    dates: list[date] = []
    files = CaseFile.objects.filter(items__record=record).exclude(state="open").distinct()
    for f in files:
        if f.retention_permanent:
            return None, True
        if f.retain_until:
            dates.append(f.retain_until)
    if record.kind in AV_KINDS:
        rules = agency_rules(record.agency)
        minimum = rules.get("av.retention_min")
        version = record.versions.order_by("number").first()
        if minimum is not None and version is not None:
            made = timezone.localtime(version.recorded_start or version.filed_at).date()
            dates.append(compute_deadline(made, int(minimum.value), minimum.unit).due)
    return (max(dates) if dates else None), False
