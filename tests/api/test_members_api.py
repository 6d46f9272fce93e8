"""The members API: roster, detail, create, update, status/group/post, history, stats; scope and masking."""

import datetime as dt
import json

import pytest

from tests.factories import MemberFactory, make_id_number
from zhibu.core.masking import mask_id_number, mask_phone
from zhibu.core.models import AuditAction, AuditLog
from zhibu.members.models import Member, MemberEvent

pytestmark = pytest.mark.django_db
API = "/api/v1/members"


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def person(tree):
    return MemberFactory(
        org=tree.a, group=tree.a1, name="周七", mobile="13912345678", birth_date=dt.date(1988, 8, 8)
    )


@pytest.fixture
def other(tree):
    return MemberFactory(org=tree.b, name="吴八")


def test_schema_lists_the_member_endpoints(client):
    paths = set(client.get("/api/openapi.json").json()["paths"])
    assert {
        "/api/v1/members",
        "/api/v1/members/{member_id}",
        "/api/v1/members/{member_id}/status",
        "/api/v1/members/{member_id}/group",
        "/api/v1/members/{member_id}/post",
        "/api/v1/members/{member_id}/history",
        "/api/v1/members/stats",
    } <= paths


def test_list_is_scoped_and_masked(users, client_for, person, other):
    body = client_for(users.sec_a).get(API).json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["name"] == "周七" and item["group_name"] == "第一党小组"
    assert item["id_number"] == mask_id_number(person.id_number) and item["id_number_masked"]
    assert item["mobile"] == "13912345678" and not item["mobile_masked"]
    item = client_for(users.committee_a).get(API).json()["items"][0]
    assert item["mobile"] == mask_phone("13912345678") and item["mobile_masked"]
    assert client_for(users.org_admin).get(API).json()["count"] == 2


def test_list_filters_and_paging(tree, users, client_for, person):
    MemberFactory(org=tree.a, name="甲二", hardship=True)
    MemberFactory(org=tree.a, name="甲三", status="left")
    client = client_for(users.sec_a)
    assert client.get(f"{API}?flag=hardship").json()["count"] == 1
    assert client.get(f"{API}?status=all").json()["count"] == 3
    assert client.get(f"{API}?group={tree.a1.pk}").json()["count"] == 1
    body = client.get(f"{API}?limit=1&offset=1&sort=-name").json()
    assert body["count"] == 2 and len(body["items"]) == 1 and body["limit"] == 1
    assert client.get(f"{API}?org={tree.b.pk}").status_code == 404


def test_member_role_cannot_list(users, client_for, person):
    response = client_for(users.member_a).get(API)
    assert response.status_code == 403
    assert client_for(users.member_a).get(f"{API}/{person.pk}").status_code == 404


def test_detail_and_audited_unmask(users, client_for, person):
    client = client_for(users.sec_a)
    body = client.get(f"{API}/{person.pk}").json()
    assert body["id_number"] == mask_id_number(person.id_number) and body["age"] is not None
    assert body["party_standing_years"] is not None and body["work_unit"] == ""
    assert not AuditLog.objects.filter(action=AuditAction.VIEW_SENSITIVE).exists()
    body = client.get(f"{API}/{person.pk}?unmask=true").json()
    assert body["id_number"] == person.id_number and not body["id_number_masked"]
    assert AuditLog.objects.filter(action=AuditAction.VIEW_SENSITIVE, actor=users.sec_a).count() == 1
    response = client_for(users.committee_a).get(f"{API}/{person.pk}?unmask=true")
    assert response.status_code == 403
    assert AuditLog.objects.filter(action=AuditAction.VIEW_SENSITIVE).count() == 1


def test_out_of_scope_is_404_everywhere(users, client_for, person):
    client = client_for(users.sec_b)
    assert client.get(f"{API}/{person.pk}").status_code == 404
    assert client.get(f"{API}/{person.pk}/history").status_code == 404
    assert patch(client, f"{API}/{person.pk}", {"work_unit": "x"}).status_code == 404
    assert (
        post(client, f"{API}/{person.pk}/status", {"status": "lost", "on": "2025-01-01"}).status_code == 404
    )
    person.refresh_from_db()
    assert person.status == "normal" and person.work_unit == ""


def test_create(tree, users, client_for):
    number = make_id_number(dt.date(1990, 10, 1), male=False)
    payload = {"org_id": tree.a.pk, "group_id": tree.a2.pk, "name": "陈十", "id_number": number}
    response = post(client_for(users.sec_a), API, payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["gender"] == "female"
        and body["birth_date"] == "1990-10-01"
        and body["group_name"] == "第二党小组"
    )
    assert Member.objects.get(pk=body["id"]).id_number == number


def test_create_errors(tree, users, client_for, other):
    client = client_for(users.sec_a)
    response = post(client, API, {"org_id": tree.a.pk, "name": "重复", "id_number": other.id_number})
    assert response.status_code == 400
    assert "该身份证号已有党员档案" in response.json()["errors"]["id_number"][0]
    response = post(client, API, {"org_id": tree.a.pk, "name": "坏", "id_number": "110105194912310021"})
    assert response.status_code == 400 and response.json()["errors"] == {
        "id_number": ["身份证号校验位错误，请核对"]
    }
    response = post(client, API, {"org_id": tree.a.pk, "name": "无性别"})
    assert response.status_code == 400 and "gender" in response.json()["errors"]
    response = post(client, API, {"org_id": tree.a.pk})
    assert response.status_code == 422 and response.json()["errors"]["name"] == ["必填"]
    assert post(client, API, {"org_id": tree.b.pk, "name": "越权", "gender": "male"}).status_code == 404
    response = post(
        client, API, {"org_id": tree.a.pk, "name": "错组", "gender": "male", "group_id": tree.b1.pk}
    )
    assert response.status_code == 400 and "group" in response.json()["errors"]
    assert not Member.objects.filter(org=tree.a).exists()


def test_patch_changes_only_what_is_sent(users, client_for, person):
    client = client_for(users.sec_a)
    response = patch(client, f"{API}/{person.pk}", {"work_unit": "新单位", "reason": "调动"})
    assert response.status_code == 200
    assert response.json()["work_unit"] == "新单位"
    person.refresh_from_db()
    assert person.mobile == "13912345678"
    event = MemberEvent.objects.get(member=person, kind="info")
    assert event.data == {"work_unit": ["", "新单位"]} and event.reason == "调动"
    response = patch(client, f"{API}/{person.pk}", {"birth_date": "1988-08-09"})
    assert response.status_code == 400 and list(response.json()["errors"]) == ["birth_date"]
    response = patch(client_for(users.leader_a1), f"{API}/{person.pk}", {"work_unit": "x"})
    assert response.status_code == 403


def test_status_group_post_and_history(tree, users, client_for, person):
    client = client_for(users.sec_a)
    response = post(
        client, f"{API}/{person.pk}/status", {"status": "lost", "on": "2025-02-01", "reason": "失联"}
    )
    assert response.status_code == 200 and response.json()["lost_since"] == "2025-02-01"
    response = post(client, f"{API}/{person.pk}/status", {"status": "deceased", "on": "2025-03-01"})
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    response = post(client, f"{API}/{person.pk}/status", {"status": "transferred", "on": "2025-03-01"})
    assert response.status_code == 400
    response = post(client, f"{API}/{person.pk}/group", {"group_id": tree.a2.pk, "on": "2025-03-01"})
    assert response.status_code == 200 and response.json()["group_id"] == tree.a2.pk
    response = post(client, f"{API}/{person.pk}/post", {"party_posts": "组织委员", "on": "2025-04-01"})
    assert response.status_code == 200 and response.json()["party_posts"] == "组织委员"
    history = client.get(f"{API}/{person.pk}/history").json()
    assert [e["kind"] for e in history] == ["post", "group", "status"]
    assert history[0]["recorded_by"] == users.sec_a.display_name
    assert history[2]["data"]["status"] == ["正常", "失联"]


def test_stats(tree, users, client_for, person, other):
    body = client_for(users.org_admin).get(f"{API}/stats").json()
    assert body["total"] == 2
    assert {r["key"]: r["value"] for r in body["gender"]} == {"male": 2, "female": 0}
    assert client_for(users.sec_a).get(f"{API}/stats").json()["total"] == 1
    assert client_for(users.sec_a).get(f"{API}/stats?org={tree.b.pk}").status_code == 404
    assert client_for(users.member_a).get(f"{API}/stats").status_code == 403
