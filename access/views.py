"""Pages of access: requests (list, new, detail with its decision, sessions, copies, disc log,
posting and export), the session viewer, the register with its XLSX and PDF export, keep marks."""

import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from access import forms, rendering, selectors, services
from access import rules as access_rules
from access.choices import Action, RequesterKind, RequestState
from ledger.refusals import refusal_record
from matters.selectors import matter_for
from org.choices import Role
from org.permissions import can, capability_required
from records.models import Record, RecordVersion
from records.selectors import record_for
from zhifa.forms import form_refusal


@capability_required("access.request", methods=("GET",))
def request_list(request):
    qs = selectors.request_list(viewer=request.user, state=request.GET.get("state", ""))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "access/list.html", {"page": page, "states": RequestState.choices})


def _presented(form, folder: Path) -> list[services.Presented]:
    out = []
    for i in (1, 2, 3):
        kind, upload = form.cleaned_data.get(f"doc_kind_{i}"), form.cleaned_data.get(f"doc_file_{i}")
        if not upload:
            continue
        path = folder / f"doc-{i}"
        with path.open("wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        out.append(services.Presented(kind=kind or "", path=path, name=upload.name))
    return out


@capability_required("access.request")
def request_new(request):
    now = timezone.localtime()
    initial = {"period_start": now.strftime("%Y-%m-%dT%H:%M"),
               "period_end": (now + timezone.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")}
    carried = request.GET.get("record", "") if request.method == "GET" else ""
    carried_error = ""
    if carried:  # from a record's refusal page: checked like a typed number, nothing said about other agencies
        try:
            picked = [_record_in_agency(request.user, pk) for pk in forms.record_numbers(carried)]
        except ValidationError as exc:
            carried_error = "；".join(exc.messages)
        else:
            if picked:
                own = request.user.section_id == picked[0].section_id
                initial |= {"records": "，".join(str(r.pk) for r in picked), "action": Action.VIEW,
                            "requester_kind": RequesterKind.OWN_SECTION if own else RequesterKind.OTHER_SECTION}
    form = forms.RequestForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            records = [_record_in_agency(request.user, pk) for pk in d["records"]]
            matter = matter_for(viewer=request.user, pk=d["matter"], purpose="申请调阅") if d.get("matter") else None
            with tempfile.TemporaryDirectory() as folder:
                created = services.request_submit(
                    acting_user=request.user, requester_kind=d["requester_kind"], action=d["action"],
                    purpose=d["purpose"], records=records, matter=matter, period_start=d["period_start"],
                    period_end=d["period_end"], requester_name=d["requester_name"],
                    requester_org=d["requester_org"], requester_id_number=d["requester_id_number"],
                    proceedings=d["proceedings"], documents=_presented(form, Path(folder)),
                )
        except (ValidationError, PermissionDenied) as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, f"已登记调阅申请{created.number}（{created.get_state_display()}）。")
            return redirect("access:detail", pk=created.pk)
    return render(request, "access/new.html", {"form": form, "carried_error": carried_error})


def _record_in_agency(viewer, pk: int) -> Record:
    return selectors.record_to_request(viewer=viewer, pk=pk)


@capability_required("access.request", methods=("GET",))
def request_detail(request, pk: int):
    target = selectors.request_for(viewer=request.user, pk=pk)
    user = request.user
    approver = False
    try:
        services.check_approver(user, target)
        approver = target.state == RequestState.PENDING
    except PermissionDenied:
        pass
    manager = can(user, "access.manage")
    context = {
        "r": target,
        "records": target.records.select_related("section").order_by("pk"),
        "documents": target.documents.all(),
        "sessions": target.sessions.select_related("manager"),
        "open_session": selectors.open_session(target),
        "copies": target.copies.select_related("version__record", "maker"),
        "exports": target.exports.all(),
        "confidential": services.confidential_records(target),
        "approver_label": services.approver_label(target),
        "fee_note": services.fee_note(target.agency),
        "can_decide": approver,
        "can_manage": manager and target.state == RequestState.APPROVED,
        "can_copy": manager and target.state == RequestState.APPROVED and target.action == Action.COPY,
        "can_sign": can(user, "access.sign_disc_log") and target.action == Action.COPY
        and target.state == RequestState.APPROVED,
        "is_viewer": user.pk in (target.requester_staff_id,),
        "supervised": access_rules.value(target.agency, "access.supervised_viewing", False),
        "copy_maker": Role(access_rules.value(target.agency, "access.records_manager_role", Role.ARCHIVIST)).label,
        "decision_form": forms.DecisionForm(),
        "session_form": forms.SessionForm(),
        "close_form": forms.CloseForm(),
        "copy_form": forms.CopyForm(initial={"extracted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")},
                                    records=target.records.select_related("section").order_by("pk")),
        "disc_form": forms.DiscLogForm(),
        "post_form": forms.PostForm(),
    }
    return render(request, "access/detail.html", context)


def _act(request, pk: int, form_class, action):
    """Resolve the request through its selector, validate the form, run one service; a refusal is
    shown on the request's page and nothing changes."""
    target = selectors.request_for(viewer=request.user, pk=pk, log=False)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(m for errs in form.errors.values() for m in errs))
        return redirect("access:detail", pk=pk)
    try:
        done = action(target, form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, done)
    return redirect("access:detail", pk=pk)


@capability_required("access.approve", methods=("POST",))
def request_decide(request, pk: int):
    def act(target, d):
        done = services.request_decide(request=target, approve=d["approve"], note=d["note"], acting_user=request.user)
        return f"调阅申请{done.number}{done.get_state_display()}。"

    return _act(request, pk, forms.DecisionForm, act)


@capability_required("access.manage", methods=("POST",))
def session_open(request, pk: int):
    def act(target, d):
        session = services.session_open(request=target, manager=request.user, place=d["place"], acting_user=request.user)
        return f"调阅开始（{timezone.localtime(session.opened_at):%H:%M}），由{session.manager.name}陪同。"

    return _act(request, pk, forms.SessionForm, act)


@capability_required("access.manage", methods=("POST",))
def session_close(request, pk: int):
    session = selectors.session_for(viewer=request.user, pk=pk)

    def act(target, d):
        services.session_close(session=session, note=d["note"], acting_user=request.user)
        return "调阅已结束。"

    return _act(request, session.request_id, forms.CloseForm, act)


@capability_required("access.manage", methods=("POST",))
def copy_make(request, pk: int):
    def act(target, d):
        record = target.records.filter(pk=d["record"]).first()
        if record is None:
            # a record the request does not name (posted by hand): refused, and the refusal logged
            message = (f"记录#{d['record']}不在调阅申请{target.number}批准的范围内，不能复制：请在列表中选择；"
                       f"需要复制其他记录的，请另行提交调阅申请，经{services.approver_label(target)}批准后办理。")
            other = Record.objects.filter(pk=d["record"], agency_id=target.agency_id).first()
            if other is not None:
                refusal_record(subject=other, acting_user=request.user, reason=message)
            raise ValidationError(message)
        version = RecordVersion.objects.filter(record=record).order_by("-number").first()
        services.copy_make(request=target, version=version, medium=d["medium"], extractor=d["extractor"],
                           extracted_at=d["extracted_at"], proves=d["proves"], fee=d["fee"], acting_user=request.user)
        return f"已登记“{record.title}”的复制件。"

    return _act(request, pk, forms.CopyForm, act)


@capability_required("access.sign_disc_log", methods=("POST",))
def disc_log(request, pk: int):
    def act(target, d):
        names = [n.strip() for n in d["signers"].replace("，", ",").replace("、", ",").split(",")]
        services.disc_log_sign(request=target, place=d["place"], signers=names, acting_user=request.user)
        return "刻盘存储记录表已签字。"

    return _act(request, pk, forms.DiscLogForm, act)


@capability_required("access.manage", methods=("POST",))
def request_post(request, pk: int):
    def act(target, d):
        services.request_post(request=target, note=d["note"], acting_user=request.user)
        return "已登记寄送。"

    return _act(request, pk, forms.PostForm, act)


@capability_required("access.manage", methods=("POST",))
def loan(request, pk: int):
    def act(target, d):
        if d["returned"]:
            services.loan_return(request=target, note=d["note"], acting_user=request.user)
            return "已登记归还。"
        services.loan_out(request=target, acting_user=request.user)
        return "已登记借出。"

    return _act(request, pk, forms.LoanForm, act)


@capability_required("access.manage", methods=("POST",))
def request_export(request, pk: int):
    target = selectors.request_for(viewer=request.user, pk=pk, log=False)
    try:
        export, result = services.request_export(
            request=target, out_dir=Path(settings.DATA_DIR) / "exports", acting_user=request.user
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(
            request, f"已导出证据包{export.package_number}：{result.iso_path}（SHA-256 {export.iso_sha256}）。"
        )
    return redirect("access:detail", pk=pk)


@capability_required("access.request", methods=("GET",))
def session_record(request, pk: int, record: int):
    session = selectors.session_for(viewer=request.user, pk=pk)
    rec, version = selectors.session_view(viewer=request.user, session=session, record_pk=record)
    return render(request, "access/session_record.html", {"session": session, "record": rec, "version": version})


@capability_required("access.request", methods=("GET",))
def session_content(request, pk: int, record: int):
    """The file inline, for the viewer on the session page: never as an attachment (viewing only)."""
    session = selectors.session_for(viewer=request.user, pk=pk)
    version, stream = selectors.session_content(viewer=request.user, session=session, record_pk=record)
    response = FileResponse(stream, as_attachment=False, content_type=_content_type(version))
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "no-store"
    return response


def _content_type(version) -> str:
    import mimetypes

    return mimetypes.guess_type(version.original_name)[0] or "application/octet-stream"


@capability_required("access.register", methods=("GET",))
def register(request):
    form = forms.RegisterFilter(request.GET or None, kinds=selectors.REGISTER_KINDS)
    d = form.cleaned_data if form.is_valid() else {}
    lines = selectors.register_lines(
        viewer=request.user, kind=d.get("kind", ""), number=d.get("number", ""),
        since=d.get("since"), until=d.get("until"),
    )
    fmt = request.GET.get("format", "")
    selectors.register_read_log(viewer=request.user, fmt=fmt if fmt in ("xlsx", "pdf") else "html", filters=d)
    if fmt in ("xlsx", "pdf"):
        rows = rendering.register_rows(lines[:5000], selectors.REGISTER_KINDS)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"register.{fmt}"
            maker = rendering.register_xlsx if fmt == "xlsx" else rendering.register_pdf
            maker(rows, path, agency=request.user.agency.name)
            body = path.read_bytes()
        kind = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
                else "application/pdf")
        response = HttpResponse(body, content_type=kind)
        response["Content-Disposition"] = f'attachment; filename="register.{fmt}"'
        return response
    page = Paginator(lines.select_related("actor"), 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "access/register.html", {
        "form": form, "page": page, "labels": selectors.REGISTER_KINDS, "query": query.urlencode(),
    })


@capability_required("access.keep_mark", methods=("POST",))
def keep_mark(request, record: int):
    rec = record_for(viewer=request.user, pk=record)
    form = forms.KeepMarkForm(request.POST)
    if form.is_valid():
        try:
            services.keep_mark(record=rec, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"],
                               acting_user=request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已标记长期保存。")
    else:
        messages.error(request, "请选择长期保存情形。")
    return redirect("records:detail", pk=rec.pk)

