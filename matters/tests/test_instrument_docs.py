"""docs/instruments.md lists every kind of 文书 as the code has it: one code, one name, one 代字."""

import re
from pathlib import Path

from matters.instrument_types import TYPES

DOC = Path(__file__).resolve().parents[2] / "docs" / "instruments.md"


def test_the_kinds_table_matches_the_code_and_each_kind_has_one_code():
    rows = re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \| ([^|]+) \|", DOC.read_text(encoding="utf-8"), re.M)
    listed = {code: (title.strip(), abbr.strip()) for code, title, abbr in rows}
    assert listed == {t.code: (t.title, t.abbr or "—") for t in TYPES.values()}
    abbrs = [t.abbr for t in TYPES.values() if t.abbr]
    assert len(abbrs) == len(set(abbrs))
    titles = [t.title for t in TYPES.values()]
    assert len(titles) == len(set(titles))
