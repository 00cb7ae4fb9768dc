"""`zhifa policy coverage`: for each article the packs cite, its rule keys, the code that applies
each key and the tests that exercise it (found by policy.usage, reading the source)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from policy.packs import PackSet
from policy.usage import ROOT, applied_sites, exercised_by


@dataclass
class KeyCoverage:
    key: str
    packs: list[str]
    sites: list
    tests: list
    informational: str | None = None

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "packs": self.packs,
            "applied_in": [str(site) for site in self.sites],
            "tests": [{"path": t.path, "via": t.via} for t in self.tests],
            "informational": self.informational,
        }


@dataclass
class ArticleCoverage:
    document: str
    file: str | None
    article: str
    keys: dict[str, KeyCoverage] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "document": self.document,
            "file": self.file,
            "article": self.article,
            "keys": [k.as_dict() for k in self.keys.values()],
        }


def coverage(packs_dir: Path, root: Path = ROOT, *, seeds_only: bool = True) -> list[ArticleCoverage]:
    """Every cited article (only the seed regulations' by default), in the order the packs cite them."""
    packset = PackSet(packs_dir)
    sites = applied_sites(str(root))
    tests = exercised_by(str(root))
    articles: dict[tuple[str, str], ArticleCoverage] = {}
    for pack_id in packset.ids:
        for rule in packset.packs[pack_id].rules:
            for citation in rule.citations:
                document = citation.document
                if seeds_only and not (document.file or "").startswith("seeds/"):
                    continue
                row = articles.setdefault(
                    (document.id, citation.article),
                    ArticleCoverage(document.title, document.file, citation.article),
                )
                entry = row.keys.setdefault(
                    rule.key,
                    KeyCoverage(rule.key, [], sites.get(rule.key, []), tests.get(rule.key, [])),
                )
                if pack_id not in entry.packs:
                    entry.packs.append(pack_id)
                entry.informational = entry.informational or rule.informational
    return list(articles.values())


def render(rows: list[ArticleCoverage], out) -> dict:
    """Write the report; returns the totals."""
    totals = {"articles": len(rows), "keys": 0, "applied": 0, "informational": 0, "untested": 0}
    for row in rows:
        out.write(f"《{row.document}》{row.article}" + (f"（{row.file}）" if row.file else ""))
        for entry in row.keys.values():
            totals["keys"] += 1
            out.write(f"  {entry.key}（{'、'.join(entry.packs)}）")
            if entry.sites:
                totals["applied"] += 1
                out.write("    执行：" + "；".join(str(site) for site in entry.sites))
                if entry.tests:
                    named = [t.path + ("" if t.via == "key" else f"（经 {t.via}）") for t in entry.tests]
                    out.write("    测试：" + "；".join(named))
                else:
                    totals["untested"] += 1
                    out.write("    测试：无")
            elif entry.informational:
                totals["informational"] += 1
                out.write(f"    仅供查阅：{entry.informational}")
            else:
                out.write("    执行：无（zhifa policy lint 会报错）")
    out.write(
        f"共 {totals['articles']} 个条款、{totals['keys']} 项条款与规则的对应：{totals['applied']} 项由代码执行"
        f"（其中 {totals['untested']} 项没有测试），{totals['informational']} 项仅供查阅。"
    )
    return totals
