"""Pages of field work: the portal pages a 检查码 and a 文书's QR code open (public), and the
officer's page that shows an inspection's 检查码."""

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods

from field import hooks, qr, selectors, services
from field.forms import ArrivalForm, CheckForm, RatingForm
from field.models import InspectionCode, InstrumentCheck
from matters.choices import MatterKind
from matters.selectors import matter_for
from org.permissions import capability_required, public
from zhifa.forms import form_refusal


@public
@require_http_methods(["GET", "POST"])
def visit(request, token: str):
    """What the enterprise sees when it scans the 检查码; after the inspection it may rate it once."""
    try:
        code = selectors.inspection_code_by_token(token=token)
    except InspectionCode.DoesNotExist:
        raise Http404("检查码不正确：请核对执法人员出示的检查码，或向该执法机关核实。") from None
    form = RatingForm(request.POST) if request.method == "POST" else RatingForm()
    if request.method == "POST":
        if form.is_valid():
            try:
                services.inspection_rate(
                    code=code, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
                )
            except ValidationError as exc:
                form_refusal(form, exc)
            else:
                messages.success(request, "评价已提交，感谢您的反馈。评价将报送执法监督机构。")
                return redirect("field_public:visit", token=token)
    else:
        services.inspection_code_viewed(code=code)
    return render(request, "field/visit.html", {"v": selectors.inspection_public(code), "form": form})


@public
@require_http_methods(["GET", "POST"])
def check(request, token: str):
    """A 文书's verification page: it exists, who issued it, and whether a copy is the one issued."""
    try:
        found = selectors.instrument_check_by_token(token=token)
    except InstrumentCheck.DoesNotExist:
        raise Http404("没有这份文书：核验码不正确，该二维码不是本平台制作的文书上的。") from None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if request.method == "POST" and length > services.CHECK_FILE_MAX + 2**20:
        # refused before the body is read: the public page hashes 文书 PDFs, not large files
        return HttpResponse(
            f"文件超过{services.CHECK_FILE_MAX // 2**20} MiB，不是本平台制作的文书PDF；请改为粘贴其SHA-256值。",
            status=413, content_type="text/plain; charset=utf-8",
        )
    form = CheckForm(request.POST, request.FILES) if request.method == "POST" else CheckForm()
    answer = None
    if request.method == "POST" and form.is_valid():
        try:
            presented = services.presented_hash(upload=form.cleaned_data["file"], pasted=form.cleaned_data["sha256"])
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            answer = services.instrument_check_record(check=found, sha256=presented)
    elif request.method == "GET":
        services.instrument_check_record(check=found, sha256=None)
    return render(
        request, "field/check.html", {"d": selectors.instrument_public(found), "form": form, "answer": answer}
    )


@capability_required("matters.view")
def code(request, pk: int):
    """The officer's page of an inspection's 检查码, to show the enterprise on site."""
    matter = matter_for(viewer=request.user, pk=pk, purpose="出示检查码")
    if matter.kind != MatterKind.INSPECTION:
        raise Http404("只有行政检查事项有检查码。")
    found = InspectionCode.objects.filter(matter=matter).first()
    if request.method == "POST":
        try:
            services.inspection_code_issue(matter=matter, acting_user=request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        return redirect("field:code", pk=matter.pk)
    url = hooks.visit_url(found.token) if found else ""
    return render(
        request,
        "field/code.html",
        {
            "matter": matter,
            "code": found,
            "url": url,
            "svg": qr.svg(url) if found else "",
            "frequency": selectors.inspection_frequency(matter=matter),
        },
    )


@capability_required("supervision.view", methods=("GET",))
def ratings(request):
    """The enterprises' ratings of inspections, for supervision (执法监督)."""
    return render(request, "field/ratings.html", {"ratings": selectors.rating_list(viewer=request.user)})


# --- the signed 文书 to the party: printed on site, or 电子送达 --------------------------------------------


@capability_required("matters.view", methods=("GET",))
@require_GET
def instrument_print(request, pk: int):
    """The signed 文书 for a portable printer (80 mm) or A4, through the browser's print; with the
    signatures and the QR code of its verification page, and 电子送达 where the party consented."""
    context = selectors.instrument_print(viewer=request.user, pk=pk, paper=request.GET.get("paper", "80"))
    context["arrival"] = ArrivalForm(initial={"arrived_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    return render(request, "field/print.html", context)


def _refused(request, instrument, exc) -> None:
    from matters.selectors import matter_read_logged, matter_refused

    if isinstance(exc, PermissionDenied):
        matter_refused(viewer=request.user, matter=instrument.matter, reason=f"电子送达被拒绝：{exc}")
    else:
        matter_read_logged(viewer=request.user, matter=instrument.matter, purpose="电子送达未通过校验")
    messages.error(request, "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))


@capability_required("matters.act", methods=("POST",))
@require_http_methods(["POST"])
def instrument_send(request, pk: int):
    """电子送达: send the 文书 to the e-mail address the party gave in its 送达地址确认书."""
    instrument = selectors.instrument_for(viewer=request.user, pk=pk)
    try:
        sent = services.instrument_send_electronic(instrument=instrument, acting_user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, instrument, exc)
    else:
        if sent["sent"]:
            messages.success(
                request,
                f"已发送至{sent['to']}。请受送达人在其手机上打开邮件，拍摄收到的邮件作为到达回执，并登记到达时间。",
            )
        else:  # the mail server refused or was not reached: the attempt is recorded, the message says what next
            messages.error(request, sent["message"])
    return redirect(f"{reverse('field:print', kwargs={'pk': instrument.pk})}?paper={request.GET.get('paper', '80')}")


@capability_required("matters.act", methods=("POST",))
@require_http_methods(["POST"])
def instrument_arrived(request, pk: int):
    """电子送达 recorded: the arrival photographed on the party's screen, with its time."""
    from records import uploads
    from records.models import Record

    instrument = selectors.instrument_for(viewer=request.user, pk=pk)
    form = ArrivalForm(request.POST, request.FILES)
    back = f"{reverse('field:print', kwargs={'pk': instrument.pk})}?paper={request.GET.get('paper', '80')}"
    if not form.is_valid():
        messages.error(request, "请拍摄到达回执并填写到达时间。")
        return redirect(back)
    sent = Record.objects.filter(pk=form.cleaned_data["sent_record"], agency_id=instrument.agency_id).first()
    try:
        with uploads.delivered_file(form.cleaned_data["photo"]) as path:
            services.instrument_serve_electronic(
                instrument=instrument, sent_record=sent, arrival_path=path,
                arrival_name=form.cleaned_data["photo"].name, served_at=form.cleaned_data["arrived_at"],
                acting_user=request.user,
            )
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, instrument, exc)
    else:
        messages.success(request, f"已登记《{instrument.title}》{instrument.number}的电子送达。")
    return redirect(back)


# --- the officer's installable app (PWA): every file served by zhifa ----------------------------------------

STATIC = Path(__file__).resolve().parent / "static" / "field"


@capability_required("matters.act", methods=("GET",))
@ensure_csrf_cookie
def app(request):
    """掌上执法: the day's tasks, the enterprise's file, the 检查表, hazards with photos, the on-site
    record and signature, kept on the phone and sent when the network is back."""
    return render(request, "field/app.html")


def _file(name: str, content_type: str, **headers) -> HttpResponse:
    response = HttpResponse((STATIC / name).read_bytes(), content_type=content_type)
    response["Cache-Control"] = "no-cache"
    for key, value in headers.items():
        response[key] = value
    return response


@public
@require_GET
def app_js(request):
    return _file("app.js", "text/javascript; charset=utf-8")


@public
@require_GET
def service_worker(request):
    return _file("sw.js", "text/javascript; charset=utf-8", **{"Service-Worker-Allowed": "/field/"})


@public
@require_GET
def icon_svg(request):
    return _file("icon.svg", "image/svg+xml")


@public
@require_GET
def icon_png(request):
    """The 192×192 icon some launchers need besides the SVG one, drawn here."""
    from io import BytesIO

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (192, 192), (29, 78, 216))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((36, 36, 156, 156), radius=18, outline=(255, 255, 255), width=10)
    draw.line((64, 100, 88, 124, 132, 72), fill=(255, 255, 255), width=12)
    out = BytesIO()
    image.save(out, format="PNG")
    response = HttpResponse(out.getvalue(), content_type="image/png")
    response["Cache-Control"] = "max-age=86400"
    return response


@public
@require_GET
def manifest(request):
    return JsonResponse(
        {
            "name": "掌上执法",
            "short_name": "掌上执法",
            "start_url": "/field/",
            "scope": "/field/",
            "display": "standalone",
            "background_color": "#f6f7f9",
            "theme_color": "#1d4ed8",
            "lang": "zh-CN",
            "icons": [
                {"src": "/field/icon.svg", "sizes": "any", "type": "image/svg+xml"},
                {"src": "/field/icon-192.png", "sizes": "192x192", "type": "image/png"},
            ],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )
