from django.shortcuts import render

from org.permissions import capability_required
from zhifa.selectors import home_summary


@capability_required("home.view")
def home(request):
    return render(request, "zhifa/home.html", {"summary": home_summary(viewer=request.user)})


def forbidden(request, exception=None):
    """Refusals say why, in Chinese, and that nothing was changed."""
    message = str(exception) if exception and str(exception) else "您没有权限执行此操作。"
    return render(request, "403.html", {"exception": message}, status=403)
