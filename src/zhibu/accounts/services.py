"""Writes for accounts, roles and API tokens: transactional and audited."""

import datetime as dt

from axes.utils import reset as axes_reset
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhibu.accounts.models import ApiToken, Role, RoleAssignment, User, mobile_validator
from zhibu.core import access, audit
from zhibu.core.access import SYSTEM_ROLES, Perm
from zhibu.core.errors import ValidationError, fail
from zhibu.core.models import AuditAction
from zhibu.orgs.models import Organization

USER_FIELDS = ["username", "real_name", "mobile", "is_active"]


def _require_account_manager(actor) -> None:
    if not access.has_perm(actor, Perm.ACCOUNT_MANAGE):
        raise PermissionDenied("只有系统管理员可以管理账户")


def _validate_password(password: str, user: User | None = None, field: str = "password") -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


@transaction.atomic
def create_user(actor, *, username: str, real_name: str, password: str, mobile: str = "") -> User:
    if actor is not None:
        _require_account_manager(actor)
    username, real_name, mobile = username.strip(), real_name.strip(), (mobile or "").strip()
    if not username:
        fail("请填写用户名", "username")
    if not real_name:
        fail("请填写姓名", "real_name")
    if User.objects.filter(username=username).exists():
        fail(f"用户名“{username}”已被使用", "username")
    if mobile:
        try:
            mobile_validator(mobile)
        except ValidationError:
            fail("请输入11位手机号码", "mobile")
        if User.objects.filter(mobile=mobile).exists():
            fail("该手机号已绑定其他账户", "mobile")
    user = User(username=username, real_name=real_name, mobile=mobile or None)
    _validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        fail("用户名或手机号已被使用", "username")
    audit.record(actor, AuditAction.CREATE, user, after=audit.snapshot(user, USER_FIELDS))
    return user


@transaction.atomic
def set_user_active(actor, user: User, active: bool) -> User:
    _require_account_manager(actor)
    if user.pk == actor.pk:
        fail("不能停用自己的账户")
    before = audit.snapshot(user, USER_FIELDS)
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record(actor, AuditAction.UPDATE, user, before=before, after=audit.snapshot(user, USER_FIELDS))
    return user


@transaction.atomic
def reset_password(actor, user: User, new_password: str) -> None:
    _require_account_manager(actor)
    _validate_password(new_password, user, "new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(actor, AuditAction.SECURITY, user, summary="重置密码")


@transaction.atomic
def change_own_password(user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        fail("原密码不正确", "old_password")
    _validate_password(new_password, user, "new_password1")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(user, AuditAction.SECURITY, user, summary="修改密码")


@transaction.atomic
def set_large_text(user: User, enabled: bool) -> None:
    user.large_text = enabled
    user.save(update_fields=["large_text"])


@transaction.atomic
def grant_role(
    actor, *, user: User, org: Organization, role: str, position: str = "", note: str = ""
) -> RoleAssignment:
    """Grant a role on an org. Checks the granter's scope and rights, 三员 separation, and the org's state."""
    access.require(actor, Perm.ROLE_MANAGE, org)
    if role not in Role.values:
        fail("角色无效", "role")
    if role not in access.grantable_roles(actor, org):
        raise PermissionDenied(f"您不能授予“{Role(role).label}”角色")
    if not org.is_active:
        fail(f"“{org.name}”已撤销，不能在其上分配角色", "org")
    if user.pk == actor.pk:
        fail("不能给自己授予角色", "user")
    if not user.is_active:
        fail("该账户已停用", "user")
    active = RoleAssignment.objects.active().filter(user=user)
    if role in SYSTEM_ROLES and active.filter(role__in=SYSTEM_ROLES).exclude(role=role).exists():
        fail("系统管理员、安全保密员、审计员三员分立，不得由同一人兼任", "role")
    if role not in SYSTEM_ROLES and active.filter(role=Role.AUDITOR).exists():
        fail("审计员不得兼任业务角色", "role")
    if role == Role.AUDITOR and active.exclude(role__in=SYSTEM_ROLES).exists():
        fail("审计员不得兼任业务角色：请先撤销其业务角色", "role")
    if active.filter(org=org, role=role).exists():
        fail(f"{user.display_name}已在“{org.name}”担任{Role(role).label}", "role")
    try:
        with transaction.atomic():
            assignment = RoleAssignment.objects.create(
                user=user, org=org, role=role, position=position.strip(), note=note.strip(), granted_by=actor
            )
    except IntegrityError:
        fail(f"{user.display_name}已在“{org.name}”担任{Role(role).label}", "role")
    audit.record(
        actor,
        AuditAction.GRANT,
        assignment,
        org_id=org.pk,
        after={"user": user.username, "org": org.name, "role": role, "position": assignment.position},
    )
    access.clear_cache(user)
    return assignment


@transaction.atomic
def revoke_role(actor, assignment: RoleAssignment) -> RoleAssignment:
    assignment = (
        RoleAssignment.objects.select_for_update().select_related("org", "user").get(pk=assignment.pk)
    )
    access.require(actor, Perm.ROLE_MANAGE, assignment.org)
    if assignment.role not in access.grantable_roles(actor, assignment.org):
        raise PermissionDenied(f"您不能撤销“{assignment.get_role_display()}”角色")
    if assignment.user_id == actor.pk:
        fail("不能撤销自己的角色")
    if not assignment.is_active:
        fail("该角色已经撤销")
    assignment.revoked_at, assignment.revoked_by = timezone.now(), actor
    assignment.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(
        actor,
        AuditAction.REVOKE,
        assignment,
        org_id=assignment.org_id,
        before={"user": assignment.user.username, "org": assignment.org.name, "role": assignment.role},
    )
    return assignment


@transaction.atomic
def create_token(user: User, *, name: str, days: int | None = 90) -> tuple[ApiToken, str]:
    """A new personal API token; the clear key is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        fail("请填写令牌用途", "name")
    if days is not None and not 1 <= days <= 366:
        fail("有效期应为1至366天", "days")
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_prefix=key[:8],
        key_digest=ApiToken.digest(key),
        expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
    )
    audit.record(user, AuditAction.SECURITY, token, summary="创建API令牌")
    return token, key


@transaction.atomic
def revoke_token(user: User, token: ApiToken) -> None:
    if token.user_id != user.pk or token.revoked_at:
        fail("令牌不存在或已撤销")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(user, AuditAction.SECURITY, token, summary="撤销API令牌")


def unlock_account(actor, username: str) -> int:
    """Lift a login lockout (安全保密员)."""
    if not access.has_perm(actor, Perm.ACCOUNT_UNLOCK):
        raise PermissionDenied("只有安全保密员可以解除登录锁定")
    count = axes_reset(username=username)
    audit.record(
        actor, AuditAction.SECURITY, object_type="accounts.user", object_repr=username, summary="解除登录锁定"
    )
    return count
