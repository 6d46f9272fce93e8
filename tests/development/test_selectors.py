"""Development reads: scope, the board rows (computed deadlines, constant queries), the stepper, the
timeline, the person's own cases and the 工作台 card."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tests.development.factories import make_case, schedule
from tests.factories import MemberFactory, UserFactory
from zhibu.core.access import Perm
from zhibu.development import selectors
from zhibu.development.models import Case, ThoughtReport
from zhibu.members.models import Category, MemberStatus

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 1)


@pytest.fixture
def cases(tree):
    return {
        "a1": make_case(tree.a, 1, name="王申请", applied_on=dt.date(2025, 5, 20)),
        "a2": make_case(tree.a, 6, name="李积极"),
        "b": make_case(tree.b, 11, name="钱对象"),
    }


def test_visible_cases_follow_member_view_scope_plus_own(users, cases):
    assert set(selectors.visible_cases(users.sec_a)) == {cases["a1"], cases["a2"]}
    assert set(selectors.visible_cases(users.org_admin)) == set(cases.values())
    assert list(selectors.visible_cases(users.member_a)) == []
    Case.objects.filter(pk=cases["b"].pk).update(user=users.member_a)
    assert list(selectors.visible_cases(users.member_a)) == [cases["b"]]
    # the own case is not an officer's case: the board still shows nothing
    assert list(selectors.officer_cases(users.member_a)) == []


def test_get_case_is_404_out_of_scope_and_403_without_permission(users, cases):
    assert selectors.get_case(users.sec_a, cases["a1"].pk) == cases["a1"]
    with pytest.raises(Http404):
        selectors.get_case(users.sec_b, cases["a1"].pk)
    with pytest.raises(Http404):
        selectors.get_case(users.sec_a, 987654)
    with pytest.raises(PermissionDenied):
        selectors.get_case(users.member_a, cases["a1"].pk)
    with pytest.raises(PermissionDenied):
        selectors.get_case(users.member_a, cases["a1"].pk, Perm.DEVELOPMENT_MANAGE)
    assert selectors.get_case(users.committee_a, cases["a1"].pk, Perm.DEVELOPMENT_MANAGE)
    Case.objects.filter(pk=cases["a1"].pk).update(user=users.member_a)
    assert selectors.get_case(users.member_a, cases["a1"].pk, own=True).pk == cases["a1"].pk
    with pytest.raises(PermissionDenied):
        selectors.get_case(users.member_a, cases["a1"].pk)  # own=False: officers only


def test_board_rows_compute_next_step_and_deadline_states(users, cases):
    rows = {r["case"].name: r for r in selectors.board(users.sec_a, today=TODAY)}
    assert set(rows) == {"王申请", "李积极"}
    fresh = rows["王申请"]  # applied 2025-05-20: talk due 2025-06-20, 19 days left → open
    assert fresh["next_step"].number == 2
    assert fresh["last_step"].number == 1
    assert fresh["nearest"].code == "talk" and fresh["nearest"].due_on == dt.date(2025, 6, 20)
    assert not fresh["overdue"] and not fresh["due_soon"]
    old = rows["李积极"]  # an activist since 2021: the candidate step and assessments are long due
    assert old["overdue"] and old["badge"]["css"] == "text-bg-danger"
    # due soon: 10 days before the talk deadline
    soon = {r["case"].name: r for r in selectors.board(users.sec_a, today=dt.date(2025, 6, 10))}
    assert soon["王申请"]["due_soon"] and soon["王申请"]["badge"]["text"] == "10天后到期"


def test_board_filters(tree, users, cases):
    names = lambda rows: {r["case"].name for r in rows}  # noqa: E731
    admin = users.org_admin
    assert names(selectors.board(admin, org=tree.b, today=TODAY)) == {"钱对象"}
    assert names(selectors.board(admin, stage=3, today=TODAY)) == {"钱对象"}
    assert names(selectors.board(admin, q="积极", today=TODAY)) == {"李积极"}
    assert "王申请" not in names(selectors.board(admin, state="overdue", today=TODAY))
    assert names(selectors.board(admin, state="due_soon", today=dt.date(2025, 6, 10))) >= {"王申请"}
    board = selectors.board(admin, state="overdue", today=TODAY)
    assert len(board) == board.count() == len(list(board))
    assert selectors.stage_counts(admin) == [
        {"stage": 1, "label": "申请入党", "count": 1},
        {"stage": 2, "label": "入党积极分子的确定和培养教育", "count": 1},
        {"stage": 3, "label": "发展对象的确定和考察", "count": 1},
        {"stage": 4, "label": "预备党员的接收", "count": 0},
        {"stage": 5, "label": "预备党员的教育考察和转正", "count": 0},
    ]


def test_board_excludes_closed_cases(users, cases):
    Case.objects.filter(pk=cases["a2"].pk).update(status="stopped")
    assert [r["case"].name for r in selectors.board(users.sec_a, today=TODAY)] == ["王申请"]


def test_board_page_runs_a_constant_number_of_queries(tree, users, django_assert_num_queries):
    def page_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        board = selectors.board(users.sec_a, today=TODAY)
        with CaptureQueriesContext(connection) as ctx:
            len(board)
            rows = board[0:30]
            selectors.stage_counts(users.sec_a)
        return len(ctx.captured_queries), rows

    for i in range(3):
        make_case(tree.a, 1 + i * 5, name=f"甲{i}")
    few, rows = page_queries()
    assert len(rows) == 3
    for i in range(12):
        make_case(tree.a, 1 + i * 2, name=f"乙{i}")
    many, rows = page_queries()
    assert len(rows) == 15
    assert few == many
    with django_assert_num_queries(few):
        page_queries()


def test_stepper_and_timeline(tree, users):
    case = make_case(tree.a, 9, name="孙时间")
    ThoughtReport.objects.create(case=case, submitted_on=schedule()[7], title="汇报", content="内容")
    full = selectors.case_with_everything(users.sec_a, case.pk)
    stages = selectors.stepper(full, next_step=full.rule_set.steps.get(number=10))
    assert [s["state"] for s in stages] == ["done", "done", "current", "pending", "pending"]
    states = {i["step"].number: i["state"] for s in stages for i in s["steps"]}
    assert [n for n, st in states.items() if st == "done"] == list(range(1, 10))
    assert states[10] == "next" and states[11] == "pending"
    entries = selectors.timeline(full)
    days = [e["on"] for e in entries]
    assert days == sorted(days)
    kinds = {e["kind"] for e in entries}
    assert {"step", "participant", "assessment", "report"} <= kinds
    assert entries[0]["title"] == "第1步 递交入党申请书"
    assert any(e["title"].startswith("确定入党介绍人") for e in entries)


def test_voting_members_counts_full_members_on_roll_without_party_probation(tree):
    MemberFactory(org=tree.a)
    MemberFactory(org=tree.a, group=tree.a1)
    MemberFactory(org=tree.a, category=Category.PROBATIONARY)
    MemberFactory(org=tree.a, under_party_probation=True)
    MemberFactory(org=tree.a, status=MemberStatus.MOBILE)
    MemberFactory(org=tree.a, status=MemberStatus.TRANSFERRED)
    MemberFactory(org=tree.b)
    assert selectors.voting_members(tree.a) == 3


def test_home_card_for_officer_and_applicant(tree, users, cases):
    card = selectors.home_card(users.sec_a, today=TODAY)
    assert card["show"] and card["officer"]["active"] == 2
    assert card["officer"]["overdue"] == 1
    assert [r["case"].name for r in card["officer"]["urgent"]] == ["李积极"]
    assert card["own"] == []
    assert selectors.home_card(users.member_a, today=TODAY) == {"show": False, "officer": None, "own": []}
    person = UserFactory(username="applicant")
    Case.objects.filter(pk=cases["a1"].pk).update(user=person)
    mine = selectors.home_card(person, today=TODAY)
    assert mine["show"] and mine["officer"] is None
    (own,) = mine["own"]
    assert own["case"].pk == cases["a1"].pk and own["stage"] == "申请入党"
    assert own["report_due"].code == "thought_report"


def test_my_cases_lists_the_users_cases_active_first(tree):
    person = UserFactory(username="applicant")
    old = make_case(tree.a, 2, name="旧档案", user=person)
    Case.objects.filter(pk=old.pk).update(status="stopped")
    new = make_case(tree.b, 1, name="新档案", user=person, applied_on=dt.date(2024, 1, 1))
    assert [c.pk for c in selectors.my_cases(person)] == [new.pk, old.pk]
    assert list(selectors.my_cases(UserFactory())) == []


def test_manageable_branches_exclude_temporary_and_other_scopes(tree, users):
    from tests.factories import make_org

    temp = make_org(tree.general, "branch", name="临时党支部", branch_kind="temporary")
    assert list(selectors.manageable_branches(users.sec_a)) == [tree.a]
    assert temp not in selectors.manageable_branches(users.org_admin)
    assert set(selectors.manageable_branches(users.org_admin)) == {tree.a, tree.b}
    assert list(selectors.manageable_branches(users.leader_a1)) == []


def test_earliest_candidate_date_is_not_a_due_date():
    import datetime as dt

    from zhibu.development import rules, selectors

    today = dt.date(2026, 11, 21)
    earliest = rules.Deadline(
        "candidate", "最早可确定为发展对象", dt.date(2026, 10, 17), None, "open", "细则"
    )
    report = rules.Deadline("thought_report", "思想汇报", dt.date(2026, 12, 24), None, "open", "本单位规定")
    assert selectors.nearest_deadline([earliest, report]) is report
    assert selectors.nearest_deadline([earliest]) is earliest
    assert selectors.deadline_badge(earliest, today)["text"] == "已可办理"
    later = rules.Deadline("candidate", "最早可确定为发展对象", dt.date(2026, 12, 1), None, "open", "细则")
    assert selectors.deadline_badge(later, today)["text"] == "还需10天"
