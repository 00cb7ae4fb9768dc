"""The statistics as an XLSX workbook: one sheet of monthly figures by section, and the tables."""

import io

from openpyxl import Workbook

from supervision.statistics import MONTHS, Statistics


def statistics_xlsx(stats: Statistics) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "按月统计"
    sheet.append([f"{stats.year}年执法统计"])
    for fig in stats.figures:
        sheet.append([])
        sheet.append([f"{fig.title}（{fig.unit}）", "科室", *[f"{m}月" for m in MONTHS], "合计",
                      *([f"{fig.rate_label}（%）"] if fig.totals is not None else [])])
        for section in stats.sections:
            row = [float(v) for v in fig.by_month(section.pk)]
            extra = [fig.rate(section=section.pk)] if fig.totals is not None else []
            sheet.append(["", section.name, *row, float(fig.cell(section=section.pk)), *extra])
        extra = [fig.rate()] if fig.totals is not None else []
        sheet.append(["", "全部", *[float(v) for v in fig.by_month()], float(fig.cell()), *extra])
    report = book.create_sheet("安全生产行政执法统计表")
    report.append([f"{stats.year}年安全生产行政执法统计（参照应急管理部《安全生产行政执法统计调查制度》，2020年）"])
    report.append(["项目", "单位", "数值"])
    for item, unit, value in stats.report():
        report.append([item, unit, float(value)])
    officers = book.create_sheet("按执法人员")
    figs = [f for f in stats.figures if f.officers]
    officers.append(["执法人员", *[f"{f.title}（{f.unit}）" for f in figs]])
    for o in stats.officers:
        officers.append([o.name or o.username, *[float(f.officers.get(o.pk, 0)) for f in figs]])
    weak = book.create_sheet("薄弱环节")
    weak.append(["问题", "环节或期限", "次数"])
    for row in stats.weak_links:
        weak.append(list(row))
    challenges = book.create_sheet("行政复议诉讼结果")
    challenges.append(["类别", "结果", "件数"])
    for row in stats.challenge_results:
        challenges.append(list(row))
    kinds = book.create_sheet("案件类别与程序")
    kinds.append(["类别", "程序", "件数"])
    for row in stats.cases_by_kind:
        kinds.append(list(row))
    outcomes = book.create_sheet("法制审核意见")
    outcomes.append(["审核意见类型", "件数"])
    for row in stats.review_outcomes:
        outcomes.append(list(row))
    articles = book.create_sheet("监督发现按条款")
    articles.append(["规则", "依据", "发现", "未纠正"])
    for row in stats.findings_by_article:
        articles.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
