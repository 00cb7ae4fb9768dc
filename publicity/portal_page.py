"""The portal's decision search page, rendered in plain Python inside the portal's own chrome.

The search page is the portal's hot path (bench/portal.py measures it against a bare view); the
template engine's per-tag cost dominated it. The header, navigation and styles still come from
`portal_base.html`, rendered once per process; the form and the rows are built here, every value
escaped as the template would escape it.
"""

import time
from functools import lru_cache
from html import escape  # what django.utils.html.escape does, without its lazy-string wrapper

from django.template import loader
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from publicity.choices import Category

MARK = "\x00CONTENT\x00"


def _truncate(text: str, length: int) -> str:
    """As the truncatechars filter: at most `length` characters, the last one an ellipsis."""
    return text if len(text) <= length else text[: length - 1] + "…"


@lru_cache(maxsize=16)
def portal_shell(title: str) -> tuple[str, str]:
    """The page around the content, split at the content block (the chrome has no per-request part)."""
    html = loader.get_template("publicity/shell.html").render({"title": title, "mark": MARK})
    head, tail = html.split(MARK)
    return head, tail


@lru_cache(maxsize=1)
def _feeds() -> dict[str, str]:
    return {k: reverse(f"publicity:feed_{k}") for k in ("json", "csv", "atom")}


@lru_cache(maxsize=1)
def _category_options() -> tuple[tuple[str, str], ...]:
    return tuple((value, str(label)) for value, label in Category.choices)


def decision_row(pk: int, public: dict) -> str:
    """One <tr> of the decision list, every value escaped; kept with the item (Publication.row_html)
    whenever its public form changes, so that a search reads rows instead of rendering them. The
    link is relative to the list's own address."""
    p = public
    return (
        f"<tr><td>{escape(p['decided_on'])}</td>"
        f'<td><a href="{int(pk)}/">{escape(p["party"])}</a></td>'
        f"<td>{escape(p['category'])}</td><td>{escape(p['instrument_number'])}</td>"
        f"<td>{escape(_truncate(p['result'], 40))}</td><td>{escape(p['agency'])}</td></tr>"
    )


def decision_rows(rows: list[str]) -> SafeString:
    if not rows:
        return mark_safe('<tr><td colspan="6">没有符合条件的执法决定。</td></tr>')
    return mark_safe("\n".join(rows))  # noqa: S308 (rows are built escaped by decision_row)


def _input(label: str, name: str, value: str, kind: str = "text", placeholder: str = "") -> str:
    hint = f' placeholder="{escape(placeholder)}"' if placeholder else ""
    return f'<label>{label}<input type="{kind}" name="{name}" value="{escape(value)}"{hint}></label>'


# A select of every agency up to this many (product limit: a list of thousands is unusable; beyond it the
# form keeps the chosen agency and links to the directory, whose rows link back here with ?agency=).
AGENCY_SELECT_MAX = 300
AGENCY_OPTIONS_TTL = 30.0  # seconds a worker keeps the list before reading the directory again
_agency_options: list = [0.0, None]


def agency_options() -> tuple[tuple[int, str], ...] | None:
    """(id, name) of each agency in the directory's order for the search form, or None when there
    are more than AGENCY_SELECT_MAX. Kept per process for AGENCY_OPTIONS_TTL seconds (the hot path)."""
    now = time.monotonic()
    if _agency_options[1] is None or now >= _agency_options[0]:
        from publicity.selectors import portal_agency_directory

        rows = tuple(portal_agency_directory().values_list("pk", "name")[: AGENCY_SELECT_MAX + 1])
        _agency_options[:] = [now + AGENCY_OPTIONS_TTL, rows]
    rows = _agency_options[1]
    return rows if len(rows) <= AGENCY_SELECT_MAX else None


def _agency_select(selected: str, selected_name: str) -> str:
    rows, hint = agency_options(), ""
    if rows is None:
        rows = ((int(selected), selected_name),) if selected_name else ()
        hint = f'<a href="{reverse("publicity:agencies")}">在执法机关目录中查找</a>'
    options = "".join(
        f'<option value="{pk}"{" selected" if str(pk) == selected else ""}>{escape(name)}</option>' for pk, name in rows
    )
    return f'<label>执法机关<select name="agency"><option value="">全部</option>{options}</select></label>{hint}'


def search_page(*, page, q: dict, qs: str, error: str, agency_name: str = "") -> str:
    """The whole search page: the query form (keeping the query), the rows (`page` from
    selectors.portal_search(..., rows=True)), the pager, the feeds."""
    options = "".join(
        f'<option value="{value}"{" selected" if value == q["category"] else ""}>{label}</option>'
        for value, label in _category_options()
    )
    pager = []
    if page.has_previous:
        pager.append(f'<a href="?{escape(qs)}page={page.page - 1}">上一页</a>')
    pager.append(f"<span>第{page.page}页</span>")
    if page.has_next:
        pager.append(f'<a href="?{escape(qs)}page={page.page + 1}">下一页</a>')
    head, tail = portal_shell("执法决定查询")
    feeds = _feeds()
    return "".join(
        [
            head,
            "<h1>执法决定查询</h1>\n",
            '<form class="search" method="get" action="">',
            _input("当事人", "party", q["party"], placeholder="名称中的任意文字"),
            f'<label>类别<select name="category"><option value="">全部</option>{options}</select></label>',
            _input("决定日期自", "from", q["from"], "date"),
            _input("至", "to", q["to"], "date"),
            _input("文书号", "number", q["number"], placeholder="文书号中的任意文字"),
            _agency_select(q.get("agency", ""), agency_name),
            '<button type="submit">查询</button></form>\n',
            f'<p class="errors">{escape(error)}</p>' if error else "",
            '<table class="list"><thead><tr><th>决定日期</th><th>执法对象</th><th>类别</th><th>文书号</th>'
            "<th>结果</th><th>执法机关</th></tr></thead><tbody>\n",
            decision_rows(page.items),
            "\n</tbody></table>\n",
            f'<div class="pager">{"".join(pager)}</div>\n',
            f'<p class="muted">数据接口：<a href="{feeds["json"]}">JSON</a> · <a href="{feeds["csv"]}">CSV</a> · '
            f'<a href="{feeds["atom"]}">Atom</a>（供上级平台实时汇集）</p>',
            tail,
        ]
    )
