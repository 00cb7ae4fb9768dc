#!/usr/bin/env python3
"""证据包核验程序（只用 Python 3 标准库，不联网）

在证据包（光盘）根目录运行：
    python3 data/tools/verify_package.py            # 核验本证据包
    python3 data/tools/verify_package.py 证据包目录   # 核验指定目录
    python3 data/tools/verify_package.py --key "<执法机关公布的验证密钥>"

核验内容：
    1. BagIt 清单：manifest-sha256.txt、manifest-sha512.txt 中每个文件都存在且哈希一致，
       data/ 下没有清单以外的文件；tagmanifest 中的标签文件也一致。
    2. 台账证明：data/proofs/ 中每份证明包的检查点签名和包含证明成立（verify_bundle.py），
       证明登记的 SHA-256 就是对应的文件；所有证明对应 data/checkpoint.txt 中的同一个检查点。
    3. data/files/ 与 data/documents/ 中每个文件都有台账证明。
退出码：0 核验通过；1 核验不通过；2 无法读取。
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # leave the package exactly as it was (a disc is read-only anyway)
sys.path.insert(0, HERE)

import verify_bundle  # noqa: E402  (the bundle verifier shipped next to this file)

ALGORITHMS = ("sha256", "sha512")


def _digest(path: str, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _manifest(root: str, name: str) -> dict[str, str]:
    entries = {}
    with open(os.path.join(root, name), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            digest, _, path = line.partition(" ")
            path = path.strip().replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
            entries[path] = digest.lower()
    return entries


def _payload(root: str) -> set[str]:
    found = set()
    for folder, _dirs, names in os.walk(os.path.join(root, "data")):
        for name in names:
            found.add(os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/"))
    return found


def check(root: str, expected_key: str | None = None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not os.path.isfile(os.path.join(root, "bagit.txt")):
        return [("fail", f"{root} 不是证据包目录（没有 bagit.txt）")]
    payload = _payload(root)
    for algorithm in ALGORITHMS:
        name = f"manifest-{algorithm}.txt"
        if not os.path.isfile(os.path.join(root, name)):
            out.append(("fail", f"缺少清单 {name}"))
            continue
        entries = _manifest(root, name)
        bad = 0
        for path, digest in sorted(entries.items()):
            full = os.path.join(root, path)
            if not os.path.isfile(full):
                out.append(("fail", f"{path}：文件缺失（{name}）"))
                bad += 1
            elif _digest(full, algorithm) != digest:
                out.append(("fail", f"{path}：{algorithm.upper()} 与清单不一致，文件已被改动"))
                bad += 1
        for extra in sorted(payload - set(entries)):
            out.append(("fail", f"{extra}：不在清单 {name} 中（多出的文件）"))
            bad += 1
        if not bad:
            out.append(("ok", f"{len(entries)} 个文件的 {algorithm.upper()} 与清单一致"))
        tag = f"tagmanifest-{algorithm}.txt"
        if os.path.isfile(os.path.join(root, tag)):
            for path, digest in _manifest(root, tag).items():
                full = os.path.join(root, path)
                if not os.path.isfile(full) or _digest(full, algorithm) != digest:
                    out.append(("fail", f"{path}：标签文件与 {tag} 不一致"))

    checkpoint_path = os.path.join(root, "data", "checkpoint.txt")
    checkpoint = None
    if os.path.isfile(checkpoint_path):
        with open(checkpoint_path, encoding="utf-8") as f:
            checkpoint = f.read()
    for group in ("files", "documents"):
        folder = os.path.join(root, "data", group)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            proof_path = os.path.join(root, "data", "proofs", group, name + ".json")
            shown = f"data/{group}/{name}"
            if not os.path.isfile(proof_path):
                out.append(("fail", f"{shown}：没有台账证明"))
                continue
            try:
                with open(proof_path, encoding="utf-8") as f:
                    bundle = json.load(f)
            except (OSError, ValueError) as exc:
                out.append(("fail", f"{shown}：台账证明无法读取（{exc}）"))
                continue
            if checkpoint is not None and bundle.get("checkpoint") != checkpoint:
                out.append(("fail", f"{shown}：台账证明的检查点与 data/checkpoint.txt 不同"))
                continue
            problems = verify_bundle.verify_bundle(bundle, os.path.join(folder, name), expected_key=expected_key)
            if problems:
                out.extend(("fail", f"{shown}：{p}") for p in problems)
            else:
                out.append(("ok", f"{shown}：台账证明成立，文件即登记的那一份"))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="核验证据包（BagIt 清单与台账证明），只用 Python 标准库。")
    parser.add_argument("root", nargs="?", default=os.path.dirname(os.path.dirname(HERE)), help="证据包根目录")
    parser.add_argument("--key", help="应当使用的验证密钥（执法机关公布的）")
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    try:
        report = check(args.root, args.key)
    except OSError as exc:
        print(f"无法读取证据包：{exc}")
        return 2
    for kind, line in report:
        print(("✔ " if kind == "ok" else "✘ ") + line if kind != "info" else line)
    failed = any(kind == "fail" for kind, _ in report)
    print("核验不通过。" if failed else "核验通过。")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
