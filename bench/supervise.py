#!/usr/bin/env python3
"""The compliance scan and the statistics over generated matters, against a plain COUNT baseline.

    .venv/bin/python bench/supervise.py [--matters 100000] [--data DIR]

A fresh SQLite data folder (or DATABASE_URL), migrated, one agency with two sections and `matters`
inspections, each with its 现场检查 step; 99 % of the steps link a recording, 1 % link none (each a
finding of the scan). The scan runs twice, over a tenth of the matters and over all of them, under
tracemalloc, so the peak memory of the two can be compared; the statistics page's figures are
pre-aggregated once (`statistics_refresh`, as the scan and `zhifa supervise aggregate` do), then the
statistics page is requested 100 times by the leader (p50/p99, the whole response: figures, SVG
charts, tables). Baseline, in the same run: SELECT COUNT(*) over the matters, steps and records
tables, and the figures counted directly from those tables (what the page cost before aggregation).
"""

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--matters", type=int, default=100_000)
    parser.add_argument("--data", help="data folder (default: a fresh temporary one)")
    args = parser.parse_args()
    os.environ.setdefault("ZHIFA_DATA_DIR", args.data or tempfile.mkdtemp(prefix="zhifa-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from django.test import Client
    from django.urls import reverse

    from matters.models import Matter, Step
    from org.models import Agency, RoleAssignment, Section, Staff
    from records.models import Record
    from supervision.services import findings_scan_agency
    from supervision.statistics import compute, statistics_refresh

    agency = Agency.objects.create(name="基准测试应急管理局", uscc="11210400MB0000001X", jurisdiction="测试",
                                   policy_pack="fushun-city")
    sections = [Section.objects.create(agency=agency, name=f"执法{i}大队") for i in (1, 2)]
    officer = Staff.objects.create(username="bench", name="基准", agency=agency, section=sections[0])
    leader = Staff.objects.create(username="bench-leader", name="局长", agency=agency)
    RoleAssignment.objects.create(staff=leader, role="leader")
    t0 = datetime(2026, 1, 1, tzinfo=UTC)

    def generate(start: int, count: int) -> None:
        for lo in range(start, start + count, 5000):
            hi = min(lo + 5000, start + count)
            matters = Matter.objects.bulk_create([
                Matter(agency=agency, section=sections[n % 2], kind="inspection", workflow="inspection",
                       state="inspected", title=f"检查{n}", opened_by=officer, opened_at=t0 + timedelta(minutes=n))
                for n in range(lo, hi)
            ])
            records = Record.objects.bulk_create([
                Record(agency=agency, section=m.section, kind="video", title=f"录像{m.pk}") for m in matters
            ])
            steps = Step.objects.bulk_create([
                Step(matter=m, transition="inspect", label="现场检查", from_state="planned", to_state="inspected",
                     occurred_at=m.opened_at, acted_by=officer) for m in matters
            ])
            Step.records.through.objects.bulk_create([
                Step.records.through(step_id=s.pk, record_id=r.pk)
                for i, (s, r) in enumerate(zip(steps, records, strict=True)) if (lo + i) % 100
            ])

    def scan() -> tuple[float, int]:
        tracemalloc.start()
        started = time.perf_counter()
        result = findings_scan_agency(agency=agency)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return elapsed, peak, result

    tenth = max(args.matters // 10, 1)
    generate(0, tenth)
    small = scan()
    generate(tenth, args.matters - tenth)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("matters_matter", "matters_step", "records_record", "matters_step_records"):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 — fixed table names
    baseline = time.perf_counter() - started
    full = scan()
    started = time.perf_counter()
    statistics_refresh(agency, 2026)
    aggregate = time.perf_counter() - started
    compute(agency, 2026)
    client = Client()
    client.force_login(leader)
    url = reverse("supervision:statistics") + "?year=2026"
    assert client.get(url).status_code == 200
    timings = []
    for _ in range(100):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    timings.sort()
    print(f"engine: {connection.vendor}; matters: {args.matters}")
    print(f"baseline COUNT(*) over 4 tables: {baseline * 1000:.0f} ms")
    print(f"baseline figures counted directly from the tables (one rebuild): {aggregate * 1000:.0f} ms")
    print(f"scan over {tenth} matters: {small[0]:.1f} s, peak {small[1] / 2**20:.1f} MiB, open {small[2].open}")
    print(f"scan over {args.matters} matters: {full[0]:.1f} s, peak {full[1] / 2**20:.1f} MiB, open {full[2].open}")
    print(f"statistics page (100 requests): p50 {timings[49] * 1000:.0f} ms, p99 {timings[98] * 1000:.0f} ms")

if __name__ == "__main__":
    main()
