"""Charts drawn on the server as SVG: no script, font file or outside asset (zhifa runs offline)."""

from django.utils.html import escape
from django.utils.safestring import mark_safe

PALETTE = ("#2f6db5", "#d9822b", "#3b8e5a", "#b54a4a", "#7a5bb5", "#5b8fa8", "#a8875b", "#6b6b6b")


def _fmt(v) -> str:
    v = float(v)
    return f"{v:.0f}" if v == int(v) else f"{v:.1f}"


def bar_chart(*, title: str, labels: list[str], series: list[tuple[str, list]], unit: str = "",
              width: int = 640, height: int = 240) -> str:
    """Grouped bars: one group per label, one bar per series, with a legend and the axis maximum."""
    left, right, top, bottom = 48, 12, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([float(v) for _, values in series for v in values] + [0]) or 1
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="16" font-size="13">{escape(title)}（{escape(unit)}）</text>' if unit else
        f'<text x="{left}" y="16" font-size="13">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 4}" font-size="10" text-anchor="end">{_fmt(peak)}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" font-size="10" text-anchor="end">0</text>',
    ]
    for i, label in enumerate(labels):
        x0 = left + i * group_w + group_w * 0.1
        for j, (name, values) in enumerate(series):
            v = float(values[i]) if i < len(values) else 0.0
            h = plot_h * v / peak
            parts.append(
                f'<rect x="{x0 + j * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(name)} {escape(label)}：{_fmt(v)}</title></rect>'
            )
        parts.append(
            f'<text x="{left + i * group_w + group_w / 2:.1f}" y="{top + plot_h + 14}" font-size="10" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    for j, (name, _) in enumerate(series[:8]):
        x = left + j * 90
        parts.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{PALETTE[j % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 14}" y="{height - 5}" font-size="10">{escape(name[:8])}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every text drawn above is escaped


def table(*, head: list[str], rows: list[list], foot: list | None = None) -> str:
    """A plain HTML table of a chart's numbers (built here, not in the template: the statistics page
    draws a few thousand cells and must stay fast)."""
    def cells(tag, values):
        return "".join(f"<{tag}>{escape('—' if v is None else v)}</{tag}>" for v in values)

    parts = ["<table><tr>", cells("th", head), "</tr>"]
    parts += [f"<tr>{cells('td', row)}</tr>" for row in rows]
    if foot is not None:
        parts.append(f"<tr>{cells('th', foot)}</tr>")
    parts.append("</table>")
    return mark_safe("".join(parts))  # noqa: S308 — every value is escaped
