"""Tests for reading and resolving policy packs (policy/packs.py): inheritance, effective dates and the
figures each agency's regulations set. No database."""

import shutil
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from policy.lint import ERROR, lint
from policy.packs import DOCUMENTS_FILE, PackError, PackSet, Rule, RuleMissing

ON = date(2025, 6, 1)  # every shipped pack is in force


def rule_of(packset: PackSet, pack_id: str, key: str, on: date = ON) -> Rule:
    return packset.resolve(pack_id, on).rule(key)


def write_pack(directory: Path, name: str, text: str) -> None:
    (directory / f"{name}.yaml").write_text(text, encoding="utf-8")


def pack_text(pack_id: str, rules: str, extends: str | None = None) -> str:
    head = f"id: {pack_id}\ntitle: {pack_id} 政策包\nagency: {pack_id}\n"
    if extends:
        head += f"extends: {extends}\n"
    return head + "rules:\n" + rules


def rule_text(key: str, value, unit: str, article: str, **dates: str) -> str:
    text = (
        f"  - key: {key}\n    value: {value}\n    unit: {unit}\n"
        f"    cite: {{doc: xzcfl, article: {article}}}\n    summary: 测试用的规则（{key}）。\n"
    )
    return text + "".join(f'    {name}: "{day}"\n' for name, day in dates.items())


@pytest.fixture(scope="module")
def packset() -> PackSet:
    return PackSet(Path(settings.ZHIFA_POLICY_PACKS_DIR))


@pytest.fixture
def chain_dir(tmp_path) -> Path:
    """base ← child ← grandchild; base has two dated versions of review.time_limit."""
    shutil.copy(Path(settings.ZHIFA_POLICY_PACKS_DIR) / DOCUMENTS_FILE, tmp_path / DOCUMENTS_FILE)
    base = (
        rule_text("penalty.payment_deadline", 15, "days", "第六十七条第三款")
        + rule_text("penalty.officers_min", 2, "count", "第四十二条")
        + rule_text("penalty.hearing_request_period", 5, "working_days", "第六十四条")
        + rule_text("review.time_limit", 5, "working_days", "第五十八条", effective_to="2022-12-31")
        + rule_text("review.time_limit", 7, "working_days", "第五十八条", effective_from="2023-01-01")
    )
    child = rule_text("penalty.payment_deadline", 20, "days", "第六十七条第三款") + rule_text(
        "penalty.officers_min", 3, "count", "第四十二条"
    )
    grandchild = rule_text("penalty.payment_deadline", 30, "days", "第六十七条第三款")
    write_pack(tmp_path, "base", pack_text("base", base))
    write_pack(tmp_path, "child", pack_text("child", child, extends="base"))
    write_pack(tmp_path, "grandchild", pack_text("grandchild", grandchild, extends="child"))
    return tmp_path


# --- the shipped packs ------------------------------------------------------------------------------


def test_shipped_pack_ids(packset):
    assert packset.ids == [
        "fushun-city",
        "fushun-county-hrss",
        "national",
        "pingdingshan-hitech",
        "tonghua-city",
        "work-safety",
        "yuyao-city",
    ]
    # Emergency-management bureaus extend the work-safety field pack; the labour bureau only the
    # general baseline (issue 11 item 4: 安全生产法 does not bind it).
    extends = {pack.id: pack.extends for pack in packset.packs.values()}
    assert extends == {
        "national": (),
        "work-safety": ("national",),
        "fushun-city": ("work-safety",),
        "tonghua-city": ("work-safety",),
        "yuyao-city": ("work-safety",),
        "pingdingshan-hitech": ("work-safety",),
        "fushun-county-hrss": ("national",),
    }


def test_every_rule_is_cited_and_summarised(packset):
    for pack in packset.packs.values():
        assert pack.rules, pack.id
        for rule in pack.rules:
            where = f"{pack.id}: {rule.key}"
            assert rule.citations, where
            assert rule.summary.strip(), where
            for citation in rule.citations:
                assert citation.article.strip(), where
                assert packset.documents[citation.document.id] == citation.document, where
                assert citation.document.title.strip(), where
                assert citation.document.title != citation.document.id, where


def test_citation_reads_as_title_and_article(packset):
    rule = rule_of(packset, "fushun-city", "publicity.penalty_deadline")
    assert [str(c) for c in rule.citations] == [
        "《抚顺市应急管理局安全生产行政执法公示制度》第二十一条第一款"
    ]
    assert rule.citations[0].as_dict() == {
        "document": "抚顺市应急管理局安全生产行政执法公示制度",
        "document_id": "fs-publicity",
        "file": "seeds/000_04a1bc6199d80048.txt",
        "article": "第二十一条第一款",
    }


# --- inheritance -------------------------------------------------------------------------------------


def test_fushun_inherits_the_payment_deadline_from_national(packset):
    rule = rule_of(packset, "fushun-city", "penalty.payment_deadline")
    assert (rule.pack_id, rule.value, rule.unit) == ("national", 15, "days")


def test_fushun_sets_its_own_review_fine_thresholds(packset):
    person = rule_of(packset, "fushun-city", "review.fine_threshold_person")
    organisation = rule_of(packset, "fushun-city", "review.fine_threshold_organisation")
    assert (person.value, person.unit, person.pack_id) == (10000, "yuan", "fushun-city")
    assert (organisation.value, organisation.unit, organisation.pack_id) == (100000, "yuan", "fushun-city")


def test_yuyao_review_fine_threshold_is_the_same_for_both(packset):
    resolved = packset.resolve("yuyao-city", ON)
    assert resolved.value("review.fine_threshold_person") == 50000
    assert resolved.value("review.fine_threshold_organisation") == 50000


def test_key_set_by_neither_agency_nor_baseline_is_missing(packset):
    resolved = packset.resolve("fushun-city", ON)
    assert "penalty.filing_after_investigation" not in resolved
    with pytest.raises(RuleMissing) as caught:
        resolved.rule("penalty.filing_after_investigation")
    assert (
        str(caught.value)
        == "政策包“抚顺市应急管理局政策包”在2025-06-01没有规则“penalty.filing_after_investigation”"
    )
    with pytest.raises(RuleMissing, match="没有规则"):
        resolved.value("penalty.filing_after_investigation")
    assert resolved.value("penalty.filing_after_investigation", default=None) is None


def test_resolved_chain_is_nearest_first(packset):
    resolved = packset.resolve("yuyao-city", ON)
    assert [pack.id for pack in resolved.chain] == ["yuyao-city", "work-safety", "national"]
    assert resolved.pack.id == "yuyao-city"
    assert [pack.id for pack in packset.resolve("national", ON).chain] == ["national"]


def test_resolving_an_unknown_pack_raises_pack_error(packset):
    with pytest.raises(PackError, match="找不到政策包“no-such-agency”"):
        packset.resolve("no-such-agency", ON)


# --- the figures that differ between agencies (seeds/INDEX.md) -----------------------------------------


@pytest.mark.parametrize(
    ("pack_id", "key", "value", "unit"),
    [
        # AV files into central storage
        ("fushun-city", "av.ingest_deadline", 24, "hours"),
        ("fushun-city", "av.ingest_deadline_after_return", 24, "hours"),
        ("yuyao-city", "av.ingest_deadline_after_return", 24, "hours"),
        ("yuyao-city", "av.ingest_deadline_max", 3, "working_days"),
        ("pingdingshan-hitech", "av.ingest_deadline", 24, "hours"),
        ("tonghua-city", "av.ingest_deadline", 24, "hours"),
        # case file archived after closing
        ("fushun-city", "archive.deadline_after_closing", 30, "days"),
        ("yuyao-city", "archive.deadline_after_closing", 30, "working_days"),
        ("tonghua-city", "archive.deadline_after_closing", 30, "days"),
        # decisions published, and taken down
        ("fushun-city", "publicity.penalty_deadline", 7, "working_days"),
        ("fushun-city", "publicity.licensing_deadline", 7, "working_days"),
        ("fushun-city", "publicity.other_deadline", 20, "working_days"),
        ("fushun-city", "publicity.display_period", 2, "years"),
        ("fushun-city", "publicity.display_period_natural_person", 1, "years"),
        ("yuyao-city", "publicity.penalty_deadline", 7, "working_days"),
        ("yuyao-city", "publicity.licensing_deadline", 7, "working_days"),
        ("yuyao-city", "publicity.other_deadline", 20, "working_days"),
        ("yuyao-city", "publicity.penalty_display_period", 5, "years"),
        ("yuyao-city", "publicity.display_period_minimum", 1, "years"),
        # legal review
        ("fushun-city", "review.time_limit", 7, "working_days"),
        ("fushun-city", "review.extension", 5, "working_days"),
        ("yuyao-city", "review.reviewer_ratio_min", 5, "percent"),
        # AV retention
        ("fushun-city", "av.retention_min", 3, "years"),
        ("fushun-city", "av.retention_follows_case_file", True, "bool"),
        ("pingdingshan-hitech", "av.retention_min", 3, "years"),
    ],
)
def test_agency_figure(packset, pack_id, key, value, unit):
    rule = rule_of(packset, pack_id, key)
    assert (rule.value, rule.unit, rule.pack_id) == (value, unit, pack_id)


@pytest.mark.parametrize(
    ("pack_id", "key"),
    [
        ("pingdingshan-hitech", "archive.deadline_after_closing"),
        ("tonghua-city", "review.time_limit"),
        ("yuyao-city", "publicity.display_period_natural_person"),
        ("fushun-city", "publicity.display_period_minimum"),
    ],
)
def test_figure_the_agency_does_not_set_is_missing(packset, pack_id, key):
    with pytest.raises(RuleMissing):
        rule_of(packset, pack_id, key)


def test_pingdingshan_archive_retention_by_case_kind(packset):
    rule = rule_of(packset, "pingdingshan-hitech", "archive.retention")
    assert rule.unit == "table"
    assert [row["period"] for row in rule.value] == ["permanent", "permanent", 30, 10, 10, 5]
    assert dict((row["case_kind"], row["period"]) for row in rule.value)["其他案件"] == 5


# --- the recording lists ---------------------------------------------------------------------------------


def test_yuyao_recording_list_has_23_numbered_rows_with_start_and_end(packset):
    rows = rule_of(packset, "yuyao-city", "av.recording_list").value
    assert [row["no"] for row in rows] == list(range(1, 24))
    for row in rows:
        assert row["start"].strip() and row["end"].strip(), row["no"]
    assert rows[22]["start"] == "查封、扣押开始前"
    assert rows[22]["end"] == "查封、扣押结束后"


def test_pingdingshan_recording_list_has_always_and_disputed_rows(packset):
    rows = rule_of(packset, "pingdingshan-hitech", "av.recording_list").value
    by_when = {when: [row["no"] for row in rows if row["when"] == when] for when in ("always", "disputed")}
    assert by_when == {"always": [1, 2, 3, 4, 5], "disputed": [1, 2, 3, 4, 5, 6, 7]}
    assert {row["when"] for row in rows} == {"always", "disputed"}


# --- effective dates ----------------------------------------------------------------------------------------


def _festival(rule: Rule, name: str) -> dict:
    return next(row for row in rule.value if row["name"] == name)


def test_statutory_festivals_follow_the_2024_revision_from_2025(packset):
    rule = rule_of(packset, "fushun-city", "calendar.statutory_festivals", on=date(2025, 6, 1))
    assert rule.pack_id == "national"
    assert _festival(rule, "春节") == {"name": "春节", "rule": "lunar_new_year_eve", "days": 4}
    assert _festival(rule, "劳动节")["days"] == 2
    assert [c.document.id for c in rule.citations] == ["fjbf-2024"]


def test_statutory_festivals_before_2025_use_the_2013_revision(packset):
    rule = rule_of(packset, "fushun-city", "calendar.statutory_festivals", on=date(2020, 6, 1))
    assert _festival(rule, "春节") == {"name": "春节", "rule": "lunar", "month": 1, "day": 1, "days": 3}
    assert _festival(rule, "劳动节")["days"] == 1
    assert [c.document.id for c in rule.citations] == ["fjbf-2013"]


def test_statutory_festivals_switch_at_new_year_2025(packset):
    last_old = rule_of(packset, "national", "calendar.statutory_festivals", on=date(2024, 12, 31))
    first_new = rule_of(packset, "national", "calendar.statutory_festivals", on=date(2025, 1, 1))
    assert _festival(last_old, "春节")["days"] == 3
    assert _festival(first_new, "春节")["days"] == 4
    with pytest.raises(RuleMissing):
        rule_of(packset, "national", "calendar.statutory_festivals", on=date(2013, 12, 31))


def test_pack_is_not_applied_before_its_effective_from(packset):
    before = packset.resolve("yuyao-city", date(2019, 1, 1))
    assert "av.ingest_deadline_max" not in before
    with pytest.raises(RuleMissing):
        before.rule("av.ingest_deadline_max")
    assert "review.fine_threshold_person" not in before
    # national rules still apply
    payment = before.rule("penalty.payment_deadline")
    assert (payment.pack_id, payment.value) == ("national", 15)


def test_pack_applies_from_its_effective_from_day(packset):
    assert "av.ingest_deadline_max" not in packset.resolve("yuyao-city", date(2019, 11, 3))
    rule = rule_of(packset, "yuyao-city", "av.ingest_deadline_max", on=date(2019, 11, 4))
    assert (rule.value, rule.unit) == (3, "working_days")


def test_fushun_before_2021_has_only_national_rules(packset):
    resolved = packset.resolve("fushun-city", date(2021, 5, 12))
    assert {rule.pack_id for rule in resolved} == {"national", "work-safety"}
    assert "review.time_limit" not in resolved
    assert rule_of(packset, "fushun-city", "review.time_limit", on=date(2021, 5, 13)).value == 7


# --- inheritance written to tmp_path ---------------------------------------------------------------------------


def test_written_chain_lints_clean(chain_dir):
    assert [p for p in lint(chain_dir, Path(settings.ZHIFA_REGULATIONS_DIR)) if p.severity == ERROR] == []


def test_three_level_chain(chain_dir):
    resolved = PackSet(chain_dir).resolve("grandchild", ON)
    assert [pack.id for pack in resolved.chain] == ["grandchild", "child", "base"]
    values = {
        key: (resolved.rule(key).value, resolved.rule(key).pack_id)
        for key in ("penalty.payment_deadline", "penalty.officers_min", "penalty.hearing_request_period")
    }
    assert values == {
        "penalty.payment_deadline": (30, "grandchild"),  # grandchild overrides child overrides base
        "penalty.officers_min": (3, "child"),  # child overrides base
        "penalty.hearing_request_period": (5, "base"),  # only in base: inherited
    }


def test_middle_of_the_chain_sees_only_its_ancestors(chain_dir):
    resolved = PackSet(chain_dir).resolve("child", ON)
    assert [pack.id for pack in resolved.chain] == ["child", "base"]
    assert resolved.value("penalty.payment_deadline") == 20


def test_rule_versions_resolve_by_date(chain_dir):
    packset = PackSet(chain_dir)
    old = packset.resolve("grandchild", date(2022, 12, 31)).rule("review.time_limit")
    new = packset.resolve("grandchild", date(2023, 1, 1)).rule("review.time_limit")
    assert (old.value, old.effective_to, old.pack_id) == (5, date(2022, 12, 31), "base")
    assert (new.value, new.effective_from, new.pack_id) == (7, date(2023, 1, 1), "base")


# --- the baseline split and several parents (issue 11 item 4) --------------------------------------------


def test_the_labour_bureau_is_bound_by_no_work_safety_rule(packset):
    hrss = packset.resolve("fushun-county-hrss", date(2026, 11, 1))
    cited_files = {c.document.id for rule in hrss for c in rule.citations}
    assert "aqscf" not in cited_files
    assert [p.id for p in hrss.chain] == ["fushun-county-hrss", "national"]
    # Its penalty decisions are published under 政府信息公开条例 (20 working days), not 安全生产法 (7).
    rule = hrss.rule("publicity.penalty_deadline")
    assert (rule.value, rule.pack_id) == (20, "national")
    assert "《中华人民共和国政府信息公开条例》第二十六条" in rule.cited()
    for pack_id in ("tonghua-city", "pingdingshan-hitech"):
        rule = rule_of(packset, pack_id, "publicity.penalty_deadline", on=date(2026, 11, 1))
        assert (rule.value, rule.pack_id) == (7, "work-safety")
        assert rule.cited() == "《中华人民共和国安全生产法》第七十八条第二款"


def test_a_pack_may_extend_several_packs_later_ones_overriding(chain_dir):
    write_pack(
        chain_dir,
        "field",
        pack_text("field", rule_text("penalty.payment_deadline", 25, "days", "第六十七条第三款"), extends="base"),
    )
    write_pack(
        chain_dir,
        "agency",
        pack_text("agency", rule_text("penalty.hearing_request_period", 6, "working_days", "第六十四条"))
        .replace("extends: child\n", "")
        .replace("rules:\n", "extends: [child, field]\nrules:\n"),
    )
    packs = PackSet(chain_dir)
    resolved = packs.resolve("agency", ON)
    # base comes once, after every pack that extends it; field (listed last) overrides child.
    assert [p.id for p in resolved.chain] == ["agency", "field", "child", "base"]
    assert resolved.rule("penalty.payment_deadline").value == 25
    assert resolved.rule("penalty.officers_min").value == 3  # from child, which field does not set
    assert resolved.rule("penalty.hearing_request_period").value == 6
    assert [p for p in lint(chain_dir, None, source_dir=None) if p.severity == ERROR] == []


def test_extends_cycle_through_a_list_is_reported(chain_dir):
    text = (chain_dir / "base.yaml").read_text(encoding="utf-8")
    (chain_dir / "base.yaml").write_text(text.replace("rules:\n", "extends: [grandchild]\nrules:\n", 1), encoding="utf-8")
    with pytest.raises(PackError, match="循环"):
        PackSet(chain_dir).resolve("grandchild", ON)


def test_a_process_parses_the_packs_once_and_again_when_a_pack_file_changes(chain_dir, settings, monkeypatch):
    from policy import selectors

    settings.ZHIFA_POLICY_PACKS_DIR = chain_dir
    first = selectors.packset()
    assert selectors.packset() is first  # not re-read per call (per request)
    assert rule_of(first, "child", "penalty.officers_min").value == 3
    child = chain_dir / "child.yaml"
    child.write_text(child.read_text(encoding="utf-8").replace("value: 3", "value: 4"), encoding="utf-8")
    assert selectors.packset() is first  # looked at again at most once a second
    monkeypatch.setattr(selectors, "PACKS_RECHECK_SECONDS", 0)
    changed = selectors.packset()
    assert changed is not first and rule_of(changed, "child", "penalty.officers_min").value == 4
