#!/usr/bin/env python3
"""Find Debian's headless Chromium for browser tests, installing it when missing (as root).

Playwright drives it through `executable_path`; it never downloads a browser of its own.
    python tools/chromium.py      # prints the path
"""

import os
import shutil
import subprocess
import sys

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# Flags for a closed network: no background traffic, no component updates (see the env notes).
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find() -> str | None:
    for path in CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium")


def ensure() -> str:
    """The Chromium executable; installs Debian's `chromium` and `fonts-noto-cjk` as root if missing."""
    path = find()
    if path:
        return path
    if os.geteuid() != 0:
        raise RuntimeError("需要 Debian 的 chromium 软件包（sudo apt-get install chromium fonts-noto-cjk）")
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "fonts-noto-cjk"]
    if subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    path = find()
    if not path:
        raise RuntimeError("chromium 安装后仍找不到可执行文件")
    return path


if __name__ == "__main__":
    try:
        print(ensure())
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
