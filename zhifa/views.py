from datetime import timedelta

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from org.permissions import can, capability_required
from org.queues import queues_for
from zhifa.selectors import deadline_month, home_summary, month_from


def home(request):
    """The workbench; a supervising body's staff (no agency) land on their own pages instead."""
    if request.method == "GET" and getattr(request.user, "supervising_body_id", None):
        return redirect("supervision:body_home")
    return _staff_home(request)


@capability_required("home.view")
def _staff_home(request):
    context = {"summary": home_summary(viewer=request.user), "queues": queues_for(request.user)}
    if can(request.user, "matters.view"):
        from matters.selectors import workbench

        rows = workbench(viewer=request.user)
        # Each row's link, worked out here once: the list and the calendar show up to a month of rows.
        detail = reverse("matters:detail", kwargs={"pk": 0}).removesuffix("0/")
        for row in rows:
            row.url = f"{detail}{row.matter.pk}/"
        context["matter_rows"] = rows[:8]
        context["matter_due"] = len(rows)
        context["matter_overdue"] = sum(1 for r in rows if r.overdue)
        month = month_from(request.GET.get("month", ""), timezone.localdate())
        context["month"] = month
        context["month_prev"] = (month - timedelta(days=1)).strftime("%Y-%m")
        context["month_next"] = (month + timedelta(days=31)).replace(day=1).strftime("%Y-%m")
        context["month_weeks"] = deadline_month(rows=rows, month=month)
    if can(request.user, "archive.manage"):
        from archive.selectors import casefile_queue

        queue = casefile_queue(viewer=request.user)
        context["archive"] = {"due": len(queue), "overdue": sum(1 for r in queue if r.overdue)}
    return render(request, "zhifa/home.html", context)


home.capability, home.methods = _staff_home.capability, _staff_home.methods


def forbidden(request, exception=None):
    """Refusals say why, in Chinese, and that nothing was changed; a capability refusal
    (org.permissions.CapabilityDenied) also says who acts and what to do next, and was logged."""
    message = str(exception) if exception and str(exception) else "您没有权限执行此操作。"
    # A refusal may name its own page and what it offers next (records: a 调阅 request).
    template, extra = getattr(exception, "template", "403.html"), getattr(exception, "context", {})
    return render(request, template, {"exception": message, **extra}, status=403)
