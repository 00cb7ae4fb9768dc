#!/usr/bin/env python3
"""Find Debian's Ghostscript, which converts 文书 to PDF/A-2b when a case file is sealed
(archive/pdfa.py), installing it when missing (as root). bin/setup runs it.

    python tools/ghostscript.py   # prints the executable and the sRGB ICC profile it uses
"""

import os
import shutil
import subprocess
import sys

PACKAGE = "ghostscript"
EXECUTABLE = "gs"
# The sRGB profile Debian's Ghostscript ships (package libgs-common); archive/pdfa.py embeds it
# as the PDF/A OutputIntent.
SRGB_PROFILE = "/usr/share/color/icc/ghostscript/srgb.icc"


def find() -> str | None:
    return shutil.which(EXECUTABLE)


def ensure() -> str:
    """The gs executable; installs Debian's `ghostscript` as root if it or its profile is missing."""
    if find() and os.path.isfile(SRGB_PROFILE):
        return find()
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError(f"需要 Debian 的 {PACKAGE} 软件包（sudo apt-get install {PACKAGE}），否则案卷归档时无法转换 PDF/A")
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "--no-install-recommends", PACKAGE]
    if subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    path = find()
    if not path or not os.path.isfile(SRGB_PROFILE):
        raise RuntimeError(f"{PACKAGE} 安装后仍找不到 {EXECUTABLE} 或 {SRGB_PROFILE}")
    return path


if __name__ == "__main__":
    try:
        print(ensure(), SRGB_PROFILE)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
