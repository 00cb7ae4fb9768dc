#!/usr/bin/env python3
"""Province scale (PostgreSQL): the staff workbench and the portal search as the tables grow,
against a bare view on the same server, same run.

    .venv/bin/python bench/province.py --pgdata /work/bench-data/province [--sizes 1000000,5000000,20000000]
        [--agencies 1000] [--matters 1000000] [--decisions 200000] [--seconds 15] [--rounds 2]
        [--concurrency 8] [--workers 5] [--explain]
    .venv/bin/python bench/province.py --pgdata DIR --reuse [--sizes …]     grow a kept province
    .venv/bin/python bench/province.py --pgdata DIR --measure-only [SIZE]   measure it as it is
    DATABASE_URL=postgres://… .venv/bin/python bench/province.py [--reuse] …  a database of your own

`--pgdata DIR` keeps the generated cluster in DIR (made with tools/pgserver.py's settings: fsync off,
loopback only; started for the run, stopped after it, its files left for the next run); without it
DATABASE_URL is written into (use a scratch database). A province already in the database is only
used with `--reuse` (or `--measure-only`); each size in `--sizes` adds only the events it lacks,
and sizes below the current one are skipped. Before each load the free disk is checked against
the growth (measured bytes per event, indexes rebuilt included) and the run stops with a message
rather than fill the disk.

Generated (people, matters and decisions with COPY, the ledger events in the server):
- `agencies` agencies over the five agency packs, each with five sections, a leader, a chief per
  section and officers (sizes drawn from a skewed distribution: a few large city bureaus, many
  small county ones); each matter goes to an agency in proportion to its staff;
- `matters` matters (inspections 55 %, penalties 30 % general/simple, compulsion 5 %, licensing
  10 %), opened over three years; 6 % still open, in a state of their workflow, with a
  statutory deadline each; two officers and two steps per matter;
- ledger events up to each size in turn: `INSERT … SELECT … FROM generate_series` in batches, the
  secondary indexes dropped for the load and rebuilt after it; events of matters, records and
  people by the agencies' officers, numbered (integrated) as the sequencer leaves them, spread
  over three years (the leaves' hashes are random: `ledger verify` is not what is measured);
- `decisions` published decisions for the portal, spread over the agencies.
At each size, after ANALYZE: gunicorn (sync workers, persistent connections) serves the product
plus /bench/bare/ (bench/site/portal_urls.py); a small asyncio client alternates phases of the
bare view, an officer's home page (their workbench and queues), a section chief's home page, the
officer's workbench page (/matters/workbench/: their open matters with steps and deadlines), and
the portal's decision search (bench/portal.py's query mix), `rounds` times. Reports p50/p99 and
requests/s per phase, with the load average beside each figure. `--explain` also prints each
page's slowest queries, timed in process, and the plan of any query that reads the ledger.
"""

import argparse
import asyncio
import io
import json
import os
import random
import signal
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from httpload import gunicorn_start, load, wait_ready

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))
sys.path.insert(2, str(ROOT / "tools"))
PYTHON = ROOT / ".venv" / "bin" / "python"
if not PYTHON.exists():
    PYTHON = Path(sys.executable)
GUNICORN = PYTHON.parent / "gunicorn"

PACKS = ["fushun-city", "tonghua-city", "yuyao-city", "pingdingshan-hitech", "fushun-county-hrss"]
SECTIONS = ["执法一科", "执法二科", "执法三科", "危化监管科", "矿山监管科"]
# kind, procedure, workflow, share, open states, the deadline an open matter carries
KINDS = [
    ("inspection", "general", "inspection", 0.55, ["registered", "planned", "inspected", "rectifying"], None),
    ("penalty", "general", "penalty_general", 0.20, ["investigating", "filed", "proposed", "notified"],
     "penalty.decision_deadline"),
    ("penalty", "simple", "penalty_simple", 0.10, ["decided", "served"], "penalty.payment_deadline"),
    ("compulsion", "general", "compulsion", 0.05, ["in_force"], "compulsion.seizure_period"),
    ("licensing", "general", "licensing", 0.10, ["accepted", "reviewed"], None),
]  # fmt: skip
OPEN_SHARE = 0.06
NOW = datetime.now(UTC).replace(microsecond=0)
START = NOW - timedelta(days=3 * 365)
PASSWORD = "province-bench-Pa55"  # noqa: S105 (generated staff of a scratch database)


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
    import django

    django.setup()


def copy(cursor, table: str, columns: tuple[str, ...], rows) -> int:
    """COPY rows (tuples; None is NULL) into table, in chunks of text format."""
    n = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as out:
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(_field(v) for v in row))
            buffer.write("\n")
            n += 1
            if n % 20000 == 0:
                out.write(buffer.getvalue())
                buffer = io.StringIO()
        out.write(buffer.getvalue())
    return n


def _field(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return text


def _uscc(n: int) -> str:
    from stdnum.cn import uscc

    base = f"11210000MB{n:07d}"
    return base + uscc.calc_check_digit(base)


def generate_org(cursor, agencies: int, rng: random.Random) -> dict:
    """Agencies, sections, staff and roles. Returns the layout the matters are drawn from."""
    from django.contrib.auth.hashers import make_password

    password = make_password(PASSWORD)
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM org_agency")
    base = cursor.fetchone()[0] + 1000
    agency_rows, section_rows, staff_rows, role_rows = [], [], [], []
    layout = []
    staff_id, section_id, role_id = base * 100, base * 10, base * 100
    for a in range(agencies):
        agency_id = base + a
        pack = PACKS[a % len(PACKS)]
        agency_rows.append((agency_id, f"省基准第{a + 1}应急管理局", f"基准{a + 1}", _uscc(a + 1), f"基准市{a + 1}区", "",
                            "", "", "", pack, f"基应{a + 1}", NOW, "", ""))  # fmt: skip
        # Staff per section: lognormal, a few large bureaus and many small ones (2–40 officers).
        per_section = max(2, min(40, int(rng.lognormvariate(1.3, 0.7))))
        sections = []
        staff_id += 1
        leader = staff_id
        staff_rows.append((leader, password, None, False, f"p{a + 1}-leader", "", "", "", False, True, NOW, "局长某",
                           "局长", "", False, "", agency_id, None))  # fmt: skip
        role_rows.append((role_id := role_id + 1, "leader", NOW, leader))
        for s, name in enumerate(SECTIONS):
            section_id += 1
            section_rows.append((section_id, name, "section", "", True, agency_id))
            staff_id += 1
            chief = staff_id
            staff_rows.append((chief, password, None, False, f"p{a + 1}-s{s + 1}-chief", "", "", "", False, True, NOW,
                               "科长某", "科长", "", False, "", agency_id, section_id))  # fmt: skip
            role_rows.append((role_id := role_id + 1, "section_chief", NOW, chief))
            officers = []
            for o in range(per_section):
                staff_id += 1
                officers.append(staff_id)
                staff_rows.append((staff_id, password, None, False, f"p{a + 1}-s{s + 1}-o{o + 1}", "", "", "", False,
                                   True, NOW, f"执法员{o + 1}", "科员", "", True, "", agency_id, section_id))  # fmt: skip
                role_rows.append((role_id := role_id + 1, "officer", NOW, staff_id))
            sections.append((section_id, chief, officers))
        layout.append((agency_id, pack, leader, sections))
    copy(cursor, "org_agency", ("id", "name", "short_name", "uscc", "jurisdiction", "duties", "address", "phone",
                                "complaint_channel", "policy_pack", "instrument_prefix", "created_at",
                                "payment_account", "payment_bank"), agency_rows)  # fmt: skip
    copy(cursor, "org_section", ("id", "name", "kind", "duties", "enforces", "agency_id"), section_rows)
    copy(cursor, "org_staff", ("id", "password", "last_login", "is_superuser", "username", "first_name", "last_name",
                               "email", "is_staff", "is_active", "date_joined", "name", "position", "phone",
                               "frontline", "legal_qualification", "agency_id", "section_id"), staff_rows)  # fmt: skip
    copy(cursor, "org_roleassignment", ("id", "role", "granted_at", "staff_id"), role_rows)
    for table in ("org_agency", "org_section", "org_staff", "org_roleassignment"):
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608
        )
    return {"layout": layout, "staff": len(staff_rows)}


def generate_matters(cursor, layout, matters: int, rng: random.Random) -> dict:
    """Matters with their officers, two steps each and, when open, their deadline."""
    cursor.execute("SELECT id FROM django_content_type WHERE app_label = 'matters' AND model = 'matter'")
    matter_type = cursor.fetchone()[0]
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM matters_matter")
    base = cursor.fetchone()[0] + 1
    # Each agency's share of the matters follows its staff.
    weights = [sum(len(officers) for _, _, officers in sections) for _, _, _, sections in layout]
    agencies = rng.choices(range(len(layout)), weights=weights, k=matters)
    kinds = rng.choices(KINDS, weights=[k[3] for k in KINDS], k=matters)
    matter_rows, officer_rows, step_rows, deadline_rows = [], [], [], []
    opened = 0
    for i in range(matters):
        pk = base + i
        agency_id, pack, _, sections = layout[agencies[i]]
        section_id, _, officers = rng.choice(sections)
        kind, procedure, workflow, _, open_states, deadline = kinds[i]
        pair = rng.sample(officers, 2)
        is_open = rng.random() < OPEN_SHARE
        if is_open:
            opened_at = NOW - timedelta(days=rng.uniform(0, 60))
            state, closed_at = rng.choice(open_states), None
            opened += 1
        else:
            opened_at = START + timedelta(days=rng.uniform(0, 3 * 365 - 60))
            state, closed_at = "closed", opened_at + timedelta(days=rng.uniform(1, 60))
        matter_rows.append((pk, kind, procedure, workflow, state, f"对基准企业{pk}的{kind}", "", "", None, "[]", False, "",
                            "normal", "{}", opened_at, closed_at, agency_id, pair[0], None, section_id))  # fmt: skip
        officer_rows.append((pk, pair[0]))
        officer_rows.append((pk, pair[1]))
        step_rows.append(("register", "登记", "", "registered", "", "{}", opened_at, opened_at, pair[0], pk))
        step_rows.append(("advance", "办理", "registered", state, "", "{}", opened_at + timedelta(hours=2),
                          opened_at + timedelta(hours=2), pair[0], pk))  # fmt: skip
        if is_open and deadline:
            due = opened_at + timedelta(days=rng.choice([15, 30, 90]))
            deadline_rows.append(
                (str(pk), deadline, pack, opened_at, 30, "days", due, False, NOW, agency_id, matter_type)
            )
        if len(matter_rows) == 50000 or i == matters - 1:
            copy(cursor, "matters_matter", ("id", "kind", "procedure", "workflow", "state", "title", "facts",
                                            "legal_basis", "fine_amount", "measures", "major", "major_reason",
                                            "confidentiality", "data", "opened_at", "closed_at", "agency_id",
                                            "opened_by_id", "party_id", "section_id"), matter_rows)  # fmt: skip
            copy(cursor, "matters_matter_officers", ("matter_id", "staff_id"), officer_rows)
            copy(cursor, "matters_step", ("transition", "label", "from_state", "to_state", "note", "data",
                                          "occurred_at", "acted_at", "acted_by_id", "matter_id"), step_rows)  # fmt: skip
            copy(cursor, "policy_deadline", ("subject_id", "rule_key", "pack_id", "start", "amount", "unit", "due",
                                             "provisional", "computed_at", "agency_id", "subject_type_id"),
                 deadline_rows)  # fmt: skip
            for rows in (matter_rows, officer_rows, step_rows, deadline_rows):
                rows.clear()
    for table in ("matters_matter", "matters_step", "matters_matter_officers", "policy_deadline"):
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"  # noqa: S608
        )
    return {"base": base, "open": opened}


EVENT_KINDS = [("matter.open", "matters.matter", 0.1), ("matter.step", "matters.matter", 0.3),
               ("matter.view", "matters.matter", 0.3), ("record.view", "records.record", 0.2),
               ("record.ingest", "records.record", 0.05), ("staff.login", "org.staff", 0.05)]  # fmt: skip


EVENTS_BATCH = 1_000_000  # rows per INSERT … SELECT (each its own transaction)
DISK_RESERVE = 10 * 2**30  # left free for the machine's other work


def event_count(cursor) -> int:
    cursor.execute("SELECT COALESCE(MAX(index) + 1, 0) FROM ledger_event")
    return cursor.fetchone()[0]


def check_disk(cursor, path: Path, add: int) -> None:
    """Stop (SystemExit) when `add` more events would leave less than DISK_RESERVE free under path."""
    import shutil

    cursor.execute("SELECT pg_total_relation_size('ledger_event'), COUNT(*) FROM ledger_event")
    size, rows = cursor.fetchone()
    per_event = size / rows if rows > 100_000 else 650  # measured: about 0.55 KB with its indexes
    # The indexes are rebuilt after the load: their sort files need about as much again for a while.
    need = int(add * per_event * 1.4)
    free = shutil.disk_usage(path).free
    if free - need < DISK_RESERVE:
        raise SystemExit(
            f"not enough disk for {add:,} more events: about {need / 2**30:.1f} GiB needed "
            f"({per_event:.0f} bytes each), {free / 2**30:.1f} GiB free under {path}, "
            f"{DISK_RESERVE / 2**30:.0f} GiB to be left; nothing was added"
        )


def generate_events(cursor, count: int) -> dict:
    """`count` more ledger events, numbered after the last one, generated in the server.

    The actors are the bench agencies' officers; the subjects the bench matters (or records and
    people by number); times uniform over three years (the sizes differ in density, not in span)."""
    cursor.execute("SELECT COALESCE(MAX(id), 0), COALESCE(MAX(index), -1) FROM ledger_event")
    last_id, last_index = cursor.fetchone()
    cursor.execute("SET synchronous_commit = off")
    cursor.execute("SET maintenance_work_mem = '512MB'")
    cursor.execute("SET max_parallel_maintenance_workers = 0")  # 2 shared cores; no /dev/shm segments
    cursor.execute("DROP TABLE IF EXISTS bench_actor, bench_kind")
    cursor.execute(
        "CREATE TEMP TABLE bench_actor AS SELECT row_number() OVER (ORDER BY id) AS n, id, agency_id"
        " FROM org_staff WHERE frontline AND agency_id IN (SELECT id FROM org_agency WHERE name LIKE '省基准第%')"
    )
    cursor.execute("SELECT COUNT(*) FROM bench_actor")
    actors = cursor.fetchone()[0]
    cursor.execute("CREATE TEMP TABLE bench_kind (n int, kind text, subject_type text, data jsonb)")
    slots = [k for k in EVENT_KINDS for _ in range(round(k[2] * 100))]
    cursor.executemany(
        "INSERT INTO bench_kind VALUES (%s, %s, %s, %s)",
        [(n, kind, subject_type, '{"purpose": "查看执法事项"}' if kind.endswith("view") else "{}")
         for n, (kind, subject_type, _) in enumerate(slots)],
    )  # fmt: skip
    cursor.execute(
        "SELECT MIN(id), MAX(id) FROM matters_matter WHERE agency_id IN (SELECT id FROM org_agency WHERE name LIKE '省基准第%')"
    )
    first_matter, last_matter = cursor.fetchone()
    if not actors or first_matter is None:
        raise SystemExit("no generated province in this database (no bench agencies or matters)")
    # Secondary indexes (not the primary key nor the unique leaf number: both grow at their right
    # edge) are dropped for the load and rebuilt once after it.
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ledger_event' AND indexname NOT IN"
        " (SELECT conname FROM pg_constraint WHERE conrelid = 'ledger_event'::regclass)"
    )
    indexes = cursor.fetchall() if count >= EVENTS_BATCH else []
    timings = {"insert_s": 0.0, "index_s": 0.0}
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    try:
        started = time.perf_counter()
        done = 0
        while done < count:
            n = min(EVENTS_BATCH, count - done)
            cursor.execute(
                """
                INSERT INTO ledger_event (id, index, kind, actor_id, agency_id, subject_type, subject_id,
                                          data, created_at, entry, leaf_hash)
                SELECT %(id0)s + r.i, %(index0)s + r.i, k.kind, a.id, a.agency_id, k.subject_type, s.subject,
                       k.data, r.at,
                       '{"kind":"' || k.kind || '","subject":"' || k.subject_type || ':' || s.subject
                           || '","at":"' || to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
                           || '+00:00"}',
                       r.leaf
                FROM (
                    SELECT i, floor(random() * %(kinds)s)::int AS k, 1 + floor(random() * %(actors)s)::int AS a,
                           %(m0)s + floor(random() * %(matters)s)::bigint AS matter,
                           floor(random() * 1000000)::bigint AS other,
                           date_trunc('second', %(start)s::timestamptz + random() * %(span)s * interval '1 second') AS at,
                           md5(random()::text) || md5(random()::text) AS leaf
                    FROM generate_series(1, %(n)s) AS i
                ) r
                JOIN bench_kind k ON k.n = r.k
                JOIN bench_actor a ON a.n = r.a
                CROSS JOIN LATERAL (SELECT CASE WHEN k.subject_type = 'matters.matter' THEN r.matter::text
                                                ELSE r.other::text END AS subject) s
                """,
                {"id0": last_id + done, "index0": last_index + done, "kinds": len(slots), "actors": actors,
                 "m0": first_matter, "matters": last_matter - first_matter + 1, "start": START,
                 "span": (NOW - START).total_seconds(), "n": n},
            )  # fmt: skip
            done += n
            elapsed = time.perf_counter() - started
            print(f"    {done:,} / {count:,} events inserted, {done / elapsed:,.0f} rows/s", flush=True)
        timings["insert_s"] = time.perf_counter() - started
    finally:
        started = time.perf_counter()
        if indexes and not cursor.connection.autocommit:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # an index cannot be built behind pending checks
        for name, definition in indexes:
            cursor.execute(definition)
            print(f"    index {name} rebuilt ({time.perf_counter() - started:.0f} s so far)", flush=True)
        timings["index_s"] = time.perf_counter() - started
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence('ledger_event', 'id'), (SELECT MAX(id) FROM ledger_event))"
    )
    return {"added": count, **timings}


def generate_decisions(cursor, layout, decisions: int, rng: random.Random) -> int:
    """Published decisions over the agencies, as bench/portal.py makes them."""
    from portal import CATEGORIES, CITIES, SURNAMES, TRADES, WORDS, number_of

    from publicity.masking import public_view
    from publicity.portal_page import decision_row

    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM publicity_publication")
    base = cursor.fetchone()[0] + 1
    today = NOW.date()

    def rows():
        for i in range(decisions):
            pk = base + i
            agency_id = layout[rng.randrange(len(layout))][0]
            natural = rng.random() < 0.2
            decided = today - timedelta(days=rng.randrange(0, 360))
            category = rng.choice(CATEGORIES)
            if natural:
                party = {"party_kind": "natural_person",
                         "party_name": rng.choice(SURNAMES) + "某" + rng.choice("明华军芳"),
                         "party_id_number": f"2104021980{i:08d}", "party_phone": f"138{i:08d}",
                         "party_address": "辽宁省某市某路" + str(i % 500) + "号"}  # fmt: skip
            else:
                party = {"party_kind": "legal_person",
                         "party_name": rng.choice(CITIES) + rng.choice(WORDS) + rng.choice(WORDS)
                         + rng.choice(TRADES) + "有限公司",
                         "party_id_number": f"91210400MA{i:08d}", "party_phone": "024-5" + f"{i % 10**7:07d}",
                         "party_address": "某市望花区和平路" + str(i % 900) + "号"}  # fmt: skip
            content = {"agency": f"基准{agency_id}", "category": category, **party,
                       "instrument_number": number_of(category, decided.year, i),
                       "cause": "未按规定对安全设备进行经常性维护、保养", "basis": "《中华人民共和国安全生产法》第九十九条",
                       "result": f"罚款人民币{rng.randrange(1, 20)}万元", "decided_on": decided.isoformat(),
                       "withheld": []}  # fmt: skip
            public = public_view(content, name_display="masked")
            published = datetime.combine(decided, datetime.min.time(), UTC) + timedelta(hours=1)
            yield (pk, decision_row(pk, public), agency_id, category, "published", party["party_kind"], False, decided,
                   content["instrument_number"], public["party"], json.dumps(content, ensure_ascii=False),
                   json.dumps(public, ensure_ascii=False), 1, decided + timedelta(days=9), published,
                   decided + timedelta(days=730), "", "", published)  # fmt: skip

    n = copy(cursor, "publicity_publication", ("id", "row_html", "agency_id", "category", "state", "party_kind",
                                                "minor", "decided_on", "instrument_number", "party_public", "content",
                                                "public", "version", "due_on", "published_at", "display_until",
                                                "withdrawal_note", "source", "created_at"), rows())  # fmt: skip
    return n


def pick_people(cursor) -> dict:
    """An officer and a chief of a middle-sized agency (the largest section of the agency in the
    middle by officers): the pages the bench requests. Read from the database, so a kept province
    gives the same people."""
    from org.models import Staff

    cursor.execute(
        "SELECT agency_id FROM org_staff WHERE frontline"
        " AND agency_id IN (SELECT id FROM org_agency WHERE name LIKE '省基准第%') GROUP BY agency_id ORDER BY COUNT(*), agency_id"
    )
    agencies = [row[0] for row in cursor.fetchall()]
    agency = agencies[len(agencies) // 2]
    cursor.execute(
        "SELECT section_id FROM org_staff WHERE frontline AND agency_id = %s"
        " GROUP BY section_id ORDER BY COUNT(*) DESC, section_id LIMIT 1",
        [agency],
    )
    section = cursor.fetchone()[0]
    officer = Staff.objects.filter(section_id=section, frontline=True).order_by("id").first()
    chief = Staff.objects.get(section_id=section, role_assignments__role="section_chief")
    return {"officer": officer, "chief": chief}


def session_for(staff) -> str:
    from django.test import Client

    client = Client()
    client.force_login(staff)
    return client.cookies["sessionid"].value


def explain(people: dict, top: int = 6) -> None:
    """The slowest queries of each person's home page and workbench and of four portal searches, in
    process; the plan of any query that reads the ledger (none should: its cost would grow with the
    events)."""
    from django.db import connection
    from django.test import Client
    from portal import search_paths

    pages = [(role, staff, path) for role, staff in people.items() for path in ("/", "/matters/workbench/")]
    pages += [("portal", None, path) for path in search_paths(random.Random(11))[:4]]
    for role, staff, path in pages:
        client = Client()
        if staff is not None:
            client.force_login(staff)
        client.get(path)
        timings = []

        def wrap(execute, sql, params, many, context, timings=timings):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timings.append((time.perf_counter() - started, sql, params))

        started = time.perf_counter()
        with connection.execute_wrapper(wrap):
            assert client.get(path).status_code == 200, path
        total = time.perf_counter() - started
        ledger = [(sql, params) for _, sql, params in timings if "ledger_" in sql]
        print(f"  {role} {path}: {len(timings)} queries ({len(ledger)} on the ledger), "
              f"{1000 * sum(t for t, _, _ in timings):.1f} ms in SQL, {1000 * total:.1f} ms in all",
              flush=True)  # fmt: skip
        for elapsed, sql, _ in sorted(timings, key=lambda t: t[0], reverse=True)[:top]:
            print(f"    {1000 * elapsed:7.2f} ms  {sql[:220]}", flush=True)
        with connection.cursor() as cursor:
            for sql, params in ledger:
                analyze = "ANALYZE, BUFFERS, " if sql.lstrip().upper().startswith("SELECT") else ""
                cursor.execute(f"EXPLAIN ({analyze}COSTS OFF) {sql}", params)
                plan = "\n      ".join(row[0] for row in cursor.fetchall())
                print(f"    on the ledger: {sql[:160]}\n      {plan}", flush=True)


def measure(args, sessions: dict) -> dict:
    from portal import search_paths

    port = 20000 + random.randrange(20000)
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "portal_settings",
        "DEBUG": "false",
        "LOG_LEVEL": "ERROR",
        "CONN_MAX_AGE": "600",
        "ZHIFA_LEDGER_INTEGRATE": "worker",
    }
    server = gunicorn_start(GUNICORN, port=port, workers=args.workers, env=env, cwd=ROOT)
    phases = {
        "bare": (["/bench/bare/"], ""),
        "officer": (["/"], sessions["officer"]),
        "chief": (["/"], sessions["chief"]),
        "workbench": (["/matters/workbench/"], sessions["officer"]),
        "portal": (search_paths(random.Random(11)), ""),
    }
    results = {name: [] for name in phases}
    try:
        wait_ready(f"http://127.0.0.1:{port}/bench/bare/", tries=150)
        for paths, cookie in phases.values():  # warm-up
            asyncio.run(load("127.0.0.1", port, paths, 2, args.concurrency, 0, cookie))
        names = list(phases)
        for round_ in range(args.rounds):
            shift = round_ % len(names)
            order = names[shift:] + names[:shift]
            for name in order:
                paths, cookie = phases[name]
                result = asyncio.run(
                    load("127.0.0.1", port, paths, args.seconds, args.concurrency, round_ + 1, cookie)
                )
                results[name].append(result)
                print(f"  round {round_ + 1} {name:8}: {json.dumps(result)}", flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return {
        name: {
            "p50_ms": round(statistics.median(r["p50_ms"] for r in rs), 1),
            "p99_ms": max(r["p99_ms"] for r in rs),
            "rps": round(statistics.median(r["rps"] for r in rs), 1),
            "load": [r["load"] for r in rs],
            "errors": sum(r["errors"] for r in rs),
        }
        for name, rs in results.items()
    }


def cluster_start(pgdata: Path) -> tuple[dict, Path]:
    """The kept cluster in pgdata (made there on first use, with tools/pgserver.py's settings),
    started on a free loopback port. Returns (server, bindir) for cluster_stop."""
    import pwd

    import pgserver

    bindir = pgserver.ensure_postgres()
    owner = pgserver.ensure_service_user() if pgserver._is_root() else pwd.getpwuid(os.getuid())
    fresh = not (pgdata / "data" / "PG_VERSION").exists()
    if fresh:
        pgdata.mkdir(parents=True, exist_ok=True)
        if pgserver._is_root():  # the cluster belongs to the service user, as pgserver's do
            os.chown(pgdata, owner.pw_uid, owner.pw_gid)
        pgserver._initdb(bindir, pgdata, print)
        pgserver._configure(pgdata)
        with (pgdata / "data" / "postgresql.conf").open("a") as conf:
            conf.write(
                "# bench/province.py: a kept bench cluster\nshared_buffers = '512MB'\nmax_wal_size = '4GB'\n"
            )
    port, pid = pgserver._start_postmaster(bindir, pgdata)
    pgserver._wait_for_connections(bindir, port)
    if fresh:
        result = pgserver._psql(bindir, port, "-c", f"CREATE ROLE {pgserver.DB_USER} LOGIN CREATEDB",
                                "-c", f"CREATE DATABASE {pgserver.DB_NAME} OWNER {pgserver.DB_USER}")  # fmt: skip
        if result.returncode != 0:
            pgserver._stop_postmaster(bindir, pgdata, pid)
            raise SystemExit(f"could not create the bench database in {pgdata}: {result.stderr}")
    print(f"PostgreSQL in {pgdata} on port {port} ({'new' if fresh else 'kept'} cluster)", flush=True)
    return {"port": port, "pid": pid, "url": pgserver.database_url(pgserver.HOST, port)}, bindir


def cluster_stop(pgdata: Path, server: dict, bindir: Path) -> None:
    import pgserver

    pgserver._stop_postmaster(bindir, pgdata, server["pid"])
    print(f"PostgreSQL in {pgdata} stopped (kept for --reuse / --measure-only)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agencies", type=int, default=1000)
    parser.add_argument("--matters", type=int, default=1_000_000)
    parser.add_argument(
        "--sizes", "--events", dest="sizes", default="1000000,5000000,20000000",
        help="ledger sizes to measure at, in order; each adds only the events it lacks",
    )  # fmt: skip
    parser.add_argument("--decisions", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--pgdata", type=Path, help="keep the generated cluster in this folder")
    parser.add_argument("--reuse", action="store_true", help="use the province already generated")
    parser.add_argument(
        "--measure-only", nargs="?", type=int, const=-1, default=None, metavar="SIZE",
        help="generate nothing: measure the kept province as it is (SIZE: refuse unless it has that many events)",
    )  # fmt: skip
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    server = bindir = None
    if args.pgdata:
        args.pgdata = args.pgdata.resolve()
        server, bindir = cluster_start(args.pgdata)
        os.environ["DATABASE_URL"] = server["url"]
    elif not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit(
            "bench/province.py measures PostgreSQL: give --pgdata DIR (a kept cluster) or set"
            " DATABASE_URL=postgres://… (a scratch database)"
        )
    try:
        run(args, sizes)
    finally:
        if server:
            cluster_stop(args.pgdata, server, bindir)


def run(args, sizes: list[int]) -> None:
    setup_django()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM org_agency WHERE name LIKE '省基准第%'")
        generated = cursor.fetchone()[0]
    if args.measure_only is not None:
        args.reuse = True
    if generated and not args.reuse:
        raise SystemExit(
            f"this database already holds a generated province ({generated} agencies): --reuse grows and"
            " measures it, --measure-only measures it as it is (or start from an empty database)"
        )
    if args.reuse and not generated:
        raise SystemExit("--reuse / --measure-only: this database holds no generated province")
    if not generated:
        rng = random.Random(17)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            org = generate_org(cursor.cursor, args.agencies, rng)
            print(
                f"{args.agencies} agencies, {org['staff']} staff in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
            started = time.perf_counter()
            made = generate_matters(cursor.cursor, org["layout"], args.matters, rng)
            print(
                f"{args.matters} matters ({made['open']} open) in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
            started = time.perf_counter()
            decisions = generate_decisions(cursor.cursor, org["layout"], args.decisions, rng)
            print(f"{decisions} published decisions in {time.perf_counter() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM org_agency WHERE name LIKE '省基准第%'")
        agencies = cursor.fetchone()[0]
        cursor.execute(
            "SELECT COUNT(*) FROM matters_matter WHERE agency_id IN (SELECT id FROM org_agency WHERE name LIKE '省基准第%')"
        )
        matters = cursor.fetchone()[0]
        have = event_count(cursor)
        people = pick_people(cursor)
    if args.measure_only is not None:
        if args.measure_only >= 0 and args.measure_only != have:
            raise SystemExit(f"--measure-only {args.measure_only}: the province has {have} events")
        sizes = [have]
    sessions = {role: session_for(staff) for role, staff in people.items()}
    table = []
    for size in sizes:
        if size < have:
            print(f"skipping {size:,} events: the province already has {have:,}", flush=True)
            continue
        started = time.perf_counter()
        made = {"added": 0}
        with connection.cursor() as cursor:
            if size > have:
                check_disk(cursor, Path(args.pgdata or "/"), size - have)
                made = generate_events(cursor.cursor, size - have)
                have = event_count(cursor)
                cursor.execute("ANALYZE")
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            db_size = cursor.fetchone()[0]
        took = time.perf_counter() - started
        if made["added"]:
            print(f"{have:,} events ({db_size}): {made['added']:,} added in {took:.0f} s "
                  f"({made['added'] / made['insert_s']:,.0f} rows/s inserted, indexes rebuilt in "
                  f"{made['index_s']:.0f} s, load {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
        else:
            print(f"{have:,} events ({db_size})", flush=True)
        if args.explain:
            explain(people)
        figures = measure(args, sessions)
        table.append({"events": have, "matters": matters, "agencies": agencies, "db": db_size,
                      "generated_s": round(took), **figures})  # fmt: skip
        print(json.dumps(table[-1], ensure_ascii=False), flush=True)
    print(json.dumps(table, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
