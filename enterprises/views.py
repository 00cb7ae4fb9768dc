from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from enterprises import selectors, services
from enterprises.forms import EnterpriseForm
from enterprises.models import Enterprise
from org.permissions import capability_required
from zhifa.forms import form_refusal


@capability_required("enterprises.view")
def enterprise_list(request):
    query = request.GET.get("q", "")
    page = Paginator(selectors.enterprise_list(viewer=request.user, query=query), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "enterprises/list.html", {"page": page, "query": query})


@capability_required("enterprises.view")
def enterprise_detail(request, pk: int):
    try:
        enterprise = selectors.enterprise_get(viewer=request.user, pk=pk)
    except (Enterprise.DoesNotExist, Http404):
        return render(request, "404.html", status=404)
    return render(request, "enterprises/detail.html", {"e": enterprise})


@capability_required("enterprises.manage")
def enterprise_new(request):
    agency = request.user.agency
    form = EnterpriseForm(request.POST or None, agency=agency)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.enterprise_create(
                acting_user=request.user, agency=agency, **form.cleaned_data
            )
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, f"已登记：{enterprise.name}。")
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(request, "zhifa/form_page.html", {"form": form, "heading": "登记生产经营单位"})
