"""The JSON API: schema and docs, authentication, CSRF, Chinese errors, org and committee endpoints."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import MemberFactory
from zhibu.accounts import services as account_services
from zhibu.core.models import AuditLog
from zhibu.members.models import Category
from zhibu.orgs.models import CommitteeTerm, Organization
from zhibu.orgs.rules import term_flag

pytestmark = pytest.mark.django_db


def post(client, url, data, **extra):
    return client.post(url, json.dumps(data), content_type="application/json", **extra)


def patch(client, url, data, **extra):
    return client.patch(url, json.dumps(data), content_type="application/json", **extra)


# --- schema and docs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/openapi.json", "/api/v1/openapi.json"])
def test_openapi_schema_is_served(client, url):
    response = client.get(url)
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/me", "/api/v1/orgs", "/api/v1/orgs/{org_id}", "/api/v1/orgs/{org_id}/committee"} <= set(
        schema["paths"]
    )
    assert schema["info"]["title"] == "Zhibu 支部 API"


def test_docs_page_is_served_without_a_cdn(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    assert "/api/v1/openapi.json" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


# --- authentication ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/me", "/api/v1/orgs", "/api/v1/orgs/1", "/api/v1/roles"])
def test_unauthenticated_gets_401_in_chinese(client, url):
    response = client.get(url)
    assert response.status_code == 401
    assert response.json() == {"detail": "请先登录或提供有效的API令牌"}


def test_session_post_needs_csrf_but_token_does_not(tree, users):
    payload = {"parent_id": tree.a.pk, "name": "第三党小组", "code": "R-G-A-3", "org_type": "group"}
    session = Client(enforce_csrf_checks=True)
    session.force_login(users.org_admin)
    response = post(session, "/api/v1/orgs", payload)
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Organization.objects.filter(code="R-G-A-3").exists()

    session.get("/accounts/me/")  # any page sets the CSRF cookie
    token = session.cookies["csrftoken"].value
    assert post(session, "/api/v1/orgs", payload, HTTP_X_CSRFTOKEN=token).status_code == 201

    _, key = account_services.create_token(users.org_admin, name="脚本")
    bearer = Client(enforce_csrf_checks=True)
    payload.update(code="R-G-A-4", name="第四党小组")
    response = post(bearer, "/api/v1/orgs", payload, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 201
    assert response.json()["code"] == "R-G-A-4"
    assert AuditLog.objects.latest("id").actor == users.org_admin


# --- bad input: Chinese detail, nothing created ----------------------------------------------------------


@pytest.fixture
def admin_api(client_for, users):
    return client_for(users.org_admin)


BAD_CREATES = [
    ({"name": "重复", "code": "R-G-B", "org_type": "group"}, "a", 400, "code", "组织代码“R-G-B”已被使用"),
    ({"name": "小组", "code": "X-1", "org_type": "group"}, "root", 400, "org_type", "党小组只能设在党支部下"),
    ({"name": "支部", "code": "X-1", "org_type": "branch"}, "a", 400, "org_type", "党支部下不能设党支部"),
    ({"name": " ", "code": "X-1", "org_type": "group"}, "a", 400, "name", "请填写组织名称"),
    ({"code": "X-1", "org_type": "group"}, "a", 422, "name", "必填"),
    (
        {"name": "小组", "code": "X-1", "org_type": "group", "founded_on": "2024-13-45"},
        "a",
        422,
        "founded_on",
        "应为日期",
    ),
    ({"name": "小组", "code": "X-1", "org_type": "cell"}, "a", 422, "org_type", "取值无效"),
    (
        {"name": "小组", "code": "X-1", "org_type": "group", "founded_on": "2999-01-01"},
        "a",
        400,
        "founded_on",
        "成立日期不能晚于今天",
    ),
]


@pytest.mark.parametrize("data,parent_key,status,field,message", BAD_CREATES)
def test_bad_create_input(tree, admin_api, data, parent_key, status, field, message):
    before = (Organization.objects.count(), AuditLog.objects.count())
    response = post(admin_api, "/api/v1/orgs", {"parent_id": getattr(tree, parent_key).pk, **data})
    assert response.status_code == status
    body = response.json()
    assert message in body["detail"]
    assert any(message in m for m in body["errors"][field])
    assert (Organization.objects.count(), AuditLog.objects.count()) == before


def test_422_detail_is_chinese(tree, admin_api):
    response = post(admin_api, "/api/v1/orgs", {"parent_id": "abc"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("请求数据有误：")
    assert "应为整数" in detail and "必填" in detail


def test_create_update_move_dissolve_delete(tree, admin_api):
    response = post(
        admin_api,
        "/api/v1/orgs",
        {
            "parent_id": tree.general.pk,
            "name": "第三党支部",
            "code": "R-G-C",
            "org_type": "branch",
            "founded_on": "2024-01-01",
        },
    )
    assert response.status_code == 201
    body = response.json()
    new_id = body["id"]
    assert (body["parent_id"], body["type_name"], body["founded_on"], body["member_count"]) == (
        tree.general.pk,
        "党支部",
        "2024-01-01",
        0,
    )
    assert any("不足3人" in a["message"] for a in body["advice"])

    response = patch(admin_api, f"/api/v1/orgs/{new_id}", {"short_name": "三支部", "branch_kind": "joint"})
    assert response.status_code == 200
    assert (response.json()["short_name"], response.json()["type_name"]) == ("三支部", "联合党支部")

    response = post(admin_api, f"/api/v1/orgs/{new_id}/move", {"parent_id": tree.root.pk})
    assert response.status_code == 200 and response.json()["parent_id"] == tree.root.pk
    response = post(admin_api, f"/api/v1/orgs/{new_id}/move", {"parent_id": tree.a1.pk})
    assert response.status_code == 400 and response.json()["detail"] == "党小组下不能再设组织"

    response = post(
        admin_api, f"/api/v1/orgs/{new_id}/dissolve", {"dissolved_on": "2024-06-01", "reason": "合并"}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["advice"]) == ("dissolved", [])

    fresh = post(
        admin_api,
        "/api/v1/orgs",
        {"parent_id": tree.b.pk, "name": "误建", "code": "OOPS", "org_type": "group"},
    )
    oops = fresh.json()["id"]
    assert admin_api.delete(f"/api/v1/orgs/{oops}").status_code == 204
    assert not Organization.objects.filter(pk=oops).exists()
    MemberFactory(org=tree.b, group=tree.b1)
    response = admin_api.delete(f"/api/v1/orgs/{tree.b1.pk}")
    assert response.status_code == 400
    assert response.json()["detail"] == "该组织已有党员、角色或历史记录，不能删除，只能撤销"


def test_org_list_and_detail(tree, users, client_for):
    MemberFactory(org=tree.a, group=tree.a1)
    MemberFactory(org=tree.b, category=Category.PROBATIONARY)
    client = client_for(users.org_admin)
    rows = client.get("/api/v1/orgs").json()
    assert [r["code"] for r in rows] == ["R", "R-G", "R-G-A", "R-G-A-1", "R-G-A-2", "R-G-B", "R-G-B-1"]
    parents = {r["code"]: r["parent_id"] for r in rows}
    assert parents["R"] is None and parents["R-G-A-1"] == tree.a.pk
    assert [r["code"] for r in client.get("/api/v1/orgs?org_type=group").json()] == [
        "R-G-A-1",
        "R-G-A-2",
        "R-G-B-1",
    ]
    assert [r["code"] for r in client.get("/api/v1/orgs?q=R-G-B").json()] == ["R-G-B", "R-G-B-1"]

    detail = client.get(f"/api/v1/orgs/{tree.general.pk}").json()
    assert (detail["member_count"], detail["full_member_count"]) == (2, 1)
    assert {c["code"]: (c["member_count"], c["full_member_count"]) for c in detail["children"]} == {
        "R-G-A": (1, 1),
        "R-G-B": (1, 0),
    }
    assert detail["committee"] == {
        "term_id": None,
        "number": None,
        "kind": None,
        "started_on": None,
        "ends_on": None,
        "flag": "none",
        "days_left": None,
        "seats": [],
    }


def test_committee_endpoints(tree, users, client_for):
    client = client_for(users.sec_a)
    base = f"/api/v1/orgs/{tree.a.pk}/committee"
    response = post(client, f"{base}/terms", {"started_on": "2024-02-29"})
    assert response.status_code == 201
    committee = response.json()
    assert (committee["number"], committee["ends_on"]) == (1, "2027-02-28")
    assert committee["flag"] == term_flag(dt.date(2027, 2, 28), timezone.localdate())
    assert committee["days_left"] == (dt.date(2027, 2, 28) - timezone.localdate()).days
    assert [s["position"] for s in committee["seats"]] == [
        "secretary",
        "organization",
        "publicity",
        "discipline",
    ]
    assert all(s["holder"] is None and s["vacant_since"] == "2024-02-29" for s in committee["seats"])

    bad = post(client, f"{base}/terms", {"started_on": "2024-03-01", "ends_on": "2024-03-01"})
    assert bad.status_code == 400
    assert bad.json() == {
        "detail": "任期届满日期必须晚于任期开始日期",
        "errors": {"ends_on": ["任期届满日期必须晚于任期开始日期"]},
    }
    assert CommitteeTerm.objects.filter(org=tree.a).count() == 1

    seat_id = committee["seats"][0]["id"]
    member = MemberFactory(org=tree.a, name="李书记")
    prob = MemberFactory(org=tree.a, category=Category.PROBATIONARY)
    outsider = MemberFactory(org=tree.b)
    response = post(
        client, f"{base}/holders", {"seat_id": seat_id, "member_id": prob.pk, "started_on": "2024-03-01"}
    )
    assert response.status_code == 400 and response.json()["detail"] == "预备党员不能担任委员会职务"
    response = post(
        client, f"{base}/holders", {"seat_id": seat_id, "member_id": outsider.pk, "started_on": "2024-03-01"}
    )
    assert response.status_code == 404  # a member of another branch is not even found
    response = post(
        client, f"{base}/holders", {"seat_id": seat_id, "member_id": member.pk, "started_on": "2024-03-01"}
    )
    assert response.status_code == 201
    seat = response.json()["seats"][0]
    assert seat["holder"]["name"] == "李书记" and seat["vacant_since"] is None

    holding_id = seat["holder"]["holding_id"]
    response = post(client, f"{base}/holders/{holding_id}/end", {"ended_on": "2024-05-01", "reason": "调离"})
    assert response.status_code == 200
    seat = response.json()["seats"][0]
    assert seat["holder"] is None and seat["vacant_since"] == "2024-05-01"
    assert client.get(base).json()["seats"][0]["vacant_since"] == "2024-05-01"

    # the branch committee member may look but not change
    viewer = client_for(users.committee_a)
    assert viewer.get(base).status_code == 200
    assert post(viewer, f"{base}/terms", {"started_on": "2024-03-01"}).status_code == 403


def test_roles_api(tree, users, client_for):
    client = client_for(users.sec_a)
    rows = client.get("/api/v1/roles").json()
    assert {r["username"] for r in rows} == {"sec_a", "committee_a", "leader_a1", "member_a"}
    response = post(client, "/api/v1/roles", {"username": "nobody", "org_id": tree.a1.pk, "role": "member"})
    assert response.status_code == 201
    assert (response.json()["org_name"], response.json()["role_name"]) == ("第一党小组", "党员")
    response = post(client, "/api/v1/roles", {"username": "nobody", "org_id": tree.a.pk, "role": "org_admin"})
    assert response.status_code == 403 and response.json()["detail"] == "您不能授予“组织管理员”角色"
    response = post(client, "/api/v1/roles", {"username": "ghost", "org_id": tree.a.pk, "role": "member"})
    assert response.status_code == 400 and response.json()["errors"] == {"username": ["找不到该用户"]}
    response = post(client, "/api/v1/roles", {"username": "nobody", "org_id": tree.a.pk, "role": "king"})
    assert response.status_code == 422

    granted = next(r for r in client.get("/api/v1/roles").json() if r["username"] == "nobody")
    response = client.delete(f"/api/v1/roles/{granted['id']}")
    assert response.status_code == 200 and response.json()["revoked_at"]
    assert client.get("/api/v1/roles?include_revoked=true").status_code == 200


def test_me_for_each_role(users, client_for):
    perms = {}
    for name in ("sysadmin", "security", "auditor", "member_a", "nobody"):
        perms[name] = set(client_for(getattr(users, name)).get("/api/v1/me").json()["permissions"])
    assert "audit.view" in perms["auditor"] and "org.manage" not in perms["auditor"]
    assert "audit.view" not in perms["sysadmin"] and "account.manage" in perms["sysadmin"]
    assert perms["security"] == {"org.view", "role.manage", "account.unlock"}
    assert perms["member_a"] == {"org.view"}
    assert perms["nobody"] == set()
