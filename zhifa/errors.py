"""Error answers people and programs can read: Chinese pages outside development, JSON under /api/.

Django's own pages (the English debug page, its plain "Bad Request (400)") are never what a user of
the product sees: the URL configuration names these handlers, and RequestBoundsMiddleware refuses
oversized requests before any view reads them.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.template.loader import get_template

from utilities.bounds import TEXT_LINE

API_PREFIX = "/api/"
QUERY_STRING_MAX = 8192  # bytes of the whole query string
MULTIPART_OVERHEAD = 2**20  # the form fields and boundaries sent with the largest file


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def answer(request, status: int, title: str, message: str):
    """One refusal or failure: JSON {"detail"} for the API, the Chinese page otherwise."""
    if is_api(request):
        return JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})
    return render(request, "error.html", {"title": title, "message": message, "status": status}, status=status)


def max_body_size() -> int:
    """The largest request body: one file of ZHIFA_MAX_FILE_SIZE and its form fields."""
    return settings.ZHIFA_MAX_FILE_SIZE + MULTIPART_OVERHEAD


def bad_request(request, exception=None):
    return answer(request, 400, "请求有误", "请求格式不正确或内容超出限制，本次操作未作任何更改。请检查后重试。")


def forbidden(request, exception=None):
    """Refusals say why, in Chinese, and that nothing was changed (the page: zhifa.views.forbidden)."""
    if is_api(request):
        message = str(exception) if exception and str(exception) else "您没有权限执行此操作。"
        return JsonResponse({"detail": message}, status=403, json_dumps_params={"ensure_ascii": False})
    from zhifa.views import forbidden as page

    return page(request, exception)


def not_found(request, exception=None):
    return answer(request, 404, "页面不存在", "您访问的页面或记录不存在，或不属于本单位。请检查地址，或从工作台进入。")


def server_error(request):
    from zhifa.outages import outage_message, outage_page

    if message := outage_message():  # the database or the object store is down: a 503 that says so
        if is_api(request):
            return JsonResponse({"detail": message}, status=503, json_dumps_params={"ensure_ascii": False})
        return HttpResponse(outage_page(message), status=503)
    if is_api(request):
        return JsonResponse(
            {"detail": "服务器内部错误，本次操作未完成。请稍后重试；如仍出错，请联系系统管理员。"},
            status=500,
            json_dumps_params={"ensure_ascii": False},
        )
    # No request context: whatever failed may be what a context processor needs.
    return HttpResponse(get_template("500.html").render({}), status=500)


class RequestBoundsMiddleware:
    """Refuse, before any view reads it, a body larger than the file limit allows (413) and a
    query string or query parameter longer than any form sends (400); in Chinese."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return answer(request, 400, "请求有误", "请求头 Content-Length 不是有效的数字。")
        limit = max_body_size()
        if length > limit:
            return answer(
                request,
                413,
                "文件过大",
                f"请求内容为 {filesizeformat(length)}，超过系统上限 {filesizeformat(limit)}"
                f"（单个文件最大 {filesizeformat(settings.ZHIFA_MAX_FILE_SIZE)}），未作任何更改。"
                "大文件请使用可续传上传或记录仪接入导入。",
            )
        query = request.META.get("QUERY_STRING", "")
        values = [v for _, listed in request.GET.lists() for v in listed] if len(query) <= QUERY_STRING_MAX else []
        if len(query) > QUERY_STRING_MAX or any(len(v) > TEXT_LINE for v in values):
            return answer(
                request, 400, "查询条件过长", f"查询条件过长：每项最多 {TEXT_LINE} 个字，请缩短后重试。"
            )
        if any("\x00" in v for v in values):  # PostgreSQL cannot even compare such a text
            return answer(request, 400, "请求有误", "查询条件含有不可见的控制字符（NUL），请删除后重试。")
        return self.get_response(request)


def waitress_limits() -> dict:
    """Options for waitress that agree with the limits above, and its own 413 in Chinese.

    Waitress answers a Content-Length over its cap itself, before the application runs, with an
    English text; its cap is set just above max_body_size(), so the application's limit is the one
    that holds, and the error waitress still writes (a chunked body past the cap) is put in Chinese.
    """
    import json

    from waitress import parser
    from waitress.utilities import RequestEntityTooLarge

    limit = max_body_size()

    class ChineseRequestEntityTooLarge(RequestEntityTooLarge):
        def to_response(self, ident=None):
            detail = (
                f"请求内容超过系统上限 {filesizeformat(limit)}"
                f"（单个文件最大 {filesizeformat(settings.ZHIFA_MAX_FILE_SIZE)}），未作任何更改。"
                "大文件请使用可续传上传或记录仪接入导入。"
            )
            body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
            return f"{self.code} {self.reason}", [("Content-Type", "application/json; charset=utf-8")], body

    parser.RequestEntityTooLarge = ChineseRequestEntityTooLarge
    return {"max_request_body_size": limit + 1}


def csrf_failure(request, reason=""):
    """Django's CSRF refusal, in Chinese (its own page is English)."""
    return answer(
        request,
        403,
        "页面已过期",
        "表单已过期或来源无法核实，本次操作未作任何更改。请刷新页面后重新提交。",
    )
