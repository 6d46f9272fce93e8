"""`zhibu serve [addr:port]`: collect static files and serve on loopback (default 127.0.0.1:8000)."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "收集静态文件并启动服务（默认 127.0.0.1:8000）"

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Zhibu 正在 http://{addrport}/ 提供服务（Ctrl+C 停止）")
        call_command("runserver", addrport, use_reloader=settings.DEBUG)
