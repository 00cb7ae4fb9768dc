"""双随机一公开: the public list of items and draws (on the portal) and the staff pages."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from inspections import selectors, services
from inspections.forms import DrawForm, ItemForm, RecusalForm, ResultForm
from inspections.models import InspectionDraw
from org.permissions import capability_required, public
from zhifa.forms import form_refusal


@public
@require_GET
def public_items(request):
    context = {"items": selectors.public_items(), "draws": selectors.public_draws()[:100]}
    return render(request, "inspections/public_items.html", context)


@public
@require_GET
def public_draw(request, pk: int):
    try:
        record = selectors.public_draw(pk=pk)
    except InspectionDraw.DoesNotExist:
        raise Http404("没有该抽取记录。") from None
    context = {
        "d": record,
        "reproduces": selectors.draw_reproduces(record),
        "tasks": record.tasks.all(),
        "inputs_json": json.dumps(selectors.draw_published(record), ensure_ascii=False, indent=1),
    }
    return render(request, "inspections/public_draw.html", context)


@capability_required("inspections.view", methods=("GET",))
def staff_list(request):
    context = {
        "items": selectors.item_list(viewer=request.user),
        "draws": selectors.draw_list(viewer=request.user),
        "recusals": selectors.recusal_list(viewer=request.user),
    }
    return render(request, "inspections/list.html", context)


@capability_required("inspections.draw")
def item_new(request):
    form = ItemForm(request.POST or None, agency=request.user.agency)
    if request.method == "POST" and form.is_valid():
        try:
            services.item_create(agency=request.user.agency, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, "已列入随机抽查事项清单。")
            return redirect("inspections:list")
    return render(request, "zhifa/form_page.html", {"form": form, "heading": "新增随机抽查事项"})


@capability_required("inspections.draw")
def draw_new(request, pk: int):
    """The preview: what a draw would run on now (targets in the item's scope, officers, recusals),
    before anything is stored or published; the form commits the seed."""
    item = selectors.item_get(viewer=request.user, pk=pk)
    form = DrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.draw_commit(item=item, plan=form.cleaned_data["plan"], acting_user=request.user)
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, "已生成随机种子并公示其SHA-256承诺值；下一步固定抽取输入。")
            return redirect("inspections:draw", pk=record.pk)
    preview = selectors.draw_preview(viewer=request.user, item=item)
    return render(request, "inspections/draw_new.html", {"item": item, "form": form, "preview": preview})


def _draw_for(request, pk: int):
    return selectors.draw_get(viewer=request.user, pk=pk)


@capability_required("inspections.view", methods=("GET",))
def draw_detail(request, pk: int):
    record = _draw_for(request, pk)
    context = {"d": record, "tasks": record.tasks.all(), "inputs_json": json.dumps(record.inputs, ensure_ascii=False, indent=1)}
    return render(request, "inspections/draw.html", context)


def _draw_step(service, done: str):
    @capability_required("inspections.draw", methods=("POST",))
    def view(request, pk: int):
        record = _draw_for(request, pk)
        try:
            service(record=record, acting_user=request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, done)
        return redirect("inspections:draw", pk=record.pk)

    return view


draw_fix = _draw_step(services.draw_fix, "抽取输入已固定并公示其SHA-256；下一步揭示种子并抽取。")
draw_reveal = _draw_step(services.draw_reveal, "已揭示随机种子并完成抽取，结果已公示。")


def _task_for(request, pk: int):
    return selectors.task_for(viewer=request.user, pk=pk)


@capability_required("inspections.record", methods=("POST",))
def task_matter(request, pk: int):
    task = _task_for(request, pk)
    try:
        matter = services.task_matter_open(task=task, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("inspections:draw", pk=task.draw_id)
    messages.success(request, "已登记实施该检查任务的行政检查事项。")
    return redirect("matters:detail", pk=matter.pk)


@capability_required("inspections.record")
def task_result(request, pk: int):
    task = _task_for(request, pk)
    if request.method == "GET":
        try:
            services.task_result_check(task=task)  # no form that would be refused
        except ValidationError as exc:
            selectors.task_refused(viewer=request.user, task=task, reason="；".join(exc.messages))
            messages.error(request, "；".join(exc.messages))
            return redirect("inspections:draw", pk=task.draw_id)
    form = ResultForm(request.POST or None, initial={"result": task.result})
    if request.method == "POST" and form.is_valid():
        try:
            services.task_result_record(task=task, result=form.cleaned_data["result"], acting_user=request.user)
        except ValidationError as exc:
            selectors.task_refused(viewer=request.user, task=task, reason="；".join(exc.messages))
            form_refusal(form, exc)
        else:
            messages.success(request, "检查结果已登记并公示。")
            return redirect("inspections:draw", pk=task.draw_id)
    return render(request, "zhifa/form_page.html", {"form": form, "heading": f"检查结果：{task.party.name}"})


@capability_required("inspections.draw")
def recusal_new(request):
    form = RecusalForm(request.POST or None, agency=request.user.agency)
    if request.method == "POST" and form.is_valid():
        try:
            services.recusal_record(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, "已登记回避，抽取时不再为该对象抽到此人。")
            return redirect("inspections:list")
    return render(request, "zhifa/form_page.html", {"form": form, "heading": "登记回避"})
