"""Scope in the API: another branch's objects answer 404, missing permissions in scope 403."""

import datetime as dt
import json

import pytest

from tests.factories import MemberFactory
from zhibu.accounts.models import RoleAssignment
from zhibu.orgs import services
from zhibu.orgs.models import CommitteeTerm, Organization

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "未找到，或您无权访问"}


def send(client, method, url, data=None):
    return getattr(client, method)(url, json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def sec_a(users, client_for):
    return client_for(users.sec_a)


def test_org_list_holds_only_own_branch_and_groups(tree, sec_a):
    rows = sec_a.get("/api/v1/orgs").json()
    assert {r["id"] for r in rows} == {tree.a.pk, tree.a1.pk, tree.a2.pk}
    assert sec_a.get("/api/v1/orgs?q=R-G-B").json() == []
    assert sec_a.get("/api/v1/orgs?org_type=group").json()[0]["id"] in {tree.a1.pk, tree.a2.pk}


def test_parent_outside_scope_is_not_revealed(tree, sec_a):
    rows = {r["id"]: r for r in sec_a.get("/api/v1/orgs").json()}
    assert rows[tree.a.pk]["parent_id"] is None  # the general branch above A is out of scope
    assert rows[tree.a1.pk]["parent_id"] == tree.a.pk
    assert sec_a.get(f"/api/v1/orgs/{tree.a.pk}").json()["parent_id"] is None


@pytest.mark.parametrize("org_key", ["b", "b1", "general", "root"])
@pytest.mark.parametrize("suffix", ["", "/committee"])
def test_reading_another_branch_is_404(tree, sec_a, org_key, suffix):
    response = sec_a.get(f"/api/v1/orgs/{getattr(tree, org_key).pk}{suffix}")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_nonexistent_org_looks_the_same_as_another_branch(tree, sec_a):
    assert sec_a.get("/api/v1/orgs/987654").json() == sec_a.get(f"/api/v1/orgs/{tree.b.pk}").json()


WRITES_ON_B = [
    ("patch", "/api/v1/orgs/{b}", {"name": "改名"}),
    ("post", "/api/v1/orgs", {"parent_id": "{b}", "name": "小组", "code": "X-1", "org_type": "group"}),
    ("post", "/api/v1/orgs/{b}/move", {"parent_id": "{a}"}),
    ("post", "/api/v1/orgs/{b1}/move", {"parent_id": "{a}"}),
    ("post", "/api/v1/orgs/{b}/dissolve", {"dissolved_on": "2024-01-01", "reason": "合并"}),
    ("delete", "/api/v1/orgs/{b1}", None),
    ("post", "/api/v1/orgs/{b}/committee/terms", {"started_on": "2024-01-01"}),
    (
        "post",
        "/api/v1/orgs/{b}/committee/holders",
        {"seat_id": 1, "member_id": 1, "started_on": "2024-01-01"},
    ),
    ("post", "/api/v1/orgs/{b}/committee/holders/1/end", {"ended_on": "2024-01-01", "reason": "x"}),
    ("post", "/api/v1/roles", {"username": "nobody", "org_id": "{b}", "role": "member"}),
]


def _fill(value, tree):
    if isinstance(value, str):
        ids = {"a": tree.a.pk, "b": tree.b.pk, "b1": tree.b1.pk}
        for key, pk in ids.items():
            if value == f"{{{key}}}":
                return pk
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, tree) for k, v in value.items()}
    return value


@pytest.mark.parametrize("method,url,data", WRITES_ON_B)
def test_writing_to_another_branch_is_404_and_changes_nothing(tree, sec_a, method, url, data):
    before = list(Organization.objects.order_by("pk").values())
    response = send(sec_a, method, _fill(url, tree), _fill(data, tree))
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert list(Organization.objects.order_by("pk").values()) == before
    assert not CommitteeTerm.objects.exists()
    assert not RoleAssignment.objects.filter(user__username="nobody").exists()


WRITES_ON_A_WITHOUT_ORG_MANAGE = [
    ("patch", "/api/v1/orgs/{a}", {"name": "改名"}),
    ("post", "/api/v1/orgs", {"parent_id": "{a}", "name": "小组", "code": "X-1", "org_type": "group"}),
    ("post", "/api/v1/orgs/{a2}/move", {"parent_id": "{a}"}),
    ("post", "/api/v1/orgs/{a2}/dissolve", {"dissolved_on": "2024-01-01", "reason": "合并"}),
    ("delete", "/api/v1/orgs/{a2}", None),
]


@pytest.mark.parametrize("method,url,data", WRITES_ON_A_WITHOUT_ORG_MANAGE)
def test_org_management_in_own_scope_is_403(tree, sec_a, method, url, data):
    before = list(Organization.objects.order_by("pk").values())
    ids = {"a": tree.a.pk, "a2": tree.a2.pk}
    url = url.format(**ids)
    if data and data.get("parent_id") == "{a}":
        data = {**data, "parent_id": tree.a.pk}
    response = send(sec_a, method, url, data)
    assert response.status_code == 403
    assert response.json() == {"detail": "您没有执行此操作的权限"}
    assert list(Organization.objects.order_by("pk").values()) == before


def test_secretary_cannot_touch_b_committee_even_with_a_real_seat(tree, users, sec_a):
    term = services.start_term(users.org_admin, tree.b, started_on=dt.date(2024, 1, 1))
    seat = term.seats.first()
    member_b = MemberFactory(org=tree.b)
    url = f"/api/v1/orgs/{tree.b.pk}/committee/holders"
    response = send(
        sec_a, "post", url, {"seat_id": seat.pk, "member_id": member_b.pk, "started_on": "2024-01-02"}
    )
    assert response.status_code == 404
    assert not seat.holdings.exists()
    # nor by pointing at its own org with B's seat
    url = f"/api/v1/orgs/{tree.a.pk}/committee/holders"
    response = send(
        sec_a, "post", url, {"seat_id": seat.pk, "member_id": member_b.pk, "started_on": "2024-01-02"}
    )
    assert response.status_code == 404
    assert not seat.holdings.exists()


def test_roles_from_another_branch_are_invisible(tree, users, sec_a):
    sec_b_role = RoleAssignment.objects.get(user=users.sec_b)
    assert sec_b_role.pk not in {r["id"] for r in sec_a.get("/api/v1/roles").json()}
    assert sec_a.get(f"/api/v1/roles?org_id={tree.b.pk}").status_code == 404
    assert sec_a.delete(f"/api/v1/roles/{sec_b_role.pk}").status_code == 404
    assert RoleAssignment.objects.get(pk=sec_b_role.pk).is_active


def test_org_admin_of_root_sees_and_edits_both(tree, users, client_for):
    client = client_for(users.org_admin)
    assert {r["id"] for r in client.get("/api/v1/orgs").json()} == set(
        Organization.objects.values_list("pk", flat=True)
    )
    for org in (tree.a, tree.b):
        assert client.get(f"/api/v1/orgs/{org.pk}").status_code == 200
        assert client.get(f"/api/v1/orgs/{org.pk}/committee").status_code == 200
    response = send(client, "patch", f"/api/v1/orgs/{tree.b.pk}", {"host_unit": "二车间"})
    assert response.status_code == 200 and response.json()["host_unit"] == "二车间"


def test_members_and_auditor_read_only(tree, users, client_for):
    member = client_for(users.member_a)
    assert member.get(f"/api/v1/orgs/{tree.a.pk}").status_code == 200
    assert member.get(f"/api/v1/orgs/{tree.b.pk}").status_code == 404
    assert member.get("/api/v1/roles").json() == []
    auditor = client_for(users.auditor)
    assert auditor.get(f"/api/v1/orgs/{tree.b.pk}").status_code == 200
    assert send(auditor, "patch", f"/api/v1/orgs/{tree.b.pk}", {"name": "x"}).status_code == 403
    assert (
        send(
            auditor, "post", f"/api/v1/orgs/{tree.b.pk}/committee/terms", {"started_on": "2024-01-01"}
        ).status_code
        == 403
    )
