"""Tests for `zhifa policy lint` (policy/lint.py): the shipped packs, each kind of bad input, and
finding cited articles in the regulation texts. No database."""

import io
import shutil
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from policy.lint import ERROR, WARNING, DocumentTexts, Problem, lint, locate_article, run
from policy.packs import DOCUMENTS_FILE, PackSet

SHIPPED_PACKS = [
    "fushun-city",
    "fushun-county-hrss",
    "national",
    "pingdingshan-hitech",
    "tonghua-city",
    "work-safety",
    "yuyao-city",
]

# A rule that lints clean; bad rules are written after it so that their line is not the first one.
GOOD_RULE = """\
  - key: penalty.payment_deadline
    value: 15
    unit: days
    cite: {doc: xzcfl, article: 第六十七条第三款}
    summary: 收到处罚决定书后十五日内缴纳罚款。
"""
# A second clean rule, the base that the tests below spoil one way or another.
OTHER_RULE = """\
  - key: penalty.decision_deadline
    value: 90
    unit: days
    cite: {doc: xzcfl, article: 第六十条}
    summary: 立案之日起九十日内作出处罚决定。
"""


def real_packs_dir() -> Path:
    return Path(settings.ZHIFA_POLICY_PACKS_DIR)


def real_regulations_dir() -> Path:
    return Path(settings.ZHIFA_REGULATIONS_DIR)


def pack_text(*rules: str, pack_id: str = "test-pack", header: str = "") -> str:
    """A small pack: the fixed head, any extra top-level lines, then the rules as written."""
    return f"id: {pack_id}\ntitle: 测试政策包\nagency: 测试局\n{header}rules:\n" + "".join(rules)


def write_pack(directory: Path, text: str, name: str = "test-pack") -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_containing(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based number of the nth line of `text` that contains `needle`."""
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= nth, f"“{needle}” occurs {len(hits)} times in the pack written"
    return hits[nth - 1]


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


def the_error(problems: list[Problem]) -> Problem:
    """The one error lint reported (fails, listing them all, when there is not exactly one)."""
    found = errors(problems)
    assert len(found) == 1, "\n".join(map(str, problems)) or "no problems"
    return found[0]


def lint_pack(packs_dir: Path, text: str, name: str = "test-pack") -> Problem:
    """Write one pack, lint the folder against the real texts and return its single error (whether
    code reads each key is left out here: tests of its own below)."""
    write_pack(packs_dir, text, name)
    return the_error(lint(packs_dir, real_regulations_dir(), source_dir=None))


@pytest.fixture
def packs_dir(tmp_path) -> Path:
    """An empty packs folder holding a copy of the real document catalogue."""
    shutil.copy(real_packs_dir() / DOCUMENTS_FILE, tmp_path / DOCUMENTS_FILE)
    return tmp_path


@pytest.fixture(scope="module")
def texts() -> DocumentTexts:
    """The catalogued documents cut out of the real regulation files, as lint does it."""
    return DocumentTexts(PackSet(real_packs_dir()).documents, real_regulations_dir())


# --- the shipped packs -----------------------------------------------------------------------------


def test_shipped_packs_lint_clean_against_the_real_texts():
    problems = lint(real_packs_dir(), real_regulations_dir())
    assert errors(problems) == []
    assert problems == []  # the texts are at hand, so there is not even the “unverified” warning


def test_run_returns_zero_and_prints_the_pass_line():
    out = io.StringIO()
    assert run(real_packs_dir(), real_regulations_dir(), out=out) == 0
    assert (
        out.getvalue() == f"政策包检查通过：{len(SHIPPED_PACKS)} 个政策包（{'、'.join(SHIPPED_PACKS)}）。\n"
    )


def test_run_returns_one_and_prints_each_problem_and_the_fail_line(packs_dir):
    text = pack_text(GOOD_RULE.replace("penalty.payment_deadline", "penalty.no_such_rule"))
    path = write_pack(packs_dir, text)
    out = io.StringIO()
    assert run(packs_dir, real_regulations_dir(), out=out) == 1
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        f"{path}:{line_containing(text, 'penalty.no_such_rule')}: 错误: "
        "规则键“penalty.no_such_rule”未在代码中定义（policy/registry.py）"
    )
    assert lines[-1] == "政策包检查未通过：1 个错误（检查了 1 个政策包）。"


def test_documents_catalogue_cuts_every_document_out_of_its_file(texts):
    assert texts.problems == []
    assert set(texts.texts) == {doc_id for doc_id, doc in texts.documents.items() if doc.file}


# --- schema, keys, units and values ------------------------------------------------------------------


def test_rule_without_cite(packs_dir):
    bad = """\
  - key: penalty.officers_min
    value: 2
    unit: count
    summary: 至少两名执法人员。
"""
    text = pack_text(GOOD_RULE, bad)
    problem = lint_pack(packs_dir, text)
    assert problem.path.endswith("test-pack.yaml")
    assert problem.line == line_containing(text, "key: penalty.officers_min")
    assert problem.message == "rules.1：缺少 cite 或 platform_default（引用依据，或说明为何是平台默认值）"


def test_rule_with_an_empty_cite_list(packs_dir):
    bad = """\
  - key: penalty.officers_min
    value: 2
    unit: count
    cite: []
    summary: 至少两名执法人员。
"""
    text = pack_text(GOOD_RULE, bad)
    write_pack(packs_dir, text)
    found = errors(lint(packs_dir, real_regulations_dir()))
    line = line_containing(text, "key: penalty.officers_min")
    assert {p.line for p in found} == {line, line_containing(text, "cite: []")}
    assert any(p.message == "规则“penalty.officers_min”没有引用依据" and p.line == line for p in found)


def test_unknown_unit(packs_dir):
    text = pack_text(GOOD_RULE, OTHER_RULE.replace("unit: days", "unit: weeks"))
    problem = lint_pack(packs_dir, text)
    assert problem.path.endswith("test-pack.yaml")
    assert problem.line == line_containing(text, "key: penalty.decision_deadline")
    assert "规则“penalty.decision_deadline”的单位“weeks”未知" in problem.message


def test_unit_not_allowed_for_the_key(packs_dir):
    bad = """\
  - key: penalty.officers_min
    value: 2
    unit: days
    cite: {doc: xzcfl, article: 第四十二条}
    summary: 至少两名执法人员。
"""
    text = pack_text(GOOD_RULE, bad)
    problem = lint_pack(packs_dir, text)
    assert problem.path.endswith("test-pack.yaml")
    assert problem.line == line_containing(text, "key: penalty.officers_min")
    assert problem.message == "规则“penalty.officers_min”不能使用单位“days”，应为：count"


def test_key_no_code_knows(packs_dir):
    text = pack_text(GOOD_RULE, OTHER_RULE.replace("penalty.decision_deadline", "penalty.payment_grace"))
    problem = lint_pack(packs_dir, text)
    assert problem.path.endswith("test-pack.yaml")
    assert problem.line == line_containing(text, "key: penalty.payment_grace")
    assert problem.message == "规则键“penalty.payment_grace”未在代码中定义（policy/registry.py）"


def test_list_where_an_integer_is_expected(packs_dir):
    text = pack_text(GOOD_RULE, OTHER_RULE.replace("value: 90", "value: [90, 30]"))
    problem = lint_pack(packs_dir, text)
    assert problem.path.endswith("test-pack.yaml")
    assert problem.line == line_containing(text, "key: penalty.decision_deadline")
    assert (
        problem.message == "规则“penalty.decision_deadline”的取值不符合要求：取值“[90, 30]”的类型不符合要求"
    )


def test_table_row_missing_a_required_column(packs_dir):
    bad = """\
  - key: archive.retention
    value:
      - {case_kind: 涉及重大行政处罚的案件, period: permanent}
      - {case_kind: 其他案件}
    unit: table
    cite: {doc: dafsstl, article: 第一条}
    summary: 案卷按案件类别确定保管期限。
"""
    text = pack_text(GOOD_RULE, bad)
    problem = lint_pack(packs_dir, text)
    assert problem.path.endswith("test-pack.yaml")
    assert problem.line == line_containing(text, "key: archive.retention")
    assert problem.message == "规则“archive.retention”的取值[1]不符合要求：缺少必填项 period"


def test_text_value_outside_the_allowed_codes(packs_dir):
    bad = """\
  - key: av.exemption_report_to
    value: mayor
    unit: text
    cite: {doc: fs-av, article: 第五条}
    summary: 未作音像记录的报告对象。
"""
    text = pack_text(GOOD_RULE, bad)
    problem = lint_pack(packs_dir, text)
    assert problem.line == line_containing(text, "key: av.exemption_report_to")
    assert problem.message.startswith(
        "规则“av.exemption_report_to”的取值不符合要求：取值“mayor”不在允许范围内：officer"
    )


# --- citations ------------------------------------------------------------------------------------------


def test_citation_to_a_document_not_in_the_catalogue(packs_dir):
    text = pack_text(GOOD_RULE, OTHER_RULE.replace("doc: xzcfl", "doc: no-such-doc"))
    problem = lint_pack(packs_dir, text)
    assert problem.path.endswith("test-pack.yaml")
    assert problem.line == line_containing(text, "key: penalty.decision_deadline")
    assert (
        problem.message
        == "规则“penalty.decision_deadline”引用的文件“no-such-doc”不在文件目录 _documents.yaml 中"
    )


def test_citation_to_an_article_beyond_the_statute(packs_dir):
    text = pack_text(GOOD_RULE, OTHER_RULE.replace("第六十条", "第二百条"))
    problem = lint_pack(packs_dir, text)
    assert problem.path.endswith("test-pack.yaml")
    assert problem.line == line_containing(text, "key: penalty.decision_deadline")
    assert (
        problem.message
        == "规则“penalty.decision_deadline”引用的《中华人民共和国行政处罚法》第二百条在原文中不存在"
    )


def test_citation_to_an_article_beyond_a_short_document_in_a_shared_file(packs_dir):
    # 记录信息调阅监督制度 ends at 第十二条; the next document in seed 000 has a 第二十一条.
    bad = """\
  - key: access.register_required
    value: true
    unit: bool
    cite: {doc: fs-access, article: 第二十一条}
    summary: 调阅须登记。
"""
    text = pack_text(GOOD_RULE, bad)
    problem = lint_pack(packs_dir, text)
    assert problem.path.endswith("test-pack.yaml")
    assert problem.line == line_containing(text, "key: access.register_required")
    assert "《抚顺市应急管理局记录信息调阅监督制度》第二十一条在原文中不存在" in problem.message


def test_citation_with_an_unparsable_locator(packs_dir):
    text = pack_text(GOOD_RULE, OTHER_RULE.replace("第六十条", "第67条"))
    problem = lint_pack(packs_dir, text)
    assert problem.path.endswith("test-pack.yaml")
    assert problem.line == line_containing(text, "key: penalty.decision_deadline")
    assert problem.message.startswith("规则“penalty.decision_deadline”的条款“第67条”格式无法识别")


def test_citation_of_a_document_without_text_is_accepted(packs_dir):
    # 民法典 is catalogued with file: null: any well-formed article is accepted unverified.
    rule = """\
  - key: calendar.period_end_rolls_over_holiday
    value: true
    unit: bool
    cite: {doc: mfd, article: 第九百九十九条}
    summary: 期间届满日遇法定休假日的顺延。
"""
    write_pack(packs_dir, pack_text(GOOD_RULE, rule))
    assert lint(packs_dir, real_regulations_dir()) == []


# --- extends ----------------------------------------------------------------------------------------------


def test_extends_cycle_is_reported_in_both_packs(packs_dir):
    text_a = pack_text(GOOD_RULE, pack_id="pack-a", header="extends: pack-b\n")
    text_b = pack_text(GOOD_RULE, pack_id="pack-b", header="extends: pack-a\n")
    write_pack(packs_dir, text_a, "pack-a")
    write_pack(packs_dir, text_b, "pack-b")
    found = sorted(errors(lint(packs_dir, real_regulations_dir())), key=lambda p: p.path)
    assert [Path(p.path).name for p in found] == ["pack-a.yaml", "pack-b.yaml"]
    assert [p.line for p in found] == [
        line_containing(text_a, "extends:"),
        line_containing(text_b, "extends:"),
    ]
    assert found[0].message == "extends 形成循环：pack-a → pack-b → pack-a"
    assert found[1].message == "extends 形成循环：pack-b → pack-a → pack-b"


def test_extends_naming_a_missing_pack(packs_dir):
    text = pack_text(GOOD_RULE, header="extends: nowhere\n")
    problem = lint_pack(packs_dir, text)
    assert problem.path.endswith("test-pack.yaml")
    assert problem.line == line_containing(text, "extends: nowhere")
    assert problem.message == "找不到政策包“nowhere”"


# --- dates ------------------------------------------------------------------------------------------------


def test_overlapping_effective_ranges_for_the_same_key(packs_dir):
    first = GOOD_RULE + '    effective_from: "2020-01-01"\n    effective_to: "2022-12-31"\n'
    second = GOOD_RULE.replace("value: 15", "value: 20") + '    effective_from: "2022-12-31"\n'
    text = pack_text(first, second)
    problem = lint_pack(packs_dir, text)
    assert problem.path.endswith("test-pack.yaml")
    assert problem.line == line_containing(text, "key: penalty.payment_deadline", nth=2)
    assert (
        problem.message
        == "规则“penalty.payment_deadline”出现多次且生效期间重叠；同一规则的不同版本须以生效日期区分"
    )


def test_same_key_twice_without_dates_overlaps(packs_dir):
    text = pack_text(GOOD_RULE, GOOD_RULE)
    problem = lint_pack(packs_dir, text)
    assert problem.line == line_containing(text, "key: penalty.payment_deadline", nth=2)
    assert "生效期间重叠" in problem.message


def test_versions_meeting_day_to_day_do_not_overlap(packs_dir):
    first = GOOD_RULE + '    effective_to: "2022-12-31"\n'
    second = GOOD_RULE.replace("value: 15", "value: 20") + '    effective_from: "2023-01-01"\n'
    write_pack(packs_dir, pack_text(first, second))
    assert lint(packs_dir, real_regulations_dir()) == []


def test_rule_ending_before_it_starts(packs_dir):
    bad = OTHER_RULE + '    effective_from: "2023-01-01"\n    effective_to: "2022-12-31"\n'
    text = pack_text(GOOD_RULE, bad)
    problem = lint_pack(packs_dir, text)
    assert problem.path.endswith("test-pack.yaml")
    assert problem.line == line_containing(text, "key: penalty.decision_deadline")
    assert problem.message == "规则“penalty.decision_deadline”的失效日期早于生效日期"


def test_pack_ending_before_it_starts(packs_dir):
    text = pack_text(GOOD_RULE, header='effective_from: "2021-05-13"\neffective_to: "2021-05-12"\n')
    problem = lint_pack(packs_dir, text)
    assert problem.path.endswith("test-pack.yaml")
    assert problem.line == line_containing(text, "effective_to:")
    assert problem.message == "失效日期早于生效日期"


def test_impossible_date(packs_dir):
    text = pack_text(GOOD_RULE, OTHER_RULE + '    effective_from: "2026-02-30"\n')
    write_pack(packs_dir, text)
    found = errors(lint(packs_dir, real_regulations_dir()))
    # Well-formed, so the schema accepts it; but there is no 30 February.
    assert [(Path(p.path).name, p.line, p.message) for p in found] == [
        ("test-pack.yaml", line_containing(text, "2026-02-30"), "日期“2026-02-30”不存在")
    ]


def test_impossible_pack_date(packs_dir):
    text = pack_text(GOOD_RULE, header='effective_from: "2021-13-01"\n')
    problem = lint_pack(packs_dir, text)
    assert problem.line == line_containing(text, "2021-13-01")
    assert problem.message == "日期“2021-13-01”不存在"


# --- the file itself --------------------------------------------------------------------------------------


def test_yaml_syntax_error_is_reported_with_its_line(packs_dir):
    text = pack_text(GOOD_RULE, OTHER_RULE.replace("summary: 立案", "summary: 期限: 立案"))
    problem = lint_pack(packs_dir, text)
    assert problem.path.endswith("test-pack.yaml")
    assert problem.line == line_containing(text, "期限: 立案")
    assert problem.message.startswith("YAML 格式错误：")


def test_duplicate_mapping_key(packs_dir):
    text = pack_text(GOOD_RULE, OTHER_RULE.replace("    unit: days\n", "    unit: days\n    value: 20\n"))
    problem = lint_pack(packs_dir, text)
    assert problem.path.endswith("test-pack.yaml")
    assert problem.line == line_containing(text, "value: 20")
    assert problem.message == "键“value”重复"


def test_id_not_matching_the_file_name(packs_dir):
    text = pack_text(GOOD_RULE, pack_id="other-name")
    problem = lint_pack(packs_dir, text, name="test-pack")
    assert problem.path.endswith("test-pack.yaml")
    assert problem.line == line_containing(text, "id: other-name")
    assert problem.message == "id“other-name”应与文件名“test-pack”一致"


# A list where lint looks a string up in a dict: the schema says “wrong type”, but the lookup
# raises TypeError first (see test_unhashable_values_are_reported_not_raised).
UNHASHABLE_SPOILS = {
    "key": (OTHER_RULE.replace("key: penalty.decision_deadline", "key: [penalty.decision_deadline]"), ""),
    "cite.doc": (OTHER_RULE.replace("doc: xzcfl", "doc: [xzcfl]"), ""),
    "extends": (OTHER_RULE, "extends: [national]\n"),
}


@pytest.mark.parametrize("spoiled", UNHASHABLE_SPOILS)
def test_unhashable_values_are_reported_not_raised(packs_dir, spoiled):
    rule, header = UNHASHABLE_SPOILS[spoiled]
    text = pack_text(GOOD_RULE, rule, header=header)
    write_pack(packs_dir, text)
    found = errors(lint(packs_dir, real_regulations_dir()))
    assert found
    assert all(p.path.endswith("test-pack.yaml") for p in found)


# --- without the regulation texts ----------------------------------------------------------------------------


def test_without_texts_the_shipped_packs_pass_with_a_warning(tmp_path):
    missing = tmp_path / "no-regulations"
    problems = lint(real_packs_dir(), missing)
    assert errors(problems) == []
    assert [(p.severity, p.path, p.message) for p in problems] == [
        (WARNING, str(missing), "找不到法规文本目录，未核对引用条款是否存在")
    ]
    out = io.StringIO()
    assert run(real_packs_dir(), missing, out=out) == 0
    assert "政策包检查通过" in out.getvalue()


def test_without_texts_everything_but_the_articles_is_still_checked(packs_dir, tmp_path):
    unverifiable = GOOD_RULE.replace("第六十七条第三款", "第二百条")
    unknown_key = GOOD_RULE.replace("penalty.payment_deadline", "penalty.no_such_rule")
    text = pack_text(unverifiable, unknown_key)
    write_pack(packs_dir, text)
    problems = lint(packs_dir, tmp_path / "no-regulations")
    assert [p.severity for p in problems if "未核对引用条款" in p.message] == [WARNING]
    problem = the_error(problems)
    assert problem.line == line_containing(text, "penalty.no_such_rule")
    assert "未在代码中定义" in problem.message


# --- finding articles in the texts ----------------------------------------------------------------------------


def test_locate_article_in_the_publicity_system(texts):
    assert locate_article("第二十一条", texts.texts["fs-publicity"])
    assert locate_article("第二十一条第一款", texts.texts["fs-publicity"])
    assert not locate_article("第三十条", texts.texts["fs-publicity"])


def test_locate_annex_row(texts):
    yuyao = texts.texts["yy-three"]
    assert locate_article("附件1", yuyao)
    assert locate_article("附件1第23行", yuyao)
    assert not locate_article("附件1第24行", yuyao)
    assert not locate_article("附件3", yuyao)


@pytest.mark.parametrize("outline", ["二（一）5", "（二）4（1）", "二（二）4（2）", "二（三）1"])
def test_locate_outline_found(texts, outline):
    assert locate_article(outline, texts.texts["yy-three"])


@pytest.mark.parametrize("outline", ["二（四）", "二（三）9", "（二）4（4）", "五、"])
def test_locate_outline_not_found(texts, outline):
    assert not locate_article(outline, texts.texts["yy-three"])


def test_locate_outline_stays_inside_its_section(texts):
    # Section 一、工作目标 has no sub-items; （一） and 5. only occur under 二、.
    assert not locate_article("一（一）5", texts.texts["yy-three"])


# The eight systems in seed 000 and the last article of each.
SEED_000_LAST_ARTICLES = {
    "fs-publicity": ("第二十九条", "第三十条"),
    "fs-record": ("第二十五条", "第二十六条"),
    "fs-review": ("第二十条", "第二十一条"),
    "fs-av-equipment": ("第十六条", "第十七条"),
    "fs-record-info": ("第十五条", "第十六条"),
    "fs-access": ("第十二条", "第十三条"),
    "fs-av": ("第二十二条", "第二十三条"),
    "fs-info": ("第二十三条", "第二十四条"),
}


def test_seed_000_holds_eight_documents(texts):
    in_seed = sorted(d.id for d in texts.documents.values() if d.file == "seeds/000_04a1bc6199d80048.txt")
    assert in_seed == sorted(SEED_000_LAST_ARTICLES)


@pytest.mark.parametrize(("doc_id", "articles"), SEED_000_LAST_ARTICLES.items())
def test_seed_000_is_cut_at_each_document(texts, doc_id, articles):
    last, after_last = articles
    text = texts.texts[doc_id]
    assert "".join(text.splitlines()[0].split()) == "".join(texts.documents[doc_id].start.split())
    assert sum(line.strip().startswith("第一条") for line in text.splitlines()) == 1
    assert locate_article(last, text)
    assert not locate_article(after_last, text)


def test_publicity_has_article_29_but_the_access_system_does_not(texts):
    assert locate_article("第二十九条", texts.texts["fs-publicity"])
    assert not locate_article("第二十九条", texts.texts["fs-access"])
    assert locate_article("第十二条", texts.texts["fs-access"])


def test_an_unquoted_no_column_gets_a_helpful_message(packs_dir):
    rule = """  - key: equipment.standard
    value:
      - {no: 1, device_kind: camera, per: section, count: 1}
    unit: table
    cite: {doc: xzcfl, article: 第四十二条}
    summary: 每科室一台照相机
"""
    write_pack(packs_dir, pack_text(rule))
    found = errors(lint(packs_dir, real_regulations_dir()))
    assert any("列名被 YAML 读成了真/假值" in p.message for p in found)


# --- no rule sits unread (issue 11 item 6) ------------------------------------------------------------


def test_a_key_no_code_reads_fails_unless_marked_informational(packs_dir):
    unread = """\
  - key: compulsion.court_application_window
    value: 3
    unit: months
    cite: {doc: xzqzf, article: 第五十三条}
    summary: 复议、诉讼期限届满后三个月内可申请人民法院强制执行。
"""
    text = pack_text(GOOD_RULE, unread)
    write_pack(packs_dir, text)
    problem = the_error(lint(packs_dir, real_regulations_dir()))
    assert problem.line == line_containing(text, "key: compulsion.court_application_window")
    assert "没有任何代码读取" in problem.message and "informational" in problem.message

    marked = unread.replace("    value: 3\n", "    informational: 申请人民法院强制执行的期限尚未跟踪，仅展示。\n    value: 3\n")
    write_pack(packs_dir, pack_text(GOOD_RULE, marked))
    assert lint(packs_dir, real_regulations_dir()) == []


def test_an_informational_mark_on_a_key_that_code_reads_is_a_warning(packs_dir):
    marked = GOOD_RULE.replace("    value: 15\n", "    informational: 仅供展示的理由。\n    value: 15\n")
    write_pack(packs_dir, pack_text(marked))
    [problem] = lint(packs_dir, real_regulations_dir())
    assert problem.severity == WARNING and "matters/workflows.py" in problem.message


def test_the_scan_reads_code_not_comments_or_tests(tmp_path):
    from policy.usage import scan_sites, scan_tests

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "tests").mkdir()
    (tmp_path / "app" / "services.py").write_text(
        '"""Uses penalty.late_surcharge_cap in prose only."""\n'
        "# rules.rule(\"penalty.late_surcharge_cap\") in a comment\n"
        "def surcharge(rules):\n"
        '    return rules.rule("penalty.late_surcharge_daily_rate")\n'
        "def _cap(rules):\n"
        '    return rules.get("compulsion.court_application_window")\n'
        "def enforce(rules):\n"
        "    return _cap(rules)\n",
        encoding="utf-8",
    )
    (tmp_path / "app" / "tests" / "test_x.py").write_text(
        'def test_it():\n    assert "penalty.late_surcharge_cap"\n    surcharge(None)\n    enforce(None)\n',
        encoding="utf-8",
    )
    sites = scan_sites(tmp_path)
    assert set(sites) == {"penalty.late_surcharge_daily_rate", "compulsion.court_application_window"}
    [site] = sites["penalty.late_surcharge_daily_rate"]
    assert (site.path, site.function, site.line) == ("app/services.py", "surcharge", 4)
    tests = scan_tests(tmp_path, sites)
    assert [(u.path, u.via) for u in tests["penalty.late_surcharge_daily_rate"]] == [
        ("app/tests/test_x.py", "surcharge")
    ]
    assert [(u.path, u.via) for u in tests["penalty.late_surcharge_cap"]] == [("app/tests/test_x.py", "key")]
    # A private helper is exercised through the public function that calls it.
    assert [(u.path, u.via) for u in tests["compulsion.court_application_window"]] == [
        ("app/tests/test_x.py", "enforce")
    ]


def test_a_platform_default_needs_no_article_and_says_so(packs_dir):
    rule = """\
  - key: av.interruption_tolerance
    value: 10
    unit: seconds
    platform_default: 制度未规定秒数，平台默认值。
    summary: 相邻片段间隔超过10秒视为中断。
"""
    write_pack(packs_dir, pack_text(GOOD_RULE, rule))
    assert lint(packs_dir, real_regulations_dir()) == []
    resolved = PackSet(packs_dir).resolve("test-pack", date(2026, 1, 1))
    assert resolved.rule("av.interruption_tolerance").cited() == "平台默认值"
    shipped = PackSet(real_packs_dir()).resolve("fushun-city", date(2026, 1, 1))
    for key in ("av.interruption_tolerance", "av.session_break", "equipment.clock_tolerance"):
        assert shipped.rule(key).platform_default, key
        assert shipped.rule(key).cited().startswith("平台默认值（落实《"), key
