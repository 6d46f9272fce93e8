"""`zhibu bootstrap`: first start of a real deployment — the top org and the three system accounts (三员)."""

import secrets

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from zhibu.accounts.models import Role, RoleAssignment
from zhibu.accounts.services import create_user
from zhibu.orgs.models import Organization, OrgType, Sector
from zhibu.orgs.services import create_org


class Command(BaseCommand):
    help = "初始化：创建顶层党组织和系统管理员、安全保密员、审计员三个账户"

    def add_arguments(self, parser):
        parser.add_argument("--org-name", required=True, help="顶层组织名称，如：中共某某公司委员会")
        parser.add_argument("--org-code", required=True, help="组织代码")
        parser.add_argument("--org-type", default=OrgType.COMMITTEE, choices=OrgType.values)
        parser.add_argument("--sector", default=Sector.OTHER, choices=Sector.values)

    @transaction.atomic
    def handle(self, *args, org_name, org_code, org_type, sector, **options):
        if Organization.objects.exists():
            raise CommandError("数据库中已有组织，无需初始化")
        org = create_org(None, parent=None, name=org_name, code=org_code, org_type=org_type, sector=sector)
        self.stdout.write(self.style.SUCCESS(f"已创建顶层组织：{org.name}"))
        for username, real_name, role in (
            ("sysadmin", "系统管理员", Role.SYSADMIN),
            ("secadmin", "安全保密员", Role.SECURITY),
            ("auditor", "审计员", Role.AUDITOR),
        ):
            password = secrets.token_urlsafe(12)
            user = create_user(None, username=username, real_name=real_name, password=password)
            RoleAssignment.objects.create(user=user, org=org, role=role)
            self.stdout.write(f"  {real_name}：用户名 {username}  初始密码 {password}")
        self.stdout.write("请登录后立即修改初始密码。")
