"""发展党员 pages: board, case page, forms (with the warnings confirmation), vote preview, the phone page
of the person's own thought reports, the rule set; scope and masking."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.development.factories import make_case, schedule
from tests.factories import UserFactory, grant
from zhibu.accounts.models import Role
from zhibu.core.models import AuditAction, AuditLog
from zhibu.development.models import Case, StepRecord, ThoughtReport
from zhibu.members.models import MemberStatus

pytestmark = pytest.mark.django_db

PHONE = {"HTTP_USER_AGENT": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"}


def url(name, *args):
    return reverse(f"development:{name}", args=args)


@pytest.fixture
def cases(tree):
    """A: 王申请 (step 1, applied long ago: talk overdue), 李积极 (activist, step 6), 赵预备 (step 20);
    B: 钱对象 (candidate, step 11)."""
    return {
        "applicant": make_case(tree.a, 1, name="王申请", applied_on=dt.date(2024, 1, 5)),
        "activist": make_case(tree.a, 6, name="李积极"),
        "probationary": make_case(tree.a, 20, name="赵预备"),
        "b": make_case(tree.b, 11, name="钱对象"),
    }


# --- Board ----------------------------------------------------------------------------------------


def test_board_lists_cases_in_scope_with_stage_counts(users, cases, client_for):
    response = client_for(users.sec_a).get(url("board"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("王申请", "李积极", "赵预备"):
        assert name in html
    assert "钱对象" not in html  # branch B is out of sec_a's scope
    assert "新建发展档案" in html
    stages = {s["stage"]: s["count"] for s in response.context["stages"]}
    assert stages == {1: 1, 2: 1, 3: 0, 4: 0, 5: 1}
    # the talk (② within 1 month of ①) is overdue for 王申请: a red badge with the days
    row = next(r for r in response.context["page"] if r["case"].name == "王申请")
    assert row["overdue"] and row["badge"]["css"] == "text-bg-danger"
    assert "已逾期" in row["badge"]["text"]
    assert row["next_step"].number == 2


def test_board_for_the_committee_covers_both_branches_and_filters(tree, users, cases, client_for):
    client = client_for(users.org_admin)
    names = lambda r: {row["case"].name for row in r.context["page"]}  # noqa: E731
    assert names(client.get(url("board"))) == {"王申请", "李积极", "赵预备", "钱对象"}
    assert names(client.get(url("board"), {"org": tree.b.pk})) == {"钱对象"}
    assert names(client.get(url("board"), {"stage": 5})) == {"赵预备"}
    assert names(client.get(url("board"), {"q": "积极"})) == {"李积极"}
    overdue = client.get(url("board"), {"state": "overdue"})
    assert "王申请" in names(overdue)
    assert all(row["overdue"] for row in overdue.context["page"])


def test_board_query_count_does_not_grow_with_cases(tree, users, client_for, django_assert_num_queries):
    client = client_for(users.sec_a)
    for i in range(3):
        make_case(tree.a, 3, name=f"甲{i}")
    client.get(url("board"))  # warm up sessions and caches
    with CaptureQueriesContext(connection) as ctx:
        client.get(url("board"))
    small = len(ctx.captured_queries)
    assert small < 20
    for i in range(12):
        make_case(tree.a, 3 + i % 6, name=f"乙{i}")
    with django_assert_num_queries(small):
        response = client.get(url("board"))
    assert len(response.context["page"].object_list) == 15


def test_board_paginates_30_per_page(tree, users, client_for):
    for i in range(31):
        make_case(tree.a, 1, name=f"申请人{i:02d}")
    client = client_for(users.sec_a)
    first = client.get(url("board"))
    assert len(first.context["page"].object_list) == 30
    second = client.get(url("board"), {"page": 2})
    assert len(second.context["page"].object_list) == 1
    assert "共 31 条" in second.content.decode()


def test_member_and_nobody_cannot_see_the_board(users, cases, client_for):
    assert client_for(users.member_a).get(url("board")).status_code == 403
    assert client_for(users.nobody).get(url("board")).status_code == 403
    # an applicant with their own case goes to their own page instead
    applicant = UserFactory(username="applicant")
    Case.objects.filter(pk=cases["applicant"].pk).update(user=applicant)
    response = client_for(applicant).get(url("board"))
    assert response.status_code == 302 and response.url == url("my_reports")


def test_board_org_filter_out_of_scope_is_404(tree, users, client_for):
    assert client_for(users.sec_a).get(url("board"), {"org": tree.b.pk}).status_code == 404


# --- Case page ------------------------------------------------------------------------------------


def test_case_page_shows_steps_deadlines_people_and_votes(users, cases, client_for):
    case = cases["probationary"]
    response = client_for(users.committee_a).get(url("case", case.pk))
    assert response.status_code == 200
    html = response.content.decode()
    stages = response.context["stages"]
    steps = [item for s in stages for item in s["steps"]]
    assert len(steps) == 25
    assert [i["state"] for i in steps[:20]] == ["done"] * 20
    assert {i["step"].number for i in steps if i["state"] == "next"} == {21}
    assert "支部党员大会讨论" in html and "入党介绍人" in html
    # the stored vote with its computed message
    assert "通过" in html and "应到10人" in html
    # deadlines: probation ends one year after the admission vote
    codes = {b["deadline"].code for b in response.context["deadline_badges"]}
    assert "probation_end" in codes
    # 支委 sees masked numbers and no reveal link
    assert case.id_number not in html
    assert case.id_number[:6] + "********" + case.id_number[-4:] in html
    assert "显示完整号码" not in html
    assert "延长预备期" in html  # probationary: extension available


def test_reveal_unmasked_id_writes_an_audit_entry(users, cases, client_for):
    case = cases["activist"]
    client = client_for(users.sec_a)
    masked = client.get(url("case", case.pk)).content.decode()
    assert case.id_number not in masked and "显示完整号码" in masked
    assert not AuditLog.objects.filter(action=AuditAction.VIEW_SENSITIVE).exists()
    shown = client.get(url("case", case.pk), {"reveal": "1"}).content.decode()
    assert case.id_number in shown
    entry = AuditLog.objects.get(action=AuditAction.VIEW_SENSITIVE)
    assert entry.object_id == str(case.pk) and entry.actor == users.sec_a
    # a 支委 asking for it still sees the masked number
    assert (
        case.id_number
        not in client_for(users.committee_a).get(url("case", case.pk), {"reveal": "1"}).content.decode()
    )


@pytest.mark.parametrize("name", ["case", "step", "vote", "extend", "stop"])
def test_another_branch_case_is_404(users, cases, client_for, name):
    response = client_for(users.sec_b).get(url(name, cases["activist"].pk))
    assert response.status_code == 404


def test_member_role_cannot_open_a_case_page(tree, users, cases, client_for):
    assert client_for(users.member_a).get(url("case", cases["activist"].pk)).status_code == 403
    # a group leader at the branch may read (member.view) but not write; one in a group sees nothing
    assert client_for(users.leader_a1).get(url("case", cases["activist"].pk)).status_code == 404
    leader_user = UserFactory(username="leader_a")
    grant(leader_user, tree.a, Role.GROUP_LEADER)
    leader = client_for(leader_user)
    assert leader.get(url("case", cases["activist"].pk)).status_code == 200
    assert leader.get(url("step", cases["activist"].pk)).status_code == 403


# --- Forms ----------------------------------------------------------------------------------------


def test_create_case_limits_branches_and_links_an_account(tree, users, client_for):
    client = client_for(users.sec_a)
    page = client.get(url("create"))
    assert page.status_code == 200
    assert list(page.context["form"].fields["org"].queryset) == [tree.a]
    person = UserFactory(username="xiaoming", mobile="13700001111")
    response = client.post(
        url("create"),
        {
            "org": tree.a.pk,
            "name": "小明",
            "gender": "male",
            "birth_date": "2000-02-29",
            "ethnicity": "01",
            "applied_on": "2024-03-01",
            "account": "13700001111",
        },
    )
    case = Case.objects.get(name="小明")
    assert response.status_code == 302 and response.url == url("case", case.pk)
    assert case.user == person and case.last_step == 1
    # another branch is not a choice
    bad = client.post(
        url("create"),
        {
            "org": tree.b.pk,
            "name": "外人",
            "gender": "male",
            "birth_date": "2000-01-01",
            "ethnicity": "01",
            "applied_on": "2024-03-01",
        },
    )
    assert bad.status_code == 200 and "org" in bad.context["form"].errors


def test_create_case_rejects_a_minor_and_an_unknown_account(tree, users, client_for):
    client = client_for(users.sec_a)
    data = {
        "org": tree.a.pk,
        "name": "小红",
        "gender": "female",
        "birth_date": "2010-05-01",
        "ethnicity": "01",
        "applied_on": "2024-03-01",
        "account": "no-such-user",
    }
    response = client.post(url("create"), data)
    assert response.status_code == 200
    assert "未找到该账户" in response.content.decode()
    data["account"] = ""
    response = client.post(url("create"), data)
    assert response.status_code == 200
    assert "年满18周岁" in response.content.decode()
    assert not Case.objects.filter(name="小红").exists()


def test_create_is_forbidden_without_development_manage(users, client_for):
    assert client_for(users.leader_a1).get(url("create")).status_code == 403
    assert client_for(users.member_a).get(url("create")).status_code == 404


def test_step_warning_is_confirmed_then_recorded(users, cases, client_for):
    case = cases["applicant"]  # applied 2024-01-05: a talk on 2024-03-01 is late (warning)
    client = client_for(users.sec_a)
    page = client.get(url("step", case.pk))
    assert page.status_code == 200 and page.context["stepdef"].number == 2
    data = {"number": 2, "done_on": "2024-03-01", "note": "谈话"}
    first = client.post(url("step", case.pk), data)
    assert first.status_code == 200
    html = first.content.decode()
    assert "我已知悉，仍然记录" in html and 'name="accept_warnings"' in html
    assert "1个月内" in html
    assert not StepRecord.objects.filter(case=case, step__number=2).exists()
    second = client.post(url("step", case.pk), {**data, "accept_warnings": "on"})
    assert second.status_code == 302
    record = StepRecord.objects.get(case=case, step__number=2)
    assert [w["code"] for w in record.warnings] == ["talk_late"]
    assert "2024年2月5日前" in client.get(url("case", case.pk)).content.decode()
    case.refresh_from_db()
    assert case.last_step == 2


def test_step_error_blocks_and_shows_on_the_form(users, cases, client_for):
    case = cases["applicant"]
    response = client_for(users.sec_a).post(
        url("step", case.pk), {"number": 2, "done_on": "2023-12-01", "accept_warnings": "on"}
    )
    assert response.status_code == 200
    assert "不能早于递交入党申请书的日期" in response.content.decode()
    assert not StepRecord.objects.filter(case=case, step__number=2).exists()


def test_training_step_asks_for_days_and_hours(tree, users, client_for):
    case = make_case(tree.a, 10, name="孙培训")
    client = client_for(users.sec_a)
    page = client.get(url("step", case.pk), {"number": 11})
    assert "training_days" in page.context["form"].fields
    day = schedule()[11].isoformat()
    short = client.post(
        url("step", case.pk), {"number": 11, "done_on": day, "training_days": "1", "training_hours": "8"}
    )
    assert short.status_code == 200 and "不少于3天" in short.content.decode()
    ok = client.post(
        url("step", case.pk), {"number": 11, "done_on": day, "training_days": "3", "training_hours": "24"}
    )
    assert ok.status_code == 302
    record = StepRecord.objects.get(case=case, step__number=11)
    assert record.data["training_days"] == 3


def test_vote_steps_link_to_the_vote_form(tree, users, client_for):
    case = make_case(tree.a, 14, name="周接收")
    response = client_for(users.sec_a).get(url("step", case.pk))
    assert response.status_code == 302
    assert response.url == url("vote", case.pk) + "?kind=admission"


def test_vote_form_prefills_voting_members_and_records(tree, users, client_for):
    from tests.factories import MemberFactory
    from zhibu.members.models import Category

    case = make_case(tree.a, 14, name="吴表决")  # the factory adds 2 full members to A
    MemberFactory(org=tree.a, category=Category.PROBATIONARY)  # no vote
    MemberFactory(org=tree.a, under_party_probation=True)  # no vote
    MemberFactory(org=tree.a, status=MemberStatus.TRANSFERRED)  # not on the roll
    client = client_for(users.sec_a)
    page = client.get(url("vote", case.pk), {"kind": "admission"})
    assert page.context["form"].initial["expected"] == 2
    held_on = schedule()[15]
    data = {
        "kind": "admission",
        "held_on": held_on.isoformat(),
        "expected": 2,
        "present": 2,
        "in_favour": 2,
        "against": 0,
        "abstain": 0,
        "written_in_favour": 0,
    }
    response = client.post(url("vote", case.pk), data)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.admitted_on == held_on and case.last_step == 15


def test_vote_preview_computes_validity_and_result(users, cases, client_for):
    client = client_for(users.sec_a)
    case = cases["activist"]
    passed = client.get(
        url("vote_preview", case.pk),
        {"expected": 12, "present": 10, "in_favour": 7, "against": 2, "abstain": 1, "written_in_favour": 0},
    )
    assert passed.status_code == 200
    html = passed.content.decode()
    assert 'data-state="passed"' in html and "有效" in html
    failed = client.get(
        url("vote_preview", case.pk),
        {"expected": 12, "present": 10, "in_favour": 6, "against": 3, "abstain": 1},
    )
    assert 'data-state="failed"' in failed.content.decode()
    invalid = client.get(
        url("vote_preview", case.pk),
        {"expected": 12, "present": 6, "in_favour": 6, "against": 0, "abstain": 0},
    )
    assert 'data-state="invalid"' in invalid.content.decode()
    wrong = client.get(
        url("vote_preview", case.pk),
        {"expected": 12, "present": 13, "in_favour": 6, "against": 0, "abstain": 0},
    )
    assert 'data-state="error"' in wrong.content.decode()
    empty = client.get(url("vote_preview", case.pk), {"expected": 12})
    assert 'data-state="empty"' in empty.content.decode()
    assert client_for(users.sec_b).get(url("vote_preview", case.pk), {"expected": 1}).status_code == 404


def test_participants_assessment_and_review(tree, users, cases, client_for):
    from tests.factories import MemberFactory

    case = make_case(tree.a, 3, name="郑联系")
    mentor = MemberFactory(org=tree.a, name="联系人甲")
    client = client_for(users.sec_a)
    r = client.post(
        url("participants", case.pk), {"role": "mentor", "member": mentor.pk, "assigned_on": "2021-06-20"}
    )
    assert r.status_code == 302
    assert case.participants.get().member == mentor
    r = client.post(url("assessment", case.pk), {"assessed_on": "2021-11-20", "result": "表现良好"})
    assert r.status_code == 302 and case.assessments.count() == 1
    report = ThoughtReport.objects.create(
        case=case, submitted_on=dt.date(2021, 7, 1), title="汇报", content="内容"
    )
    r = client.post(url("report_review", report.pk), {"comment": "认识深刻"})
    assert r.status_code == 302
    report.refresh_from_db()
    assert report.comment == "认识深刻" and report.reviewed_by == users.sec_a
    page = client.get(url("case", case.pk)).content.decode()
    assert "联系人甲" in page and "表现良好" in page and "认识深刻" in page
    # sec_b cannot review A's report
    assert client_for(users.sec_b).post(url("report_review", report.pk), {"comment": "x"}).status_code == 404


def test_stop_case(users, cases, client_for):
    case = cases["activist"]
    client = client_for(users.sec_a)
    assert client.get(url("stop", case.pk)).status_code == 200
    r = client.post(url("stop", case.pk), {"on": "2022-01-01", "reason": "本人申请撤回"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == "stopped"
    assert "已终止" in client.get(url("case", case.pk)).content.decode()


# --- The person's own page (phone) ----------------------------------------------------------------


def test_my_reports_on_a_phone(tree, users, client_for):
    person = UserFactory(username="applicant", real_name="王申请")
    case = make_case(tree.a, 3, name="王申请", user=person)
    ThoughtReport.objects.create(
        case=case,
        submitted_on=dt.date(2021, 8, 1),
        title="第一季度汇报",
        content="学习党章",
        comment="继续努力",
        reviewed_by=users.sec_a,
    )
    client = client_for(person, **PHONE)
    page = client.get(url("my_reports"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "入党积极分子的确定和培养教育" in html
    assert "第一季度汇报" in html and "继续努力" in html
    assert "下次思想汇报" in html
    assert 'name="viewport"' in html
    r = client.post(url("my_reports"), {"case": case.pk, "title": "第二季度汇报", "content": "认真学习"})
    assert r.status_code == 302
    report = case.thought_reports.get(title="第二季度汇报")
    assert report.submitted_by == person
    # an empty submission re-renders with the error
    bad = client.post(url("my_reports"), {"case": case.pk, "title": "", "content": ""})
    assert bad.status_code == 200 and "这个字段是必填项" in bad.content.decode()
    # not someone else's case
    other = make_case(tree.a, 1, name="别人")
    assert client.post(url("my_reports"), {"case": other.pk, "title": "t", "content": "c"}).status_code == 404


def test_my_reports_without_a_case(users, client_for):
    response = client_for(users.nobody).get(url("my_reports"))
    assert response.status_code == 200
    assert "您目前没有发展党员档案" in response.content.decode()


def test_rules_page_lists_the_25_steps(users, client_for):
    response = client_for(users.member_a).get(url("rules"))
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["step_count"] == 25
    assert "递交入党申请书" in html and "材料归档" in html and "细则 第三十七条" in html


def test_document_upload_and_scoped_download(users, cases, client_for, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    case = cases["activist"]
    client = client_for(users.sec_a)
    pdf = SimpleUploadedFile("apply.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf")
    r = client.post(url("documents", case.pk), {"title": "入党申请书扫描件", "step": "", "file": pdf})
    assert r.status_code == 302
    document = case.documents.get()
    assert document.title == "入党申请书扫描件"
    page = client.get(url("case", case.pk)).content.decode()
    assert "入党申请书扫描件" in page
    download = client.get(url("document_file", document.pk))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert client_for(users.sec_b).get(url("document_file", document.pk)).status_code == 404
    bad = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")
    r = client.post(url("documents", case.pk), {"title": "坏文件", "file": bad}, follow=True)
    assert case.documents.count() == 1
    assert "只能上传" in r.content.decode()


def test_home_card_partial_renders_for_officer_and_applicant(tree, users, cases):
    from django.template.loader import render_to_string

    from zhibu.development import selectors

    html = render_to_string("development/_home_card.html", {"dev_card": selectors.home_card(users.sec_a)})
    assert "发展党员" in html and "已逾期" in html and "王申请" in html
    person = UserFactory(username="applicant")
    Case.objects.filter(pk=cases["activist"].pk).update(user=person)
    html = render_to_string("development/_home_card.html", {"dev_card": selectors.home_card(person)})
    assert "我的发展进度" in html and url("my_reports") in html
    assert (
        render_to_string(
            "development/_home_card.html", {"dev_card": selectors.home_card(users.nobody)}
        ).strip()
        == ""
    )
