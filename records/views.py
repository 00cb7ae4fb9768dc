import json
import mimetypes
import re
import uuid
from functools import lru_cache

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q, prefetch_related_objects
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from equipment.models import Device
from ledger.refusals import refusal_record
from ledger.selectors import events_of
from org.permissions import capability_required
from policy.selectors import agency_rules
from records import selectors, services, uploads
from records.choices import Confidentiality, ExplanationKind, RecordKind
from records.forms import CorrectionForm, DownloadForm, ExemptionForm, ExplanationForm, FieldReturnForm
from records.models import DuplicateDelivery, Exemption, Interruption
from records.ranges import ranged_response
from records.templatetags.records_tags import event_label, event_summary
from zhifa.forms import form_refusal


@capability_required("records.view")
def record_list(request):
    query = request.GET.get("q", "")
    records = selectors.record_list(viewer=request.user, query=query).prefetch_related("versions")
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    # The page shows each record's title, section and files: a read of their metadata.
    selectors.record_list_logged(viewer=request.user, records=list(page), purpose="记录列表页")
    return render(request, "records/list.html", {"page": page, "query": query})


@capability_required("records.file")
def upload(request):
    devices = Device.objects.filter(
        agency_id=request.user.agency_id, section_id=request.user.section_id
    ).order_by("serial")
    return render(
        request,
        "records/upload.html",
        {"devices": devices, "kinds": RecordKind.choices, "confidentiality": Confidentiality.choices},
    )


def _record_or_404(request, pk, purpose="查看记录详情"):
    try:
        return selectors.record_view(viewer=request.user, pk=pk, purpose=purpose)
    except Http404:
        return None


@capability_required("records.view")
def record_detail(request, pk: int):
    record = _record_or_404(request, pk)
    if record is None:
        return render(request, "404.html", status=404)
    # Whether a version has other names or an open interruption comes with its row: most have
    # neither, and then the page reads no more for them.
    open_gap = Interruption.objects.filter(Q(before=OuterRef("pk")) | Q(after=OuterRef("pk")), cleared_by__isnull=True)
    versions = list(
        record.versions.select_related("filed_by", "supersedes", "superseded_by")
        .annotate(
            has_duplicates=Exists(DuplicateDelivery.objects.filter(version=OuterRef("pk"))),
            interrupted=Exists(open_gap),
        )
        .order_by("number")
    )
    prefetch_related_objects(
        [v for v in versions if v.has_duplicates], "duplicates__device", "duplicates__delivered_by"
    )
    # Explanations show under a version's compliance findings only.
    prefetch_related_objects([v for v in versions if v.findings], "explanations__written_by")
    interruptions = (
        Interruption.objects.filter(Q(before__record=record) | Q(after__record=record), cleared_by__isnull=True)
        if any(v.interrupted for v in versions)
        else Interruption.objects.none()
    )
    current = next((v for v in reversed(versions) if not hasattr(v, "superseded_by")), versions[-1])
    destroyed = selectors.record_destruction(record=record)
    case = selectors.record_case(record=record)
    history, earlier = _history(record, request.GET.get("history") == "all")
    context = {
        "destroyed": destroyed,
        "record": record,
        "case": case,
        "retention": selectors.record_retention(record=record, version=current, in_case=bool(case)),
        "player": "" if destroyed and current.sha256 in destroyed["removed"] else _player(record, current),
        "playback": uuid.uuid4().hex,
        "already_stored": _already_stored(versions, request.GET.get("delivered", "")),
        "versions": versions,
        "current": current,
        "interruptions": interruptions.select_related("device", "before", "after").prefetch_related(
            "explanations__written_by"
        ),
        "events": (rows := _history_rows(record, history)),
        "history_html": _history_html(rows),
        "earlier_events": earlier,
        "blank": _blank_forms(translation.get_language()),
    }
    return render(request, "records/detail.html", context)


@lru_cache(maxsize=8)
def _blank_forms(language: str | None) -> dict[str, str]:
    """The page's empty forms as HTML, rendered once per process and language (a label's suffix is
    translated): they hold nothing of the record or the viewer, and rendering their widgets through
    the form templates on every read cost about a tenth of the page."""
    download, correction, explanation = DownloadForm(), CorrectionForm(), ExplanationForm()
    return {
        "purpose_label": download["purpose"].label_tag(),
        "purpose": str(download["purpose"]),
        "correction": correction.as_p(),
        "explanation_label": explanation["text"].label_tag(),
        "explanation": str(explanation["text"]),
    }


HISTORY_SHOWN = 100  # a record read every day gathers thousands of read events over its retention


def _history(record, everything: bool) -> tuple[list, int]:
    """The record's ledger history for its page, oldest first: the newest HISTORY_SHOWN events,
    and how many earlier ones are left out (`everything`: all of them, none left out)."""
    events = events_of(record)
    if everything:
        return list(events), 0
    newest = list(events.reverse()[: HISTORY_SHOWN + 1])
    if len(newest) <= HISTORY_SHOWN:
        return newest[::-1], 0
    return newest[:HISTORY_SHOWN][::-1], events.count() - HISTORY_SHOWN


def _history_rows(record, events) -> list[dict]:
    """The history table's cells, worked out once per row here: up to HISTORY_SHOWN rows, where
    template lookups, filters and a URL reversal per cell cost more than the rest of the page."""
    proof = reverse("records:proof", kwargs={"pk": record.pk, "index": 0}).removesuffix("0/proof/")
    return [
        {
            "index": e.index if e.integrated else None,
            "at": timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            "label": event_label(e.kind),
            "actor": (e.actor.name if e.actor_id else "") or "系统",
            "summary": event_summary(e.data),
            "proof": f"{proof}{e.index}/proof/" if e.integrated else "",
        }
        for e in events
    ]


HISTORY_ROW = (
    '<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="muted">{}</td>\n<td>{}</td></tr>'
)
NOT_YET = mark_safe('<span class="muted">入账后可取</span>')


def _history_html(rows: list[dict]) -> str:
    """The history table's rows as HTML (each cell escaped): up to HISTORY_SHOWN rows, where a
    template loop's lookups and conditions per cell cost several times this."""
    return format_html_join(
        "",
        HISTORY_ROW,
        (
            (
                format_html("#{}", r["index"]) if r["proof"] else "待入账",
                r["at"],
                r["label"],
                r["actor"],
                r["summary"],
                format_html('<a href="{}">证明包</a>', r["proof"]) if r["proof"] else NOT_YET,
            )
            for r in rows
        ),
    )


def _already_stored(versions, delivered: str) -> dict | None:
    """A second upload of stored bytes lands on the record page with the name it came under: the
    page says the file was already stored, and whether the new name was kept."""
    if not delivered:
        return None
    for v in versions:
        if v.has_duplicates and any(d.name == delivered for d in v.duplicates.all()):
            return {"name": delivered, "version": v, "kept": True}
    for v in versions:
        if v.original_name == delivered:
            return {"name": delivered, "version": v, "kept": False}
    return None


def _player(record, version) -> str:
    """Which element plays the file in the page: video, audio, or none."""
    if not version.readable or record.kind not in (RecordKind.VIDEO, RecordKind.AUDIO):
        return ""
    return "video" if record.kind == RecordKind.VIDEO else "audio"


PLAYBACK = re.compile(r"^[0-9a-f]{32}$")


@capability_required("records.view")
def version_media(request, pk: int, number: int):
    """The file for the page's player, with range requests. Reads are logged once per playback:
    the page gives each showing of the player an id, and the first request of an id in this
    session writes one `record.play` event; the player's further range requests do not. A request
    without a valid id is logged on its own."""
    playback = request.GET.get("p", "")
    played = request.session.get("records.played", [])
    key = f"{pk}:{number}:{playback}"
    # Without the page's playback id (a link opened directly), every request is a logged read.
    valid = bool(PLAYBACK.match(playback))
    first = not valid or key not in played
    playback = playback if valid else ""
    version, stream = selectors.version_play(
        viewer=request.user, record_pk=pk, number=number, playback=playback, first=first
    )
    if first and valid:
        request.session["records.played"] = [*played, key][-100:]
    content_type = mimetypes.guess_type(version.original_name)[0] or "application/octet-stream"
    return ranged_response(request, stream, size=version.size, content_type=content_type)


@capability_required("records.view")
def event_proof(request, pk: int, index: int):
    """The proof bundle of one ledger event as a page in Chinese, with the bundle to download and
    how to check it offline. Each showing and each download is a logged read of the record."""
    download = request.GET.get("download") == "1"
    try:
        record, event, bundle = selectors.record_proof(
            viewer=request.user, pk=pk, index=index, purpose=f"{'下载' if download else '查看'}第 {index} 号事件的证明包"
        )
    except Http404 as exc:
        return render(request, "404.html", {"exception": str(exc)}, status=404)
    body = json.dumps(bundle, ensure_ascii=False, indent=2)
    if download:
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="proof-{record.pk}-{event.index}.json"'
        return response
    checkpoint = bundle["checkpoint"].splitlines()
    context = {
        "record": record,
        "event": event,
        "bundle": bundle,
        "tree_size": checkpoint[1] if len(checkpoint) > 1 else "",
        "root": checkpoint[2] if len(checkpoint) > 2 else "",
        "origin": checkpoint[0] if checkpoint else "",
        "path_length": len(bundle["inclusion_proof"]),
    }
    return render(request, "records/proof.html", context)


@capability_required("records.view", methods=("POST",))
def version_download(request, pk: int, number: int):
    form = DownloadForm(request.POST)
    if not form.is_valid():
        selectors.record_for(viewer=request.user, pk=pk)  # a refusal comes before the missing purpose
        messages.error(request, "下载记录须填写用途。")
        return redirect("records:detail", pk=pk)
    version, stream = selectors.version_download(
        viewer=request.user, record_pk=pk, number=number, purpose=form.cleaned_data["purpose"]
    )
    return FileResponse(stream, as_attachment=True, filename=version.original_name.replace("／", "_"))


@capability_required("records.file", methods=("POST",))
def record_correct(request, pk: int):
    record = selectors.record_for(viewer=request.user, pk=pk)
    form = CorrectionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择更正后的文件并填写理由。")
        return redirect("records:detail", pk=pk)
    upload = form.cleaned_data["file"]
    try:
        with uploads.delivered_file(upload) as path:
            version = services.record_correct(
                acting_user=request.user,
                record=record,
                path=path,
                original_name=upload.name,
                reason=form.cleaned_data["reason"],
            )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已保存更正版本（第{version.number}版），原版本仍可查阅。")
    return redirect("records:detail", pk=pk)


@capability_required("records.file", methods=("POST",))
def explanation_add(request, pk: int):
    record = selectors.record_for(viewer=request.user, pk=pk)
    form = ExplanationForm(request.POST)
    kind = request.POST.get("kind", "")
    target_version = record.versions.filter(number=request.POST.get("version") or 0).first()
    interruption = Interruption.objects.filter(
        Q(before__record=record) | Q(after__record=record), pk=request.POST.get("interruption") or 0
    ).first()
    if not form.is_valid():
        messages.error(request, "请写明具体原因（不少于5个字）。")
        return redirect("records:detail", pk=pk)
    try:
        services.explanation_add(
            acting_user=request.user,
            text=form.cleaned_data["text"],
            version=target_version,
            interruption=interruption,
            kind=kind or ExplanationKind.LATE_FILING,
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "书面说明已保存。")
    return redirect("records:detail", pk=pk)


@capability_required("records.file")
def exemptions(request):
    rules = agency_rules(request.user.agency)
    reasons = rules.value("av.exemption_reasons", default=[])
    form = ExemptionForm(
        request.POST or None,
        reasons=reasons,
        initial={"occurred_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            exemption = services.exemption_record(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, f"已记录并报告{exemption.reported_to.name}。")
            return redirect("records:exemptions")
    mine = Exemption.objects.filter(agency_id=request.user.agency_id).filter(
        created_by=request.user
    ) | Exemption.objects.filter(reported_to=request.user)
    rule = rules.rules.get("av.exemption_reasons")
    return render(
        request,
        "records/exemptions.html",
        {
            "form": form,
            "exemptions": mine.distinct().select_related("created_by", "reported_to"),
            "rule": rule,
        },
    )


@capability_required("records.file", methods=("POST",))
def exemption_acknowledge(request, pk: int):
    exemption = selectors.exemption_for(viewer=request.user, pk=pk)
    try:
        services.exemption_acknowledge(acting_user=request.user, exemption=exemption)
    except PermissionDenied as exc:
        refusal_record(subject=exemption, acting_user=request.user, reason=str(exc))
        raise
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已确认知悉。")
    return redirect("records:exemptions")


@capability_required("records.file")
def field_returns(request):
    """返回单位登记: the officer records coming back from continuous, remote or out-of-town work; the
    recordings made while away are due from the return (000 执法音像记录管理制度第十四条; 003 附件3第六条)."""
    form = FieldReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.field_return_record(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, "已登记返回单位时间，外出期间的音像记录自返回时起算存储期限。")
            return redirect("records:returns")
    rules = agency_rules(request.user.agency)
    return render(
        request,
        "records/returns.html",
        {
            "form": form,
            "returns": selectors.field_return_list(viewer=request.user)[:100],
            "rule": rules.get("av.ingest_deadline_after_return"),
        },
    )
