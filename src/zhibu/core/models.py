"""Cross-cutting models: the append-only audit log."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class AuditAction(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    VIEW_SENSITIVE = "view_sensitive", "查看个人敏感信息"
    EXPORT = "export", "导出"
    LOGIN = "login", "登录"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOGOUT = "logout", "退出"
    GRANT = "grant", "授权"
    REVOKE = "revoke", "撤销授权"
    SECURITY = "security", "安全操作"


class AppendOnlyError(RuntimeError):
    pass


class AuditLog(models.Model):
    """Who did what, when, from where, on which object, with before/after. Append-only.

    The database refuses UPDATE (both backends) and DELETE (PostgreSQL) by trigger; see migration 0002.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField("操作人", max_length=150, blank=True)
    action = models.CharField("操作", max_length=20, choices=AuditAction.choices)
    object_type = models.CharField("对象类型", max_length=80, blank=True)
    object_id = models.CharField("对象ID", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    # The org the entry belongs to, for auditors' scope. Plain id (no FK): history outlives objects.
    org_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    summary = models.CharField("摘要", max_length=300, blank=True)
    before = models.JSONField("修改前", null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField("修改后", null=True, blank=True, encoder=DjangoJSONEncoder)
    ip = models.GenericIPAddressField("来源IP", null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = "审计日志"

    def __str__(self):
        when = f"{self.created_at:%Y-%m-%d %H:%M}"
        return f"{when} {self.actor_name} {self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("审计日志只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("审计日志只能追加，不能删除")

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for fields that differ."""
        before, after = self.before or {}, self.after or {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class OrgSetting(models.Model):
    """A configurable rule number for an org and everything below it, from a date (versioned).

    `org` empty = the deployment-wide value. Lookups take the deepest org on the path and, for it,
    the latest `valid_from` on or before the day asked about; see `core.config`.
    """

    org = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="settings"
    )
    key = models.CharField("配置项", max_length=80)
    value = models.JSONField("值", encoder=DjangoJSONEncoder)
    valid_from = models.DateField("生效日期")
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "规则配置"
        ordering = ["key", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["org", "key", "valid_from"], name="org_setting_unique"),
            models.UniqueConstraint(
                fields=["key", "valid_from"],
                condition=models.Q(org__isnull=True),
                name="global_setting_unique",
            ),
        ]

    def __str__(self):
        return f"{self.key}={self.value}"
