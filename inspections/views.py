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
        "inputs_json": json.dumps({"seed": record.seed, "inputs": record.inputs}, ensure_ascii=False, indent=1),
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
    item = selectors.item_get(viewer=request.user, pk=pk)
    form = DrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.draw_run(item=item, plan=form.cleaned_data["plan"], acting_user=request.user)
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, f"已抽取 {record.tasks.count()} 户，结果已公示。")
            return redirect("inspections:draw", pk=record.pk)
    heading = f"双随机抽取：{item.name}（比例 {item.proportion}%，{item.frequency}）"
    return render(request, "zhifa/form_page.html", {"form": form, "heading": heading, "submit": "抽取"})


@capability_required("inspections.view", methods=("GET",))
def draw_detail(request, pk: int):
    record = selectors.draw_get(viewer=request.user, pk=pk)
    return render(request, "inspections/draw.html", {"d": record, "tasks": record.tasks.all()})


@capability_required("inspections.record")
def task_result(request, pk: int):
    task = selectors.task_for(viewer=request.user, pk=pk)
    form = ResultForm(request.POST or None, initial={"result": task.result})
    if request.method == "POST" and form.is_valid():
        try:
            services.task_result_record(task=task, result=form.cleaned_data["result"], acting_user=request.user)
        except ValidationError as exc:
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
