"""An evidence package a court can check offline: a BagIt bag (RFC 8493, the Library of Congress
`bagit` package) with SHA-256 and SHA-512 manifests holding the files, the PDFs, each one's ledger
proof bundle, the signed checkpoint and the verifiers (Python standard library only), burned to an
ISO 9660 image with Joliet and UDF (pycdlib) whose volume label carries the package number.

Reusable: callers (access exports, archive case-file exports) give files and documents with their
proof bundles; this module knows nothing of requests or case files, and imports no app (it sits on
the ground floor, below both).
"""

import hashlib
import json
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import bagit
import pycdlib

ROOT = Path(__file__).resolve().parent.parent
VERIFY_BUNDLE = ROOT / "tools" / "verify_bundle.py"
VERIFY_PACKAGE = Path(__file__).resolve().parent / "verify_package.py"
MAX_NAME = 60  # Joliet allows 64 UCS-2 characters per name
_BAD = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f]')

README = """证据包 {label}
{title}

本光盘（证据包）按 BagIt 格式（RFC 8493）封装，内容如下：
  data/files/        证据文件或卷内文件（执法记录原件的复制件）
  data/documents/    证据复制说明、刻盘存储记录表，或案卷（PDF）及卷内文件清单
  data/proofs/       每个文件的台账证明包（JSON），证明该文件在何时登记于执法平台的防篡改台账
  data/checkpoint.txt  台账签名检查点（Ed25519 签名）
  data/tools/        核验程序（只用 Python 3 标准库，不联网，不需安装任何软件）
  manifest-sha256.txt、manifest-sha512.txt  每个文件的 SHA-256 和 SHA-512 哈希

核验方法（在本光盘根目录，即本说明所在目录的上一级运行）：

    python3 data/tools/verify_package.py

程序逐一核对：每个文件与清单中的 SHA-256、SHA-512 是否一致；每份台账证明的签名和包含证明是否
成立、证明所登记的哈希是否就是该文件；所有证明是否都对应同一个签名检查点。全部通过时显示
“核验通过”，退出码为 0；任何一个字节被改动，都会显示“核验不通过”并列出问题，退出码为 1。

验证密钥：{key}
请与执法机关公开发布的验证密钥核对；也可运行
    python3 data/tools/verify_package.py --key "<执法机关公布的验证密钥>"
"""


@dataclass(frozen=True)
class PackageItem:
    """A file to package: its bytes at `path`, its name in the package, and its ledger proof bundle
    (a zhifa-proof-bundle whose entry registers the file's SHA-256), or None."""

    path: Path
    name: str
    proof: dict | None = None


@dataclass(frozen=True)
class PackageResult:
    bag_path: Path
    iso_path: Path
    iso_sha256: str


def _safe_name(name: str, taken: set[str]) -> str:
    name = unicodedata.normalize("NFC", _BAD.sub("_", name.strip())) or "file"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = ext[:10]
    stem = stem[: MAX_NAME - len(ext) - 6] or "file"
    candidate = f"{stem}.{ext}" if ext else stem
    n = 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem}-{n}.{ext}" if ext else f"{stem}-{n}"
    taken.add(candidate.lower())
    return candidate


def volume_label(label: str) -> str:
    """ISO 9660 volume identifiers allow A-Z, 0-9 and _ (d-characters), 32 at most."""
    return re.sub(r"[^A-Z0-9_]", "_", label.upper())[:32] or "ZHIFA"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_items(folder: Path, proofs: Path, items: list[PackageItem]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    proofs.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    for item in items:
        name = _safe_name(item.name, taken)
        shutil.copyfile(item.path, folder / name)
        if item.proof is not None:
            (proofs / f"{name}.json").write_text(json.dumps(item.proof, ensure_ascii=False, indent=2) + "\n")


def package_build(
    *,
    label: str,
    files: list[PackageItem],
    documents: list[PackageItem],
    out_dir: Path,
    title: str = "",
    organization: str = "",
) -> PackageResult:
    """Write `out_dir/<label>/` (the bag) and `out_dir/<label>.iso`. Every item with a proof must
    share one checkpoint (the caller signs one checkpoint covering all events first). Raises
    ValueError for an empty package, a bag that already exists, or proofs on different checkpoints."""
    if not files and not documents:
        raise ValueError("证据包中没有文件。")
    out_dir = Path(out_dir)
    bag_dir = out_dir / label
    iso_path = out_dir / f"{label}.iso"
    if bag_dir.exists() or iso_path.exists():
        raise ValueError(f"{bag_dir} 已存在，请换一个导出目录。")
    proofs = [i.proof for i in [*files, *documents] if i.proof is not None]
    checkpoints = {p["checkpoint"] for p in proofs}
    if len(checkpoints) > 1:
        raise ValueError("证据包中的台账证明须基于同一个签名检查点。")
    bag_dir.mkdir(parents=True)
    _write_items(bag_dir / "files", bag_dir / "proofs" / "files", files)
    _write_items(bag_dir / "documents", bag_dir / "proofs" / "documents", documents)
    key = proofs[0]["verifier_key"] if proofs else ""
    if checkpoints:
        (bag_dir / "checkpoint.txt").write_text(next(iter(checkpoints)))
    tools = bag_dir / "tools"
    tools.mkdir()
    shutil.copyfile(VERIFY_BUNDLE, tools / "verify_bundle.py")
    shutil.copyfile(VERIFY_PACKAGE, tools / "verify_package.py")
    (bag_dir / "README.txt").write_text(README.format(label=label, title=title, key=key or "（无）"))
    info = {"External-Identifier": label, "External-Description": title or label}
    if organization:
        info["Source-Organization"] = organization
    bagit.make_bag(str(bag_dir), info, checksums=["sha256", "sha512"])
    _burn(bag_dir, iso_path, label)
    return PackageResult(bag_path=bag_dir, iso_path=iso_path, iso_sha256=_sha256(iso_path))


def _burn(bag_dir: Path, iso_path: Path, label: str) -> None:
    """ISO 9660 (level 3 names, generated), Joliet and UDF 2.60 (the real names)."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, vol_ident=volume_label(label), joliet=3, udf="2.60", app_ident_str="ZHIFA")
    counter = {"d": 0, "f": 0}

    def add(folder: Path, iso_parent: str, rel: str) -> None:
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            joliet = f"{rel}/{entry.name}"
            if entry.is_dir():
                counter["d"] += 1
                iso_dir = f"{iso_parent}/D{counter['d']:05d}"
                iso.add_directory(iso_dir, joliet_path=joliet, udf_path=joliet)
                add(entry, iso_dir, joliet)
            else:
                counter["f"] += 1
                iso.add_file(str(entry), f"{iso_parent}/F{counter['f']:05d}.;1", joliet_path=joliet, udf_path=joliet)

    add(bag_dir, "", "")
    try:
        iso.write(str(iso_path))
    finally:
        iso.close()


def iso_files(iso_path: Path) -> dict[str, str]:
    """Read an image back: {UDF path: SHA-256} for every file (what a test or an archivist checks)."""
    import io

    out: dict[str, str] = {}
    iso = pycdlib.PyCdlib()
    iso.open(str(iso_path))
    try:
        for parent, _dirs, names in iso.walk(udf_path="/"):
            for name in names:
                path = f"{parent.rstrip('/')}/{name}"
                buffer = io.BytesIO()
                iso.get_file_from_iso_fp(buffer, udf_path=path)
                out[path] = hashlib.sha256(buffer.getvalue()).hexdigest()
    finally:
        iso.close()
    return out
