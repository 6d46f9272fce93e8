"""Accounts, role assignments (user, org, role) and personal API tokens."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

mobile_validator = RegexValidator(r"^1[3-9]\d{9}$", "请输入11位手机号码")


class User(AbstractUser):
    """One person, one account. Logs in with username or mobile number."""

    first_name = None
    last_name = None
    real_name = models.CharField("姓名", max_length=50)
    mobile = models.CharField(
        "手机号", max_length=11, unique=True, null=True, blank=True, validators=[mobile_validator]
    )
    large_text = models.BooleanField("长辈模式（大字体）", default=False)

    objects = UserManager()
    REQUIRED_FIELDS = ["real_name"]

    class Meta:
        verbose_name = "用户"

    def __str__(self):
        return f"{self.real_name}（{self.username}）" if self.real_name else self.username

    @property
    def display_name(self) -> str:
        return self.real_name or self.username

    def get_full_name(self):
        return self.display_name

    def get_short_name(self):
        return self.display_name


class Role(models.TextChoices):
    SYSADMIN = "sysadmin", "系统管理员"
    SECURITY = "security", "安全保密员"
    AUDITOR = "auditor", "审计员"
    ORG_ADMIN = "org_admin", "组织管理员"
    SECRETARY = "secretary", "书记"
    COMMITTEE = "committee", "支委"
    GROUP_LEADER = "group_leader", "党小组长"
    MEMBER = "member", "党员"
    PUBLIC = "public", "群众"


class RoleAssignmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class RoleAssignment(models.Model):
    """A user holds a role in an org; scope is that org and everything below it.

    Revoking keeps the row (history); at most one active row per (user, org, role).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="roles")
    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="role_assignments")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    position = models.CharField("职务", max_length=30, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = "角色分配"
        ordering = ["org__path", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "org", "role"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_role_per_user_org",
            )
        ]

    def __str__(self):
        return f"{self.user.display_name} · {self.org.name} · {self.get_role_display()}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest is stored; the key is shown once."""

    PREFIX = "zb_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=60)
    key_prefix = models.CharField(max_length=12)
    key_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API令牌"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name}（{self.key_prefix}…）"

    @staticmethod
    def digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def new_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())
