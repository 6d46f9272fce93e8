"""The audit log: append-only (model and database), readable by auditors only, scoped."""

import pytest
from django.db import DatabaseError, connection, transaction

from tests.factories import UserFactory, grant
from zhibu.accounts.models import Role
from zhibu.core import audit
from zhibu.core.models import AppendOnlyError, AuditAction, AuditLog
from zhibu.core.selectors import audit_entries
from zhibu.orgs import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(db):
    return audit.record(None, AuditAction.SECURITY, summary="测试记录", before={"a": 1}, after={"a": 2})


def test_record_defaults(entry):
    assert (entry.actor, entry.actor_name, entry.ip, entry.org_id) == (None, "系统", None, None)
    assert entry.changes == [("a", 1, 2)]


def test_save_of_an_existing_row_raises(entry):
    entry.summary = "改过"
    with pytest.raises(AppendOnlyError):
        entry.save()
    assert AuditLog.objects.get(pk=entry.pk).summary == "测试记录"


def test_delete_raises(entry):
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert AuditLog.objects.filter(pk=entry.pk).exists()


def test_queryset_update_is_refused_by_the_database(entry):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLog.objects.filter(pk=entry.pk).update(summary="改过")
    assert AuditLog.objects.get(pk=entry.pk).summary == "测试记录"


def test_raw_sql_update_is_refused_by_the_database(entry):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditlog SET summary = %s WHERE id = %s", ["改过", entry.pk])
    assert AuditLog.objects.get(pk=entry.pk).summary == "测试记录"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="DELETE is refused by trigger on PostgreSQL only"
)
def test_raw_sql_delete_is_refused_on_postgresql(entry):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditlog WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLog.objects.all().delete()
    assert AuditLog.objects.filter(pk=entry.pk).exists()


def test_changes_lists_only_differences():
    log = AuditLog(before={"name": "甲", "code": "A"}, after={"name": "乙", "code": "A", "new": 1})
    assert log.changes == [("name", "甲", "乙"), ("new", None, 1)]


# --- who reads it --------------------------------------------------------------------------------------


def test_audit_entries_are_scoped_to_the_auditors_orgs(tree, users):
    services.update_org(users.org_admin, tree.a, host_unit="一车间")
    services.update_org(users.org_admin, tree.b, host_unit="二车间")
    audit.record(users.sec_a, AuditAction.LOGIN, users.sec_a)  # tied to no org
    top = set(audit_entries(users.auditor).values_list("org_id", flat=True))
    assert {tree.a.pk, tree.b.pk, None} <= top

    branch_auditor = UserFactory()
    grant(branch_auditor, tree.a, Role.AUDITOR)
    seen = list(audit_entries(branch_auditor))
    assert seen and {e.org_id for e in seen} <= {tree.a.pk, tree.a1.pk, tree.a2.pk}
    for user in (users.sysadmin, users.security, users.org_admin, users.sec_a, users.nobody):
        assert not audit_entries(user).exists()


def test_audit_filters(tree, users):
    services.update_org(users.org_admin, tree.a, host_unit="一车间")
    services.update_org(users.org_admin, tree.b, name="第二党支部（新）")
    assert [e.object_repr for e in audit_entries(users.auditor, text="（新）")] == ["第二党支部（新）"]
    assert all(e.action == "update" for e in audit_entries(users.auditor, action="update"))
    assert audit_entries(users.auditor, action="update").count() == 2


@pytest.mark.parametrize(
    "who,status",
    [
        ("auditor", 200),
        ("sysadmin", 403),
        ("security", 403),
        ("org_admin", 403),
        ("sec_a", 403),
        ("member_a", 403),
    ],
)
def test_audit_page_for_auditors_only(tree, users, client_for, who, status):
    services.update_org(users.org_admin, tree.a, host_unit="一车间")
    entry = AuditLog.objects.latest("id")
    client = client_for(getattr(users, who))
    assert client.get("/audit/").status_code == status
    assert client.get(f"/audit/{entry.pk}/").status_code == status
    if status == 200:
        assert "第一党支部" in client.get("/audit/").content.decode()
        assert client.get("/audit/?action=update&q=第一").status_code == 200


def test_branch_auditor_gets_404_for_another_branchs_entry(tree, users, client_for):
    services.update_org(users.org_admin, tree.b, host_unit="二车间")
    entry_b = AuditLog.objects.latest("id")
    services.update_org(users.org_admin, tree.a, host_unit="一车间")
    entry_a = AuditLog.objects.latest("id")
    branch_auditor = UserFactory()
    grant(branch_auditor, tree.a, Role.AUDITOR)
    client = client_for(branch_auditor)
    assert client.get(f"/audit/{entry_a.pk}/").status_code == 200
    assert client.get(f"/audit/{entry_b.pk}/").status_code == 404
    page = client.get("/audit/").content.decode()
    assert "一车间" in page or "第一党支部" in page
    assert "第二党支部" not in page
