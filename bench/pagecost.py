#!/usr/bin/env python3
"""What each hot page costs in process: queries, time in SQL, wall time and CPU time per request,
against a bare Django view in the same run (SQLite and PostgreSQL).

    .venv/bin/python bench/pagecost.py [--engines sqlite,postgres] [--reps 30] [--matters 40]
        [--decisions 20000] [--callgrind 3] [--only officer_home,portal_search] [--json FILE]

Load tests on a shared machine are noisy (p99 at N clients is about N × the CPU a request costs,
divided by the cores); this measures the CPU a request costs, which is what a change can cut.

1. Per engine a fresh data folder (SQLite) or a throw-away PostgreSQL server (tools/pgserver.py,
   or DATABASE_URL if set: it writes there), migrated and seeded through the product's services:
   the demo agency (zhifa.demo: staff in every role, enterprises, matters, publications), `matters`
   more matters for its first 执法大队 (open penalties with their deadlines, filings waiting for the
   chief, planned inspections), one video record with 20 earlier reads in its history, and
   `decisions` published decisions for the portal (bench/portal.py's generator).
2. A second process (bench/site/pagecost_settings.py: the product plus /bench/bare/ and the
   unlogged record page of bench/reads.py; DEBUG off, ZHIFA_LEDGER_INTEGRATE=worker as production
   runs) requests each page with Django's test client (the whole middleware stack, sessions from
   the database), warms it up, then times `reps` requests one by one: queries, SQL ms (the time
   spent inside the database driver), wall ms and CPU ms (time.process_time: this process only,
   so on PostgreSQL the server's own work is not in it). Medians, and each page's CPU as a multiple
   of the bare view's.
3. With --callgrind K, a third process runs under `valgrind --tool=callgrind` with instrumentation
   switched on only around K requests per page (a small helper compiled from valgrind's
   callgrind.h): instructions per request, which do not depend on what else the machine is doing.

Pages: the logged record page (/records/<pk>/, one record.view event each), the same unlogged, an
enterprise's page, the home page of an officer, a section chief and the agency leader, and the
portal's decision search (bench/portal.py's query mix: each request a different query); and the
record detail API (/api/v1/records/<pk>/, a logged read as the page is), the same unlogged, and an
enterprise's detail API (which logs nothing), as bench/reads.py --api serves them.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PYTHON = ROOT / ".venv" / "bin" / "python"
if not PYTHON.exists():  # a worktree without its own environment
    PYTHON = Path(sys.executable)
if sys.path and Path(sys.path[0]).resolve() == BENCH:  # bench/ledger.py must not shadow the ledger app
    sys.path.pop(0)

PAGES = [
    "bare",
    "record_logged",
    "record_unlogged",
    "enterprise",
    "officer_home",
    "chief_home",
    "leader_home",
    "portal_search",
    "record_api_logged",
    "record_api_unlogged",
    "enterprise_api",
]
HISTORY = 20  # earlier reads of the record, as bench/reads.py files them

SEED = r"""
import json, os, sys, tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
import django
django.setup()
from django.db import connection, transaction
from django.utils import timezone
from ledger.services import event_record
from matters.services import matter_open, matter_transition
from org.models import Staff
from records.services import record_ingest
from records.tests.clips import make_video
from zhifa.demo import demo_load

matters, history = int(sys.argv[1]), int(sys.argv[2])
if connection.vendor == "postgresql":  # the portal's generator gave its rows explicit ids
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('publicity_publication', 'id'), "
                       "(SELECT COALESCE(MAX(id), 1) FROM publicity_publication))")
agency = demo_load()
staff = {s.username: s for s in agency.staff.all()}
officer, partner, chief = staff["officer1"], staff["officer2"], staff["chief1"]
parties = list(agency.parties.order_by("pk"))
now = timezone.now()
for i in range(matters):
    party = parties[i % len(parties)]
    shape = i % 4
    if shape == 0:  # filed long ago and still undecided: overdue
        opened = now - timedelta(days=60 + i)
        m = matter_open(acting_user=officer, kind="penalty", title=f"基准案件{i}", party=party,
                        officers=[officer, partner], opened_at=opened)
        matter_transition(acting_user=officer, matter=m, transition="request_filing", occurred_at=opened,
                          late_reason="据纸质案卷补录", data={"facts": "有限空间作业未履行审批手续",
                          "basis": "《工贸企业有限空间作业安全规定》第十条"})
        matter_transition(acting_user=chief, matter=m, transition="approve_filing", occurred_at=opened,
                          late_reason="据纸质案卷补录", data={"opinion": "同意立案"})
    elif shape == 1:  # filed now
        m = matter_open(acting_user=officer, kind="penalty", title=f"基准案件{i}", party=party,
                        officers=[officer, partner])
        matter_transition(acting_user=officer, matter=m, transition="request_filing",
                          data={"facts": "粉尘清扫制度未落实", "basis": "《工贸企业粉尘防爆安全规定》第十四条"})
        matter_transition(acting_user=chief, matter=m, transition="approve_filing", data={"opinion": "同意立案"})
    elif shape == 2:  # waiting for the chief's approval
        m = matter_open(acting_user=officer, kind="penalty", title=f"基准案件{i}", party=party,
                        officers=[officer, partner])
        matter_transition(acting_user=officer, matter=m, transition="request_filing",
                          data={"facts": "安全设备未经常性维护", "basis": "《中华人民共和国安全生产法》第三十六条"})
    else:  # a planned inspection
        m = matter_open(acting_user=officer, kind="inspection", title=f"基准检查{i}", party=party,
                        officers=[officer, partner])
        matter_transition(acting_user=officer, matter=m, transition="plan",
                          data={"place": "厂区", "time": now + timedelta(days=1 + i % 20), "facts": "有限空间、危险作业审批"})
t0 = datetime(2026, 5, 6, 1, 0, tzinfo=UTC)
with tempfile.TemporaryDirectory() as tmp:
    clip = make_video(Path(tmp) / "执法记录-基准.mp4", seconds=1, creation_time=t0)
    record = record_ingest(acting_user=officer, section=officer.section, path=clip, original_name=clip.name,
                           filed_at=t0 + timedelta(hours=2)).version.record
with transaction.atomic():
    for _ in range(history):
        event_record(kind="record.view", subject=record, acting_user=officer, data={"purpose": "查看记录详情"})
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
print(json.dumps({"record": record.pk, "enterprise": parties[0].pk}))
"""


def measure(seed: dict, pages: list[str], reps: int, warm: int, callgrind: int) -> dict:
    """Runs in the measuring process (settings: bench/site/pagecost_settings.py)."""
    import random

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from org.models import Staff

    sys.path.append(str(BENCH))  # after the apps: bench/ledger.py must not shadow them
    from portal import search_paths

    def client_for(username: str | None) -> Client:
        client = Client()
        if username:
            client.force_login(Staff.objects.get(username=username))
        return client

    clients = {name: client_for(name) for name in ("officer1", "chief1", "leader")}
    public = client_for(None)
    searches = search_paths(random.Random(11), count=reps + warm + callgrind + 10)
    plan = {
        "bare": (clients["officer1"], ["/bench/bare/"]),
        "record_logged": (clients["officer1"], [f"/records/{seed['record']}/"]),
        "record_unlogged": (clients["officer1"], [f"/bench/unlogged/records/{seed['record']}/"]),
        "enterprise": (clients["officer1"], [f"/enterprises/{seed['enterprise']}/"]),
        "officer_home": (clients["officer1"], ["/"]),
        "chief_home": (clients["chief1"], ["/"]),
        "leader_home": (clients["leader"], ["/"]),
        "portal_search": (public, searches),
        "record_api_logged": (clients["officer1"], [f"/api/v1/records/{seed['record']}/"]),
        "record_api_unlogged": (clients["officer1"], [f"/bench/unlogged/api/v1/records/{seed['record']}/"]),
        "enterprise_api": (clients["officer1"], [f"/api/v1/enterprises/{seed['enterprise']}/"]),
    }

    class Counter:
        def __init__(self):
            self.queries = 0
            self.seconds = 0.0

        def __call__(self, execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                self.seconds += time.perf_counter() - started
                self.queries += 1

    def get(client, path):
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
        return response

    results = {}
    for name in pages:
        client, paths = plan[name]
        for i in range(warm):
            get(client, paths[i % len(paths)])
        rows = []
        for i in range(reps):
            counter = Counter()
            path = paths[(warm + i) % len(paths)]
            with connection.execute_wrapper(counter):
                cpu, wall = time.process_time(), time.perf_counter()
                get(client, path)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            rows.append((counter.queries, counter.seconds * 1000, wall * 1000, cpu * 1000))
        if not rows:
            continue
        results[name] = {
            "queries": statistics.median(r[0] for r in rows),
            "queries_max": max(r[0] for r in rows),
            "sql_ms": round(statistics.median(r[1] for r in rows), 2),
            "wall_ms": round(statistics.median(r[2] for r in rows), 2),
            "cpu_ms": round(statistics.median(r[3] for r in rows), 2),
        }
    if callgrind:
        import ctypes

        helper = ctypes.CDLL(os.environ["PAGECOST_CALLGRIND_HELPER"])
        for name in pages:
            client, paths = plan[name]
            get(client, paths[0])
            helper.pagecost_start()
            for i in range(callgrind):
                get(client, paths[(warm + reps + i) % len(paths)])
            helper.pagecost_stop(name.encode())
    return results


HELPER_C = r"""
#include <valgrind/callgrind.h>
void pagecost_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void pagecost_stop(const char *name) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS_AT(name); }
"""


def build_helper(folder: Path) -> Path | None:
    if not Path("/usr/include/valgrind/callgrind.h").exists():
        print("valgrind's callgrind.h is missing: no instruction counts", file=sys.stderr)
        return None
    source, library = folder / "cg.c", folder / "libpagecost.so"
    source.write_text(HELPER_C)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", library, source], check=True)
    return library


def read_callgrind(folder: Path, reps: int) -> dict[str, int]:
    """Instructions per request per page, from the dumps the helper asked for."""
    found = {}
    for dump in folder.glob("callgrind.out.*"):
        name, totals = None, {}
        for line in dump.read_text(errors="replace").splitlines():
            if line.startswith("desc: Trigger: Client Request: "):
                name = line.rsplit(": ", 1)[1].strip()
            elif line.startswith(("summary:", "totals:")):  # "summary: 0" heads a part; totals ends it
                totals[line.split(":")[0]] = int(line.split()[1])
        total = totals.get("totals") or totals.get("summary")
        if name and total:
            found[name] = total // reps
    return found


def run_engine(engine: str, args, url: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="zhifa-pagecost-") as tmp:
        data = args.data / engine if args.data else Path(tmp) / "data"
        env = os.environ | {
            "ZHIFA_DATA_DIR": str(data),
            "DJANGO_SETTINGS_MODULE": "pagecost_settings",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH / "site")]),
            "BENCH_DIR": str(BENCH),
            "DEBUG": "false",
            "LOG_LEVEL": "ERROR",
        }
        env.pop("DATABASE_URL", None)
        if url:
            env["DATABASE_URL"] = url
        marker = data / "pagecost-seed.json"
        if marker.exists():  # --data DIR seeded by an earlier run (with DATABASE_URL: the same one)
            seed = json.loads(marker.read_text())
        else:
            started = time.perf_counter()
            _run([PYTHON, "manage.py", "migrate", "-v0"], env)
            if args.decisions:
                sys.path.append(str(BENCH))
                from portal import LOAD

                _run([PYTHON, "-c", LOAD, str(args.decisions)], env)
            seed = json.loads(
                _run([PYTHON, "-c", SEED, str(args.matters), str(HISTORY)], env).splitlines()[-1]
            )
            marker.write_text(json.dumps(seed))
            print(f"{engine}: seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        env["ZHIFA_LEDGER_INTEGRATE"] = "worker"  # as production runs: requests never number events
        child = [
            str(PYTHON),
            str(Path(__file__).resolve()),
            "--child",
            json.dumps(seed),
            "--only",
            ",".join(args.pages),
        ]
        result = json.loads(_run([*child, "--reps", str(args.reps), "--warm", str(args.warm)], env))
        if args.callgrind:
            folder = Path(tmp) / "callgrind"
            folder.mkdir()
            helper = build_helper(folder)
            if helper:
                env["PAGECOST_CALLGRIND_HELPER"] = str(helper)
                cmd = [
                    "valgrind",
                    "--tool=callgrind",
                    "--instr-atstart=no",
                    "--dump-instr=no",
                    f"--callgrind-out-file={folder}/callgrind.out.%p",
                    *child,
                    "--callgrind",
                    str(args.callgrind),
                    "--reps",
                    "0",
                    "--warm",
                    "1",
                ]
                _run(cmd, env)
                for page, instructions in read_callgrind(folder, args.callgrind).items():
                    result.setdefault(page, {})["instructions"] = instructions
        return result


def _run(cmd: list, env: dict) -> str:
    out = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit(f"failed ({out.returncode}): {' '.join(str(c) for c in cmd)[:200]}")
    return out.stdout


def report(engine: str, result: dict) -> None:
    bare = result.get("bare", {}).get("cpu_ms") or None
    bare_instr = result.get("bare", {}).get("instructions")
    print(f"\n{engine}")
    head = f"{'page':16} {'queries':>7} {'SQL ms':>8} {'wall ms':>8} {'CPU ms':>8} {'× bare':>7}"
    if bare_instr:
        head += f" {'instr (M)':>10} {'× bare':>7}"
    print(head)
    for page, r in result.items():
        line = (
            f"{page:16} {r['queries']:>7g} {r['sql_ms']:>8.1f} {r['wall_ms']:>8.1f} {r['cpu_ms']:>8.1f} "
            f"{(r['cpu_ms'] / bare if bare else float('nan')):>7.1f}"
        )
        if bare_instr and "instructions" in r:
            line += f" {r['instructions'] / 1e6:>10.1f} {r['instructions'] / bare_instr:>7.1f}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--warm", type=int, default=3)
    parser.add_argument("--matters", type=int, default=40, help="extra matters for the officer's brigade")
    parser.add_argument("--decisions", type=int, default=20000, help="published decisions for the portal")
    parser.add_argument(
        "--callgrind", type=int, default=0, help="requests per page under callgrind (0: none)"
    )
    parser.add_argument("--only", default=",".join(PAGES), help="pages, comma-separated: " + ",".join(PAGES))
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--data", type=Path, help="keep the seeded data here and reuse it on the next run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.pages = [p for p in args.only.split(",") if p]
    unknown = set(args.pages) - set(PAGES)
    if unknown:
        parser.error(f"unknown pages: {', '.join(sorted(unknown))}")
    if "bare" not in args.pages:
        args.pages.insert(0, "bare")
    if args.child:
        print(json.dumps(measure(json.loads(args.child), args.pages, args.reps, args.warm, args.callgrind)))
        return

    results = {}
    for engine in [e for e in args.engines.split(",") if e]:
        if engine == "sqlite":
            results[engine] = run_engine(engine, args, None)
        elif engine == "postgres" and os.environ.get("DATABASE_URL"):
            results[engine] = run_engine(engine, args, os.environ["DATABASE_URL"])
        elif engine == "postgres":
            sys.path.insert(0, str(ROOT))
            from tools.pgserver import running_server

            with running_server(log=lambda message: None) as server:
                results[engine] = run_engine(engine, args, server.url)
        else:
            parser.error(f"unknown engine: {engine}")
        report(engine, results[engine])
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
