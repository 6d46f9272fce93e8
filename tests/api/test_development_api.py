"""发展党员 API: list/create/detail with timeline, steps (warnings → 400, retry with accept_warnings),
people, votes, extension, stop, thought reports, the rule check, the rule set; scope."""

import datetime as dt
import json

import pytest

from tests.development.factories import make_case, schedule
from tests.factories import MemberFactory, UserFactory, make_id_number
from zhibu.core.models import AuditAction, AuditLog
from zhibu.development.models import Case, StepRecord

pytestmark = pytest.mark.django_db

BASE = "/api/v1/development"
NOT_FOUND = {"detail": "未找到，或您无权访问"}


def send(client, method, url, data=None):
    return getattr(client, method)(url, json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def sec_a(users, client_for):
    return client_for(users.sec_a)


@pytest.fixture
def cases(tree):
    return {
        "applicant": make_case(tree.a, 1, name="王申请", applied_on=dt.date(2024, 1, 5)),
        "probationary": make_case(tree.a, 20, name="赵预备"),
        "b": make_case(tree.b, 3, name="钱积极"),
    }


def test_list_cases_with_filters(tree, users, cases, sec_a, client_for):
    rows = sec_a.get(f"{BASE}/cases").json()
    assert {r["name"] for r in rows} == {"王申请", "赵预备"}
    row = next(r for r in rows if r["name"] == "王申请")
    assert row["next_step"]["number"] == 2
    assert row["nearest_deadline"]["code"] == "talk" and row["nearest_deadline"]["state"] == "overdue"
    assert row["overdue"] is True
    assert "*" in row["id_number"]
    admin = client_for(users.org_admin)
    assert {r["name"] for r in admin.get(f"{BASE}/cases?org_id={tree.b.pk}").json()} == {"钱积极"}
    assert {r["name"] for r in admin.get(f"{BASE}/cases?stage=5").json()} == {"赵预备"}
    assert {r["name"] for r in admin.get(f"{BASE}/cases?q=申请").json()} == {"王申请"}
    assert sec_a.get(f"{BASE}/cases?org_id={tree.b.pk}").status_code == 404
    assert client_for(users.member_a).get(f"{BASE}/cases").json() == []


def test_create_case_derives_birth_and_gender_from_the_id_number(tree, users, sec_a):
    person = UserFactory(username="xiaoming")
    id_number = make_id_number(dt.date(2000, 2, 29), male=False)
    response = send(
        sec_a,
        "post",
        f"{BASE}/cases",
        {
            "org_id": tree.a.pk,
            "name": "小明",
            "applied_on": "2024-03-01",
            "id_number": id_number,
            "user_id": person.pk,
            "group_id": tree.a1.pk,
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["birth_date"] == "2000-02-29" and body["gender"] == "female"
    assert body["last_step"] == 1 and body["user_id"] == person.pk and body["group_id"] == tree.a1.pk
    assert body["timeline"][0]["title"] == "第1步 递交入党申请书"
    assert body["id_number"] != id_number  # masked by default
    # a minor is a blocking error, another branch is 404
    minor = send(
        sec_a,
        "post",
        f"{BASE}/cases",
        {
            "org_id": tree.a.pk,
            "name": "小红",
            "applied_on": "2024-03-01",
            "gender": "female",
            "birth_date": "2010-01-01",
        },
    )
    assert minor.status_code == 400 and "18周岁" in minor.json()["detail"]
    other = send(
        sec_a,
        "post",
        f"{BASE}/cases",
        {
            "org_id": tree.b.pk,
            "name": "外人",
            "applied_on": "2024-03-01",
            "gender": "male",
            "birth_date": "2000-01-01",
        },
    )
    assert other.status_code == 404
    missing = send(
        sec_a, "post", f"{BASE}/cases", {"org_id": tree.a.pk, "name": "无名", "applied_on": "2024-03-01"}
    )
    assert missing.status_code == 400 and "birth_date" in missing.json()["errors"]


def test_detail_has_timeline_people_votes_and_unmasking_is_audited(users, cases, sec_a, client_for):
    case = cases["probationary"]
    body = sec_a.get(f"{BASE}/cases/{case.pk}").json()
    assert body["stage"] == 5 and body["last_step"] == 20
    assert [r["step"]["number"] for r in body["records"]] == list(range(1, 21))
    assert {p["role"] for p in body["participants"]} == {"mentor", "sponsor"}
    (vote,) = body["votes"]
    assert vote["kind"] == "admission" and vote["passed"] and "应到10人" in vote["message"]
    assert any(d["code"] == "probation_end" for d in body["deadlines"])
    assert body["timeline"] and body["timeline"] == sorted(body["timeline"], key=lambda e: e["on"])
    assert body["id_number"] != case.id_number
    assert not AuditLog.objects.filter(action=AuditAction.VIEW_SENSITIVE).exists()
    shown = sec_a.get(f"{BASE}/cases/{case.pk}?unmasked=true").json()
    assert shown["id_number"] == case.id_number
    assert AuditLog.objects.filter(action=AuditAction.VIEW_SENSITIVE, object_id=str(case.pk)).count() == 1
    # a 支委 has no unmasked view even when asking
    committee = client_for(users.committee_a).get(f"{BASE}/cases/{case.pk}?unmasked=true").json()
    assert committee["id_number"] != case.id_number


def test_step_warning_is_400_then_recorded_with_accept_warnings(cases, sec_a):
    case = cases["applicant"]
    data = {"number": 2, "done_on": "2024-03-01", "note": "谈话"}
    first = send(sec_a, "post", f"{BASE}/cases/{case.pk}/steps", data)
    assert first.status_code == 400
    body = first.json()
    assert list(body["errors"]) == ["accept_warnings"]
    assert "1个月内" in body["errors"]["accept_warnings"][0]
    assert not StepRecord.objects.filter(case=case, step__number=2).exists()
    second = send(sec_a, "post", f"{BASE}/cases/{case.pk}/steps", {**data, "accept_warnings": True})
    assert second.status_code == 201
    assert second.json()["last_step"] == 2
    record = next(r for r in second.json()["records"] if r["step"]["number"] == 2)
    assert "1个月内" in record["warnings"][0]


def test_step_error_is_400_even_with_accept_warnings(cases, sec_a):
    case = cases["applicant"]
    response = send(
        sec_a,
        "post",
        f"{BASE}/cases/{case.pk}/steps",
        {"number": 5, "done_on": "2024-03-01", "accept_warnings": True},
    )
    assert response.status_code == 400
    assert "请先完成" in response.json()["detail"]


def test_people_vote_extension_and_stop(tree, users, sec_a):
    s = schedule()
    case = make_case(tree.a, 14, name="吴表决")
    mentor = MemberFactory(org=tree.a)
    r = send(
        sec_a,
        "post",
        f"{BASE}/cases/{case.pk}/participants",
        {"member_id": mentor.pk, "role": "mentor", "assigned_on": s[14].isoformat()},
    )
    assert r.status_code == 201, r.json()
    pid = next(p["id"] for p in r.json()["participants"] if p["member_id"] == mentor.pk)
    r = send(sec_a, "post", f"{BASE}/cases/{case.pk}/participants/{pid}/end", {"ended_on": s[14].isoformat()})
    assert r.status_code == 200
    assert next(p for p in r.json()["participants"] if p["id"] == pid)["ended_on"] == s[14].isoformat()
    bad = send(
        sec_a,
        "post",
        f"{BASE}/cases/{case.pk}/votes",
        {
            "kind": "admission",
            "held_on": s[15].isoformat(),
            "expected": 10,
            "present": 11,
            "in_favour": 9,
        },
    )
    assert bad.status_code == 400
    vote = send(
        sec_a,
        "post",
        f"{BASE}/cases/{case.pk}/votes",
        {
            "kind": "admission",
            "held_on": s[15].isoformat(),
            "expected": 10,
            "present": 9,
            "in_favour": 8,
            "against": 1,
        },
    )
    assert vote.status_code == 201, vote.json()
    assert vote.json()["admitted_on"] == s[15].isoformat() and vote.json()["last_step"] == 15
    for n in (16, 17):
        assert (
            send(
                sec_a, "post", f"{BASE}/cases/{case.pk}/steps", {"number": n, "done_on": s[n].isoformat()}
            ).status_code
            == 201
        )
    ext = send(
        sec_a,
        "post",
        f"{BASE}/cases/{case.pk}/extension",
        {"months": 3, "decided_on": s[17].isoformat(), "reason": "考察"},
    )
    assert ext.status_code == 400  # 6 to 12 months
    ext = send(
        sec_a,
        "post",
        f"{BASE}/cases/{case.pk}/extension",
        {"months": 6, "decided_on": (s[15] + dt.timedelta(days=360)).isoformat(), "reason": "需继续考察"},
    )
    assert ext.status_code == 200, ext.json()
    assert ext.json()["extension_months"] == 6
    stop = send(
        sec_a,
        "post",
        f"{BASE}/cases/{case.pk}/stop",
        {"reason": "取消预备党员资格", "on": (s[15] + dt.timedelta(days=400)).isoformat()},
    )
    assert stop.status_code == 200, stop.json()
    assert stop.json()["status"] == "cancelled"


def test_thought_reports_by_the_person_and_not_by_others(tree, users, client_for):
    person = UserFactory(username="applicant")
    case = make_case(tree.a, 3, name="王积极", user=person)
    own = send(
        client_for(person),
        "post",
        f"{BASE}/cases/{case.pk}/thought-reports",
        {"title": "季度汇报", "content": "学习体会"},
    )
    assert own.status_code == 201, own.json()
    assert case.thought_reports.get().submitted_by == person
    # the person cannot read the officer detail nor write elsewhere
    assert client_for(person).get(f"{BASE}/cases/{case.pk}").status_code == 404
    stranger = send(
        client_for(users.member_a),
        "post",
        f"{BASE}/cases/{case.pk}/thought-reports",
        {"title": "x", "content": "y"},
    )
    assert stranger.status_code == 403
    outsider = send(
        client_for(users.sec_b),
        "post",
        f"{BASE}/cases/{case.pk}/thought-reports",
        {"title": "x", "content": "y"},
    )
    assert outsider.status_code == 404
    empty = send(
        client_for(person), "post", f"{BASE}/cases/{case.pk}/thought-reports", {"title": "", "content": ""}
    )
    assert empty.status_code == 400 and "title" in empty.json()["errors"]


def test_rule_check_returns_deadlines_and_findings(tree, sec_a):
    case = make_case(tree.a, 1, name="晚谈话", applied_on=dt.date(2024, 1, 5))
    body = sec_a.get(f"{BASE}/cases/{case.pk}/check").json()
    assert body["case_id"] == case.pk and body["last_step"] == 1
    assert body["next_step"] == {"number": 2, "code": "talk", "name": "派人谈话", "stage": 1}
    talk = next(d for d in body["deadlines"] if d["code"] == "talk")
    assert talk == {
        "code": "talk",
        "label": talk["label"],
        "due_on": "2024-02-05",
        "done_on": None,
        "state": "overdue",
        "source": talk["source"],
    }
    assert "细则" in talk["source"]
    finding = next(f for f in body["findings"] if "talk" in f["code"])
    assert set(finding) == {"code", "level", "message", "source"}
    assert finding["level"] in ("warning", "error") and finding["message"]


def test_another_branch_case_is_404_everywhere(users, cases, client_for):
    client = client_for(users.sec_b)
    pk = cases["applicant"].pk
    for url in (f"{BASE}/cases/{pk}", f"{BASE}/cases/{pk}/check"):
        response = client.get(url)
        assert response.status_code == 404 and response.json() == NOT_FOUND
    for suffix, data in (
        ("steps", {"number": 2, "done_on": "2024-01-10"}),
        ("participants", {"member_id": 1, "role": "mentor", "assigned_on": "2024-01-10"}),
        (
            "votes",
            {"kind": "admission", "held_on": "2024-01-10", "expected": 1, "present": 1, "in_favour": 1},
        ),
        ("extension", {"months": 6, "decided_on": "2024-01-10", "reason": "x"}),
        ("stop", {"reason": "x", "on": "2024-01-10"}),
    ):
        assert send(client, "post", f"{BASE}/cases/{pk}/{suffix}", data).status_code == 404
    assert client.get(f"{BASE}/cases/987654/check").json() == NOT_FOUND
    # the member role in the same branch: 403 on the check, nothing in the list
    member = client_for(users.member_a)
    assert member.get(f"{BASE}/cases/{pk}/check").status_code == 403
    assert Case.objects.get(pk=pk).status == "active"


def test_rules_endpoint_lists_the_current_rule_set(users, client_for):
    body = client_for(users.member_a).get(f"{BASE}/rules").json()
    assert body["code"] == "cpc-2014"
    assert [s["number"] for s in body["steps"]] == list(range(1, 26))
    assert body["steps"][0]["documents"] == ["入党申请书"]
    assert body["params"]["min_age"] == 18
    assert body["stages"]["5"] == "预备党员的教育考察和转正"
