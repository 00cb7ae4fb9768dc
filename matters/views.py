"""Pages of matters: the officer's workbench, the list, opening one, the matter page with its
timeline and the form of each step it may take now. Views are thin: the services decide."""

from contextlib import ExitStack, suppress
from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from matters import gates, selectors, services
from matters.choices import MatterKind, ServiceMethod
from matters.forms import (
    MajorForm,
    MatterOpenForm,
    ReceiptForm,
    ServeForm,
    ServiceAddressForm,
    SignatureForm,
    TransitionForm,
    linkable_records,
    requirement_labels,
)
from matters.instrument_types import TYPES
from matters.models import Instrument
from matters.workflows import WORKFLOWS, workflow_for
from org.choices import Role
from org.permissions import can, capability_required, who_acts
from records import selectors as record_selectors
from records import uploads
from zhifa.forms import form_refusal

MAJOR_ROLES = (Role.LEGAL_REVIEWER, Role.SECTION_CHIEF, Role.LEADER)


def matter_url(matter) -> str:
    return reverse("matters:detail", kwargs={"pk": matter.pk})


@capability_required("matters.view")
def workbench(request):
    rows = selectors.workbench(viewer=request.user)
    return render(
        request,
        "matters/workbench.html",
        {"rows": rows, "overdue": sum(1 for r in rows if r.overdue)},
    )


def _state_choices():
    seen = {}
    for wf in WORKFLOWS.values():
        for s in wf.states:
            seen.setdefault(s.code, s.label)
    return [("open", "办理中（未结案）"), *seen.items()]


@capability_required("matters.view")
def matter_list(request):
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    query = request.GET.get("q", "").strip()
    matters = selectors.matter_list(viewer=request.user, kind=kind, state=state, query=query)
    page = Paginator(matters, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "matters/list.html",
        {
            "page": page,
            "kind": kind,
            "state": state,
            "query": query,
            "kinds": MatterKind.choices,
            "states": _state_choices(),
        },
    )


@capability_required("matters.act")
def matter_new(request):
    form = MatterOpenForm(request.POST or None, agency=request.user.agency)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            matter = services.matter_open(
                acting_user=request.user,
                kind=data["kind"],
                procedure=data["procedure"],
                title=data["title"],
                party=data["party"],
                officers=list(data["officers"]),
                facts=data["facts"],
                confidentiality=data["confidentiality"],
            )
        except (ValidationError, PermissionDenied) as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, f"已登记执法事项：{matter.title}。")
            return redirect("matters:detail", pk=matter.pk)
    return render(request, "zhifa/form_page.html", {"form": form, "heading": "登记执法事项", "submit": "登记"})


def _matter(request, pk, purpose="查看执法事项", read=True):
    try:
        return selectors.matter_for(viewer=request.user, pk=pk, purpose=purpose, read=read)
    except Http404:
        return None


def _service_requirements(matter):
    rows = []
    for method, label in ServiceMethod.choices:
        codes, rule = services.service_requirements(matter, method)
        rows.append(
            {
                "method": method,
                "label": label,
                "requires": requirement_labels(codes),
                "citation": rule.cited("、"),
            }
        )
    return rows


def _transition_panels(request, matter, bound: TransitionForm | None = None):
    panels = []
    for t in selectors.available_transitions(matter):
        allowed, denied = can(request.user, t.capability), ""
        if allowed:
            # Who may take this step on this matter (its officers, the section's chief; an approval the
            # pack sends up to the 局主要负责人): the panel says so, with no form to be refused.
            try:
                services.matter_may_act(acting_user=request.user, matter=matter, transition=t.code)
            except PermissionDenied as refusal:
                allowed, denied = False, str(refusal.args[0] if refusal.args else refusal)
        form = None
        if allowed:
            form = bound if bound is not None and bound.transition.code == t.code else None
            form = form or TransitionForm(transition=t, matter=matter, viewer=request.user)
        av = _av_panel(matter, t.code)
        panels.append(
            {
                "transition": t,
                "form": form,
                "allowed": allowed,
                "instrument": TYPES[t.instrument].title if t.instrument else "",
                "av": av,
                "who": who_acts(t.capability),
                "denied": denied,
                "blocked": gates.refusals(matter, t.code),
                "serve_later": services.service_deferrable(t),
            }
        )
    return panels


def _av_panel(matter, code: str) -> dict | None:
    """What the agency's recording list asks of a step, in words for its panel."""
    rows, rule = services.av_requirements(matter, code)
    rows = rows or [r for r in (rule.value if rule else []) if r["matter_kind"] == matter.kind and r["step"] == code]
    if not rows:
        return None
    from records.choices import RecordKind

    row = rows[0]
    conditions = []
    if any(r.get("when") == "disputed" for r in rows):
        conditions.append("可能引发争议的须记录，请登记是否可能引发争议")
    methods = sorted({m for r in rows for m in r.get("service_methods", ())})
    if methods:
        from matters.choices import ServiceMethod

        conditions.append("以" + "、".join(ServiceMethod(m).label for m in methods) + "方式送达的须记录")
    media = services.av_media(services.agency_rules(matter.agency), rows)
    return {
        "item": "；".join(dict.fromkeys(r["item"] for r in rows)),
        "rows": "、".join(dict.fromkeys(r["row"] for r in rows if r.get("row"))),
        "span": f"自{row['start']}至{row['end']}" if row.get("start") and row.get("end") else "",
        "conditions": "；".join(conditions),
        "media": "、".join(RecordKind(m).label for m in media),
        "citation": rule.cited("、"),
    }


SERVICE_DETAIL_LABELS = {
    "signer": "签收人",
    "refusal_reason": "拒收事由",
    "witness": "见证人",
    "reason": "委托、转交原因",
    "failed_methods": "其他方式无法送达的情况",
    "medium": "公告载体",
    "tracking_number": "邮件号码",
    "late_reason": "补录原因",
}


def _data_rows(transition, data: dict) -> list[tuple[str, str]]:
    fields = {f.name: f for f in transition.fields} if transition else {}
    rows = []
    for key, value in data.items():
        f = fields.get(key)
        if f is not None and f.choices:
            names = dict(f.choices)
            values = value if isinstance(value, list) else [value]
            value = "、".join(names.get(v, v) for v in values)
        elif isinstance(value, list):
            value = "、".join(map(str, value))
        elif f is not None and f.kind == "datetime" and value:
            with suppress(TypeError, ValueError):
                value = f"{timezone.localtime(datetime.fromisoformat(value)):%Y-%m-%d %H:%M}"
        rows.append((f.label if f else key, value))
    return rows


def _decorate(instrument) -> None:
    """The vault files of a 文书, with the version a download asks for (reads are logged there)."""
    instrument.files = []
    for label, record in (("DOCX", instrument.docx), ("PDF", instrument.pdf)):
        if record is not None:
            version = record.current_version
            instrument.files.append({"label": label, "record": record, "number": version.number if version else 1})
    services = list(instrument.services.all())
    for service in services:
        service.rows = [
            (SERVICE_DETAIL_LABELS.get(k, k), v) for k, v in service.details.items() if k in SERVICE_DETAIL_LABELS
        ]
        service.pending = service.receipt_id is None and bool(service.details.get("pending"))
    kind = TYPES.get(instrument.type)
    instrument.awaits_service = bool(kind and kind.served and instrument.matter_id) and not services


def _mark_unreadable_records(viewer, steps, loose) -> list:
    """Linked records show their title only to those who may read them (another section's or a
    涉密 record shows its number alone). Returns the records whose titles are shown."""
    linked = [r for step in steps for r in step.linked]
    linked += [r for i in [*loose, *(i for s in steps for i in s.instruments.all())] for sv in i.services.all()
               for r in sv.records.all()]
    if not linked:
        return []
    readable = set()
    if can(viewer, "records.view"):
        readable = set(
            record_selectors.record_list(viewer=viewer)
            .filter(pk__in={r.pk for r in linked})
            .values_list("pk", flat=True)
        )
    for r in linked:
        r.hidden = r.pk not in readable
    return [r for r in linked if not r.hidden]


def _detail(request, matter, *, bound=None, refusal=None, status=200):
    workflow = workflow_for(matter.kind, matter.procedure)
    steps = list(selectors.matter_steps(matter))
    for step in steps:
        step.rows = _data_rows(workflow.transition(step.transition), step.data)
        files = set()
        for instrument in step.instruments.all():
            _decorate(instrument)
            files |= {instrument.docx_id, instrument.pdf_id}
        # The step's own 文书 files are shown with the 文书; the rest are the evidence it links.
        step.linked = [r for r in step.records.all() if r.pk not in files]
    loose = list(
        Instrument.objects.filter(matter=matter, step__isnull=True)
        .select_related("docx", "pdf")
        .prefetch_related("signatures", "services__records")
    )
    for instrument in loose:
        _decorate(instrument)
    shown = _mark_unreadable_records(request.user, steps, loose)
    to_sign = [i for step in steps for i in step.instruments.all() if i.party_signs]
    to_sign += [i for i in loose if i.party_signs]
    panels = _transition_panels(request, matter, bound)
    if any(p["form"] is not None for p in panels):
        shown += list(linkable_records(request.user, matter))  # offered in the steps' forms
    # The page shows these records' titles: one logged read of their metadata.
    unique = list({r.pk: r for r in shown}.values())
    record_selectors.record_list_logged(viewer=request.user, records=unique, purpose="执法事项页面")
    context = {
        "matter": matter,
        "workflow": workflow,
        "state": workflow.state(matter.state),
        "steps": steps,
        "loose_instruments": loose,
        "deadlines": selectors.matter_deadlines(matter),
        "panels": panels,
        "service_requirements": _service_requirements(matter),
        "to_sign": to_sign,
        "signature_form": SignatureForm(),
        "can_act": can(request.user, "matters.act"),
        "can_mark_major": request.user.has_role(*MAJOR_ROLES) and not matter.major,
        "major_form": MajorForm(),
        "refusal": refusal,
        "notices": gates.notices(matter, request.user),
        "refused_code": bound.transition.code if bound is not None else "",
        "later_links": gates.links(matter, request.user) if matter.closed_at else [],
        # each hazard's page is where the party's report and its own re-inspection are recorded
        "hazards": list(matter.hazards.order_by("pk")),
    }
    return render(request, "matters/detail.html", context, status=status)


@capability_required("matters.view")
def matter_detail(request, pk: int):
    matter = _matter(request, pk)
    if matter is None:
        return render(request, "404.html", status=404)
    return _detail(request, matter)


def _shown_again(request, matter, exc, label: str) -> None:
    """A step that was not taken shows the matter again: a refused one is logged as denied (never
    as a view), one sent back for its input as a view of the page."""
    if isinstance(exc, PermissionDenied):
        selectors.matter_refused(viewer=request.user, matter=matter, reason=f"办理“{label}”被拒绝：{exc}")
    else:
        selectors.matter_read_logged(viewer=request.user, matter=matter, purpose=f"办理“{label}”未通过校验")


@capability_required("matters.view", methods=("POST",))
def matter_transition(request, pk: int, code: str):
    matter = _matter(request, pk, purpose="办理环节", read=False)
    if matter is None:
        return render(request, "404.html", status=404)
    t = workflow_for(matter.kind, matter.procedure).transition(code)
    if t is None:
        messages.error(request, f"该执法事项没有“{code}”这一环节。")
        return redirect("matters:detail", pk=pk)
    try:
        services.matter_may_act(acting_user=request.user, matter=matter, transition=t.code)
    except PermissionDenied as exc:
        _shown_again(request, matter, exc, t.label)
        return _detail(request, matter, refusal=[str(exc)], status=403)
    form = TransitionForm(request.POST, transition=t, matter=matter, viewer=request.user)
    if form.is_valid():
        try:
            step = services.matter_transition(
                acting_user=request.user, matter=matter, transition=t.code, **form.call_kwargs()
            )
        except (ValidationError, PermissionDenied) as exc:
            refusal = form_refusal(form, exc)
            status = 403 if isinstance(exc, PermissionDenied) else 400
            _shown_again(request, matter, exc, t.label)
            matter.refresh_from_db()
            return _detail(request, matter, bound=form, refusal=refusal, status=status)
        issued = ", ".join(i.number or i.title for i in step.instruments.all())
        messages.success(request, f"已办理“{step.label}”。" + (f"已制作文书：{issued}。" if issued else ""))
        return redirect(f"{matter_url(matter)}#step-{step.pk}")
    _shown_again(request, matter, None, t.label)
    problems = [
        f"{form.fields[name].label}：{'；'.join(errors)}" if name in form.fields else "；".join(errors)
        for name, errors in form.errors.items()
    ]
    return _detail(request, matter, bound=form, refusal=problems or ["请检查填写的内容。"], status=400)


@capability_required("matters.act", methods=("POST",))
def instrument_sign(request, pk: int, instrument: int):
    from matters.instruments import signature_record

    matter = _matter(request, pk, purpose="登记文书签名", read=False)
    if matter is None:
        return render(request, "404.html", status=404)
    target = Instrument.objects.filter(pk=instrument, matter=matter).first()
    if target is None:
        return render(request, "404.html", status=404)
    form = SignatureForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "签名登记：请填写姓名和日期。")
        return redirect(f"{matter_url(matter)}#instrument-{target.pk}")
    data = dict(form.cleaned_data)
    scan = data.pop("scan")
    try:
        if scan is not None:
            with uploads.delivered_file(scan) as path:
                signature_record(instrument=target, scan_path=path, acting_user=request.user, **data)
        else:
            signature_record(instrument=target, scan_path=None, acting_user=request.user, **data)
    except (ValidationError, PermissionDenied) as exc:
        if isinstance(exc, PermissionDenied):
            selectors.matter_refused(viewer=request.user, matter=matter, reason=f"登记文书签名被拒绝：{exc}")
        found = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        messages.error(request, "；".join(found))
    else:
        what = "拒绝签名" if data["refused"] else "签名"
        messages.success(request, f"已登记{data['name']}在{target.title}上的{what}。")
    return redirect(f"{matter_url(matter)}#instrument-{target.pk}")


@capability_required("matters.view", methods=("POST",))
def matter_mark_major(request, pk: int):
    matter = _matter(request, pk, purpose="认定重大案件", read=False)
    if matter is None:
        return render(request, "404.html", status=404)
    form = MajorForm(request.POST)
    if not form.is_valid():
        messages.error(request, "认定重大案件须说明理由。")
        return redirect("matters:detail", pk=pk)
    try:
        services.matter_mark_major(acting_user=request.user, matter=matter, reason=form.cleaned_data["reason"])
    except (ValidationError, PermissionDenied) as exc:
        if isinstance(exc, PermissionDenied):
            selectors.matter_refused(viewer=request.user, matter=matter, reason=f"认定重大案件被拒绝：{exc}")
        found = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        messages.error(request, "；".join(found))
    else:
        messages.success(request, "已认定为重大案件：作出决定前须经集体讨论和法制审核。")
    return redirect("matters:detail", pk=pk)


# --- service of an issued 文书 (送达), the receipt afterwards, the 送达地址确认书 -------------------------


def _serve_page(request, matter, instrument, *, form=None, receipt_form=None, address_form=None, refusal=None,
                status=200):
    from matters.serving import instrument_awaits_service, matter_may_serve, requirement_rows

    denied = ""
    try:
        matter_may_serve(acting_user=request.user, matter=matter)
    except PermissionDenied as exc:
        denied = str(exc.args[0] if exc.args else exc)
    service = instrument.services.select_related("receipt", "address").prefetch_related("records").first()
    kind = TYPES.get(instrument.type)
    context = {
        "matter": matter,
        "instrument": instrument,
        "served_kind": bool(kind and kind.served),
        "awaits": instrument_awaits_service(instrument),
        "service": service,
        "service_rows": [(SERVICE_DETAIL_LABELS.get(k, k), v) for k, v in service.details.items()
                         if k in SERVICE_DETAIL_LABELS] if service else [],
        "pending": requirement_labels(service.details.get("pending", [])) if service else [],
        "form": form or ServeForm(matter=matter, viewer=request.user,
                                  initial={"recipient": matter.party.name if matter.party else ""}),
        "receipt_form": receipt_form or ReceiptForm(matter=matter, viewer=request.user),
        "address_form": address_form or ServiceAddressForm(
            matter=matter, viewer=request.user, initial={"recipient": matter.party.name if matter.party else ""}
        ),
        "addresses": selectors.matter_service_addresses(matter),
        "requirements": requirement_rows(matter),
        "refusal": refusal,
        "denied": denied,
    }
    shown = [] if denied else (
        list(context["form"].fields["receipt"].queryset) + list(context["form"].fields["av"].queryset)
    )
    if service is not None:
        shown += list(service.records.all())
    record_selectors.record_list_logged(viewer=request.user, records=shown, purpose="登记文书送达页面")
    return render(request, "matters/serve.html", context, status=status)


def _serve_target(request, pk: int, instrument: int, purpose: str, read: bool):
    matter = _matter(request, pk, purpose=purpose, read=read)
    if matter is None:
        return None, None
    return matter, Instrument.objects.filter(pk=instrument, matter=matter).first()


def _refused_here(request, matter, exc, what: str) -> list[str]:
    if isinstance(exc, PermissionDenied):
        selectors.matter_refused(viewer=request.user, matter=matter, reason=f"{what}被拒绝：{exc}")
    else:
        selectors.matter_read_logged(viewer=request.user, matter=matter, purpose=f"{what}未通过校验")
    return exc.messages if isinstance(exc, ValidationError) else [str(exc)]


def _serve_uploads(files, form, instrument) -> dict:
    """The 电子送达 proofs uploaded with the form (the sending system's record, the arrival receipt),
    as files the service files in its own transaction once every check passed."""
    from matters.forms import SERVE_UPLOADS
    from matters.services import ProofUpload

    found = {}
    for name in SERVE_UPLOADS:
        upload = form.cleaned_data.get(f"{name}_file")
        if upload is not None:
            label = form.fields[name].label.split("：")[-1]
            path = files.enter_context(uploads.delivered_file(upload))
            found[name] = ProofUpload(path=path, original_name=upload.name,
                                      title=f"{instrument.title}{instrument.number}{label}")
    return found


@capability_required("matters.act", methods=("GET", "POST"))
def instrument_serve(request, pk: int, instrument: int):
    """登记送达 of one issued 文书: the form, the pack's requirements, the 送达地址确认书 and, once served,
    补充送达回证."""
    from matters.serving import instrument_serve as serve

    matter, target = _serve_target(request, pk, instrument, "登记文书送达", read=request.method == "GET")
    if matter is None or target is None:
        return render(request, "404.html", status=404)
    if request.method == "GET":
        return _serve_page(request, matter, target)
    form = ServeForm(request.POST, request.FILES, matter=matter, viewer=request.user)
    if not form.is_valid():
        selectors.matter_read_logged(viewer=request.user, matter=matter, purpose="登记文书送达未通过校验")
        problems = [f"{form.fields[n].label}：{'；'.join(e)}" if n in form.fields else "；".join(e)
                    for n, e in form.errors.items()]
        return _serve_page(request, matter, target, form=form, refusal=problems, status=400)
    try:
        service = form.service_input()
        with ExitStack() as files:
            service.uploads = _serve_uploads(files, form, target)
            serve(acting_user=request.user, instrument=target, service=service,
                  late_reason=form.cleaned_data.get("late_reason") or "")
    except (ValidationError, PermissionDenied) as exc:
        refusal = _refused_here(request, matter, exc, "登记文书送达")
        status = 403 if isinstance(exc, PermissionDenied) else 400
        return _serve_page(request, matter, target, form=form, refusal=refusal, status=status)
    messages.success(request, f"已登记《{target.title}》{target.number}的送达。")
    return redirect(f"{matter_url(matter)}#instrument-{target.pk}")


@capability_required("matters.act", methods=("POST",))
def instrument_receipt(request, pk: int, instrument: int):
    """补充送达回证: a scan picked among this matter's unused ones, or uploaded now."""
    from matters.services import ProofUpload
    from matters.serving import service_receipt_add

    matter, target = _serve_target(request, pk, instrument, "补充送达回证", read=False)
    if matter is None or target is None:
        return render(request, "404.html", status=404)
    form = ReceiptForm(request.POST, request.FILES, matter=matter, viewer=request.user)
    back = reverse("matters:serve", kwargs={"pk": matter.pk, "instrument": target.pk})
    if not form.is_valid():
        messages.error(request, "补充送达回证：请选择本案未使用的扫描件或上传扫描件。")
        return redirect(back)
    try:
        with ExitStack() as files:
            upload = form.cleaned_data.get("scan")
            if upload is not None:
                upload = ProofUpload(path=files.enter_context(uploads.delivered_file(upload)),
                                     original_name=upload.name, title=f"{target.title}{target.number}送达回证")
            service_receipt_add(acting_user=request.user, instrument=target, receipt=form.cleaned_data.get("receipt"),
                                upload=upload)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(_refused_here(request, matter, exc, "补充送达回证")))
        return redirect(back)
    messages.success(request, f"已补充《{target.title}》{target.number}的送达回证。")
    return redirect(back)


@capability_required("matters.act", methods=("POST",))
def service_address_new(request, pk: int):
    """登记送达地址确认书 (the form is on a 文书's service page, which the POST returns to)."""
    from matters.services import ProofUpload
    from matters.serving import service_address_record

    matter = _matter(request, pk, purpose="登记送达地址确认书", read=False)
    if matter is None:
        return render(request, "404.html", status=404)
    back = matter_url(matter)
    raw = request.POST.get("instrument", "")
    target = Instrument.objects.filter(pk=int(raw), matter=matter).first() if raw.isdigit() and len(raw) < 12 else None
    if target is not None:
        back = reverse("matters:serve", kwargs={"pk": matter.pk, "instrument": target.pk})
    form = ServiceAddressForm(request.POST, request.FILES, matter=matter, viewer=request.user)
    if not form.is_valid():
        messages.error(request, "送达地址确认书：请填写受送达人和签署日期。")
        return redirect(back)
    data = dict(form.cleaned_data)
    upload, scan = data.pop("scan"), data.pop("scan_record")
    try:
        with ExitStack() as files:
            if upload is not None:
                upload = ProofUpload(path=files.enter_context(uploads.delivered_file(upload)),
                                     original_name=upload.name, title="送达地址确认书")
            service_address_record(acting_user=request.user, matter=matter, scan=scan, upload=upload, **data)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(_refused_here(request, matter, exc, "登记送达地址确认书")))
        return redirect(back)
    messages.success(request, "已登记送达地址确认书。")
    return redirect(back)
