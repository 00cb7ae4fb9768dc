"""Signed notes (c2sp.org/signed-note) with Ed25519 keys, and checkpoints (c2sp.org/tlog-checkpoint).

Key strings follow golang.org/x/mod/sumdb/note:
    verifier  <name>+<key ID, 8 hex>+<base64(0x01 || 32-byte public key)>
    signer    PRIVATE+KEY+<name>+<key ID, 8 hex>+<base64(0x01 || 32-byte seed)>
key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4].
A note is its text (ending in a newline), a blank line, then lines `— <name> <base64(key ID || signature)>`.
"""

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import sha256

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG_ED25519 = 1
SIGNER_PREFIX = "PRIVATE+KEY+"
SIG_PREFIX = "— "  # em dash U+2014, space
MAX_SIGNATURES = 100
MAX_NOTE_BYTES = 1 << 20
MAX_TREE_SIZE = (1 << 63) - 1
_HEX8 = re.compile(r"[0-9a-f]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class NoteError(ValueError):
    """A note, key or checkpoint that is malformed or does not verify (message in Chinese)."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Key:
    name: str
    key_id: bytes
    key: bytes  # public key (verifier) or seed (signer)


def _valid_name(name: str) -> bool:
    return (
        bool(name) and "+" not in name and not any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in name)
    )


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID of an Ed25519 key."""
    return sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


def _b64decode(text: str) -> bytes:
    """Strict standard base64 (padding required, canonical)."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise NoteError("Base64 编码无效") from None
    if base64.b64encode(data).decode() != text:
        raise NoteError("Base64 编码不规范")
    return data


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _parse_key(text: str, what: str) -> _Key:
    parts = text.split("+", 2)
    if len(parts) != 3 or not _valid_name(parts[0]) or not _HEX8.fullmatch(parts[1]):
        raise NoteError(f"{what}格式错误")
    try:
        data = _b64decode(parts[2])
    except NoteError:
        raise NoteError(f"{what}格式错误：密钥数据不是有效的 Base64") from None
    if len(data) != 33 or data[0] != ALG_ED25519:
        raise NoteError(f"{what}格式错误：不是 Ed25519 密钥")
    return _Key(parts[0], bytes.fromhex(parts[1]), data[1:])


def _verifier(vkey: str) -> _Key:
    if not isinstance(vkey, str):
        raise NoteError("验证密钥格式错误")
    parsed = _parse_key(vkey, "验证密钥")
    if key_id(parsed.name, parsed.key) != parsed.key_id:
        raise NoteError("验证密钥的密钥标识与公钥不符")
    return parsed


def _signer(skey: str) -> tuple[_Key, Ed25519PrivateKey]:
    if not isinstance(skey, str) or not skey.startswith(SIGNER_PREFIX):
        raise NoteError("签名私钥格式错误")
    parsed = _parse_key(skey[len(SIGNER_PREFIX) :], "签名私钥")
    private = Ed25519PrivateKey.from_private_bytes(parsed.key)
    if key_id(parsed.name, private.public_key().public_bytes_raw()) != parsed.key_id:
        raise NoteError("签名私钥的密钥标识与公钥不符")
    return parsed, private


def _keys(name: str, seed: bytes) -> tuple[str, str]:
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    kid = key_id(name, public).hex()
    alg = bytes([ALG_ED25519])
    return f"{SIGNER_PREFIX}{name}+{kid}+{_b64(alg + seed)}", f"{name}+{kid}+{_b64(alg + public)}"


def generate_signer(name: str) -> tuple[str, str]:
    """A new Ed25519 key named `name`: (signer key string, verifier key string)."""
    if not isinstance(name, str) or not _valid_name(name):
        raise NoteError("密钥名称不能为空，且不能包含空白字符或“+”")
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    return _keys(name, seed)


def verifier_for(signer_key: str) -> str:
    """The verifier key string that goes with a signer key string."""
    parsed, _ = _signer(signer_key)
    return _keys(parsed.name, parsed.key)[1]


def _check_text(text: str, what: str) -> None:
    if not isinstance(text, str):
        raise NoteError(f"{what}必须是文本")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise NoteError(f"{what}不是有效的 UTF-8 文本") from None
    if size > MAX_NOTE_BYTES:
        raise NoteError(f"{what}过大")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError(f"{what}含有不允许的控制字符")


def sign_note(text: str, signer_key: str, *more_signer_keys: str) -> str:
    """Sign `text` (which must end with a newline) with one or more keys."""
    _check_text(text, "待签名文本")
    if not text.endswith("\n"):
        raise NoteError("待签名文本必须以换行符结尾")
    lines = []
    for skey in (signer_key, *more_signer_keys):
        parsed, private = _signer(skey)
        signature = private.sign(text.encode())
        lines.append(f"{SIG_PREFIX}{parsed.name} {_b64(parsed.key_id + signature)}\n")
    return text + "\n" + "".join(lines)


def open_note(note: str, verifier_key: str) -> str:
    """Verify `note` with `verifier_key` and return its text. Signatures by other keys are
    ignored; every signature by this key must verify, and there must be at least one."""
    vkey = _verifier(verifier_key)
    try:
        public = Ed25519PublicKey.from_public_bytes(vkey.key)
    except ValueError:
        raise NoteError("验证密钥无效") from None
    _check_text(note, "签名文本")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("签名文本格式错误：缺少正文与签名之间的空行")
    text, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise NoteError("签名文本格式错误：没有签名行")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("签名文本格式错误：签名行过多")
    verified = 0
    for line in lines:
        name, _, b64 = line.removeprefix(SIG_PREFIX).partition(" ")
        if not line.startswith(SIG_PREFIX) or not _valid_name(name) or not b64:
            raise NoteError("签名文本格式错误：签名行无法解析")
        try:
            blob = _b64decode(b64)
        except NoteError:
            raise NoteError("签名文本格式错误：签名不是有效的 Base64") from None
        if len(blob) < 5:
            raise NoteError("签名文本格式错误：签名过短")
        if name != vkey.name or blob[:4] != vkey.key_id:
            continue  # another key's signature: ignored (c2sp.org/signed-note)
        try:
            public.verify(blob[4:], text.encode())
        except InvalidSignature:
            raise NoteError(f"签名无效：{name} 的签名与正文不符（正文或签名已被改动）") from None
        verified += 1
    if not verified:
        raise NoteError(f"没有验证密钥 {vkey.name} 的签名")
    return text


def checkpoint_text(origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
    """The note text of a checkpoint: origin, decimal tree size, base64 root hash, extension lines."""
    if not isinstance(origin, str) or not origin:
        raise NoteError("检查点来源不能为空")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_TREE_SIZE:
        raise NoteError("检查点树大小无效")
    if not isinstance(root, bytes) or len(root) != 32:
        raise NoteError("检查点根哈希必须是 32 字节")
    if isinstance(extensions, str):
        raise NoteError("检查点扩展行必须是文本行的列表")
    lines = [origin, str(size), _b64(root), *extensions]
    if any(not isinstance(line, str) or not line or "\n" in line for line in lines):
        raise NoteError("检查点各行不能为空，也不能包含换行")
    text = "\n".join(lines) + "\n"
    _check_text(text, "检查点")
    return text


def parse_checkpoint(text: str, origin: str | None = None) -> Checkpoint:
    """Parse checkpoint note text strictly; with `origin`, also require that origin."""
    _check_text(text, "检查点")
    if not text.endswith("\n"):
        raise NoteError("检查点格式错误：必须以换行符结尾")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("检查点格式错误：至少需要来源、树大小、根哈希三行")
    if any(not line for line in lines):
        raise NoteError("检查点格式错误：含有空行")
    if origin is not None and lines[0] != origin:
        raise NoteError(f"检查点来源不符：应为 {origin}，实为 {lines[0]}")
    if not _DECIMAL.fullmatch(lines[1]) or int(lines[1]) > MAX_TREE_SIZE:
        raise NoteError("检查点格式错误：树大小必须是不带前导零的十进制数")
    try:
        root = _b64decode(lines[2])
    except NoteError:
        raise NoteError("检查点格式错误：根哈希不是有效的 Base64") from None
    if len(root) != 32:
        raise NoteError("检查点格式错误：根哈希必须是 32 字节")
    return Checkpoint(lines[0], int(lines[1]), root, tuple(lines[3:]))


# --- cosignatures (c2sp.org/tlog-cosignature, Ed25519) ---------------------------------------------
#
# A witness's cosignature is a note signature on a checkpoint. Its key ID uses algorithm byte 0x04,
# and it signs "cosignature/v1\ntime <T>\n" followed by the checkpoint text; the signature is the
# big-endian u64 timestamp followed by the 64-byte Ed25519 signature.

ALG_COSIGNATURE_V1 = 4
MAX_TIMESTAMP = (1 << 63) - 1


@dataclass(frozen=True)
class Cosigned:
    """A verified cosignature: the witness's name, the time it signed and its signature line."""

    name: str
    timestamp: int
    line: str


def _cosigner_key_id(name: str, public_key: bytes) -> bytes:
    return sha256(name.encode() + b"\n" + bytes([ALG_COSIGNATURE_V1]) + public_key).digest()[:4]


def _cosigner_keys(name: str, seed: bytes) -> tuple[str, str]:
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    kid = _cosigner_key_id(name, public).hex()
    alg = bytes([ALG_COSIGNATURE_V1])
    return f"{SIGNER_PREFIX}{name}+{kid}+{_b64(alg + seed)}", f"{name}+{kid}+{_b64(alg + public)}"


def _parse_cosigner(text: str, what: str) -> _Key:
    parts = text.split("+", 2)
    if len(parts) != 3 or not _valid_name(parts[0]) or not _HEX8.fullmatch(parts[1]):
        raise NoteError(f"{what}格式错误")
    try:
        data = _b64decode(parts[2])
    except NoteError:
        raise NoteError(f"{what}格式错误：密钥数据不是有效的 Base64") from None
    if len(data) != 33 or data[0] != ALG_COSIGNATURE_V1:
        raise NoteError(f"{what}格式错误：不是 Ed25519 副署（cosignature/v1）密钥")
    return _Key(parts[0], bytes.fromhex(parts[1]), data[1:])


def generate_cosigner(name: str) -> tuple[str, str]:
    """A new witness key named `name`: (signer key string, verifier key string)."""
    if not isinstance(name, str) or not _valid_name(name):
        raise NoteError("密钥名称不能为空，且不能包含空白字符或“+”")
    return _cosigner_keys(name, Ed25519PrivateKey.generate().private_bytes_raw())


def cosigner_verifier(vkey: str) -> _Key:
    """Parse and check a witness's verifier key string."""
    if not isinstance(vkey, str):
        raise NoteError("见证方公钥格式错误")
    parsed = _parse_cosigner(vkey, "见证方公钥")
    if _cosigner_key_id(parsed.name, parsed.key) != parsed.key_id:
        raise NoteError("见证方公钥的密钥标识与公钥不符")
    return parsed


def cosigner_verifier_for(signer_key: str) -> str:
    """The verifier key string of a witness signer key string."""
    parsed = _cosigner_signer(signer_key)
    return _cosigner_keys(parsed.name, parsed.key)[1]


def _cosigner_signer(skey: str) -> _Key:
    if not isinstance(skey, str) or not skey.startswith(SIGNER_PREFIX):
        raise NoteError("见证方私钥格式错误")
    parsed = _parse_cosigner(skey[len(SIGNER_PREFIX) :], "见证方私钥")
    public = Ed25519PrivateKey.from_private_bytes(parsed.key).public_key().public_bytes_raw()
    if _cosigner_key_id(parsed.name, public) != parsed.key_id:
        raise NoteError("见证方私钥的密钥标识与公钥不符")
    return parsed


def _cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


def cosign(text: str, signer_key: str, timestamp: int) -> str:
    """The cosignature line of checkpoint `text` at POSIX time `timestamp`."""
    parsed = _cosigner_signer(signer_key)
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError("副署时间无效")
    private = Ed25519PrivateKey.from_private_bytes(parsed.key)
    signature = private.sign(_cosigned_message(text, timestamp))
    blob = parsed.key_id + timestamp.to_bytes(8, "big") + signature
    return f"{SIG_PREFIX}{parsed.name} {_b64(blob)}\n"


def note_text(note: str) -> str:
    """The text of a signed note (everything before the blank line that precedes the signatures)."""
    _check_text(note, "签名文本")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("签名文本格式错误：缺少正文与签名之间的空行")
    return note[: split + 1]


def cosignatures_in(note: str, vkey: str) -> list[Cosigned]:
    """The cosignatures in `note` made by witness key `vkey`, each verified. Lines of other keys
    are ignored; a line of this key that does not verify raises NoteError."""
    key = cosigner_verifier(vkey)
    public = Ed25519PublicKey.from_public_bytes(key.key)
    text = note_text(note)
    found = []
    for line in note[len(text) + 1 :].split("\n"):
        name, _, b64 = line.removeprefix(SIG_PREFIX).partition(" ")
        if not line.startswith(SIG_PREFIX) or name != key.name:
            continue
        blob = _b64decode(b64)
        if len(blob) != 4 + 8 + 64 or blob[:4] != key.key_id:
            continue
        timestamp = int.from_bytes(blob[4:12], "big")
        if timestamp > MAX_TIMESTAMP:
            raise NoteError(f"{name} 的副署时间无效")
        try:
            public.verify(blob[12:], _cosigned_message(text, timestamp))
        except InvalidSignature:
            raise NoteError(f"{name} 的副署与检查点不符（检查点或副署已被改动）") from None
        found.append(Cosigned(name, timestamp, line + "\n"))
    return found


def verifier_name(vkey: str) -> str:
    """The name of a (log) verifier key string, after checking it."""
    return _verifier(vkey).name
