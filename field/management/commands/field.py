from django.core.management.base import BaseCommand

from field.services import SEND_SETTLE_AFTER, electronic_sends_settle

MINUTES = int(SEND_SETTLE_AFTER.total_seconds() // 60)


class Command(BaseCommand):
    help = "掌上执法：核实电子送达中未记录结果的发送尝试（settle；运行定时任务时每5分钟自动执行）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "settle", help=f"将超过{MINUTES}分钟仍无结果的电子送达发送尝试登记为“未发出”或“发送结果不明”（均不视为已送达）"
        )

    def handle(self, *args, action, **options):
        counts = electronic_sends_settle()
        self.stdout.write(
            f"电子送达：{counts['abandoned']} 次发送尝试登记为未发出（邮件未存档，未交给邮件服务器），"
            f"{counts['unknown']} 次登记为发送结果不明（请承办人员与当事人核实）"
        )
