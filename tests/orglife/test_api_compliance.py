"""组织生活合规 API: a branch's year, a committee's matrix (sorted, filtered, paged), the requirements and
their versions (read, write, refusals), the 台账 downloads (audited); scope (404 outside, 403 without
the permission) and bad input (400/422, nothing written)."""

import datetime as dt
import io
import json

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import UserFactory, grant
from tests.orglife.test_compliance import Y, at, held
from zhibu.accounts.models import Role
from zhibu.core.models import AuditAction, AuditLog
from zhibu.orglife import compliance
from zhibu.orglife.models import Requirement

pytestmark = pytest.mark.django_db
BASE = "/api/v1/orglife"


def send(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


# --- Branch ------------------------------------------------------------------------------------------


def test_branch_year(tree, users, client_for):
    held(tree.a, "theme_day", at(Y, 1, 31, 23, 59))
    held(tree.a, "theme_day", at(Y, 3, 1, 0, 1))
    compliance.save_requirement(None, tree.general, "party_lecture", {"active": False}, dt.date(Y, 7, 1))
    answer = client_for(users.sec_a).get(f"{BASE}/compliance/branches/{tree.a.pk}", {"year": Y})
    assert answer.status_code == 200
    body = answer.json()
    assert body["org"] == {"id": tree.a.pk, "name": tree.a.name, "org_type": "branch"}
    lines = {(x["org"]["id"], x["code"]): x for x in body["lines"]}
    theme = lines[(tree.a.pk, "theme_day")]
    assert (theme["frequency"], theme["min_count"], theme["origin"], theme["held"]) == (
        "month",
        1,
        "系统默认",
        2,
    )
    assert [p["state"] for p in theme["periods"][:3]] == ["met", "missed", "met"]
    assert theme["periods"][0] == {
        "label": "1月",
        "start": f"{Y}-01-01",
        "end": f"{Y}-01-31",
        "state": "met",
        "count": 1,
        "required": 1,
        "days_left": None,
    }
    lecture = lines[(tree.a.pk, "party_lecture")]
    assert [p["state"] for p in lecture["periods"]][2:] == ["off", "off"]  # switched off from July
    assert (tree.a1.pk, "group_meeting") in lines
    assert body["missed"] == sum(x["missed"] for x in body["lines"])


def test_branch_due_days_left(tree, users, client_for):
    today = timezone.localdate()
    body = client_for(users.sec_a).get(f"{BASE}/compliance/branches/{tree.a.pk}").json()
    assert body["year"] == today.year and body["today"] == today.isoformat()
    theme = next(x for x in body["lines"] if x["code"] == "theme_day")
    now = theme["periods"][today.month - 1]
    end = dt.date(today.year + today.month // 12, today.month % 12 + 1, 1) - dt.timedelta(days=1)
    assert (now["state"], now["days_left"]) == ("due", (end - today).days + 1)


def test_branch_scope(tree, users, client_for):
    url = f"{BASE}/compliance/branches/{tree.a.pk}"
    assert client_for(users.sec_b).get(url).status_code == 404
    assert client_for(users.member_a).get(url).status_code == 403
    assert client_for(users.leader_a1).get(url).status_code == 404
    assert client_for(users.leader_a1).get(f"{BASE}/compliance/branches/{tree.a1.pk}").status_code == 200
    assert client_for(users.org_admin).get(f"{BASE}/compliance/branches/{tree.general.pk}").status_code == 404
    assert client_for(users.sec_a).get(url, {"year": "x"}).status_code == 422


# --- Committee ----------------------------------------------------------------------------------------


def test_committee_matrix(tree, users, client_for):
    for month in range(1, 13):
        held(tree.b, "theme_day", at(Y - 1, month, 3))
    client = client_for(users.org_admin)
    body = client.get(f"{BASE}/compliance/committees/{tree.root.pk}", {"year": Y - 1}).json()
    assert (body["branches"], body["count"], body["behind"]) == (2, 2, 2)
    keys = [(c["code"], c["frequency"]) for c in body["columns"]]
    assert keys[0] == ("branch_meeting", "quarter") and ("group_meeting", "month") in keys
    assert [row["org"]["id"] for row in body["items"]] == [tree.a.pk, tree.b.pk]  # A is further behind
    a, b = body["items"]
    theme = keys.index(("theme_day", "month"))
    assert (a["cells"][theme]["missed"], b["cells"][theme]["missed"], b["cells"][theme]["met"]) == (12, 0, 12)
    group = a["cells"][keys.index(("group_meeting", "month"))]
    assert (group["units"], group["missed"]) == (2, 24)  # two 党小组 × 12 months
    assert ("committee_meeting", "month") not in keys  # neither branch has set up a committee
    paged = client.get(
        f"{BASE}/compliance/committees/{tree.root.pk}", {"year": Y - 1, "limit": 1, "offset": 1}
    )
    assert [row["org"]["id"] for row in paged.json()["items"]] == [tree.b.pk]


def test_committee_unfinished_filter(tree, users, client_for):
    compliance.save_requirement(None, tree.b, "theme_day", {"active": False}, dt.date(2000, 1, 1))
    for code in ("branch_meeting", "party_lecture", "group_meeting", "life_meeting", "democratic_review"):
        compliance.save_requirement(None, tree.b, code, {"active": False}, dt.date(2000, 1, 1))
    body = (
        client_for(users.org_admin)
        .get(f"{BASE}/compliance/committees/{tree.general.pk}", {"year": Y - 1, "unfinished": True})
        .json()
    )
    assert body["branches"] == 2 and [row["org"]["id"] for row in body["items"]] == [tree.a.pk]


def test_committee_scope(tree, users, client_for):
    url = f"{BASE}/compliance/committees/{tree.general.pk}"
    assert client_for(users.sec_a).get(url).status_code == 404
    outsider = UserFactory()
    grant(outsider, tree.general, Role.MEMBER)
    assert client_for(outsider).get(url).status_code == 403
    assert client_for(users.org_admin).get(f"{BASE}/compliance/committees/{tree.a.pk}").status_code == 404


# --- Requirements -------------------------------------------------------------------------------------


def test_list_requirements(tree, users, client_for):
    compliance.save_requirement(None, tree.general, "theme_day", {"min_count": 2}, dt.date(2020, 1, 1))
    body = client_for(users.sec_a).get(f"{BASE}/requirements", {"org": tree.a.pk}).json()
    rows = {r["version"]["code"]: r for r in body}
    assert rows["theme_day"]["version"]["min_count"] == 2
    assert rows["theme_day"]["version"]["origin"] == tree.general.name and not rows["theme_day"]["own"]
    assert rows["branch_meeting"]["type_name"] == "支部党员大会"
    default = client_for(users.org_admin).get(f"{BASE}/requirements").json()
    assert {r["version"]["code"] for r in default} >= {"branch_meeting", "group_meeting"}
    leader = client_for(users.leader_a1).get(f"{BASE}/requirements")  # their group follows the branch's
    assert leader.status_code == 200 and {r["version"]["code"] for r in leader.json()} >= {"group_meeting"}
    assert client_for(users.sec_b).get(f"{BASE}/requirements", {"org": tree.a.pk}).status_code == 404
    assert client_for(users.sec_a).get(f"{BASE}/requirements", {"org": tree.a1.pk}).status_code == 404


def test_save_requirement(tree, users, client_for):
    today = timezone.localdate()
    client = client_for(users.org_admin)
    body = {"org": tree.general.pk, "code": "theme_day", "valid_from": today.isoformat(), "min_count": 2}
    answer = send(client, f"{BASE}/requirements", body)
    assert answer.status_code == 201
    saved = answer.json()
    assert (saved["min_count"], saved["frequency"], saved["origin"], saved["active"]) == (
        2,
        "month",
        tree.general.name,
        True,
    )
    assert AuditLog.objects.filter(object_type="orglife.requirement", object_id=str(saved["id"])).exists()
    new = send(
        client,
        f"{BASE}/requirements",
        {
            "org": tree.general.pk,
            "code": "lecture_by_secretary",
            "valid_from": today.isoformat(),
            "type_code": "party_lecture",
            "frequency": "year",
            "min_count": 1,
            "applies_to": "branch",
            "source": "书记每年至少讲一次党课（《支部工作条例》）",
        },
    )
    assert new.status_code == 201 and new.json()["code"] == "lecture_by_secretary"


def test_save_requirement_refusals_change_nothing(tree, users, client_for):
    today = timezone.localdate()
    before = Requirement.objects.count()
    client = client_for(users.org_admin)
    past = send(
        client,
        f"{BASE}/requirements",
        {
            "org": tree.general.pk,
            "code": "theme_day",
            "valid_from": (today - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert past.status_code == 400 and "valid_from" in past.json()["errors"]
    bad = send(
        client,
        f"{BASE}/requirements",
        {"org": tree.general.pk, "code": "theme_day", "valid_from": today.isoformat(), "frequency": "week"},
    )
    assert bad.status_code == 422
    relax = send(
        client_for(users.sec_a),
        f"{BASE}/requirements",
        {"org": tree.a.pk, "code": "branch_meeting", "valid_from": today.isoformat(), "active": False},
    )
    assert relax.status_code == 400 and "不能停用" in relax.json()["detail"]
    body = {"org": tree.a.pk, "code": "theme_day", "valid_from": today.isoformat(), "min_count": 2}
    assert send(client_for(users.member_a), f"{BASE}/requirements", body).status_code == 403
    assert send(client_for(users.sec_b), f"{BASE}/requirements", body).status_code == 404
    assert (
        send(client_for(users.leader_a1), f"{BASE}/requirements", {**body, "org": tree.a1.pk}).status_code
        == 404
    )
    assert Requirement.objects.count() == before


# --- 台账 -------------------------------------------------------------------------------------------------


def test_ledger_downloads(tree, users, client_for):
    held(tree.a, "theme_day", at(Y, 1, 20), topic="重温入党誓词", summary="全体党员重温入党誓词")
    client = client_for(users.sec_a)
    pdf = client.get(f"{BASE}/branches/{tree.a.pk}/ledger.pdf", {"year": Y})
    assert (
        pdf.status_code == 200
        and pdf["Content-Type"] == "application/pdf"
        and pdf.content.startswith(b"%PDF")
    )
    xlsx = client.get(f"{BASE}/branches/{tree.a.pk}/ledger.xlsx", {"year": Y})
    assert xlsx.status_code == 200
    rows = list(load_workbook(io.BytesIO(xlsx.content))["会议"].iter_rows(values_only=True))
    assert rows[1][5] == "重温入党誓词" and rows[1][-1] == "全体党员重温入党誓词"
    exports = AuditLog.objects.filter(action=AuditAction.EXPORT, org_id=tree.a.pk, actor=users.sec_a)
    assert sorted(log.after["format"] for log in exports) == ["Excel", "PDF"]


def test_ledger_scope(tree, users, client_for):
    assert client_for(users.sec_b).get(f"{BASE}/branches/{tree.a.pk}/ledger.xlsx").status_code == 404
    assert client_for(users.member_a).get(f"{BASE}/branches/{tree.a.pk}/ledger.pdf").status_code == 403
    assert client_for(users.leader_a1).get(f"{BASE}/branches/{tree.a1.pk}/ledger.xlsx").status_code == 404
    assert not AuditLog.objects.filter(action=AuditAction.EXPORT).exists()
