"""Granting and revoking roles: scope, grantable sets, 三员分立, history."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tests.factories import UserFactory, grant
from zhibu.accounts.models import Role, RoleAssignment
from zhibu.accounts.services import grant_role, revoke_role
from zhibu.core import access
from zhibu.core.errors import ValidationError
from zhibu.core.models import AuditAction, AuditLog

pytestmark = pytest.mark.django_db


def assignments():
    return list(
        RoleAssignment.objects.order_by("pk").values_list("pk", "user_id", "org_id", "role", "revoked_at")
    )


def test_secretary_grants_member_in_own_branch(tree, users):
    person = UserFactory(real_name="王五")
    a = grant_role(users.sec_a, user=person, org=tree.a1, role=Role.MEMBER, position=" 组员 ", note="新转入")
    assert (a.user, a.org, a.role, a.position, a.granted_by, a.is_active) == (
        person,
        tree.a1,
        "member",
        "组员",
        users.sec_a,
        True,
    )
    entry = AuditLog.objects.latest("id")
    assert (entry.action, entry.actor, entry.org_id) == (AuditAction.GRANT, users.sec_a, tree.a1.pk)
    assert entry.after == {"user": person.username, "org": "第一党小组", "role": "member", "position": "组员"}
    assert access.in_scope(person, tree.a1) and not access.in_scope(person, tree.a)


GRANTABLE_CASES = [
    # (granter, org, role, allowed)
    ("sec_a", "a", Role.COMMITTEE, True),
    ("sec_a", "a", Role.GROUP_LEADER, True),
    ("sec_a", "a", Role.PUBLIC, True),
    ("sec_a", "a", Role.SECRETARY, False),
    ("sec_a", "a", Role.ORG_ADMIN, False),
    ("sec_a", "a", Role.SYSADMIN, False),
    ("sec_a", "a", Role.AUDITOR, False),
    ("org_admin", "b", Role.SECRETARY, True),
    ("org_admin", "root", Role.ORG_ADMIN, True),
    ("org_admin", "root", Role.AUDITOR, False),
    ("sysadmin", "a", Role.SECRETARY, True),
    ("sysadmin", "root", Role.ORG_ADMIN, True),
    ("sysadmin", "root", Role.AUDITOR, False),
    ("sysadmin", "root", Role.SECURITY, False),
    ("sysadmin", "root", Role.SYSADMIN, False),
    ("security", "root", Role.AUDITOR, True),
    ("security", "root", Role.SYSADMIN, True),
    ("security", "root", Role.SECURITY, True),
    ("security", "a", Role.SECRETARY, False),
    ("security", "a", Role.MEMBER, False),
]


@pytest.mark.parametrize("granter,org_key,role,allowed", GRANTABLE_CASES)
def test_grantable_sets(tree, users, granter, org_key, role, allowed):
    person = UserFactory()
    actor, org = getattr(users, granter), getattr(tree, org_key)
    assert (role in access.grantable_roles(actor, org)) is allowed
    if allowed:
        assert grant_role(actor, user=person, org=org, role=role).is_active
    else:
        before = assignments()
        with pytest.raises(PermissionDenied) as exc:
            grant_role(actor, user=person, org=org, role=role)
        assert str(exc.value) == f"您不能授予“{Role(role).label}”角色"
        assert assignments() == before


def test_granting_needs_scope_and_role_manage(tree, users):
    person = UserFactory()
    with pytest.raises(Http404):
        grant_role(users.sec_a, user=person, org=tree.b, role=Role.MEMBER)
    with pytest.raises(Http404):
        grant_role(users.sec_a, user=person, org=tree.general, role=Role.MEMBER)
    with pytest.raises(PermissionDenied):
        grant_role(users.committee_a, user=person, org=tree.a, role=Role.MEMBER)
    with pytest.raises(PermissionDenied):
        grant_role(users.auditor, user=person, org=tree.a, role=Role.MEMBER)
    assert not person.roles.exists()


def test_no_self_grant(tree, users):
    with pytest.raises(ValidationError) as exc:
        grant_role(users.org_admin, user=users.org_admin, org=tree.a, role=Role.MEMBER)
    assert exc.value.message_dict == {"user": ["不能给自己授予角色"]}
    with pytest.raises(ValidationError):
        grant_role(users.security, user=users.security, org=tree.root, role=Role.SECURITY)


@pytest.mark.parametrize(
    "holder,role",
    [
        ("sysadmin", Role.AUDITOR),
        ("sysadmin", Role.SECURITY),
        ("auditor", Role.SYSADMIN),
        ("auditor", Role.SECURITY),
    ],
)
def test_three_system_roles_are_not_combined(tree, users, holder, role):
    before = assignments()
    with pytest.raises(ValidationError) as exc:
        grant_role(users.security, user=getattr(users, holder), org=tree.root, role=role)
    assert exc.value.message_dict == {"role": ["系统管理员、安全保密员、审计员三员分立，不得由同一人兼任"]}
    assert assignments() == before


def test_same_system_role_on_another_org_is_fine(tree, users):
    assert grant_role(users.security, user=users.sysadmin, org=tree.a, role=Role.SYSADMIN).is_active


@pytest.mark.parametrize("role", [Role.MEMBER, Role.SECRETARY, Role.ORG_ADMIN, Role.PUBLIC])
def test_auditor_gets_no_business_roles(tree, users, role):
    before = assignments()
    with pytest.raises(ValidationError) as exc:
        grant_role(users.org_admin, user=users.auditor, org=tree.a, role=role)
    assert exc.value.message_dict == {"role": ["审计员不得兼任业务角色"]}
    assert assignments() == before


def test_business_role_holder_cannot_become_auditor(tree, users):
    before = assignments()
    with pytest.raises(ValidationError) as exc:
        grant_role(users.security, user=users.member_a, org=tree.root, role=Role.AUDITOR)
    assert "审计员不得兼任业务角色" in exc.value.messages[0]
    assert assignments() == before
    assert not access.has_perm(users.member_a, access.Perm.AUDIT_VIEW)


def test_duplicate_active_grant_refused(tree, users):
    person = UserFactory(real_name="赵六")
    grant_role(users.sec_a, user=person, org=tree.a, role=Role.MEMBER)
    before = assignments()
    with pytest.raises(ValidationError) as exc:
        grant_role(users.sec_a, user=person, org=tree.a, role=Role.MEMBER)
    assert exc.value.message_dict == {"role": ["赵六已在“第一党支部”担任党员"]}
    assert assignments() == before
    # the same role elsewhere, or another role here, is fine
    grant_role(users.sec_a, user=person, org=tree.a1, role=Role.MEMBER)
    grant_role(users.sec_a, user=person, org=tree.a, role=Role.COMMITTEE)


def test_inactive_account_cannot_get_roles(tree, users):
    person = UserFactory(is_active=False)
    with pytest.raises(ValidationError, match="该账户已停用"):
        grant_role(users.sec_a, user=person, org=tree.a, role=Role.MEMBER)


def test_unknown_role_refused(tree, users):
    with pytest.raises(ValidationError, match="角色无效"):
        grant_role(users.org_admin, user=UserFactory(), org=tree.a, role="king")


def test_revoke_keeps_history_and_allows_regrant(tree, users):
    person = UserFactory()
    assignment = grant_role(users.sec_a, user=person, org=tree.a, role=Role.MEMBER)
    revoked = revoke_role(users.sec_a, assignment)
    assert revoked.revoked_at is not None and revoked.revoked_by == users.sec_a
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()  # kept as history
    assert not RoleAssignment.objects.active().filter(user=person).exists()
    entry = AuditLog.objects.latest("id")
    assert (entry.action, entry.org_id) == (AuditAction.REVOKE, tree.a.pk)
    assert entry.before == {"user": person.username, "org": "第一党支部", "role": "member"}
    access.clear_cache(person)
    assert not access.in_scope(person, tree.a)

    with pytest.raises(ValidationError, match="该角色已经撤销"):
        revoke_role(users.sec_a, assignment)
    again = grant_role(users.sec_a, user=person, org=tree.a, role=Role.MEMBER)
    assert again.pk != assignment.pk
    assert RoleAssignment.objects.filter(user=person).count() == 2


def test_revoke_rules(tree, users):
    sec_a_role = RoleAssignment.objects.get(user=users.sec_a)
    org_admin_role = RoleAssignment.objects.get(user=users.org_admin)
    sec_b_role = RoleAssignment.objects.get(user=users.sec_b)
    with pytest.raises(PermissionDenied):  # a secretary cannot revoke a secretary (not grantable)
        revoke_role(users.sec_a, sec_a_role)
    with pytest.raises(Http404):  # out of scope
        revoke_role(users.sec_a, sec_b_role)
    with pytest.raises(Http404):
        revoke_role(users.sec_a, org_admin_role)
    with pytest.raises(ValidationError, match="不能撤销自己的角色"):
        revoke_role(users.org_admin, org_admin_role)
    with pytest.raises(PermissionDenied):  # 三员: the admin cannot remove the auditor
        revoke_role(users.sysadmin, RoleAssignment.objects.get(user=users.auditor))
    assert RoleAssignment.objects.active().count() == RoleAssignment.objects.count()
    revoke_role(users.org_admin, sec_b_role)
    assert not RoleAssignment.objects.get(pk=sec_b_role.pk).is_active


def test_access_helpers(tree, users):
    P = access.Perm
    assert access.roots(users.org_admin) == [tree.root.path]
    assert access.roots(users.sec_a, P.ROLE_MANAGE) == [tree.a.path]
    assert access.roots(users.sec_a, P.ORG_MANAGE) == []
    both = UserFactory()
    grant(both, tree.a, Role.MEMBER)
    grant(both, tree.a1, Role.GROUP_LEADER)
    grant(both, tree.b1, Role.GROUP_LEADER)
    assert access.roots(both) == sorted([tree.a.path, tree.b1.path])
    assert access.has_perm(users.auditor, P.AUDIT_VIEW) and not access.has_perm(users.sysadmin, P.AUDIT_VIEW)
    assert not access.has_perm(users.auditor, P.ORG_MANAGE)
    assert access.has_perm(users.sec_a, P.COMMITTEE_MANAGE, tree.a1)
    assert not access.has_perm(users.sec_a, P.COMMITTEE_MANAGE, tree.b)
    assert access.can_see_sensitive(users.sec_a, tree.a) and not access.can_see_sensitive(users.sec_a, tree.b)
    assert not access.can_see_sensitive(users.committee_a, tree.a)
    assert not access.can_see_sensitive(users.sysadmin, tree.a)
    assert access.grantable_anywhere(users.member_a) == []
    # an inactive account has no scope at all
    users.sec_a.is_active = False
    access.clear_cache(users.sec_a)
    assert access.roots(users.sec_a) == [] and not access.in_scope(users.sec_a, tree.a)
