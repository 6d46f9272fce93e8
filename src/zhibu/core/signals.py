"""Login, logout and failed-login events go to the audit log."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from zhibu.core import audit
from zhibu.core.models import AuditAction


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit.record(user, AuditAction.LOGIN, user, summary="登录成功")


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(user, AuditAction.LOGOUT, user, summary="退出登录")


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    audit.record(
        None, AuditAction.LOGIN_FAILED, object_type="accounts.user", object_repr=username, summary="登录失败"
    )
