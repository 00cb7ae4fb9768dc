from django.shortcuts import render

from org.permissions import can, capability_required
from zhifa.selectors import home_summary


@capability_required("home.view")
def home(request):
    context = {"summary": home_summary(viewer=request.user)}
    if can(request.user, "matters.view"):
        from matters.selectors import workbench

        rows = workbench(viewer=request.user)
        context["matter_rows"] = rows[:8]
        context["matter_due"] = len(rows)
        context["matter_overdue"] = sum(1 for r in rows if r.overdue)
    if can(request.user, "archive.manage"):
        from archive.selectors import casefile_queue

        queue = casefile_queue(viewer=request.user)
        context["archive"] = {"due": len(queue), "overdue": sum(1 for r in queue if r.overdue)}
    return render(request, "zhifa/home.html", context)


def forbidden(request, exception=None):
    """Refusals say why, in Chinese, and that nothing was changed."""
    message = str(exception) if exception and str(exception) else "您没有权限执行此操作。"
    return render(request, "403.html", {"exception": message}, status=403)
