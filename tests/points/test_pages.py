"""积分 pages: each renders for the right role, scope (404 out of scope, 403 without the permission), the
award form (idempotent), self-report → queue → approval, rejection needs a note, appeal → reversal,
rankings off by default, the catalogue editor (new version, old entries keep theirs), published
rankings, and constant query counts for the overview, the member ledger and the claims queue."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import MemberFactory
from tests.points.factories import days_ago, give, key, switch_on
from zhibu.core import config
from zhibu.members.models import Member
from zhibu.points import rules, services
from zhibu.points.models import Appeal, AppealStatus, Claim, ClaimStatus, Entry, EntryKind, Rule, Snapshot

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"points:{name}", args=args)


def local_input(moment: dt.datetime) -> str:
    """A datetime as a datetime-local input sends it."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def me(tree, users):
    """The member record of users.member_a (branch A, 第一党小组)."""
    return MemberFactory(org=tree.a, group=tree.a1, user=users.member_a, name="甲党员")


@pytest.fixture
def people(tree):
    return {
        "a": MemberFactory(org=tree.a, group=tree.a2, name="王甲"),
        "b": MemberFactory(org=tree.b, group=tree.b1, name="李乙"),
    }


def award_form(member, code="orglife.lecture_given", **extra):
    data = {
        "member": member.pk,
        "rule": code,
        "quantity": "1",
        "occurred_at": local_input(days_ago(1)),
        "reason": "为支部讲授专题党课",
        "evidence": "课件《学习贯彻》",
        "request_key": key(),
    }
    data.update(extra)
    return data


def report_form(code="volunteer.hours", **extra):
    data = {
        "rule": code,
        "quantity": "3",
        "occurred_at": local_input(days_ago(2)),
        "reason": "社区垃圾分类志愿服务",
        "evidence": "社区居委会证明",
        "request_key": key(),
    }
    data.update(extra)
    return data


# --- Pages render for the right role ----------------------------------------------------------------


def test_member_pages_render_on_a_phone(users, me, client_for):
    give(me, "orglife.branch_meeting", source_label="支部党员大会")
    client = client_for(users.member_a)
    home = client.get(reverse("core:home")).content.decode()
    assert url("mine") in home and "我的积分" in home  # nav entry and 工作台 card
    response = client.get(url("mine"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "参加支部党员大会" in html and "支部党员大会" in html and "+2" in html
    assert response.context["total"] == 2 and response.context["all_time"] == 2
    assert response.context["rank"] is None  # rankings are off by default
    assert "支部排名" not in html
    assert response.context["period"].kind == "quarter"
    for name in ("week", "month", "year", "all"):
        assert client.get(url("mine"), {"period": name}).status_code == 200
    report = client.get(url("report"))
    assert report.status_code == 200
    assert "参加志愿服务" in report.content.decode()
    assert {r.code for r in report.context["form"].rules} >= {"volunteer.hours", "role.help"}
    assert "orglife.branch_meeting" not in {r.code for r in report.context["form"].rules}
    assert client.get(url("my_appeals")).status_code == 200
    assert client.get(url("snapshots")).status_code == 200


def test_a_user_without_a_member_record_is_told_so(users, client_for):
    client = client_for(users.nobody)
    assert "还没有关联党员档案" in client.get(url("mine")).content.decode()
    assert "不能申报积分" in client.get(url("report")).content.decode()
    assert url("mine") not in client.get(reverse("core:home")).content.decode()


def test_officer_pages_render(tree, users, me, people, client_for):
    entry = give(me, "orglife.branch_meeting").entry
    client = client_for(users.sec_a)
    home = client.get(reverse("core:home")).content.decode()
    assert url("overview") in home and url("claims") in home
    for name, args, params in [
        ("overview", [], {}),
        ("overview", [], {"org": tree.a1.pk, "period": "year"}),
        ("overview", [], {"period": "custom", "start": "2026-01-01", "end": "2026-02-01"}),
        ("member", [me.pk], {}),
        ("member", [me.pk], {"period": "all"}),
        ("entry", [entry.pk], {}),
        ("award", [], {}),
        ("award", [], {"member": me.pk}),
        ("claims", [], {}),
        ("claims", [], {"status": "approved"}),
        ("appeals", [], {}),
        ("ranking", [], {}),
        ("snapshots", [], {}),
        ("rules", [], {}),
        ("rule_edit", [tree.a.pk, "volunteer.hours"], {}),
        ("rule_new", [tree.a.pk], {}),
        ("rule_history", [tree.a.pk, "volunteer.hours"], {}),
    ]:
        response = client.get(url(name, *args), params)
        assert response.status_code == 200, (name, params)
    html = client.get(url("member", me.pk)).content.decode()
    assert "v1" in html and "冲正" in html  # rule version, reversal action for points.manage
    award = client.get(url("award"), {"member": me.pk})
    assert "讲授党课" in award.content.decode() and "需佐证材料" in award.content.decode()
    assert "orglife.branch_meeting" not in {r.code for r in award.context["form"].rules}  # system only


def test_group_leader_reads_but_does_not_manage(tree, users, me, people, client_for):
    client = client_for(users.leader_a1)
    assert client.get(url("overview")).status_code == 200
    assert client.get(url("member", me.pk)).status_code == 200  # 第一党小组
    assert client.get(url("member", people["a"].pk)).status_code == 404  # 第二党小组
    assert "冲正" not in client.get(url("member", me.pk)).content.decode()
    for name in ("award", "claims", "appeals"):
        assert client.get(url(name)).status_code == 403
    assert client.get(url("rule_edit", tree.a.pk, "volunteer.hours")).status_code == 404  # not in scope
    assert client.get(url("rules")).status_code == 200


def test_committee_member_cannot_edit_the_catalogue(tree, users, client_for):
    client = client_for(users.committee_a)
    assert client.get(url("rules")).status_code == 200
    edit = f'href="{url("rule_edit", tree.a.pk, "volunteer.hours")}"'
    assert edit not in client.get(url("rules")).content.decode()
    assert client.get(url("rule_edit", tree.a.pk, "volunteer.hours")).status_code == 403
    assert client.get(url("rule_new", tree.a.pk)).status_code == 403


def test_a_member_cannot_open_officer_pages(tree, users, me, people, client_for):
    client = client_for(users.member_a)
    for name in ("overview", "award", "claims", "appeals", "ranking", "rules"):
        assert client.get(url(name)).status_code == 403, name
    assert client.get(url("member", people["a"].pk)).status_code == 404
    assert client.get(url("award"), {"member": me.pk}).status_code == 403
    # their own ledger page sends them to 我的积分
    assert client.get(url("member", me.pk)).url == url("mine")
    other = give(people["a"]).entry
    assert client.get(url("entry", other.pk)).status_code == 404
    assert client.post(url("entry_reverse", give(me).entry.pk), {"reason": "x"}).status_code == 403


def test_out_of_scope_is_404(tree, users, me, people, client_for):
    entry = give(me).entry
    claim = services.self_report(users.member_a, "volunteer.hours", **_report_kwargs())
    client = client_for(users.sec_b)
    assert client.get(url("member", me.pk)).status_code == 404
    assert client.get(url("award"), {"member": me.pk}).status_code == 404
    assert client.post(url("award"), award_form(me)).status_code == 404
    assert Entry.objects.filter(member=me).count() == 1
    assert client.get(url("overview"), {"org": tree.a.pk}).status_code == 404
    assert client.get(url("ranking"), {"org": tree.a.pk}).status_code == 404
    assert client.get(url("rules"), {"org": tree.a.pk}).status_code == 404
    assert client.get(url("rule_edit", tree.a.pk, "volunteer.hours")).status_code == 404
    assert client.get(url("entry", entry.pk)).status_code == 404
    assert client.get(url("claim", claim.pk)).status_code == 404
    assert client.post(url("claim", claim.pk), {"action": "approve"}).status_code == 404
    names = {m.name for m in client.get(url("overview")).context["page"]}
    assert "李乙" in names and "甲党员" not in names
    assert claim not in client.get(url("claims")).context["page"].object_list
    Claim.objects.get(pk=claim.pk, status=ClaimStatus.PENDING)


def _report_kwargs(**kw):
    data = {
        "occurred_at": days_ago(2),
        "reason": "志愿服务",
        "request_key": key(),
        "evidence": "证明",
        "quantity": 2,
    }
    data.update(kw)
    return data


# --- Award / deduct -----------------------------------------------------------------------------------


def test_award_writes_one_entry_and_a_double_post_writes_one(users, me, client_for):
    client = client_for(users.sec_a)
    data = award_form(me)
    first = client.post(url("award"), data, follow=True)
    assert first.redirect_chain[-1][0] == url("member", me.pk)
    assert "已记分 +5 分" in first.content.decode()
    second = client.post(url("award"), data, follow=True)
    assert "重复提交，未再次记分" in second.content.decode()
    entry = Entry.objects.get(member=me)
    assert entry.points == 5 and entry.awarded_by == users.sec_a and entry.source_label == "手工记分"


def test_award_over_a_cap_says_so(users, me, client_for):
    client = client_for(users.sec_a)
    for _ in range(4):
        client.post(url("award"), award_form(me))  # 讲授党课: 5 points, at most 20 a year
    response = client.post(url("award"), award_form(me), follow=True)
    assert "已记分 0 分" in response.content.decode() and "已达每年上限20分" in response.content.decode()
    assert Entry.objects.filter(member=me).count() == 5


def test_award_needing_approval_goes_to_the_queue(users, me, client_for):
    client = client_for(users.sec_a)
    data = award_form(me, "role.pioneer", reason="攻坚任务表现突出")
    response = client.post(url("award"), data, follow=True)
    assert "已提交，待其他支委审核" in response.content.decode()
    assert client.post(url("award"), data).status_code == 302  # same key: still one claim
    claim = Claim.objects.get(member=me)
    assert claim.kind == "manual" and claim.submitted_by == users.sec_a
    assert not Entry.objects.exists()
    # the submitter cannot approve it; another officer does
    queue = client.get(url("claims")).content.decode()
    assert "需由其他支委审核" in queue
    refused = client.post(url("claim", claim.pk), {"action": "approve"})
    assert refused.status_code == 200 and "其他支委审核" in refused.content.decode()
    assert not Entry.objects.exists()
    done = client_for(users.committee_a).post(url("claim", claim.pk), {"action": "approve", "back": "queue"})
    assert done.url == url("claims")
    entry = Entry.objects.get(member=me)
    assert entry.points == 3 and entry.approved_by == users.committee_a


def test_award_errors_are_shown_on_the_form_and_nothing_is_written(users, me, client_for):
    client = client_for(users.sec_a)
    response = client.post(url("award"), award_form(me, evidence=""))
    assert response.status_code == 200
    assert "需要佐证材料" in str(response.context["form"].errors["evidence"])
    future = local_input(timezone.now() + dt.timedelta(days=2))
    response = client.post(url("award"), award_form(me, occurred_at=future))
    assert "发生时间不能晚于当前时间" in str(response.context["form"].errors["occurred_at"])
    response = client.post(url("award"), award_form(me, rule="no.such.rule"))
    assert response.status_code == 200 and response.context["form"].errors["rule"]
    assert not Entry.objects.exists() and not Claim.objects.exists()


# --- Self-report → queue → approval ---------------------------------------------------------------------


def test_self_report_then_approval_by_an_officer(users, me, client_for):
    member = client_for(users.member_a)
    photo = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0 fake jpeg", content_type="image/jpeg")
    response = member.post(url("report"), {**report_form(), "evidence_file": photo})
    claim = Claim.objects.get(member=me)
    assert response.url == url("claim", claim.pk)
    assert claim.status == ClaimStatus.PENDING and claim.evidence_file
    page = member.get(url("claim", claim.pk)).content.decode()
    assert "待审核" in page and "+3 分" in page and "撤回申报" in page
    assert "通过并记分" not in page  # members do not decide
    assert member.post(url("claim", claim.pk), {"action": "approve"}).status_code == 403
    # the secretary sees it in the queue, with the file and what it would score
    secretary = client_for(users.sec_a)
    queue = secretary.get(url("claims"))
    assert [c.pk for c in queue.context["page"]] == [claim.pk]
    html = queue.content.decode()
    assert "甲党员" in html and "参加志愿服务" in html and url("claim_file", claim.pk) in html
    assert queue.context["page"][0].would_score == "+3"
    assert secretary.get(url("claim_file", claim.pk)).status_code == 200
    assert member.get(url("claim_file", claim.pk)).status_code == 200
    done = secretary.post(url("claim", claim.pk), {"action": "approve", "note": "情况属实"}, follow=True)
    assert "已通过" in done.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED and claim.entry.points == 3
    assert claim.entry.approved_by == users.sec_a
    mine = member.get(url("mine"))
    assert mine.context["total"] == 3
    assert url("claim", claim.pk) in mine.content.decode()  # the entry's source links to the claim
    assert "情况属实" in member.get(url("report")).content.decode()
    # a second decision is refused on the form
    again = secretary.post(url("claim", claim.pk), {"action": "reject", "note": "x"})
    assert again.status_code == 200 and "不能重复审核" in again.content.decode()
    assert Entry.objects.filter(member=me).count() == 1


def test_a_repeated_self_report_is_one_claim(users, me, client_for):
    member = client_for(users.member_a)
    data = report_form()
    member.post(url("report"), data)
    member.post(url("report"), data)
    assert Claim.objects.filter(member=me).count() == 1


def test_self_report_errors_are_shown_on_the_form(users, me, client_for):
    member = client_for(users.member_a)
    response = member.post(url("report"), report_form(evidence=""))
    assert response.status_code == 200
    assert "需要佐证材料" in str(response.context["form"].errors["evidence"])
    response = member.post(url("report"), report_form(rule="orglife.branch_meeting"))
    assert response.status_code == 200 and response.context["form"].errors["rule"]
    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = member.post(url("report"), {**report_form(), "evidence_file": bad})
    assert response.context["form"].errors["evidence_file"]
    assert not Claim.objects.exists()


def test_rejection_needs_a_note(users, me, client_for):
    claim = services.self_report(users.member_a, "volunteer.hours", **_report_kwargs())
    secretary = client_for(users.sec_a)
    response = secretary.post(url("claim", claim.pk), {"action": "reject", "note": ""})
    assert response.status_code == 200
    assert "请填写不予通过的理由" in str(response.context["form"].errors["note"])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING
    secretary.post(url("claim", claim.pk), {"action": "reject", "note": "无组织方证明"})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED and claim.decided_by == users.sec_a
    assert not Entry.objects.exists()
    html = client_for(users.member_a).get(url("report")).content.decode()
    assert "未通过" in html and "无组织方证明" in html
    rejected = secretary.get(url("claims"), {"status": "rejected"}).context["page"]
    assert [c.pk for c in rejected] == [claim.pk]


def test_member_withdraws_a_pending_claim(users, me, client_for):
    claim = services.self_report(users.member_a, "volunteer.hours", **_report_kwargs())
    member = client_for(users.member_a)
    response = member.post(url("claim_withdraw", claim.pk), {"back": "report"})
    assert response.url == url("report")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.WITHDRAWN
    assert claim not in client_for(users.sec_a).get(url("claims")).context["page"].object_list


# --- Appeals and reversals ------------------------------------------------------------------------


def test_appeal_then_resolve_by_reversal(users, me, client_for):
    entry = give(me, "orglife.branch_meeting", source_label="支部党员大会").entry
    member = client_for(users.member_a)
    response = member.post(url("entry_appeal", entry.pk), {"reason": "当天请假，未参加"})
    assert response.url == url("my_appeals")
    appeal = Appeal.objects.get(entry=entry)
    assert "申诉处理中" in member.get(url("mine")).content.decode()
    assert "当天请假" in member.get(url("my_appeals")).content.decode()
    # a second appeal on the same entry is refused on the form
    again = member.post(url("entry_appeal", entry.pk), {"reason": "再次申诉"})
    assert again.status_code == 200
    assert Appeal.objects.filter(entry=entry).count() == 1
    secretary = client_for(users.sec_a)
    assert [a.pk for a in secretary.get(url("appeals")).context["page"]] == [appeal.pk]
    missing = secretary.post(url("appeal", appeal.pk), {"decision": "reverse", "resolution": ""})
    assert missing.status_code == 200 and missing.context["form"].errors["resolution"]
    done = secretary.post(
        url("appeal", appeal.pk), {"decision": "reverse", "resolution": "核实属实", "back": "appeals"}
    )
    assert done.url == url("appeals")
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.REVERSED
    reversal = Entry.objects.get(reverses=entry)
    assert reversal.kind == EntryKind.REVERSAL and reversal.points == -2
    mine = member.get(url("mine"))
    assert mine.context["total"] == 0
    html = mine.content.decode()
    assert url("entry", reversal.pk) in html and url("entry", entry.pk) in html  # linked both ways
    assert "已冲正" in member.get(url("my_appeals")).content.decode()


def test_member_withdraws_an_open_appeal(users, me, client_for):
    entry = give(me).entry
    appeal = services.file_appeal(users.member_a, entry, "不对")
    client_for(users.member_a).post(url("appeal_withdraw", appeal.pk))
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.WITHDRAWN


def test_officer_reverses_an_entry_with_a_reason(users, me, client_for):
    entry = give(me, "orglife.branch_meeting").entry
    client = client_for(users.committee_a)
    missing = client.post(url("entry_reverse", entry.pk), {"reason": ""})
    assert missing.status_code == 200 and missing.context["reverse_form"].errors["reason"]
    assert not Entry.objects.filter(reverses=entry).exists()
    done = client.post(url("entry_reverse", entry.pk), {"reason": "考勤录错"})
    assert done.url == url("member", me.pk)
    assert Entry.objects.get(reverses=entry).points == -2
    html = client.get(url("member", me.pk)).content.decode()
    assert "已于" in html and "冲正" in html


# --- Rankings -----------------------------------------------------------------------------------------


def _branch_with_points(tree, n=3):
    members = [MemberFactory(org=tree.a, name=f"成员{i}") for i in range(n)]
    for i, m in enumerate(members):
        for j in range(i + 1):
            give(m, "orglife.branch_meeting", source=f"{m.pk}-{j}")
    return members


def test_rankings_are_off_by_default_and_shown_when_switched_on(tree, users, me, client_for):
    members = _branch_with_points(tree)
    client = client_for(users.sec_a)
    overview = client.get(url("overview"))
    html = overview.content.decode()
    assert overview.context["ranking"] is False
    assert "名次" not in html and "排名未开启" in html
    assert reverse("orgs:settings", args=[tree.a.pk]) in html
    by_name = Member.objects.filter(org=tree.a).order_by("name", "pk").values_list("pk", flat=True)
    assert [m.pk for m in overview.context["page"]] == list(by_name)  # by name, no ranks
    ranking = client.get(url("ranking"))
    assert "未开启积分排名" in ranking.content.decode() and "page" not in ranking.context
    assert "支部排名" not in client_for(users.member_a).get(url("mine")).content.decode()
    config.set_value(users.org_admin, tree.a, "points.ranking_enabled", "开启", timezone.localdate())
    overview = client.get(url("overview"))
    assert overview.context["ranking"] is True and "名次" in overview.content.decode()
    ranked = [(m.name, m.rank, m.total) for m in overview.context["page"]]
    assert ranked[0] == (members[2].name, 1, 6)
    ranking = client.get(url("ranking"))
    assert [m.rank for m in ranking.context["page"]][:3] == [1, 2, 3]
    assert "publish_form" not in ranking.context  # publication is a separate switch
    mine = client_for(users.member_a).get(url("mine"))
    assert mine.context["rank"].rank == 4 and "支部排名" in mine.content.decode()


def test_search_keeps_each_members_place(tree, users, client_for):
    members = _branch_with_points(tree)
    switch_on(tree.a, "points.ranking_enabled")
    client = client_for(users.sec_a)
    found = client.get(url("overview"), {"q": members[0].name}).context["page"]
    assert [(m.name, m.rank) for m in found] == [(members[0].name, 3)]
    assert found.paginator.count == 1
    found = client.get(url("ranking"), {"q": members[1].name}).context["page"]
    assert [(m.name, m.rank) for m in found] == [(members[1].name, 2)]


def test_publish_a_snapshot_for_a_closed_period(tree, users, me, client_for):
    _branch_with_points(tree)
    switch_on(tree.a, "points.ranking_enabled")
    switch_on(tree.a, "points.publish_enabled")
    client = client_for(users.sec_a)
    ranking = client.get(url("ranking"))
    assert "publish_form" in ranking.context
    today = timezone.localdate()
    start, end = rules.period_bounds("quarter", today)
    refused = client.post(
        url("publish", tree.a.pk), {"period_kind": "quarter", "start": start, "end": end, "title": ""}
    )
    assert refused.status_code == 200 and "已结束周期" in refused.content.decode()
    assert not Snapshot.objects.exists()
    start, end = rules.period_bounds("quarter", start - dt.timedelta(days=1))
    done = client.post(url("publish", tree.a.pk), {"period_kind": "quarter", "start": start, "end": end})
    snap = Snapshot.objects.get()
    assert done.url == url("snapshot", snap.pk)
    assert snap.member_count == 4
    # members read the published rankings of their own branch
    member = client_for(users.member_a)
    assert [s.pk for s in member.get(url("snapshots")).context["page"]] == [snap.pk]
    assert member.get(url("snapshot", snap.pk)).status_code == 200
    assert client_for(users.sec_b).get(url("snapshot", snap.pk)).status_code == 404
    # group leaders can read but not publish
    assert "publish_form" not in client_for(users.leader_a1).get(url("ranking"), {"org": tree.a.pk}).context


# --- Catalogue ----------------------------------------------------------------------------------------


def _rule_post(rule, **changes):
    data = {
        "name": rule.name,
        "category": rule.category,
        "points": str(rule.points),
        "unit": rule.unit,
        "unit_size": str(rule.unit_size),
        "cap_day": "" if rule.cap_day is None else str(rule.cap_day),
        "cap_week": "" if rule.cap_week is None else str(rule.cap_week),
        "cap_month": "" if rule.cap_month is None else str(rule.cap_month),
        "cap_year": "" if rule.cap_year is None else str(rule.cap_year),
        "awarder": rule.awarder,
        "description": rule.description,
        "valid_from": timezone.localdate().isoformat(),
    }
    for flag in ("needs_evidence", "needs_approval", "self_report", "active"):
        if getattr(rule, flag):
            data[flag] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_catalogue_edit_creates_version_2_and_old_entries_keep_version_1(tree, users, me, client_for):
    old = give(me, "orglife.branch_meeting", when=days_ago(3)).entry
    assert old.rule.version == 1
    client = client_for(users.sec_a)
    v1 = Rule.objects.get(org=None, code="orglife.branch_meeting")
    page = client.get(url("rule_edit", tree.a.pk, v1.code))
    assert page.context["form"].initial["points"] == "2"
    response = client.post(url("rule_edit", tree.a.pk, v1.code), _rule_post(v1, points="3"))
    assert response.url == f"{url('rules')}?org={tree.a.pk}"
    v2 = Rule.objects.get(org=tree.a, code=v1.code)
    assert v2.version == 2 and v2.points == 3 and v2.created_by == users.sec_a
    old.refresh_from_db()
    assert old.rule_id == v1.pk and old.points == 2
    new = give(me, "orglife.branch_meeting", when=timezone.now()).entry
    assert new.rule_id == v2.pk and new.points == 3
    catalogue = client.get(url("rules")).content.decode()
    assert "v2" in catalogue and tree.a.name in catalogue
    history = client.get(url("rule_history", tree.a.pk, v1.code))
    assert [v.version for v in history.context["versions"]] == [2, 1]
    ledger = client.get(url("member", me.pk), {"period": "all"}).content.decode()
    assert "v1" in ledger and "v2" in ledger


def test_catalogue_errors_stay_on_the_form_and_nothing_is_saved(tree, users, client_for):
    client = client_for(users.sec_a)
    v1 = Rule.objects.get(org=None, code="volunteer.hours")
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = client.post(url("rule_edit", tree.a.pk, v1.code), _rule_post(v1, valid_from=past))
    assert response.status_code == 200 and response.context["form"].errors["valid_from"]
    response = client.post(url("rule_edit", tree.a.pk, v1.code), _rule_post(v1, needs_approval=None))
    assert response.status_code == 200 and response.context["form"].errors["needs_approval"]
    response = client.post(url("rule_edit", tree.a.pk, v1.code), _rule_post(v1, cap_day="30"))
    assert response.context["form"].errors["cap_day"]  # a day's cap above the month's
    assert not Rule.objects.filter(org=tree.a).exists()


def test_switch_a_rule_off_and_add_a_rule_of_the_branch(tree, users, client_for):
    client = client_for(users.sec_a)
    v1 = Rule.objects.get(org=None, code="role.suggestion")
    client.post(url("rule_edit", tree.a.pk, v1.code), _rule_post(v1, active=None))
    assert Rule.objects.get(org=tree.a, code=v1.code).active is False
    assert "已停用" in client.get(url("rules")).content.decode()
    new = {
        "code": "a.study_group",
        "name": "参加读书小组",
        "category": "learning",
        "points": "1",
        "unit": "次",
        "unit_size": "1",
        "cap_month": "4",
        "awarder": "branch",
        "active": "on",
        "valid_from": timezone.localdate().isoformat(),
    }
    response = client.post(url("rule_new", tree.a.pk), new)
    assert response.status_code == 302
    rule = Rule.objects.get(org=tree.a, code="a.study_group")
    assert rule.version == 1 and rule.cap_month == 4
    duplicate = client.post(url("rule_new", tree.a.pk), {**new, "code": "volunteer.hours"})
    assert duplicate.status_code == 200 and duplicate.context["form"].errors["code"]
    bad = client.post(url("rule_new", tree.a.pk), {**new, "code": "积分"})
    assert bad.status_code == 200 and bad.context["form"].errors["code"]


# --- Query counts -------------------------------------------------------------------------------------


def _count(client, path, params=None) -> int:
    client.get(path, params)  # warm up sessions and caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("ranking", [False, True])
def test_overview_queries_do_not_grow_with_members(
    tree, users, client_for, django_assert_num_queries, ranking
):
    if ranking:
        switch_on(tree.a, "points.ranking_enabled")
    client = client_for(users.sec_a)
    pages = [url("overview"), url("ranking")] if ranking else [url("overview")]
    for i in range(3):
        give(MemberFactory(org=tree.a, group=tree.a1), "orglife.branch_meeting", source=f"x{i}")
    few = [_count(client, path) for path in pages]
    for i in range(7):
        give(MemberFactory(org=tree.a, group=tree.a2), "orglife.branch_meeting", source=f"y{i}")
    for path, n in zip(pages, few, strict=True):
        with django_assert_num_queries(n):
            response = client.get(path)
        assert len(response.context["page"]) == 10


def test_member_ledger_queries_do_not_grow_with_entries(
    tree, users, me, client_for, django_assert_num_queries
):
    client = client_for(users.sec_a)
    claim = services.self_report(users.member_a, "volunteer.hours", **_report_kwargs())
    services.approve_claim(users.sec_a, claim)
    for i in range(2):
        give(me, "orglife.branch_meeting", source=f"a{i}")
    services.reverse_entry(users.sec_a, Entry.objects.filter(member=me).first(), "错了")
    few = _count(client, url("member", me.pk))
    for i in range(6):
        give(me, "orglife.branch_meeting", source=f"b{i}")
    with django_assert_num_queries(few):
        response = client.get(url("member", me.pk))
    assert len(response.context["page"]) == 10
    member = client_for(users.member_a)
    mine = _count(member, url("mine"))
    give(me, "learning.item", source="c")
    with django_assert_num_queries(mine):
        member.get(url("mine"))


def test_claims_queue_queries_do_not_grow_with_claims(tree, users, client_for, django_assert_num_queries):
    client = client_for(users.sec_a)

    def claims(n):
        for _ in range(n):
            services.award_manually(
                users.committee_a,
                MemberFactory(org=tree.a),
                "role.pioneer",
                occurred_at=days_ago(1),
                reason="表现突出",
                request_key=key(),
                evidence="证明",
            )

    claims(3)
    few = _count(client, url("claims"))
    claims(7)
    with django_assert_num_queries(few):
        response = client.get(url("claims"))
    assert len(response.context["page"]) == 10
