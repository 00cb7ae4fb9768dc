#!/usr/bin/env python3
"""Ingest throughput and memory, as a ratio against standard tools doing the same physical work.

    .venv/bin/python bench/ingest.py [--sizes 2048,200] [--rounds 3]
    .venv/bin/python bench/ingest.py --dock 20 [--size 200] [--rounds 3]

For each file size (MiB) it makes one file of incompressible bytes, then alternates, `rounds` times:
  baseline: tee >(openssl dgst -sha256 >/dev/null) < FILE > COPY && sync COPY   (read once, hash, durable copy)
  zhifa:    zhifa ingest DIR --device SERIAL                                     (a fresh data folder each time)
and reports median wall times and throughput, the median of the per-round throughput ratios
zhifa/baseline (the order alternates each round), and zhifa's peak resident memory.
Both read the same file from the page cache; both write and fsync a full copy to the same disk.

`--dock N` measures a body-camera dock as docks are: one folder of N clips of `--size` MiB each,
real MP4 files (H.264 video, AAC audio) that the probe reads like a camera's, one `zhifa ingest`
of the whole folder against the baseline looped over the same files in one shell
(`for f in DIR/*; do tee >(openssl dgst -sha256 >/dev/null) < $f > COPY-$f && sync COPY-$f; done`).
The clips are made once and kept (see make_clip): a short GOP of noise encoded with x264 and AAC,
then its packets muxed again and again with advancing timestamps up to the size, so each file is
a genuine, seekable recording of about 1.5 minutes whose bytes do not compress; each clip has
its own noise and its own creation time (consecutive, like a camera splitting a session).
"""

import argparse
import math
import os
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
if not PYTHON.exists():  # a worktree without its own environment
    PYTHON = Path(sys.executable)
ZHIFA = PYTHON.parent / "zhifa"

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
    # PYTHONPATH: this checkout's code, also where the environment holds another one editable
    env = os.environ | {"ZHIFA_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)}
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


# --- a dock folder -------------------------------------------------------------------------------

CLIP_FPS, CLIP_GOP, CLIP_RATE, AAC_FRAME = 25, 48, 16000, 1024  # 48 frames = 1.92 s = 30 AAC frames


def make_clip(path: Path, mib: int, start: datetime, seed: int, width: int = 1280, height: int = 720) -> None:
    """A camera-like MP4 of at least `mib` MiB: one GOP (1.92 s) of noise encoded with x264
    (8 Mbit/s asked, about 17 reached on noise) and a tone in AAC, then the same packets muxed
    again with advancing timestamps until the size is reached. Every GOP starts with an IDR frame,
    so the result decodes and seeks anywhere; the index (moov) is at the end, as cameras write it."""
    import av

    noise = random.Random(seed).randbytes(width * height * 2)
    out = av.open(str(path), "w", format="mp4")
    out.metadata["creation_time"] = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    video = out.add_stream(
        "libx264",
        rate=CLIP_FPS,
        options={
            "preset": "ultrafast",
            "keyint": str(CLIP_GOP),
            "min-keyint": str(CLIP_GOP),
            "scenecut": "0",
        },
    )
    video.width, video.height, video.pix_fmt, video.bit_rate = width, height, "yuv420p", 8_000_000
    audio = out.add_stream("aac", rate=CLIP_RATE, layout="mono")
    audio.bit_rate = 32_000
    packets = []
    for i in range(CLIP_GOP):
        frame = av.VideoFrame(width, height, "yuv420p")
        for k, plane in enumerate(frame.planes):
            size = plane.line_size * plane.height
            offset = (i * 7919 + k * 104729) % (len(noise) - size)
            plane.update(noise[offset : offset + size])
        frame.pts = i
        packets += video.encode(frame)
    packets += video.encode(None)
    audio_frames = CLIP_GOP * CLIP_RATE // CLIP_FPS // AAC_FRAME
    samples = 0
    for _ in range(audio_frames):
        frame = av.AudioFrame(format="fltp", layout="mono", samples=AAC_FRAME)
        wave = (0.3 * math.sin(2 * math.pi * 440 * (samples + j) / CLIP_RATE) for j in range(AAC_FRAME))
        frame.planes[0].update(struct.pack(f"<{AAC_FRAME}f", *wave))
        frame.sample_rate, frame.pts = CLIP_RATE, samples
        samples += AAC_FRAME
        packets += audio.encode(frame)
    # exactly one period of audio (the encoder's flush adds one frame more): the repeats then join
    packets = [p for p in packets if p.stream is video] + [p for p in packets if p.stream is audio][
        :audio_frames
    ]
    period_bytes = sum(p.size for p in packets)
    template = [(p.stream, bytes(p), p.pts, p.dts, p.duration, p.is_keyframe, p.time_base) for p in packets]
    for repeat in range(math.ceil(mib * 2**20 / period_bytes)):
        for stream, data, pts, dts, duration, keyframe, time_base in template:
            period = (CLIP_GOP, CLIP_FPS) if stream is video else (audio_frames * AAC_FRAME, CLIP_RATE)
            shift = repeat * period[0] * time_base.denominator // (period[1] * time_base.numerator)
            packet = av.Packet(data)
            packet.stream, packet.time_base, packet.duration, packet.is_keyframe = (
                stream,
                time_base,
                duration,
                keyframe,
            )
            packet.pts, packet.dts = pts + shift, dts + shift
            out.mux(packet)
    out.close()


def make_dock(folder: Path, count: int, mib: int) -> list[Path]:
    """`count` clips in `folder`, made once (a hidden marker, which the ingest skips, says for what).
    Recorded a few hours ago, one after another, and copied to the dock now (the files' times)."""
    marker = folder / ".made"
    if marker.exists() and marker.read_text() == f"{count} {mib}":
        return sorted(folder.glob("*.mp4"))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    import av

    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    for number in range(1, count + 1):
        path = folder / f"BENCH-1_{start.astimezone(UTC):%Y%m%d%H%M%S}_{number:04d}.mp4"
        make_clip(path, mib, start, seed=number)
        with av.open(str(path)) as container:
            start += timedelta(seconds=container.duration / av.time_base)
        print(f"made {path.name} ({path.stat().st_size / 2**20:.0f} MiB)", file=sys.stderr)
    marker.write_text(f"{count} {mib}")
    return sorted(folder.glob("*.mp4"))


def baseline_dock_command(dock: Path, copies: Path) -> list[str]:
    """The yardstick looped over the folder in one shell: read once, hash, a durable copy each."""
    return [
        "bash",
        "-c",
        f"for f in '{dock}'/*.mp4; do c='{copies}'/$(basename \"$f\"); "
        'tee >(openssl dgst -sha256 >/dev/null) < "$f" > "$c" && sync "$c" || exit 1; done',
    ]


def dock_main(args, work: Path) -> None:
    dock = work / f"dock-{args.dock}x{args.size}"
    clips = make_dock(dock, args.dock, args.size)
    total = sum(c.stat().st_size for c in clips)
    copies = work / "copies"
    base_times, zhifa_times, peaks, loads = [], [], [], []
    for round_number in range(args.rounds):
        env = fresh_install(work)
        for step in ("base", "ours") if round_number % 2 == 0 else ("ours", "base"):
            loads.append(os.getloadavg()[0])
            if step == "base":
                shutil.rmtree(copies, ignore_errors=True)
                copies.mkdir()
                base_times.append(run_measured(baseline_dock_command(dock, copies))[0])
                shutil.rmtree(copies, ignore_errors=True)
            else:
                seconds, peak = run_measured([ZHIFA, "ingest", str(dock), "--device", "BENCH-1"], env=env)
                zhifa_times.append(seconds)
                peaks.append(peak)
        shutil.rmtree(env["ZHIFA_DATA_DIR"], ignore_errors=True)
        print(
            f"round {round_number + 1}: baseline {base_times[-1]:.2f} s, zhifa {zhifa_times[-1]:.2f} s, "
            f"ratio {base_times[-1] / zhifa_times[-1]:.2f}",
            file=sys.stderr,
        )
    b, z = statistics.median(base_times), statistics.median(zhifa_times)
    ratio = statistics.median(bt / zt for bt, zt in zip(base_times, zhifa_times, strict=True))
    mb = total / 1e6
    print(
        f"{'dock':>14} {'baseline s':>11} {'zhifa s':>8} {'baseline MB/s':>14} {'zhifa MB/s':>11} {'ratio':>6} {'peak RSS MB':>12} {'load avg':>10}"
    )
    print(
        f"{len(clips):>3} x {total / len(clips) / 2**20:>4.0f} MiB {b:>11.2f} {z:>8.2f} {mb / b:>14.0f} {mb / z:>11.0f} "
        f"{ratio:>6.2f} {max(peaks) / 1024:>12.0f} {min(loads):>4.1f}–{max(loads):<4.1f}"
    )
    print(
        "rounds (baseline/zhifa): "
        + ", ".join(f"{bt / zt:.2f}" for bt, zt in zip(base_times, zhifa_times, strict=True))
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="2048,200", help="file sizes in MiB, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dock", type=int, default=0, help="a dock folder of this many clips (see above)")
    parser.add_argument("--size", type=int, default=200, help="MiB per clip with --dock")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (the dock's clips)")
    parser.add_argument(
        "--dir", default=str(ROOT / "data" / "bench"), help="work folder (on the disk being measured)"
    )
    args = parser.parse_args()
    work = Path(args.dir)
    work.mkdir(parents=True, exist_ok=True)
    if args.dock:
        try:
            dock_main(args, work)
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
        return
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
