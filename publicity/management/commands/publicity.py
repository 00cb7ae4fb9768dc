from django.core.management.base import BaseCommand

from publicity.services import publications_expire


class Command(BaseCommand):
    help = "执法公示：记录公示期满的执法决定已撤下（门户到期即不再显示；内容保留在记录库）。用法：zhifa publicity expire"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["expire"])

    def handle(self, *args, **options):
        count = publications_expire()
        self.stdout.write(f"公示期满撤下 {count} 条执法决定信息（公示制度第二十二条）。")
