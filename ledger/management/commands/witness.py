import os
import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ledger.note import NoteError, generate_cosigner, verifier_name
from ledger.witness import Witness, WitnessError, WitnessServer


class Command(BaseCommand):
    requires_system_checks = []  # a witness needs no database and none of zhifa's settings
    help = "台账见证方（供其他单位或司法行政部门运行）：key 生成见证方密钥；serve 运行见证服务"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, title="子命令")
        key = sub.add_parser("key", help="生成见证方密钥（Ed25519），写入文件并显示公钥")
        key.add_argument("name", help="见证方名称，建议用不带协议的网址，如 sfj.example.gov.cn/witness")
        key.add_argument("--out", required=True, help="私钥文件（不会覆盖已有文件）")
        serve = sub.add_parser("serve", help="运行见证服务（c2sp.org/tlog-witness：POST /add-checkpoint）")
        serve.add_argument("--key", required=True, help="见证方私钥文件（zhifa witness key 生成）")
        serve.add_argument("--state", required=True, help="状态文件：每个台账最近副署的大小与根哈希；须妥善备份")
        serve.add_argument(
            "--log",
            action="append",
            required=True,
            metavar="[来源,]公钥",
            help="所见证台账的核验公钥（zhifa ledger status 或 /public/ledger/key 可查）；来源默认为公钥名称；可重复",
        )
        serve.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
        serve.add_argument("--port", type=int, default=7380, help="端口（默认 7380；0 为任选空闲端口）")
        serve.add_argument("--prefix", default="", help="接口路径前缀（默认无）")
        serve.add_argument("--max-seconds", type=float, default=0, help="运行这么多秒后自行停止（默认一直运行）")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _key(self, name, out, **_):
        path = Path(out)
        if path.exists():
            raise CommandError(f"{path} 已存在，不会覆盖。丢失或更换见证方密钥须通知各台账重新配置。")
        try:
            signer, vkey = generate_cosigner(name)
        except NoteError as exc:
            raise CommandError(str(exc)) from None
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as fh:
            fh.write(signer + "\n")
        self.stdout.write(f"已生成见证方密钥：{path}\n公钥（交给各台账配置 ZHIFA_LEDGER_WITNESSES）：\n{vkey}")

    def _serve(self, key, state, log, host, port, prefix, max_seconds, **_):
        logs: dict[str, list[str]] = {}
        for item in log:
            origin, _, vkey = item.rpartition(",")
            try:
                name = verifier_name(vkey)
            except NoteError as exc:
                raise CommandError(f"--log {item}：{exc}") from None
            logs.setdefault(origin or name, []).append(vkey)
        try:
            signer = Path(key).read_text().strip()
        except OSError as exc:
            raise CommandError(f"无法读取见证方私钥 {key}：{exc.strerror}。可用 zhifa witness key 生成。") from None
        try:
            witness = Witness(signer_key=signer, logs=logs, state_path=Path(state))
            server = WitnessServer(witness, host, port, prefix=prefix, log=lambda line: self.stderr.write(line))
        except (NoteError, WitnessError) as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"无法在 {host}:{port} 监听：{exc.strerror}") from None
        self.stdout.write(f"见证方 {witness.name} 已启动：{server.url}")
        self.stdout.write(f"公钥：{witness.verifier_key}")
        self.stdout.write("见证的台账：" + "、".join(sorted(logs)))
        self.stdout.flush()
        if max_seconds > 0:
            timer = threading.Timer(max_seconds, server.shutdown)
            timer.daemon = True
            timer.start()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        self.stdout.write("见证方已停止。")
