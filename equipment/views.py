from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from equipment import selectors, services
from equipment.forms import DeviceForm, IssueForm
from org.permissions import can, capability_required
from zhifa.forms import form_refusal


@capability_required("equipment.view")
def device_list(request):
    agency = request.user.agency
    shortfall, rule = selectors.equipment_shortfall(viewer=request.user)
    manage = can(request.user, "equipment.manage")
    form = DeviceForm(request.POST or None, agency=agency) if manage else None
    if request.method == "POST" and manage and form.is_valid():
        try:
            device = services.device_register(acting_user=request.user, agency=agency, **form.cleaned_data)
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, f"已登记 {device}。")
            return redirect("equipment:list")
    return render(
        request,
        "equipment/list.html",
        {
            "devices": selectors.device_list(viewer=request.user),
            "shortfall": [s for s in shortfall if s.missing],
            "rule": rule,
            "form": form,
            "issue_form": IssueForm(agency=agency) if manage else None,
        },
    )


@capability_required("equipment.manage", methods=("POST",))
def device_issue(request, pk: int):
    device = selectors.device_get(viewer=request.user, pk=pk)
    form = IssueForm(request.POST, agency=request.user.agency)
    try:
        if not form.is_valid():
            raise ValidationError("请选择领用人。")
        services.device_issue(acting_user=request.user, device=device, holder=form.cleaned_data["holder"])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"{device} 已发放给{form.cleaned_data['holder'].name}。")
    return redirect("equipment:list")


@capability_required("equipment.manage", methods=("POST",))
def device_return(request, pk: int):
    device = selectors.device_get(viewer=request.user, pk=pk)
    try:
        services.device_return(acting_user=request.user, device=device)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"{device} 已归还。")
    return redirect("equipment:list")
