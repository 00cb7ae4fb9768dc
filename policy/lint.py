"""`zhifa policy lint`: every pack well formed, every rule known, cited and — where the texts are at
hand — citing an article that exists in its document.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import jsonschema

from policy.packs import DOCUMENTS_FILE, Document, LineMap, PackError, PackSet, line_of, load_schema
from policy.registry import DURATION_UNITS, RULES, SHORT_UNITS, UNITS
from policy.usage import ROOT, applied_sites

ERROR = "错误"
WARNING = "提示"


@dataclass(frozen=True)
class Problem:
    severity: str
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}"


# --- locating an article in a regulation's text -------------------------------------------------------

_CN_NUM = "零〇一二三四五六七八九十百千"
_ARTICLE = re.compile(rf"^(第[{_CN_NUM}]+条)")
_ANNEX = re.compile(r"^附件\s*(\d+)(?:\s*第\s*(\d+)\s*行)?$")
_STANDARD_ANNEX = re.compile(r"^附录\s*([A-Z])$")  # a standard's annex (GB/T 1.1: 附录A, 附录B …)
_OUTLINE_TOKEN = re.compile(rf"（[{_CN_NUM}\d]+）|\([{_CN_NUM}\d]+\)|[{_CN_NUM}]+|\d+")
_OUTLINE_FORM = re.compile(
    rf"^(?:[{_CN_NUM}]+、?)?(?:(?:（[{_CN_NUM}\d]+）|\d+[.．、]?)\s*)+$|^[{_CN_NUM}]+、?$"
)


# Outline levels from the top: 一、 / （一） / 1. / （1）
_OUTLINE_LEVELS = [
    re.compile(rf"[{_CN_NUM}]+、"),
    re.compile(rf"[（(][{_CN_NUM}]+[）)]"),
    re.compile(r"\d+\s*[.．、](?!\d)"),
    re.compile(r"[（(]\d+[）)]"),
]


def _outline_level(token: str) -> int:
    if token[0] in "（(":
        return 3 if token[1:-1].isdigit() else 1
    return 2 if token.isdigit() else 0


def _outline_pattern(token: str) -> re.Pattern:
    if token[0] in "（(":
        return re.compile(rf"[（(]\s*{re.escape(token[1:-1])}\s*[）)]")
    if token.isdigit():
        return re.compile(rf"{token}\s*[.．、](?!\d)")
    return re.compile(rf"{re.escape(token)}、")


def _section_end(lines: list[str], start: int, level: int, end: int) -> int:
    for index in range(start, end):
        if any(pattern.match(lines[index]) for pattern in _OUTLINE_LEVELS[: level + 1]):
            return index
    return end


def _lines(text: str) -> list[str]:
    return [line.strip().lstrip("-").strip() for line in text.splitlines()]


def _find_line(lines: list[str], start: int, pattern: re.Pattern) -> int | None:
    for index in range(start, len(lines)):
        if pattern.match(lines[index]):
            return index
    return None


def article_form_ok(article: str) -> bool:
    article = article.strip()
    return bool(
        _ARTICLE.match(article) or _ANNEX.match(article) or _STANDARD_ANNEX.match(article) or _OUTLINE_FORM.match(article)
    )


def locate_article(article: str, text: str) -> bool:
    """Whether `article` (a locator of docs/policy-packs.md) is found in the document's text."""
    lines = _lines(text)
    article = article.strip()
    match = _ARTICLE.match(article)
    if match:
        return _find_line(lines, 0, re.compile(re.escape(match.group(1)) + r"(\s|$)")) is not None
    match = _ANNEX.match(article)
    if match:
        at = _find_line(lines, 0, re.compile(rf"附件\s*{match.group(1)}(?!\d)(?![：:])"))
        if at is None:
            return False
        if match.group(2) is None:
            return True
        return _find_line(lines, at + 1, re.compile(rf"{match.group(2)}(\s|$)")) is not None
    match = _STANDARD_ANNEX.match(article)
    if match:
        return _find_line(lines, 0, re.compile(rf"附录\s*{match.group(1)}(?![A-Za-z])")) is not None
    if _OUTLINE_FORM.match(article):
        # Each marker must lie inside the section of the one before it: the section of a marker
        # ends where the next marker of the same or a higher outline level starts.
        start, end = 0, len(lines)
        for token in _OUTLINE_TOKEN.findall(article):
            level = _outline_level(token)
            found = _find_line(lines[:end], start, _outline_pattern(token))
            if found is None:
                return False
            start = found + 1
            end = _section_end(lines, start, level, end)
        return True
    return False


class DocumentTexts:
    """The text of each catalogued document, cut out of its file."""

    def __init__(self, documents: dict[str, Document], regulations_dir: Path | None):
        self.regulations_dir = regulations_dir
        self.documents = documents
        self.texts: dict[str, str] = {}
        self.problems: list[tuple[Document, str]] = []
        if regulations_dir and regulations_dir.is_dir():
            self._cut()

    @property
    def available(self) -> bool:
        return bool(self.regulations_dir and self.regulations_dir.is_dir())

    def _cut(self) -> None:
        by_file: dict[str, list[Document]] = {}
        for doc in self.documents.values():
            if doc.file:
                by_file.setdefault(doc.file, []).append(doc)
        for file, docs in by_file.items():
            path = self.regulations_dir / file
            if not path.is_file():
                for doc in docs:
                    self.problems.append((doc, f"文件“{file}”不存在"))
                continue
            text = path.read_text(encoding="utf-8")
            starts = []
            for doc in docs:
                found = _heading_offsets(text, doc.start)
                if not found:
                    self.problems.append((doc, f"在“{file}”中找不到文件起始标题行“{doc.start}”"))
                    continue
                if len(found) > 1:
                    self.problems.append(
                        (doc, f"文件起始标题“{doc.start}”在“{file}”中出现多次，请写出唯一的标题行")
                    )
                starts.append((found[0], doc))
            starts.sort(key=lambda item: item[0])
            for position, (begin, doc) in enumerate(starts):
                end = starts[position + 1][0] if position + 1 < len(starts) else len(text)
                self.texts[doc.id] = text[begin:end]


def _heading_offsets(text: str, heading: str) -> list[int]:
    """Offsets of the lines where `heading` stands as whole lines (whitespace ignored; it may wrap)."""
    needle = "".join(heading.split())
    offsets, lines, offset = [], [], 0
    for raw in text.splitlines(keepends=True):
        lines.append((offset, "".join(raw.split()).lstrip("#")))
        offset += len(raw)
    for i, (start, first) in enumerate(lines):
        if not first or not needle.startswith(first):
            continue
        joined, j = first, i
        while len(joined) < len(needle) and j + 1 < len(lines):
            j += 1
            joined += lines[j][1]
        if joined == needle:
            offsets.append(start)
    return offsets


# --- the checks --------------------------------------------------------------------------------------


def _schema_problems(validator, data, path: Path) -> list[Problem]:
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        where = tuple(error.absolute_path)
        label = ".".join(str(p) for p in where) or "（文件顶层）"
        problems.append(Problem(ERROR, str(path), line_of(data, where), f"{label}：{_schema_message(error)}"))
    return problems


def _schema_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        return "缺少必填项 " + "、".join(missing)
    if error.validator == "additionalProperties":
        return f"含有格式未定义的项（{error.message.split('(')[-1].rstrip(')')}）"
    if error.validator == "pattern":
        return f"“{error.instance}”格式不正确"
    if error.validator == "anyOf" and all("required" in sub for sub in error.validator_value):
        names = " 或 ".join("、".join(sub["required"]) for sub in error.validator_value)
        return f"缺少 {names}（引用依据，或说明为何是平台默认值）"
    if error.validator in ("type", "oneOf", "anyOf"):
        return f"取值“{error.instance}”的类型不符合要求"
    if error.validator == "enum":
        return f"取值“{error.instance}”不在允许范围内：{'、'.join(map(str, error.validator_value))}"
    if error.validator == "minLength":
        return "不能为空或过短"
    if error.validator == "minItems":
        return "至少需要一项"
    return error.message


def check_value(rule_raw: dict, spec, path: Path, line) -> list[Problem]:
    unit, value = rule_raw.get("unit"), rule_raw.get("value")
    key = rule_raw.get("key")
    if unit not in UNITS:
        return [
            Problem(ERROR, str(path), line, f"规则“{key}”的单位“{unit}”未知，可用单位：{'、'.join(UNITS)}")
        ]
    if unit not in spec.units:
        return [
            Problem(ERROR, str(path), line, f"规则“{key}”不能使用单位“{unit}”，应为：{'、'.join(spec.units)}")
        ]
    if isinstance(value, list) and any(
        isinstance(row, dict) and any(isinstance(k, bool) for k in row) for row in value
    ):
        return [
            Problem(
                ERROR,
                str(path),
                line,
                f'规则“{key}”的表格中有列名被 YAML 读成了真/假值（no、yes、on、off 等），请给列名加引号，如 "no": 1',
            )
        ]
    schema = spec.schema
    if schema is None:
        if unit in (*DURATION_UNITS, *SHORT_UNITS, "yuan", "count", "ppi"):
            schema = {"type": "integer", "minimum": 0}
        elif unit == "percent":
            schema = {"type": "number", "minimum": 0}
        elif unit == "bool":
            schema = {"type": "boolean"}
        elif unit == "text":
            schema = {"type": "string", "minLength": 1}
        else:
            schema = {"type": "array", "minItems": 1}
    validator = jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(value))
    if not errors:
        return []
    error = errors[0]
    where = "".join(f"[{p}]" for p in error.absolute_path)
    return [Problem(ERROR, str(path), line, f"规则“{key}”的取值{where}不符合要求：{_schema_message(error)}")]


def lint(packs_dir: Path, regulations_dir: Path | None, source_dir: Path | None = ROOT) -> list[Problem]:
    """Every problem of the packs in `packs_dir`. With `source_dir` (the code's root), a key that a
    pack sets and no product code applies is an error unless the rule says `informational`."""
    problems: list[Problem] = []
    packset = PackSet(packs_dir, strict=False)
    sites = applied_sites(str(source_dir)) if source_dir else None
    problems += [Problem(ERROR, exc.path or str(packs_dir), exc.line, exc.message) for exc in packset.errors]

    catalogue_path = packs_dir / DOCUMENTS_FILE
    catalogue = packset.raw.get(catalogue_path)
    if not catalogue_path.exists():
        problems.append(Problem(ERROR, str(catalogue_path), None, "缺少文件目录 _documents.yaml"))
    else:
        problems += _schema_problems(
            jsonschema.Draft202012Validator(load_schema("documents.schema.json")), catalogue, catalogue_path
        )
    texts = DocumentTexts(packset.documents, regulations_dir)
    for doc, message in texts.problems:
        problems.append(Problem(ERROR, str(catalogue_path), doc.line, f"文件“{doc.id}”：{message}"))
    if not texts.available:
        problems.append(
            Problem(WARNING, str(regulations_dir), None, "找不到法规文本目录，未核对引用条款是否存在")
        )

    pack_validator = jsonschema.Draft202012Validator(load_schema("pack.schema.json"))
    for path, data in packset.raw.items():
        if path == catalogue_path:
            continue
        schema_problems = _schema_problems(pack_validator, data, path)
        problems += schema_problems
        if not isinstance(data, dict):
            continue
        if data.get("id") and data["id"] != path.stem:
            problems.append(
                Problem(
                    ERROR, str(path), line_of(data, ("id",)), f"id“{data['id']}”应与文件名“{path.stem}”一致"
                )
            )
        problems += _check_dates(data, path)
        for index, raw in enumerate(data.get("rules") or []):
            if not isinstance(raw, dict):
                continue
            line = line_of(data, ("rules", index))
            key = raw.get("key")
            spec = RULES.get(key) if isinstance(key, str) else None
            if spec is None and not isinstance(key, str):
                pass  # the schema check has reported it
            elif spec is None:
                problems.append(
                    Problem(ERROR, str(path), line, f"规则键“{key}”未在代码中定义（policy/registry.py）")
                )
            elif "unit" in raw and "value" in raw:
                problems += check_value(raw, spec, path, line)
            if spec is not None and sites is not None:
                problems += _check_read(raw, key, sites, path, line)
            cites = raw.get("cite") or []
            cites = [cites] if isinstance(cites, dict) else cites
            if not cites and "cite" in raw:
                problems.append(Problem(ERROR, str(path), line, f"规则“{key}”没有引用依据"))
            for cite in cites:
                if not isinstance(cite, dict):
                    continue
                problems += _check_citation(cite, key, packset, texts, path, line)
        problems += _check_overlaps(data, path)

    for pack in packset.packs.values():
        try:
            packset.chain(pack.id)
        except PackError as exc:
            raw = packset.raw.get(pack.path)
            problems.append(Problem(ERROR, str(pack.path), line_of(raw, ("extends",)), exc.message))
    return problems


def _check_read(raw: dict, key: str, sites: dict, path: Path, line) -> list[Problem]:
    """A rule no code applies misleads whoever reads the pack: it must say it is informational."""
    applied = sites.get(key)
    if not applied and not raw.get("informational"):
        return [
            Problem(
                ERROR,
                str(path),
                line,
                f"规则“{key}”没有任何代码读取：请在代码中按该规则执行，"
                "或在规则中以 informational: 写明仅供展示的理由",
            )
        ]
    if applied and raw.get("informational"):
        where = "、".join(sorted({site.path for site in applied}))
        return [Problem(WARNING, str(path), line, f"规则“{key}”标为 informational，但已由 {where} 执行，可删去该标记")]
    return []


def _check_citation(
    cite: dict, key, packset: PackSet, texts: DocumentTexts, path: Path, line
) -> list[Problem]:
    doc_id, article = cite.get("doc"), str(cite.get("article", ""))
    if not isinstance(doc_id, str):
        return []  # the schema check has reported it
    doc = packset.documents.get(doc_id)
    if doc is None:
        return [
            Problem(ERROR, str(path), line, f"规则“{key}”引用的文件“{doc_id}”不在文件目录 _documents.yaml 中")
        ]
    if not article_form_ok(article):
        return [
            Problem(
                ERROR,
                str(path),
                line,
                f"规则“{key}”的条款“{article}”格式无法识别（应如 第十二条、附件1第3行、（二）4）",
            )
        ]
    if doc.file is None:
        return []
    text = texts.texts.get(doc_id)
    if text is None:
        return []  # reported once, against the catalogue
    if not locate_article(article, text):
        return [Problem(ERROR, str(path), line, f"规则“{key}”引用的《{doc.title}》{article}在原文中不存在")]
    return []


def _check_dates(data: dict, path: Path) -> list[Problem]:
    problems = []

    def parse(value, where):
        if not isinstance(value, str):
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            problems.append(Problem(ERROR, str(path), line_of(data, where), f"日期“{value}”不存在"))
            return None

    start = parse(data.get("effective_from"), ("effective_from",))
    end = parse(data.get("effective_to"), ("effective_to",))
    if start and end and end < start:
        problems.append(Problem(ERROR, str(path), line_of(data, ("effective_to",)), "失效日期早于生效日期"))
    for index, raw in enumerate(data.get("rules") or []):
        if not isinstance(raw, dict):
            continue
        r_start = parse(raw.get("effective_from"), ("rules", index, "effective_from"))
        r_end = parse(raw.get("effective_to"), ("rules", index, "effective_to"))
        if r_start and r_end and r_end < r_start:
            problems.append(
                Problem(
                    ERROR,
                    str(path),
                    line_of(data, ("rules", index)),
                    f"规则“{raw.get('key')}”的失效日期早于生效日期",
                )
            )
    return problems


def _check_overlaps(data: dict, path: Path) -> list[Problem]:
    by_key: dict[str, list[tuple[date, date, int]]] = {}
    for index, raw in enumerate(data.get("rules") or []):
        if not isinstance(raw, dict) or not isinstance(raw.get("key"), str):
            continue
        try:
            start = date.fromisoformat(raw["effective_from"]) if raw.get("effective_from") else date.min
            end = date.fromisoformat(raw["effective_to"]) if raw.get("effective_to") else date.max
        except (TypeError, ValueError):
            continue
        by_key.setdefault(raw["key"], []).append((start, end, index))
    problems = []
    for key, ranges in by_key.items():
        ranges.sort()
        for (_s1, e1, _i1), (s2, _e2, i2) in itertools.pairwise(ranges):
            if s2 <= e1:
                problems.append(
                    Problem(
                        ERROR,
                        str(path),
                        line_of(data, ("rules", i2)),
                        f"规则“{key}”出现多次且生效期间重叠；同一规则的不同版本须以生效日期区分",
                    )
                )
    return problems


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity == ERROR for p in problems)


def run(packs_dir: Path, regulations_dir: Path | None, out=sys.stdout) -> int:
    problems = lint(packs_dir, regulations_dir)
    for problem in problems:
        print(problem, file=out)
    errors = sum(p.severity == ERROR for p in problems)
    packs = sorted(p.stem for p in packs_dir.glob("*.yaml") if p.name != DOCUMENTS_FILE)
    if errors:
        print(f"政策包检查未通过：{errors} 个错误（检查了 {len(packs)} 个政策包）。", file=out)
        return 1
    print(f"政策包检查通过：{len(packs)} 个政策包（{'、'.join(packs)}）。", file=out)
    return 0


def main(argv=None) -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(prog="zhifa policy lint", description="检查政策包")
    parser.add_argument("--packs", type=Path, default=here / "packs", help="政策包目录")
    parser.add_argument(
        "--regulations", type=Path, default=here.parent.parent / "shared", help="法规文本目录"
    )
    args = parser.parse_args(argv)
    return run(args.packs, args.regulations)


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["ERROR", "WARNING", "LineMap", "Problem", "lint", "locate_article", "run"]
