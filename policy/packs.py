"""Reading policy packs: YAML with line numbers, the document catalogue, inheritance and dates.

The format is described in docs/policy-packs.md. This module only reads and resolves; checking
every rule against the registry and the regulation texts is `policy.lint`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import yaml

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
DOCUMENTS_FILE = "_documents.yaml"


class PackError(Exception):
    """A problem in a pack file, with where it is."""

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None):
        self.message = message
        self.path = str(path) if path else None
        self.line = line
        super().__init__(self.where() + message)

    def where(self) -> str:
        if self.path and self.line:
            return f"{self.path}:{self.line}: "
        if self.path:
            return f"{self.path}: "
        return ""


SUPPLEMENT = "agency-supplement"  # the pack_id of a rule an agency adopted by its own document


class RuleMissing(LookupError):
    """The agency's pack (and the packs it extends) set no value for a rule on that date."""


# --- YAML with line numbers -----------------------------------------------------------------------


class LineMap(dict):
    """A mapping that remembers the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict


class LineList(list):
    line: int = 0
    item_lines: list


# libyaml's parser when PyYAML has it (several times faster); the constructors stay ours.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    """SafeLoader that keeps dates as strings (the schema checks their form) and records lines."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> LineMap:
    result = LineMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise PackError(f"键“{key}”重复", line=key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def load_yaml(path: Path):
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader subclass
    except PackError as exc:
        raise PackError(exc.message, path=path, line=exc.line) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise PackError(f"YAML 格式错误：{exc.problem}", path=path, line=line) from None
    except OSError as exc:
        raise PackError(f"无法读取文件：{exc.strerror}", path=path) from None


def line_of(data, path: tuple) -> int | None:
    """The line of the element at `path` (keys and indexes) inside loaded YAML, as deep as known."""
    line = getattr(data, "line", None)
    node = data
    for step in path:
        if isinstance(node, LineMap) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line


def load_schema(name: str) -> dict:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


# --- the things in a pack ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """A statute or regulation that rules cite (one entry of the catalogue)."""

    id: str
    title: str
    file: str | None
    start: str
    issued: str | None = None
    number: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Citation:
    document: Document
    article: str

    def __str__(self) -> str:
        return f"《{self.document.title}》{self.article}"

    def as_dict(self) -> dict:
        return {
            "document": self.document.title,
            "document_id": self.document.id,
            "file": self.document.file,
            "article": self.article,
        }


def parse_date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@dataclass(frozen=True)
class Rule:
    key: str
    value: object
    unit: str
    citations: tuple[Citation, ...]
    summary: str
    pack_id: str
    effective_from: date | None = None
    effective_to: date | None = None
    note: str | None = None
    line: int | None = None
    # 平台默认值: a figure no article contains, set by the platform until the agency adopts its own
    # (the reason why); `citations` then name only the article whose requirement it serves.
    platform_default: str | None = None
    # Shown to people but applied by no code (the reason why); see `zhifa policy lint`.
    informational: str | None = None
    supplement_id: int | None = None  # an agency supplement (policy.RuleSupplement), not a pack file

    def cited(self, sep: str = "；") -> str:
        """The rule's citations as one line of text, e.g. 《…》第五十八条；《…》第十条."""
        text = sep.join(str(c) for c in self.citations)
        if self.platform_default:
            return f"平台默认值（落实{text}的要求）" if text else "平台默认值"
        return text

    def applies_on(self, day: date) -> bool:
        if self.effective_from and day < self.effective_from:
            return False
        return not (self.effective_to and day > self.effective_to)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "value": self.value,
            "unit": self.unit,
            "summary": self.summary,
            "citations": [c.as_dict() for c in self.citations],
            "pack": self.pack_id,
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "note": self.note,
            "platform_default": self.platform_default,
            "informational": self.informational,
            "supplement": self.supplement_id,
        }


@dataclass
class Pack:
    id: str
    title: str
    agency: str
    extends: tuple[str, ...]  # parent packs, most general first; later ones override earlier ones
    rules: list[Rule]
    path: Path
    effective_from: date | None = None
    effective_to: date | None = None
    description: str = ""

    def applies_on(self, day: date) -> bool:
        if self.effective_from and day < self.effective_from:
            return False
        return not (self.effective_to and day > self.effective_to)

    def own_rule(self, key: str, day: date) -> Rule | None:
        for rule in self.rules:
            if rule.key == key and rule.applies_on(day):
                return rule
        return None


@dataclass
class ResolvedPack:
    """An agency's rules on one date: its own where it has them, else its ancestors'."""

    chain: list[Pack]
    on: date
    rules: dict[str, Rule] = field(default_factory=dict)

    @property
    def pack(self) -> Pack:
        return self.chain[0]

    def rule(self, key: str) -> Rule:
        try:
            return self.rules[key]
        except KeyError:
            raise RuleMissing(f"政策包“{self.pack.title}”在{self.on.isoformat()}没有规则“{key}”") from None

    def get(self, key: str) -> Rule | None:
        """The rule, or None where the pack does not set it."""
        return self.rules.get(key)

    def value(self, key: str, default=RuleMissing):
        if key not in self.rules and default is not RuleMissing:
            return default
        return self.rule(key).value

    def __contains__(self, key: str) -> bool:
        return key in self.rules

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self.rules.values(), key=lambda r: r.key))


class PackSet:
    """Every pack in a folder, with the document catalogue. Loading does not validate: see lint."""

    def __init__(self, directory: Path, *, strict: bool = True):
        """With strict=False a file that cannot be read is recorded in `errors` and skipped
        (the linter reports every file's problems in one run); otherwise it raises PackError."""
        self.directory = Path(directory)
        self.strict = strict
        self.documents: dict[str, Document] = {}
        self.packs: dict[str, Pack] = {}
        self.raw: dict[Path, object] = {}
        self.errors: list[PackError] = []
        self._load()

    def _read(self, path: Path):
        try:
            return load_yaml(path)
        except PackError as exc:
            if self.strict:
                raise
            self.errors.append(exc)
            return None

    def _load(self) -> None:
        catalogue_path = self.directory / DOCUMENTS_FILE
        catalogue = self._read(catalogue_path) if catalogue_path.exists() else LineMap(documents={})
        if catalogue is not None:
            self.raw[catalogue_path] = catalogue
        entries = catalogue.get("documents") if isinstance(catalogue, dict) else None
        for doc_id, entry in (entries if isinstance(entries, dict) else {}).items():
            if isinstance(entry, dict):
                self.documents[doc_id] = Document(
                    id=doc_id,
                    title=str(entry.get("title", doc_id)),
                    file=entry.get("file"),
                    start=str(entry.get("start") or entry.get("title", "")),
                    issued=entry.get("issued"),
                    number=entry.get("number"),
                    line=entries.key_lines.get(doc_id) if isinstance(entries, LineMap) else None,
                )
        for path in sorted(self.directory.glob("*.yaml")):
            if path.name == DOCUMENTS_FILE:
                continue
            data = self._read(path)
            if data is None:
                continue
            self.raw[path] = data
            if isinstance(data, dict) and isinstance(data.get("id"), str):
                self.packs[data["id"]] = self._pack_from(path, data)

    def _document(self, doc_id) -> Document:
        if isinstance(doc_id, str) and doc_id in self.documents:
            return self.documents[doc_id]
        return Document(id=str(doc_id), title=str(doc_id), file=None, start="")

    def _pack_from(self, path: Path, data: dict) -> Pack:
        rules = []
        for index, raw in enumerate(data.get("rules") or []):
            if not isinstance(raw, dict):
                continue
            cites = raw.get("cite") or []
            if isinstance(cites, dict):
                cites = [cites]
            citations = tuple(
                Citation(self._document(c.get("doc")), str(c.get("article", "")))
                for c in cites
                if isinstance(c, dict)
            )
            rules.append(
                Rule(
                    key=str(raw.get("key")),
                    value=_plain(raw.get("value")),
                    unit=str(raw.get("unit")),
                    citations=citations,
                    summary=str(raw.get("summary", "")),
                    pack_id=data["id"],
                    effective_from=_safe_date(raw.get("effective_from")),
                    effective_to=_safe_date(raw.get("effective_to")),
                    note=raw.get("note"),
                    line=line_of(data, ("rules", index)),
                    platform_default=_text(raw.get("platform_default")),
                    informational=_text(raw.get("informational")),
                )
            )
        return Pack(
            id=data["id"],
            title=str(data.get("title", data["id"])),
            agency=str(data.get("agency", "")),
            extends=_parents(data.get("extends")),
            rules=rules,
            path=path,
            effective_from=_safe_date(data.get("effective_from")),
            effective_to=_safe_date(data.get("effective_to")),
            description=str(data.get("description", "")),
        )

    def chain(self, pack_id: str) -> list[Pack]:
        """The pack and every pack it extends, nearest first; each parent comes after all the packs
        that extend it, and of two parents the one listed later comes first (it overrides).
        Raises PackError on an unknown pack or a cycle."""
        order: list[Pack] = []  # root first

        def visit(current: str, path: list[Pack]) -> None:
            if current in [p.id for p in path]:
                cycle = " → ".join([p.id for p in path] + [current])
                raise PackError(f"extends 形成循环：{cycle}", path=path[0].path)
            pack = self.packs.get(current)
            if pack is None:
                raise PackError(f"找不到政策包“{current}”", path=path[-1].path if path else None)
            for parent in pack.extends:
                visit(parent, [*path, pack])
            if all(p.id != pack.id for p in order):
                order.append(pack)

        visit(pack_id, [])
        return list(reversed(order))

    def resolve(self, pack_id: str, on: date) -> ResolvedPack:
        chain = self.chain(pack_id)
        resolved = ResolvedPack(chain=chain, on=on)
        # Walk from the root down so that nearer packs override what they inherit.
        for pack in reversed(chain):
            if not pack.applies_on(on):
                continue  # the regulation behind this pack was not (or no longer) in force
            for rule in pack.rules:
                if rule.applies_on(on):
                    resolved.rules[rule.key] = rule
        return resolved

    @cached_property
    def ids(self) -> list[str]:
        return sorted(self.packs)


def _plain(value):
    """Turn LineMap/LineList values into plain dicts and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _text(value) -> str | None:
    return (str(value).strip() or None) if value is not None else None


def _parents(value) -> tuple[str, ...]:
    """`extends` as written: absent, one pack id or a list of them (the schema checks the form)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (repr(value),)


def _safe_date(text) -> date | None:
    try:
        return parse_date(text) if isinstance(text, str) else None
    except ValueError:
        return None
