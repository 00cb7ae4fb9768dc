#!/usr/bin/env python3
"""Staff reading records, each read a ledger event, against the same page unlogged, same server,
same run (PostgreSQL).

    DATABASE_URL=postgres://… .venv/bin/python bench/reads.py [--api] [--records 100] [--seconds 20]
                                   [--rounds 3] [--concurrency 32] [--workers 5]

1. Into DATABASE_URL (it writes there): migrated, one agency, an officer, `records` video records
   filed through `record_ingest` (each with a history of earlier reads) and as many enterprises
   through `enterprise_create`; the officer's session is made with Django's own login.
2. gunicorn (sync workers, persistent connections, ZHIFA_LEDGER_INTEGRATE=worker as
   tools/deploy.py runs it) serves the product, and one `zhifa ledger sequence --loop` process
   numbers the events, as in production. bench/site/reads_urls.py adds one route,
   /bench/unlogged/records/<pk>/: the product's record page with its ledger event switched off.
3. A small asyncio client runs `concurrency` loops for `seconds` per phase, each request one
   record (or enterprise) drawn at random, over three phases: the logged record page
   (/records/<pk>/), the same page unlogged, and an enterprise's page (/enterprises/<pk>/), whose
   selector logs nothing. The phases take turns going first, `rounds` times.
   With --api, the same three through the API, as the field app and other clients read: the record
   detail API (/api/v1/records/<pk>/, a logged `record.view` too), the same with its event switched
   off (/bench/unlogged/api/v1/records/<pk>/, bench/site only) and an enterprise's detail API
   (/api/v1/enterprises/<pk>/, which logs nothing).
Reports requests/s, p50/p99 per phase with the load average beside it, the ratios
logged/unlogged and logged/enterprise (medians of the per-round ratios), and checks that every
logged read is a ledger event: the record.view events written during the logged phases equal
the pages served. Last, a table (one line per phase: req/s, p50, p99, the ratios to the unlogged
and the enterprise phases, the load average) to paste into the README.
"""

import argparse
import asyncio
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from httpload import free_port, gunicorn_start, load, wait_ready

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
if not PYTHON.exists():  # a worktree without its own environment
    PYTHON = Path(sys.executable)
GUNICORN = PYTHON.parent / "gunicorn"

SETUP = r"""
import json, os, sys, tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
django.setup()
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from stdnum.cn import uscc
from enterprises.services import enterprise_create
from ledger.services import event_record
from org.models import Agency, Staff
from org.services import agency_create, section_create, staff_create
from records.models import Record
from records.services import record_ingest
from records.tests.clips import make_video

count, history = int(sys.argv[1]), int(sys.argv[2])
call_command("migrate", verbosity=0)
code = "11210400MB0777777"
agency = Agency.objects.filter(uscc=code + uscc.calc_check_digit(code)).first()
if agency is None:
    agency = agency_create(name="读取基准测试局", uscc=code + uscc.calc_check_digit(code), jurisdiction="测试市",
                           policy_pack="fushun-city")
    section = section_create(agency=agency, name="执法一科")
    staff_create(agency=agency, username="bench-reader", name="基准读者", section=section,
                 roles=["officer"], password="bench-reads-Pa55")
officer = Staff.objects.get(username="bench-reader")
records = list(Record.objects.filter(agency=agency).values_list("pk", flat=True))
t0 = datetime(2026, 5, 6, 1, 0, tzinfo=UTC)
with tempfile.TemporaryDirectory() as tmp:
    for i in range(len(records), count):
        clip = make_video(Path(tmp) / f"执法记录-{i}.mp4", seconds=1, creation_time=t0 + timedelta(minutes=i))
        record = record_ingest(acting_user=officer, section=officer.section, path=clip, original_name=clip.name,
                               filed_at=t0 + timedelta(minutes=i, hours=2)).version.record
        with transaction.atomic():  # earlier reads: the history a record page shows
            for _ in range(history):
                event_record(kind="record.view", subject=record, acting_user=officer, data={"purpose": "查看记录详情"})
        records.append(record.pk)
from enterprises.models import Enterprise
enterprises = list(Enterprise.objects.filter(agency=agency).values_list("pk", flat=True))
for i in range(len(enterprises), count):
    base = f"91210400MA{i:07d}"
    enterprises.append(enterprise_create(
        acting_user=officer, agency=agency, uscc=base + uscc.calc_check_digit(base), name=f"抚顺基准化工有限公司{i}",
        legal_representative="张某", industry="危险化学品", address="抚顺市望花区和平路1号",
        supervising_section=officer.section).pk)
client = Client()
client.force_login(officer)
print(json.dumps({"session": client.cookies["sessionid"].value, "records": records[:count],
                  "enterprises": enterprises[:count]}))
"""

COUNT_VIEWS = r"""
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
django.setup()
from ledger.models import Event
print(Event.objects.filter(kind="record.view").count(), Event.objects.filter(index__isnull=True).count())
"""


def views_logged(env) -> tuple[int, int]:
    out = subprocess.run(
        [PYTHON, "-c", COUNT_VIEWS], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    logged, pending = out.stdout.split()
    return int(logged), int(pending)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100)
    parser.add_argument("--history", type=int, default=20, help="earlier reads in each record's history")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--api", action="store_true", help="the record and enterprise detail APIs, not the pages")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("bench/reads.py measures PostgreSQL: set DATABASE_URL=postgres://…")

    data = tempfile.TemporaryDirectory(prefix="zhifa-reads-bench-")
    env = os.environ | {"ZHIFA_DATA_DIR": data.name, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    out = subprocess.run(
        [PYTHON, "-c", SETUP, str(args.records), str(args.history)],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    setup = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"set up {len(setup['records'])} records and enterprises in {time.perf_counter() - started:.0f} s",
        flush=True,
    )

    port = free_port()
    server_env = env | {
        "DJANGO_SETTINGS_MODULE": "reads_settings",
        "DEBUG": "false",
        "LOG_LEVEL": "ERROR",
        "CONN_MAX_AGE": "600",
        "ZHIFA_LEDGER_INTEGRATE": "worker",
    }
    server = gunicorn_start(GUNICORN, port=port, workers=args.workers, env=server_env, cwd=ROOT)
    sequencer = subprocess.Popen(
        [PYTHON, "manage.py", "ledger", "sequence", "--loop"], cwd=ROOT, env=env | {"ZHIFA_LEDGER_INTEGRATE": "worker"},
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    cookie = setup["session"]
    if args.api:
        phases = {
            "logged": [f"/api/v1/records/{pk}/" for pk in setup["records"]],
            "unlogged": [f"/bench/unlogged/api/v1/records/{pk}/" for pk in setup["records"]],
            "enterprise": [f"/api/v1/enterprises/{pk}/" for pk in setup["enterprises"]],
        }
    else:
        phases = {
            "logged": [f"/records/{pk}/" for pk in setup["records"]],
            "unlogged": [f"/bench/unlogged/records/{pk}/" for pk in setup["records"]],
            "enterprise": [f"/enterprises/{pk}/" for pk in setup["enterprises"]],
        }
    results: dict[str, list[dict]] = {name: [] for name in phases}
    logged_served = 0
    try:
        wait_ready(f"http://127.0.0.1:{port}/login/", tries=150)
        for name, paths in phases.items():  # each page answers 200 for this session before anything is timed
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{paths[0]}", headers={"Cookie": f"sessionid={cookie}"}
            )
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback http)
                assert response.status == 200 and response.url.endswith(paths[0]), (name, response.url)
        for paths in phases.values():  # warm-up
            asyncio.run(load("127.0.0.1", port, paths, 2, args.concurrency, 0, cookie))
        time.sleep(2)  # the sequencer catches up with the warm-up's events
        logged_before, _ = views_logged(env)
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        names = list(phases)
        for round_ in range(args.rounds):
            order = names[round_ % 3 :] + names[: round_ % 3]
            for name in order:
                result = asyncio.run(
                    load("127.0.0.1", port, phases[name], args.seconds, args.concurrency, round_ + 1, cookie)
                )
                results[name].append(result)
                if name == "logged":
                    logged_served += result["requests"]
                print(f"round {round_ + 1} {name:10}: {json.dumps(result)}", flush=True)
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        for _ in range(60):  # every read logged and numbered
            logged_after, pending = views_logged(env)
            if pending == 0:
                break
            time.sleep(1)
    finally:
        server.send_signal(signal.SIGTERM)
        sequencer.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        sequencer.wait(timeout=30)
        data.cleanup()

    def ratio(a: str, b: str) -> float:
        return round(
            statistics.median(x["rps"] / y["rps"] for x, y in zip(results[a], results[b], strict=True)), 3
        )

    client_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    summary = {
        "served": "detail APIs" if args.api else "pages",
        "records": len(phases["logged"]),
        "workers": args.workers,
        "concurrency": args.concurrency,
        "cpus": os.cpu_count(),
        **{f"{n}_rps": round(statistics.median(r["rps"] for r in results[n]), 1) for n in phases},
        **{f"{n}_p50_ms": round(statistics.median(r["p50_ms"] for r in results[n]), 1) for n in phases},
        **{f"{n}_p99_ms": max(r["p99_ms"] for r in results[n]) for n in phases},
        "ratio_logged_unlogged": ratio("logged", "unlogged"),
        "ratio_logged_enterprise": ratio("logged", "enterprise"),
        "ratio_unlogged_enterprise": ratio("unlogged", "enterprise"),
        "load_average": [r["load"] for n in phases for r in results[n]],
        "errors": sum(r["errors"] for rs in results.values() for r in rs),
        "logged_reads_served": logged_served,
        "record_view_events_written": logged_after - logged_before,
        "events_pending_after": pending,
        "client_cpu_share": round(client_cpu / (args.seconds * args.rounds * 3 * (os.cpu_count() or 1)), 3),
        "target": "logged/unlogged >= 0.7 and logged p99 < 200 ms",
        "met": ratio("logged", "unlogged") >= 0.7 and max(r["p99_ms"] for r in results["logged"]) < 200,
    }
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    print_table(results, args)


LABELS = {
    "pages": {"logged": "logged record page", "unlogged": "unlogged", "enterprise": "enterprise page"},
    "api": {"logged": "logged record API", "unlogged": "unlogged", "enterprise": "enterprise API"},
}


def print_table(results: dict[str, list[dict]], args) -> None:
    """One line per phase, medians over the rounds (p99: the worst round), ratios to the unlogged and
    the enterprise phase (medians of the rounds' ratios)."""
    unlogged, enterprise = results["unlogged"], results["enterprise"]
    print(f"\n{args.records} records, {args.rounds} rounds of {args.seconds:g} s, {args.concurrency} clients, "
          f"{args.workers} workers, {os.cpu_count()} CPUs")  # fmt: skip
    print("| phase | req/s | p50 ms | p99 ms | × unlogged | × enterprise | load average |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, rows in results.items():
        ratio = statistics.median(r["rps"] / u["rps"] for r, u in zip(rows, unlogged, strict=True))
        to_enterprise = statistics.median(r["rps"] / e["rps"] for r, e in zip(rows, enterprise, strict=True))
        loads = [r["load"] for r in rows]
        print(
            f"| {LABELS['api' if args.api else 'pages'][name]} | {statistics.median(r['rps'] for r in rows):.1f} "
            f"| {statistics.median(r['p50_ms'] for r in rows):.0f} | {max(r['p99_ms'] for r in rows):.0f} "
            f"| {ratio:.2f} | {to_enterprise:.2f} | {min(loads):.1f}–{max(loads):.1f} |"
        )


if __name__ == "__main__":
    main()
