"""The one place that decides who may see and do what, where.

A user's scope for a permission is every org where they hold an active role granting it, and
everything below. Objects outside a user's scope are answered with 404 (their existence is not
revealed); inside the scope but without the permission, 403.
"""

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from zhibu.accounts.models import Role, RoleAssignment


class Perm(StrEnum):
    ORG_VIEW = "org.view"  # see orgs, committees, counts
    ORG_MANAGE = "org.manage"  # create, edit, move, dissolve, delete orgs below
    COMMITTEE_MANAGE = "committee.manage"  # terms, seats, holders
    ROLE_MANAGE = "role.manage"  # grant and revoke roles (only those in GRANTABLE)
    ACCOUNT_MANAGE = "account.manage"  # create accounts, reset passwords, deactivate
    ACCOUNT_UNLOCK = "account.unlock"  # lift login lockouts
    AUDIT_VIEW = "audit.view"  # read the audit log
    MEMBER_VIEW = "member.view"  # see member records (masked)
    MEMBER_SENSITIVE = "member.sensitive"  # see unmasked ID and phone numbers (audited)
    MEMBER_MANAGE = "member.manage"  # create and change member records, transfers, roster import
    DEVELOPMENT_MANAGE = "development.manage"  # record development steps, votes, sponsors (view: member.view)
    POINTS_VIEW = "points.view"  # see members' points ledgers and rankings
    POINTS_MANAGE = "points.manage"  # award/deduct by hand, approve claims, resolve appeals, reverse, publish
    POINTS_RULES = "points.rules"  # edit the points catalogue and the ranking/publication switches
    ORGLIFE_VIEW = "orglife.view"  # see meetings, attendance, minutes, compliance, reviews
    ORGLIFE_MANAGE = "orglife.manage"  # plan, notify, record meetings and votes; run 民主评议; requirements
    TALK_VIEW = "talk.view"  # read everyone's 谈心谈话 notes (the parties always read their own)


P = Perm
ROLE_PERMS: dict[str, frozenset[Perm]] = {
    # 三员分立: the system admin runs accounts and structure but cannot read the audit log;
    # the security officer grants the three system roles and unlocks accounts; the auditor only reads.
    Role.SYSADMIN: frozenset({P.ORG_VIEW, P.ORG_MANAGE, P.COMMITTEE_MANAGE, P.ROLE_MANAGE, P.ACCOUNT_MANAGE}),
    Role.SECURITY: frozenset({P.ORG_VIEW, P.ROLE_MANAGE, P.ACCOUNT_UNLOCK}),
    Role.AUDITOR: frozenset({P.ORG_VIEW, P.AUDIT_VIEW}),
    Role.ORG_ADMIN: frozenset(
        {
            P.ORG_VIEW,
            P.ORG_MANAGE,
            P.COMMITTEE_MANAGE,
            P.ROLE_MANAGE,
            P.MEMBER_VIEW,
            P.MEMBER_SENSITIVE,
            P.MEMBER_MANAGE,
            P.DEVELOPMENT_MANAGE,
            P.POINTS_VIEW,
            P.POINTS_MANAGE,
            P.POINTS_RULES,
            P.ORGLIFE_VIEW,
            P.ORGLIFE_MANAGE,
        }
    ),
    Role.SECRETARY: frozenset(
        {
            P.ORG_VIEW,
            P.COMMITTEE_MANAGE,
            P.ROLE_MANAGE,
            P.MEMBER_VIEW,
            P.MEMBER_SENSITIVE,
            P.MEMBER_MANAGE,
            P.DEVELOPMENT_MANAGE,
            P.POINTS_VIEW,
            P.POINTS_MANAGE,
            P.POINTS_RULES,
            P.ORGLIFE_VIEW,
            P.ORGLIFE_MANAGE,
            P.TALK_VIEW,
        }
    ),
    # 支委 (e.g. 组织委员) keep the roster and the development files, with masked personal data.
    Role.COMMITTEE: frozenset(
        {
            P.ORG_VIEW,
            P.MEMBER_VIEW,
            P.MEMBER_MANAGE,
            P.DEVELOPMENT_MANAGE,
            P.POINTS_VIEW,
            P.POINTS_MANAGE,
            P.ORGLIFE_VIEW,
            P.ORGLIFE_MANAGE,
        }
    ),
    # 党小组长 hold the group's meetings (their scope is the 党小组).
    Role.GROUP_LEADER: frozenset(
        {P.ORG_VIEW, P.MEMBER_VIEW, P.POINTS_VIEW, P.ORGLIFE_VIEW, P.ORGLIFE_MANAGE}
    ),
    Role.MEMBER: frozenset({P.ORG_VIEW}),
    Role.PUBLIC: frozenset(),
}

_BUSINESS = (Role.ORG_ADMIN, Role.SECRETARY, Role.COMMITTEE, Role.GROUP_LEADER, Role.MEMBER, Role.PUBLIC)
# Which roles a holder of each role may grant (within their scope).
GRANTABLE: dict[str, frozenset[str]] = {
    Role.SYSADMIN: frozenset(_BUSINESS),
    Role.SECURITY: frozenset({Role.SYSADMIN, Role.SECURITY, Role.AUDITOR}),
    Role.ORG_ADMIN: frozenset(_BUSINESS),
    Role.SECRETARY: frozenset({Role.COMMITTEE, Role.GROUP_LEADER, Role.MEMBER, Role.PUBLIC}),
}
SYSTEM_ROLES = frozenset({Role.SYSADMIN, Role.SECURITY, Role.AUDITOR})


def _grants(user) -> list[tuple[str, str]]:
    """(org path, role) of the user's active roles on active orgs, cached on the user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_zhibu_grants", None)
    if cached is None:
        cached = list(
            RoleAssignment.objects.active()
            .filter(user=user, org__status="active")
            .values_list("org__path", "role")
        )
        user._zhibu_grants = cached
    return cached


def clear_cache(user) -> None:
    if hasattr(user, "_zhibu_grants"):
        del user._zhibu_grants


def roots(user, perm: Perm | None = None) -> list[str]:
    """Minimal set of org paths whose subtrees make up the user's scope for `perm` (any role if None)."""
    paths = sorted({p for p, role in _grants(user) if perm is None or perm in ROLE_PERMS[role]})
    minimal: list[str] = []
    for path in paths:
        if not any(path.startswith(kept) for kept in minimal):
            minimal.append(path)
    return minimal


def scope_q(user, perm: Perm | None = Perm.ORG_VIEW, prefix: str = "") -> Q:
    """A Q matching objects whose org (reached by `prefix`, e.g. "org__") is in the user's scope."""
    paths = roots(user, perm)
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for path in paths:
        q |= Q(**{f"{prefix}path__startswith": path})
    return q


def has_perm(user, perm: Perm, org=None) -> bool:
    """Whether the user has `perm` on `org` (or anywhere, when org is None)."""
    for path, role in _grants(user):
        if perm in ROLE_PERMS[role] and (org is None or org.path.startswith(path)):
            return True
    return False


def in_scope(user, org) -> bool:
    """Whether the org is visible to the user at all (any role at or above it)."""
    return any(org.path.startswith(path) for path, _ in _grants(user))


def require(user, perm: Perm, org) -> None:
    """404 when the org is out of the user's scope; 403 when in scope but `perm` is missing.

    `user=None` is the system itself (CLI commands, demo, background jobs) and is always allowed;
    request handlers always pass `request.user`, which is never None.
    """
    if user is None:
        return
    if org is None or not in_scope(user, org):
        raise Http404("未找到该组织，或您无权访问")
    if not has_perm(user, perm, org):
        raise PermissionDenied("您没有执行此操作的权限")


def grantable_roles(user, org) -> list[str]:
    """Roles the user may grant on `org` (needs role.manage there)."""
    allowed: set[str] = set()
    for path, role in _grants(user):
        if org.path.startswith(path) and Perm.ROLE_MANAGE in ROLE_PERMS[role]:
            allowed |= GRANTABLE.get(role, frozenset())
    return [r for r in Role.values if r in allowed]


def grantable_anywhere(user) -> list[str]:
    """Roles the user may grant on at least one org."""
    allowed: set[str] = set()
    for _, role in _grants(user):
        if Perm.ROLE_MANAGE in ROLE_PERMS[role]:
            allowed |= GRANTABLE.get(role, frozenset())
    return [r for r in Role.values if r in allowed]


def can_see_sensitive(user, org) -> bool:
    """Unmasked ID/phone numbers: roles configured in ZHIBU_UNMASKED_ROLES that hold member.sensitive."""
    from django.conf import settings

    unmasked = set(settings.ZHIBU_UNMASKED_ROLES)
    return any(
        org.path.startswith(path) and role in unmasked and Perm.MEMBER_SENSITIVE in ROLE_PERMS[role]
        for path, role in _grants(user)
    )
