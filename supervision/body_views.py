"""Pages of a supervising body's staff (司法行政部门, 执法监督): the agencies it supervises and, per
agency, its matters, statistics with 案卷评查 results and its records' metadata. Read-only and thin."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from matters.choices import MatterKind
from org.permissions import capability_required
from supervision import body_selectors as sel

PER_PAGE = 50


@capability_required("supervision.oversee", methods=("GET",))
def body_home(request):
    query = request.GET.get("q", "")
    agencies = sel.supervised_agency_list(viewer=request.user, query=query)
    page = Paginator(agencies, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "supervision/body/home.html",
                  {"body": sel.body_of(viewer=request.user), "page": page, "query": query})


@capability_required("supervision.oversee", methods=("GET",))
def body_agency(request, pk: int):
    agency = sel.supervised_agency_for(viewer=request.user, pk=pk, what="执法事项列表")
    query, kind = request.GET.get("q", ""), request.GET.get("kind", "")
    kind = kind if kind in MatterKind.values else ""
    matters = sel.oversight_matter_list(viewer=request.user, agency=agency, query=query, kind=kind)
    page = Paginator(matters, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "supervision/body/agency.html", {
        "agency": agency, "page": page, "query": query, "kind": kind, "kinds": MatterKind.choices,
        "sections": agency.sections.order_by("pk"), "pack_rules": sel.oversight_pack_rules(agency=agency),
    })


@capability_required("supervision.oversee", methods=("GET",))
def body_statistics(request, pk: int):
    agency = sel.supervised_agency_for(viewer=request.user, pk=pk, what="执法统计和案卷评查")
    year = sel.year_from(request.GET.get("year", ""), timezone.localdate())
    stats = sel.oversight_statistics(agency=agency, year=year)
    reviews = sel.oversight_casereviews(agency=agency, year=year)
    passed = sum(1 for r in reviews if r.passed)
    return render(request, "supervision/body/statistics.html", {
        "agency": agency, "stats": stats, "year": year, "reviews": reviews, "passed": passed,
        "years": range(timezone.localdate().year, timezone.localdate().year - 5, -1),
    })


@capability_required("supervision.oversee", methods=("GET",))
def body_records(request, pk: int):
    agency = sel.supervised_agency_for(viewer=request.user, pk=pk, what="执法记录元数据列表")
    query = request.GET.get("q", "")
    page = Paginator(sel.oversight_record_list(viewer=request.user, agency=agency, query=query), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "supervision/body/records.html", {"agency": agency, "page": page, "query": query})


@capability_required("supervision.oversee", methods=("GET",))
def body_matter(request, pk: int):
    matter = sel.oversight_matter_for(viewer=request.user, pk=pk)
    return render(request, "supervision/body/matter.html",
                  {"matter": matter, "agency": matter.agency, **sel.oversight_matter_detail(matter=matter)})


@capability_required("supervision.oversee", methods=("GET",))
def body_record(request, pk: int):
    record = sel.oversight_record_for(viewer=request.user, pk=pk)
    return render(request, "supervision/body/record.html", {"record": record, "agency": record.agency})
