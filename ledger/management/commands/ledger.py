import json
import sys

from django.core.management.base import BaseCommand, CommandError

from ledger.models import Checkpoint, Event, Head
from ledger.selectors import proof_bundle
from ledger.services import checkpoint_sign
from ledger.verify import verify_ledger


class Command(BaseCommand):
    requires_system_checks = []  # unattended and frequent: the checks belong to deploy and serve
    help = "执法记录台账：verify 全面核验；checkpoint 签署检查点；proof N 导出第 N 号事件的证明包；status 查看状态"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, title="子命令")
        sub.add_parser(
            "verify", help="从数据库重新计算整棵树、核对每个事件与签名检查点，并重新计算每个文件的哈希"
        )
        sub.add_parser("checkpoint", help="签署当前台账的检查点（可定时运行）")
        proof = sub.add_parser(
            "proof", help="导出某事件的证明包（JSON），可用 tools/verify_bundle.py 离线核验"
        )
        proof.add_argument("index", type=int, help="事件序号")
        proof.add_argument("--since", type=int, help="同时证明与该大小的已签名检查点一致")
        proof.add_argument("--out", help="写入文件（默认输出到屏幕）")
        sub.add_parser("status", help="台账大小与最新检查点")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _verify(self, **_):
        findings = verify_ledger(progress=lambda message: self.stderr.write(message))
        events = Event.objects.count()
        if findings:
            for finding in findings:
                self.stdout.write(f"✘ {finding}")
            raise CommandError(
                f"核验未通过：发现 {len(findings)} 处问题（共 {events} 个事件）。", returncode=1
            )
        self.stdout.write(
            f"核验通过：{events} 个事件、{Checkpoint.objects.count()} 个签名检查点及全部存储文件均与记录一致。"
        )

    def _checkpoint(self, **_):
        checkpoint = checkpoint_sign()
        self.stdout.write(checkpoint.note, ending="")

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

    def _status(self, **_):
        head = Head.objects.filter(pk=1).first()
        latest = Checkpoint.objects.order_by("-size").first()
        self.stdout.write(f"台账事件：{head.size if head else 0} 个")
        if latest:
            self.stdout.write(
                f"最新检查点：大小 {latest.size}，根哈希 {latest.root_hash}，签署于 {latest.created_at:%Y-%m-%d %H:%M:%S}"
            )
        else:
            self.stdout.write("尚无签名检查点。")
