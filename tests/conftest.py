"""Shared fixtures: a small org tree, one user per role, logged-in clients."""

from types import SimpleNamespace

import pytest
from django.test import Client

from tests.factories import UserFactory, grant, make_org
from zhibu.accounts.models import Role


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Django's default PBKDF2 is deliberately slow; tests check behaviour, not hashing cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # With DEBUG off the manifest storage needs `collectstatic` first; tests render pages without it
    # (WhiteNoise still serves the vendored files through the finders).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def tree(db):
    """根党委 R → 党总支 G → 党支部 A (小组 A1, A2) and 党支部 B (小组 B1)."""
    root = make_org(None, "committee", name="某集团党委", code="R", sector="enterprise")
    general = make_org(root, "general_branch", name="机关党总支", code="R-G")
    a = make_org(general, "branch", name="第一党支部", code="R-G-A")
    b = make_org(general, "branch", name="第二党支部", code="R-G-B")
    a1 = make_org(a, "group", name="第一党小组", code="R-G-A-1")
    a2 = make_org(a, "group", name="第二党小组", code="R-G-A-2")
    b1 = make_org(b, "group", name="第三党小组", code="R-G-B-1")
    for org in (root, general, a, b):
        org.refresh_from_db()
    return SimpleNamespace(root=root, general=general, a=a, b=b, a1=a1, a2=a2, b1=b1)


@pytest.fixture
def users(tree):
    """One account per role; system roles and the org admin at the root, officers in the branches."""

    def make(username, org, role, real_name):
        user = UserFactory(username=username, real_name=real_name)
        grant(user, org, role)
        return user

    return SimpleNamespace(
        sysadmin=make("sysadmin", tree.root, Role.SYSADMIN, "系统管理员"),
        security=make("security", tree.root, Role.SECURITY, "安全保密员"),
        auditor=make("auditor", tree.root, Role.AUDITOR, "审计员"),
        org_admin=make("orgadmin", tree.root, Role.ORG_ADMIN, "组织部干事"),
        sec_a=make("sec_a", tree.a, Role.SECRETARY, "甲书记"),
        sec_b=make("sec_b", tree.b, Role.SECRETARY, "乙书记"),
        committee_a=make("committee_a", tree.a, Role.COMMITTEE, "甲支委"),
        leader_a1=make("leader_a1", tree.a1, Role.GROUP_LEADER, "甲组长"),
        member_a=make("member_a", tree.a, Role.MEMBER, "甲党员"),
        nobody=UserFactory(username="nobody", real_name="无角色"),
    )


@pytest.fixture
def client_for(db):
    """client_for(user) -> a test Client logged in as that user (session auth)."""

    def make(user, **kwargs):
        client = Client(**kwargs)
        client.force_login(user)
        return client

    return make
