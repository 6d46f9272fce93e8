"""组织生活 API: meeting types, the meetings list (paged, filtered, scoped), plan/patch/notify/held/complete/
archive/cancel, attendance lists and marks, the member's own check-in (idempotent), minutes, votes,
exclusions, "my meetings"; scope (404 outside, 403 without the permission) and bad input (400/422,
nothing written)."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.orglife.meetings import at, build_roster, hours_from_now, plan
from zhibu.core.models import AuditLog
from zhibu.orglife import services
from zhibu.orglife.models import Attendance, Meeting, MinutesItem, Vote, VoteExclusion
from zhibu.points.models import Entry

pytestmark = pytest.mark.django_db

BASE = "/api/v1/orglife"


def send(client, url, data=None, method="post"):
    return getattr(client, method)(url, json.dumps(data or {}), content_type="application/json")


def written() -> tuple:
    return (
        Meeting.objects.count(),
        Attendance.objects.count(),
        MinutesItem.objects.count(),
        Vote.objects.count(),
        VoteExclusion.objects.count(),
        Entry.objects.count(),
        AuditLog.objects.count(),
    )


def local_text(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def r(tree, users):
    return build_roster(tree, users)


@pytest.fixture
def sec_a(users, client_for):
    return client_for(users.sec_a)


@pytest.fixture
def mine(users, client_for):
    return client_for(users.member_a)


@pytest.fixture
def meeting(tree, r):
    """A 支部党员大会 of A held 3 hours ago, notified."""
    m = plan(tree.a, "branch_meeting", topic="学习贯彻全会精神")
    services.notify(None, m)
    return m


def plan_body(org, **fields):
    start = hours_from_now(48)
    return {
        "org": org.pk,
        "type": "theme_day",
        "topic": "重温入党誓词主题党日",
        "starts_at": local_text(start),
        "ends_at": local_text(start + dt.timedelta(hours=2)),
        "place": "党员活动室",
        **fields,
    }


# --- Schema -------------------------------------------------------------------------------------------------


def test_openapi_lists_the_endpoints_with_chinese_descriptions(client):
    schema = client.get("/api/openapi.json").json()
    paths = set(schema["paths"])
    assert {
        f"{BASE}/meeting-types",
        f"{BASE}/meetings",
        f"{BASE}/meetings/mine",
        f"{BASE}/meetings/{{meeting_id}}",
        f"{BASE}/meetings/{{meeting_id}}/notify",
        f"{BASE}/meetings/{{meeting_id}}/held",
        f"{BASE}/meetings/{{meeting_id}}/complete",
        f"{BASE}/meetings/{{meeting_id}}/archive",
        f"{BASE}/meetings/{{meeting_id}}/cancel",
        f"{BASE}/meetings/{{meeting_id}}/attendance",
        f"{BASE}/checkin",
        f"{BASE}/meetings/{{meeting_id}}/minutes",
        f"{BASE}/meetings/{{meeting_id}}/votes",
        f"{BASE}/meetings/{{meeting_id}}/exclusions",
    } <= paths
    detail = schema["paths"][f"{BASE}/meetings/{{meeting_id}}"]
    assert set(detail) >= {"get", "patch"}
    assert detail["get"]["tags"] == ["组织生活"]
    assert "会议详情" in detail["get"]["summary"]
    props = schema["components"]["schemas"]["MeetingIn"]["properties"]
    assert props["type"]["description"].startswith("会议类型代码")
    assert props["starts_at"]["description"] == "开始时间（未带时区按北京时间）"
    assert "签到码" in schema["components"]["schemas"]["CheckinIn"]["properties"]["token"]["description"]


def test_unauthenticated_is_401(client, meeting):
    assert client.get(f"{BASE}/meetings").status_code == 401
    assert send(client, f"{BASE}/checkin", {"token": meeting.checkin_token}).status_code == 401
    assert not Attendance.objects.exclude(status="pending").exists()


# --- Types --------------------------------------------------------------------------------------------------


def test_meeting_types_of_a_branch_and_a_group(tree, users, r, sec_a, mine, client_for):
    own = mine.get(f"{BASE}/meeting-types").json()  # the member's branch
    codes = [t["code"] for t in own]
    assert codes[:2] == ["branch_meeting", "committee_meeting"] and "group_meeting" not in codes
    first = own[0]
    assert first["name"] == "支部党员大会" and first["attendees_name"] == "支部全体党员"
    assert (
        first["can_vote"] and first["minutes_template"][0] == "传达学习上级精神" and first["org_id"] is None
    )
    group = sec_a.get(f"{BASE}/meeting-types?org={tree.a1.pk}").json()
    assert [t["code"] for t in group] == ["group_meeting"]
    assert mine.get(f"{BASE}/meeting-types?org={tree.a1.pk}").status_code == 200  # their own group
    assert mine.get(f"{BASE}/meeting-types?org={tree.b.pk}").status_code == 404
    assert client_for(users.sec_b).get(f"{BASE}/meeting-types?org={tree.a.pk}").status_code == 404
    assert len(client_for(users.nobody).get(f"{BASE}/meeting-types").json()) == 7  # system types


# --- List ---------------------------------------------------------------------------------------------------


def test_list_is_paged_filtered_and_counts_attendance(tree, users, r, sec_a, meeting):
    services.mark_attendance(
        None,
        meeting,
        {
            r.sec.pk: {"status": "present"},
            r.me.pk: {"status": "late"},
            r.p3.pk: {"status": "absent", "absence_reason": "sick"},
        },
    )
    last_year = plan(tree.a, "theme_day", at(timezone.localdate().year - 1, 12, 20))
    group = plan(tree.a1, "group_meeting")
    plan(tree.b, "theme_day")
    body = sec_a.get(f"{BASE}/meetings").json()
    assert body["count"] == 3 and (body["limit"], body["offset"]) == (50, 0)
    ids = [m["id"] for m in body["items"]]
    assert set(ids) == {meeting.pk, last_year.pk, group.pk} and ids[-1] == last_year.pk
    row = next(m for m in body["items"] if m["id"] == meeting.pk)
    assert row["counts"] == {"expected": 10, "present": 1, "late": 1, "absent": 1, "pending": 7}
    assert (row["type_code"], row["status"], row["status_name"]) == ("branch_meeting", "notified", "已通知")
    assert row["agenda"][0] == "传达学习上级精神" and row["can_manage"] is True
    year = timezone.localdate().year
    assert [m["id"] for m in sec_a.get(f"{BASE}/meetings?year={year - 1}").json()["items"]] == [last_year.pk]
    assert sec_a.get(f"{BASE}/meetings?type=group_meeting").json()["count"] == 1
    assert sec_a.get(f"{BASE}/meetings?status=planned").json()["count"] == 2
    assert sec_a.get(f"{BASE}/meetings?org={tree.a1.pk}").json()["count"] == 1
    paged = sec_a.get(f"{BASE}/meetings?limit=2&page=2").json()
    assert (paged["count"], paged["limit"], paged["offset"], len(paged["items"])) == (3, 2, 2, 1)
    assert sec_a.get(f"{BASE}/meetings?org={tree.b.pk}").status_code == 404
    assert sec_a.get(f"{BASE}/meetings?status=done").status_code == 422
    assert sec_a.get(f"{BASE}/meetings?year=20260").status_code == 422


def test_list_scope(tree, users, r, client_for, meeting):
    b_meeting = plan(tree.b, "theme_day")
    group_a2 = plan(tree.a2, "group_meeting")
    assert [m["id"] for m in client_for(users.sec_b).get(f"{BASE}/meetings").json()["items"]] == [
        b_meeting.pk
    ]
    member_view = client_for(users.member_a).get(f"{BASE}/meetings").json()
    assert [m["id"] for m in member_view["items"]] == [meeting.pk]  # their branch (and group), not a2's
    assert member_view["items"][0]["can_manage"] is False
    leader = client_for(users.leader_a1).get(f"{BASE}/meetings").json()
    assert leader["count"] == 0
    assert client_for(users.org_admin).get(f"{BASE}/meetings").json()["count"] == 3
    assert group_a2.pk not in [m["id"] for m in member_view["items"]]
    assert client_for(users.nobody).get(f"{BASE}/meetings").json()["count"] == 0


def test_list_queries_do_not_grow_with_the_page(tree, r, sec_a):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert sec_a.get(f"{BASE}/meetings").status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        services.notify(None, plan(tree.a, "theme_day", host=r.sec, recorder=r.a2a))
    few = queries()
    for _ in range(6):
        services.notify(None, plan(tree.a, "party_lecture", host=r.sec, recorder=r.a2a))
    assert queries() == few


# --- Plan, read, change -------------------------------------------------------------------------------------


def test_plan_a_meeting(tree, users, r, sec_a):
    before = AuditLog.objects.count()
    res = send(sec_a, f"{BASE}/meetings", plan_body(tree.a, host=r.sec.pk, recorder=r.a2a.pk, agenda=""))
    assert res.status_code == 201, res.content
    body = res.json()
    m = Meeting.objects.get()
    assert body["id"] == m.pk and body["status"] == "planned" and body["host_name"] == "甲书记"
    assert body["agenda"] == ["重温入党誓词", "主题活动", "交纳党费"]
    assert body["checkin_token"] == m.checkin_token and body["can_manage"]
    assert body["counts"]["expected"] == 0 and body["voters"] is None
    # naive times are Beijing time
    assert local_text(m.starts_at) == plan_body(tree.a)["starts_at"]
    assert body["starts_at"].endswith("+08:00")
    assert m.created_by == users.sec_a and AuditLog.objects.count() == before + 1


def test_plan_refusals_write_nothing(tree, users, r, sec_a, mine, client_for):
    leader = client_for(users.leader_a1)
    before = written()
    res = send(sec_a, f"{BASE}/meetings", plan_body(tree.a, topic=" ", place=""))
    assert res.status_code == 400
    assert res.json()["errors"] == {"topic": ["请填写会议主题"], "place": ["请填写地点或线上会议链接"]}
    res = send(sec_a, f"{BASE}/meetings", plan_body(tree.a, type="group_meeting"))
    assert res.status_code == 400 and res.json()["errors"] == {"type": ["党小组会应在党小组下召开"]}
    res = send(sec_a, f"{BASE}/meetings", plan_body(tree.a, type="no_such_type"))
    assert res.status_code == 400 and res.json()["errors"] == {"type": ["未找到该会议类型"]}
    res = send(sec_a, f"{BASE}/meetings", plan_body(tree.a, host=r.far.pk))
    assert res.status_code == 400 and res.json()["errors"] == {"host": ["应为本支部党员"]}
    res = send(sec_a, f"{BASE}/meetings", plan_body(tree.a, recorder=999999))
    assert res.status_code == 400 and res.json()["errors"] == {"recorder": ["未找到该党员"]}
    res = send(sec_a, f"{BASE}/meetings", plan_body(tree.a, starts_at="明天下午"))
    assert res.status_code == 422 and res.json()["errors"] == {
        "starts_at": ["应为日期时间（YYYY-MM-DDTHH:MM）"]
    }
    body = plan_body(tree.a)
    del body["topic"]
    assert send(sec_a, f"{BASE}/meetings", body).status_code == 422
    assert send(sec_a, f"{BASE}/meetings", plan_body(tree.b)).status_code == 404
    assert send(mine, f"{BASE}/meetings", plan_body(tree.a)).status_code == 403
    assert send(leader, f"{BASE}/meetings", plan_body(tree.a)).status_code == 404
    assert written() == before
    res = send(leader, f"{BASE}/meetings", plan_body(tree.a1, type="group_meeting"))
    assert res.status_code == 201


def test_detail_for_a_member_hides_the_check_in_code(tree, users, r, sec_a, mine, client_for, meeting):
    body = mine.get(f"{BASE}/meetings/{meeting.pk}").json()
    assert body["topic"] == "学习贯彻全会精神" and body["can_manage"] is False
    assert body["checkin_token"] is None
    assert body["voters"] == {"expected": 8, "present": 0, "excluded": 0}
    opens = dt.datetime.fromisoformat(body["checkin_opens"])
    assert opens == meeting.starts_at - dt.timedelta(minutes=30)
    assert sec_a.get(f"{BASE}/meetings/{meeting.pk}").json()["checkin_token"] == meeting.checkin_token
    assert client_for(users.sec_b).get(f"{BASE}/meetings/{meeting.pk}").status_code == 404
    assert client_for(users.nobody).get(f"{BASE}/meetings/{meeting.pk}").status_code == 404
    assert sec_a.get(f"{BASE}/meetings/999999").status_code == 404


def test_patch_changes_only_what_is_sent(tree, users, r, sec_a, mine, client_for):
    m = plan(tree.a, "theme_day", hours_from_now(24), host=r.sec)
    url = f"{BASE}/meetings/{m.pk}"
    res = send(sec_a, url, {"topic": "学习新党章", "recorder": r.a2a.pk}, "patch")
    assert res.status_code == 200, res.content
    m.refresh_from_db()
    assert (m.topic, m.recorder, m.host, m.place) == ("学习新党章", r.a2a, r.sec, "党员活动室")
    assert send(sec_a, url, {"host": None}, "patch").json()["host_id"] is None
    res = send(sec_a, url, {"ends_at": local_text(m.starts_at)}, "patch")
    assert res.status_code == 400 and res.json()["errors"] == {"ends_at": ["结束时间应晚于开始时间"]}
    sec_b = client_for(users.sec_b)
    before = written()
    assert send(mine, url, {"topic": "x"}, "patch").status_code == 403
    assert send(sec_b, url, {"topic": "x"}, "patch").status_code == 404
    assert written() == before


# --- Lifecycle ----------------------------------------------------------------------------------------------


def test_notify_held_complete_archive(tree, r, sec_a, mine):
    m = plan(tree.a, "theme_day")
    res = send(sec_a, f"{BASE}/meetings/{m.pk}/notify")
    assert res.status_code == 200 and res.json()["added"] == 10
    assert res.json()["meeting"]["status"] == "notified"
    assert send(sec_a, f"{BASE}/meetings/{m.pk}/notify").json()["added"] == 0
    assert send(mine, f"{BASE}/meetings/{m.pk}/notify").status_code == 403
    res = send(sec_a, f"{BASE}/meetings/{m.pk}/held")
    assert res.status_code == 200 and res.json()["status"] == "held"
    res = send(sec_a, f"{BASE}/meetings/{m.pk}/complete")
    assert res.status_code == 400
    assert res.json()["detail"] == "还有10人的出席情况未登记；请先填写会议记录"
    res = send(sec_a, f"{BASE}/meetings/{m.pk}/archive")
    assert res.status_code == 400 and res.json()["detail"] == "会议记录完成后才能归档"
    marks = [{"member": a.member_id, "status": "present"} for a in m.attendances.all()]
    assert send(sec_a, f"{BASE}/meetings/{m.pk}/attendance", {"marks": marks}).json()["changed"] == 10
    send(sec_a, f"{BASE}/meetings/{m.pk}/minutes", {"items": [{"title": "重温入党誓词"}]}, "put")
    res = send(sec_a, f"{BASE}/meetings/{m.pk}/complete")
    assert res.status_code == 200 and res.json()["status"] == "recorded"
    res = send(sec_a, f"{BASE}/meetings/{m.pk}/archive")
    assert (
        res.status_code == 200 and res.json()["status"] == "archived" and res.json()["checkin_token"] is None
    )
    res = send(sec_a, f"{BASE}/meetings/{m.pk}", {"topic": "改"}, "patch")
    assert res.status_code == 400 and res.json()["detail"] == "会议已归档，不能修改"


def test_cancel(tree, r, sec_a, mine):
    m = plan(tree.a, "theme_day", hours_from_now(24))
    assert send(sec_a, f"{BASE}/meetings/{m.pk}/cancel", {}).status_code == 422
    res = send(sec_a, f"{BASE}/meetings/{m.pk}/cancel", {"reason": " "})
    assert res.status_code == 400 and res.json()["errors"] == {"reason": ["请填写取消原因"]}
    assert send(mine, f"{BASE}/meetings/{m.pk}/cancel", {"reason": "x"}).status_code == 403
    res = send(sec_a, f"{BASE}/meetings/{m.pk}/cancel", {"reason": "与上级会议冲突"})
    assert res.status_code == 200
    assert (res.json()["status"], res.json()["cancel_reason"]) == ("cancelled", "与上级会议冲突")


# --- Attendance ---------------------------------------------------------------------------------------------


def test_attendance_list_for_officers_only(users, r, sec_a, mine, client_for, meeting):
    body = sec_a.get(f"{BASE}/meetings/{meeting.pk}/attendance").json()
    assert body["meeting_id"] == meeting.pk and body["counts"]["pending"] == 10
    assert [a["member_name"] for a in body["items"]] == sorted(a["member_name"] for a in body["items"])
    assert body["items"][0]["status_name"] == "待确认"
    assert mine.get(f"{BASE}/meetings/{meeting.pk}/attendance").status_code == 403
    assert client_for(users.sec_b).get(f"{BASE}/meetings/{meeting.pk}/attendance").status_code == 404


def test_mark_attendance(users, r, sec_a, meeting):
    url = f"{BASE}/meetings/{meeting.pk}/attendance"
    res = send(
        sec_a,
        url,
        {
            "marks": [
                {"member": r.p1.pk, "status": "present"},
                {"member": r.p2.pk, "status": "absent", "absence_reason": "unexcused"},
                {"member": r.p3.pk, "status": "absent", "absence_reason": "sick", "absence_note": "住院"},
            ]
        },
    )
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["changed"] == 3
    assert body["counts"] == {"expected": 10, "present": 1, "late": 0, "absent": 2, "pending": 7}
    rows = {a["member_id"]: a for a in body["items"]}
    assert (rows[r.p1.pk]["via_name"], rows[r.p1.pk]["scored_rule"]) == (
        "记录人登记",
        "orglife.branch_meeting",
    )
    assert (rows[r.p2.pk]["absence_reason_name"], rows[r.p2.pk]["scored_rule"]) == (
        "无故缺席",
        "orglife.absence",
    )
    assert rows[r.p3.pk]["absence_note"] == "住院" and rows[r.p3.pk]["scored_rule"] == ""
    # 补学 later, without repeating the reason
    res = send(sec_a, url, {"marks": [{"member": r.p3.pk, "status": "absent", "makeup_on": "2099-01-05"}]})
    assert res.status_code == 200 and res.json()["changed"] == 1
    assert Attendance.objects.get(meeting=meeting, member=r.p3).makeup_on == dt.date(2099, 1, 5)


def test_bad_marks_change_nothing(users, r, sec_a, meeting):
    url = f"{BASE}/meetings/{meeting.pk}/attendance"
    before = written()
    res = send(
        sec_a,
        url,
        {
            "marks": [
                {"member": r.p1.pk, "status": "present"},
                {"member": r.p2.pk, "status": "absent"},
            ]
        },
    )
    assert res.status_code == 400 and res.json()["errors"] == {"attendance": ["甲丙二：请选择缺席原因"]}
    res = send(
        sec_a,
        url,
        {"marks": [{"member": r.p1.pk, "status": "present"}, {"member": r.p1.pk, "status": "late"}]},
    )
    assert res.status_code == 422 and res.json()["errors"] == {"marks.1.member": ["同一党员重复登记"]}
    assert send(sec_a, url, {"marks": [{"member": r.p1.pk, "status": "here"}]}).status_code == 422
    assert send(sec_a, url, {"marks": []}).status_code == 422
    res = send(sec_a, url, {"marks": [{"member": r.far.pk, "status": "present"}]})
    assert res.status_code == 400 and res.json()["detail"] == f"党员（{r.far.pk}）不在本次会议名单中"
    assert written() == before
    assert set(meeting.attendances.values_list("status", flat=True)) == {"pending"}


# --- Check-in -----------------------------------------------------------------------------------------------


def test_check_in_is_idempotent_and_scores_once(tree, users, r, mine):
    m = plan(tree.a, "theme_day", hours_from_now(-0.05))  # started 3 minutes ago
    services.notify(None, m)
    res = send(mine, f"{BASE}/checkin", {"token": m.checkin_token})
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["created"] is True and body["message"] == "签到成功" and body["status"] == "present"
    assert body["meeting"]["id"] == m.pk and body["meeting"]["type_name"] == "主题党日"
    again = send(mine, f"{BASE}/checkin", {"token": f" {m.checkin_token} "}).json()
    assert again["created"] is False and again["message"] == "您已签到，无需重复签到"
    assert Entry.objects.filter(member=r.me).count() == 1
    # the ledger entry points back at the meeting
    entries = mine.get(f"/api/v1/points/members/{r.me.pk}/entries").json()["items"]
    assert entries[0]["source_type"] == "orglife.attendance"
    assert mine.get(entries[0]["source_url"]).url == reverse("orglife:meeting", args=[m.pk])


def test_check_in_late_and_refusals(tree, users, r, mine, client_for):
    m = plan(tree.a, "theme_day", hours_from_now(-0.5))  # started 30 minutes ago
    res = send(mine, f"{BASE}/checkin", {"token": m.checkin_token})
    assert (
        res.json()["created"]
        and res.json()["status"] == "late"
        and res.json()["message"] == "签到成功（迟到）"
    )
    later = plan(tree.a, "theme_day", hours_from_now(5))
    far, nobody = client_for(r.far_user), client_for(users.nobody)
    before = written()
    res = send(mine, f"{BASE}/checkin", {"token": "guess"})
    assert res.status_code == 400 and res.json()["detail"] == "签到码无效"
    assert send(mine, f"{BASE}/checkin", {}).status_code == 422
    res = send(mine, f"{BASE}/checkin", {"token": later.checkin_token})
    assert res.status_code == 400 and res.json()["detail"].startswith("签到尚未开始")
    res = send(far, f"{BASE}/checkin", {"token": m.checkin_token})
    assert (
        res.status_code == 400 and res.json()["detail"] == "您不在本次会议的应到人员名单中，请联系会议记录人"
    )
    res = send(nobody, f"{BASE}/checkin", {"token": m.checkin_token})
    assert res.status_code == 400 and "未关联党员档案" in res.json()["detail"]
    assert written() == before


# --- Minutes, votes, exclusions -----------------------------------------------------------------------------


def test_minutes(users, r, sec_a, mine, meeting):
    url = f"{BASE}/meetings/{meeting.pk}/minutes"
    items = [
        {"title": "传达学习上级精神", "discussion": "书记领学", "resolution": ""},
        {"title": "表决事项", "discussion": "", "resolution": "通过推荐名单"},
    ]
    res = send(sec_a, url, {"items": items, "summary": "会议达到预期"}, "put")
    assert res.status_code == 200, res.content
    body = res.json()
    assert [i["title"] for i in body["minutes"]] == ["传达学习上级精神", "表决事项"]
    assert body["summary"] == "会议达到预期" and body["status"] == "held"
    res = send(sec_a, url, {"items": [{"discussion": "无议题"}]}, "put")
    assert res.status_code == 400 and res.json()["errors"] == {"minutes": ["第1项请填写议题"]}
    assert send(mine, url, {"items": items}, "put").status_code == 403
    assert MinutesItem.objects.filter(meeting=meeting).count() == 2


def test_votes(tree, users, r, sec_a, mine, meeting):
    marks = [{"member": m.pk, "status": "present"} for m in (r.sec, r.me, r.a1b, r.a2a, r.p1, r.p2, r.p3)]
    send(sec_a, f"{BASE}/meetings/{meeting.pk}/attendance", {"marks": marks})
    url = f"{BASE}/meetings/{meeting.pk}/votes"
    res = send(
        sec_a, url, {"kind": "resolution", "subject": "推荐优秀共产党员", "in_favour": 6, "against": 1}
    )
    assert res.status_code == 201, res.content
    body = res.json()
    assert (body["expected"], body["present"], body["valid"], body["passed"]) == (8, 7, True, True)
    assert body["message"] == "应到8人，实到7人，会议有效；赞成6票，超过应到人数半数，通过"
    assert body["kind_name"] == "一般决议" and body["recorded_by"] == "甲书记"
    res = send(
        sec_a,
        url,
        {
            "kind": "election",
            "subject": "增补委员",
            "seats": 1,
            "candidates": [{"name": "甲丙三", "votes": 5}],
        },
    )
    assert res.status_code == 201 and res.json()["candidates"] == [{"name": "甲丙三", "votes": 5}]
    assert res.json()["message"] == "应到8人，实到7人，选举有效；当选：甲丙三"
    detail = sec_a.get(f"{BASE}/meetings/{meeting.pk}").json()
    assert [v["subject"] for v in detail["votes"]] == ["推荐优秀共产党员", "增补委员"]
    day = plan(tree.a, "theme_day")
    before = written()
    dup = [{"name": "甲", "votes": 5}, {"name": "甲 ", "votes": 1}]
    res = send(sec_a, url, {"kind": "election", "subject": "选举", "seats": 1, "candidates": dup})
    assert res.status_code == 422 and res.json()["errors"] == {"candidates.1.name": ["候选人姓名重复"]}
    res = send(sec_a, url, {"kind": "resolution", "subject": "事项", "in_favour": 8})
    assert res.status_code == 400
    assert res.json()["errors"] == {"in_favour": ["赞成、反对、弃权合计（8）不能多于实到人数（7）"]}
    assert send(sec_a, url, {"kind": "poll", "subject": "事项"}).status_code == 422
    assert send(mine, url, {"kind": "resolution", "subject": "事项"}).status_code == 403
    res = send(sec_a, f"{BASE}/meetings/{day.pk}/votes", {"kind": "resolution", "subject": "事项"})
    assert res.status_code == 400 and res.json()["detail"] == "主题党日不进行表决"
    assert written() == before


def test_exclusions(users, r, sec_a, mine, client_for, meeting):
    url = f"{BASE}/meetings/{meeting.pk}/exclusions"
    res = send(sec_a, url, {"member": r.mobile.pk, "reason": "away", "approved_by": "集团党委组织部"})
    assert res.status_code == 201, res.content
    assert res.json()["reason_name"] == "外出半年以上、下落不明或待转组织关系"
    assert res.json()["member_name"] == "甲流动"
    detail = sec_a.get(f"{BASE}/meetings/{meeting.pk}").json()
    assert detail["voters"] == {"expected": 7, "present": 0, "excluded": 1}
    assert [e["member_id"] for e in detail["exclusions"]] == [r.mobile.pk]
    sec_b = client_for(users.sec_b)
    before = written()
    res = send(sec_a, url, {"member": 999999, "reason": "ill", "approved_by": "党委"})
    assert res.status_code == 400 and res.json()["errors"] == {"member": ["未找到该党员"]}
    res = send(sec_a, url, {"member": r.mobile.pk, "reason": "ill", "approved_by": "党委"})
    assert res.status_code == 400 and res.json()["errors"] == {"member": ["该党员已不计入应到人数"]}
    assert (
        send(sec_a, url, {"member": r.p1.pk, "reason": "holiday", "approved_by": "党委"}).status_code == 422
    )
    assert send(mine, url, {"member": r.p1.pk, "reason": "ill", "approved_by": "党委"}).status_code == 403
    res = send(sec_b, url, {"member": r.p1.pk, "reason": "ill", "approved_by": "党委"})
    assert res.status_code == 404
    assert written() == before


# --- Mine ---------------------------------------------------------------------------------------------------


def test_my_meetings(tree, users, r, mine, client_for, meeting):
    upcoming = plan(tree.a1, "group_meeting", hours_from_now(24))
    services.notify(None, upcoming)
    services.mark_attendance(None, meeting, {r.me.pk: {"status": "absent", "absence_reason": "official"}})
    cancelled = plan(tree.a, "theme_day", hours_from_now(30))
    services.notify(None, cancelled)
    services.cancel(None, cancelled, "改期")
    body = mine.get(f"{BASE}/meetings/mine").json()
    assert body["count"] == 2
    assert [i["meeting"]["id"] for i in body["items"]] == [upcoming.pk, meeting.pk]
    past = body["items"][1]
    assert (past["status_name"], past["absence_reason_name"]) == ("缺席", "公假")
    assert [i["meeting"]["id"] for i in mine.get(f"{BASE}/meetings/mine?upcoming=true").json()["items"]] == [
        upcoming.pk
    ]
    assert mine.get(f"{BASE}/meetings/mine?upcoming=false").json()["count"] == 1
    assert mine.get(f"{BASE}/meetings/mine?limit=1").json()["items"][0]["meeting"]["id"] == upcoming.pk
    assert client_for(users.nobody).get(f"{BASE}/meetings/mine").json()["count"] == 0
