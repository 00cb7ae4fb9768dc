"""`zhifa ingest FOLDER --device SERIAL`: a dock folder imported recursively, de-duplicated by hash,
re-runnable; run in-process, as a real `zhifa` process with its own data folder, and killed with
SIGKILL at random moments (nothing half-stored, and a re-run completes the import)."""

import hashlib
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from equipment.services import device_issue, device_register
from ledger.models import Event
from records.choices import Source
from records.models import Record, RecordVersion
from records.services import record_ingest
from records.tests.clips import corrupt, make_video

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(
    r"导入完成：新存储 (\d+) 个（[^）]*），已存在跳过 (\d+) 个，无法读取但已存储 (\d+) 个，逾期 (\d+) 个，失败 (\d+) 个。"
)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _clip(path: Path, start: datetime, seconds: float = 1) -> Path:
    """A clip whose file time (what the dock reports) is its recorded end, as a dock would write it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    make_video(path, seconds=seconds, creation_time=start)
    end = (start + timedelta(seconds=seconds)).timestamp()
    os.utime(path, (end, end))
    return path


def _summary(text: str) -> tuple[int, ...]:
    match = SUMMARY.search(text)
    assert match, text
    return tuple(int(n) for n in match.groups())


def _dock_folder(root: Path) -> dict[str, Path]:
    """DCIM/100MEDIA/…, DCIM/101MEDIA/深夜/…: two clips, a late clip, a truncated clip, an empty file,
    a hidden file, and a clip that was uploaded through the web before the dock import."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)  # mp4 keeps whole seconds
    files = {
        "first": _clip(root / "DCIM" / "100MEDIA" / "clip_0900.mp4", start),
        "second": _clip(root / "DCIM" / "100MEDIA" / "clip_0901.mp4", start + timedelta(seconds=3)),
        "late": _clip(root / "DCIM" / "101MEDIA" / "深夜" / "clip_old.mp4", start - timedelta(hours=30)),
        "broken": corrupt(
            _clip(root / "DCIM" / "101MEDIA" / "损坏.mp4", start + timedelta(seconds=6)), "truncate"
        ),
        "empty": root / "DCIM" / "101MEDIA" / "空文件.mp4",
        "uploaded": _clip(root / "上传过的.mp4", start + timedelta(seconds=9)),
    }
    files["empty"].write_bytes(b"")
    (root / "DCIM" / ".DS_Store").write_bytes(b"finder")
    return files


@pytest.fixture
def device(agency, section):
    return device_register(agency=agency, section=section, kind="body_camera", serial="DSJ-0001")


def _ingest(folder, *args):
    out, err = StringIO(), StringIO()
    error = None
    try:
        call_command("ingest", str(folder), "--device", "DSJ-0001", *args, stdout=out, stderr=err)
    except CommandError as exc:
        error = exc
    return error, out.getvalue(), err.getvalue()


def test_a_dock_folder_is_imported_recursively_and_a_rerun_skips_everything(
    tmp_path, make_staff, section, device
):
    officer = make_staff("officer", frontline=True)
    device_issue(device=device, holder=officer)
    files = _dock_folder(tmp_path / "dock")
    uploaded = record_ingest(
        acting_user=officer, section=section, path=files["uploaded"], original_name="网页上传.mp4"
    ).version

    error, out, err = _ingest(tmp_path / "dock")
    # stored, skipped, unreadable, late, failed
    assert _summary(out) == (4, 1, 1, 1, 1)
    assert isinstance(error, CommandError) and error.returncode == 1
    assert "1 个文件未能导入" in str(error)
    assert "共 6 个文件" in err  # the hidden file is not one of them
    assert "未导入：文件“DCIM／101MEDIA／空文件.mp4”是空文件（0字节）" in err
    assert f"内容已存储（记录 #{uploaded.record_id}），未重复存储" in err

    dock = RecordVersion.objects.filter(source=Source.DOCK).select_related("record")
    by_name = {v.original_name: v for v in dock}
    assert set(by_name) == {
        "DCIM／100MEDIA／clip_0900.mp4",
        "DCIM／100MEDIA／clip_0901.mp4",
        "DCIM／101MEDIA／深夜／clip_old.mp4",
        "DCIM／101MEDIA／损坏.mp4",
    }
    for key, name in [
        ("first", "DCIM／100MEDIA／clip_0900.mp4"),
        ("late", "DCIM／101MEDIA／深夜／clip_old.mp4"),
        ("broken", "DCIM／101MEDIA／损坏.mp4"),
    ]:
        assert by_name[name].sha256 == _sha(files[key])
    first = by_name["DCIM／100MEDIA／clip_0900.mp4"]
    assert first.record.device == device and first.record.title == "clip_0900"
    assert list(first.record.officers.all()) == [officer]
    assert first.record.created_by is None and first.filed_by is None
    assert first.findings == [] and first.late is False
    assert first.dock_time == first.recorded_end  # the file time, kept; never taken for the clock
    assert first.clock_offset is None and first.clock_reference.startswith("未核对设备时间")
    assert uploaded.duplicates.get().name == "上传过的.mp4"
    late = by_name["DCIM／101MEDIA／深夜／clip_old.mp4"]
    assert late.late is True and [f["code"] for f in late.findings] == ["late_filing"]
    assert by_name["DCIM／101MEDIA／损坏.mp4"].readable is False
    assert Record.objects.count() == 5
    assert Event.objects.filter(kind="record.create").count() == 5

    # A re-run skips everything (the empty file still fails, still says why).
    error, out, err = _ingest(tmp_path / "dock")
    assert _summary(out) == (0, 5, 0, 0, 1)
    assert isinstance(error, CommandError)
    assert err.count("已导入，跳过") == 5  # the web upload's dock name too, kept as its other name
    assert Record.objects.count() == 5 and Event.objects.filter(kind="record.create").count() == 5


def test_the_person_running_the_import_is_recorded_and_checked(tmp_path, make_staff, device):
    officer = make_staff("officer")
    folder = tmp_path / "dock"
    _clip(folder / "a.mp4", datetime.now(UTC) - timedelta(minutes=5))
    error, out, _ = _ingest(folder, "--by", officer.username)
    assert error is None and _summary(out) == (1, 0, 0, 0, 0)
    assert RecordVersion.objects.get().filed_by == officer

    archivist = make_staff("archivist")
    _clip(folder / "b.mp4", datetime.now(UTC) - timedelta(minutes=4))
    error, out, err = _ingest(folder, "--by", archivist.username)
    assert _summary(out) == (0, 1, 0, 0, 1) and isinstance(error, CommandError)
    assert "未导入：您没有权限执行此操作" in err

    error, _, _ = _ingest(folder, "--by", "nobody")
    assert "人员“nobody”不存在或已停用。" in str(error)


def test_an_unknown_device_or_folder_is_refused(tmp_path, device):
    with pytest.raises(CommandError, match="设备编号“DSJ-404”未登记"):
        call_command("ingest", str(tmp_path), "--device", "DSJ-404", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="不存在或不是文件夹"):
        call_command(
            "ingest", str(tmp_path / "nope"), "--device", "DSJ-0001", stdout=StringIO(), stderr=StringIO()
        )


# --- a real `zhifa` process with its own data folder ---------------------------------------------------------

SETUP = """
from equipment.services import device_register
from org.services import agency_create, section_create
from org.tests.factories import make_uscc
agency = agency_create(name="抚顺市应急管理局", uscc=make_uscc("11210400MB0000001"),
                       jurisdiction="抚顺市", policy_pack="fushun-city")
section = section_create(agency=agency, name="执法监察一大队")
device_register(agency=agency, section=section, kind="body_camera", serial="DSJ-9001")
"""


def _zhifa() -> list[str]:
    script = Path(sys.executable).with_name("zhifa")
    return [str(script)] if script.exists() else [sys.executable, "-m", "zhifa.cli"]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ZHIFA_BLOB_STORE", "ZHIFA_ENV")}
    env["ZHIFA_DATA_DIR"] = str(data_dir)
    env["DJANGO_SETTINGS_MODULE"] = "zhifa.settings"
    return env


def _run(data_dir: Path, *args, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*_zhifa(), *args], env=_env(data_dir), cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A data folder with a migrated SQLite database, an agency, a section and device DSJ-9001."""
    data = tmp_path_factory.mktemp("zhifa-data")
    for args in (("migrate", "-v", "0"), ("shell", "-c", SETUP)):
        done = _run(data, *args)
        assert done.returncode == 0, done.stdout + done.stderr
    return data


@pytest.fixture
def data_dir(migrated, tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(migrated, target)
    return target


def _rows(data_dir: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(data_dir / "zhifa.sqlite3")) as conn:
        return conn.execute(sql).fetchall()


def _blob(data_dir: Path, sha256: str) -> Path:
    return data_dir / "blobs" / "sha256" / sha256[:2] / sha256[2:4] / sha256


def test_zhifa_ingest_in_its_own_process(data_dir, tmp_path):
    folder = tmp_path / "dock"
    files = _dock_folder(folder)

    first = _run(data_dir, "ingest", str(folder), "--device", "DSJ-9001")
    assert first.returncode == 1, first.stdout + first.stderr
    assert _summary(first.stdout) == (5, 0, 1, 1, 1)
    assert "是空文件（0字节）" in first.stderr and "1 个文件未能导入" in first.stderr

    stored = dict(_rows(data_dir, "SELECT original_name, sha256 FROM records_recordversion"))
    assert len(stored) == 5
    assert stored["上传过的.mp4"] == _sha(files["uploaded"])
    assert stored["DCIM／101MEDIA／深夜／clip_old.mp4"] == _sha(files["late"])
    for sha256 in stored.values():
        assert _sha(_blob(data_dir, sha256)) == sha256

    again = _run(data_dir, "ingest", str(folder), "--device", "DSJ-9001")
    assert again.returncode == 1
    assert _summary(again.stdout) == (0, 5, 0, 0, 1)
    assert _rows(data_dir, "SELECT COUNT(*) FROM records_recordversion") == [(5,)]

    verify = _run(data_dir, "ledger", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "核验通过" in verify.stdout


# --- crash safety -------------------------------------------------------------------------------------------


def _crash_folder(root: Path) -> list[Path]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    clips = [
        _clip(root / f"{'ab'[n % 2]}" / f"clip{n}.mp4", start + timedelta(seconds=3 * n)) for n in range(8)
    ]
    big = root / "b" / "big.mp4"  # sorted between a/… and b/clip…: stored in the middle of the run
    big.write_bytes(random.Random(7).randbytes(40 * 2**20))
    return [*clips, big]


def _check_nothing_half_stored(data_dir: Path) -> int:
    """Every version's blob is there and complete; every stored blob is complete; every record has
    its version and its ledger event. Returns the number of versions."""
    versions = _rows(data_dir, "SELECT sha256, size FROM records_recordversion")
    for sha256, size in versions:
        blob = _blob(data_dir, sha256)
        assert blob.is_file(), f"version without its file: {sha256}"
        assert blob.stat().st_size == size and _sha(blob) == sha256
    objects = data_dir / "blobs" / "sha256"
    for blob in (p for p in objects.rglob("*") if p.is_file()) if objects.exists() else ():
        assert _sha(blob) == blob.name, f"incomplete blob under its final name: {blob}"
    records = _rows(data_dir, "SELECT COUNT(*) FROM records_record")[0][0]
    created = _rows(data_dir, "SELECT COUNT(*) FROM ledger_event WHERE kind = 'record.create'")[0][0]
    assert records == len(versions) == created
    # A kill between a commit and its integration leaves committed events waiting (待入账): the next
    # sequencer run numbers them all, and then the head covers every event.
    sequenced = _run(data_dir, "ledger", "sequence", "--once")
    assert sequenced.returncode == 0, sequenced.stdout + sequenced.stderr
    (head,) = _rows(data_dir, "SELECT size FROM ledger_head")
    assert head[0] == _rows(data_dir, "SELECT COUNT(*) FROM ledger_event")[0][0]
    # Interrupted writes leave nothing but temporary files.
    leftovers = [p for p in (data_dir / "blobs").rglob("*") if p.is_file() and objects not in p.parents]
    assert all(p.parent.name == "tmp" and p.name.endswith(".part") for p in leftovers), leftovers
    return len(versions)


def _start_ingest(data_dir: Path, folder: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*_zhifa(), "ingest", str(folder), "--device", "DSJ-9001"],
        env=_env(data_dir),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until_started(process: subprocess.Popen) -> None:
    """Django is set up and the folder listed once the first line is on stderr."""
    line = process.stderr.readline()
    assert "共 9 个文件" in line or process.poll() is not None, line


def _kill(process: subprocess.Popen) -> bool:
    """SIGKILL; True if it was still running (the kill interrupted it)."""
    running = process.poll() is None
    if running:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    return running


def _writing_big_file(temp_dir: Path) -> bool:
    """A temporary file of the store already holds more than 1 MiB (small clips' vanish quickly)."""
    for part in temp_dir.glob("*.part") if temp_dir.is_dir() else ():
        try:
            if part.stat().st_size > 2**20:
                return True
        except FileNotFoundError:
            continue
    return False


def _after_line(process: subprocess.Popen, number: int) -> None:
    """Wait until the report line of file `number` (1-based) is written: the next file is being stored."""
    if number == 0:
        return
    for line in process.stderr:
        if line.startswith(f"[{number}/"):
            return


def test_an_import_killed_at_any_moment_leaves_nothing_half_stored(data_dir, tmp_path):
    folder = tmp_path / "dock"
    files = _crash_folder(folder)
    temp_dir = data_dir / "blobs" / "tmp"
    rng = random.Random(20260506)  # seeded, so a failure can be replayed
    kills = []

    # First, kill it while the big file is being written to the store.
    process = _start_ingest(data_dir, folder)
    _wait_until_started(process)
    deadline = time.monotonic() + 20
    while process.poll() is None and time.monotonic() < deadline:
        if _writing_big_file(temp_dir):
            break
        time.sleep(0.001)
    kills.append(("while writing the big file", _kill(process)))
    stored = _check_nothing_half_stored(data_dir)
    assert list(temp_dir.glob("*.part")), "the kill did not land inside the blob write"
    verify = _run(data_dir, "ledger", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr

    # Then at random moments of later runs: a while after it started, or just after some file's
    # report line (so inside the probe, the blob write or the transaction of the next file).
    for mode in ("after a file", "after a delay", "after a file"):
        if stored == len(files):
            break
        process = _start_ingest(data_dir, folder)
        _wait_until_started(process)
        if mode == "after a delay":
            moment = rng.uniform(0, 0.4)
        else:
            moment = rng.uniform(0, 0.03)
            _after_line(process, rng.randrange(stored, max(stored + 1, len(files) - 2)))
        time.sleep(moment)
        kills.append((f"{mode} +{moment:.3f}s", _kill(process)))
        now = _check_nothing_half_stored(data_dir)
        assert now >= stored
        stored = now
        verify = _run(data_dir, "ledger", "verify")
        assert verify.returncode == 0, f"after a kill {kills[-1][0]}: {verify.stdout}{verify.stderr}"
    assert sum(running for _, running in kills) >= 2, (
        f"the kills came too late to interrupt anything: {kills}"
    )

    # A re-run completes the import: every file stored exactly once.
    final = _run(data_dir, "ingest", str(folder), "--device", "DSJ-9001")
    assert final.returncode == 0, final.stdout + final.stderr
    assert _check_nothing_half_stored(data_dir) == len(files)
    hashes = [sha for (sha,) in _rows(data_dir, "SELECT sha256 FROM records_recordversion")]
    assert sorted(hashes) == sorted(_sha(p) for p in files)
    names = {n for (n,) in _rows(data_dir, "SELECT original_name FROM records_recordversion")}
    assert names == {str(p.relative_to(folder)).replace(os.sep, "／") for p in files}

    again = _run(data_dir, "ingest", str(folder), "--device", "DSJ-9001")
    assert _summary(again.stdout) == (0, 9, 0, 0, 0)
    verify = _run(data_dir, "ledger", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "核验通过" in verify.stdout


# --- probing ahead ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("session_start", [False, True])
def test_each_file_is_probed_once_and_the_next_one_while_this_one_is_stored(
    tmp_path, monkeypatch, device, session_start
):
    """The import probes the next file in a helper thread while the current one is stored, and
    hands that result to record_ingest; with --session-start the clock check's probe is reused.
    Either way every file is probed exactly once, and what is stored is what its own probe found."""
    import threading

    import records.services

    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    folder = tmp_path / "dock"
    clips = [
        _clip(folder / f"clip_{n}.mp4", start + timedelta(seconds=2 * n), seconds=1 + n) for n in range(3)
    ]
    (folder / "已导入.mp4").write_bytes(clips[0].read_bytes())  # the same content under another name
    real_probe, probes = records.services.probe, []

    def counting_probe(path, **kwargs):
        probes.append((Path(path).name, threading.current_thread().name))
        return real_probe(path, **kwargs)

    monkeypatch.setattr(records.services, "probe", counting_probe)
    args = (
        ("--session-start", timezone.localtime(start).strftime("%Y-%m-%d %H:%M:%S")) if session_start else ()
    )
    error, out, _err = _ingest(folder, *args)
    assert error is None
    assert _summary(out) == (3, 1, 0, 0, 0)
    names = [name for name, _ in probes]
    assert sorted(names) == sorted(["clip_0.mp4", "clip_1.mp4", "clip_2.mp4", "已导入.mp4"])
    threads = dict(probes)
    if session_start:  # all probed up front by the clock check, none again
        assert set(threads.values()) == {threading.main_thread().name}
    else:  # the first by itself, every later one ahead, in the helper thread
        assert threads["clip_0.mp4"] == threading.main_thread().name
        assert all(threads[n].startswith("ingest-probe") for n in ("clip_1.mp4", "clip_2.mp4", "已导入.mp4"))
    versions = {v.original_name: v for v in RecordVersion.objects.all()}
    assert set(versions) == {"clip_0.mp4", "clip_1.mp4", "clip_2.mp4"}
    for n in range(3):
        version = versions[f"clip_{n}.mp4"]
        assert version.sha256 == _sha(clips[n])
        assert version.media["duration_seconds"] == pytest.approx(1 + n, abs=0.1)
        assert version.recorded_start == start + timedelta(seconds=2 * n)
    assert Event.objects.filter(kind="record.create").count() == 3
    assert Event.objects.filter(kind="record.duplicate").count() == 1
