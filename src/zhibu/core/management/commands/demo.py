"""`zhibu demo`: build a realistic demonstration organization (fictional names, generated people)."""

from django.core.management.base import BaseCommand, CommandError

from zhibu.core.demo import DEMO_PASSWORD, build_demo
from zhibu.orgs.models import Organization


class Command(BaseCommand):
    help = "生成演示数据：一个基层党委、党总支、约8个党支部、约200名党员，以及每种角色一个账户"

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="数据库已有组织时跳过（不报错）")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, if_empty, seed, **options):
        if Organization.objects.exists():
            if if_empty:
                self.stdout.write("数据库已有数据，跳过演示数据。")
                return
            raise CommandError(
                "数据库中已有组织。演示数据只能载入空数据库（删除 var/zhibu.sqlite3 后重试）。"
            )
        result = build_demo(seed=seed)
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据已生成：{result['orgs']}个组织，{result['members']}名党员，"
                f"{result['cases']}份发展党员档案。"
            )
        )
        self.stdout.write(f"演示账户（密码均为 {DEMO_PASSWORD}）：")
        for username, label in result["accounts"]:
            self.stdout.write(f"  {username:<12} {label}")
