"""The compliance engine: periods in Asia/Shanghai at their boundaries, met / due (days left counting
today) / missed, which meetings count, which requirements apply (committee, groups, founding day),
versions per org (override, switch-off, from a date), the committee matrix in a constant number of
queries, the 工作台 lines, the requirement editor's service, and the pages with their scope."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UserFactory, grant, make_org
from zhibu.accounts.models import Role
from zhibu.core.errors import ValidationError
from zhibu.core.models import AuditAction, AuditLog
from zhibu.orglife import compliance, rules, selectors
from zhibu.orglife.models import Meeting, MeetingType, Requirement
from zhibu.orgs.models import CommitteeTerm, Organization
from zhibu.points.rules import TZ

Y = 2026


def at(year, month, day, hour=10, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


def held(org, code, when, status="held", **fields) -> Meeting:
    """A meeting of a system type written directly (the lifecycle is tested with the services)."""
    selectors.ensure_seeded()
    kind = MeetingType.objects.get(org__isnull=True, code=code)
    return Meeting.objects.create(
        org=org,
        type=kind,
        topic=fields.pop("topic", kind.name),
        starts_at=when,
        ends_at=when + dt.timedelta(hours=1),
        place=fields.pop("place", "党员活动室"),
        status=status,
        **fields,
    )


def committee_term(branch, kind=CommitteeTerm.Kind.COMMITTEE) -> CommitteeTerm:
    return CommitteeTerm.objects.create(
        org=branch, number=1, kind=kind, started_on=dt.date(2024, 1, 1), ends_on=dt.date(2027, 1, 1)
    )


def line(report, code, org=None):
    org = org or report.org
    found = [x for x in report.lines if x.code == code and x.org.id == org.pk]
    assert len(found) <= 1
    return found[0] if found else None


def states(ln) -> list[str]:
    return [c.state.state if c.state else "-" for c in ln.cells]


# --- Periods and counting -------------------------------------------------------------------------------


def test_meeting_at_2359_on_the_last_day_of_a_quarter_counts_in_that_quarter(tree, users):
    held(tree.a, "branch_meeting", at(Y, 3, 31, 23, 59))
    report = compliance.branch_report(users.sec_a, tree.a, Y, today=dt.date(Y, 7, 15))
    ln = line(report, "branch_meeting")
    assert [c.state.count for c in ln.cells] == [1, 0, 0, 0]
    assert states(ln) == ["met", "missed", "due", "n/a"]

    # 00:01 on 1 April in Beijing is still 31 March in UTC: it belongs to the second quarter.
    held(tree.a, "branch_meeting", at(Y, 4, 1, 0, 1))
    report = compliance.branch_report(users.sec_a, tree.a, Y, today=dt.date(Y, 7, 15))
    ln = line(report, "branch_meeting")
    assert [c.state.count for c in ln.cells] == [1, 1, 0, 0]
    assert states(ln) == ["met", "met", "due", "n/a"]


def test_month_boundaries_are_local_too(tree, users):
    held(tree.a, "theme_day", at(Y, 1, 31, 23, 59))
    held(tree.a, "theme_day", at(Y, 3, 1, 0, 1))
    report = compliance.branch_report(users.sec_a, tree.a, Y, today=dt.date(Y, 4, 10))
    ln = line(report, "theme_day")
    assert [c.state.count for c in ln.cells[:4]] == [1, 0, 1, 0]
    assert states(ln)[:5] == ["met", "missed", "met", "due", "n/a"]


def test_a_year_with_a_missed_month(tree, users):
    for month in range(1, 13):
        if month != 5:
            held(tree.a, "theme_day", at(Y - 1, month, 8))
    report = compliance.branch_report(users.sec_a, tree.a, Y - 1, today=dt.date(Y, 1, 10))
    ln = line(report, "theme_day")
    assert states(ln) == ["met"] * 4 + ["missed"] + ["met"] * 7
    assert (ln.met, ln.missed, ln.due) == (11, 1, 0)
    assert ln.cells[4].period.label == "5月"


def test_due_counts_the_days_left_including_today(tree, users):
    today = dt.date(Y, 6, 20)
    report = compliance.branch_report(users.sec_a, tree.a, Y, today=today)
    june = line(report, "theme_day").cells[5].state
    assert (june.state, june.days_left) == ("due", 11)  # 20 … 30 June
    q2 = line(report, "branch_meeting").cells[1].state
    assert (q2.state, q2.days_left) == ("due", 11)
    assert rules.due_message("支部党员大会", "quarter", q2) == "本季度尚未召开支部党员大会，剩余 11 天"
    last_day = compliance.branch_report(users.sec_a, tree.a, Y, today=dt.date(Y, 6, 30))
    assert line(last_day, "theme_day").cells[5].state.days_left == 1


@pytest.mark.parametrize("status", ["planned", "notified", "cancelled"])
def test_meetings_not_held_do_not_count(tree, users, status):
    held(tree.a, "theme_day", at(Y, 1, 10), status=status)
    report = compliance.branch_report(users.sec_a, tree.a, Y, today=dt.date(Y, 2, 10))
    assert line(report, "theme_day").cells[0].state.state == "missed"


@pytest.mark.parametrize("status", ["held", "recorded", "archived"])
def test_held_recorded_and_archived_meetings_count(tree, users, status):
    held(tree.a, "theme_day", at(Y, 1, 10), status=status)
    report = compliance.branch_report(users.sec_a, tree.a, Y, today=dt.date(Y, 2, 10))
    assert line(report, "theme_day").cells[0].state.state == "met"


def test_another_branchs_meetings_and_other_types_do_not_count(tree, users):
    held(tree.b, "theme_day", at(Y, 1, 10))
    held(tree.a, "party_lecture", at(Y, 1, 10))
    report = compliance.branch_report(users.sec_a, tree.a, Y, today=dt.date(Y, 2, 10))
    assert line(report, "theme_day").cells[0].state.state == "missed"
    assert line(report, "party_lecture").cells[0].state.state == "met"


# --- Which requirements apply -----------------------------------------------------------------------------


def test_branch_without_a_committee_has_no_committee_meeting_requirement(tree, users):
    today = dt.date(Y, 3, 10)
    assert line(compliance.branch_report(users.sec_a, tree.a, Y, today=today), "committee_meeting") is None
    committee_term(tree.a, CommitteeTerm.Kind.SECRETARY_ONLY)
    assert line(compliance.branch_report(users.sec_a, tree.a, Y, today=today), "committee_meeting") is None


def test_branch_with_a_committee_must_hold_it_monthly(tree, users):
    committee_term(tree.a)
    held(tree.a, "committee_meeting", at(Y, 1, 5))
    report = compliance.branch_report(users.sec_a, tree.a, Y, today=dt.date(Y, 3, 10))
    assert states(line(report, "committee_meeting"))[:4] == ["met", "missed", "due", "n/a"]


def test_each_group_has_its_own_monthly_group_meeting(tree, users):
    held(tree.a1, "group_meeting", at(Y, 1, 12))
    report = compliance.branch_report(users.sec_a, tree.a, Y, today=dt.date(Y, 2, 10))
    assert line(report, "group_meeting") is None  # the branch itself holds none
    assert states(line(report, "group_meeting", tree.a1))[:2] == ["met", "due"]
    assert states(line(report, "group_meeting", tree.a2))[:2] == ["missed", "due"]
    assert [org.id for org, _ in report.groups] == [tree.a.pk, tree.a1.pk, tree.a2.pk]
    # a 党小组长 sees their group only
    own = compliance.branch_report(users.leader_a1, tree.a1, Y, today=dt.date(Y, 2, 10))
    assert {ln.org.id for ln in own.lines} == {tree.a1.pk}


def test_periods_before_the_org_was_founded_do_not_apply(tree, users):
    tree.a.founded_on = dt.date(Y, 5, 20)
    tree.a.save()
    report = compliance.branch_report(users.sec_a, tree.a, Y, today=dt.date(Y, 7, 10))
    assert states(line(report, "theme_day"))[:7] == ["-", "-", "-", "-", "missed", "missed", "due"]
    assert states(line(report, "branch_meeting")) == ["-", "missed", "due", "n/a"]


def test_periods_before_the_records_start_do_not_apply_and_branches_may_differ(tree, users):
    """A committee that starts using Zhibu mid-year sets orglife.records_from: no misses before it."""
    from zhibu.core import config

    config.set_value(users.org_admin, tree.root, "orglife.records_from", f"{Y}-05-20", dt.date(2020, 1, 1))
    config.set_value(users.org_admin, tree.b, "orglife.records_from", f"{Y}-03-01", dt.date(2020, 1, 1))
    today = dt.date(Y, 7, 10)
    a = compliance.branch_report(users.sec_a, tree.a, Y, today=today)
    assert states(line(a, "theme_day"))[:7] == ["-", "-", "-", "-", "missed", "missed", "due"]
    b = compliance.branch_report(users.sec_b, tree.b, Y, today=today)
    assert states(line(b, "theme_day"))[:7] == ["-", "-", "missed", "missed", "missed", "missed", "due"]
    # The committee matrix reads the same setting for every branch (one query, not one per branch).
    matrix = compliance.committee_matrix(users.org_admin, tree.root, Y, today=today)
    missed = {row.org.name: row.missed for row in matrix.rows}
    assert missed[tree.b.name] > missed[tree.a.name] > 0


def test_records_start_is_set_by_org_managers_not_by_the_branch(tree, users):
    from django.core.exceptions import PermissionDenied

    from zhibu.core import config

    with pytest.raises(PermissionDenied):
        config.set_value(users.sec_a, tree.a, "orglife.records_from", f"{Y}-05-20", dt.date(2020, 1, 1))
    with pytest.raises(ValidationError):
        config.set_value(users.org_admin, tree.a, "orglife.records_from", "2026-13-01", dt.date(2020, 1, 1))


# --- Versions per org ---------------------------------------------------------------------------------


def test_org_override_wins_below_it_only(tree, users):
    compliance.save_requirement(None, tree.a, "theme_day", {"min_count": 2}, dt.date(2020, 1, 1))
    held(tree.a, "theme_day", at(Y, 1, 5))
    held(tree.b, "theme_day", at(Y, 1, 5))
    today = dt.date(Y, 2, 10)
    a = line(compliance.branch_report(users.sec_a, tree.a, Y, today=today), "theme_day")
    b = line(compliance.branch_report(users.sec_b, tree.b, Y, today=today), "theme_day")
    assert (a.cells[0].state.state, a.cells[0].state.required) == ("missed", 2)
    assert a.version.origin == tree.a.name
    assert (b.cells[0].state.state, b.cells[0].state.required) == ("met", 1)
    assert b.version.origin == "系统默认"


def test_deepest_org_wins_over_a_later_version_higher_up(tree, users):
    compliance.save_requirement(None, tree.a, "theme_day", {"min_count": 2}, dt.date(2020, 1, 1))
    compliance.save_requirement(None, tree.general, "theme_day", {"min_count": 3}, dt.date(2025, 1, 1))
    report = compliance.branch_report(users.sec_a, tree.a, Y, today=dt.date(Y, 2, 10))
    assert line(report, "theme_day").cells[0].state.required == 2
    report = compliance.branch_report(users.sec_b, tree.b, Y, today=dt.date(Y, 2, 10))
    assert line(report, "theme_day").cells[0].state.required == 3


def test_switched_off_above_means_no_requirement_below(tree, users):
    compliance.save_requirement(None, tree.general, "theme_day", {"active": False}, dt.date(2020, 1, 1))
    for user, org in ((users.sec_a, tree.a), (users.sec_b, tree.b)):
        report = compliance.branch_report(user, org, Y, today=dt.date(Y, 2, 10))
        assert line(report, "theme_day") is None
        assert line(report, "branch_meeting") is not None


def test_a_version_from_a_date_governs_the_periods_from_then_on(tree, users):
    compliance.save_requirement(None, tree.general, "theme_day", {"active": False}, dt.date(Y, 7, 10))
    report = compliance.branch_report(users.sec_a, tree.a, Y, today=dt.date(Y, 9, 1))
    # July is governed by the version in force on its last day: switched off.
    assert states(line(report, "theme_day")) == ["missed"] * 6 + ["-"] * 6
    compliance.save_requirement(None, tree.general, "theme_day", {"active": True}, dt.date(Y, 8, 15))
    report = compliance.branch_report(users.sec_a, tree.a, Y, today=dt.date(Y, 9, 1))
    assert states(line(report, "theme_day")) == ["missed"] * 6 + ["-", "missed", "due"] + ["n/a"] * 3


def test_a_version_that_starts_later_in_the_open_period_applies_from_its_day(tree, users):
    compliance.save_requirement(None, tree.a, "theme_day", {"min_count": 2}, dt.date(Y, 6, 25))
    held(tree.a, "theme_day", at(Y, 6, 2))
    before = compliance.branch_report(users.sec_a, tree.a, Y, today=dt.date(Y, 6, 20))
    assert line(before, "theme_day").cells[5].state.state == "met"
    after = compliance.branch_report(users.sec_a, tree.a, Y, today=dt.date(Y, 6, 26))
    assert line(after, "theme_day").cells[5].state.state == "due"


def test_a_changed_frequency_shows_as_two_lines(tree, users):
    compliance.save_requirement(None, tree.a, "theme_day", {"frequency": "quarter"}, dt.date(Y, 6, 30))
    report = compliance.branch_report(users.sec_a, tree.a, Y, today=dt.date(Y, 8, 1))
    monthly = [x for x in report.lines if x.code == "theme_day" and x.frequency == "month"]
    quarterly = [x for x in report.lines if x.code == "theme_day" and x.frequency == "quarter"]
    assert states(monthly[0]) == ["missed"] * 5 + ["-"] * 7
    assert states(quarterly[0]) == ["-", "missed", "due", "n/a"]


def test_an_orgs_own_requirement_for_its_own_type(tree, users):
    study = MeetingType.objects.create(org=tree.general, code="study", name="专题学习会", attendees="branch")
    compliance.save_requirement(
        None,
        tree.general,
        "study",
        {
            "type_code": "study",
            "frequency": "year",
            "min_count": 2,
            "applies_to": "branch",
            "source": "总支规定",
        },
        dt.date(Y, 1, 1),
    )
    Meeting.objects.create(
        org=tree.a, type=study, topic="学", starts_at=at(Y, 3, 1), ends_at=at(Y, 3, 1, 12), status="held"
    )
    report = compliance.branch_report(users.sec_a, tree.a, Y, today=dt.date(Y, 4, 1))
    ln = line(report, "study")
    assert (ln.type_name, ln.cells[0].state.count, ln.cells[0].state.state) == ("专题学习会", 1, "due")


# --- Scope ---------------------------------------------------------------------------------------------


def test_scope_of_the_branch_report(tree, users):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(Http404):
        compliance.branch_report(users.sec_b, tree.a, Y)
    with pytest.raises(PermissionDenied):
        compliance.branch_report(users.member_a, tree.a, Y)
    with pytest.raises(Http404):
        compliance.branch_report(users.leader_a1, tree.a, Y)  # a 党小组长 sees their group only
    assert compliance.branch_report(users.org_admin, tree.a, Y).org == tree.a


# --- Committee matrix -----------------------------------------------------------------------------------


def _committee(n: int):
    root = make_org(None, "committee", name=f"矩阵党委{n}")
    general = make_org(root, "general_branch", name=f"矩阵总支{n}")
    branches = []
    for i in range(n):
        b = make_org(general, "branch", name=f"矩阵支部{n}-{i}")
        make_org(b, "group", name=f"矩阵小组{n}-{i}")
        if i % 2:
            committee_term(b)
        held(b, "branch_meeting", at(Y, 1 + i % 3, 9))
        held(b, "theme_day", at(Y, 2, 9))
        branches.append(b)
    admin = UserFactory()
    grant(admin, root, Role.ORG_ADMIN)
    root.refresh_from_db()
    return root, general, branches, admin


def _matrix_queries(n: int) -> int:
    root, _, _, admin = _committee(n)
    compliance.committee_matrix(admin, root, Y, today=dt.date(Y, 5, 10))  # warm the user's role cache
    with CaptureQueriesContext(connection) as ctx:
        matrix = compliance.committee_matrix(admin, root, Y, today=dt.date(Y, 5, 10))
    assert matrix.branches == n
    return len(ctx.captured_queries)


def test_committee_matrix_query_count_is_constant(db, django_assert_num_queries):
    two = _matrix_queries(2)
    root, _, _, admin = _committee(6)
    compliance.committee_matrix(admin, root, Y, today=dt.date(Y, 5, 10))
    with django_assert_num_queries(two):
        matrix = compliance.committee_matrix(admin, root, Y, today=dt.date(Y, 5, 10))
    assert matrix.branches == 6
    assert two <= 6


def test_committee_matrix_agrees_with_each_branch_report(db):
    root, general, branches, admin = _committee(4)
    today = dt.date(Y, 5, 10)
    matrix = compliance.committee_matrix(admin, root, Y, today=today)
    keys = [c.key for c in matrix.columns]
    assert ("committee_meeting", "month") in keys and ("group_meeting", "month") in keys
    for row in matrix.rows:
        branch = next(b for b in branches if b.pk == row.org.id)
        report = compliance.branch_report(admin, branch, Y, today=today)
        assert row.parent_name == general.name
        for col, tally in zip(matrix.columns, row.cells, strict=True):
            lines = [x for x in report.lines if (x.code, x.frequency) == col.key]
            if not lines:
                assert tally is None
                continue
            assert (tally.missed, tally.due, tally.met) == (
                sum(x.missed for x in lines),
                sum(x.due for x in lines),
                sum(x.met for x in lines),
            )
    # most behind first
    behind = [(r.missed, r.due) for r in matrix.rows]
    assert behind == sorted(behind, reverse=True)


def test_committee_matrix_summary_counts_branches_behind_now(db):
    root, _, branches, admin = _committee(3)  # branch meetings in Jan, Feb, Mar; theme days in Feb
    held(branches[0], "branch_meeting", at(Y, 4, 9))
    matrix = compliance.committee_matrix(admin, root, Y, today=dt.date(Y, 5, 10))
    col = next(c for c in matrix.columns if c.code == "branch_meeting")
    assert (col.units_due, col.days_left, col.units_missed_last) == (2, 52, 0)
    theme = next(c for c in matrix.columns if c.code == "theme_day")
    assert (theme.units_due, theme.units_missed_last) == (3, 3)  # May open, April missed everywhere
    group = next(c for c in matrix.columns if c.code == "group_meeting")
    assert (group.unit_name, group.units_due) == ("党小组", 3)


def test_committee_matrix_scope(tree, users):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(Http404):
        compliance.committee_matrix(users.sec_a, tree.general, Y)
    outsider = UserFactory()
    grant(outsider, tree.general, Role.MEMBER)
    with pytest.raises(PermissionDenied):
        compliance.committee_matrix(outsider, tree.general, Y)
    with pytest.raises(Http404):
        compliance.committee_matrix(users.org_admin, tree.a, Y)  # a branch has the branch view
    assert compliance.committee_matrix(users.org_admin, tree.general, Y).branches == 2


# --- 工作台 ---------------------------------------------------------------------------------------------


def test_secretary_home_lines(tree, users):
    today = dt.date(Y, 6, 20)
    held(tree.a, "theme_day", at(Y, 6, 1))
    held(tree.a, "branch_meeting", at(Y, 2, 1))
    messages = [t.message for t in compliance.home_todos(users.sec_a, today)]
    assert "本季度尚未召开支部党员大会，剩余 11 天" in messages
    assert "本季度尚未召开党课，剩余 11 天" in messages
    assert "上季度未召开党课" in messages
    assert not any("主题党日" in m for m in messages if m.startswith("本月"))
    assert "上月未召开主题党日" in messages
    assert "本年尚未召开组织生活会，剩余 195 天" in messages
    assert not any("支部委员会" in m for m in messages)  # no committee set up
    groups = [t for t in compliance.home_todos(users.sec_a, today) if t.org_name]
    assert {t.org_name for t in groups} == {tree.a1.name, tree.a2.name}
    missed = [t for t in compliance.home_todos(users.sec_a, today) if t.message.startswith("上")]
    assert {t.level for t in missed} == {"danger"}


def test_group_leader_home_lines_are_their_groups(tree, users):
    held(tree.a1, "group_meeting", at(Y, 5, 3))
    messages = [t.message for t in compliance.home_todos(users.leader_a1, dt.date(Y, 6, 28))]
    assert messages == ["本月尚未召开党小组会，剩余 3 天"]


def test_committee_officer_home_lines(tree, users):
    today = dt.date(Y, 6, 20)
    held(tree.a, "branch_meeting", at(Y, 5, 1))
    todos = compliance.home_todos(users.org_admin, today)
    messages = [t.message for t in todos]
    assert "1个支部本季度尚未召开支部党员大会，剩余 11 天" in messages
    assert "2个支部上季度未召开支部党员大会" in messages
    assert "3个党小组本月尚未召开党小组会，剩余 11 天" in messages


def test_members_have_no_compliance_lines(tree, users):
    assert compliance.home_todos(users.member_a, dt.date(Y, 6, 20)) == []


# --- Requirement editor service ----------------------------------------------------------------------


def test_save_requirement_is_audited_and_refuses_past_dates_for_officers(tree, users):
    from django.utils import timezone

    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        compliance.save_requirement(users.org_admin, tree.general, "theme_day", {}, today - dt.timedelta(1))
    assert "valid_from" in exc.value.message_dict
    req = compliance.save_requirement(users.org_admin, tree.general, "theme_day", {"min_count": 2}, today)
    assert (req.org, req.min_count, req.type_code, req.frequency, req.applies_to) == (
        tree.general,
        2,
        "theme_day",
        "month",
        "branch",
    )
    log = AuditLog.objects.filter(object_type="orglife.requirement", object_id=str(req.pk)).get()
    assert (log.action, log.before["min_count"], log.after["min_count"]) == (AuditAction.UPDATE, 1, 2)
    # saving again the same day replaces that version
    again = compliance.save_requirement(users.org_admin, tree.general, "theme_day", {"min_count": 3}, today)
    assert again.pk == req.pk and Requirement.objects.filter(org=tree.general).count() == 1


def test_save_requirement_checks_the_fields(tree, users):
    save = compliance.save_requirement
    with pytest.raises(ValidationError) as exc:
        save(None, tree.general, "x", {"type_code": "nope", "frequency": "week"}, dt.date(Y, 1, 1))
    assert {"type_code", "frequency", "applies_to", "source"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        save(None, tree.general, "theme_day", {"min_count": 0}, dt.date(Y, 1, 1))
    assert "min_count" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        save(None, tree.general, "group_meeting", {"applies_to": "branch"}, dt.date(Y, 1, 1))
    assert exc.value.message_dict["applies_to"] == ["党小组会的要求应适用于党小组"]
    with pytest.raises(ValidationError) as exc:
        save(None, tree.general, "bad code!", {}, dt.date(Y, 1, 1))
    assert "code" in exc.value.message_dict
    with pytest.raises(ValidationError):
        save(None, tree.a1, "group_meeting", {"min_count": 2}, dt.date(Y, 1, 1))


def test_a_branch_may_tighten_but_not_relax(tree, users):
    from django.utils import timezone

    today = timezone.localdate()
    save = compliance.save_requirement
    with pytest.raises(ValidationError, match="不能停用"):
        save(users.sec_a, tree.a, "branch_meeting", {"active": False}, today)
    with pytest.raises(ValidationError, match="只能提高要求"):
        save(users.sec_a, tree.a, "branch_meeting", {"frequency": "year", "min_count": 3}, today)
    assert save(users.sec_a, tree.a, "branch_meeting", {"frequency": "month"}, today).frequency == "month"
    # the committee may relax what it set
    assert not save(users.org_admin, tree.general, "party_lecture", {"active": False}, today).active


def test_save_requirement_scope(tree, users):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404
    from django.utils import timezone

    today = timezone.localdate()
    with pytest.raises(Http404):
        compliance.save_requirement(users.sec_b, tree.a, "theme_day", {"min_count": 2}, today)
    with pytest.raises(PermissionDenied):
        compliance.save_requirement(users.member_a, tree.a, "theme_day", {"min_count": 2}, today)


def test_effective_requirements_show_origin_and_upcoming(tree, users):
    compliance.save_requirement(None, tree.general, "theme_day", {"min_count": 2}, dt.date(2020, 1, 1))
    compliance.save_requirement(None, tree.a, "theme_day", {"min_count": 3}, dt.date(2099, 1, 1))
    rows = {r.version.code: r for r in compliance.effective_requirements(tree.a, dt.date(Y, 1, 1))}
    assert rows["theme_day"].version.origin == tree.general.name and not rows["theme_day"].own
    assert rows["theme_day"].upcoming.min_count == 3
    assert rows["branch_meeting"].version.origin == "系统默认"
    assert [r.version.code for r in compliance.effective_requirements(tree.a)][:2] == [
        "branch_meeting",
        "committee_meeting",
    ]


# --- Pages ---------------------------------------------------------------------------------------------


def test_branch_page(tree, users, client_for):
    held(tree.a, "theme_day", at(Y, 1, 8), topic="一月主题党日")
    url = reverse("orglife:compliance_branch", args=[tree.a.pk])
    page = client_for(users.sec_a).get(url, {"year": Y})
    assert page.status_code == 200
    html = page.content.decode()
    assert "主题党日" in html and "支部党员大会" in html and "第一党小组" in html
    assert reverse("orglife:ledger_pdf", args=[tree.a.pk]) in html
    assert client_for(users.sec_b).get(url).status_code == 404
    assert client_for(users.member_a).get(url).status_code == 403
    assert (
        client_for(users.leader_a1).get(reverse("orglife:compliance_branch", args=[tree.a1.pk])).status_code
        == 200
    )


def test_committee_page_sorts_filters_and_links(db, client_for, django_assert_max_num_queries):
    root, _, branches, admin = _committee(3)
    held(branches[0], "branch_meeting", at(Y, 4, 9))
    for month in (3, 4, 5):
        held(branches[2], "theme_day", at(Y, month, 9))
    client = client_for(admin)
    url = reverse("orglife:compliance_committee", args=[root.pk])
    page = client.get(url, {"year": Y})
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("orglife:compliance_branch", args=[branches[0].pk]) in html
    assert "个支部" in html
    with django_assert_max_num_queries(20):
        client.get(url, {"year": Y, "unfinished": "1"})
    ordered = [r.org.id for r in page.context["page"].object_list]
    assert ordered[-1] == branches[2].pk  # least behind last
    # a branch officer gets their own branch's view from the index
    assert client.get(reverse("orglife:compliance")).status_code == 302


def test_compliance_index_redirects(tree, users, client_for):
    index = reverse("orglife:compliance")
    to_branch = client_for(users.sec_a).get(index)
    assert to_branch.url.startswith(reverse("orglife:compliance_branch", args=[tree.a.pk]))
    to_committee = client_for(users.org_admin).get(index)
    assert to_committee.url.startswith(reverse("orglife:compliance_committee", args=[tree.root.pk]))
    assert client_for(users.member_a).get(index).status_code == 403


def test_requirement_pages(tree, users, client_for):
    from django.utils import timezone

    client = client_for(users.org_admin)
    listing = client.get(reverse("orglife:requirements"), {"org": tree.general.pk})
    assert listing.status_code == 200 and "支部党员大会" in listing.content.decode()
    edit = reverse("orglife:requirements_edit", args=[tree.general.pk, "theme_day"])
    assert client.get(edit).status_code == 200
    today = timezone.localdate()
    data = {
        "type_code": "theme_day",
        "frequency": "month",
        "min_count": "2",
        "applies_to": "branch",
        "source": "总支规定：每月两次",
        "valid_from": today.isoformat(),
        "active": "on",
    }
    done = client.post(edit, data)
    assert done.status_code == 302
    assert Requirement.objects.get(org=tree.general, code="theme_day").min_count == 2
    past = client.post(edit, {**data, "valid_from": (today - dt.timedelta(days=3)).isoformat()})
    assert past.status_code == 200 and "不能早于今天" in past.content.decode()
    history = client.get(reverse("orglife:requirements_history", args=[tree.general.pk, "theme_day"]))
    assert history.status_code == 200 and "总支规定：每月两次" in history.content.decode()
    new = reverse("orglife:requirements_new", args=[tree.general.pk])
    assert client.get(new).status_code == 200
    # a member of the branch may not edit; another branch's secretary does not see it
    assert (
        client_for(users.member_a)
        .get(reverse("orglife:requirements_edit", args=[tree.a.pk, "theme_day"]))
        .status_code
        == 403
    )
    assert (
        client_for(users.sec_b)
        .get(reverse("orglife:requirements_edit", args=[tree.a.pk, "theme_day"]))
        .status_code
        == 404
    )
    assert (
        client_for(users.sec_a)
        .get(reverse("orglife:requirements_edit", args=[tree.a1.pk, "group_meeting"]))
        .status_code
        == 404
    )


def test_home_shows_the_lines(tree, users, client_for):
    page = client_for(users.sec_a).get(reverse("core:home"))
    assert page.status_code == 200
    assert "尚未召开支部党员大会" in page.content.decode()
    committee = client_for(users.org_admin).get(reverse("core:home")).content.decode()
    assert "个支部本" in committee


def test_committee_matrix_agrees_with_branch_reports_in_every_configuration(db):
    """The matrix counts in a tight loop with shortcuts (one meeting a month over consecutive months);
    whatever the versions, founding days and meetings, it must say what each branch's own view says."""
    import random

    rng = random.Random(5)
    root, general, branches, admin = _committee(6)
    tree_a, tree_b, tree_c = branches[0], branches[1], branches[2]
    tree_a.founded_on = dt.date(Y, 4, 18)
    tree_a.save()
    compliance.save_requirement(None, tree_b, "theme_day", {"min_count": 2}, dt.date(2020, 1, 1))
    compliance.save_requirement(None, tree_c, "theme_day", {"active": False}, dt.date(Y, 5, 1))
    compliance.save_requirement(None, tree_c, "theme_day", {"active": True}, dt.date(Y, 7, 1))
    compliance.save_requirement(None, general, "party_lecture", {"frequency": "month"}, dt.date(Y, 6, 1))
    groups = list(Organization.objects.filter(path__startswith=root.path, org_type="group"))
    for org in [*branches, *groups]:
        for _ in range(rng.randint(4, 14)):
            code = (
                "group_meeting"
                if org.org_type == "group"
                else rng.choice(
                    [
                        "theme_day",
                        "theme_day",
                        "branch_meeting",
                        "party_lecture",
                        "committee_meeting",
                        "life_meeting",
                    ]
                )
            )
            held(
                org,
                code,
                at(Y, rng.randint(1, 12), rng.randint(1, 28)),
                status=rng.choice(["held", "recorded", "planned"]),
            )
    for today in (
        dt.date(Y, 1, 1),
        dt.date(Y, 5, 31),
        dt.date(Y, 9, 30),
        dt.date(Y, 11, 21),
        dt.date(Y + 1, 2, 1),
    ):
        matrix = compliance.committee_matrix(admin, root, Y, today=today)
        due_now: dict = {}
        missed_last: dict = {}
        for row in matrix.rows:
            branch = next(b for b in branches if b.pk == row.org.id)
            report = compliance.branch_report(admin, branch, Y, today=today)
            assert (row.missed, row.due) == (report.missed, report.due)
            for col, tally in zip(matrix.columns, row.cells, strict=True):
                lines = [x for x in report.lines if (x.code, x.frequency) == col.key]
                assert (tally is None) == (not lines), (branch.name, col.key)
                if lines:
                    assert (tally.missed, tally.due, tally.met, tally.units) == (
                        sum(x.missed for x in lines),
                        sum(x.due for x in lines),
                        sum(x.met for x in lines),
                        len(lines),
                    ), (branch.name, col.key, today)
                for x in lines:
                    cells = [c for c in x.cells if c.state]
                    now = next((c for c in cells if c.period.start <= today <= c.period.end), None)
                    closed = [c for c in x.cells if c.period.end < today]
                    if now and now.state.state == "due":
                        due_now[col.key] = due_now.get(col.key, 0) + 1
                    if closed and closed[-1].state and closed[-1].state.state == "missed":
                        missed_last[col.key] = missed_last.get(col.key, 0) + 1
        for col in matrix.columns:
            assert col.units_due == due_now.get(col.key, 0), (col.key, today)
            assert col.units_missed_last == missed_last.get(col.key, 0), (col.key, today)


def test_compliance_pages_take_a_fixed_number_of_queries(db, client_for):
    counted = {}
    for n in (2, 6):
        root, general, branches, admin = _committee(n)
        client = client_for(admin)
        pages = {
            "committee": reverse("orglife:compliance_committee", args=[root.pk]),
            "general": reverse("orglife:compliance_committee", args=[general.pk]),
            "branch": reverse("orglife:compliance_branch", args=[branches[-1].pk]),
        }
        for name, url in pages.items():
            client.get(url, {"year": Y})
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url, {"year": Y}).status_code == 200
            counted.setdefault(name, []).append(len(ctx.captured_queries))
    assert all(a == b for a, b in counted.values()), counted
