#!/usr/bin/env python3
"""Find Debian's headless Chromium for browser tests, installing it when missing (as root).

Playwright drives it through `executable_path`; it never downloads a browser of its own.
    python tools/chromium.py          # prints the path
    python tools/chromium.py --fonts  # only the CJK fonts (fonts-noto-cjk) 文书 PDFs embed; bin/setup runs it
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


# The font 文书 PDFs embed (matters/rendering.py FONT_CANDIDATES looks in the same place).
CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"


def apt_install(*packages: str) -> None:
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    if subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)


def ensure_fonts() -> str:
    """The CJK font file; installs Debian's `fonts-noto-cjk` as root if missing."""
    if not os.path.isfile(CJK_FONT):
        if os.geteuid() != 0:
            raise RuntimeError("需要 Debian 的 fonts-noto-cjk 字体（sudo apt-get install fonts-noto-cjk），否则无法生成 PDF 文书")
        apt_install("fonts-noto-cjk")
    if not os.path.isfile(CJK_FONT):
        raise RuntimeError(f"fonts-noto-cjk 安装后仍找不到 {CJK_FONT}")
    return CJK_FONT


def ensure() -> str:
    """The Chromium executable; installs Debian's `chromium` and `fonts-noto-cjk` as root if missing."""
    path = find()
    if path:
        return path
    if os.geteuid() != 0:
        raise RuntimeError("需要 Debian 的 chromium 软件包（sudo apt-get install chromium fonts-noto-cjk）")
    apt_install("chromium", "fonts-noto-cjk")
    path = find()
    if not path:
        raise RuntimeError("chromium 安装后仍找不到可执行文件")
    return path


if __name__ == "__main__":
    try:
        print(ensure_fonts() if sys.argv[1:] == ["--fonts"] else ensure())
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
