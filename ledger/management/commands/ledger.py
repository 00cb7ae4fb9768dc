import json
import os
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from ledger import sequencer
from ledger.keys import configured_witnesses, verifier_key
from ledger.models import Checkpoint, Event, Head, VerifiedState, Witness
from ledger.note import MAX_NOTE_BYTES, NoteError, cosignatures_in, open_note, parse_checkpoint
from ledger.selectors import proof_bundle
from ledger.services import CheckpointRefused, checkpoint_sign
from ledger.verify import KeptCheckpoint, verify_ledger
from ledger.witness import WitnessError, fetch_note, witness_checkpoint_url

DEFAULT_BATCH = sequencer.DEFAULT_BATCH
MAX_BATCH = 100_000
FETCH_TIMEOUT = 10  # seconds to fetch a kept checkpoint from the portal or a witness


class Command(BaseCommand):
    requires_system_checks = []  # unattended and frequent: the checks belong to deploy and serve
    help = (
        "执法记录台账：verify 全面核验（--against 与他人保存的检查点核对）；checkpoint 签署检查点；"
        "proof N 导出第 N 号事件的证明包；status 查看状态与见证方；sequence 入账（为已提交的事件编号）"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, title="子命令")
        verify = sub.add_parser(
            "verify", help="从数据库重新计算整棵树、核对每个事件与签名检查点，并重新计算每个文件的哈希"
        )
        verify.add_argument(
            "--against",
            action="append",
            metavar="文件或网址",
            help="再与他人保存的检查点核对：文件、公示平台的 …/public/ledger/checkpoint，或见证方地址"
            "（只写 http://主机:端口 时取该见证方最近副署的检查点）；可重复。台账被回退或分叉时指出缺失的事件",
        )
        scope = verify.add_mutually_exclusive_group()
        scope.add_argument("--full", action="store_true", help="完整核验全部事件和文件（默认；应定期运行）")
        scope.add_argument(
            "--incremental",
            action="store_true",
            help="增量核验：从上次无问题的核验结束处开始，只核对其后的事件、检查点和新登记的文件",
        )
        verify.add_argument(
            "--jobs", type=int, default=0, help="并行核验的进程数（默认：事件较多时使用全部 CPU 核心）"
        )
        verify.add_argument(
            "--against-witnesses",
            action="store_true",
            help="再与 ZHIFA_LEDGER_WITNESSES 中每个见证方最近副署的检查点核对（可定时运行）",
        )
        sub.add_parser("checkpoint", help="签署当前台账的检查点（可定时运行）")
        proof = sub.add_parser(
            "proof", help="导出某事件的证明包（JSON），可用 tools/verify_bundle.py 离线核验"
        )
        proof.add_argument("index", type=int, help="事件序号")
        proof.add_argument("--since", type=int, help="同时证明与该大小的已签名检查点一致")
        proof.add_argument("--out", help="写入文件（默认输出到屏幕）")
        sub.add_parser("status", help="台账大小与最新检查点")
        sequence = sub.add_parser(
            "sequence",
            help="入账：为已提交的事件编号、扩展默克尔树并按批签署检查点（生产环境作为常驻进程运行）",
        )
        mode = sequence.add_mutually_exclusive_group()
        mode.add_argument("--once", action="store_true", help="把当前待入账的事件全部入账后退出（默认）")
        mode.add_argument("--loop", action="store_true", help="常驻运行；同一时间只有一个入账进程工作，其余等待接替")
        sequence.add_argument("--batch", type=int, default=DEFAULT_BATCH, help=f"每批最多入账的事件数（默认 {DEFAULT_BATCH}）")
        sequence.add_argument("--poll", type=float, default=0.1, help="空闲时查询间隔秒数（默认 0.1）")
        sequence.add_argument("--max-seconds", type=float, default=0, help="常驻运行这么多秒后自行停止（默认一直运行）")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None

    def _kept(self, source: str, *, witness: bool = False) -> KeptCheckpoint:
        """A checkpoint someone kept, read from a file or a URL and opened with this ledger's key."""
        if source.startswith(("http://", "https://")):
            url = source
            if witness or urlsplit(source).path in ("", "/"):
                url = witness_checkpoint_url(source, settings.ZHIFA_LEDGER_ORIGIN)
            try:
                note = fetch_note(url, timeout=FETCH_TIMEOUT)
            except WitnessError as exc:
                raise CommandError(f"无法取得所持检查点：{exc}") from None
        else:
            try:
                with open(source, "rb") as fh:
                    note = fh.read(MAX_NOTE_BYTES + 1).decode("utf-8")
            except OSError as exc:
                raise CommandError(f"无法读取 {source}：{exc.strerror}") from None
            except UnicodeDecodeError:
                raise CommandError(f"{source} 不是检查点文本（应为 UTF-8 签名文本）。") from None
        try:
            checkpoint = parse_checkpoint(open_note(note, verifier_key()), settings.ZHIFA_LEDGER_ORIGIN)
        except NoteError as exc:
            raise CommandError(
                f"{source} 中的检查点无法用本台账的公钥核验：{exc}（不是本台账签署的，或已被改动）。"
            ) from None
        witnesses = set()
        for witness in configured_witnesses():
            try:
                for cosigned in cosignatures_in(note, witness.vkey):
                    witnesses.add(witness.name)
                    when = datetime.fromtimestamp(cosigned.timestamp, UTC).astimezone()
                    self.stdout.write(f"所持检查点带有见证方 {witness.name} 的副署（{when:%Y-%m-%d %H:%M:%S}）。")
            except NoteError as exc:
                self.stdout.write(f"所持检查点中见证方 {witness.name} 的副署无效：{exc}")
        label = source if source.startswith("http") else Path(source).name
        return KeptCheckpoint(checkpoint.size, checkpoint.root, label, frozenset(witnesses))

    def _verify(self, against=None, against_witnesses=False, incremental=False, jobs=0, **_):
        if not 0 <= jobs <= 256:
            raise CommandError("--jobs 应在 1 到 256 之间（0 为自动）。")
        if incremental and (against or against_witnesses):
            raise CommandError("与所持检查点核对须做完整核验，请去掉 --incremental。")
        kept = [self._kept(source) for source in against or []]
        if against_witnesses:
            if not configured_witnesses():
                raise CommandError("尚未配置见证方（ZHIFA_LEDGER_WITNESSES），无法与见证方核对。")
            kept += [self._kept(w.url, witness=True) for w in configured_witnesses()]
        resume = VerifiedState.objects.order_by("-size", "-id").first() if incremental else None
        if incremental and resume is None:
            self.stderr.write("尚无无问题的核验记录，本次做完整核验。")
        elif resume is not None:
            self.stderr.write(f"增量核验：从大小 {resume.size}（{resume.verified_at:%Y-%m-%d %H:%M:%S} 核验）开始。")
        findings = verify_ledger(
            progress=lambda message: self.stderr.write(message),
            against=kept,
            jobs=jobs or os.cpu_count() or 1,
            incremental=incremental,
        )
        events = Event.objects.filter(index__isnull=False).count()
        if findings:
            for finding in findings:
                self.stdout.write(f"✘ {finding}")
            raise CommandError(
                f"核验未通过：发现 {len(findings)} 处问题（共 {events} 个事件）。", returncode=1
            )
        if resume is not None:
            self.stdout.write(
                f"增量核验通过：大小 {resume.size} 之后的 {events - resume.size} 个事件、其后的签名检查点"
                f"及新登记的文件均与记录一致（共 {events} 个事件；完整核验请定期运行）。"
            )
        else:
            self.stdout.write(
                f"核验通过：{events} 个事件、{Checkpoint.objects.count()} 个签名检查点及全部存储文件均与记录一致。"
            )
        waiting = sequencer.pending_count()
        if waiting:
            self.stdout.write(f"另有 {waiting} 个事件待入账，入账后下次核验。")
        for checkpoint in kept:
            self.stdout.write(f"与所持检查点（{checkpoint.source}，大小 {checkpoint.size}）一致。")

    def _checkpoint(self, **_):
        try:
            checkpoint = checkpoint_sign()  # the witnesses are asked once the signature is committed
        except CheckpointRefused as exc:
            raise CommandError(f"未签署检查点：{exc}") from None
        self.stdout.write(checkpoint.note, ending="")
        for witness in Witness.objects.filter(name__in=[w.name for w in configured_witnesses()]):
            if witness.failures:
                self.stderr.write(f"见证方 {witness.name}：未副署（{witness.last_error}），下次签署时重试。")
            else:
                self.stderr.write(f"见证方 {witness.name}：已副署大小 {witness.size}。")

    def _proof(self, index, since=None, out=None, **_):
        try:
            event = Event.objects.get(index=index)
        except Event.DoesNotExist:
            raise CommandError(f"没有序号为 {index} 的事件。") from None
        old = None
        if since is not None:
            old = Checkpoint.objects.filter(size=since).first()
            if old is None:
                raise CommandError(f"没有大小为 {since} 的已签名检查点。")
        text = json.dumps(proof_bundle(event, since=old), ensure_ascii=False, indent=2)
        if out:
            with open(out, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
            self.stderr.write(f"已写入 {out}。核验：python3 tools/verify_bundle.py {out}")
        else:
            sys.stdout.write(text + "\n")

    def _sequence(self, once=False, loop=False, batch=DEFAULT_BATCH, poll=0.1, max_seconds=0, **_):
        if not 1 <= batch <= MAX_BATCH:
            raise CommandError(f"--batch 应在 1 到 {MAX_BATCH} 之间。")
        if not 0.01 <= poll <= 60:
            raise CommandError("--poll 应在 0.01 到 60 秒之间。")
        if max_seconds < 0:
            raise CommandError("--max-seconds 不能为负数。")
        deadline = time.monotonic() + max_seconds if max_seconds else None
        stopping = threading.Event()
        previous = None
        if loop and threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, lambda *_: stopping.set())  # finish the batch, then stop

        def stop() -> bool:
            return stopping.is_set() or (deadline is not None and time.monotonic() >= deadline)

        if loop:
            self.stdout.write("入账进程已启动。")
            self.stdout.flush()
        try:
            done = sequencer.run(
                loop=loop, max_batch=batch, poll=poll, log=lambda line: self.stderr.write(line), stop=stop
            )
        except KeyboardInterrupt:
            done = None
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        head = Head.objects.filter(pk=1).first()
        size = head.size if head else 0
        waiting = sequencer.pending_count()
        counted = f"本次入账 {done} 个事件，" if done is not None else ""
        self.stdout.write(f"{counted}台账现有 {size} 个事件，待入账 {waiting} 个。")

    def _status(self, **_):
        head = Head.objects.filter(pk=1).first()
        latest = Checkpoint.objects.order_by("-size").first()
        self.stdout.write(f"台账事件：{head.size if head else 0} 个（另有 {sequencer.pending_count()} 个待入账）")
        if latest:
            self.stdout.write(
                f"最新检查点：大小 {latest.size}，根哈希 {latest.root_hash}，签署于 {latest.created_at:%Y-%m-%d %H:%M:%S}"
            )
        else:
            self.stdout.write("尚无签名检查点。")
        self.stdout.write(f"核验公钥：{verifier_key()}")
        for witness in configured_witnesses():
            row = Witness.objects.filter(name=witness.name).first()
            if row is None:
                state = "尚未提交"
            elif row.failures:
                state = f"连续 {row.failures} 次未副署：{row.last_error}"
            else:
                state = f"已副署大小 {row.size}"
            self.stdout.write(f"见证方 {witness.name}（{witness.url}）：{state}")
