"""Pages of 执法监督: findings, the statistics with their charts, the XLSX export. Thin."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from org.permissions import can, capability_required
from supervision import selectors, services
from supervision.charts import bar_chart, table
from supervision.export import statistics_xlsx
from supervision.forms import (
    ChallengeDecideForm,
    ChallengeForm,
    PreferenceForm,
    ServiceProofForm,
    StatisticsForm,
    posted_ids,
    posted_query,
)
from supervision.statistics import MONTHS


@capability_required("supervision.view", methods=("GET",))
def findings(request):
    open_only = request.GET.get("all") != "1"
    rows = selectors.finding_list(viewer=request.user, open_only=open_only)[:500]
    basis = selectors.supervision_basis(agency=request.user.agency)
    return render(request, "supervision/findings.html", {"rows": rows, "open_only": open_only, "basis": basis})


@capability_required("supervision.view", methods=("GET",))
def finding(request, pk: int):
    f = selectors.finding_for(viewer=request.user, pk=pk)
    return render(request, "supervision/finding.html", {"f": f, "events": f.events.all()})


@capability_required("supervision.scan", methods=("POST",))
def scan(request):
    selectors.finding_list(viewer=request.user)  # the same scope check as the page
    r = services.findings_scan(agency=request.user.agency, acting_user=request.user)
    messages.success(request, f"合规扫描完成：新发现 {r.opened} 项，已纠正 {r.closed} 项，未纠正 {r.open} 项。")
    return redirect("supervision:findings")


def _stats(request):
    form = StatisticsForm(request.GET or None, agency=request.user.agency)
    year, section = timezone.localdate().year, None
    if form.is_valid():
        year = form.cleaned_data["year"] or year
        section = form.cleaned_data["section"].pk if form.cleaned_data["section"] else None
    return form, selectors.statistics_for(viewer=request.user, year=year, section_id=section)


@capability_required("supervision.view", methods=("GET",))
def statistics(request):
    form, stats = _stats(request)
    labels = [f"{m}月" for m in MONTHS]
    charts = []
    for fig in stats.figures:
        series = [(s.name, fig.by_month(s.pk)) for s in stats.sections]
        rated = fig.totals is not None
        pct = (lambda r: None if r is None else f"{r}%")  # noqa: E731
        head = ["科室", *labels, f"合计（{fig.unit}）", *([fig.rate_label] if rated else [])]
        rows = [[name, *values, fig.cell(section=s.pk), *([pct(fig.rate(section=s.pk))] if rated else [])]
                for s, (name, values) in zip(stats.sections, series, strict=True)]
        foot = ["全部", *fig.by_month(), fig.cell(), *([pct(fig.rate())] if rated else [])]
        charts.append({
            "fig": fig,
            "svg": bar_chart(title=fig.title, labels=labels, series=series, unit=fig.unit),
            "table": table(head=head, rows=rows, foot=foot),
            "rate": fig.rate() if rated else None,
        })
    articles = stats.findings_by_article
    article_chart = bar_chart(
        title="监督发现按条款", labels=[a[0] for a in articles[:12]], series=[("发现", [a[2] for a in articles[:12]])],
        unit="项",
    ) if articles else None
    weak = stats.weak_links[:12]
    weak_chart = bar_chart(
        title="薄弱环节", labels=[w[1][:8] for w in weak], series=[("次数", [w[2] for w in weak])], unit="次",
    ) if weak else None
    officer_figures = [f for f in stats.figures if f.officers]
    officer_rows = [
        (o.name or o.username, [(f.officers.get(o.pk, 0), f.officer_rate(o.pk)) for f in officer_figures])
        for o in stats.officers
    ]
    context = {"form": form, "stats": stats, "charts": charts, "months": labels, "article_chart": article_chart,
               "weak_chart": weak_chart, "report": stats.report(), "officer_figures": officer_figures,
               "officer_rows": officer_rows}
    return render(request, "supervision/statistics.html", context)


@capability_required("supervision.view", methods=("GET",))
def statistics_export(request):
    _, stats = _stats(request)
    response = HttpResponse(
        statistics_xlsx(stats), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="statistics-{stats.year}.xlsx"'
    return response


@capability_required("supervision.remind")
def reminders(request):
    """我的提醒: what is due or overdue for me, and what I choose to receive."""
    pref = selectors.preference_for(viewer=request.user)
    form = PreferenceForm(request.POST or None, instance=pref)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.preference_set(acting_user=request.user, **form.cleaned_data)
            except ValidationError as e:
                messages.error(request, f"提醒设置未保存：{'；'.join(e.messages)}")
            else:
                messages.success(request, "提醒设置已保存。")
                return redirect("supervision:reminders")
        else:
            messages.error(request, "提醒设置未保存：请检查所填内容。")
    return _reminders_page(request, form)


def _reminders_page(request, form, *, searched: ServiceProofForm | None = None):
    """我的提醒 with a 补充送达凭证 form per finding; `searched` stands for its finding's form after 查找."""
    rows = selectors.reminder_list(viewer=request.user)
    findings = list(selectors.service_proof_findings(viewer=request.user)[:50])
    others = [f for f in findings if searched is None or searched.initial.get("finding") != f.pk]
    choices = selectors.service_proof_choices(viewer=request.user, agency=request.user.agency) if others else {}
    proofs = [(f, ServiceProofForm(initial={"finding": f.pk}, choices=choices) if f in others else searched)
              for f in findings]
    return render(request, "supervision/reminders.html", {"rows": rows, "form": form, "proofs": proofs})


@capability_required("matters.act", methods=("POST",))
def service_proof(request):
    """Add the missing proof of a service named by one of the viewer's findings; the finding closes
    at once when nothing is missing any more. The receipt and the recording are picked (查找 redraws
    the page with what was filled in, saving nothing); each posted id goes through the records
    selector, so one out of the viewer's sight is refused and logged."""
    from matters.models import Service
    from matters.services import service_proof_add

    post = request.POST
    finding = selectors.service_proof_finding_for(viewer=request.user, pk=(posted_ids(post, "finding") or [0])[0])
    picked = {name: posted_ids(post, name)[:1] for name in ("receipt", "av")}
    if "find" in post:
        choices = selectors.service_proof_choices(
            viewer=request.user, agency=request.user.agency, picked=picked,
            queries={name: posted_query(post, f"{name}_q") for name in ("receipt", "av")},
        )
        initial = {name: post.get(name) for name in ServiceProofForm.base_fields if name in post}
        searched = ServiceProofForm(initial={**initial, "finding": finding.pk}, choices=choices)
        return _reminders_page(request, PreferenceForm(instance=selectors.preference_for(viewer=request.user)),
                               searched=searched)
    form = ServiceProofForm(post, choices={})
    try:
        records = {name: selectors.records_picked(viewer=request.user, ids=ids, purpose="补充送达凭证")
                   for name, ids in picked.items()}
        if not form.is_valid():
            raise ValidationError("请在列表中选择记录，文字不超过500字。")
        data = form.data_for_service() | {name: (found[0] if found else None) for name, found in records.items()}
        service = Service.objects.select_related("instrument__matter").get(pk=int(finding.subject.split(":")[1]))
        service_proof_add(acting_user=request.user, service=service, **data)
        if services.finding_recheck_service(finding=finding, acting_user=request.user):
            messages.success(request, "送达凭证已补充，该问题已纠正。")
        else:
            messages.warning(request, "已补充；该次送达仍缺少材料，请继续补充。")
    except ValidationError as e:
        messages.error(request, f"未补充：{'；'.join(e.messages)}")
    except PermissionDenied as e:
        messages.error(request, f"未补充：{e}")
    return redirect("supervision:reminders")


@capability_required("supervision.view", methods=("GET",))
def challenges(request):
    """行政复议、诉讼: the register of the viewer's scope, with forms for those who keep it."""
    rows = list(selectors.challenge_list(viewer=request.user)[:500])
    pending = [(c, ChallengeDecideForm(initial={"challenge": c.pk})) for c in rows if c.result == "pending"]
    context = {"rows": rows, "form": ChallengeForm(matters=selectors.challengeable_matters(viewer=request.user)),
               "pending": pending,
               "can_act": can(request.user, "supervision.challenge")}
    return render(request, "supervision/challenges.html", context)


@capability_required("supervision.challenge", methods=("POST",))
def challenge_act(request):
    """Register a 复议 or 诉讼 (the matter resolved through the viewer's selector), or record a result."""
    from matters.selectors import matter_for

    try:
        if request.POST.get("action") == "decide":
            form = ChallengeDecideForm(request.POST)
            if not form.is_valid():
                raise ValidationError("请选择结果，并填写审结日期和文书文号。")
            c = selectors.challenge_for(viewer=request.user, pk=form.cleaned_data["challenge"])
            services.challenge_decide(acting_user=request.user, challenge=c, result=form.cleaned_data["result"],
                                      decided_on=form.cleaned_data["decided_on"], document=form.cleaned_data["document"])
            messages.success(request, "审结结果已登记。")
        else:
            form = ChallengeForm(request.POST)
            if not form.is_valid():
                raise ValidationError("请填写执法事项编号、类别、复议机关或人民法院和日期。")
            matter = matter_for(viewer=request.user, pk=form.cleaned_data["matter"], read=False,
                                purpose="登记行政复议、诉讼")
            services.challenge_register(acting_user=request.user, matter=matter, kind=form.cleaned_data["kind"],
                                        body=form.cleaned_data["body"], filed_on=form.cleaned_data["filed_on"])
            messages.success(request, "行政复议、诉讼已登记。")
    except ValidationError as e:
        messages.error(request, f"未登记：{'；'.join(e.messages)}")
    return redirect("supervision:challenges")
