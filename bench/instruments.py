#!/usr/bin/env python3
"""文书 per second (DOCX + PDF), against fpdf2 alone writing the same text with the font loaded.

    .venv/bin/python bench/instruments.py [--rounds 5] [--kinds penalty_decision,...]

In one process, after one warm-up 文书 (which parses the CJK face, timed and reported apart):
  zhifa:  for each kind, the real rendering path of instrument_issue: the template's layout, then
          render_docx and render_pdf, both files written to a temporary folder;
  floor:  for each kind, fpdf2 alone: a page, the same text (every line the template produced) in
          one multi_cell, output to a file, with the same font already added (add_font is done
          before the clock starts; its time is reported apart, as what each 文书 used to pay), and
          bounding boxes not recomputed on output (a TTFont setting zhifa uses too);
  tight:  the same floor, but with the tables zhifa never embeds removed from the loaded face before
          output (as zhifa's per-document font does), so that only fpdf2's own work on the page and
          the subset is left: what zhifa adds over it is the template, the DOCX and the layout.
The three take turns going first, round by round; each ratio is the median of the per-round ratios
of throughput (zhifa / floor). Content is sample Chinese text of a realistic length, the same for
both; the agency is an unsaved one with a real policy pack, so no database is needed.
"""

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KINDS = (
    "penalty_decision,penalty_notice,inspection_record,rectification_order,onsite_measures,interview_record"
)

SAMPLES = {
    "place": "抚顺市望花区化工路1号测试精细化工有限公司二号生产车间及原料仓库",
    "time": "2026年11月24日9时30分至11时20分",
    "facts": "经查，当事人未按照规定对从业人员进行安全生产教育和培训，未如实记录安全生产教育和培训的时间、"
    "内容、参加人员以及考核结果等情况；二号车间三名新入职操作工未经培训即上岗作业。",
    "findings": "检查人员在当事人安全管理人员陪同下，对二号生产车间、原料仓库和配电室进行了检查，"
    "查阅了安全生产责任制、教育培训档案和隐患排查记录。",
    "hazards": [
        "二号车间东侧消防通道堆放原料桶，堵塞通道",
        "配电箱未可靠接地，箱门缺失",
        "三名新入职操作工未经安全培训上岗",
    ],
    "basis": "《中华人民共和国安全生产法》第二十八条第一款、第九十七条第三项",
    "rectify_by": "2026年12月8日",
    "measures": "责令立即清理消防通道，配电箱停止使用直至整改完毕，未经培训人员暂停上岗。",
    "decision": "依据《中华人民共和国安全生产法》第九十七条第三项的规定，拟对你单位作出罚款人民币贰万元整的行政处罚。",
    "amount": "20000",
    "payment": "自收到本决定书之日起十五日内，到指定银行缴纳罚款。",
    "rights": "如不服本决定，可以在收到本决定书之日起六十日内依法申请行政复议，或者在六个月内依法向人民法院提起行政诉讼。",
    "interviewee": "张某某，男，1980年5月出生，测试精细化工有限公司安全管理人员",
    "questions": [
        "问：你单位新入职人员是否经过安全培训？答：还没有来得及培训。",
        "问：培训记录由谁负责？答：由我负责。",
    ],
}


def setup_django(data: Path) -> None:
    os.environ["ZHIFA_DATA_DIR"] = str(data)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def documents(kinds: list[str]) -> list[dict]:
    """Per kind: the blocks the template makes from the sample content, and the document metadata."""
    from matters import rendering
    from matters.instrument_types import TYPES
    from matters.instruments import preview_context
    from org.models import Agency

    agency = Agency(
        name="抚顺市应急管理局",
        uscc="112104000000000001",
        policy_pack="fushun-city",
        instrument_prefix="抚应急",
    )
    out = []
    for code in kinds:
        kind = TYPES[code]
        context = preview_context(agency, kind)
        content = {
            key: SAMPLES.get(key, f"{label}：经现场核实，情况属实，当事人无异议。")
            for key, label in kind.fields
        }
        context["c"] = rendering.content_text(content)
        context["lists"] = rendering.content_lists(content)
        context["fields"] = [(label, context["c"].get(key, "")) for key, label in kind.fields]
        meta = {
            "title": kind.title,
            "number": context["number"],
            "identifier": f"bench-{code}",
            "moment": context["issued_at"],
        }
        out.append({"code": code, "agency": agency, "context": context, "meta": meta})
    return out


def zhifa_once(doc: dict, folder: Path) -> None:
    from matters import rendering

    blocks = rendering.layout(doc["agency"], doc["code"], doc["context"])
    rendering.render_docx(blocks, folder / f"{doc['code']}.docx", **doc["meta"])
    rendering.render_pdf(blocks, folder / f"{doc['code']}.pdf", **doc["meta"])


def floor_text(doc: dict) -> str:
    from matters import rendering

    blocks = rendering.layout(doc["agency"], doc["code"], doc["context"])
    lines = []
    for block in blocks:
        text = f"{block.label}：{block.text}" if block.label else block.text
        lines.extend(part for part in text.split(rendering.BREAK) if part)
    return "\n".join(lines)


def floor_prepare(count: int, *, tight: bool = False) -> tuple[list, float]:
    """`count` fpdf2 documents with the font added (untimed for the floor) and add_font's median time.
    `tight`: the tables zhifa never embeds are then removed from each loaded face."""
    from fpdf import FPDF

    from matters import rendering

    font = rendering.font_path()
    index = rendering._face_index(str(font))
    pdfs, seconds = [], []
    for _ in range(count):
        pdf = FPDF(format="A4", unit="mm")
        started = time.perf_counter()
        pdf.add_font("cjk", fname=str(font), collection_font_number=index)
        seconds.append(time.perf_counter() - started)
        loaded = pdf.fonts["cjk"]
        loaded.ttfont.recalcBBoxes = False  # as zhifa: the subset keeps the face's bounding box
        if tight:
            keep = rendering.CFF_TABLES if loaded.is_cff and loaded.is_cid_keyed else None
            for tag in list(loaded.ttfont.keys()):
                if tag != "GlyphOrder" and (
                    tag in rendering.UNUSED_TABLES or (keep is not None and tag not in keep)
                ):
                    del loaded.ttfont[tag]
        pdfs.append(pdf)
    return pdfs, statistics.median(seconds)


def floor_once(pdf, text: str, path: Path) -> None:
    pdf.add_page()
    pdf.set_font("cjk", size=14)
    pdf.multi_cell(w=0, h=7.4, text=text)
    pdf.output(str(path))


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--kinds", default=KINDS, help="文书 kinds, comma-separated")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zhifa-bench-instruments-") as tmp:
        work = Path(tmp)
        setup_django(work / "data")
        docs = documents(args.kinds.split(","))
        texts = [floor_text(doc) for doc in docs]

        before = rss_mb()
        started = time.perf_counter()
        zhifa_once(docs[0], work)  # the process's first 文书 parses the face
        first = time.perf_counter() - started
        held = rss_mb() - before

        add_font = []
        rates = {"zhifa": [], "floor": [], "tight": []}
        order = list(rates)
        for round_number in range(args.rounds):
            prepared = {}
            for name in ("floor", "tight"):
                prepared[name], parse = floor_prepare(len(docs), tight=name == "tight")
                add_font.append(parse)
            turn = order[round_number % 3 :] + order[: round_number % 3]
            for step in turn:
                started = time.perf_counter()
                if step == "zhifa":
                    for doc in docs:
                        zhifa_once(doc, work)
                else:
                    for pdf, text, doc in zip(prepared[step], texts, docs, strict=True):
                        floor_once(pdf, text, work / f"{step}-{doc['code']}.pdf")
                rates[step].append(len(docs) / (time.perf_counter() - started))
            print(
                f"round {round_number + 1} ({', '.join(turn)}): "
                + ", ".join(f"{name} {rates[name][-1]:.2f}/s" for name in order),
                flush=True,
            )

    def ratio(name):
        return statistics.median(z / f for z, f in zip(rates["zhifa"], rates[name], strict=True))

    def each(name):
        rate = statistics.median(rates[name])
        return f"{rate:.2f}/s ({1000 / rate:.0f} ms each)"

    print(
        f"kinds: {', '.join(doc['code'] for doc in docs)}; rounds: {args.rounds}; load average: "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    print(
        f"first 文书 in the process (parses the face): {first:.2f} s; resident memory it added: {held:.0f} MB"
    )
    print(
        f"fpdf2 add_font of the face (median; what each 文书 paid before): {statistics.median(add_font):.2f} s"
    )
    print(f"zhifa (文书, DOCX + PDF): {each('zhifa')}")
    print(f"floor (fpdf2 alone, font loaded): {each('floor')}; ratio zhifa / floor: {ratio('floor'):.2f}")
    print(
        f"tight floor (same, unused tables removed): {each('tight')}; ratio zhifa / tight: {ratio('tight'):.2f}"
    )
    print(
        f"peak RSS (the floor holds one parsed face per document): "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
