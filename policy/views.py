from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from org.permissions import can, capability_required
from policy import services
from policy.calendar import workday_calendar
from policy.forms import ArrangementForm, SupplementForm, WorkdaysForm
from policy.models import CalendarArrangement
from policy.packs import SUPPLEMENT, PackError
from policy.registry import GROUPS
from policy.selectors import packset, rule_histories, rules_for_viewer, supplement_list
from policy.usage import applied_sites
from zhifa.dates import parse_date
from zhifa.forms import form_refusal


@capability_required("policy.view")
def rules(request):
    try:
        on = parse_date(request.GET.get("on"), "查看日期", default=timezone.localdate())
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        on = timezone.localdate()
    pack_id = request.GET.get("pack") or None
    try:
        resolved = rules_for_viewer(viewer=request.user, on=on, pack_id=pack_id)
    except PackError:
        return render(request, "404.html", status=404)
    own = resolved.pack.id == request.user.agency.policy_pack
    history = rule_histories(resolved=resolved, agency=request.user.agency if own else None)
    sites = applied_sites()
    groups = []
    for code, title in GROUPS.items():
        items = [
            {"rule": r, "history": history.get(r.key, []), "sites": sites.get(r.key, [])}
            for r in resolved
            if r.key.split(".", 1)[0] == code
        ]
        if items:
            groups.append({"code": code, "title": title, "items": items})
    manage = own and can(request.user, "policy.manage_supplements")
    context = {
        "resolved": resolved,
        "pack": resolved.pack,
        "chain": resolved.chain,
        "pack_titles": {p.id: p.title for p in resolved.chain} | {SUPPLEMENT: "本单位补充规定"},
        "supplement": SUPPLEMENT,
        "groups": groups,
        "on": on,
        "supplements": supplement_list(viewer=request.user) if own else [],
        "supplement_form": SupplementForm() if manage else None,
        "all_packs": [packset().packs[i] for i in packset().ids]
        if can(request.user, "policy.view_all_packs")
        else None,
    }
    return render(request, "policy/rules.html", context)


@capability_required("policy.manage_supplements", methods=("GET", "POST"))
def supplement_new(request):
    form = SupplementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            supplement = services.supplement_adopt(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(
                request,
                f"已录入补充规定（{supplement.document_number}），自{supplement.effective_from:%Y年%-m月%-d日}起适用。",
            )
            return redirect(f"{reverse('policy:rules')}#rule-{supplement.key}")
    return render(
        request, "zhifa/form_page.html", {"form": form, "heading": "录入本单位补充规定", "submit": "录入"}
    )


@capability_required("calendar.view")
def calendar(request):
    cal = workday_calendar()
    today = timezone.localdate()
    years = []
    for year in range(today.year - 1, today.year + 3):
        holidays = sorted(
            (
                info
                for info in (
                    cal.day(date.fromordinal(o))
                    for o in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1)
                )
                if info.name
            ),
            key=lambda info: info.date,
        )
        years.append({"year": year, "source": cal.year_source(year), "days": holidays})
    form = WorkdaysForm(request.GET or None)
    result = None
    if request.GET and form.is_valid():
        result = cal.deadline(form.cleaned_data["start"], form.cleaned_data["days"], "working_days")
    context = {
        "years": years,
        "form": form,
        "result": result,
        "arrangements": CalendarArrangement.objects.select_related("entered_by").order_by("-id")[:20],
        "arrangement_form": ArrangementForm(initial={"year": today.year + 1})
        if can(request.user, "calendar.manage")
        else None,
    }
    return render(request, "policy/calendar.html", context)


@capability_required("calendar.manage")
def arrangement_new(request):
    form = ArrangementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            arrangement = services.arrangement_enter(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, f"已录入{arrangement.year}年节假日安排，相关期限已重新计算。")
            return redirect("policy:calendar")
    return render(
        request, "zhifa/form_page.html", {"form": form, "heading": "录入节假日安排", "submit": "录入"}
    )
