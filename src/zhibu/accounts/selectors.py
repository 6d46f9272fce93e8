"""Reads of accounts and roles, scoped."""

from axes.models import AccessAttempt
from django.db.models import Q

from zhibu.accounts.models import RoleAssignment, User
from zhibu.core import access
from zhibu.core.access import Perm


def my_roles(user):
    return list(RoleAssignment.objects.active().filter(user=user).select_related("org").order_by("org__path"))


def assignments_in_scope(user, *, include_revoked: bool = False, org=None, text: str = ""):
    """Role assignments on orgs where the user may manage roles."""
    qs = RoleAssignment.objects.filter(access.scope_q(user, Perm.ROLE_MANAGE, prefix="org__")).select_related(
        "user", "org", "granted_by"
    )
    if not include_revoked:
        qs = qs.active()
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    if text:
        qs = qs.filter(Q(user__real_name__icontains=text) | Q(user__username__icontains=text))
    return qs.order_by("org__path", "role", "user__real_name")


def find_users(text: str, limit: int = 20):
    text = (text or "").strip()
    if not text:
        return User.objects.none()
    return User.objects.filter(
        Q(username__icontains=text) | Q(real_name__icontains=text) | Q(mobile=text), is_active=True
    ).order_by("username")[:limit]


def all_users(text: str = ""):
    qs = User.objects.all().order_by("username")
    if text:
        qs = qs.filter(Q(username__icontains=text) | Q(real_name__icontains=text) | Q(mobile=text))
    return qs


def lockouts():
    return AccessAttempt.objects.order_by("-attempt_time")
