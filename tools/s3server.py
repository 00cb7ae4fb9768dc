#!/usr/bin/env python3
"""A throw-away S3 server (moto) for the test suite and local trials.

    python tools/s3server.py [--port N]   run one in the foreground on 127.0.0.1 (a free port
                                          unless --port is given); prints its endpoint URL, then
                                          serves until Ctrl-C or SIGTERM

From Python:

    with running_server() as url:          # a child process, stopped on leaving the block
        store = S3BlobStore("bucket", endpoint_url=url, ...)

    server = start_server()                # or start/stop by hand; in_process=True runs it
    server.url                             # in a thread of this process instead
    server.stop()

The server keeps everything in memory (large objects spill to temporary files) and forgets it
when it stops. It accepts any access key. A child process is the default: its memory and its
work stay out of the process being measured or tested, and it exits by itself when the parent
goes away (it watches its stdin, a pipe from the parent).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

HOST = "127.0.0.1"
START_TIMEOUT = 60.0
_WATCH_FLAG = "--exit-with-parent"


@dataclass
class S3Server:
    url: str
    process: subprocess.Popen[str] | None = None
    _moto: Any = field(default=None, repr=False)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (safe to call more than once)."""
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        if process is not None:
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()


def _start_moto(port: int = 0, *, quiet: bool = True) -> tuple[Any, str]:
    if quiet:  # no line per request
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    moto.start()
    host, bound_port = moto.get_host_and_port()
    return moto, f"http://{host}:{bound_port}"


def start_server(*, in_process: bool = False, timeout: float = START_TIMEOUT) -> S3Server:
    """Start a server on 127.0.0.1 and a free port; returns once it answers."""
    if in_process:
        moto, url = _start_moto()
        return S3Server(url=url, _moto=moto)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), _WATCH_FLAG],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
        env=env,
        start_new_session=True,  # a Ctrl-C in the terminal is for the parent, which stops us
    )
    server = S3Server(url="", process=process)
    line = _read_line(process, timeout)
    if not line.startswith("http://"):
        server.stop()
        raise RuntimeError(f"S3 测试服务器（moto）未能启动：{line or '进程已退出'}")
    server.url = line
    return server


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        process.kill()
        reader.join(5)
        return f"{timeout:.0f} 秒内没有就绪"
    return result[0].strip() if result else ""


@contextlib.contextmanager
def running_server(*, in_process: bool = False) -> Iterator[str]:
    server = start_server(in_process=in_process)
    try:
        yield server.url
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="在 127.0.0.1 上运行一个临时的 S3 服务器（moto），打印其地址。"
    )
    parser.add_argument("--port", type=int, default=0, help="端口（默认自动选择空闲端口）")
    parser.add_argument(_WATCH_FLAG, action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if args.exit_with_parent:
        # Started by start_server(): stdin is a pipe from the parent; end of file means it is gone.
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()

    try:
        moto, url = _start_moto(args.port, quiet=args.exit_with_parent)
    except OSError as exc:
        print(f"无法启动 S3 服务器：{exc}", file=sys.stderr)
        return 1
    print(url, flush=True)
    if not args.exit_with_parent:
        print(
            f"S3 服务器（moto）已在 {url} 运行，任意访问密钥均可；按 Ctrl-C 停止。",
            file=sys.stderr,
            flush=True,
        )
    while not stop.wait(1.0):
        pass
    if args.exit_with_parent:
        return 0  # everything it held was in memory and is thrown away: no need to wait for it
    started = time.monotonic()
    moto.stop()
    print(f"S3 服务器已停止（{time.monotonic() - started:.1f} 秒）。", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
