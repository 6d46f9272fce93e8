"""Org tree writes: create, update, move, dissolve, delete — invariants, Chinese errors, audit."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tests.factories import MemberFactory, UserFactory, grant, make_org, members
from zhibu.accounts.models import Role
from zhibu.accounts.services import grant_role
from zhibu.core.errors import ValidationError
from zhibu.core.models import AuditAction, AuditLog
from zhibu.members.models import MemberStatus
from zhibu.orgs import rules, services
from zhibu.orgs.models import CommitteeTerm, Organization, OrgStatus

pytestmark = pytest.mark.django_db

PAST = dt.date(2024, 3, 1)


def messages(exc_info) -> list[str]:
    return exc_info.value.messages


def assert_tree_ok():
    assert all(problem == [] for problem in Organization.objects.find_problems())


def fresh(org):
    return Organization.objects.get(pk=org.pk)


def parent_of(org):
    return Organization.objects.get_parent(fresh(org))


def state():
    """Everything a refused write must leave untouched."""
    return (
        list(
            Organization.objects.order_by("pk").values_list(
                "pk", "path", "depth", "numchild", "status", "code"
            )
        ),
        AuditLog.objects.count(),
    )


# --- create -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "parent_key,org_type",
    [
        ("root", "committee"),
        ("root", "general_branch"),
        ("root", "branch"),
        ("general", "branch"),
        ("a", "group"),
    ],
)
def test_create_under_each_allowed_parent(tree, users, parent_key, org_type):
    parent = getattr(tree, parent_key)
    numchild = fresh(parent).numchild
    before = AuditLog.objects.count()
    org = services.create_org(
        users.org_admin, parent=parent, name="新组织", code="NEW-1", org_type=org_type, founded_on=PAST
    )
    org.refresh_from_db()
    assert parent_of(org) == parent
    assert org.path.startswith(fresh(parent).path)
    assert org.depth == parent.depth + 1
    assert fresh(parent).numchild == numchild + 1
    assert_tree_ok()
    assert AuditLog.objects.count() == before + 1
    entry = AuditLog.objects.latest("id")
    assert entry.action == AuditAction.CREATE
    assert entry.actor == users.org_admin
    assert entry.org_id == org.pk
    assert entry.object_type == "orgs.organization" and entry.object_id == str(org.pk)
    assert entry.before is None
    assert entry.after["code"] == "NEW-1" and entry.after["org_type"] == org_type
    assert entry.after["founded_on"] == "2024-03-01"


def test_create_strips_fields_and_resets_branch_kind_for_non_branches(tree, users):
    org = services.create_org(
        users.org_admin,
        parent=tree.root,
        name="  总支  ",
        code=" G2 ",
        org_type="general_branch",
        branch_kind="joint",
    )
    assert (org.name, org.code, org.branch_kind) == ("总支", "G2", "regular")
    joint = services.create_org(
        users.org_admin,
        parent=tree.general,
        name="联合支部",
        code="J1",
        org_type="branch",
        branch_kind="joint",
    )
    assert joint.branch_kind == "joint"
    assert joint.display_type == "联合党支部"


@pytest.mark.parametrize(
    "parent_key,org_type",
    [
        ("root", "group"),
        ("general", "committee"),
        ("general", "general_branch"),
        ("general", "group"),
        ("a", "committee"),
        ("a", "general_branch"),
        ("a", "branch"),
        ("a1", "group"),
        ("a1", "branch"),
    ],
)
def test_invalid_child_types_are_refused_and_nothing_created(tree, users, parent_key, org_type):
    parent = getattr(tree, parent_key)
    snapshot = state()
    with pytest.raises(ValidationError) as exc:
        services.create_org(users.org_admin, parent=parent, name="错误组织", code="BAD-1", org_type=org_type)
    assert messages(exc) == [rules.child_type_error(parent.org_type, org_type)]
    assert exc.value.message_dict == {"org_type": messages(exc)}
    assert state() == snapshot
    assert not Organization.objects.filter(code="BAD-1").exists()


def test_group_cannot_be_a_root(db):
    with pytest.raises(ValidationError) as exc:
        make_org(None, "group", code="G-ROOT")
    assert messages(exc) == ["党小组不能作为顶层组织"]
    assert not Organization.objects.exists()


def test_roots_only_from_the_system(tree, users):
    with pytest.raises(PermissionDenied):
        services.create_org(users.org_admin, parent=None, name="另一个党委", code="R2", org_type="committee")
    root2 = services.create_org(None, parent=None, name="另一个党委", code="R2", org_type="committee")
    assert root2.depth == 1 and parent_of(root2) is None
    assert AuditLog.objects.latest("id").actor_name == "系统"


@pytest.mark.parametrize("code", ["R-G-A", " R-G-A ", "R"])
def test_duplicate_code_refused(tree, users, code):
    snapshot = state()
    with pytest.raises(ValidationError) as exc:
        services.create_org(users.org_admin, parent=tree.a, name="重复", code=code, org_type="group")
    assert messages(exc) == [f"组织代码“{code.strip()}”已被使用"]
    assert state() == snapshot


@pytest.mark.parametrize(
    "fields,field,message",
    [
        ({"name": "  ", "code": "X1", "org_type": "group"}, "name", "请填写组织名称"),
        ({"name": "小组", "code": "", "org_type": "group"}, "code", "请填写组织代码"),
        ({"name": "小组", "code": "X1", "org_type": "cell"}, "org_type", "组织类型无效"),
        ({"name": "小组", "code": "X1", "org_type": "group", "sector": "mars"}, "sector", "单位类别无效"),
        (
            {"name": "小组", "code": "X1", "org_type": "group", "founded_on": dt.date(2999, 1, 1)},
            "founded_on",
            "成立日期不能晚于今天",
        ),
    ],
)
def test_bad_fields_refused(tree, users, fields, field, message):
    snapshot = state()
    with pytest.raises(ValidationError) as exc:
        services.create_org(users.org_admin, parent=tree.a, **fields)
    assert exc.value.message_dict == {field: [message]}
    assert state() == snapshot


def test_create_needs_org_manage_in_scope(tree, users):
    with pytest.raises(PermissionDenied):  # in scope, no org.manage
        services.create_org(users.sec_a, parent=tree.a, name="小组", code="X1", org_type="group")
    with pytest.raises(Http404):  # out of scope
        services.create_org(users.sec_a, parent=tree.b, name="小组", code="X2", org_type="group")
    with pytest.raises(Http404):
        services.create_org(users.nobody, parent=tree.b, name="小组", code="X3", org_type="group")
    assert not Organization.objects.filter(code__in=["X1", "X2", "X3"]).exists()


def test_create_under_a_dissolved_parent_refused(tree, users):
    services.dissolve_org(users.org_admin, tree.a1, dissolved_on=PAST, reason="合并")
    with pytest.raises(ValidationError) as exc:
        services.create_org(users.org_admin, parent=fresh(tree.a1), name="x", code="X1", org_type="group")
    assert "已撤销" in messages(exc)[0]


def test_sorted_insert_before_existing_siblings_keeps_tree_consistent(tree, users):
    # "R-G-0" sorts before A and B: treebeard shifts their paths; scope and counts must follow
    members(tree.b, 2)
    services.create_org(
        users.org_admin, parent=tree.general, name="第零支部", code="R-G-0", org_type="branch"
    )
    assert_tree_ok()
    b = fresh(tree.b)
    assert fresh(tree.b1).path.startswith(b.path)
    from zhibu.core import access

    assert access.in_scope(users.sec_b, fresh(tree.b1))
    assert not access.in_scope(users.sec_b, fresh(tree.a))


# --- update -----------------------------------------------------------------------------------------


def test_update_records_before_and_after(tree, users):
    services.update_org(users.org_admin, tree.a, name="第一党支部（机关）", host_unit="办公室")
    a = fresh(tree.a)
    assert a.name == "第一党支部（机关）"
    entry = AuditLog.objects.latest("id")
    assert entry.action == AuditAction.UPDATE and entry.org_id == a.pk
    assert entry.before["name"] == "第一党支部" and entry.after["name"] == "第一党支部（机关）"
    assert ("host_unit", "", "办公室") in entry.changes


def test_update_without_change_writes_no_audit(tree, users):
    count = AuditLog.objects.count()
    services.update_org(users.org_admin, tree.a, name="第一党支部")
    assert AuditLog.objects.count() == count


def test_update_duplicate_code_refused(tree, users):
    snapshot = state()
    with pytest.raises(ValidationError) as exc:
        services.update_org(users.org_admin, tree.a, code="R-G-B")
    assert exc.value.message_dict == {"code": ["组织代码“R-G-B”已被使用"]}
    assert state() == snapshot
    services.update_org(users.org_admin, tree.a, code="R-G-A")  # its own code is fine


@pytest.mark.parametrize(
    "org_key,new_type,fragment",
    [
        ("a", "general_branch", "党总支下不能设党总支"),  # its parent is a 总支
        ("general", "group", "党小组只能设在党支部下"),  # under the 党委
        ("root", "group", "党小组不能作为顶层组织"),
        ("a1", "branch", "党支部下不能设党支部"),
    ],
)
def test_type_change_must_fit_parent_and_children(tree, users, org_key, new_type, fragment):
    snapshot = state()
    with pytest.raises(ValidationError) as exc:
        services.update_org(users.org_admin, getattr(tree, org_key), org_type=new_type)
    assert fragment in messages(exc)[0]
    assert state() == snapshot


def test_type_change_refused_when_children_do_not_fit(tree, users):
    branch = make_org(tree.root, "branch", code="R-C")
    make_org(branch, "group", code="R-C-1")
    with pytest.raises(ValidationError) as exc:
        services.update_org(users.org_admin, branch, org_type="general_branch")
    assert messages(exc) == ["现有下级组织与新类型不符：党小组只能设在党支部下"]
    assert fresh(branch).org_type == "branch"


def test_type_change_refused_when_members_are_registered_directly(tree, users):
    branch = make_org(tree.root, "branch", code="R-C")
    MemberFactory(org=branch)
    with pytest.raises(ValidationError) as exc:
        services.update_org(users.org_admin, branch, org_type="general_branch")
    assert messages(exc) == ["该组织下直接登记有党员，只有党支部可以直接管理党员"]
    assert fresh(branch).org_type == "branch"


def test_type_change_that_fits(tree, users):
    branch = make_org(tree.root, "branch", code="R-C", branch_kind="joint")
    services.update_org(users.org_admin, branch, org_type="general_branch")
    branch = fresh(branch)
    assert (branch.org_type, branch.branch_kind) == ("general_branch", "regular")


# --- move -------------------------------------------------------------------------------------------


def test_move_takes_descendants_along(tree, users):
    old_general = fresh(tree.general)
    moved = services.move_org(users.org_admin, tree.b, tree.root)
    root, b, b1 = fresh(tree.root), fresh(tree.b), fresh(tree.b1)
    assert parent_of(moved) == root
    assert b.depth == 2 and b1.depth == 3
    assert b1.path.startswith(b.path) and parent_of(b1) == b
    assert not b.path.startswith(old_general.path)
    assert fresh(tree.general).numchild == old_general.numchild - 1
    assert_tree_ok()
    entry = AuditLog.objects.latest("id")
    assert entry.summary == "调整上级组织"
    assert entry.before == {"parent": "机关党总支", "parent_id": tree.general.pk}
    assert entry.after == {"parent": "某集团党委", "parent_id": tree.root.pk}


def test_move_group_to_another_branch(tree, users):
    services.move_org(users.org_admin, tree.a2, tree.b)
    assert parent_of(fresh(tree.a2)) == fresh(tree.b)
    assert fresh(tree.a).numchild == 1 and fresh(tree.b).numchild == 2
    assert_tree_ok()


@pytest.mark.parametrize(
    "org_key,target_key,message",
    [
        ("general", "a", "不能把组织移到它自己或它的下级组织之下"),
        ("general", "general", "不能把组织移到它自己或它的下级组织之下"),
        ("a", "a1", "不能把组织移到它自己或它的下级组织之下"),
        ("b", "a1", "党小组下不能再设组织"),
        ("a1", "general", "党小组只能设在党支部下"),
        ("a", "b", "党支部下不能设党支部"),
        ("b", "general", "新的上级组织与原上级组织相同"),
        ("root", "a", "顶层组织不能移动"),
    ],
)
def test_invalid_moves_refused_and_nothing_changes(tree, users, org_key, target_key, message):
    snapshot = state()
    with pytest.raises(ValidationError) as exc:
        services.move_org(users.org_admin, getattr(tree, org_key), getattr(tree, target_key))
    assert messages(exc) == [message]
    assert state() == snapshot


def test_move_needs_manage_rights_on_both_ends(tree, users):
    other_root = make_org(None, "committee", code="OTHER")
    with pytest.raises(Http404):
        services.move_org(users.org_admin, tree.b, other_root)
    with pytest.raises(PermissionDenied):
        services.move_org(users.sec_a, tree.a2, tree.a)


def test_scope_follows_a_move(tree, users):
    from zhibu.core import access

    services.move_org(users.org_admin, tree.b1, tree.a)
    access.clear_cache(users.sec_a)
    access.clear_cache(users.sec_b)
    assert access.in_scope(users.sec_a, fresh(tree.b1))
    assert not access.in_scope(users.sec_b, fresh(tree.b1))


# --- dissolve ---------------------------------------------------------------------------------------


def test_dissolve_refused_with_active_children(tree, users):
    snapshot = state()
    with pytest.raises(ValidationError) as exc:
        services.dissolve_org(users.org_admin, tree.a, dissolved_on=PAST, reason="合并")
    assert messages(exc) == ["该组织下还有未撤销的下级组织，请先撤销或调整它们"]
    assert state() == snapshot


def test_dissolve_refused_with_members_on_roll(tree, users):
    for group in (tree.a1, tree.a2):
        services.dissolve_org(users.org_admin, group, dissolved_on=PAST, reason="合并")
    members(tree.a, 2)
    MemberFactory(org=tree.a, status=MemberStatus.LOST)  # still on the roll
    MemberFactory(org=tree.a, status=MemberStatus.TRANSFERRED)  # not on the roll
    with pytest.raises(ValidationError) as exc:
        services.dissolve_org(users.org_admin, tree.a, dissolved_on=PAST, reason="合并")
    assert messages(exc) == ["该组织还有3名党员，请先办理组织关系转接"]
    assert fresh(tree.a).status == OrgStatus.ACTIVE


def test_dissolve_works_and_keeps_history(tree, users):
    MemberFactory(org=tree.a, status=MemberStatus.TRANSFERRED)
    for group in (tree.a1, tree.a2):
        services.dissolve_org(users.org_admin, group, dissolved_on=PAST, reason="合并")
    dissolved = services.dissolve_org(users.org_admin, tree.a, dissolved_on=PAST, reason="  单位撤并  ")
    a = fresh(tree.a)
    assert (a.status, a.dissolved_on, a.dissolved_reason) == ("dissolved", PAST, "单位撤并")
    assert dissolved.pk == a.pk and Organization.objects.filter(pk=a.pk).exists()
    entry = AuditLog.objects.latest("id")
    assert entry.summary == "撤销组织"
    assert entry.before == {"status": "active", "dissolved_on": None, "dissolved_reason": ""}
    assert entry.after == {
        "status": "dissolved",
        "dissolved_on": "2024-03-01",
        "dissolved_reason": "单位撤并",
    }


def test_roles_on_a_dissolved_org_give_no_scope(tree, users):
    from zhibu.core import access

    for group in (tree.a1, tree.a2):
        services.dissolve_org(users.org_admin, group, dissolved_on=PAST, reason="合并")
    services.dissolve_org(users.org_admin, tree.a, dissolved_on=PAST, reason="合并")
    access.clear_cache(users.sec_a)
    assert access.roots(users.sec_a) == []
    assert not access.in_scope(users.sec_a, fresh(tree.a))


@pytest.mark.parametrize(
    "kwargs,field,message",
    [
        ({"dissolved_on": PAST, "reason": "  "}, "reason", "请填写撤销原因"),
        ({"dissolved_on": dt.date(2999, 1, 1), "reason": "合并"}, "dissolved_on", "撤销日期不能晚于今天"),
        (
            {"dissolved_on": dt.date(2019, 12, 31), "reason": "合并"},
            "dissolved_on",
            "撤销日期不能早于成立日期",
        ),
    ],
)
def test_dissolve_bad_input(tree, users, kwargs, field, message):
    services.update_org(users.org_admin, tree.a1, founded_on=dt.date(2020, 1, 1))
    snapshot = state()
    with pytest.raises(ValidationError) as exc:
        services.dissolve_org(users.org_admin, tree.a1, **kwargs)
    assert exc.value.message_dict == {field: [message]}
    assert state() == snapshot


def test_dissolve_twice_and_edit_after_dissolving_refused(tree, users):
    services.dissolve_org(users.org_admin, tree.a1, dissolved_on=PAST, reason="合并")
    with pytest.raises(ValidationError, match="已经撤销"):
        services.dissolve_org(users.org_admin, tree.a1, dissolved_on=PAST, reason="合并")
    with pytest.raises(ValidationError, match="已撤销的组织不能修改"):
        services.update_org(users.org_admin, tree.a1, name="新名")
    with pytest.raises(ValidationError, match="已撤销的组织不能移动"):
        services.move_org(users.org_admin, tree.a1, tree.b)


def test_role_grant_on_a_dissolved_org_refused(tree, users):
    services.dissolve_org(users.org_admin, tree.a1, dissolved_on=PAST, reason="合并")
    person = UserFactory()
    with pytest.raises(ValidationError) as exc:
        grant_role(users.org_admin, user=person, org=fresh(tree.a1), role=Role.MEMBER)
    assert messages(exc) == ["“第一党小组”已撤销，不能在其上分配角色"]
    assert not person.roles.exists()


# --- delete -----------------------------------------------------------------------------------------


def test_delete_empty_fresh_org(tree, users):
    org = services.create_org(users.org_admin, parent=tree.b, name="误建小组", code="OOPS", org_type="group")
    numchild = fresh(tree.b).numchild
    services.delete_org(users.org_admin, org)
    assert not Organization.objects.filter(pk=org.pk).exists()
    assert fresh(tree.b).numchild == numchild - 1
    assert_tree_ok()
    entry = AuditLog.objects.latest("id")
    assert entry.action == AuditAction.DELETE
    assert (entry.object_id, entry.object_repr, entry.org_id) == (str(org.pk), "误建小组", tree.b.pk)
    assert entry.before["code"] == "OOPS" and entry.after is None


def _with_member(tree, users):
    MemberFactory(org=tree.b, group=tree.b1)


def _with_transferred_member(tree, users):
    MemberFactory(org=tree.b1, status=MemberStatus.TRANSFERRED)


def _with_revoked_role(tree, users):
    assignment = grant(UserFactory(), tree.b1, Role.MEMBER)
    from django.utils import timezone

    assignment.revoked_at = timezone.now()
    assignment.save()


def _with_term(tree, users):
    CommitteeTerm.objects.create(org=tree.b1, number=1, started_on=PAST, ends_on=dt.date(2027, 3, 1))


@pytest.mark.parametrize("setup", [_with_member, _with_transferred_member, _with_revoked_role, _with_term])
def test_delete_refused_when_org_has_history(tree, users, setup):
    setup(tree, users)
    snapshot = state()
    with pytest.raises(ValidationError) as exc:
        services.delete_org(users.org_admin, tree.b1)
    assert messages(exc) == ["该组织已有党员、角色或历史记录，不能删除，只能撤销"]
    assert state() == snapshot
    assert_tree_ok()


def test_delete_refused_with_children_and_for_roots(tree, users):
    snapshot = state()
    with pytest.raises(ValidationError, match="该组织下还有下级组织，不能删除"):
        services.delete_org(users.org_admin, tree.a)
    with pytest.raises(ValidationError, match="顶层组织不能删除"):
        services.delete_org(users.org_admin, tree.root)
    assert state() == snapshot


def test_delete_needs_org_manage(tree, users):
    with pytest.raises(PermissionDenied):
        services.delete_org(users.sec_a, tree.a2)
    with pytest.raises(Http404):
        services.delete_org(users.sec_a, tree.b1)
    assert Organization.objects.filter(pk__in=[tree.a2.pk, tree.b1.pk]).count() == 2
