"""API: /api/v1/transfers — internal transfers, letters, incoming, 流动, 失联, to-dos; scope and errors."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.factories import MemberFactory, make_id_number
from zhibu.core.models import AuditAction, AuditLog
from zhibu.members.models import Member, MemberStatus, Transfer, TransferStatus

pytestmark = pytest.mark.django_db
API = "/api/v1/transfers"


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def today():
    return timezone.localdate().isoformat()


@pytest.fixture
def zhang(tree):
    return MemberFactory(org=tree.a, group=tree.a1, name="张三")


def test_openapi_lists_the_transfer_endpoints(client):
    paths = set(client.get("/api/openapi.json").json()["paths"])
    assert {
        f"{API}",
        f"{API}/todos",
        f"{API}/internal",
        f"{API}/letters",
        f"{API}/incoming",
        f"{API}/{{transfer_id}}",
        f"{API}/{{transfer_id}}/confirm",
        f"{API}/{{transfer_id}}/reject",
        f"{API}/{{transfer_id}}/cancel",
        f"{API}/{{transfer_id}}/receipt",
        f"{API}/{{transfer_id}}/letter.pdf",
        f"{API}/members/{{member_id}}",
        f"{API}/members/{{member_id}}/mobile",
        f"{API}/members/{{member_id}}/lost",
        f"{API}/members/{{member_id}}/follow-ups",
        f"{API}/members/{{member_id}}/found",
    } <= paths


def test_internal_transfer_round_trip(tree, users, zhang, client_for):
    a, b = client_for(users.sec_a), client_for(users.sec_b)
    response = post(
        a,
        f"{API}/internal",
        {"member_id": zhang.pk, "to_org_id": tree.b.pk, "issued_on": today(), "reason": "调动"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["from_org_name"] == "第一党支部"
    assert body["can_send"] and not body["can_receive"] and body["member"]["full_view"]
    tid = body["id"]

    seen = b.get(f"{API}/{tid}").json()
    assert not seen["member"]["full_view"] and seen["can_receive"]
    assert seen["member"]["id_number_masked"].count("*") == 8
    assert b.get(API).json()["pending_in"][0]["id"] == tid
    assert a.get(API).json()["pending_out"][0]["id"] == tid

    assert post(a, f"{API}/{tid}/confirm", {"received_on": today()}).status_code == 404
    assert post(b, f"{API}/{tid}/cancel", {"note": "x"}).status_code == 404
    response = post(b, f"{API}/{tid}/confirm", {"received_on": today(), "group_id": tree.b1.pk})
    assert response.status_code == 200 and response.json()["status"] == "completed"
    zhang.refresh_from_db()
    assert zhang.org == tree.b and zhang.group == tree.b1
    assert b.get(f"{API}/{tid}").json()["member"]["full_view"]
    assert [t["id"] for t in a.get(f"{API}/finished").json()] == [tid]


def test_errors_are_clear(tree, users, zhang, client_for):
    a = client_for(users.sec_a)
    payload = {"member_id": zhang.pk, "to_org_id": tree.b.pk, "issued_on": today(), "reason": "调动"}
    assert post(a, f"{API}/internal", payload).status_code == 201
    again = post(a, f"{API}/internal", payload)
    assert again.status_code == 400
    assert again.json() == {
        "detail": "该党员已有一项正在办理的组织关系转接，请先办结或撤销后再申请",
        "errors": {"member": ["该党员已有一项正在办理的组织关系转接，请先办结或撤销后再申请"]},
    }
    bad = post(a, f"{API}/internal", {"member_id": zhang.pk, "to_org_id": tree.b.pk, "issued_on": "昨天"})
    assert bad.status_code == 422 and "issued_on" in bad.json()["errors"] and "reason" in bad.json()["errors"]
    assert post(a, f"{API}/internal", {**payload, "to_org_id": 999999}).status_code == 404
    other = MemberFactory(org=tree.b)
    assert post(a, f"{API}/internal", {**payload, "member_id": other.pk}).status_code == 404
    assert client_for(users.member_a).get(f"{API}/{Transfer.objects.get().pk}").status_code == 404
    tid = Transfer.objects.get().pk
    reject = post(client_for(users.sec_b), f"{API}/{tid}/reject", {"note": " "})
    assert reject.status_code == 400 and reject.json()["errors"] == {"note": ["请填写退回原因"]}


def test_letters_pdf_and_receipt(tree, users, zhang, client_for):
    a = client_for(users.sec_a)
    response = post(
        a,
        f"{API}/letters",
        {
            "member_id": zhang.pk,
            "external_org": "某市某区委组织部",
            "issued_on": today(),
            "reason": "调往外地",
        },
    )
    assert response.status_code == 201
    letter = response.json()
    assert letter["letter_no"].startswith("ZBRGA") and letter["letter_state"] == "valid"
    pdf = a.get(f"{API}/{letter['id']}/letter.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert AuditLog.objects.filter(action=AuditAction.EXPORT, actor=users.sec_a).count() == 1
    assert client_for(users.sec_b).get(f"{API}/{letter['id']}/letter.pdf").status_code == 404
    assert a.get(f"{API}/{letter['id']}").json()["can_send"]
    done = post(a, f"{API}/{letter['id']}/receipt", {"receipt_on": today()})
    assert done.status_code == 200 and done.json()["status"] == "completed"
    zhang.refresh_from_db()
    assert zhang.status == MemberStatus.TRANSFERRED


def test_pdf_of_an_internal_transfer_is_404(tree, users, zhang, client_for):
    a = client_for(users.sec_a)
    tid = post(
        a,
        f"{API}/internal",
        {"member_id": zhang.pk, "to_org_id": tree.b.pk, "issued_on": today(), "reason": "x"},
    ).json()["id"]
    assert a.get(f"{API}/{tid}/letter.pdf").status_code == 404


def test_incoming(tree, users, client_for):
    b = client_for(users.sec_b)
    number = make_id_number(dt.date(1988, 8, 8))
    payload = {
        "to_org_id": tree.b.pk,
        "letter_no": "外组2025-77",
        "from_external": "外省某党委",
        "received_on": today(),
        "name": "新来的",
        "id_number": number,
    }
    response = post(b, f"{API}/incoming", payload)
    assert response.status_code == 201, response.content
    assert response.json()["direction"] == "in" and response.json()["status"] == "completed"
    member = Member.objects.get(id_number=number)
    assert member.org == tree.b and member.birth_date == dt.date(1988, 8, 8)
    assert post(client_for(users.sec_a), f"{API}/incoming", {**payload, "letter_no": "x2"}).status_code == 404
    wrong = post(b, f"{API}/incoming", {**payload, "letter_no": "x3", "gender": "female"})
    assert wrong.status_code == 400 and wrong.json()["errors"] == {"gender": ["性别与身份证号不一致"]}


def test_mobile_lost_follow_up_found(tree, users, zhang, client_for):
    a = client_for(users.sec_a)
    url = f"{API}/members/{zhang.pk}"
    since = (timezone.localdate() - dt.timedelta(days=200)).isoformat()
    response = post(a, f"{url}/mobile", {"destination": "深圳", "since": since, "certificate_no": "LD-1"})
    assert response.status_code == 200
    state = response.json()
    assert state["status"] == "mobile" and state["mobile"]["transfer_advised"] is True
    assert (
        post(a, f"{url}/follow-ups", {"on": today(), "note": "电话汇报"}).json()["mobile"]["last_report"]
        == today()
    )
    assert post(a, f"{url}/mobile/end", {"on": today(), "note": "返回"}).json()["status"] == "normal"
    recent = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    lost = post(a, f"{url}/lost", {"since": recent, "note": "联系不上"})
    assert lost.status_code == 200 and lost.json()["lost"]["stage"] == "waiting"
    assert post(client_for(users.sec_b), f"{url}/follow-ups", {"on": today(), "note": "x"}).status_code == 404
    assert post(a, f"{url}/found", {"on": today(), "note": "已联系上"}).json()["status"] == "normal"
    assert a.get(url).json()["lost"] is None
    bad = post(a, f"{url}/found", {"on": today(), "note": "x"})
    assert bad.status_code == 400 and bad.json()["detail"] == "张三不是失联党员"


def test_todos_endpoint(tree, users, client_for):
    MemberFactory(org=tree.a, name="老失联", status=MemberStatus.LOST, lost_since=dt.date(2020, 1, 1))
    items = client_for(users.sec_a).get(f"{API}/todos").json()
    assert items[0]["level"] == "danger" and items[0]["kind"] == "lost_suspend"
    assert items[0]["message"].startswith("老失联失联已满6个月（2020-01-01起）")
    assert client_for(users.sec_b).get(f"{API}/todos").json() == []
    assert Transfer.objects.filter(status=TransferStatus.PENDING).count() == 0
