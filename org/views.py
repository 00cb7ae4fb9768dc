from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from org import selectors, services
from org.forms import CertificateForm, RolesForm, StaffForm
from org.models import Staff
from org.permissions import can, capability_required
from policy.selectors import packset
from zhifa.forms import form_refusal


@capability_required("org.view_agency")
def agency(request):
    viewer = request.user
    context = {
        "agency": selectors.agency_of(viewer=viewer),
        "sections": selectors.section_list(viewer=viewer),
        "today": timezone.localdate(),
        "pack": packset().packs.get(viewer.agency.policy_pack),
    }
    if can(viewer, "org.view_staff"):
        context["staff"] = selectors.staff_list(viewer=viewer)
    if can(viewer, "review.view"):
        from review.selectors import staffing

        context["review_staffing"] = staffing(agency=viewer.agency)
    return render(request, "org/agency.html", context)


@capability_required("home.view")
def staff_detail(request, pk: int):
    try:
        staff = selectors.staff_get(viewer=request.user, pk=pk)
    except (Staff.DoesNotExist, Http404):
        return render(request, "404.html", status=404)
    return render(
        request,
        "org/staff_detail.html",
        {
            "staff": staff,
            "today": timezone.localdate(),
            "roles_form": RolesForm(initial={"roles": sorted(staff.role_codes)}),
        },
    )


@capability_required("org.manage_staff")
def staff_new(request):
    agency = request.user.agency
    form = StaffForm(request.POST or None, agency=agency)
    if request.method == "POST" and form.is_valid():
        try:
            staff = services.staff_create(acting_user=request.user, agency=agency, **form.cleaned_data)
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, f"已登记人员：{staff.name}。")
            return redirect("org:staff_detail", pk=staff.pk)
    return render(request, "zhifa/form_page.html", {"form": form, "heading": "新增人员"})


@capability_required("org.manage_staff", methods=("POST",))
def staff_roles(request, pk: int):
    staff = selectors.staff_for(viewer=request.user, pk=pk)
    form = RolesForm(request.POST)
    if form.is_valid():
        try:
            services.staff_set_roles(acting_user=request.user, staff=staff, roles=form.cleaned_data["roles"])
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已更新{staff.name}的角色。")
    return redirect("org:staff_detail", pk=staff.pk)


@capability_required("org.manage_certificates")
def certificate_new(request, pk: int):
    staff = selectors.staff_for(viewer=request.user, pk=pk)
    form = CertificateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            certificate = services.certificate_issue(
                acting_user=request.user, staff=staff, **form.cleaned_data
            )
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, f"已登记执法证 {certificate.number}。")
            return redirect("org:staff_detail", pk=staff.pk)
    return render(request, "zhifa/form_page.html", {"form": form, "heading": f"为{staff.name}登记执法证"})
