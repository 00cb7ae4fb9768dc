#!/usr/bin/env python3
"""Portal search throughput and latency against a bare Django view, on the same server, same run.

    .venv/bin/python bench/portal.py [--decisions 1000000] [--seconds 20] [--rounds 2]
                                     [--concurrency N] [--workers 5] [--data DIR]

1. A fresh data folder (or --data DIR, reused when it already holds the decisions), migrated, with
   one agency and `decisions` published decisions bulk-inserted (20 % natural persons, masked by the
   product's own public_view), then ANALYZE.
2. gunicorn (sync workers) serves the product with one extra route, /bench/bare/ (bench/site/portal_urls.py):
   a view that returns "ok" through the same middleware.
3. A small asyncio HTTP client (one connection per request, as sync workers close them) runs
   `concurrency` loops (default: one per worker, enough to keep them all busy) for `seconds`,
   alternating bare and search phases `rounds` times after a warm-up. The search phase draws each
   request from a fixed mix of portal queries: the first pages, the start or a middle part of a
   party name, a surname, a category, a date range, a whole 文书号 or a part of one.
Reports requests/s and p50/p99 latency per phase, the throughput ratio search/bare and the p99 of the
search page. The client runs on the same machine and its CPU use is reported too.
"""

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

from httpload import free_port, gunicorn_start, load, wait_ready

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
if not PYTHON.exists():  # a worktree without its own environment
    PYTHON = Path(sys.executable)
GUNICORN = PYTHON.parent / "gunicorn"
if str(ROOT) not in sys.path:  # number_of reads the product's list of 文书 kinds
    sys.path.append(str(ROOT))

CITIES = ["抚顺", "沈阳", "大连", "鞍山", "本溪", "丹东", "锦州", "营口", "阜新", "辽阳"]
WORDS = [
    "东方", "华兴", "金石", "宏达", "永安", "恒信", "鑫源", "新城", "长城", "北方", "天成", "盛世", "瑞丰",
    "博远", "远航", "广源", "中科", "华泰", "昌盛", "安泰", "德信", "富民", "光明", "海润", "嘉禾",
]  # fmt: skip
TRADES = ["化工", "矿业", "建材", "冶金", "燃气", "物流", "机械", "电力", "食品", "纺织"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
CATEGORIES = ["penalty", "penalty", "penalty", "licensing", "inspection", "compulsion"]
# The 文书 each category's decision is published under; its 代字 comes from the product's own list.
INSTRUMENT = {"penalty": "penalty_decision", "licensing": "licensing_decision",
              "inspection": "inspection_record", "compulsion": "compulsion_decision"}  # fmt: skip


def number_of(category: str, year: int, n: int) -> str:
    from matters.instrument_types import TYPES

    return f"抚应急{TYPES[INSTRUMENT[category]].abbr}〔{year}〕{n}号"

LOAD = r"""
import json, random, sys
from datetime import date, datetime, timedelta, timezone as tz
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
django.setup()
from django.db import connection, transaction
from org.services import agency_create
from publicity.masking import public_view
from publicity.portal_page import decision_row
from stdnum.cn import uscc
sys.path.append(os.environ["BENCH_DIR"])  # after the apps: bench/ledger.py must not shadow them
from portal import CATEGORIES, CITIES, SURNAMES, TRADES, WORDS, number_of

n = int(sys.argv[1])
code = "11210400MB0888888"
agency = agency_create(name="基准测试市应急管理局", uscc=code + uscc.calc_check_digit(code),
                       jurisdiction="测试市", policy_pack="fushun-city")
rng = random.Random(7)
today = date.today()
now = datetime.now(tz.utc)
columns = ("id", "row_html", "agency_id", "category", "state", "party_kind", "minor", "decided_on", "instrument_number",
           "party_public", "content", "public", "version", "due_on", "published_at", "display_until",
           "withdrawal_note", "source", "created_at")
sql = f"INSERT INTO publicity_publication ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
batch = []
with connection.cursor() as cursor:
    for i in range(n):
        natural = rng.random() < 0.2
        decided = today - timedelta(days=rng.randrange(0, 360))
        category = rng.choice(CATEGORIES)
        if natural:
            party = {"party_kind": "natural_person", "party_name": rng.choice(SURNAMES) + "某" + rng.choice("明华军芳"),
                     "party_id_number": f"2104021980{i:08d}", "party_phone": f"138{i:08d}",
                     "party_address": "辽宁省抚顺市新抚区某路" + str(i % 500) + "号"}
        else:
            party = {"party_kind": "legal_person",
                     "party_name": rng.choice(CITIES) + rng.choice(WORDS) + rng.choice(WORDS) + rng.choice(TRADES) + "有限公司",
                     "party_id_number": f"91210400MA{i:08d}", "party_phone": "024-5" + f"{i % 10**7:07d}",
                     "party_address": "抚顺市望花区和平路" + str(i % 900) + "号"}
        content = {"agency": agency.name, "category": category, **party,
                   "instrument_number": number_of(category, decided.year, i),
                   "cause": "未按规定对安全设备进行经常性维护、保养，未建立事故隐患排查治理制度",
                   "basis": "《中华人民共和国安全生产法》第九十九条第（二）项、第一百零二条",
                   "result": f"罚款人民币{rng.randrange(1, 20)}万元", "decided_on": decided.isoformat(), "withheld": []}
        public = public_view(content, name_display="masked")
        published = now - timedelta(days=(today - decided).days) + timedelta(hours=9)
        batch.append((i + 1, decision_row(i + 1, public), agency.pk, category, "published", party["party_kind"], False, decided.isoformat(),
                      content["instrument_number"], public["party"], json.dumps(content, ensure_ascii=False),
                      json.dumps(public, ensure_ascii=False), 1, (decided + timedelta(days=9)).isoformat(),
                      published.isoformat(), (decided + timedelta(days=730)).isoformat(), "", "", published.isoformat()))
        if len(batch) == 20000:
            with transaction.atomic():
                cursor.executemany(sql, batch)
            batch.clear()
    if batch:
        with transaction.atomic():
            cursor.executemany(sql, batch)
    cursor.execute("ANALYZE")
print(n)
"""


def search_paths(rng: random.Random, count: int = 2000) -> list[str]:
    from urllib.parse import urlencode

    today = date.today()
    paths = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.25:
            query = {"page": rng.randint(1, 5)}
        elif kind < 0.45:
            query = {"party": rng.choice(CITIES) + rng.choice(WORDS)}
        elif kind < 0.5:
            query = {"party": rng.choice(WORDS) + rng.choice(TRADES)}  # a part from the middle of a name
        elif kind < 0.55:
            query = {"number": rng.choice(["罚决", "检记", f"〔{today.year}〕{rng.randrange(0, 1000)}号"])}
        elif kind < 0.65:
            query = {"party": rng.choice(SURNAMES)}
        elif kind < 0.8:
            query = {"category": rng.choice(CATEGORIES), "page": rng.randint(1, 3)}
        elif kind < 0.95:
            start = today - timedelta(days=rng.randrange(30, 360))
            query = {
                "from": start.isoformat(),
                "to": (start + timedelta(days=rng.randrange(1, 60))).isoformat(),
            }
        else:
            query = {"number": number_of("penalty", today.year, rng.randrange(0, 1000))}
        paths.append("/public/decisions/?" + urlencode(query))
    return paths


def prepare(data: Path, decisions: int) -> None:
    env = os.environ | {"ZHIFA_DATA_DIR": str(data), "BENCH_DIR": str(ROOT / "bench")}
    env.pop("DATABASE_URL", None)
    marker = data / "bench-decisions"
    if marker.exists() and marker.read_text() == str(decisions):
        print(f"reusing {decisions} decisions in {data}", flush=True)
        return
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    started = time.perf_counter()
    subprocess.run(
        [PYTHON, "-c", LOAD, str(decisions)], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )
    print(f"inserted {decisions} published decisions in {time.perf_counter() - started:.0f} s", flush=True)
    marker.write_text(str(decisions))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--concurrency", type=int, default=0, help="client connections (default: one per worker)"
    )
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--data", type=Path, help="data folder to create or reuse (default: a temporary one)")
    args = parser.parse_args()
    args.concurrency = args.concurrency or args.workers

    temporary = None
    if args.data is None:
        temporary = tempfile.TemporaryDirectory(prefix="zhifa-portal-bench-")
        args.data = Path(temporary.name)
    args.data.mkdir(parents=True, exist_ok=True)
    prepare(args.data, args.decisions)

    port = free_port()
    env = os.environ | {
        "ZHIFA_DATA_DIR": str(args.data),
        "DJANGO_SETTINGS_MODULE": "portal_settings",
        "DEBUG": "false",
        "LOG_LEVEL": "ERROR",
        "CONN_MAX_AGE": "600",  # persistent connections, as a production install would run
    }
    env.pop("DATABASE_URL", None)
    server = gunicorn_start(GUNICORN, port=port, workers=args.workers, env=env, cwd=ROOT)
    try:
        wait_ready(f"http://127.0.0.1:{port}/bench/bare/", tries=100)
        rng = random.Random(11)
        phases = {"bare": ["/bench/bare/"], "search": search_paths(rng)}
        for path in phases["search"][:50]:  # every query works before anything is timed
            status = urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30).status
            assert status == 200, path
        asyncio.run(load("127.0.0.1", port, phases["search"], 3, args.concurrency, 0))  # warm-up
        asyncio.run(load("127.0.0.1", port, phases["bare"], 2, args.concurrency, 0))
        results: dict[str, list[dict]] = {"bare": [], "search": []}
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        for round_ in range(args.rounds):
            order = ("bare", "search") if round_ % 2 == 0 else ("search", "bare")
            for name in order:
                result = asyncio.run(
                    load("127.0.0.1", port, phases[name], args.seconds, args.concurrency, round_ + 1)
                )
                results[name].append(result)
                print(f"round {round_ + 1} {name:6}: {json.dumps(result)}", flush=True)
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    client_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    bare_rps = statistics.median(r["rps"] for r in results["bare"])
    search_rps = statistics.median(r["rps"] for r in results["search"])
    search_p99 = max(r["p99_ms"] for r in results["search"])
    summary = {
        "decisions": args.decisions,
        "workers": args.workers,
        "concurrency": args.concurrency,
        "cpus": os.cpu_count(),
        "bare_rps": round(bare_rps, 1),
        "search_rps": round(search_rps, 1),
        "ratio": round(search_rps / bare_rps, 3),
        "ratio_per_round": [
            round(s["rps"] / b["rps"], 3) for s, b in zip(results["search"], results["bare"], strict=True)
        ],
        "search_p50_ms": round(statistics.median(r["p50_ms"] for r in results["search"]), 2),
        "search_p99_ms": round(search_p99, 2),
        "bare_p99_ms": round(max(r["p99_ms"] for r in results["bare"]), 2),
        "errors": sum(r["errors"] for rs in results.values() for r in rs),
        "client_cpu_share": round(client_cpu / (args.seconds * args.rounds * 2 * (os.cpu_count() or 1)), 3),
        "target": "ratio >= 0.5 and search p99 < 100 ms",
        "met": search_rps / bare_rps >= 0.5 and search_p99 < 100,
    }
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    if temporary is not None:
        temporary.cleanup()


if __name__ == "__main__":
    main()
