"""积分 API: catalogue and rule versions, balances and the explained ledger, /me, manual awards (idempotent
per request key), self-reports, the approval queue, reversals, appeals, opt-in rankings, snapshots;
scope (404 outside, 403 without the permission) and bad input (400/422, nothing written)."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import MemberFactory
from tests.points.factories import at, days_ago, give, key, switch_on
from zhibu.core.models import AuditLog
from zhibu.points.models import Appeal, Claim, Entry, Rule, Snapshot

pytestmark = pytest.mark.django_db

BASE = "/api/v1/points"
RANKING_OFF = "本组织未开启积分排名"


def send(client, url, data=None, **extra):
    return client.post(url, json.dumps(data or {}), content_type="application/json", **extra)


def counts():
    return Entry.objects.count(), Claim.objects.count(), Appeal.objects.count()


@pytest.fixture
def people(tree, users):
    """me: member_a's own record (branch A, group A1); peer: another member of A; far: a member of B."""
    return type(
        "People",
        (),
        {
            "me": MemberFactory(org=tree.a, group=tree.a1, user=users.member_a, name="甲党员"),
            "peer": MemberFactory(org=tree.a, name="甲二"),
            "far": MemberFactory(org=tree.b, name="乙一"),
        },
    )


@pytest.fixture
def sec_a(users, client_for):
    return client_for(users.sec_a)


@pytest.fixture
def mine(users, client_for):
    return client_for(users.member_a)


def award_body(member, rule="orglife.lecture_given", **fields):
    return {
        "member": member.pk,
        "rule": rule,
        "occurred_at": days_ago(2).strftime("%Y-%m-%dT%H:%M"),
        "reason": "讲授专题党课",
        "evidence": "课件一份",
        "request_key": key(),
        **fields,
    }


def report_body(rule="role.pioneer", **fields):
    return {
        "rule": rule,
        "occurred_at": days_ago(3).isoformat(),
        "reason": "攻坚任务表现突出",
        "evidence": "项目验收记录",
        "request_key": key(),
        **fields,
    }


# --- schema ------------------------------------------------------------------------------------------


def test_openapi_lists_the_points_endpoints(client):
    paths = set(client.get("/api/openapi.json").json()["paths"])
    assert {
        f"{BASE}/rules",
        f"{BASE}/rules/{{code}}/history",
        f"{BASE}/members/{{member_id}}/balance",
        f"{BASE}/members/{{member_id}}/entries",
        f"{BASE}/me",
        f"{BASE}/awards",
        f"{BASE}/reports",
        f"{BASE}/reports/mine",
        f"{BASE}/claims",
        f"{BASE}/claims/{{claim_id}}/approve",
        f"{BASE}/claims/{{claim_id}}/reject",
        f"{BASE}/claims/{{claim_id}}/withdraw",
        f"{BASE}/entries/{{entry_id}}/reverse",
        f"{BASE}/entries/{{entry_id}}/appeal",
        f"{BASE}/appeals",
        f"{BASE}/appeals/mine",
        f"{BASE}/appeals/{{appeal_id}}/resolve",
        f"{BASE}/appeals/{{appeal_id}}/withdraw",
        f"{BASE}/ranking",
        f"{BASE}/ranking/me",
        f"{BASE}/snapshots",
        f"{BASE}/snapshots/{{snapshot_id}}",
    } <= paths


def test_unauthenticated_is_401(client):
    assert client.get(f"{BASE}/me").status_code == 401


# --- catalogue ---------------------------------------------------------------------------------------


def test_catalogue_shows_defaults_with_their_origin(tree, users, sec_a, mine, client_for, people):
    body = sec_a.get(f"{BASE}/rules?org={tree.a.pk}").json()
    assert body["org_id"] == tree.a.pk and body["org_name"] == "第一党支部"
    rows = {r["code"]: r for r in body["rules"]}
    pioneer = rows["role.pioneer"]
    assert pioneer["origin"] == "系统默认" and pioneer["version"] == 1 and not pioneer["own"]
    assert pioneer["category_name"] == "作用发挥" and pioneer["self_report"] and pioneer["needs_approval"]
    assert Decimal(pioneer["points"]) == 3 and Decimal(pioneer["cap_month"]) == 6
    assert pioneer["cap_day"] is None and pioneer["upcoming"] is None
    assert rows["learning.minutes"]["unit"] == "分钟" and Decimal(rows["learning.minutes"]["unit_size"]) == 5
    # a member reads their own branch's catalogue (no org given, or an org above them)
    assert mine.get(f"{BASE}/rules").json()["org_id"] == tree.a.pk
    assert mine.get(f"{BASE}/rules?org={tree.root.pk}").status_code == 200
    # another branch is out of scope; a bad date is a 422 in Chinese
    assert client_for(users.sec_b).get(f"{BASE}/rules?org={tree.a.pk}").status_code == 404
    assert mine.get(f"{BASE}/rules?org={tree.b.pk}").status_code == 404
    bad = sec_a.get(f"{BASE}/rules?org={tree.a.pk}&on=2025-13-01")
    assert bad.status_code == 422 and "应为日期" in bad.json()["detail"]


def test_save_rule_versions_and_history(tree, users, sec_a, client_for):
    today = timezone.localdate()
    payload = {"org": tree.a.pk, "code": "role.pioneer", "valid_from": today.isoformat(), "points": "4"}
    response = send(sec_a, f"{BASE}/rules", payload)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["version"] == 2 and body["origin"] == "第一党支部" and Decimal(body["points"]) == 4
    assert body["name"] == "党员先锋岗、攻坚任务表现突出" and Decimal(body["cap_month"]) == 6  # inherited
    assert body["created_by"] == "甲书记"
    later = {**payload, "valid_from": (today + dt.timedelta(days=10)).isoformat(), "cap_month": None}
    assert send(sec_a, f"{BASE}/rules", later).status_code == 201
    row = next(
        r for r in sec_a.get(f"{BASE}/rules?org={tree.a.pk}").json()["rules"] if r["code"] == "role.pioneer"
    )
    assert row["own"] and row["version"] == 2
    assert row["upcoming"]["version"] == 3 and row["upcoming"]["cap_month"] is None
    # branch B still sees the default
    row = next(
        r
        for r in client_for(users.sec_b).get(f"{BASE}/rules?org={tree.b.pk}").json()["rules"]
        if r["code"] == "role.pioneer"
    )
    assert row["version"] == 1 and row["origin"] == "系统默认"
    history = sec_a.get(f"{BASE}/rules/role.pioneer/history?org={tree.a.pk}").json()
    assert [h["version"] for h in history] == [3, 2, 1]
    assert sec_a.get(f"{BASE}/rules/no.such/history?org={tree.a.pk}").status_code == 404


def test_save_rule_errors_change_nothing(tree, users, sec_a, client_for):
    before = Rule.objects.count()
    today = timezone.localdate().isoformat()
    base = {"org": tree.a.pk, "code": "role.pioneer", "valid_from": today}
    zero = send(sec_a, f"{BASE}/rules", {**base, "points": "0"})
    assert zero.status_code == 400 and zero.json()["errors"]["points"] == ["分值不能为0"]
    past = send(sec_a, f"{BASE}/rules", {**base, "valid_from": "2020-01-01"})
    assert past.status_code == 400 and "valid_from" in past.json()["errors"]
    bad_code = send(sec_a, f"{BASE}/rules", {**base, "code": "积分"})
    assert bad_code.status_code == 400 and "code" in bad_code.json()["errors"]
    new_without_name = send(sec_a, f"{BASE}/rules", {**base, "code": "local.new", "points": "1"})
    assert new_without_name.status_code == 400 and "name" in new_without_name.json()["errors"]
    bad_date = send(sec_a, f"{BASE}/rules", {**base, "valid_from": "明天"})
    assert bad_date.status_code == 422 and "valid_from" in bad_date.json()["errors"]
    bad_number = send(sec_a, f"{BASE}/rules", {**base, "points": "很多"})
    assert bad_number.status_code == 422 and bad_number.json()["errors"]["points"] == ["应为数字"]
    # 支委 may not edit the catalogue (403); another branch's secretary does not see A (404)
    assert send(client_for(users.committee_a), f"{BASE}/rules", {**base, "points": "4"}).status_code == 403
    assert send(client_for(users.sec_b), f"{BASE}/rules", {**base, "points": "4"}).status_code == 404
    assert Rule.objects.count() == before


# --- balances and the explained ledger ---------------------------------------------------------------


def test_balance_for_a_period_with_categories(tree, users, sec_a, mine, client_for, people):
    me = people.me
    give(me, "learning.item", when=at(2025, 5, 10))
    give(me, "learning.item", when=at(2025, 6, 30, 23, 59))
    give(me, "orglife.theme_day", when=at(2025, 4, 1, 0, 1))
    give(me, "orglife.absence", when=at(2025, 7, 1, 0, 1))  # next quarter
    body = sec_a.get(f"{BASE}/members/{me.pk}/balance?period=quarter&day=2025-05-01").json()
    assert body["label"] == "2025年第2季度" and body["start"] == "2025-04-01" and body["end"] == "2025-06-30"
    assert Decimal(body["total"]) == 3 and Decimal(body["all_time"]) == 0
    cats = {c["category"]: c for c in body["categories"]}
    assert Decimal(cats["learning"]["total"]) == 1 and cats["learning"]["count"] == 2
    assert cats["orglife"]["label"] == "组织生活"
    assert body["ranking_enabled"] is False and body["rank"] is None
    custom = sec_a.get(f"{BASE}/members/{me.pk}/balance?start=2025-06-30&end=2025-07-01").json()
    assert custom["period"] == "custom" and Decimal(custom["total"]) == Decimal("-2.5")
    assert custom["label"] == "2025-06-30至2025-07-01"
    # the member sees their own; the group leader sees their group's; others are 404
    assert mine.get(f"{BASE}/members/{me.pk}/balance?period=year&day=2025-01-01").status_code == 200
    assert client_for(users.leader_a1).get(f"{BASE}/members/{me.pk}/balance").status_code == 200
    assert mine.get(f"{BASE}/members/{people.peer.pk}/balance").status_code == 404
    assert client_for(users.sec_b).get(f"{BASE}/members/{me.pk}/balance").status_code == 404
    # own rank appears only where rankings are on
    switch_on(tree.a, "points.ranking_enabled")
    ranked = sec_a.get(f"{BASE}/members/{me.pk}/balance?period=quarter&day=2025-05-01").json()
    assert ranked["ranking_enabled"] and ranked["rank"]["rank"] == 1 and ranked["rank"]["count"] == 2


@pytest.mark.parametrize(
    "query, field",
    [
        ("start=2025-01-01", "end"),
        ("end=2025-01-01", "start"),
        ("start=2025-02-01&end=2025-01-01", "end"),
        ("period=custom", "start"),
        ("period=decade", "period"),
        ("day=2025-02-30", "day"),
    ],
)
def test_bad_periods_are_422(sec_a, people, query, field):
    response = sec_a.get(f"{BASE}/members/{people.me.pk}/balance?{query}")
    assert response.status_code == 422
    assert field in response.json()["errors"] and response.json()["detail"].startswith("请求数据有误")


def test_ledger_explains_each_entry(tree, users, sec_a, client_for, people):
    me = people.me
    give(
        me, "learning.minutes", when=at(2025, 5, 10, 9), quantity=40, source_label="专题学习"
    )  # capped: 8 → 6
    give(me, "learning.item", when=at(2025, 3, 1))
    response = send(sec_a, f"{BASE}/awards", award_body(me))
    manual_id = response.json()["entry"]["id"]
    body = sec_a.get(f"{BASE}/members/{me.pk}/entries").json()
    assert body["count"] == 3 and body["items"][0]["id"] == manual_id
    manual = body["items"][0]
    assert manual["rule_code"] == "orglife.lecture_given" and manual["rule_name"] == "讲授党课"
    assert manual["rule_version"] == 1 and manual["category_name"] == "作用发挥" and manual["kind"] == "award"
    assert manual["source_type"] == "points.manual" and manual["source_label"] == "手工记分"
    assert manual["awarded_by"] == "甲书记" and manual["approved_by"] is None
    assert manual["reason"] == "讲授专题党课" and manual["evidence"] == "课件一份"
    assert manual["occurred_at"].endswith("+08:00")
    minutes = body["items"][1]
    assert Decimal(minutes["base_points"]) == 8 and Decimal(minutes["points"]) == 6
    assert "每日上限6分" in minutes["capped_note"] and minutes["unit"] == "分钟"
    assert minutes["source_label"] == "专题学习" and minutes["awarded_by"] is None
    # a date range and pages
    dated = sec_a.get(f"{BASE}/members/{me.pk}/entries?start=2025-05-01&end=2025-05-31").json()
    assert dated["count"] == 1 and dated["items"][0]["rule_code"] == "learning.minutes"
    page = sec_a.get(f"{BASE}/members/{me.pk}/entries?limit=1&page=3").json()
    assert page["count"] == 3 and page["offset"] == 2 and page["items"][0]["rule_code"] == "learning.item"
    assert sec_a.get(f"{BASE}/members/{me.pk}/entries?start=2025-05-01").status_code == 422
    # reversal links show on both sides
    reversal = send(sec_a, f"{BASE}/entries/{manual_id}/reverse", {"reason": "重复记分"}).json()
    items = {e["id"]: e for e in sec_a.get(f"{BASE}/members/{me.pk}/entries").json()["items"]}
    assert (
        items[manual_id]["reversed_by"] == reversal["id"] and items[reversal["id"]]["reverses"] == manual_id
    )
    assert client_for(users.sec_b).get(f"{BASE}/members/{me.pk}/entries").status_code == 404


def test_me_summary(users, mine, sec_a, people):
    give(people.me, "learning.item", when=days_ago(1))
    send(mine, f"{BASE}/reports", report_body())
    body = mine.get(f"{BASE}/me?period=month").json()
    assert body["balance"]["member_name"] == "甲党员" and Decimal(body["balance"]["all_time"]) == Decimal(
        "0.5"
    )
    assert len(body["recent"]) == 1 and body["recent"][0]["rule_code"] == "learning.item"
    assert body["pending_claims"] == 1 and body["open_appeals"] == 0
    response = sec_a.get(f"{BASE}/me")  # an officer account without a member record
    assert response.status_code == 404 and "未关联党员档案" in response.json()["detail"]


# --- manual awards -----------------------------------------------------------------------------------


def test_award_scores_once_per_request_key(users, sec_a, people):
    before = counts()
    body = award_body(people.me)
    first = send(sec_a, f"{BASE}/awards", body)
    assert first.status_code == 201, first.json()
    assert first.json()["status"] == "scored" and first.json()["repeated"] is False
    entry = first.json()["entry"]
    assert Decimal(entry["points"]) == 5 and entry["member_name"] == "甲党员"
    again = send(sec_a, f"{BASE}/awards", body)
    assert again.status_code == 200 and again.json()["repeated"] is True
    assert again.json()["entry"]["id"] == entry["id"]
    assert counts()[0] == before[0] + 1
    assert AuditLog.objects.filter(summary__startswith="手工记分").count() == 1
    # the key may also come as an Idempotency-Key header
    header_body = {k: v for k, v in award_body(people.me).items() if k != "request_key"}
    one = send(sec_a, f"{BASE}/awards", header_body, HTTP_IDEMPOTENCY_KEY="abc-123-key")
    two = send(sec_a, f"{BASE}/awards", header_body, HTTP_IDEMPOTENCY_KEY="abc-123-key")
    assert (one.status_code, two.status_code) == (201, 200)
    assert counts()[0] == before[0] + 2


def test_award_needing_approval_waits_as_a_claim(users, sec_a, people):
    body = award_body(people.peer, rule="negative.violation", reason="迟到早退经查实", evidence="考勤记录")
    first = send(sec_a, f"{BASE}/awards", body)
    assert first.status_code == 202, first.json()
    claim = first.json()["claim"]
    assert first.json()["status"] == "pending" and first.json()["entry"] is None
    assert claim["kind"] == "manual" and claim["status"] == "pending" and claim["submitted_by"] == "甲书记"
    assert Decimal(claim["expected_points"]) == -5 and claim["rule_code"] == "negative.violation"
    again = send(sec_a, f"{BASE}/awards", body)
    assert (
        again.status_code == 200 and again.json()["repeated"] and again.json()["claim"]["id"] == claim["id"]
    )
    assert Claim.objects.count() == 1 and Entry.objects.count() == 0


def test_award_errors_write_nothing(users, sec_a, client_for, people):
    before = counts()
    unknown = send(sec_a, f"{BASE}/awards", award_body(people.me, rule="no.such.rule"))
    assert unknown.status_code == 400 and "rule" in unknown.json()["errors"]
    system = send(sec_a, f"{BASE}/awards", award_body(people.me, rule="orglife.branch_meeting"))
    assert system.status_code == 400 and "自动记分" in system.json()["errors"]["rule"][0]
    no_reason = send(sec_a, f"{BASE}/awards", award_body(people.me, reason=" "))
    assert no_reason.status_code == 400 and no_reason.json()["errors"]["reason"] == ["请填写记分事由"]
    no_evidence = send(sec_a, f"{BASE}/awards", award_body(people.me, evidence=""))
    assert no_evidence.status_code == 400 and "evidence" in no_evidence.json()["errors"]
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    late = send(sec_a, f"{BASE}/awards", award_body(people.me, occurred_at=future))
    assert late.status_code == 400 and "occurred_at" in late.json()["errors"]
    no_key = send(sec_a, f"{BASE}/awards", award_body(people.me, request_key=""))
    assert no_key.status_code == 400 and "请求标识" in no_key.json()["detail"]
    bad_date = send(sec_a, f"{BASE}/awards", award_body(people.me, occurred_at="昨天"))
    assert bad_date.status_code == 422 and "应为日期时间" in bad_date.json()["errors"]["occurred_at"][0]
    bad_qty = send(sec_a, f"{BASE}/awards", award_body(people.me, quantity="两次"))
    assert bad_qty.status_code == 422 and bad_qty.json()["errors"]["quantity"] == ["应为数字"]
    missing = send(sec_a, f"{BASE}/awards", {"member": people.me.pk, "rule": "orglife.lecture_given"})
    assert missing.status_code == 422 and missing.json()["errors"]["reason"] == ["必填"]
    # scope: another branch's member is 404; a member (in the branch, no points.manage) gets 403; a
    # group leader sees the member's points but the branch is outside their role's scope (404)
    assert send(sec_a, f"{BASE}/awards", award_body(people.far)).status_code == 404
    assert send(client_for(users.sec_b), f"{BASE}/awards", award_body(people.me)).status_code == 404
    assert send(client_for(users.member_a), f"{BASE}/awards", award_body(people.me)).status_code == 403
    assert send(client_for(users.leader_a1), f"{BASE}/awards", award_body(people.me)).status_code == 404
    assert counts() == before


# --- self-reports and the approval queue --------------------------------------------------------------


def test_self_report_and_my_reports(users, mine, sec_a, people):
    body = report_body()
    first = send(mine, f"{BASE}/reports", body)
    assert first.status_code == 201, first.json()
    claim = first.json()
    assert (
        claim["kind"] == "self_report"
        and claim["status_name"] == "待审核"
        and claim["member_id"] == people.me.pk
    )
    again = send(mine, f"{BASE}/reports", body)
    assert again.status_code == 200 and again.json()["id"] == claim["id"]
    assert Claim.objects.count() == 1
    listed = mine.get(f"{BASE}/reports/mine").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == claim["id"]
    # a rule members may not report, an officer without a member record: 400 and nothing written
    wrong = send(mine, f"{BASE}/reports", report_body(rule="orglife.lecture_given"))
    assert wrong.status_code == 400 and wrong.json()["errors"]["rule"] == ["该积分项目不能由党员申报"]
    no_member = send(sec_a, f"{BASE}/reports", report_body())
    assert no_member.status_code == 400 and "未关联党员档案" in no_member.json()["detail"]
    assert send(mine, f"{BASE}/reports", report_body(occurred_at="2025-02-30")).status_code == 422
    assert Claim.objects.count() == 1


@pytest.fixture
def report(mine, people):
    return send(mine, f"{BASE}/reports", report_body()).json()


def test_queue_and_approval(users, sec_a, mine, client_for, people, report):
    queue = sec_a.get(f"{BASE}/claims").json()
    assert queue["count"] == 1 and queue["items"][0]["id"] == report["id"]
    assert client_for(users.sec_b).get(f"{BASE}/claims").json()["count"] == 0
    assert mine.get(f"{BASE}/claims").status_code == 403
    assert sec_a.get(f"{BASE}/claims/{report['id']}").json()["reason"] == "攻坚任务表现突出"
    assert mine.get(f"{BASE}/claims/{report['id']}").status_code == 200  # their own
    assert client_for(users.sec_b).get(f"{BASE}/claims/{report['id']}").status_code == 404
    # the member cannot approve their own claim; another branch cannot see it
    assert send(mine, f"{BASE}/claims/{report['id']}/approve").status_code == 403
    assert send(client_for(users.sec_b), f"{BASE}/claims/{report['id']}/approve").status_code == 404
    assert Entry.objects.count() == 0
    response = send(sec_a, f"{BASE}/claims/{report['id']}/approve", {"note": "属实"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "approved" and body["decided_by"] == "甲书记" and body["decision_note"] == "属实"
    assert Decimal(body["entry"]["points"]) == 3
    entry = Entry.objects.get()
    assert entry.approved_by == users.sec_a and entry.source_type == "points.claim"
    twice = send(sec_a, f"{BASE}/claims/{report['id']}/approve")
    assert twice.status_code == 400 and "不能重复审核" in twice.json()["detail"]
    assert Entry.objects.count() == 1
    assert sec_a.get(f"{BASE}/claims?status=approved").json()["count"] == 1
    assert sec_a.get(f"{BASE}/claims?status=bogus").status_code == 422


def test_reject_and_withdraw(users, sec_a, mine, people, report):
    no_note = send(sec_a, f"{BASE}/claims/{report['id']}/reject", {"note": ""})
    assert no_note.status_code == 400 and no_note.json()["errors"]["note"] == ["请填写不予通过的理由"]
    rejected = send(sec_a, f"{BASE}/claims/{report['id']}/reject", {"note": "材料不全"}).json()
    assert rejected["status"] == "rejected" and rejected["decision_note"] == "材料不全"
    assert mine.get(f"{BASE}/reports/mine").json()["items"][0]["status_name"] == "未通过"
    other = send(mine, f"{BASE}/reports", report_body()).json()
    assert send(sec_a, f"{BASE}/claims/{other['id']}/withdraw").status_code == 400  # not the submitter
    withdrawn = send(mine, f"{BASE}/claims/{other['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert Entry.objects.count() == 0


def test_submitter_cannot_approve_their_own_manual_award(users, sec_a, client_for, people):
    claim = send(sec_a, f"{BASE}/awards", award_body(people.peer, rule="negative.violation")).json()["claim"]
    own = send(sec_a, f"{BASE}/claims/{claim['id']}/approve")
    assert own.status_code == 400 and "其他支委" in own.json()["detail"]
    other = send(client_for(users.committee_a), f"{BASE}/claims/{claim['id']}/approve")
    assert other.status_code == 200 and Decimal(other.json()["entry"]["points"]) == -5


# --- reversals and appeals ---------------------------------------------------------------------------


def test_reverse_entry(users, sec_a, mine, client_for, people):
    entry = give(people.me, "learning.item").entry
    assert (
        send(client_for(users.sec_b), f"{BASE}/entries/{entry.pk}/reverse", {"reason": "x"}).status_code
        == 404
    )
    assert send(mine, f"{BASE}/entries/{entry.pk}/reverse", {"reason": "x"}).status_code == 403
    assert send(sec_a, f"{BASE}/entries/{entry.pk}/reverse", {"reason": " "}).status_code == 400
    assert send(sec_a, f"{BASE}/entries/{entry.pk}/reverse", {}).status_code == 422
    assert Entry.objects.count() == 1
    response = send(sec_a, f"{BASE}/entries/{entry.pk}/reverse", {"reason": "误记"})
    assert response.status_code == 201
    body = response.json()
    assert (
        body["kind"] == "reversal"
        and body["reverses"] == entry.pk
        and Decimal(body["points"]) == -Decimal("0.5")
    )
    assert body["awarded_by"] == "甲书记" and body["reason"] == "误记"
    again = send(sec_a, f"{BASE}/entries/{entry.pk}/reverse", {"reason": "再冲"})
    assert again.status_code == 400 and again.json()["detail"] == "该记录已冲正"
    assert Entry.objects.count() == 2
    assert sec_a.get(f"{BASE}/entries/999999/reverse").status_code == 405
    assert send(sec_a, f"{BASE}/entries/999999/reverse", {"reason": "x"}).status_code == 404


def test_appeal_flow(users, sec_a, mine, client_for, people):
    entry = give(people.me, "orglife.absence").entry
    peer_entry = give(people.peer, "learning.item").entry
    assert send(mine, f"{BASE}/entries/{peer_entry.pk}/appeal", {"reason": "x"}).status_code == 404
    officer = send(sec_a, f"{BASE}/entries/{entry.pk}/appeal", {"reason": "代为申诉"})
    assert officer.status_code == 400 and "本人" in officer.json()["detail"]
    response = send(mine, f"{BASE}/entries/{entry.pk}/appeal", {"reason": "当天已请假"})
    assert response.status_code == 201, response.json()
    appeal = response.json()
    assert (
        appeal["status"] == "open" and appeal["entry"]["id"] == entry.pk and appeal["reason"] == "当天已请假"
    )
    dup = send(mine, f"{BASE}/entries/{entry.pk}/appeal", {"reason": "再次申诉"})
    assert dup.status_code == 400 and Appeal.objects.count() == 1
    assert mine.get(f"{BASE}/appeals/mine").json()["count"] == 1
    assert mine.get(f"{BASE}/appeals").status_code == 403
    assert sec_a.get(f"{BASE}/appeals").json()["items"][0]["id"] == appeal["id"]
    assert client_for(users.sec_b).get(f"{BASE}/appeals").json()["count"] == 0
    url = f"{BASE}/appeals/{appeal['id']}/resolve"
    assert send(client_for(users.sec_b), url, {"decision": "reverse", "resolution": "x"}).status_code == 404
    assert send(mine, url, {"decision": "reverse", "resolution": "x"}).status_code == 403
    assert send(sec_a, url, {"decision": "maybe", "resolution": "x"}).status_code == 422
    assert send(sec_a, url, {"decision": "reverse", "resolution": ""}).status_code == 400
    assert Entry.objects.count() == 2
    resolved = send(sec_a, url, {"decision": "reverse", "resolution": "请假属实"})
    assert resolved.status_code == 200 and resolved.json()["status"] == "reversed"
    assert resolved.json()["resolved_by"] == "甲书记"
    assert Entry.objects.filter(reverses=entry).exists() and Entry.objects.count() == 3
    assert sec_a.get(f"{BASE}/appeals?status=reversed").json()["count"] == 1


def test_withdraw_appeal(users, sec_a, mine, people):
    entry = give(people.me, "orglife.absence").entry
    appeal = send(mine, f"{BASE}/entries/{entry.pk}/appeal", {"reason": "有误"}).json()
    assert send(sec_a, f"{BASE}/appeals/{appeal['id']}/withdraw").status_code == 400
    response = send(mine, f"{BASE}/appeals/{appeal['id']}/withdraw")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    upheld = send(sec_a, f"{BASE}/appeals/{appeal['id']}/resolve", {"decision": "uphold", "resolution": "x"})
    assert upheld.status_code == 400


# --- rankings ----------------------------------------------------------------------------------------


@pytest.fixture
def scored(tree, people):
    """Q2 2025: me 2 + 0.5, peer 2, 甲三 0, far 3 (branch B); a member who left is not ranked."""
    give(people.me, "orglife.theme_day", when=at(2025, 5, 1))
    give(people.me, "learning.item", when=at(2025, 5, 2))
    give(people.peer, "orglife.theme_day", when=at(2025, 5, 1))
    give(people.far, "orglife.life_meeting", when=at(2025, 5, 1))
    MemberFactory(org=tree.a, name="甲三")  # no points this quarter: ranked last with 0
    MemberFactory(org=tree.a, name="已转出", status="left")
    return people


def test_ranking_is_off_by_default(tree, sec_a, mine, scored):
    response = sec_a.get(f"{BASE}/ranking?org={tree.a.pk}&period=quarter&day=2025-05-01")
    assert response.status_code == 403 and response.json()["detail"] == RANKING_OFF
    own = mine.get(f"{BASE}/ranking/me?period=quarter&day=2025-05-01")
    assert own.status_code == 403 and own.json()["detail"] == RANKING_OFF


def test_ranking_when_enabled(tree, users, sec_a, mine, client_for, scored):
    switch_on(tree.general, "points.ranking_enabled")
    body = sec_a.get(f"{BASE}/ranking?org={tree.a.pk}&period=quarter&day=2025-05-01").json()
    assert body["label"] == "2025年第2季度" and body["count"] == 3
    assert [(r["name"], r["rank"]) for r in body["items"]][:2] == [("甲党员", 1), ("甲二", 2)]
    assert (
        Decimal(body["items"][0]["total"]) == Decimal("2.5")
        and body["items"][0]["group_name"] == "第一党小组"
    )
    assert Decimal(body["items"][2]["total"]) == 0 and body["items"][2]["rank"] == 3
    page = sec_a.get(f"{BASE}/ranking?org={tree.a.pk}&start=2025-04-01&end=2025-06-30&limit=2&page=2").json()
    assert page["count"] == 3 and page["period"] == "custom" and [r["rank"] for r in page["items"]] == [3]
    whole = client_for(users.org_admin).get(f"{BASE}/ranking?org={tree.general.pk}&day=2025-05-01").json()
    assert whole["count"] == 4 and whole["items"][0]["name"] == "乙一"
    # scope and permission: another branch 404; a member has no live ranking (403) but their own rank
    assert client_for(users.sec_b).get(f"{BASE}/ranking?org={tree.a.pk}").status_code == 404
    assert mine.get(f"{BASE}/ranking?org={tree.a.pk}").status_code == 403
    assert sec_a.get(f"{BASE}/ranking").status_code == 422
    own = mine.get(f"{BASE}/ranking/me?period=quarter&day=2025-05-01").json()
    assert own == {
        "org_id": tree.a.pk,
        "org_name": "第一党支部",
        "rank": 1,
        "total": own["total"],
        "count": 3,
    }
    wider = mine.get(f"{BASE}/ranking/me?org={tree.general.pk}&day=2025-05-01").json()
    assert wider["rank"] == 2 and wider["count"] == 4
    assert mine.get(f"{BASE}/ranking/me?org={tree.b.pk}").status_code == 404
    assert sec_a.get(f"{BASE}/ranking/me").status_code == 404


# --- snapshots (积分通报) ----------------------------------------------------------------------------


def test_snapshots(tree, users, sec_a, mine, client_for, scored):
    body = {"org": tree.a.pk, "period": "quarter", "day": "2025-05-01", "note": "第二季度"}
    off = send(sec_a, f"{BASE}/snapshots", body)
    assert off.status_code == 400 and "未开启积分通报" in off.json()["detail"]
    switch_on(tree.a, "points.publish_enabled")
    assert send(mine, f"{BASE}/snapshots", body).status_code == 403
    assert send(client_for(users.sec_b), f"{BASE}/snapshots", body).status_code == 404
    current = send(sec_a, f"{BASE}/snapshots", {**body, "day": timezone.localdate().isoformat()})
    assert current.status_code == 400 and "end" in current.json()["errors"]
    bad = send(sec_a, f"{BASE}/snapshots", {**body, "period": "custom", "day": None})
    assert bad.status_code == 422 and "start" in bad.json()["errors"]
    assert Snapshot.objects.count() == 0
    response = send(sec_a, f"{BASE}/snapshots", body)
    assert response.status_code == 201, response.json()
    snap = response.json()
    assert snap["title"] == "第一党支部2025年第2季度积分通报" and snap["member_count"] == 3
    assert snap["label"] == "2025年第2季度" and snap["published_by"] == "甲书记"
    again = send(sec_a, f"{BASE}/snapshots", body)
    assert again.status_code == 400 and Snapshot.objects.count() == 1
    assert sec_a.get(f"{BASE}/snapshots").json()["count"] == 1
    detail = mine.get(f"{BASE}/snapshots/{snap['id']}?limit=2").json()  # members read their branch's
    assert detail["count"] == 3 and [r["name"] for r in detail["rows"]] == ["甲党员", "甲二"]
    assert Decimal(detail["rows"][0]["total"]) == Decimal("2.5")
    assert client_for(users.sec_b).get(f"{BASE}/snapshots/{snap['id']}").status_code == 404
    assert client_for(users.sec_b).get(f"{BASE}/snapshots").json()["count"] == 0


def test_service_errors_have_the_api_error_shape(sec_a, people):
    """A service refusal answers {"detail", "errors"} with the service's own Chinese message."""
    response = send(sec_a, f"{BASE}/awards", award_body(people.me, rule="no.such"))
    assert response.json() == {
        "detail": "该积分规则不存在或未启用",
        "errors": {"rule": ["该积分规则不存在或未启用"]},
    }
