#!/usr/bin/env python3
"""Ingest throughput and memory, as a ratio against standard tools doing the same physical work.

    .venv/bin/python bench/ingest.py [--sizes 2048,200] [--rounds 3]

For each file size (MiB) it makes one file of incompressible bytes, then alternates, `rounds` times:
  baseline: tee >(openssl dgst -sha256 >/dev/null) < FILE > COPY && sync COPY   (read once, hash, durable copy)
  zhifa:    zhifa ingest DIR --device SERIAL                                     (a fresh data folder each time)
and reports median wall times and throughput, the median of the per-round throughput ratios
zhifa/baseline (the order alternates each round), and zhifa's peak resident memory.
Both read the same file from the page cache; both write and fsync a full copy to the same disk.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ZHIFA = ROOT / ".venv" / "bin" / "zhifa"
PYTHON = ROOT / ".venv" / "bin" / "python"

SETUP = """
from equipment.services import device_register
from org.services import agency_create, section_create
from stdnum.cn import uscc
code = "11210400MB0999999"
agency = agency_create(name="基准测试局", uscc=code + uscc.calc_check_digit(code), jurisdiction="测试", policy_pack="fushun-city")
section = section_create(agency=agency, name="测试大队")
device_register(agency=agency, section=section, kind="body_camera", serial="BENCH-1")
"""


def run_measured(cmd, env=None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child process. Dirty pages left by earlier runs are
    flushed first, so that one run's write-back is not charged to the next."""
    os.sync()
    started = time.perf_counter()
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{stderr}")
    return elapsed, usage.ru_maxrss


def baseline_command(source: Path, copy: Path) -> list[str]:
    """The yardstick: read once, hash with OpenSSL, write a durable copy."""
    return ["bash", "-c", f"tee >(openssl dgst -sha256 >/dev/null) < '{source}' > '{copy}' && sync '{copy}'"]


def baseline_once(source: Path, copy: Path) -> float:
    copy.unlink(missing_ok=True)
    seconds = run_measured(baseline_command(source, copy))[0]
    copy.unlink(missing_ok=True)
    return seconds


def make_file(path: Path, mib: int) -> None:
    block = os.urandom(8 * 2**20)
    with path.open("wb") as fh:
        for i in range(mib // 8):
            fh.write(block[i % 7 :] + block[: i % 7])  # differs per block; cheap to make
        fh.write(os.urandom((mib % 8) * 2**20))


def fresh_install(work: Path) -> dict:
    data = Path(tempfile.mkdtemp(prefix="data-", dir=work))
    env = os.environ | {"ZHIFA_DATA_DIR": str(data)}
    env.pop("DATABASE_URL", None)
    subprocess.run([ZHIFA, "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [
            PYTHON,
            "-c",
            "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','zhifa.settings');django.setup();"
            + SETUP.replace("\n", ";").strip(";"),
        ],
        env=env,
        check=True,
        cwd=ROOT,
    )
    return env


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="2048,200", help="file sizes in MiB, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--dir", default=str(ROOT / "data" / "bench"), help="work folder (on the disk being measured)"
    )
    args = parser.parse_args()
    work = Path(args.dir)
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"{'size':>8} {'baseline s':>11} {'zhifa s':>8} {'baseline MB/s':>14} {'zhifa MB/s':>11} {'ratio':>6} {'peak RSS MB':>12}"
    )
    try:
        for mib in (int(s) for s in args.sizes.split(",")):
            dock = work / f"dock-{mib}"
            dock.mkdir(exist_ok=True)
            source = dock / "clip.mp4"
            if not source.exists() or source.stat().st_size != mib * 2**20:
                make_file(source, mib)
            copy = work / "copy.bin"
            base_times, zhifa_times, peaks = [], [], []
            for round_number in range(args.rounds):
                env = fresh_install(work)
                # Alternate which goes first: this disk's speed drifts from one minute to the next.
                for step in ("base", "ours") if round_number % 2 == 0 else ("ours", "base"):
                    if step == "base":
                        base_times.append(baseline_once(source, copy))
                    else:
                        seconds, peak = run_measured(
                            [ZHIFA, "ingest", str(dock), "--device", "BENCH-1"], env=env
                        )
                        zhifa_times.append(seconds)
                        peaks.append(peak)
                shutil.rmtree(env["ZHIFA_DATA_DIR"], ignore_errors=True)
            b, z = statistics.median(base_times), statistics.median(zhifa_times)
            ratio = statistics.median(bt / zt for bt, zt in zip(base_times, zhifa_times, strict=True))
            mb = mib * 2**20 / 1e6
            print(
                f"{mib:>6}Mi {b:>11.2f} {z:>8.2f} {mb / b:>14.0f} {mb / z:>11.0f} {ratio:>6.2f} {max(peaks) / 1024:>12.0f}"
            )
            sys.stdout.flush()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
