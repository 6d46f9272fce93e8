"""Organizational-life rules (pure functions): compliance periods at their boundaries, check-in windows to
the second, attendance points, voting rights, resolutions and elections at their exact thresholds,
民主评议 quotas, the democratic-poll tally and 谈心谈话 coverage."""

import datetime as dt
import itertools
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhibu.orglife import rules
from zhibu.orglife.rules import DUE, MET, MISSED, NOT_APPLICABLE

TZ = rules._tz()
Q4 = (dt.date(2026, 10, 1), dt.date(2026, 12, 31))


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


# --- Compliance periods --------------------------------------------------------------------------------


def test_met_exactly_at_required_even_before_the_period_ends():
    state = rules.period_state(1, 1, *Q4, today=dt.date(2026, 11, 20))
    assert (state.state, state.count, state.required, state.days_left) == (MET, 1, 1, None)
    assert state.label == "已完成"
    assert rules.period_state(2, 2, *Q4, today=dt.date(2027, 3, 1)).state == MET
    assert rules.period_state(3, 2, *Q4, today=dt.date(2026, 10, 1)).state == MET


def test_due_on_the_last_day_with_one_day_left_and_missed_the_day_after():
    last = rules.period_state(0, 1, *Q4, today=dt.date(2026, 12, 31))
    assert (last.state, last.days_left, last.label) == (DUE, 1, "待召开")
    first = rules.period_state(0, 1, *Q4, today=dt.date(2026, 10, 1))
    assert (first.state, first.days_left) == (DUE, 92)
    after = rules.period_state(0, 1, *Q4, today=dt.date(2027, 1, 1))
    assert (after.state, after.days_left, after.label) == (MISSED, None, "未完成")
    # one of two held: still due, then missed
    assert rules.period_state(1, 2, *Q4, today=dt.date(2026, 12, 31)).state == DUE
    assert rules.period_state(1, 2, *Q4, today=dt.date(2027, 1, 1)).state == MISSED


def test_not_applicable_before_the_period_starts():
    state = rules.period_state(0, 1, *Q4, today=dt.date(2026, 9, 30))
    assert (state.state, state.days_left, state.label) == (NOT_APPLICABLE, None, "不适用")


@given(
    count=st.integers(0, 5),
    required=st.integers(1, 5),
    offset=st.integers(-40, 130),
)
def test_period_state_properties(count, required, offset):
    today = Q4[0] + dt.timedelta(days=offset)
    state = rules.period_state(count, required, *Q4, today=today)
    if count >= required:
        assert state.state == MET
    elif today < Q4[0]:
        assert state.state == NOT_APPLICABLE
    elif today <= Q4[1]:
        assert state.state == DUE and 1 <= state.days_left <= 92
        assert today + dt.timedelta(days=state.days_left - 1) == Q4[1]
    else:
        assert state.state == MISSED
    assert (state.days_left is not None) == (state.state == DUE)


def test_periods_of_year():
    months = rules.periods_of_year("month", 2028)
    assert len(months) == 12
    assert months[0] == (dt.date(2028, 1, 1), dt.date(2028, 1, 31))
    assert months[1] == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))  # leap year
    assert months[11] == (dt.date(2028, 12, 1), dt.date(2028, 12, 31))
    quarters = rules.periods_of_year("quarter", 2026)
    assert quarters == [
        (dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        (dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
        (dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        (dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
    ]
    assert rules.periods_of_year("year", 2026) == [(dt.date(2026, 1, 1), dt.date(2026, 12, 31))]


@given(frequency=st.sampled_from(["month", "quarter", "year"]), year=st.integers(1990, 2100))
def test_periods_of_year_tile_the_year(frequency, year):
    periods = rules.periods_of_year(frequency, year)
    assert periods[0][0] == dt.date(year, 1, 1) and periods[-1][1] == dt.date(year, 12, 31)
    for (_, end), (start, _) in itertools.pairwise(periods):
        assert start == end + dt.timedelta(days=1)


def test_due_messages():
    due = rules.period_state(0, 1, *Q4, today=dt.date(2026, 12, 20))
    assert rules.due_message("支部党员大会", "quarter", due) == "本季度尚未召开支部党员大会，剩余 12 天"
    month = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    missed = rules.period_state(0, 1, *month, today=dt.date(2026, 12, 1))
    assert rules.due_message("党小组会", "month", missed) == "上月未召开党小组会"
    year = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    missed_year = rules.period_state(0, 1, *year, today=dt.date(2026, 1, 1))
    assert rules.due_message("组织生活会", "year", missed_year) == "上年度未召开组织生活会"
    due_year = rules.period_state(
        0, 1, dt.date(2026, 1, 1), dt.date(2026, 12, 31), today=dt.date(2026, 12, 31)
    )
    assert rules.due_message("组织生活会", "year", due_year) == "本年尚未召开组织生活会，剩余 1 天"
    # a requirement of two meetings names the number still missing
    two = rules.period_state(1, 2, *month, today=dt.date(2026, 11, 28))
    assert rules.due_message("主题党日", "month", two) == "本月尚未召开主题党日1次，剩余 3 天"
    two_missed = rules.period_state(0, 2, *month, today=dt.date(2026, 12, 1))
    assert rules.due_message("主题党日", "month", two_missed) == "上月未召开主题党日2次"
    met = rules.period_state(1, 1, *month, today=dt.date(2026, 11, 2))
    assert rules.due_message("主题党日", "month", met) == ""
    early = rules.period_state(0, 1, *month, today=dt.date(2026, 10, 2))
    assert rules.due_message("主题党日", "month", early) == ""


# --- Check-in -------------------------------------------------------------------------------------------

START, END = local(2026, 5, 12, 14, 0), local(2026, 5, 12, 16, 0)
SECOND = dt.timedelta(seconds=1)


def test_checkin_window_and_problem_at_the_exact_instants():
    opens, closes = rules.checkin_window(START, END, 30, 60)
    assert (opens, closes) == (local(2026, 5, 12, 13, 30), local(2026, 5, 12, 17, 0))
    assert rules.checkin_problem(opens, opens, closes) == ""
    assert rules.checkin_problem(closes, opens, closes) == ""
    assert rules.checkin_problem(opens - SECOND, opens, closes) == "签到尚未开始（5月12日 13:30开始）"
    assert (
        rules.checkin_problem(closes + SECOND, opens, closes)
        == "签到已结束；如确已参会，请联系会议记录人登记"
    )


def test_checkin_problem_shows_the_opening_in_beijing_time():
    opens = dt.datetime(2026, 5, 12, 5, 30, tzinfo=dt.UTC)  # 13:30 in Beijing
    closes = opens + dt.timedelta(hours=3)
    assert "5月12日 13:30开始" in rules.checkin_problem(opens - SECOND, opens, closes)


@given(
    before=st.integers(0, 1440),
    after=st.integers(0, 1440),
    offset=st.integers(-3000, 3000),
)
def test_checkin_is_open_exactly_inside_the_window(before, after, offset):
    opens, closes = rules.checkin_window(START, END, before, after)
    now = START + dt.timedelta(minutes=offset)
    assert (rules.checkin_problem(now, opens, closes) == "") == (opens <= now <= closes)


def test_arrival_status_at_the_grace_boundary():
    grace = START + dt.timedelta(minutes=10)
    assert rules.arrival_status(START - dt.timedelta(minutes=25), START, 10) == "present"
    assert rules.arrival_status(grace, START, 10) == "present"
    assert rules.arrival_status(grace + SECOND, START, 10) == "late"
    assert rules.arrival_status(START + SECOND, START, 0) == "late"


@pytest.mark.parametrize(
    "status, reason, expected",
    [
        ("present", "", "orglife.theme_day"),
        ("late", "", "orglife.theme_day"),
        ("absent", "unexcused", "orglife.absence"),
        ("absent", "sick", ""),
        ("absent", "personal", ""),
        ("absent", "official", ""),
        ("absent", "other", ""),
        ("pending", "", ""),
    ],
)
def test_attendance_rule_matrix(status, reason, expected):
    assert rules.attendance_rule(status, reason, "orglife.theme_day") == expected


def test_attendance_rule_with_a_type_that_scores_nothing_and_a_local_absence_rule():
    assert rules.attendance_rule("present", "", "") == ""
    assert rules.attendance_rule("absent", "unexcused", "", "local.absence") == "local.absence"


# --- Votes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "category, status, probation, votes",
    [
        ("full", "normal", False, True),
        ("full", "mobile", False, True),
        ("full", "normal", True, False),  # 留党察看
        ("full", "mobile", True, False),
        ("probationary", "normal", False, False),
        ("probationary", "mobile", False, False),
        ("full", "lost", False, False),
        ("full", "suspended", False, False),
        ("full", "transferred", False, False),
        ("full", "left", False, False),
        ("full", "deceased", False, False),
    ],
)
def test_voting_member_matrix(category, status, probation, votes):
    assert rules.voting_member(category, status, probation) is votes


def test_resolution_at_exact_thresholds():
    invalid = rules.resolution_result(10, 5, 5, 0, 0)
    assert (invalid.valid, invalid.passed) == (False, False)
    assert invalid.message == "应到10人，实到5人，实到人数未超过应到人数半数，会议无效，表决不成立"
    fails = rules.resolution_result(10, 6, 5, 1, 0)
    assert (fails.valid, fails.passed) == (True, False)
    assert fails.message == "应到10人，实到6人，会议有效；赞成5票，未超过应到人数半数，未通过"
    passes = rules.resolution_result(10, 6, 6, 0, 0)
    assert (passes.valid, passes.passed) == (True, True)
    assert passes.message == "应到10人，实到6人，会议有效；赞成6票，超过应到人数半数，通过"


def test_resolution_errors():
    assert rules.resolution_result(10, 11, 0, 0, 0).errors == ["实到人数（11）不能多于应到人数（10）"]
    assert rules.resolution_result(10, 6, 4, 2, 1).errors == [
        "赞成、反对、弃权合计（7）不能多于实到人数（6）"
    ]
    assert rules.resolution_result(0, 0, 0, 0, 0).errors == ["应到会有表决权的正式党员人数必须大于0"]


@given(
    expected=st.integers(1, 60),
    data=st.data(),
)
def test_resolution_properties(expected, data):
    present = data.draw(st.integers(0, expected))
    in_favour = data.draw(st.integers(0, present))
    against = data.draw(st.integers(0, present - in_favour))
    result = rules.resolution_result(expected, present, in_favour, against, present - in_favour - against)
    assert not result.errors
    assert result.valid == (2 * present > expected)
    assert result.passed == (result.valid and 2 * in_favour > expected)


def test_election_presence_exactly_four_fifths_is_invalid_one_more_valid():
    invalid = rules.election_result(10, 8, {"张三": 8}, 1)
    assert (invalid.valid, invalid.elected) == (False, [])
    assert invalid.message == "应到10人，实到8人，未超过应到人数的五分之四，选举无效"
    valid = rules.election_result(10, 9, {"张三": 8}, 1)
    assert (valid.valid, valid.elected) == (True, ["张三"])
    assert valid.message == "应到10人，实到9人，选举有效；当选：张三"
    assert not rules.election_result(5, 4, {"张三": 4}, 1).valid
    assert rules.election_result(5, 5, {"张三": 4}, 1).valid


def test_election_votes_exactly_half_of_present_not_elected_one_more_elected():
    result = rules.election_result(10, 10, {"张三": 5, "李四": 6}, 2)
    assert result.valid and result.elected == ["李四"]
    assert result.message == (
        "应到10人，实到10人，选举有效；当选：李四，尚缺1名（得票超过实到人数半数者不足或票数相同）"
    )
    nobody = rules.election_result(10, 10, {"张三": 5}, 1)
    assert nobody.elected == [] and "当选：无人，尚缺1名" in nobody.message


def test_election_more_passing_than_seats_the_most_votes_win():
    result = rules.election_result(10, 10, {"甲": 7, "乙": 9, "丙": 8, "丁": 6}, 3)
    assert result.elected == ["乙", "丙", "甲"]
    assert result.message == "应到10人，实到10人，选举有效；当选：乙、丙、甲"


def test_election_tie_at_the_last_seat_elects_nobody_for_it():
    result = rules.election_result(10, 10, {"甲": 9, "乙": 7, "丙": 7}, 2)
    assert result.elected == ["甲"]
    assert "尚缺1名" in result.message
    # a tie that fits in the seats elects both
    assert set(rules.election_result(10, 10, {"甲": 9, "乙": 7, "丙": 7}, 3).elected) == {"甲", "乙", "丙"}


def test_election_errors():
    result = rules.election_result(10, 11, {"张三": 12, " ": 1}, 0)
    assert not result.valid and result.message == "选举数据有误，请核对"
    assert result.errors == [
        "实到人数（11）应在0到应到人数（10）之间",
        "应选人数必须大于0",
        "张三的得票（12）应在0到实到人数（11）之间",
        "候选人姓名不能为空",
    ]
    assert rules.election_result(0, 0, {}, 1).errors == [
        "应到有选举权的党员人数必须大于0",
        "请填写候选人及得票",
    ]


@given(
    expected=st.integers(1, 60),
    seats=st.integers(1, 7),
    data=st.data(),
)
def test_election_properties(expected, seats, data):
    present = data.draw(st.integers(0, expected))
    votes = data.draw(st.lists(st.integers(0, present), min_size=1, max_size=9))
    candidates = {f"候选人{i}": v for i, v in enumerate(votes)}
    result = rules.election_result(expected, present, candidates, seats)
    assert not result.errors
    assert result.valid == (5 * present > 4 * expected)
    if not result.valid:
        assert result.elected == []
        return
    assert len(result.elected) <= seats
    assert all(2 * candidates[n] > present for n in result.elected)
    # nobody left out has more votes than someone elected
    if result.elected:
        lowest = min(candidates[n] for n in result.elected)
        assert all(candidates[n] <= lowest for n in candidates if n not in result.elected)


# --- 民主评议 ----------------------------------------------------------------------------------------------


def test_excellent_cap():
    third = Fraction(1, 3)
    assert rules.excellent_cap(9, third) == 3
    assert rules.excellent_cap(10, third) == 3
    assert rules.excellent_cap(2, third) == 0
    assert rules.excellent_cap(10, Fraction(3, 10)) == 3
    assert rules.excellent_cap(10, None) is None


@given(graded=st.integers(0, 500), num=st.integers(1, 10), den=st.integers(1, 10))
def test_excellent_cap_is_the_largest_count_within_the_ratio(graded, num, den):
    ratio = Fraction(min(num, den), den)
    cap = rules.excellent_cap(graded, ratio)
    assert cap <= graded * ratio < cap + 1


def test_parse_ratio():
    assert rules.parse_ratio("1/3") == Fraction(1, 3)
    assert rules.parse_ratio(" 3/10 ") == Fraction(3, 10)
    assert rules.parse_ratio("1") == 1
    for off in ("0", "", None, "off", "OFF", "关闭", "不限"):
        assert rules.parse_ratio(off) is None
    for bad in ("2", "-1/3", "abc"):
        with pytest.raises(ValueError):
            rules.parse_ratio(bad)


def test_grade_problems():
    graded = {1, 2, 3, 4, 5, 6}
    third = Fraction(1, 3)
    at_cap = {1: "excellent", 2: "excellent", 3: "qualified", 4: "qualified", 5: "basic", 6: "unqualified"}
    assert rules.grade_problems(at_cap, graded, third) == []
    over = {**at_cap, 3: "excellent"}
    assert rules.grade_problems(over, graded, third) == ["评为优秀的3人超过比例上限（1/3，最多2人）"]
    assert rules.grade_problems(over, graded, None) == []  # quota off
    all_excellent = dict.fromkeys(graded, "excellent")
    assert rules.grade_problems(all_excellent, graded, None) == []
    probationary = {**at_cap, 7: "qualified"}
    assert rules.grade_problems(probationary, graded, third) == ["预备党员参加评议但不评定等次"]
    assert rules.grade_problems({**at_cap, 7: ""}, graded, third) == []
    missing = {**at_cap, 6: ""}
    del missing[5]
    assert rules.grade_problems(missing, graded, third) == ["还有2名党员未评定等次"]
    # a probationary member's 优秀 does not count towards the quota, but is itself a problem
    assert rules.grade_problems({**at_cap, 7: "excellent"}, graded, third) == ["预备党员参加评议但不评定等次"]


def test_tally():
    ballots = [(1, "excellent"), (1, "qualified"), (1, "excellent"), (2, "basic")]
    assert rules.tally(ballots) == {1: {"excellent": 2, "qualified": 1}, 2: {"basic": 1}}
    assert rules.tally([]) == {}


@given(st.lists(st.tuples(st.integers(1, 5), st.sampled_from(["excellent", "qualified", "basic"]))))
def test_tally_counts_every_ballot_once(ballots):
    result = rules.tally(ballots)
    assert sum(sum(g.values()) for g in result.values()) == len(ballots)


# --- 谈心谈话 ----------------------------------------------------------------------------------------------


def test_required_pairs_and_coverage():
    assert rules.required_pairs([3, 1, 2, 2]) == {frozenset({1, 2}), frozenset({1, 3}), frozenset({2, 3})}
    assert rules.required_pairs([1]) == set()
    talks = [(1, 2), (2, 1), (3, 3), (1, 9)]  # a repeat (either way), a self-talk, someone outside
    assert rules.coverage([1, 2, 3], talks) == (1, 3)
    assert rules.coverage([1, 2, 3], [(1, 2), (3, 1), (2, 3)]) == (3, 3)
    assert rules.coverage([], []) == (0, 0)


@given(
    members=st.lists(st.integers(1, 30), max_size=12),
    talks=st.lists(st.tuples(st.integers(1, 30), st.integers(1, 30)), max_size=40),
)
def test_coverage_properties(members, talks):
    done, required = rules.coverage(members, talks)
    n = len(set(members))
    assert required == n * (n - 1) // 2
    assert 0 <= done <= required
