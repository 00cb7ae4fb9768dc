"""Pages of the hazard register (隐患台账), one hazard with its report and re-inspection forms, and
the enterprise's enforcement file (一企一档: inspections, hazards, penalties, 文书). Thin: the
selectors decide what the viewer sees, the services in `matters.hazards` every change."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render

from enterprises.selectors import enterprise_get, enterprise_list
from ledger.services import event_record
from matters import hazards as svc
from matters import selectors
from matters.choices import MatterKind
from matters.models import Instrument
from org.models import Section
from org.permissions import can, capability_required
from records.choices import RecordKind
from records.models import Record
from records.selectors import record_list
from utilities.bounds import TEXT_LONG
from zhifa.forms import form_refusal


class ReportForm(forms.Form):
    note = forms.CharField(label="整改情况", widget=forms.Textarea(attrs={"rows": 3}), max_length=TEXT_LONG)
    reported_at = forms.DateTimeField(label="报告时间（不填为现在）", required=False)
    photos = forms.ModelMultipleChoiceField(label="整改后的照片（记录库中）", queryset=None, required=False)

    def __init__(self, *args, viewer, matter, **kwargs):
        super().__init__(*args, **kwargs)
        visible = record_list(viewer=viewer) if can(viewer, "records.view") else Record.objects.none()
        self.fields["photos"].queryset = visible.filter(agency_id=matter.agency_id, kind=RecordKind.PHOTO)


class ReinspectForm(forms.Form):
    rectified = forms.TypedChoiceField(
        label="复查结论", choices=(("yes", "已整改"), ("no", "未整改")), coerce=lambda v: v == "yes"
    )
    note = forms.CharField(label="复查意见", widget=forms.Textarea(attrs={"rows": 3}), max_length=TEXT_LONG)
    checked_at = forms.DateTimeField(label="复查时间（不填为现在）", required=False)


def _int(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


@capability_required("matters.view")
def hazard_register(request):
    status = request.GET.get("status", "open")
    status = status if status in svc.FILTERS else "open"
    enterprise, section = _int(request.GET.get("enterprise")), _int(request.GET.get("section"))
    qs = svc.hazard_list(
        viewer=request.user, status="" if status == "all" else status, enterprise=enterprise, section=section
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = list(page)
    for h in rows:
        h.is_overdue = svc.hazard_overdue(h)
    svc.hazard_read_logged(viewer=request.user, hazards=rows, purpose="查看隐患台账")
    return render(
        request,
        "matters/hazards.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "filters": svc.FILTERS.items(),
            "enterprise": enterprise,
            "section": section,
            "enterprises": enterprise_list(viewer=request.user) if _can_list(request.user) else [],
            "sections": Section.objects.filter(agency_id=request.user.agency_id).order_by("pk"),
        },
    )


def _can_list(user) -> bool:
    return can(user, "enterprises.view")


def _hazard(request, pk):
    try:
        return svc.hazard_for(viewer=request.user, pk=pk)
    except Http404:
        return None


@capability_required("matters.view")
def hazard_detail(request, pk: int):
    hazard = _hazard(request, pk)
    if hazard is None:
        return render(request, "404.html", status=404)
    report = ReportForm(viewer=request.user, matter=hazard.matter)
    reinspect = ReinspectForm()
    if request.method == "POST":
        action = request.POST.get("action")
        form = (
            ReportForm(request.POST, viewer=request.user, matter=hazard.matter)
            if action == "report"
            else ReinspectForm(request.POST)
        )
        if action == "report":
            report = form
        else:
            reinspect = form
        if form.is_valid():
            try:
                if action == "report":
                    svc.hazard_report_fixed(
                        acting_user=request.user,
                        hazard=hazard,
                        reported_at=form.cleaned_data["reported_at"],
                        note=form.cleaned_data["note"],
                        photos=form.cleaned_data["photos"],
                    )
                    messages.success(request, "已登记当事人的整改完毕报告。")
                else:
                    svc.hazard_reinspect(
                        acting_user=request.user,
                        hazard=hazard,
                        rectified=form.cleaned_data["rectified"],
                        checked_at=form.cleaned_data["checked_at"],
                        note=form.cleaned_data["note"],
                    )
                    messages.success(request, "已登记复查结论。")
                return redirect("matters:hazard", pk=hazard.pk)
            except PermissionDenied as exc:
                selectors.matter_refused(
                    viewer=request.user, matter=hazard.matter, reason=f"隐患办理被拒绝：{exc}"
                )
                raise
            except ValidationError as exc:
                form_refusal(form, exc)
    svc.hazard_read_logged(viewer=request.user, hazards=[hazard], purpose="查看隐患")
    hazard.is_overdue = svc.hazard_overdue(hazard)
    return render(
        request,
        "matters/hazard.html",
        {
            "h": hazard,
            "report": report,
            "reinspect": reinspect,
            "photos": list(hazard.report_photos.all()),
            "waiting": hazard.state in svc.OPEN_STATES,
        },
    )


@capability_required("matters.act", methods=("POST",))
def hazards_refer(request, pk: int):
    try:
        matter = selectors.matter_for(viewer=request.user, pk=pk, purpose="移交隐患", read=False)
    except Http404:
        return render(request, "404.html", status=404)
    try:
        penalty = svc.hazards_refer(acting_user=request.user, matter=matter)
    except PermissionDenied as exc:
        selectors.matter_refused(viewer=request.user, matter=matter, reason=f"移交隐患被拒绝：{exc}")
        raise
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect(request.POST.get("back") or "matters:hazards")
    messages.success(request, f"已将未整改的隐患移交立案查处：新登记行政处罚事项 #{penalty.pk}。")
    return redirect("matters:detail", pk=penalty.pk)


@capability_required("matters.view")
def enterprise_file(request, pk: int):
    """一企一档 (enforcement part): the enterprise's inspections, hazards, penalties and 文书."""
    try:
        enterprise = enterprise_get(viewer=request.user, pk=pk)
    except Http404:
        return render(request, "404.html", status=404)
    matters = list(
        selectors.matter_list(viewer=request.user).filter(party_id=enterprise.pk).order_by("-opened_at")
    )
    hazards = list(svc.hazard_list(viewer=request.user, enterprise=enterprise.pk))
    for h in hazards:
        h.is_overdue = svc.hazard_overdue(h)
    instruments = list(
        Instrument.objects.filter(matter__in=[m.pk for m in matters])
        .exclude(number="")
        .select_related("matter")
        .order_by("-pk")
    )
    with transaction.atomic():
        event_record(
            kind="enterprise.file_view",
            subject=enterprise,
            acting_user=request.user,
            data={
                "purpose": "查看一企一档（执法）",
                "matters": [m.pk for m in matters],
                "hazards": [h.pk for h in hazards],
                "instruments": [i.pk for i in instruments],
            },
        )
    return render(
        request,
        "matters/enterprise_file.html",
        {
            "e": enterprise,
            "inspections": [m for m in matters if m.kind == MatterKind.INSPECTION],
            "penalties": [m for m in matters if m.kind == MatterKind.PENALTY],
            "others": [m for m in matters if m.kind not in (MatterKind.INSPECTION, MatterKind.PENALTY)],
            "hazards": hazards,
            "instruments": instruments,
        },
    )


class HazardForm(forms.Form):
    description = forms.CharField(
        label="隐患描述", widget=forms.Textarea(attrs={"rows": 3}), max_length=TEXT_LONG
    )
    location = forms.CharField(label="部位", max_length=200, required=False)
    photo = forms.ModelChoiceField(label="现场照片（记录库中）", queryset=None, required=False)
    rule_broken = forms.CharField(label="违反的规定", max_length=300, required=False)
    article = forms.CharField(label="条款", max_length=60, required=False)
    rectify_by = forms.DateField(
        label="整改期限（不填则在责令限期整改时确定）",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, viewer, matter, **kwargs):
        super().__init__(*args, **kwargs)
        visible = record_list(viewer=viewer) if can(viewer, "records.view") else Record.objects.none()
        self.fields["photo"].queryset = visible.filter(agency_id=matter.agency_id, kind=RecordKind.PHOTO)


@capability_required("matters.act")
def hazard_new(request, pk: int):
    try:
        matter = selectors.matter_for(
            viewer=request.user, pk=pk, purpose="登记隐患", read=request.method == "GET"
        )
    except Http404:
        return render(request, "404.html", status=404)
    form = HazardForm(request.POST or None, viewer=request.user, matter=matter)
    if request.method == "POST" and form.is_valid():
        try:
            hazard = svc.hazard_record(acting_user=request.user, matter=matter, **form.cleaned_data)
        except PermissionDenied as exc:
            selectors.matter_refused(viewer=request.user, matter=matter, reason=f"登记隐患被拒绝：{exc}")
            raise
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, f"已登记隐患 #{hazard.pk}。")
            return redirect("matters:hazard", pk=hazard.pk)
    return render(
        request,
        "zhifa/form_page.html",
        {"form": form, "heading": f"登记隐患：{matter.title}", "submit": "登记"},
    )
