"""The statistics on a generated dataset equal counts made directly in SQL, month by month and
section by section, including events just after a local midnight at the turn of a month."""

import random
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from archive.models import CaseFile
from matters.models import Hazard, Matter, Step
from org.tests.factories import SectionFactory
from policy.models import Deadline
from records.models import Record, RecordVersion
from supervision.statistics import MONTHS, compute

YEAR = 2025


def _moment(rng):
    tz = timezone.get_current_timezone()
    month = rng.randint(1, 12)
    # A third of the events fall in the first hours of the 1st (the previous day in UTC).
    day, hour = (1, rng.randint(0, 7)) if rng.random() < 0.33 else (rng.randint(1, 28), rng.randint(0, 23))
    return datetime(YEAR, month, day, hour, rng.randint(0, 59), tzinfo=tz)


@pytest.fixture
def dataset(agency, section, make_staff):
    rng = random.Random(16)
    other = SectionFactory(agency=agency, name="执法监察二大队")
    officer = make_staff("officer")
    second = make_staff("officer", username="second")
    ct = ContentType.objects.get_for_model(Matter)
    for n in range(120):
        sec = section if n % 3 else other
        kind = rng.choice(["inspection", "inspection", "penalty", "compulsion"])
        opened = _moment(rng)
        m = Matter.objects.create(
            agency=agency, section=sec, kind=kind, procedure=rng.choice(["general", "simple"]),
            workflow=kind, state="open", title=f"事项{n}", opened_by=officer, opened_at=opened,
            fine_amount=Decimal(rng.randint(1, 50) * 1000) if kind == "penalty" else None,
        )
        m.officers.set(rng.choice([[officer], [second], [officer, second]]))
        step = Step.objects.create(matter=m, transition="inspect" if kind == "inspection" else "decide",
                                   label="环节", from_state="a", to_state="b", occurred_at=_moment(rng), acted_by=officer)
        if kind == "penalty" and rng.random() < 0.4:
            Step.objects.create(matter=m, transition="hold_hearing", label="举行听证", from_state="b", to_state="b",
                                occurred_at=_moment(rng), acted_by=second)
        if kind != "inspection" and rng.random() < 0.2:
            Step.objects.create(matter=m, transition="revoke", label="决定被撤销", from_state="b", to_state="r",
                                occurred_at=_moment(rng), acted_by=officer)
        if rng.random() < 0.3:  # closed, and its file sealed before or after the archiving deadline
            closed = _moment(rng)
            due = closed + timedelta(days=rng.randint(-20, 40))
            Deadline.objects.create(agency=agency, subject_type=ct, subject_id=str(m.pk), pack_id="fushun-city",
                                    rule_key="archive.deadline_after_closing", start=closed, amount=30, unit="days",
                                    due=due)
            CaseFile.objects.create(agency=agency, section=sec, matter=m, code=f"A{n}", title=m.title, cause="案由",
                                    closed_on=closed.date(), state="sealed", sealed_by=officer,
                                    sealed_at=closed + timedelta(days=10))
        if kind == "penalty" and rng.random() < 0.6:
            Step.objects.create(matter=m, transition="pay", label="缴纳罚款", from_state="b", to_state="c",
                                occurred_at=_moment(rng), acted_by=officer)
        if kind == "inspection":
            for _ in range(rng.randint(0, 2)):
                fixed = rng.random() < 0.5
                check = Step.objects.create(matter=m, transition="reinspect", label="复查", from_state="b",
                                            to_state="c", occurred_at=_moment(rng), acted_by=officer) if fixed else None
                Hazard.objects.create(matter=m, description="隐患", found_in=step, checked_in=check,
                                      state="rectified" if fixed else "open")
        if rng.random() < 0.5:
            record = Record.objects.create(agency=agency, section=sec, kind=rng.choice(["video", "audio", "document"]),
                                           title=f"记录{n}")
            filed = _moment(rng)
            RecordVersion.objects.create(record=record, number=1, sha256=f"{n:064x}", size=1, original_name="a.mp4",
                                         source="upload", filed_at=filed, stored_at=filed, late=rng.random() < 0.3)
    # One event outside the year is never counted.
    Matter.objects.create(agency=agency, section=section, kind="inspection", workflow="inspection", state="open",
                          title="去年", opened_by=officer, opened_at=datetime(YEAR - 1, 12, 31, 23, 0, tzinfo=timezone.get_current_timezone()))
    return [section, other]


def _bounds(month):
    tz = timezone.get_current_timezone()
    start = datetime(YEAR, month, 1, tzinfo=tz)
    end = datetime(YEAR + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return [connection.ops.adapt_datetimefield_value(start), connection.ops.adapt_datetimefield_value(end)]


def _sql(query, params):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        value = cursor.fetchone()[0]
    return value or 0


SQL = {
    "inspections": "SELECT COUNT(*) FROM matters_matter WHERE kind = 'inspection' AND section_id = %s"
                   " AND opened_at >= %s AND opened_at < %s",
    "cases": "SELECT COUNT(*) FROM matters_matter WHERE kind <> 'inspection' AND section_id = %s"
             " AND opened_at >= %s AND opened_at < %s",
    "hazards_found": "SELECT COUNT(*) FROM matters_hazard h JOIN matters_step s ON s.id = h.found_in_id"
                     " JOIN matters_matter m ON m.id = h.matter_id WHERE m.section_id = %s"
                     " AND s.occurred_at >= %s AND s.occurred_at < %s",
    "hazards_fixed": "SELECT COUNT(*) FROM matters_hazard h JOIN matters_step s ON s.id = h.checked_in_id"
                     " JOIN matters_matter m ON m.id = h.matter_id WHERE h.state = 'rectified' AND m.section_id = %s"
                     " AND s.occurred_at >= %s AND s.occurred_at < %s",
    "fines_imposed": "SELECT SUM(m.fine_amount) FROM matters_step s JOIN matters_matter m ON m.id = s.matter_id"
                     " WHERE s.transition = 'decide' AND m.kind = 'penalty' AND m.section_id = %s"
                     " AND s.occurred_at >= %s AND s.occurred_at < %s",
    "fines_collected": "SELECT SUM(m.fine_amount) FROM matters_step s JOIN matters_matter m ON m.id = s.matter_id"
                       " WHERE s.transition = 'pay' AND m.kind = 'penalty' AND m.section_id = %s"
                       " AND s.occurred_at >= %s AND s.occurred_at < %s",
    "hearings": "SELECT COUNT(*) FROM matters_step s JOIN matters_matter m ON m.id = s.matter_id"
                " WHERE s.transition = 'hold_hearing' AND m.section_id = %s AND s.occurred_at >= %s AND s.occurred_at < %s",
    "revoked": "SELECT COUNT(*) FROM matters_step s JOIN matters_matter m ON m.id = s.matter_id"
               " WHERE s.transition = 'revoke' AND m.section_id = %s AND s.occurred_at >= %s AND s.occurred_at < %s",
    "archiving_on_time": "SELECT COUNT(*) FROM archive_casefile c WHERE c.section_id = %s AND c.sealed_at >= %s"
                         " AND c.sealed_at < %s AND c.sealed_at <= (SELECT d.due FROM policy_deadline d"
                         " WHERE d.rule_key = 'archive.deadline_after_closing'"
                         " AND d.subject_id = CAST(c.matter_id AS VARCHAR(64)) ORDER BY d.start DESC, d.id DESC LIMIT 1)",
    "recordings_on_time": "SELECT COUNT(*) FROM records_recordversion v JOIN records_record r ON r.id = v.record_id"
                          " WHERE v.number = 1 AND r.kind IN ('video', 'audio') AND v.late = %s AND r.section_id = %s"
                          " AND v.filed_at >= %s AND v.filed_at < %s",
}


@pytest.mark.django_db
def test_statistics_equal_counts_made_in_sql(agency, dataset):
    stats = compute(agency, YEAR)
    figures = {f.key: f for f in stats.figures}
    checked = 0
    for key, query in SQL.items():
        fig = figures[key]
        for sec in dataset:
            for month in MONTHS:
                if key == "archiving_on_time":
                    assert fig.cell(month, sec.pk) == _sql(query, [sec.pk, *_bounds(month)]), (key, sec, month)
                elif key == "recordings_on_time":
                    on_time = _sql(query, [False, sec.pk, *_bounds(month)])
                    late = _sql(query, [True, sec.pk, *_bounds(month)])
                    assert fig.cell(month, sec.pk) == on_time, (key, sec, month)
                    assert _sum_totals(fig, month, sec.pk) == on_time + late, (key, sec, month)
                else:
                    expected = _sql(query, [sec.pk, *_bounds(month)])
                    assert Decimal(fig.cell(month, sec.pk)) == Decimal(expected), (key, sec.name, month)
                checked += 1
    assert checked == len(SQL) * 2 * 12
    assert figures["inspections"].cell() > 20 and figures["hazards_found"].cell() > 5  # the data is not empty
    assert figures["fines_collected"].cell() > 0 and figures["hearings"].cell() > 3
    assert 0 < figures["archiving_on_time"].cell() < sum(figures["archiving_on_time"].totals.values())
    sealed = _sql("SELECT COUNT(*) FROM archive_casefile WHERE sealed_at >= %s AND sealed_at < %s",
                  [*_bounds(1)[:1], _bounds(12)[1]])
    assert sum(figures["archiving_on_time"].totals.values()) == sealed
    # By officer: the matters each handled (a matter with two officers counts for both).
    for person in Matter.officers.through.objects.values_list("staff_id", flat=True).distinct():
        expected = _sql("SELECT COUNT(DISTINCT m.id) FROM matters_matter m JOIN matters_matter_officers o"
                        " ON o.matter_id = m.id WHERE o.staff_id = %s AND m.kind = 'inspection'"
                        " AND m.opened_at >= %s AND m.opened_at < %s", [person, *_bounds(1)[:1], _bounds(12)[1]])
        assert figures["inspections"].officers.get(person, 0) == expected
        hearings = _sql("SELECT COUNT(*) FROM matters_step WHERE transition = 'hold_hearing' AND acted_by_id = %s"
                        " AND occurred_at >= %s AND occurred_at < %s", [person, *_bounds(1)[:1], _bounds(12)[1]])
        assert figures["hearings"].officers.get(person, 0) == hearings
    assert len(stats.officers) == 2
    total = _sql("SELECT COUNT(*) FROM matters_matter WHERE opened_at >= %s AND opened_at < %s",
                 [*_bounds(1)[:1], _bounds(12)[1]])
    assert sum(n for _, _, n in stats.cases_by_kind) == total


def _sum_totals(fig, month, section):
    return sum(v for (m, s), v in fig.totals.items() if m == month and s == section)


@pytest.mark.django_db
def test_one_section_only(agency, dataset):
    section = dataset[1]
    stats = compute(agency, YEAR, section.pk)
    whole = {f.key: f for f in compute(agency, YEAR).figures}
    for fig in stats.figures:
        assert fig.cell() == whole[fig.key].cell(section=section.pk)
    assert [s.pk for s in stats.sections] == [section.pk]


@pytest.mark.django_db(transaction=True)  # real commits: the change marks the aggregate stale on commit
def test_the_aggregate_follows_changes_and_the_command_rebuilds(agency, dataset, capsys):
    from supervision.models import StatBuild

    before = compute(agency, YEAR).figure("inspections").cell(3, dataset[0].pk)
    built = StatBuild.objects.get(agency=agency, year=YEAR)
    assert compute(agency, YEAR).built_at == built.built_at  # nothing changed: no rebuild
    with transaction.atomic():
        Matter.objects.create(agency=agency, section=dataset[0], kind="inspection", workflow="inspection",
                              state="open", title="新检查", opened_by=Matter.objects.first().opened_by,
                              opened_at=datetime(YEAR, 3, 9, 10, 0, tzinfo=timezone.get_current_timezone()))
    stats = compute(agency, YEAR)
    assert stats.figure("inspections").cell(3, dataset[0].pk) == before + 1
    assert StatBuild.objects.get(agency=agency, year=YEAR).built_at > built.built_at
    call_command("supervise", "aggregate", "--year", str(YEAR), "--year", str(YEAR - 1))
    out = capsys.readouterr().out
    assert f"{YEAR}年：统计已汇总" in out and f"{YEAR - 1}年：统计已汇总" in out
    assert compute(agency, YEAR - 1).figure("inspections").cell() == 1  # the one matter of the year before
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="年度"):
        call_command("supervise", "aggregate", "--year", "20250")
