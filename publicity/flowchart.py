"""Flowcharts of enforcement procedures (000 公示制度第八条), drawn as inline SVG on the server from
the workflow definitions the system runs (matters.workflows), so the published chart and the
practice cannot differ. No script and no outside asset: the portal stays light and offline.

Works with any object shaped like matters.workflows.Workflow: code, label, states (code, label),
initial, transitions (code, label, sources, target; target None = recorded without moving).
"""

from collections import deque
from dataclasses import dataclass
from html import escape

BOX_H = 40
ROW_GAP = 64
COL_GAP = 28
PAD = 16
CHAR_W = 14  # a CJK character at font-size 14
LABEL_FONT = 12


@dataclass
class Box:
    code: str
    label: str
    layer: int
    x: float = 0
    y: float = 0
    w: float = 0


def _layers(workflow) -> dict[str, int]:
    """Breadth-first depth of each state from the initial one; unreachable states go last."""
    depth = {workflow.initial: 0}
    queue = deque([workflow.initial])
    while queue:
        state = queue.popleft()
        for t in workflow.transitions:
            if state in t.sources and t.target and t.target not in depth:
                depth[t.target] = depth[state] + 1
                queue.append(t.target)
    last = max(depth.values(), default=0) + 1
    layers = {s.code: depth.get(s.code, last) for s in workflow.states}
    # End states go to the bottom row, below every step that can lead to them.
    bottom = max((v for k, v in layers.items() if not _final(workflow, k)), default=0) + 1
    for state in workflow.states:
        if getattr(state, "final", False) and state.code != workflow.initial:
            layers[state.code] = bottom
    return layers


def _final(workflow, code: str) -> bool:
    return any(getattr(s, "final", False) for s in workflow.states if s.code == code)


def layout(workflow) -> tuple[dict[str, Box], float, float]:
    layers = _layers(workflow)
    boxes = {s.code: Box(s.code, s.label, layers[s.code]) for s in workflow.states}
    rows: dict[int, list[Box]] = {}
    for box in boxes.values():
        box.w = max(96, len(box.label) * CHAR_W + 24)
        rows.setdefault(box.layer, []).append(box)
    width = max(sum(b.w for b in row) + COL_GAP * (len(row) - 1) for row in rows.values()) + 2 * PAD + 160
    for layer, row in sorted(rows.items()):
        total = sum(b.w for b in row) + COL_GAP * (len(row) - 1)
        x = (width - 160 - total) / 2
        for box in row:
            box.x, box.y = x, PAD + layer * (BOX_H + ROW_GAP)
            x += box.w + COL_GAP
    height = PAD * 2 + (max(rows) + 1) * (BOX_H + ROW_GAP) - ROW_GAP
    return boxes, width, height


def render_svg(workflow) -> str:
    """The flowchart as an SVG element (a string safe to put into a page). A step with one source
    is labelled on its arrow; a step open from several states (e.g. 结案) is labelled once, by its
    target, so the chart stays readable."""
    boxes, width, height = layout(workflow)
    parts = [
        f'<svg class="flow" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'style="max-width:{width:.0f}px" '
        f'role="img" aria-label="{escape(workflow.label)}流程图">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
    ]
    labels = []
    side = 0
    # Steps between the same two states share one arrow (e.g. 责令限期整改／现场处理措施).
    single: dict[tuple[str, str], list[str]] = {}
    shared: list[tuple[str, list[str], str]] = []
    for t in workflow.transitions:
        sources = [s for s in t.sources if s in boxes and s != t.target]
        if not t.target or not sources:
            continue
        if len(sources) == 1:
            single.setdefault((sources[0], t.target), []).append(t.label)
        else:
            shared.append((t.target, sources, t.label))
    edges = [(a, b, "／".join(names)) for (a, b), names in single.items()]
    edges += [(source, target, "") for target, sources, _ in shared for source in sources]
    for source, target, label in edges:
        a, b = boxes[source], boxes[target]
        if b.layer == a.layer + 1:
            x1, y1 = a.x + a.w / 2, a.y + BOX_H
            x2, y2 = b.x + b.w / 2, b.y
            parts.append(
                f'<path d="M{x1:.0f},{y1:.0f} L{x2:.0f},{y2:.0f}" stroke="#555" fill="none" '
                'marker-end="url(#arrow)"/>'
            )
            mx, my = x1 + (x2 - x1) * 0.62, y1 + (y2 - y1) * 0.62  # nearer the target: fan-outs spread
        elif b.layer > a.layer:  # skips rows: a curve round the left, clear of the boxes between
            side += 1
            x1, y1 = a.x, a.y + BOX_H / 2
            x2, y2 = b.x + min(24, b.w / 4), b.y
            bend = max(4, min(a.x, b.x) - 30 - 8 * (side % 5))
            parts.append(
                f'<path d="M{x1:.0f},{y1:.0f} C{bend:.0f},{y1:.0f} {bend:.0f},{y2 - 30:.0f} {x2:.0f},{y2:.0f}" '
                'stroke="#555" fill="none" marker-end="url(#arrow)"/>'
            )
            mx, my = bend + 4, (y1 + y2) / 2
        else:  # back or sideways: a dashed curve round the right-hand side
            side += 1
            x1, y1 = a.x + a.w, a.y + BOX_H / 2
            x2, y2 = b.x + b.w, b.y + BOX_H / 2 + 6
            bend = max(x1, x2) + 24 + 10 * (side % 6)
            parts.append(
                f'<path d="M{x1:.0f},{y1:.0f} C{bend:.0f},{y1:.0f} {bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}" '
                'stroke="#888" stroke-dasharray="4 3" fill="none" marker-end="url(#arrow)"/>'
            )
            mx, my = bend + 2, (y1 + y2) / 2
        if label:
            labels.append((mx + 4, my, label))
    seen: set[tuple[str, str]] = set()
    for target, _, label in shared:
        b = boxes[target]
        if (target, label) not in seen:
            seen.add((target, label))
            offset = 14 * sum(1 for t, _ in seen if t == target)
            labels.append((b.x + b.w + 6, b.y - 20 + offset, label))
    for x, y, text in labels:
        parts.append(f'<text x="{x:.0f}" y="{y:.0f}" font-size="{LABEL_FONT}" fill="#1d4ed8">{escape(text)}</text>')
    for box in boxes.values():
        final = getattr(next(s for s in workflow.states if s.code == box.code), "final", False)
        initial = box.code == workflow.initial
        fill = "#e0ecff" if initial else "#e8f5e9" if final else "#fff"
        parts.append(
            f'<g class="state" data-state="{escape(box.code)}"><rect x="{box.x:.0f}" y="{box.y:.0f}" '
            f'width="{box.w:.0f}" height="{BOX_H}" rx="6" fill="{fill}" stroke="#333"/>'
            f'<text x="{box.x + box.w / 2:.0f}" y="{box.y + 25:.0f}" font-size="14" text-anchor="middle">'
            f"{escape(box.label)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def steps_within(workflow) -> list[tuple[str, list[str]]]:
    """Steps recorded without changing state (target None), by state: listed under the chart."""
    result = []
    for state in workflow.states:
        labels = [t.label for t in workflow.transitions if t.target is None and state.code in t.sources]
        if labels:
            result.append((state.label, labels))
    return result


def published_workflows() -> list:
    """The workflows the system runs; empty if the matters app has none (guarded import)."""
    try:
        from matters.workflows import WORKFLOWS
    except ImportError:
        return []
    return list(WORKFLOWS.values())
