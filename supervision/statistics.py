"""执法统计: the figures the leader and the supervising section read, by month, section and officer,
with the rates supervision uses (000 全过程记录制度第十九条; 002 二（二）5) and the weak links.

The figures are pre-aggregated: `statistics_refresh` counts them from the source tables with grouped
queries into StatCell rows (one agency and year at a time), and `compute` reads those rows, so the
page costs the same for any number of matters. Every save of a counted fact bumps the agency's
StatState (signals, on commit); `compute` rebuilds a year whose build is older than that, so the
figures always equal a count made directly in SQL. The scan and `zhifa supervise aggregate` rebuild
ahead of time so that the page rarely has to.
"""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, connection, models, transaction
from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from utilities.dbrouter import PRIMARY, reading_replica, replica_reads

MONTHS = list(range(1, 13))


@dataclass
class Figure:
    """One figure: a value per (month, section), per officer for the year, and for a rate the count
    it is out of."""

    key: str
    title: str
    unit: str = "件"
    values: dict = field(default_factory=dict)  # (month, section_id) -> number
    totals: dict | None = None  # for rates: (month, section_id) -> denominator
    officers: dict = field(default_factory=dict)  # officer_id -> number (the year)
    officer_totals: dict | None = None
    rate_label: str = "按时率"
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def _summed(self, name: str) -> dict:
        """The sums of `values` or `totals`, made once: a figure is read only after it is built."""
        if name not in self._cache:
            self._cache[name] = _sums(getattr(self, name) or {})
        return self._cache[name]

    def cell(self, month: int | None = None, section: int | None = None):
        return self._summed("values").get((month, section), 0)

    def rate(self, month: int | None = None, section: int | None = None) -> float | None:
        if self.totals is None:
            return None
        out_of = self._summed("totals").get((month, section), 0)
        return None if not out_of else round(100 * float(self.cell(month, section)) / out_of, 1)

    def officer_rate(self, officer: int) -> float | None:
        if self.officer_totals is None or not self.officer_totals.get(officer):
            return None
        return round(100 * float(self.officers.get(officer, 0)) / self.officer_totals[officer], 1)

    def by_month(self, section: int | None = None) -> list:
        return [self.cell(m, section) for m in MONTHS]


def _sums(values: dict) -> dict:
    """{(month or None, section or None): sum} of a figure's cells."""
    out: dict = {}
    for (m, s), v in values.items():
        for key in ((m, s), (m, None), (None, s), (None, None)):
            out[key] = out.get(key, 0) + v
    return out


@dataclass
class Statistics:
    year: int
    sections: list
    figures: list[Figure]
    cases_by_kind: list[tuple[str, str, int]]  # (kind label, procedure label, count)
    review_outcomes: list[tuple[str, int]]
    findings_by_article: list[tuple[str, str, int, int]]  # (rule, citation, found, still open)
    officers: list = field(default_factory=list)
    challenge_results: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, result, count)
    weak_links: list[tuple[str, str, int]] = field(default_factory=list)  # (what is missed, where, count)
    built_at: datetime | None = None

    def figure(self, key: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key), None)

    def report(self) -> list[tuple[str, str, object]]:
        """The year's figures laid out like the 安全生产行政执法统计 report of 应急管理部 (2020):
        (item, unit, value); items the application does not hold are left out, not guessed."""
        rows = []
        for key, item in REPORT_ITEMS:
            fig = self.figure(key)
            if fig is not None:
                rows.append((item, fig.unit, fig.cell()))
        return rows


# (key, title, unit, rate label or None). Rates count (value, total); the rest a value only.
FIGURES = (
    ("inspections", "监督检查", "次", None),
    ("cases", "立案办理（检查以外）", "件", None),
    ("hazards_found", "发现隐患", "项", None),
    ("hazards_fixed", "隐患整改完成", "项", None),
    ("instruments", "制作执法文书", "份", None),
    ("penalties", "行政处罚决定", "件", None),
    ("fines_imposed", "罚款决定金额", "元", None),
    ("fines_collected", "罚款收缴金额", "元", None),
    ("suspensions", "责令停产停业", "次", None),
    ("seizures", "查封、扣押", "次", None),
    ("hearings", "举行听证", "次", None),
    ("reviews", "法制审核意见", "件", None),
    ("revoked", "决定被撤销、确认违法或责令重作", "件", None),
    ("challenge_lost", "行政复议、诉讼败诉", "件", "败诉率"),
    ("publication_on_time", "执法决定按时公开", "件", "按时率"),
    ("recordings_on_time", "音像记录按时存储", "件", "按时率"),
    ("archiving_on_time", "案卷按时归档", "卷", "按时率"),
    ("case_file_pass", "案卷评查合格", "卷", "合格率"),
    ("findings", "监督发现问题", "项", None),
)

# The lines of the statutory report the application can fill (应急管理部《安全生产行政执法统计调查
# 制度》, 2020年11月25日印发: checks, 文书, penalties, fines, suspensions, hazards).
REPORT_ITEMS = (
    ("inspections", "监督检查次数"),
    ("instruments", "下达执法文书份数"),
    ("penalties", "行政处罚次数"),
    ("fines_imposed", "经济处罚（罚款）金额"),
    ("fines_collected", "罚款收缴金额"),
    ("suspensions", "责令停产停业次数"),
    ("seizures", "查封、扣押次数"),
    ("hazards_found", "发现事故隐患项数"),
    ("hazards_fixed", "已整改事故隐患项数"),
    ("hearings", "举行听证次数"),
    ("challenge_lost", "行政复议、诉讼败诉件数"),
)

# A source counts cells for one agency and year: it yields
# (key, month, section_id, officer_id, dim, label, value, total).
Source = Callable[[object, int], Iterable[tuple]]
SOURCES: list[Source] = []


def register_source(source: Source) -> Source:
    """Add a source of cells. The hook for figures kept by other modules: 案卷评查 yields key
    "case_file_pass" with value = files that passed and total = files scored, by the month scored
    and the file's section (案卷评查合格率; the figure appears once it has data)."""
    if source not in SOURCES:
        SOURCES.append(source)
    return source


def _bounds(year: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


DATE_FIELDS = {"decided_on"}  # grouped by calendar date, not by a moment


def _month_of(when: str, year: int):
    """The local month of `when` as a CASE over the twelve month boundaries: plain comparisons that
    use the index and run in the database on either engine (no per-row time zone conversion)."""
    tz = timezone.get_current_timezone()
    bounds = [datetime(year + (m == 12), m % 12 + 1, 1, tzinfo=tz) for m in MONTHS]
    if when.rsplit("__", 1)[-1] in DATE_FIELDS:
        bounds = [b.date() for b in bounds]
    return Case(*[When(**{f"{when}__lt": b}, then=Value(m)) for m, b in zip(MONTHS, bounds, strict=True)],
                default=Value(13), output_field=models.IntegerField())


def _grouped(year: int, qs, when: str, section: str, value=None, *, officer: str | None = None, dim=None) -> dict:
    """{(month, section_id, officer_id, dim): value} of `qs` (already limited to the year) grouped by
    the local month of `when`; `dim` names a field (or a tuple of fields, joined by "|") to group by."""
    dims = (dim,) if isinstance(dim, str) else tuple(dim or ())
    names = [section] + ([officer] if officer else []) + list(dims)
    rows = (
        qs.annotate(_m=_month_of(when, year))
        .values("_m", *names)
        .annotate(_v=value if value is not None else Count("pk", distinct=True))
        .order_by()
    )
    out: dict = {}
    for row in rows:
        key = (row["_m"], row[section], row[officer] if officer else None, "|".join(str(row[d]) for d in dims))
        v = row["_v"] or 0
        out[key] = out.get(key, 0) + (Decimal(v) if isinstance(v, Decimal) else v)
    return out


def _emit(key: str, values: dict, totals: dict | None = None, labels: dict | None = None) -> Iterable[tuple]:
    """Cells of one figure: values and, for a rate, the denominator in the same cell."""
    for k in set(values) | set(totals or {}):
        month, section, officer, dim = k
        yield (key, month, section, officer, dim, (labels or {}).get(dim, ""), values.get(k, 0),
               (totals or {}).get(k, 0) if totals is not None else None)


def _both(year, key, qs, when, section, value=None, *, officer=None, total_qs=None) -> Iterable[tuple]:
    """A figure by section and, where it has one, by officer (officer cells are extra rows)."""
    yield from _emit(key, _grouped(year, qs, when, section, value),
                     _grouped(year, total_qs, when, section) if total_qs is not None else None)
    if officer:  # rows with no officer are left out here: the section rows above count them
        yield from _emit(key, _grouped(year, qs.filter(**{f"{officer}__isnull": False}), when, section, value,
                                       officer=officer),
                         _grouped(year, total_qs.filter(**{f"{officer}__isnull": False}), when, section, officer=officer)
                         if total_qs is not None else None)


def _core(agency, year: int) -> Iterable[tuple]:
    from django.contrib.contenttypes.models import ContentType

    from archive.models import CaseFile
    from matters.choices import HazardState, MatterKind
    from matters.models import Hazard, Instrument, Matter, Step
    from policy.models import Deadline
    from publicity.models import Publication
    from records.models import RecordVersion
    from review.models import ReviewOpinion
    from supervision.models import Finding

    start, end = _bounds(year)
    matters = Matter.objects.filter(agency=agency, opened_at__gte=start, opened_at__lt=end)
    handled = Matter.officers.through.objects.filter(
        matter__agency=agency, matter__opened_at__gte=start, matter__opened_at__lt=end
    )
    inspection = MatterKind.INSPECTION
    for key, q, mq in (("inspections", Q(kind=inspection), Q(matter__kind=inspection)),
                       ("cases", ~Q(kind=inspection), ~Q(matter__kind=inspection))):
        yield from _emit(key, _grouped(year, matters.filter(q), "opened_at", "section_id"))
        yield from _emit(key, _grouped(year, handled.filter(mq), "matter__opened_at", "matter__section_id",
                                       Count("matter_id", distinct=True), officer="staff_id"))
    yield from _emit("case_kind", _grouped(year, matters, "opened_at", "section_id", dim=("kind", "procedure")))

    steps = Step.objects.filter(matter__agency=agency, occurred_at__gte=start, occurred_at__lt=end)
    sec = "matter__section_id"
    hazards = Hazard.objects.filter(matter__agency=agency)
    yield from _both(year, "hazards_found", hazards.filter(found_in__occurred_at__gte=start, found_in__occurred_at__lt=end),
                     "found_in__occurred_at", sec, officer="found_in__acted_by_id")
    yield from _both(year, "hazards_fixed", hazards.filter(
        state=HazardState.RECTIFIED, checked_in__occurred_at__gte=start, checked_in__occurred_at__lt=end),
        "checked_in__occurred_at", sec, officer="checked_in__acted_by_id")
    instruments = Instrument.objects.filter(agency=agency, issued_at__gte=start, issued_at__lt=end,
                                            matter__isnull=False)
    yield from _both(year, "instruments", instruments, "issued_at", sec, officer="issued_by_id")
    yield from _step_figures(year, steps)

    opinions = ReviewOpinion.objects.filter(review__agency=agency, decided_at__gte=start, decided_at__lt=end)
    rsec = "review__matter__section_id"
    yield from _both(year, "reviews", opinions, "decided_at", rsec, officer="decided_by_id")
    yield from _emit("review_outcome", _grouped(year, opinions, "decided_at", rsec, dim="outcome"))

    published = Publication.objects.filter(agency=agency, published_at__gte=start, published_at__lt=end)
    yield from _both(year, "publication_on_time", published.filter(published_at__date__lte=F("due_on")), "published_at",
                     "record__section_id", officer="created_by_id", total_qs=published)
    av = RecordVersion.objects.filter(record__agency=agency, number=1, record__kind__in=("video", "audio"),
                                      filed_at__gte=start, filed_at__lt=end)
    yield from _both(year, "recordings_on_time", av.filter(late=False), "filed_at", "record__section_id",
                     officer="filed_by_id", total_qs=av)
    due = Deadline.objects.filter(
        subject_type=ContentType.objects.get_for_model(Matter), rule_key="archive.deadline_after_closing",
        subject_id=Cast(OuterRef("matter_id"), models.CharField(max_length=64)),
    ).order_by("-start", "-pk").values("due")[:1]
    sealed = CaseFile.objects.filter(agency=agency, sealed_at__gte=start, sealed_at__lt=end).annotate(
        _due=Subquery(due)).filter(_due__isnull=False)
    yield from _both(year, "archiving_on_time", sealed.filter(sealed_at__lte=F("_due")), "sealed_at", "section_id",
                     officer="sealed_by_id", total_qs=sealed)

    found = Finding.objects.filter(agency=agency, opened_at__gte=start, opened_at__lt=end)
    yield from _both(year, "findings", found, "opened_at", "section_id", officer="officer_id")
    citations = dict(found.values_list("rule_key", "citation").order_by())
    yield from _emit("finding_article", _grouped(year, found, "opened_at", "section_id", dim="rule_key"),
                     _grouped(year, found.filter(closed_at__isnull=True), "opened_at", "section_id", dim="rule_key"),
                     labels=citations)
    yield from _weak_av(agency, year, steps)
    yield from _emit("weak_deadline", _grouped(year, found.filter(kind="deadline"), "opened_at", "section_id",
                                               dim="rule_key"))


# Figures counted from steps: key -> (transitions, the matter kind or None for any, count or fine sum).
STEP_FIGURES = {
    "penalties": (("decide", "decide_on_spot"), "penalty", "n"),
    "fines_imposed": (("decide", "decide_on_spot"), "penalty", "fine"),
    "fines_collected": (("pay",), "penalty", "fine"),
    "suspensions": (("suspend",), None, "n"),
    "seizures": (("seal", "seal_on_spot"), None, "n"),
    "hearings": (("hold_hearing",), None, "n"),
    "revoked": (("revoke",), None, "n"),
}


def _step_figures(year: int, steps) -> Iterable[tuple]:
    """The step figures in one grouped query over the year's steps (by section, and by the officer
    who took the step)."""
    transitions = sorted({t for ts, _, _ in STEP_FIGURES.values() for t in ts})
    rows = (
        steps.filter(transition__in=transitions)
        .annotate(_m=_month_of("occurred_at", year))
        .values("_m", "matter__section_id", "acted_by_id", "transition", "matter__kind")
        .annotate(n=Count("pk"), fine=Sum("matter__fine_amount"))
        .order_by()
    )
    by_section: dict = {k: {} for k in STEP_FIGURES}
    by_officer: dict = {k: {} for k in STEP_FIGURES}
    for row in rows:
        for key, (ts, kind, measure) in STEP_FIGURES.items():
            if row["transition"] not in ts or (kind and row["matter__kind"] != kind):
                continue
            v = row[measure] or 0
            cell = (row["_m"], row["matter__section_id"], None, "")
            by_section[key][cell] = by_section[key].get(cell, 0) + v
            if row["acted_by_id"] is not None:
                cell = (row["_m"], row["matter__section_id"], row["acted_by_id"], "")
                by_officer[key][cell] = by_officer[key].get(cell, 0) + v
    for key in STEP_FIGURES:
        yield from _emit(key, by_section[key])
        yield from _emit(key, by_officer[key])


def _weak_av(agency, year: int, steps) -> Iterable[tuple]:
    """Steps on the pack's recording list taken in the year without a recording or exemption, by step."""
    from matters.models import Step
    from policy.selectors import agency_rules

    rule = agency_rules(agency).get("av.required_steps")
    pairs = {(r["matter_kind"], r["step"]) for r in (rule.value if rule else [])
             if r.get("when", "always") == "always" and not r.get("service_methods")}
    if not pairs:
        return
    wanted = Q()
    for kind, step in pairs:
        wanted |= Q(matter__kind=kind, transition=step)
    linked = Step.records.through.objects.filter(step_id=OuterRef("pk"))
    missing = steps.filter(wanted, exemption__isnull=True).exclude(models.Exists(linked))
    labels = dict(missing.values_list("transition", "label").order_by())
    yield from _emit("weak_av", _grouped(year, missing, "occurred_at", "matter__section_id", dim="transition"),
                     labels=labels)


register_source(_core)


@register_source
def _challenges(agency, year: int) -> Iterable[tuple]:
    """行政复议、诉讼 decided in the year: lost of decided (复议诉讼败诉率), and by kind and result."""
    from supervision.choices import LOST_RESULTS, ChallengeResult
    from supervision.models import Challenge

    decided = Challenge.objects.filter(agency=agency, decided_on__year=year).exclude(result=ChallengeResult.PENDING)
    yield from _emit("challenge_lost", _grouped(year, decided.filter(result__in=LOST_RESULTS), "decided_on", "section_id"),
                     _grouped(year, decided, "decided_on", "section_id"))
    yield from _emit("challenge_result", _grouped(year, decided, "decided_on", "section_id", dim=("kind", "result")))


@register_source
def _case_reviews(agency, year: int) -> Iterable[tuple]:
    """案卷评查 scored in the year: files that passed of files scored (案卷评查合格率), by the month
    scored and the file's section, and by the officer who handled the case."""
    from supervision.models import CaseReview

    start, end = _bounds(year)
    scored = CaseReview.objects.filter(agency=agency, reviewed_at__gte=start, reviewed_at__lt=end)
    yield from _emit("case_file_pass", _grouped(year, scored.filter(passed=True), "reviewed_at", "section_id"),
                     _grouped(year, scored, "reviewed_at", "section_id"))


def _current_version(agency) -> int:
    from supervision.models import StatState

    return StatState.objects.filter(agency=agency).values_list("changes", flat=True).first() or 0


def statistics_refresh(agency, year: int):
    """Rebuild one agency's year of StatCells from the source tables (one transaction; a reader sees
    the old cells or the new ones, never a mix)."""
    from supervision.models import StatBuild, StatCell

    started = time.perf_counter()
    version = _current_version(agency)
    cells = []
    for source in SOURCES:
        for key, month, section, officer, dim, label, value, total in source(agency, year):
            cells.append(StatCell(agency=agency, year=year, month=month, section_id=section, officer_id=officer,
                                  key=key, dim=str(dim or "")[:120], label=str(label or "")[:300],
                                  value=Decimal(value or 0), total=total))
    with transaction.atomic():
        try:
            with transaction.atomic():
                build, _ = StatBuild.objects.get_or_create(
                    agency=agency, year=year, defaults={"version": -1, "built_at": timezone.now()})
        except IntegrityError:
            build = StatBuild.objects.get(agency=agency, year=year)
        build = StatBuild.objects.select_for_update().get(pk=build.pk)
        StatCell.objects.filter(agency=agency, year=year).delete()
        StatCell.objects.bulk_create(cells, batch_size=500)
        build.version = version
        build.built_at = timezone.now()
        build.seconds = time.perf_counter() - started
        build.save()
    return build


def statistics_fresh(agency, year: int):
    """The year's build, rebuilt first when the facts changed since (or it never ran)."""
    from supervision.models import StatBuild

    build = StatBuild.objects.filter(agency=agency, year=year).first()
    if build is None or build.version < _current_version(agency):
        build = statistics_refresh(agency, year)
    return build


def _cells(agency, year: int, section_id: int | None, build) -> list[tuple]:
    """The year's cells. With a read replica (utilities.dbrouter) they are read there once it has
    replayed `build` (the same version and time: the rebuild's transaction); before that, and
    without a replica, on the primary."""
    from supervision.models import StatBuild, StatCell

    rows = StatCell.objects.filter(agency=agency, year=year)
    if reading_replica() and not StatBuild.objects.filter(
        agency=agency, year=year, version=build.version, built_at=build.built_at
    ).exists():
        rows = rows.using(PRIMARY)
    if section_id:
        rows = rows.filter(section_id=section_id)
    return list(rows.values_list("key", "month", "section_id", "officer_id", "dim", "label", "value", "total"))


def compute(agency, year: int, section_id: int | None = None) -> Statistics:
    from matters.choices import MatterKind, Procedure
    from org.models import Section, Staff
    from review.choices import Outcome

    build = statistics_fresh(agency, year)  # on the primary: it may rebuild
    rows = replica_reads(_cells)(agency, year, section_id, build)
    figures = {key: Figure(key, title, unit, totals={} if rate else None, officer_totals={} if rate else None,
                           rate_label=rate or "") for key, title, unit, rate in FIGURES}
    dims: dict[str, dict] = {}
    for key, month, section, officer, dim, label, value, total in rows:
        value = value if value != int(value) else int(value)
        fig = figures.get(key)
        if fig is None:
            d = dims.setdefault(key, {})
            v, t, _ = d.get(dim, (0, 0, label))
            d[dim] = (v + value, t + (total or 0), label or _)
        elif officer is None:
            fig.values[(month, section)] = fig.values.get((month, section), 0) + value
            if fig.totals is not None:
                fig.totals[(month, section)] = fig.totals.get((month, section), 0) + (total or 0)
        else:
            fig.officers[officer] = fig.officers.get(officer, 0) + value
            if fig.officer_totals is not None:
                fig.officer_totals[officer] = fig.officer_totals.get(officer, 0) + (total or 0)
    # A figure only another module fills (案卷评查) is shown once it has data.
    shown = [f for f in figures.values() if f.key not in HOOKED or f.values or f.totals]
    kinds, procedures = dict(MatterKind.choices), dict(Procedure.choices)
    cases_by_kind = []
    for pair, (n, _, _) in sorted(dims.get("case_kind", {}).items()):
        kind, _, procedure = pair.partition("|")
        cases_by_kind.append((kinds.get(kind, kind), procedures.get(procedure, procedure), n))
    outcomes = dict(Outcome.choices)
    review_outcomes = sorted(((outcomes.get(o, o), n) for o, (n, _, _) in dims.get("review_outcome", {}).items()),
                             key=lambda r: -r[1])
    by_article = sorted(((r, label, n, still) for r, (n, still, label) in dims.get("finding_article", {}).items()),
                        key=lambda r: (-r[2], r[0]))
    weak = [("应音像记录未记录", label or step, n) for step, (n, _, label) in dims.get("weak_av", {}).items()]
    weak += [("法定期限逾期", _deadline_label(rule), n) for rule, (n, _, _) in dims.get("weak_deadline", {}).items()]
    weak.sort(key=lambda r: -r[2])
    from supervision.choices import ChallengeKind, ChallengeResult

    challenge_results = []
    for pair, (n, _, _) in sorted(dims.get("challenge_result", {}).items()):
        kind, _, result = pair.partition("|")
        challenge_results.append((dict(ChallengeKind.choices).get(kind, kind),
                                  dict(ChallengeResult.choices).get(result, result), n))
    sections = list(Section.objects.filter(agency=agency).order_by("pk"))
    if section_id:
        sections = [s for s in sections if s.pk == section_id]
    officer_ids = {o for f in shown for o in f.officers}
    officers = list(Staff.objects.filter(pk__in=officer_ids).order_by("section_id", "pk"))
    return Statistics(year, sections, shown, cases_by_kind, review_outcomes, by_article, officers,
                      challenge_results, weak, build.built_at)


HOOKED = {"case_file_pass"}


def _deadline_label(rule_key: str) -> str:
    from matters.workflows import DEADLINES

    meaning = DEADLINES.get(rule_key)
    return meaning.label if meaning else rule_key


# --- keeping the aggregate current --------------------------------------------------------------------


class _Bump:
    """An on-commit callback that marks one agency's statistics stale; equal for the same agency so
    that one transaction registers it once."""

    def __init__(self, agency_id):
        self.agency_id = agency_id

    def __eq__(self, other):
        return isinstance(other, _Bump) and other.agency_id == self.agency_id

    __hash__ = None

    def __call__(self):
        from supervision.models import StatState

        if not StatState.objects.filter(agency_id=self.agency_id).update(changes=F("changes") + 1):
            try:
                with transaction.atomic():
                    StatState.objects.create(agency_id=self.agency_id, changes=1)
            except IntegrityError:
                StatState.objects.filter(agency_id=self.agency_id).update(changes=F("changes") + 1)


def mark_changed(agency_id) -> None:
    if agency_id is None:
        return
    bump = _Bump(agency_id)
    if connection.in_atomic_block and any(f == bump for _, f, *_ in connection.run_on_commit):
        return
    transaction.on_commit(bump)


# How each counted model reaches its agency.
AGENCY_OF = {
    "matters.Matter": lambda o: o.agency_id,
    "matters.Step": lambda o: o.matter.agency_id,
    "matters.Hazard": lambda o: o.matter.agency_id,
    "matters.Instrument": lambda o: o.agency_id,
    "publicity.Publication": lambda o: o.agency_id,
    "records.RecordVersion": lambda o: o.record.agency_id,
    "review.ReviewOpinion": lambda o: o.review.agency_id,
    "archive.CaseFile": lambda o: o.agency_id,
    "policy.Deadline": lambda o: o.agency_id,
    "supervision.Finding": lambda o: o.agency_id,
    "supervision.Challenge": lambda o: o.agency_id,
    "supervision.CaseReview": lambda o: o.agency_id,
}


def connect_signals() -> None:
    from django.apps import apps
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from matters.models import Matter

    def changed(sender, instance, **kwargs):
        if kwargs.get("raw"):
            return
        mark_changed(AGENCY_OF[sender._meta.label](instance))

    for label in AGENCY_OF:
        model = apps.get_model(label)
        post_save.connect(changed, sender=model, dispatch_uid=f"stats-save-{label}")
        post_delete.connect(changed, sender=model, dispatch_uid=f"stats-delete-{label}")

    def officers_changed(sender, instance, action, **kwargs):
        if action.startswith("post_") and isinstance(instance, Matter):
            mark_changed(instance.agency_id)

    m2m_changed.connect(officers_changed, sender=Matter.officers.through, dispatch_uid="stats-officers")
