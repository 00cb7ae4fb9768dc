"""The public portal (no log-in; 000 公示制度第五至十五条) and the staff pages of publicity."""

import csv
import json
from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_GET

from org.permissions import capability_required, public
from publicity import flowchart, portal_page, selectors, services
from publicity.choices import Category, CorrectionState, PublicationState
from publicity.forms import (
    BasisChangeForm,
    CorrectionDecideForm,
    CorrectionRequestForm,
    DraftForm,
    PowerForm,
    SummaryForm,
    WithdrawForm,
)
from publicity.masking import PUBLIC_FIELDS
from publicity.models import CorrectionRequest, Publication
from records import uploads
from utilities.dbrouter import replica_reads
from zhifa.forms import form_refusal
from zhifa.http import client_address

FIELD_LABELS = {
    "agency": "执法机关",
    "category": "执法类别",
    "party": "执法对象",
    "party_kind": "当事人类型",
    "party_id": "证件号码",
    "party_address": "地址",
    "party_phone": "电话",
    "instrument_number": "文书号",
    "cause": "事由",
    "basis": "依据",
    "result": "结果",
    "decided_on": "决定日期",
}


# Without ?agency= a page that shows each agency shows the first ones only; the directory
# (publicity:agencies) finds any of them, so an install of thousands stays one bounded page.
PORTAL_AGENCIES_SHOWN = 20


def _agencies(request):
    agencies = selectors.portal_agencies()
    if request.GET.get("agency", "").isdigit():
        return agencies.filter(pk=int(request.GET["agency"]))
    return agencies[:PORTAL_AGENCIES_SHOWN]


@public
@require_GET
@replica_reads
def agencies(request):
    """执法机关目录: every agency, searchable and paged, each linking to its own portal pages."""
    from django.core.paginator import Paginator

    query = request.GET.get("q", "").strip()[:50]
    page = Paginator(selectors.portal_agency_directory(query=query), 50).get_page(request.GET.get("page"))
    return render(request, "publicity/agencies.html", {"page": page, "query": query})


# --- 事前公开 -------------------------------------------------------------------------------------------


@public
@require_GET
@replica_reads
def index(request):
    agencies = _agencies(request).prefetch_related("sections")
    latest = selectors.portal_search().items[:10]
    return render(request, "publicity/index.html", {"agencies": agencies, "latest": latest})


@public
@require_GET
def officers(request):
    query = request.GET.get("q", "")
    number = request.GET.get("number", "").strip()
    check = selectors.certificate_check(number=number) if number else None
    groups = [(a, selectors.portal_officers(agency=a, query=query)) for a in _agencies(request)]
    context = {
        "groups": groups,
        "query": query,
        "number": number,
        "check": check,
        "standing": selectors.certificate_standing(check) if check else None,
    }
    return render(request, "publicity/officers.html", context)


@public
@require_GET
@replica_reads
def powers(request):
    groups = [(a, selectors.portal_powers(agency=a)) for a in _agencies(request)]
    return render(request, "publicity/powers.html", {"groups": groups})


def _chart(workflow) -> dict:
    steps = []
    states = {s.code: s.label for s in workflow.states}
    for t in workflow.transitions:
        sources = "、".join(states.get(s, s) for s in t.sources)
        target = f"进入“{states[t.target]}”" if t.target else "不改变办理阶段"
        steps.append(f"{t.label}（{sources} → {target}）")
    return {
        "code": workflow.code,
        "label": workflow.label,
        "svg": flowchart.render_svg(workflow),
        "within": flowchart.steps_within(workflow),
        "steps": steps,
    }


@public
@require_GET
def procedures(request):
    charts = [_chart(w) for w in flowchart.published_workflows()]
    return render(request, "publicity/procedures.html", {"charts": charts})


@public
@require_GET
def complaints(request):
    return render(request, "publicity/complaints.html", {"agencies": _agencies(request)})


# --- 事后公开 -------------------------------------------------------------------------------------------


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@public
@require_GET
@replica_reads
def decisions(request):
    """The search page, the portal's hot path: built by publicity.render (no session, no template
    engine per request)."""
    q = {k: request.GET.get(k, "").strip()[:60] for k in ("party", "category", "from", "to", "number", "agency", "page")}
    error = ""
    if q["category"] and q["category"] not in Category.values:
        q["category"], error = "", "未知的执法类别。"
    agency, agency_name = selectors.portal_agency_lookup(raw=q["agency"]) if q["agency"] else (None, "")
    if q["agency"] and agency is None:
        error = "没有这个执法机关，请从列表中选择，或在执法机关目录中查找。"
        page = selectors.SearchPage(items=[], page=1, has_next=False)
    else:
        page = selectors.portal_search(
            party=q["party"],
            category=q["category"],
            date_from=_date(q["from"]),
            date_to=_date(q["to"]),
            number=q["number"],
            agency=agency,
            page=int(q["page"]) if q["page"].isdigit() else 1,
            rows=True,
        )
    kept = {k: v for k, v in q.items() if v and k != "page"}
    qs = urlencode(kept) + "&" if kept else ""
    return HttpResponse(portal_page.search_page(page=page, q=q, qs=qs, error=error, agency_name=agency_name))


@public
@require_GET
@replica_reads
def decision(request, pk: int):
    try:
        item = selectors.portal_publication(pk=pk)
    except Publication.DoesNotExist:
        raise Http404("没有该执法决定信息。") from None
    return render(request, "publicity/decision.html", {"item": item})


@public
@require_GET
@replica_reads
def withdrawals(request):
    return render(request, "publicity/withdrawals.html", {"items": selectors.portal_withdrawals()})


def _feed_items(request):
    since = parse_datetime(request.GET.get("since", "")) if request.GET.get("since") else None
    limit = request.GET.get("limit", "")
    limit = min(int(limit), 1000) if limit.isdigit() and int(limit) > 0 else 500
    return selectors.portal_feed(since=since, limit=limit)


def _item_url(request, item) -> str:
    return request.build_absolute_uri(reverse("publicity:decision", kwargs={"pk": item.pk}))


@public
@require_GET
@replica_reads
def feed_json(request):
    """执法决定实时推送: the published items as JSON, newest first; `?since=` ISO time for increments."""
    items = [
        {"id": item.pk, "url": _item_url(request, item), "published_at": item.published_at.isoformat(), **item.public}
        for item in _feed_items(request)
    ]
    body = {"generated_at": timezone.now().isoformat(), "fields": FIELD_LABELS, "items": items}
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/json; charset=utf-8")


@public
@require_GET
@replica_reads
def feed_csv(request):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="decisions.csv"'
    response.write("\ufeff")  # so that spreadsheet programs read it as UTF-8
    writer = csv.writer(response)
    writer.writerow(["编号", "公示时间", *(FIELD_LABELS[f] for f in PUBLIC_FIELDS), "链接"])
    for item in _feed_items(request):
        writer.writerow(
            [item.pk, item.published_at.isoformat(), *(item.public[f] for f in PUBLIC_FIELDS), _item_url(request, item)]
        )
    return response


@public
@require_GET
@replica_reads
def feed_atom(request):
    feed = Atom1Feed(
        title="行政执法决定公示",
        link=request.build_absolute_uri(reverse("publicity:decisions")),
        description="执法决定信息",
        language="zh-cn",
        feed_url=request.build_absolute_uri(),
    )
    for item in _feed_items(request):
        p = item.public
        feed.add_item(
            title=f"{p['agency']} {p['category']} {p['instrument_number']} {p['party']}",
            link=_item_url(request, item),
            description="\n".join(f"{FIELD_LABELS[f]}：{p[f]}" for f in PUBLIC_FIELDS),
            pubdate=item.published_at,
            unique_id=_item_url(request, item),
            categories=[p["category"]],
        )
    return HttpResponse(feed.writeString("utf-8"), content_type="application/atom+xml; charset=utf-8")


# --- corrections from the public (000 第二十五条) ----------------------------------------------------------


@public
def correction_new(request, pk: int):
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        item = selectors.portal_publications().get(pk=pk)
    except Publication.DoesNotExist:
        raise Http404("没有该执法决定信息。") from None
    form = CorrectionRequestForm(request.POST or None, request.FILES or None)
    errors = []
    status = 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data, client_address=client_address(request))
        upload = data.pop("evidence_file")
        try:
            if upload:
                with uploads.delivered_file(upload) as path:
                    correction = services.correction_request(
                        publication=item, evidence_file=path, evidence_name=upload.name, **data
                    )
            else:
                correction = services.correction_request(publication=item, **data)
        except ValidationError as exc:
            errors = exc.messages
            status = 429 if isinstance(exc, services.TooManyRequests) else 200
        else:
            return redirect("publicity:correction", token=correction.token)
    context = {"item": item, "form": form, "errors": errors}
    return render(request, "publicity/correction_form.html", context, status=status)


@public
@require_GET
def correction_lookup(request):
    return redirect("publicity:correction", token=request.GET.get("token", "").strip() or "-")


@public
@require_GET
def correction(request, token: str):
    try:
        found = selectors.correction_by_token(token=token)
    except CorrectionRequest.DoesNotExist:
        raise Http404("查询码不正确。") from None
    return render(request, "publicity/correction.html", {"c": found})


# --- staff ---------------------------------------------------------------------------------------------


@capability_required("publicity.view", methods=("GET",))
def staff_list(request):
    state = request.GET.get("state", "")
    items = selectors.publication_list(viewer=request.user, state=state)[:200]
    context = {
        "items": items,
        "state": state,
        "states": PublicationState.choices,
        "today": timezone.localdate(),
        "overdue": selectors.publications_overdue(viewer=request.user),
        "corrections": selectors.corrections_pending(viewer=request.user),
        "changes": selectors.basis_changes_open(viewer=request.user),
    }
    return render(request, "publicity/staff/list.html", context)


def _staff_item(request, pk):
    try:
        return selectors.publication_get(viewer=request.user, pk=pk)
    except Publication.DoesNotExist:
        raise Http404("没有该公示信息。") from None


@capability_required("publicity.view", methods=("GET",))
def staff_detail(request, pk: int):
    item = _staff_item(request, pk)
    # Empty: the current summary shows (masked) in the preview above; the page never shows raw content.
    summary_form = SummaryForm()
    context = {
        "item": item,
        "versions": item.versions.all(),
        "corrections": item.corrections.all(),
        "summary_form": summary_form,
        "summary_missing": "summary" in item.content and not item.content["summary"].strip(),
    }
    return render(request, "publicity/staff/detail.html", context)


@capability_required("publicity.draft", methods=("POST",))
def staff_summary(request, pk: int):
    """Write the public summary (the 事由 the portal shows): a new version, reviewed afterwards."""
    item = _staff_item(request, pk)
    form = SummaryForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("publicity:staff_detail", pk=pk)
    try:
        services.publication_correct(
            publication=item, changes={"summary": form.cleaned_data["summary"]}, reason="撰写公示摘要",
            acting_user=request.user,
        )  # fmt: skip
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "公示摘要已保存，请审查人员核对后审查。")
    return redirect("publicity:staff_detail", pk=pk)


def _act(request, pk, service, done: str):
    item = _staff_item(request, pk)
    try:
        service(publication=item, acting_user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect("publicity:staff_detail", pk=pk)


@capability_required("publicity.review", methods=("POST",))
def staff_review(request, pk: int):
    shown = request.POST.get("version", "")

    def review(*, publication, acting_user):
        version = int(shown) if shown.isdigit() else None
        return services.publication_review(publication=publication, acting_user=acting_user, version=version)

    return _act(request, pk, review, "已审查，可以发布。")


@capability_required("publicity.review", methods=("POST",))
def staff_publish(request, pk: int):
    return _act(request, pk, services.publication_publish, "已发布到公示平台。")


@capability_required("publicity.review")
def staff_withdraw(request, pk: int):
    item = _staff_item(request, pk)
    form = WithdrawForm(request.POST or None, initial={"occurred_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.publication_withdraw(publication=item, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, "已撤回，公示平台显示撤回说明。")
            return redirect("publicity:staff_detail", pk=pk)
    heading = f"撤回公示信息 {item.instrument_number}"
    return render(request, "zhifa/form_page.html", {"form": form, "heading": heading, "submit": "撤回"})


@capability_required("publicity.draft")
def staff_new(request):
    form = DraftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.publication_draft(agency=request.user.agency, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, f"已起草，应于 {item.due_on:%Y-%m-%d} 前公开。")
            return redirect("publicity:staff_detail", pk=item.pk)
    return render(request, "zhifa/form_page.html", {"form": form, "heading": "起草执法决定公示信息"})


@capability_required("publicity.review")
def staff_correction(request, pk: int):
    found = selectors.correction_get(viewer=request.user, pk=pk)
    if found.state != CorrectionState.PENDING:
        raise Http404("没有该待核实的更正申请。")
    form = CorrectionDecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {data["field"]: data["value"]} if data["field"] else None
        try:
            services.correction_decide(
                correction=found, accept=data["accept"], answer=data["answer"], changes=changes, acting_user=request.user
            )
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, "已答复申请人。")
            return redirect("publicity:staff_list")
    heading = f"核实更正申请：{found.applicant} — {found.statement[:30]}"
    return render(request, "zhifa/form_page.html", {"form": form, "heading": heading, "submit": "答复"})


@capability_required("publicity.review")
def staff_change_new(request):
    form = BasisChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.basis_change_record(agency=request.user.agency, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, "已登记，受影响的公示内容列于公示管理页。")
            return redirect("publicity:staff_list")
    return render(request, "zhifa/form_page.html", {"form": form, "heading": "登记执法依据或职能变化"})


@capability_required("publicity.review")
def staff_power_new(request):
    form = PowerForm(request.POST or None, agency=request.user.agency)
    if request.method == "POST" and form.is_valid():
        try:
            services.power_save(agency=request.user.agency, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, "已保存到行政执法事项清单。")
            return redirect("publicity:powers")
    return render(request, "zhifa/form_page.html", {"form": form, "heading": "行政执法事项"})


