"""Pages of AV spot checks, 案卷评查, 执法过错 and the year's evaluation. Thin: the supervisors act,
the leader (and a section chief, for the section) reads."""

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from inspections.draw import commitment, digest
from org.permissions import capability_required
from supervision import casereview, faults, spotchecks
from supervision import oversight_selectors as sel
from supervision.choices import SpotCheckState
from supervision.forms import posted_ids, posted_query
from supervision.oversight_forms import AnswerForm, CaseReviewForm, FaultForm, SpotCheckForm, YearForm
from zhifa.forms import form_refusal


def _check(request) -> dict:
    """Whether the viewer acts here, and if not, who does under the pack and what to do (shown in the nav)."""
    refusal = sel.check_refusal(request.user)
    return {"can_check": not refusal, "check_refusal": refusal}


def _refused(request, exc) -> None:
    messages.error(request, "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))


# --- AV spot checks ----------------------------------------------------------------------------------------


@capability_required("supervision.view", methods=("GET",))
def spotchecks_page(request):
    rows = sel.spotcheck_list(viewer=request.user)[:200]
    return render(request, "supervision/spotchecks.html", {"rows": rows, **_check(request)})


@capability_required("supervision.check")
def spotcheck_new(request):
    form = SpotCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sc = spotchecks.spotcheck_commit(acting_user=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, f"已公布随机种子的SHA-256承诺值 {sc.seed_sha256[:16]}…，可以抽取。")
            return redirect("supervision:spotcheck", pk=sc.pk)
    return render(request, "supervision/spotcheck_new.html", {"form": form, **_check(request)})


@capability_required("supervision.view", methods=("GET",))
def spotcheck_page(request, pk: int):
    sc = sel.spotcheck_for(viewer=request.user, pk=pk)
    drawn = sc.state == SpotCheckState.DRAWN
    published = None
    if drawn:
        published = {"seed": sc.seed, "seed_sha256": sc.seed_sha256, "inputs": sc.inputs,
                     "inputs_sha256": sc.inputs_sha256, "result": sc.result["recordings"]}
    context = {
        "sc": sc,
        "drawn": drawn,
        "items": sel.spotcheck_items(viewer=request.user, spot_check=sc),
        "questions": spotchecks.questions(sc.agency),
        **_check(request),
        "answer_form": AnswerForm(),
        "reproduces": drawn and commitment(sc.seed) == sc.seed_sha256 and digest(sc.inputs) == sc.inputs_sha256
        and spotchecks.spot_sample(sc.seed, sc.inputs) == sc.result["recordings"],
        "published": json.dumps(published, ensure_ascii=False, indent=1) if published else "",
    }
    return render(request, "supervision/spotcheck.html", context)


@capability_required("supervision.check", methods=("POST",))
def spotcheck_draw(request, pk: int):
    sc = sel.spotcheck_for(viewer=request.user, pk=pk)
    try:
        sc = spotchecks.spotcheck_draw(spot_check=sc, acting_user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"已抽取 {len(sc.result['recordings'])} 件音像记录（共 {len(sc.inputs['recordings'])} 件），随机种子已公布。")
    return redirect("supervision:spotcheck", pk=sc.pk)


@capability_required("supervision.check", methods=("POST",))
def spotcheck_answer(request, pk: int):
    item = sel.spotcheck_item_for(viewer=request.user, pk=pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请对三项检查内容逐一回答“是”或“否”。")
    else:
        try:
            spotchecks.spotcheck_answer(item=item, acting_user=request.user, **form.answers())
        except (ValidationError, PermissionDenied) as exc:
            _refused(request, exc)
        else:
            messages.success(request, f"第{item.position}件音像记录的检查结果已登记。")
    return redirect("supervision:spotcheck", pk=item.spot_check_id)


# --- 案卷评查 ------------------------------------------------------------------------------------------------


@capability_required("supervision.view", methods=("GET",))
def casereviews_page(request):
    year_form = YearForm(request.GET or None)
    year = year_form.year_or_now()
    rates, total = sel.casereview_rates(viewer=request.user, year=year)
    check = _check(request)
    can_check = check["can_check"]
    reviewed = set(sel.casereview_list(viewer=request.user, year=year).values_list("matter_id", flat=True))
    files = [f for f in sel.reviewable_case_files(viewer=request.user)[:200] if f.matter_id not in reviewed] \
        if can_check else []
    context = {"year": year, "year_form": year_form, "rates": rates, "total": total, "files": files,
               "rows": sel.casereview_list(viewer=request.user, year=year)[:500], **check,
               "sheet": casereview.review_sheet(request.user.agency)}
    return render(request, "supervision/casereviews.html", context)


@capability_required("supervision.check")
def casereview_new(request, pk: int):
    case_file = sel.case_file_for_review(viewer=request.user, pk=pk)
    sheet = casereview.review_sheet(case_file.agency)
    form = CaseReviewForm(request.POST or None, sheet=sheet)
    if request.method == "POST" and form.is_valid():
        try:
            review = casereview.casereview_score(case_file=case_file, acting_user=request.user, **form.values())
        except (ValidationError, PermissionDenied) as exc:
            form_refusal(form, exc)
        else:
            verdict = "合格" if review.passed else "不合格"
            messages.success(request, f"评查完成：{review.total}分，{verdict}。")
            return redirect("supervision:casereview", pk=review.pk)
    context = {"cf": case_file, "form": form, "sheet": sheet, **_check(request)}
    return render(request, "supervision/casereview_new.html", context)


@capability_required("supervision.view", methods=("GET",))
def casereview_page(request, pk: int):
    review = sel.casereview_for(viewer=request.user, pk=pk)
    lines = [
        {**row, "score": review.scores.get(row["code"]), "failed": row["code"] in review.vetoed,
         "note": review.notes.get(row["code"], "")}
        for row in review.sheet
    ]
    return render(request, "supervision/casereview.html", {"r": review, "lines": lines})


# --- 执法过错 ------------------------------------------------------------------------------------------------


@capability_required("supervision.view", methods=("GET",))
def faults_page(request):
    rows = sel.fault_list(viewer=request.user)[:500]
    return render(request, "supervision/faults.html", {"rows": rows, **_check(request)})


@capability_required("supervision.check")
def fault_new(request):
    """登记执法过错. The related records and matters are picked from what the viewer may see (查找, then
    tick); nothing is typed by number. 查找 redraws the form with what was filled in, saving nothing."""
    options = faults.fault_options(request.user.agency)
    post = request.POST if request.method == "POST" else None
    finding = post is not None and "find" in post
    picked = {"records": posted_ids(post, "records"), "matters": posted_ids(post, "matters")}
    choices = {
        "records": sel.fault_record_choices(viewer=request.user, query=posted_query(post, "records_q"),
                                            picked=picked["records"]),
        "matters": sel.fault_matter_choices(viewer=request.user, query=posted_query(post, "matters_q"),
                                            picked=picked["matters"]),
    }
    kwargs = {"staff": sel.agency_staff(viewer=request.user), "options": options, **choices}
    if finding:
        multiple = {n for n, f in FaultForm.base_fields.items() if isinstance(f, forms.MultipleChoiceField)}
        form = FaultForm(initial={n: post.getlist(n) if n in multiple else post.get(n) for n in post}, **kwargs)
    else:
        form = FaultForm(post, **kwargs)
    if post is not None and not finding:
        try:
            # each posted id through the selectors first: one out of the viewer's sight is refused, logged
            records, matters = sel.fault_links(viewer=request.user, **picked)
            if form.is_valid():
                data = {k: v for k, v in form.cleaned_data.items() if k not in FaultForm.PICKERS}
                fault = faults.fault_record(acting_user=request.user, records=records, matters=matters, **data)
                messages.success(request, f"已登记{fault.number}。")
                return redirect("supervision:fault", pk=fault.pk)
        except (ValidationError, PermissionDenied) as exc:
            form_refusal(form, exc)
    context = {"form": form, "options": options, "choices": choices, **_check(request)}
    return render(request, "supervision/fault_new.html", context)


@capability_required("supervision.view", methods=("GET",))
def fault_page(request, pk: int):
    fault = sel.fault_for(viewer=request.user, pk=pk)
    context = {"f": fault, "records": fault.records.all(), "matters": fault.matters.all()}
    return render(request, "supervision/fault.html", context)


# --- the year's evaluation -------------------------------------------------------------------------------


@capability_required("supervision.view", methods=("GET",))
def evaluation_page(request):
    year_form = YearForm(request.GET or None)
    year = year_form.year_or_now()
    officers, sections = sel.evaluation(viewer=request.user, year=year)
    rates, total = sel.casereview_rates(viewer=request.user, year=year)
    context = {"year": year, "year_form": year_form, "officers": officers, "sections": sections,
               "rates": rates, "total": total}
    return render(request, "supervision/evaluation.html", context)
