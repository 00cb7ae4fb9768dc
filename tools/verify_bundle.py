#!/usr/bin/env python3
"""执法记录台账 · 证明核验工具

用途
    核验执法平台导出的“证明包”（JSON 文件），离线确认某一条执法记录确实登记在平台的
    防篡改台账中，且登记后未被改动。本程序只用 Python 3（3.8 及以上）标准库，不联网，不需要安装任何软件包。

运行
    python3 verify_bundle.py 证明包.json
    python3 verify_bundle.py 证明包.json --file 证据文件.pdf     # 同时核对文件是否就是登记的那一份
    python3 verify_bundle.py 证明包.json --key "<验证密钥>"      # 指定应当使用的验证密钥
    python3 verify_bundle.py 证明包.json --witness "<见证方公钥>" # 要求该见证方已副署检查点

    退出码：0 证明有效；1 证明无效；2 无法读取输入。

核验内容
    1. 检查点签名：检查点（台账在某一时刻的记录总数与根哈希）由平台的 Ed25519 私钥签名
       （C2SP signed-note / tlog-checkpoint 格式），用证明包中的验证密钥核验签名。
       验证密钥应与执法机关公开发布的密钥一致，请自行核对，或用 --key 指定。
    2. 包含证明：记录原文的哈希 SHA-256(0x00 || 原文) 经包含证明计算，得到检查点中的根哈希
       （RFC 9162 Merkle 树）。记录原文或其序号有任何改动，都无法得到同一根哈希。
    3. 一致性证明（如有）：较早的检查点与当前检查点一致，即台账在此期间只追加、未改写。
    4. 文件（使用 --file 时）：文件的 SHA-256 等于记录原文中登记的 sha256 值。
    5. 见证方副署（使用 --witness 时）：其他单位运行的见证方已副署该检查点（c2sp.org/tlog-cosignature），
       即见证方确认它所见到的台账只有追加、没有回退或分叉。

程序也可作为模块导入：verify_bundle(bundle: dict, file_path=None) 返回问题列表，列表为空即证明有效。
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime
import hashlib
import json
import re
import sys

FORMAT = "zhifa-proof-bundle/1"
MAX_PROOF = 64
MAX_TREE_SIZE = (1 << 63) - 1

# --- Ed25519 signature verification (RFC 8032 §5.1), Python integers only ---

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _add(p, q):
    """Point addition in extended coordinates (RFC 8032 §5.1.4); also used for doubling."""
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % _P
    b = (y1 + x1) * (y2 + x2) % _P
    c = 2 * _D * t1 * t2 % _P
    d = 2 * z1 * z2 % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _mul(s, p):
    q = (0, 1, 1, 0)  # neutral element
    while s:
        if s & 1:
            q = _add(q, p)
        p = _add(p, p)
        s >>= 1
    return q


def _decode_point(data):
    """Point decoding (RFC 8032 §5.1.3); None when the 32 bytes are not a valid point."""
    n = int.from_bytes(data, "little")
    y, sign = n & ((1 << 255) - 1), n >> 255
    if y >= _P:
        return None
    u, v = (y * y - 1) % _P, (_D * y * y + 1) % _P
    x = u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P) % _P
    if v * x * x % _P == (-u) % _P:
        x = x * _SQRT_M1 % _P
    if v * x * x % _P != u:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = _P - x
    return (x, y, 1, x * y % _P)


_B = _decode_point((4 * pow(5, _P - 2, _P) % _P).to_bytes(32, "little"))  # base point, y = 4/5


def _same_point(p, q):
    return (p[0] * q[2] - q[0] * p[2]) % _P == 0 and (p[1] * q[2] - q[1] * p[2]) % _P == 0


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """RFC 8032 §5.1.7: check [S]B = R + [k]A, rejecting S >= L and invalid point encodings."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a, r = _decode_point(public_key), _decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % _L
    return _same_point(_mul(s, _B), _add(r, _mul(k, a)))


# --- Merkle tree (RFC 9162 §2.1) ---


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list, root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list) -> bool:
    """RFC 9162 §2.1.4.2; equal sizes and the empty old tree take an empty proof."""
    if not 0 <= old_size <= new_size:
        return False
    empty = hashlib.sha256(b"").digest()
    if old_size == new_size:
        return not proof and old_root == new_root and (old_size > 0 or old_root == empty)
    if old_size == 0:
        return not proof and old_root == empty
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


# --- Signed notes and checkpoints (c2sp.org/signed-note, c2sp.org/tlog-checkpoint) ---


class Invalid(ValueError):
    """Something in the bundle does not hold; the message says what, in Chinese."""


def _b64(text, what: str) -> bytes:
    """Strict, canonical standard base64."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
        if base64.b64encode(data).decode() == text:
            return data
    except (AttributeError, binascii.Error, UnicodeEncodeError, ValueError):
        pass
    raise Invalid(f"{what}不是有效的 Base64 编码")


def _valid_name(name: str) -> bool:
    return (
        bool(name) and "+" not in name and not any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in name)
    )


def parse_verifier_key(vkey, alg: int = 1, what: str = "验证密钥") -> tuple[str, bytes, bytes]:
    """`<name>+<key ID>+<base64(alg || public key)>` → (name, key ID, public key). Algorithm 0x01 is
    a log's Ed25519 key, 0x04 a witness's Ed25519 cosignature key (c2sp.org/tlog-cosignature)."""
    parts = vkey.split("+", 2) if isinstance(vkey, str) else []
    if len(parts) != 3 or not _valid_name(parts[0]) or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise Invalid(f"{what}格式错误")
    data = _b64(parts[2], what)
    if len(data) != 33 or data[0] != alg:
        raise Invalid(f"{what}不是 Ed25519 {'密钥' if alg == 1 else '副署密钥'}")
    kid = hashlib.sha256(parts[0].encode() + b"\n" + data).digest()[:4]
    if kid.hex() != parts[1]:
        raise Invalid(f"{what}的密钥标识与公钥不符")
    return parts[0], kid, data[1:]


def check_cosignature(note: str, text: str, vkey: str) -> tuple[str, int]:
    """A witness's cosignature of the checkpoint `text` in `note`: (witness name, POSIX time)."""
    name, kid, public = parse_verifier_key(vkey, 4, "见证方公钥")
    for line in note[len(text) + 1 : -1].split("\n"):
        signer, _, sig64 = line[2:].partition(" ")
        if signer != name:
            continue
        blob = _b64(sig64, "副署")
        if len(blob) != 4 + 8 + 64 or blob[:4] != kid:
            continue
        timestamp = int.from_bytes(blob[4:12], "big")
        message = f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()
        if not ed25519_verify(public, message, blob[12:]):
            raise Invalid(f"见证方 {name} 的副署与检查点不符：检查点或副署已被改动")
        return name, timestamp
    raise Invalid(f"检查点没有见证方 {name} 的副署")


def open_note(note, vkey: str) -> str:
    """Verify a signed note with the verifier key; return its text."""
    name, kid, public = parse_verifier_key(vkey)
    if not isinstance(note, str):
        raise Invalid("签名文本必须是字符串")
    try:
        raw = note.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid("签名文本不是有效的 UTF-8") from None
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise Invalid("签名文本含有不允许的控制字符")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n") or split + 2 == len(note):
        raise Invalid("签名文本格式错误：缺少签名")
    text, lines = note[: split + 1], note[split + 2 : -1].split("\n")
    if len(lines) > 100 or len(raw) > 1 << 20:
        raise Invalid("签名文本过大")
    verified = 0
    for line in lines:
        signer, _, sig64 = line[2:].partition(" ")
        if not line.startswith("— ") or not _valid_name(signer) or not sig64:
            raise Invalid("签名文本格式错误：签名行无法解析")
        blob = _b64(sig64, "签名")
        if len(blob) < 5:
            raise Invalid("签名文本格式错误：签名过短")
        if signer != name or blob[:4] != kid:
            continue  # another key's signature (for example a witness): ignored
        if not ed25519_verify(public, text.encode(), blob[4:]):
            raise Invalid("签名无效：签名与内容不符，内容或签名已被改动")
        verified += 1
    if not verified:
        raise Invalid(f"没有验证密钥 {name} 的签名")
    return text


def parse_checkpoint(text: str) -> tuple[str, int, bytes]:
    """Checkpoint note text → (origin, tree size, root hash)."""
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not all(lines):
        raise Invalid("检查点格式错误")
    if not re.fullmatch(r"0|[1-9][0-9]*", lines[1]) or int(lines[1]) > MAX_TREE_SIZE:
        raise Invalid("检查点格式错误：树大小无效")
    root = _b64(lines[2], "检查点根哈希")
    if len(root) != 32:
        raise Invalid("检查点格式错误：根哈希长度不是 32 字节")
    return lines[0], int(lines[1]), root


def _hashes(value, what: str) -> list:
    if not isinstance(value, list) or len(value) > MAX_PROOF:
        raise Invalid(f"{what}格式错误")
    hashes = [_b64(item, what) for item in value]
    if any(len(item) != 32 for item in hashes):
        raise Invalid(f"{what}中有长度不是 32 字节的哈希")
    return hashes


# --- The bundle ---


def _signed_checkpoint(note, vkey: str, what: str) -> tuple[str, int, bytes]:
    try:
        return parse_checkpoint(open_note(note, vkey))
    except Invalid as exc:
        raise Invalid(f"{what}未通过核验：{exc}") from None


def check_bundle(bundle, file_path=None, expected_key=None, witness_keys=()) -> list[tuple[str, str]]:
    """The report: (kind, line) with kind "ok", "fail" or "info"."""
    out: list[tuple[str, str]] = []

    def fail(message: str) -> list[tuple[str, str]]:
        out.append(("fail", message))
        return out

    if not isinstance(bundle, dict):
        return fail("证明包不是 JSON 对象")
    if bundle.get("format") != FORMAT:
        return fail(f"不支持的证明包格式：{bundle.get('format')!r}（应为 {FORMAT}）")
    vkey = bundle.get("verifier_key")
    try:
        name, _, _ = parse_verifier_key(vkey)
    except Invalid as exc:
        return fail(str(exc))
    items = bundle.get("consistency", [])
    checks = ["检查点签名", "记录包含证明"]
    if isinstance(items, list) and items:
        checks.append(f"与 {len(items)} 个较早检查点的一致性")
    if file_path is not None:
        checks.append("文件 SHA-256")
    out.append(("info", f"核验项目：{'、'.join(checks)}"))
    out.append(("info", f"验证密钥：{vkey}"))
    if expected_key is not None:
        if expected_key.strip() != vkey:
            return fail("证明包中的验证密钥与指定的验证密钥不同")
        out.append(("ok", "验证密钥与指定的密钥一致"))
    else:
        out.append(("info", "  （请与执法机关公开发布的验证密钥核对，一致时本核验才有意义）"))

    # 1. The checkpoint.
    try:
        origin, size, root = _signed_checkpoint(bundle.get("checkpoint"), vkey, "检查点签名")
    except Invalid as exc:
        return fail(f"{exc}；其余项目无法核验")
    out.append(
        ("ok", f"检查点签名有效（签名者 {name}）：台账 {origin} 共 {size} 条记录，根哈希 {root.hex()}")
    )
    note = bundle["checkpoint"]
    for witness_key in witness_keys:
        try:
            witness, timestamp = check_cosignature(note, note[: note.rfind("\n\n") + 1], witness_key)
        except Invalid as exc:
            fail(str(exc))
            continue
        try:
            utc = datetime.timezone.utc  # noqa: UP017 (datetime.UTC needs Python 3.11; this tool runs on 3.8)
            when = f"{datetime.datetime.fromtimestamp(timestamp, utc):%Y-%m-%d %H:%M:%S} UTC"
        except (OverflowError, OSError, ValueError):
            when = f"时间戳 {timestamp}"
        out.append(("ok", f"见证方 {witness} 已副署该检查点（{when}）：它见到的台账只有追加"))

    # 2. The record and its inclusion proof.
    leaf = bundle.get("leaf")
    index = leaf.get("index") if isinstance(leaf, dict) else None
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        return fail("记录序号缺失或无效")
    try:
        entry = _b64(leaf.get("entry"), "记录原文")
        proof = _hashes(bundle.get("inclusion_proof"), "包含证明")
    except Invalid as exc:
        return fail(str(exc))
    try:
        fields = json.loads(entry.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        fields = None
    if not isinstance(fields, dict):
        fields = {}
    shown = entry.decode("utf-8", errors="replace")
    out.append(("info", f"记录原文：{shown[:300]}{'……' if len(shown) > 300 else ''}"))
    if index >= size:
        fail(f"记录序号 {index} 超出检查点的范围（共 {size} 条记录）")
    elif verify_inclusion(leaf_hash(entry), index, size, proof, root):
        out.append(("ok", f"第 {index} 号记录包含在该检查点中（包含证明 {len(proof)} 个哈希）"))
    else:
        fail(f"第 {index} 号记录的包含证明不成立：记录原文、序号或证明已被改动")
    if "index" in fields and fields["index"] != index:
        fail(f"记录原文中的序号（{fields['index']}）与证明包中的序号（{index}）不一致")

    # 3. Consistency with earlier checkpoints.
    if not isinstance(items, list):
        fail("一致性证明格式错误")
        items = []
    for n, item in enumerate(items, 1):
        what = f"第 {n} 个较早检查点"
        try:
            if not isinstance(item, dict):
                raise Invalid(f"{what}格式错误")
            old_origin, old_size, old_root = _signed_checkpoint(
                item.get("old_checkpoint"), vkey, f"{what}的签名"
            )
            old_proof = _hashes(item.get("proof"), f"{what}的一致性证明")
        except Invalid as exc:
            fail(str(exc))
            continue
        if old_origin != origin:
            fail(f"{what}来自另一台账（{old_origin}）")
        elif verify_consistency(old_size, size, old_root, root, old_proof):
            out.append(("ok", f"与较早的检查点（{old_size} 条记录）一致：其间台账只有追加，没有改写"))
        else:
            fail(f"与较早的检查点（{old_size} 条记录）不一致：一致性证明不成立，台账可能被改写")

    # 4. The file.
    blob_hash = fields.get("sha256")
    if file_path is not None:
        try:
            sha = hashlib.sha256()
            with open(file_path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    sha.update(chunk)
            digest = sha.hexdigest()
        except OSError as exc:
            return fail(f"无法读取文件 {file_path}：{exc.strerror or exc}")
        if not isinstance(blob_hash, str):
            fail("该记录没有登记文件哈希（记录原文中无 sha256 字段），无法核对所给文件")
        elif digest == blob_hash.lower():
            out.append(("ok", f"文件 {file_path} 的 SHA-256 与记录一致：{digest}"))
        else:
            fail(
                f"文件 {file_path} 的 SHA-256（{digest}）与记录登记的（{blob_hash}）不一致：不是登记时的那份文件"
            )
    elif isinstance(blob_hash, str):
        out.append(("info", f"记录登记的文件 SHA-256：{blob_hash}（可用 --file 核对文件）"))
    return out


def verify_bundle(bundle: dict, file_path=None, *, expected_key=None, witness_keys=()) -> list[str]:
    """The problems found; an empty list means the proof holds."""
    report = check_bundle(bundle, file_path, expected_key, witness_keys)
    return [line for kind, line in report if kind == "fail"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="核验执法记录台账的证明包（离线，仅用 Python 标准库）。")
    parser.add_argument("bundle", help="证明包 JSON 文件")
    parser.add_argument("--file", help="要核对的文件（记录中登记了 sha256 时）")
    parser.add_argument("--key", help="应当使用的验证密钥（执法机关公布的）")
    parser.add_argument(
        "--witness", action="append", default=[], help="要求该见证方已副署检查点：见证方公布的公钥（可重复）"
    )
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    try:
        with open(args.bundle, encoding="utf-8") as f:
            bundle = json.load(f)
        if not isinstance(bundle, dict):
            raise ValueError("不是 JSON 对象")
        if args.file is not None:
            with open(args.file, "rb"):
                pass
    except (OSError, ValueError) as exc:
        print(f"无法读取输入：{exc}")
        return 2
    try:
        "✔✘".encode(sys.stdout.encoding or "utf-8")
        marks = {"ok": "✔ ", "fail": "✘ ", "info": ""}
    except (UnicodeEncodeError, LookupError):
        marks = {"ok": "√ ", "fail": "× ", "info": ""}
    report = check_bundle(bundle, args.file, args.key, args.witness)
    print(f"执法记录台账证明核验：{args.bundle}")
    for kind, line in report:
        print(marks[kind] + line)
    valid = not any(kind == "fail" for kind, _ in report)
    print("结论：证明有效" if valid else "结论：证明无效")
    return 0 if valid else 1


if __name__ == "__main__":
    sys.exit(main())
