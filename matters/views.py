"""Pages of matters: the officer's workbench, the list, opening one, the matter page with its
timeline and the form of each step it may take now. Views are thin: the services decide."""

from contextlib import suppress
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
    for m in page:
        m.state_label = workflow_for(m.kind, m.procedure).state(m.state).label
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
        allowed = can(request.user, t.capability)
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
                "blocked": gates.refusals(matter, t.code),
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
    for service in instrument.services.all():
        service.rows = [(SERVICE_DETAIL_LABELS.get(k, k), v) for k, v in service.details.items()]


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
