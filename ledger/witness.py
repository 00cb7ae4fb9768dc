"""A transparency-log witness (c2sp.org/tlog-witness) and the client zhifa uses to reach one.

`zhifa witness serve` runs `Witness` behind a small HTTP server: what another agency or the
supervising 司法行政部门 runs so that the checkpoints zhifa signs are remembered outside zhifa's
database. For each log it knows (its origin line and the log's verifier key) the witness keeps the
last size and root it cosigned, in its own state file, and cosigns a newer checkpoint only with a
valid consistency proof from that size; so a log that was rolled back or forked gets no more
cosignatures, and the witness still holds the checkpoint that proves what was lost.

No Django here: a witness needs no database and none of zhifa's settings.
"""

import base64
import binascii
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from ledger import merkle
from ledger.note import (
    MAX_NOTE_BYTES,
    NoteError,
    cosign,
    cosigner_verifier_for,
    note_text,
    open_note,
    parse_checkpoint,
)

MAX_BODY = 64 * 1024  # an add-checkpoint request: a checkpoint, its signatures and ≤ 63 hashes
MAX_PROOF_LINES = 63
REFUSALS_KEPT = 50  # refused submissions kept in the state file as evidence of a misbehaving log
SIZE_TYPE = "text/x.tlog.size"
_OLD = re.compile(r"old (0|[1-9][0-9]{0,18})")


class WitnessError(Exception):
    """A witness that cannot start or a witness that cannot be reached (message in Chinese)."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Witness:
    """The witness's logic: check a submission, cosign, remember. Thread-safe: the check against the
    stored size and the update of the state file happen under one lock, so two submissions can never
    roll the remembered size back."""

    def __init__(self, *, signer_key: str, logs: dict[str, list[str]], state_path: Path, clock=time.time):
        self.signer_key = signer_key
        self.verifier_key = cosigner_verifier_for(signer_key)
        self.name = self.verifier_key.split("+", 1)[0]
        self.logs = logs
        self.state_path = Path(state_path)
        self.clock = clock
        self._lock = threading.Lock()
        self.state = self._load()

    def _load(self) -> dict:
        if not self.state_path.exists():
            return {"logs": {}, "refused": []}
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
            if not isinstance(state.get("logs"), dict):
                raise ValueError
        except (OSError, ValueError, AttributeError):
            # Starting empty would let a rolled-back log through: refuse instead.
            raise WitnessError(
                f"见证状态文件 {self.state_path} 无法读取或已损坏。请从备份恢复；"
                "丢失状态的见证方不能继续使用，应更换密钥后重新部署。"
            ) from None
        state.setdefault("refused", [])
        return state

    def _save(self) -> None:
        tmp = self.state_path.with_name(self.state_path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.state, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.state_path)
        directory = os.open(self.state_path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def latest(self, origin: str) -> str | None:
        """The latest checkpoint this witness cosigned for `origin`, with its cosignature."""
        with self._lock:
            known = self.state["logs"].get(origin)
            return known["note"] if known else None

    def _refuse(self, origin: str, reason: str, old: int, size: int, note: str) -> None:
        self.state["refused"] = [
            *self.state["refused"][-(REFUSALS_KEPT - 1) :],
            {"time": int(self.clock()), "origin": origin, "reason": reason, "old": old, "size": size, "note": note},
        ]
        self._save()

    def add_checkpoint(self, body: bytes) -> Reply:
        """POST add-checkpoint: `old N`, consistency proof lines, a blank line, the signed checkpoint."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return Reply(400, "请求不是有效的 UTF-8 文本。\n")
        header, blank, note = text.partition("\n\n")
        lines = header.split("\n")
        match = _OLD.fullmatch(lines[0])
        if not blank or not match or not note:
            return Reply(400, "请求格式错误：应为“old 大小”行、一致性证明各行、空行，然后是签名检查点。\n")
        if len(lines) - 1 > MAX_PROOF_LINES:
            return Reply(400, f"一致性证明不能超过 {MAX_PROOF_LINES} 行。\n")
        try:
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
        except (binascii.Error, ValueError):
            return Reply(400, "一致性证明的每一行必须是 Base64 编码的哈希。\n")
        old = int(match.group(1))
        origin = note.split("\n", 1)[0]
        keys = self.logs.get(origin)
        if not keys:
            return Reply(404, f"本见证方不见证来源为“{origin}”的台账。\n")
        checkpoint_text = None
        for key in keys:
            try:
                checkpoint_text = open_note(note, key)
                break
            except NoteError:
                continue
        if checkpoint_text is None:
            return Reply(403, "检查点没有本见证方所信任的该台账公钥的有效签名。\n")
        try:
            checkpoint = parse_checkpoint(checkpoint_text, origin)
        except NoteError as exc:
            return Reply(400, f"检查点格式错误：{exc}\n")
        if old > checkpoint.size:
            return Reply(400, f"old（{old}）不能大于检查点的大小（{checkpoint.size}）。\n")
        with self._lock:
            known = self.state["logs"].get(origin)
            known_size = known["size"] if known else 0
            if old != known_size:
                if checkpoint.size < known_size:
                    self._refuse(origin, "回退：检查点小于已副署的大小", old, checkpoint.size, note)
                return Reply(409, f"{known_size}\n", SIZE_TYPE)
            known_root = base64.b64decode(known["root"]) if known else merkle.EMPTY_ROOT
            if old == checkpoint.size and known_root != checkpoint.root:
                self._refuse(origin, "分叉：同一大小的根哈希不同", old, checkpoint.size, note)
                return Reply(409, f"{known_size}\n", SIZE_TYPE)
            if not merkle.verify_consistency(old, checkpoint.size, known_root, checkpoint.root, proof):
                self._refuse(origin, "一致性证明未通过", old, checkpoint.size, note)
                return Reply(422, f"从大小 {old} 到 {checkpoint.size} 的一致性证明未通过，拒绝副署。\n")
            timestamp = int(self.clock())
            line = cosign(checkpoint_text, self.signer_key, timestamp)
            self.state["logs"][origin] = {
                "size": checkpoint.size,
                "root": _b64(checkpoint.root),
                "note": note + line,
                "cosigned_at": timestamp,
            }
            self._save()  # persisted before the answer (c2sp.org/tlog-witness)
        return Reply(200, line)


class _Handler(BaseHTTPRequestHandler):
    server_version = "zhifa-witness/1"
    protocol_version = "HTTP/1.1"
    timeout = 30  # seconds a client may take to send its request

    def _send(self, reply: Reply) -> None:
        data = reply.body.encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if urlsplit(self.path).path != self.server.prefix + "/add-checkpoint":
            self.close_connection = True
            return self._send(Reply(404, "没有该接口。提交检查点：POST /add-checkpoint\n"))
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            self.close_connection = True
            return self._send(Reply(411, "请求须带 Content-Length。\n"))
        if int(length) > MAX_BODY:
            self.close_connection = True
            return self._send(Reply(413, f"请求过大（上限 {MAX_BODY} 字节）。\n"))
        self._send(self.server.witness.add_checkpoint(self.rfile.read(int(length))))

    def do_GET(self):
        path = urlsplit(self.path).path
        witness = self.server.witness
        if path in (self.server.prefix, self.server.prefix + "/"):
            logs = "".join(f"  {origin}\n" for origin in sorted(witness.logs))
            return self._send(Reply(200, f"见证方 {witness.name}\n公钥 {witness.verifier_key}\n见证的台账：\n{logs}"))
        prefix = self.server.prefix + "/checkpoint/"
        if path.startswith(prefix):
            note = witness.latest(unquote(path[len(prefix) :]))
            if note is not None:
                return self._send(Reply(200, note))
            return self._send(Reply(404, "本见证方尚未副署该台账的检查点。\n"))
        return self._send(Reply(404, "没有该页面。\n"))

    def log_message(self, format, *args):
        self.server.log(f"{self.address_string()} {format % args}")


class WitnessServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, witness: Witness, host: str, port: int, *, prefix: str = "", log=lambda _: None):
        self.witness = witness
        self.prefix = prefix.rstrip("/")
        self.log = log
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{self.prefix}"


# --- the client side: zhifa submitting checkpoints, and reading a kept one back ----------------------

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy


def _http(url: str, *, timeout: float, limit: int, data: bytes | None = None) -> Reply:
    """GET (or POST `data`) over http(s) only. Raises WitnessError when the host cannot be reached."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise WitnessError(f"只支持 http 或 https 地址：{url}")
    headers = {"Content-Type": "text/plain; charset=utf-8"} if data is not None else {}
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (scheme checked above)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            body = response.read(limit).decode("utf-8", "replace")
            return Reply(response.status, body, response.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, exc.read(limit).decode("utf-8", "replace"), exc.headers.get("Content-Type", ""))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WitnessError(f"无法连接 {url}：{reason}") from None


def submit(url: str, *, old_size: int, proof: list[bytes], note: str, timeout: float) -> Reply:
    """POST a checkpoint to a witness's add-checkpoint. Raises WitnessError when unreachable."""
    body = f"old {old_size}\n" + "".join(_b64(h) + "\n" for h in proof) + "\n" + note
    return _http(url.rstrip("/") + "/add-checkpoint", timeout=timeout, limit=MAX_BODY, data=body.encode())


def witness_checkpoint_url(url: str, origin: str) -> str:
    """Where a witness serves the latest checkpoint it cosigned for `origin`."""
    return url.rstrip("/") + "/checkpoint/" + quote(origin, safe="/")


def fetch_note(url: str, *, timeout: float) -> str:
    """GET a signed note (a checkpoint kept by the portal or a witness)."""
    reply = _http(url, timeout=timeout, limit=MAX_NOTE_BYTES + 1)
    if reply.status != 200:
        raise WitnessError(f"{url} 返回 {reply.status}：{reply.body.strip()[:200]}")
    return reply.body


def parse_cosignature_reply(reply: Reply, checkpoint_note: str) -> str:
    """The cosignature lines of a 200 answer, appended to the checkpoint (for cosignatures_in)."""
    lines = reply.body
    if not lines.endswith("\n") or any(not line.startswith("— ") for line in lines[:-1].split("\n")):
        raise NoteError("见证方的应答不是签名行")
    note_text(checkpoint_note)
    return checkpoint_note + lines

