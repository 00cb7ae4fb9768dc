#!/usr/bin/env python3
"""How the size of each write() call changes the file store's copy, against the standard-tool baseline.

    .venv/bin/python bench/write_size.py [--mib 2048] [--sizes 8192,65536,1048576,4194304] [--rounds 3]

Each round runs, on one file of incompressible bytes, in an order that rotates every round:
  baseline: tee >(openssl dgst -sha256 >/dev/null) < FILE > COPY && sync COPY
  put/N:    FileSystemBlobStore(write_size=N).put(FILE)   (read, SHA-256, write, fsync, link)
with a pause before each so that one run's write-back is not charged to the next. It prints the
median time of each and its ratio baseline/put (above 1: faster than the baseline). The store's
default (records.blobstore.WRITE_SIZE) is the size that did best on the machines we measured.
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
sys.path.insert(0, str(ROOT))

from ingest import baseline_command, make_file  # noqa: E402 (bench/ingest.py, beside this script)

from records.blobstore import WRITE_SIZE, FileSystemBlobStore  # noqa: E402


def timed(step) -> float:
    os.sync()
    time.sleep(PAUSE)
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def baseline(source: Path, copy: Path) -> None:
    subprocess.run(baseline_command(source, copy), check=True)


def put(source: Path, root: Path, write_size: int) -> None:
    FileSystemBlobStore(root, write_size=write_size).put(source)


def remove(path: Path) -> None:
    # Stored blobs are read-only files in writable folders: removing them needs no chmod.
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


PAUSE = 3.0


def main() -> None:
    global PAUSE
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mib", type=int, default=2048, help="file size in MiB")
    parser.add_argument(
        "--sizes", default=f"{WRITE_SIZE},65536,1048576,4194304", help="write() sizes in bytes"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pause", type=float, default=PAUSE, help="seconds of rest before each run")
    parser.add_argument(
        "--dir", default=str(ROOT / "data" / "bench"), help="work folder (on the disk being measured)"
    )
    args = parser.parse_args()
    PAUSE = args.pause
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="write-size-", dir=args.dir))
    try:
        source, copy, store = work / "source.bin", work / "copy.bin", work / "store"
        make_file(source, args.mib)
        names = ["baseline", *(f"put/{int(n)}" for n in args.sizes.split(","))]
        times: dict[str, list[float]] = {name: [] for name in names}
        for round_number in range(args.rounds):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                if name == "baseline":
                    times[name].append(timed(lambda: baseline(source, copy)))
                    remove(copy)
                else:
                    size = int(name.split("/")[1])
                    times[name].append(timed(lambda size=size: put(source, store, size)))
                    remove(store)
        base = statistics.median(times["baseline"])
        print(f"{'run':>14} {'median s':>9} {'MB/s':>6} {'ratio':>6}")
        for name in names:
            seconds = statistics.median(times[name])
            print(
                f"{name:>14} {seconds:>9.2f} {args.mib * 2**20 / 1e6 / seconds:>6.0f} {base / seconds:>6.2f}"
            )
    finally:
        remove(work)


if __name__ == "__main__":
    main()
