"""Pages of the archive: the 待归档 queue, a case file (cover, contents, 备考表, checks, sealing),
holds, disposal, an enterprise's file (一企一档) and storage carriers. Thin: services decide."""

import io
import shutil
import tempfile
import zipfile
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from archive import selectors, services
from archive.export import enterprise_export
from archive.forms import (
    AddForm,
    CarrierForm,
    CollectionForm,
    CustodyForm,
    DecideForm,
    DescribeForm,
    DisposalForm,
    HoldForm,
    ReleaseForm,
    ReturnForm,
    SealForm,
    VolumeForm,
)
from archive.models import CaseFile
from archive.pdf import render_case_file
from enterprises.selectors import enterprise_get, enterprise_list
from org.permissions import capability_required
from policy.selectors import agency_rules
from records import uploads
from records.selectors import record_list_logged, version_open
from zhifa.forms import form_refusal


def _party(request, pk):
    from enterprises.models import Enterprise

    try:
        return enterprise_get(viewer=request.user, pk=pk)
    except Enterprise.DoesNotExist:
        raise Http404("没有这个生产经营单位。") from None


def _refused(request, exc) -> None:
    messages.error(request, "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))


@capability_required("archive.view", methods=("GET",))
def queue(request):
    rows = selectors.casefile_queue(viewer=request.user)
    sealed = selectors.casefile_list(viewer=request.user, state="sealed")[:50]
    context = {"rows": rows, "overdue": sum(1 for r in rows if r.overdue), "sealed": sealed}
    return render(request, "archive/queue.html", context)


@capability_required("archive.view", methods=("GET",))
def detail(request, pk: int):
    case_file = selectors.casefile_for(viewer=request.user, pk=pk)
    items = list(selectors.casefile_items(case_file))
    context = {
        "f": case_file,
        "items": items,
        "report": case_file.checks.first(),
        "volumes": CaseFile.objects.filter(matter=case_file.matter).order_by("volume"),
        "seal_form": SealForm(),
        "add_form": AddForm(),
        "volume_form": VolumeForm(),
        "describe_forms": [
            (i, DescribeForm(initial={"item": i.pk, "av_section": i.av_section, "av_maker": i.av_maker,
                                      "av_made_at": i.av_made_at, "av_proves": i.av_proves}))
            for i in items if i.record.kind in ("video", "audio", "photo")
        ],
        "holds": case_file.holds.filter(released_at__isnull=True),
    }
    return render(request, "archive/detail.html", context)


@capability_required("archive.view", methods=("GET",))
def printed(request, pk: int):
    """The whole file as one PDF: the sealed print from the vault, or a draft of an open volume."""
    case_file = selectors.casefile_for(viewer=request.user, pk=pk, purpose="打印案卷")
    if case_file.pdf_id:
        # (the read is logged by casefile_for; a print a disposal destroyed is refused, logged)
        pdf = case_file.pdf
        stream = version_open(viewer=request.user, record=pdf, version=pdf.current_version, kind=None,
                              data={"case_file": case_file.code, "purpose": "打印案卷"})
        return FileResponse(stream, filename=f"{case_file.code}.pdf", content_type="application/pdf")
    folder = tempfile.mkdtemp()
    try:
        out = Path(folder) / "draft.pdf"
        render_case_file(case_file, out)
        data = out.read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return FileResponse(io.BytesIO(data), filename=f"{case_file.code}（草稿）.pdf", content_type="application/pdf")


@capability_required("archive.manage", methods=("POST",))
def seal(request, pk: int):
    case_file = selectors.casefile_for(viewer=request.user, pk=pk, purpose="归档")
    form = SealForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请检查填写的内容。")
        return redirect("archive:detail", pk=pk)
    try:
        sealed = services.casefile_seal(acting_user=request.user, case_file=case_file, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"案卷 {sealed.code} 已归档，保管期限{sealed.retention_label}。")
    return redirect("archive:detail", pk=pk)


@capability_required("archive.manage", methods=("POST",))
def export(request, pk: int):
    """导出归档包: the sealed volume as a BagIt package and an ISO image under the data folder."""
    from django.conf import settings

    case_file = selectors.casefile_for(viewer=request.user, pk=pk, purpose="导出归档包")
    try:
        result = services.casefile_export(acting_user=request.user, case_file=case_file,
                                          out_dir=Path(settings.DATA_DIR) / "exports")
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"已导出归档包：{result.iso_path}（SHA-256 {result.iso_sha256}）。")
    return redirect("archive:detail", pk=pk)


@capability_required("archive.manage", methods=("POST",))
def check(request, pk: int):
    case_file = selectors.casefile_for(viewer=request.user, pk=pk, purpose="四性检测")
    report = services.casefile_check(acting_user=request.user, case_file=case_file)
    (messages.success if report.ok else messages.error)(request, "四性检测通过。" if report.ok else "四性检测未通过，见检测报告。")
    return redirect("archive:detail", pk=pk)


@capability_required("archive.manage", methods=("POST",))
def add(request, pk: int):
    case_file = selectors.casefile_for(viewer=request.user, pk=pk, purpose="补充归档材料")
    form = AddForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择文件并填写题名和补充理由。")
        return redirect("archive:detail", pk=pk)
    data = form.cleaned_data
    upload = data.pop("file")
    try:
        with uploads.delivered_file(upload) as path:
            item = services.casefile_add(acting_user=request.user, case_file=case_file, path=path,
                                         original_name=upload.name, **data)
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"已作为第{item.position}件归入案卷。")
    return redirect("archive:detail", pk=pk)


@capability_required("archive.manage", methods=("POST",))
def describe(request, pk: int):
    case_file = selectors.casefile_for(viewer=request.user, pk=pk, purpose="注明音像资料")
    form = DescribeForm(request.POST)
    item = case_file.items.filter(pk=request.POST.get("item") or 0).first() if form.is_valid() else None
    if item is None:
        messages.error(request, "请检查填写的内容。")
        return redirect("archive:detail", pk=pk)
    data = {k: v for k, v in form.cleaned_data.items() if k != "item"}
    try:
        services.casefile_item_describe(acting_user=request.user, item=item, **data)
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"已注明第{item.position}件音像资料的情况。")
    return redirect("archive:detail", pk=pk)


@capability_required("archive.manage", methods=("POST",))
def volume(request, pk: int):
    case_file = selectors.casefile_for(viewer=request.user, pk=pk, purpose="另立新卷")
    form = VolumeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请写明另立新卷的理由。")
        return redirect("archive:detail", pk=pk)
    try:
        new = services.casefile_new_volume(acting_user=request.user, matter=case_file.matter, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
        return redirect("archive:detail", pk=pk)
    messages.success(request, f"已另立第{new.volume}卷。")
    return redirect("archive:detail", pk=new.pk)


# --- holds and disposal --------------------------------------------------------------------------------


@capability_required("archive.view_holds", methods=("GET",))
def holds(request):
    return render(request, "archive/holds.html", {"holds": selectors.hold_list(viewer=request.user)[:200]})


@capability_required("archive.hold", refusal=selectors.REFUSALS["archive.hold"])
def hold_new(request):
    """登记保全. The case file is picked (查找, then select; 查找 redraws the form, saving nothing)."""
    post = request.POST if request.method == "POST" else None
    posted = (post or {}).get("case_file", "")
    picked = [int(posted)] if posted.isascii() and posted.isdigit() and len(posted) < 10 else []
    query = (post or {}).get("case_file_q", "")[:100]
    case_files = selectors.casefile_hold_choices(viewer=request.user, query=query, picked=picked)
    if post is not None and "find" in post:
        form = HoldForm(initial={k: post.get(k) for k in HoldForm.base_fields}, case_files=case_files)
    else:
        form = HoldForm(post, case_files=case_files)
    if post is not None and "find" not in post:
        try:
            # the posted id through the selector first: another agency's is refused and logged
            case_file = selectors.casefile_for_hold(viewer=request.user, pk=picked[0]) if picked else None
            if form.is_valid():
                data = form.cleaned_data
                services.hold_place(acting_user=request.user, agency=request.user.agency, kind=data["kind"],
                                    reference=data["reference"], case_file=case_file)
                messages.success(request, "已登记保全：解除前该案卷不得销毁。")
                return redirect("archive:holds")
        except (ValidationError, PermissionDenied) as exc:
            form_refusal(form, exc)
    return render(request, "archive/hold_new.html", {"form": form})


@capability_required("archive.hold", methods=("POST",))
def hold_release(request, pk: int):
    hold = selectors.hold_for(viewer=request.user, pk=pk)
    form = ReleaseForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("解除保全须写明理由。")
        services.hold_release(acting_user=request.user, hold=hold, reason=form.cleaned_data["reason"])
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(request, "保全已解除。")
    return redirect("archive:holds")


def _expired_choices(viewer):
    today = timezone.localdate()
    files = selectors.casefile_list(viewer=viewer, state="sealed").filter(
        retention_permanent=False, retain_until__lt=today
    )
    return [(str(f.pk), f"{f.code} {f.title}（保管至{f.retain_until}）") for f in files[:500]]


@capability_required("archive.view", methods=("GET",))
def disposals(request):
    context = {
        "disposals": selectors.disposal_list(viewer=request.user)[:100],
        "form": DisposalForm(choices=_expired_choices(request.user)),
        "decide_form": DecideForm(),
    }
    return render(request, "archive/disposals.html", context)


@capability_required("archive.manage", methods=("POST",))
def disposal_new(request):
    form = DisposalForm(request.POST, choices=_expired_choices(request.user))
    # Any sealed file may be put forward; the service names why one may not be destroyed.
    form.fields["case_files"].choices = [
        (str(f.pk), f.code) for f in selectors.casefile_list(viewer=request.user).exclude(state="open")
    ]
    if not form.is_valid():
        messages.error(request, "请选择案卷并填写鉴定意见。")
        return redirect("archive:disposals")
    files = selectors.casefile_list(viewer=request.user).filter(pk__in=form.cleaned_data["case_files"])
    try:
        d = services.disposal_propose(acting_user=request.user, case_files=files, reason=form.cleaned_data["reason"])
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"销毁清册 {d.pk} 已提交局领导审批。")
    return redirect("archive:disposals")


@capability_required("archive.approve_disposal", methods=("POST",))
def disposal_decide(request, pk: int):
    disposal = selectors.disposal_list(viewer=request.user).filter(pk=pk).first()
    if disposal is None:
        raise Http404("没有这个销毁清册。")
    form = DecideForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("请选择审批意见。")
        decided = services.disposal_decide(acting_user=request.user, disposal=disposal,
                                           approve=form.cleaned_data["approve"] == "yes", note=form.cleaned_data["note"])
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"已审批。{decided.removal_status}")
    return redirect("archive:disposals")


# --- 一企一档 ---------------------------------------------------------------------------------------------


@capability_required("enterprises.view", methods=("GET",))
def enterprise(request, pk: int):
    party = _party(request, pk)
    collections = list(selectors.collection_list(viewer=request.user, party=party))
    # the page shows the collected records' names and resolution: a read of their metadata, logged
    record_list_logged(viewer=request.user, records=[i.record for c in collections for i in c.items.all()],
                       purpose="查看一企一档")
    context = {
        "party": party,
        "collections": collections,
        "form": CollectionForm(),
        "return_form": ReturnForm(),
        "now": timezone.now(),
    }
    return render(request, "archive/enterprise.html", context)


@capability_required("archive.collect", methods=("POST",))
def collection_new(request, pk: int):
    party = _party(request, pk)
    form = CollectionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请填写事项名称、内容概述、采集时间并选择文件。")
        return redirect("archive:enterprise", pk=pk)
    data = form.cleaned_data
    upload = data.pop("file")
    try:
        with uploads.delivered_file(upload) as path:
            services.collection_create(acting_user=request.user, party=party, files=[(path, upload.name)], **data)
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(request, "已采集归档。")
    return redirect("archive:enterprise", pk=pk)


@capability_required("archive.collect", methods=("POST",))
def collection_return(request, pk: int, collection: int):
    party = _party(request, pk)
    found = selectors.collection_list(viewer=request.user, party=party).filter(pk=collection).first()
    if found is None:
        raise Http404("没有这次采集。")
    form = ReturnForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("请填写返还时间。")
        services.collection_return_originals(acting_user=request.user, collection=found, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(request, "已登记原始资料返还。")
    return redirect("archive:enterprise", pk=pk)


@capability_required("archive.view", methods=("GET",))
def enterprise_zip(request, pk: int):
    """The enterprise file as a zip of the folder tree 企业名称/时间/事项 with the 明细表 at its root."""
    party = _party(request, pk)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "export"
        enterprise_export(viewer=request.user, party=party, out=root)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(root).as_posix())
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=f"一企一档-{party.name}.zip")


# --- carriers --------------------------------------------------------------------------------------------


@capability_required("archive.view", methods=("GET",))
def carriers(request):
    return render(request, "archive/carriers.html",
                  {"carriers": selectors.carrier_list(viewer=request.user)[:500], "custody_form": CustodyForm()})


CARRIER_PARTIES_SHOWN = 30  # enterprises a search offers at once; the picked one stays offered besides


@capability_required("archive.manage", refusal=selectors.REFUSALS["archive.manage"])
def carrier_new(request):
    """登记存储载体. The enterprise and the case files it holds are picked (查找, then select or tick;
    查找 saves nothing); its 保管期限 follows those case files (services.carrier_retention)."""
    post = request.POST if request.method == "POST" else None
    posted = (post or {}).get("party", "")
    picked = int(posted) if posted.isascii() and posted.isdigit() and len(posted) < 10 else None
    found = enterprise_list(viewer=request.user, query=(post or {}).get("party_q", "")[:100])
    parties = list(enterprise_list(viewer=request.user).filter(pk=picked)) if picked else []
    parties += [p for p in found[:CARRIER_PARTIES_SHOWN] if p.pk != picked]
    ticked = [v for v in (post.getlist("case_files") if post is not None else [])]
    file_ids = list(dict.fromkeys(int(v) for v in ticked if v.isascii() and v.isdigit() and len(v) < 10))
    case_files = selectors.casefile_carrier_choices(
        viewer=request.user, query=(post or {}).get("case_files_q", "")[:100], picked=file_ids
    )
    if post is not None and "find" in post:
        initial = {k: post.get(k) for k in CarrierForm.base_fields}
        initial["case_files"] = file_ids
        form = CarrierForm(initial=initial, parties=parties, case_files=case_files)
    else:
        form = CarrierForm(post, parties=parties, case_files=case_files)
    rule = agency_rules(request.user.agency).get("archive.retention")
    if post is not None and "find" not in post:
        try:
            if len(ticked) > selectors.CARRIER_PICKS_MAX:
                raise ValidationError(f"一个载体最多登记{selectors.CARRIER_PICKS_MAX}个案卷。")
            if len(file_ids) != len(ticked):
                raise ValidationError("所存案卷：请在列表中查找并勾选。")
            # the posted ids through the selectors first: what the viewer may not pick is refused and logged
            party = _party(request, picked) if picked else None
            held = [selectors.casefile_for_carrier(viewer=request.user, pk=pk) for pk in file_ids]
            if form.is_valid():
                data = {k: v for k, v in form.cleaned_data.items() if k not in CarrierForm.PICKERS}
                carrier = services.carrier_register(acting_user=request.user, party=party, case_files=held, **data)
                messages.success(request, f"载体 {carrier.number} 已登记，请打印标签贴于载体。")
                return redirect("archive:carrier_label", pk=carrier.pk)
        except (ValidationError, PermissionDenied) as exc:
            form_refusal(form, exc)
        except Http404 as exc:
            form_refusal(form, ValidationError(f"{exc}请在列表中查找并选择。"))
    return render(request, "archive/carrier_new.html", {"form": form, "retention_rule": rule})


@capability_required("archive.view", methods=("GET",))
def carrier_label(request, pk: int):
    carrier = selectors.carrier_for(viewer=request.user, pk=pk)
    context = {"c": carrier, "custody": carrier.custody.select_related("recorded_by"), "custody_form": CustodyForm(),
               # what the label must say, and where from, only where the agency's pack says it
               "label_rule": agency_rules(carrier.agency).get("archive.carrier_label_fields")}
    return render(request, "archive/label.html", context)


@capability_required("archive.manage", methods=("POST",))
def carrier_custody(request, pk: int):
    carrier = selectors.carrier_for(viewer=request.user, pk=pk)
    form = CustodyForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("请选择事项并填写保管人或借用人。")
        services.carrier_custody(acting_user=request.user, carrier=carrier, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(request, "已记录。")
    return redirect("archive:carrier_label", pk=pk)
