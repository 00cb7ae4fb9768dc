"""执法统计: the figures the leader and the supervising section read, by month and section, with the
on-time rates supervision uses (000 全过程记录制度第十九条; 002 二（二）5). Each figure is one
grouped query; nothing is loaded row by row, so the page costs the same for any number of matters."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

MONTHS = list(range(1, 13))


@dataclass
class Figure:
    """One figure: a value per (month, section), and for a rate the count it is out of."""

    key: str
    title: str
    unit: str = "件"
    values: dict = field(default_factory=dict)  # (month, section_id) -> number
    totals: dict | None = None  # for rates: (month, section_id) -> denominator

    def cell(self, month: int | None = None, section: int | None = None):
        return _sum(self.values, month, section)

    def rate(self, month: int | None = None, section: int | None = None) -> float | None:
        if self.totals is None:
            return None
        out_of = _sum(self.totals, month, section)
        return None if not out_of else round(100 * _sum(self.values, month, section) / out_of, 1)

    def by_month(self, section: int | None = None) -> list:
        return [self.cell(m, section) for m in MONTHS]


def _sum(values: dict, month, section):
    total = 0
    for (m, s), v in values.items():
        if (month is None or m == month) and (section is None or s == section):
            total += v
    return total


@dataclass
class Statistics:
    year: int
    sections: list
    figures: list[Figure]
    cases_by_kind: list[tuple[str, str, int]]  # (kind label, procedure label, count)
    review_outcomes: list[tuple[str, int]]
    findings_by_article: list[tuple[str, str, int, int]]  # (rule, citation, found, still open)


def _bounds(year: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


def _grouped(qs, when: str, section: str, value=None) -> dict:
    """{(month, section_id): value} of `qs` grouped by the local month of `when`."""
    rows = (
        qs.annotate(_m=TruncMonth(when))
        .values("_m", section)
        .annotate(_v=value if value is not None else Count("pk", distinct=True))
        .order_by()
    )
    out: dict = {}
    for row in rows:
        month = timezone.localtime(row["_m"]).month if isinstance(row["_m"], datetime) else row["_m"].month
        key = (month, row[section])
        v = row["_v"] or 0
        out[key] = out.get(key, 0) + (Decimal(v) if isinstance(v, Decimal) else v)
    return out


def compute(agency, year: int, section_id: int | None = None) -> Statistics:
    from matters.choices import HazardState, MatterKind, Procedure
    from matters.models import Hazard, Matter, Step
    from org.models import Section
    from publicity.models import Publication
    from records.models import RecordVersion
    from review.models import LegalReview, ReviewOpinion
    from supervision.models import Finding

    start, end = _bounds(year)
    only = (lambda qs, path: qs.filter(**{path: section_id})) if section_id else (lambda qs, path: qs)
    matters = only(Matter.objects.filter(agency=agency, opened_at__gte=start, opened_at__lt=end), "section_id")
    steps = only(Step.objects.filter(matter__agency=agency, occurred_at__gte=start, occurred_at__lt=end),
                 "matter__section_id")
    figures = [
        Figure("inspections", "监督检查", values=_grouped(matters.filter(kind=MatterKind.INSPECTION),
                                                         "opened_at", "section_id")),
        Figure("cases", "立案办理（检查以外）", values=_grouped(matters.exclude(kind=MatterKind.INSPECTION),
                                                              "opened_at", "section_id")),
    ]
    hazards = only(Hazard.objects.filter(matter__agency=agency), "matter__section_id")
    figures.append(Figure("hazards_found", "发现隐患", "项", _grouped(
        hazards.filter(found_in__occurred_at__gte=start, found_in__occurred_at__lt=end),
        "found_in__occurred_at", "matter__section_id")))
    figures.append(Figure("hazards_fixed", "隐患整改完成", "项", _grouped(
        hazards.filter(state=HazardState.RECTIFIED, checked_in__occurred_at__gte=start,
                       checked_in__occurred_at__lt=end),
        "checked_in__occurred_at", "matter__section_id")))
    fines = steps.filter(matter__kind=MatterKind.PENALTY, matter__fine_amount__isnull=False)
    figures.append(Figure("fines_imposed", "罚款决定金额", "元", _grouped(
        fines.filter(transition="decide"), "occurred_at", "matter__section_id", Sum("matter__fine_amount"))))
    figures.append(Figure("fines_collected", "罚款收缴金额", "元", _grouped(
        fines.filter(transition="pay"), "occurred_at", "matter__section_id", Sum("matter__fine_amount"))))
    reviews = only(LegalReview.objects.filter(agency=agency), "matter__section_id")
    opinions = ReviewOpinion.objects.filter(review__in=reviews, decided_at__gte=start, decided_at__lt=end)
    figures.append(Figure("reviews", "法制审核意见", values=_grouped(opinions, "decided_at", "review__matter__section_id")))

    published = only(Publication.objects.filter(
        agency=agency, published_at__isnull=False, published_at__gte=start, published_at__lt=end
    ), "record__section_id")
    pub_section = "record__section_id"
    figures.append(Figure(
        "publication_on_time", "执法决定按时公开", values=_grouped(
            published.filter(published_at__date__lte=F("due_on")), "published_at", pub_section),
        totals=_grouped(published, "published_at", pub_section)))

    av = only(RecordVersion.objects.filter(
        record__agency=agency, number=1, record__kind__in=("video", "audio"), filed_at__gte=start, filed_at__lt=end
    ), "record__section_id")
    figures.append(Figure(
        "recordings_on_time", "音像记录按时存储", values=_grouped(av.filter(late=False), "filed_at", "record__section_id"),
        totals=_grouped(av, "filed_at", "record__section_id")))

    found = only(Finding.objects.filter(agency=agency, opened_at__gte=start, opened_at__lt=end), "section_id")
    figures.append(Figure("findings", "监督发现问题", "项", _grouped(found, "opened_at", "section_id")))

    kinds = dict(MatterKind.choices)
    procedures = dict(Procedure.choices)
    cases_by_kind = [
        (kinds.get(r["kind"], r["kind"]), procedures.get(r["procedure"], r["procedure"]), r["n"])
        for r in matters.values("kind", "procedure").annotate(n=Count("pk")).order_by("kind", "procedure")
    ]
    outcomes = {c: label for c, label in ReviewOpinion._meta.get_field("outcome").choices}
    review_outcomes = [
        (outcomes.get(r["outcome"], r["outcome"]), r["n"])
        for r in opinions.values("outcome").annotate(n=Count("pk")).order_by("-n", "outcome")
    ]
    by_article = [
        (r["rule_key"], r["citation"], r["n"], r["still"])
        for r in found.values("rule_key", "citation")
        .annotate(n=Count("pk"), still=Count("pk", filter=Q(closed_at__isnull=True)))
        .order_by("-n", "rule_key")
    ]
    sections = list(Section.objects.filter(agency=agency).order_by("pk"))
    if section_id:
        sections = [s for s in sections if s.pk == section_id]
    return Statistics(year, sections, figures, cases_by_kind, review_outcomes, by_article)
