"""points.rules: periods in Asia/Shanghai, whole scoring units, caps at their boundaries, rule checks,
the reporting window, who may award by hand, and competition ranks. Pure functions, no database."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhibu.points import catalogue, rules

D = dt.date
DEC = Decimal
UTC = dt.UTC


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=rules.TZ)


# --- period_bounds ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind,day,bounds",
    [
        ("day", D(2026, 3, 31), (D(2026, 3, 31), D(2026, 3, 31))),
        # ISO weeks: Monday to Sunday, across month and year ends
        ("week", D(2026, 11, 16), (D(2026, 11, 16), D(2026, 11, 22))),  # a Monday
        ("week", D(2026, 11, 22), (D(2026, 11, 16), D(2026, 11, 22))),  # a Sunday
        ("week", D(2026, 11, 23), (D(2026, 11, 23), D(2026, 11, 29))),  # the next Monday
        ("week", D(2026, 12, 31), (D(2026, 12, 28), D(2027, 1, 3))),
        ("week", D(2027, 1, 1), (D(2026, 12, 28), D(2027, 1, 3))),
        ("week", D(2024, 3, 1), (D(2024, 2, 26), D(2024, 3, 3))),
        # months, leap and common Februaries, December
        ("month", D(2024, 2, 29), (D(2024, 2, 1), D(2024, 2, 29))),
        ("month", D(2024, 2, 1), (D(2024, 2, 1), D(2024, 2, 29))),
        ("month", D(2026, 2, 14), (D(2026, 2, 1), D(2026, 2, 28))),
        ("month", D(2100, 2, 3), (D(2100, 2, 1), D(2100, 2, 28))),  # not a leap year
        ("month", D(2000, 2, 3), (D(2000, 2, 1), D(2000, 2, 29))),  # a leap year
        ("month", D(2026, 12, 31), (D(2026, 12, 1), D(2026, 12, 31))),
        ("month", D(2026, 4, 30), (D(2026, 4, 1), D(2026, 4, 30))),
        # quarters: each one, first and last days
        ("quarter", D(2026, 1, 1), (D(2026, 1, 1), D(2026, 3, 31))),
        ("quarter", D(2026, 3, 31), (D(2026, 1, 1), D(2026, 3, 31))),
        ("quarter", D(2026, 4, 1), (D(2026, 4, 1), D(2026, 6, 30))),
        ("quarter", D(2026, 6, 30), (D(2026, 4, 1), D(2026, 6, 30))),
        ("quarter", D(2026, 7, 1), (D(2026, 7, 1), D(2026, 9, 30))),
        ("quarter", D(2026, 10, 1), (D(2026, 10, 1), D(2026, 12, 31))),
        ("quarter", D(2026, 12, 31), (D(2026, 10, 1), D(2026, 12, 31))),
        ("quarter", D(2024, 2, 29), (D(2024, 1, 1), D(2024, 3, 31))),
        # years
        ("year", D(2026, 1, 1), (D(2026, 1, 1), D(2026, 12, 31))),
        ("year", D(2026, 12, 31), (D(2026, 1, 1), D(2026, 12, 31))),
        ("year", D(2024, 2, 29), (D(2024, 1, 1), D(2024, 12, 31))),
    ],
)
def test_period_bounds(kind, day, bounds):
    assert rules.period_bounds(kind, day) == bounds


def test_period_bounds_unknown_kind():
    with pytest.raises(ValueError):
        rules.period_bounds("fortnight", D(2026, 1, 1))
    with pytest.raises(ValueError):
        rules.period_bounds("custom", D(2026, 1, 1))  # custom periods have no bounds of their own


@given(
    kind=st.sampled_from(["day", "week", "month", "quarter", "year"]),
    day=st.dates(min_value=D(1901, 1, 1), max_value=D(2998, 12, 31)),
)
def test_period_contains_the_day_and_consecutive_periods_tile(kind, day):
    start, end = rules.period_bounds(kind, day)
    assert start <= day <= end
    # every day of the period has the same period, and the neighbours start right after / end right before
    assert rules.period_bounds(kind, start) == (start, end)
    assert rules.period_bounds(kind, end) == (start, end)
    nxt = rules.period_bounds(kind, end + dt.timedelta(days=1))
    assert nxt[0] == end + dt.timedelta(days=1)
    prev = rules.period_bounds(kind, start - dt.timedelta(days=1))
    assert prev[1] == start - dt.timedelta(days=1)
    length = (end - start).days + 1
    if kind == "week":
        assert start.weekday() == 0 and end.weekday() == 6 and length == 7
    elif kind == "month":
        assert start.day == 1 and 28 <= length <= 31 and start.month == end.month
    elif kind == "quarter":
        assert start.day == 1 and start.month in (1, 4, 7, 10) and 90 <= length <= 92
    elif kind == "year":
        assert (start.month, start.day, end.month, end.day) == (1, 1, 12, 31)


@pytest.mark.parametrize(
    "kind,start,end,label",
    [
        ("year", D(2026, 1, 1), D(2026, 12, 31), "2026年"),
        ("quarter", D(2026, 7, 1), D(2026, 9, 30), "2026年第3季度"),
        ("quarter", D(2026, 1, 1), D(2026, 3, 31), "2026年第1季度"),
        ("quarter", D(2026, 10, 1), D(2026, 12, 31), "2026年第4季度"),
        ("month", D(2026, 11, 1), D(2026, 11, 30), "2026年11月"),
        ("week", D(2026, 11, 16), D(2026, 11, 22), "2026-11-16至2026-11-22"),
        ("custom", D(2026, 3, 5), D(2026, 4, 2), "2026-03-05至2026-04-02"),
    ],
)
def test_period_label(kind, start, end, label):
    assert rules.period_label(kind, start, end) == label


# --- local_range and local_day ----------------------------------------------------------------------


def test_local_range_is_local_midnight_to_local_midnight():
    begin, stop = rules.local_range(D(2026, 1, 1), D(2026, 3, 31))
    assert begin == dt.datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
    assert stop == dt.datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    one_day = rules.local_range(D(2026, 3, 31), D(2026, 3, 31))
    assert one_day[1] - one_day[0] == dt.timedelta(days=1)
    with pytest.raises(ValueError):
        rules.local_range(D(2026, 4, 1), D(2026, 3, 31))


def _in(moment, start, end) -> bool:
    begin, stop = rules.local_range(start, end)
    return begin <= moment < stop


@pytest.mark.parametrize(
    "moment,quarter",
    [
        (local(2026, 3, 31, 23, 59, 59), 1),
        (local(2026, 4, 1, 0, 0, 0), 2),
        (local(2026, 4, 1, 0, 0, 1), 2),
        (dt.datetime(2026, 3, 31, 16, 30, tzinfo=UTC), 2),  # 00:30 on 1 April in Shanghai
        (dt.datetime(2026, 3, 31, 15, 59, 59, tzinfo=UTC), 1),  # 23:59:59 on 31 March in Shanghai
        (local(2026, 1, 1, 0, 0, 0), 1),
        (dt.datetime(2025, 12, 31, 16, 0, tzinfo=UTC), 1),  # local midnight of New Year
        (dt.datetime(2025, 12, 31, 15, 59, tzinfo=UTC), 4),  # still 2025 Q4 locally
    ],
)
def test_a_moment_falls_in_its_local_quarter(moment, quarter):
    day = rules.local_day(moment)
    start, end = rules.period_bounds("quarter", day)
    assert (start.month - 1) // 3 + 1 == quarter
    assert _in(moment, start, end)
    other = rules.period_bounds("quarter", start - dt.timedelta(days=1))
    assert not _in(moment, *other)


def test_local_day():
    assert rules.local_day(dt.datetime(2026, 3, 31, 16, 30, tzinfo=UTC)) == D(2026, 4, 1)
    assert rules.local_day(dt.datetime(2026, 3, 31, 15, 59, tzinfo=UTC)) == D(2026, 3, 31)
    assert rules.local_day(local(2026, 3, 31, 23, 59)) == D(2026, 3, 31)


# --- base_points ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "points,quantity,unit_size,expected",
    [
        ("1", "14", "5", "2"),  # 14 minutes at 1 point per 5 minutes: 2 whole units
        ("1", "15", "5", "3"),
        ("1", "4", "5", "0"),  # a partial unit scores nothing
        ("1", "5", "5", "1"),
        ("0.5", "1", "1", "0.5"),
        ("0.5", "3", "1", "1.5"),
        ("2", "2.5", "1", "4"),  # 2.5 days: 2 whole days
        ("1", "99", "20", "4"),  # a quiz score of 99 at 1 point per 20
        ("-3", "1", "1", "-3"),
        ("-2", "2", "1", "-4"),
        ("1", "0.5", "0.25", "2"),
    ],
)
def test_base_points(points, quantity, unit_size, expected):
    result = rules.base_points(DEC(points), DEC(quantity), DEC(unit_size))
    assert result == DEC(expected)
    assert result.as_tuple().exponent == -2  # always two decimal places


@pytest.mark.parametrize("quantity", ["0", "-1"])
def test_base_points_needs_a_positive_quantity(quantity):
    with pytest.raises(ValueError):
        rules.base_points(DEC(1), DEC(quantity), DEC(1))


# --- apply_caps -------------------------------------------------------------------------------------

NO_CAPS = {"day": None, "week": None, "month": None, "year": None}


def caps(**kw):
    return {**NO_CAPS, **{k: DEC(str(v)) for k, v in kw.items()}}


def test_no_caps_scores_in_full():
    assert rules.apply_caps(DEC("3.00"), {}, NO_CAPS) == rules.Capped(DEC("3.00"), "")
    assert rules.apply_caps(DEC("3.00"), {}, {}) == rules.Capped(DEC("3.00"), "")


def test_the_entry_that_reaches_the_cap_exactly_scores_in_full():
    got = rules.apply_caps(DEC("0.50"), {"day": DEC("4.50")}, caps(day=5))
    assert got.points == DEC("0.50") and got.note == ""


def test_the_entry_after_the_cap_scores_zero_with_the_reason():
    got = rules.apply_caps(DEC("0.50"), {"day": DEC("5.00")}, caps(day=5))
    assert got.points == DEC("0.00")
    assert got.note == "已达每日上限5分，本次不计分"


def test_partial_room_scores_what_is_left():
    got = rules.apply_caps(DEC("3.00"), {"day": DEC("4.00")}, caps(day=6))
    assert got.points == DEC("2.00")
    assert got.note == "已接近每日上限6分，本次计2分（应计3分）"
    half = rules.apply_caps(DEC("1.00"), {"day": DEC("4.50")}, caps(day=5))
    assert half.points == DEC("0.50") and half.note == "已接近每日上限5分，本次计0.5分（应计1分）"


def test_used_beyond_the_cap_still_scores_zero():
    # e.g. the cap was lowered by a later rule version: never a negative award
    got = rules.apply_caps(DEC("1.00"), {"day": DEC("8.00")}, caps(day=5))
    assert got.points == DEC("0.00") and "已达每日上限5分" in got.note


def test_the_tighter_of_several_caps_binds():
    # day room 3, month room 1: the month binds
    got = rules.apply_caps(DEC("2.00"), {"day": DEC("5"), "month": DEC("19")}, caps(day=8, month=20))
    assert got.points == DEC("1.00") and got.note == "已接近每月上限20分，本次计1分（应计2分）"
    # day room 1, month room 10: the day binds
    got = rules.apply_caps(DEC("2.00"), {"day": DEC("7"), "month": DEC("10")}, caps(day=8, month=20))
    assert got.points == DEC("1.00") and "每日上限8分" in got.note
    # the year is full although the day has room
    got = rules.apply_caps(DEC("5.00"), {"day": DEC("0"), "year": DEC("30")}, caps(day=10, year=30))
    assert got == rules.Capped(DEC("0.00"), "已达每年上限30分，本次不计分")
    # a cap in a period with nothing used yet
    got = rules.apply_caps(DEC("10.00"), {}, caps(week=4))
    assert got.points == DEC("4.00") and "每周上限4分" in got.note


def test_equal_room_in_two_periods_reports_the_shorter():
    got = rules.apply_caps(DEC("2.00"), {"day": DEC("4"), "week": DEC("9")}, caps(day=5, week=10))
    assert got.points == DEC("1.00") and "每日上限" in got.note


def test_deduction_rules_cap_the_total_deducted():
    rule_caps = caps(month=2)
    first = rules.apply_caps(DEC("-2.00"), {"month": DEC("0")}, rule_caps)
    assert first == rules.Capped(DEC("-2.00"), "")
    second = rules.apply_caps(DEC("-2.00"), {"month": DEC("-2.00")}, rule_caps)
    assert second.points == DEC("0.00") and second.note == "已达每月上限2分，本次不计分"
    partial = rules.apply_caps(DEC("-2.00"), {"month": DEC("-1.00")}, rule_caps)
    assert partial.points == DEC("-1.00") and "本次计1分（应计2分）" in partial.note
    # a reversed deduction (used back to 0 or positive) frees the room again
    assert rules.apply_caps(DEC("-2.00"), {"month": DEC("0.00")}, rule_caps).points == DEC("-2.00")
    assert rules.apply_caps(DEC("-2.00"), {"month": DEC("3.00")}, rule_caps).points == DEC("-2.00")


def test_zero_base_is_never_capped():
    assert rules.apply_caps(DEC("0.00"), {"day": DEC("5")}, caps(day=5)) == rules.Capped(DEC("0.00"), "")


@given(
    base=st.decimals(min_value=DEC("0.01"), max_value=DEC("20"), places=2),
    used=st.decimals(min_value=DEC("0"), max_value=DEC("40"), places=2),
    cap=st.decimals(min_value=DEC("0.01"), max_value=DEC("30"), places=2),
    negative=st.booleans(),
)
def test_capped_points_are_within_room_and_base(base, used, cap, negative):
    sign = -1 if negative else 1
    got = rules.apply_caps(sign * base, {"day": sign * used}, caps(day=cap))
    room = max(DEC(0), cap - used)
    assert got.points == sign * min(base, room)
    assert (got.note == "") == (base <= room)
    assert got.points * sign >= 0


@given(
    steps=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=120),  # day offset
            st.sampled_from(["0.5", "1", "2", "3.25", "7"]),
        ),
        min_size=1,
        max_size=60,
    ),
    cap_day=st.none() | st.sampled_from(["1", "2.5", "5", "8"]),
    cap_week=st.none() | st.sampled_from(["5", "10", "12.5"]),
    cap_month=st.none() | st.sampled_from(["10", "20", "31"]),
    cap_year=st.none() | st.sampled_from(["25", "40"]),
    negative=st.booleans(),
)
def test_caps_are_never_exceeded_over_random_sequences(
    steps, cap_day, cap_week, cap_month, cap_year, negative
):
    """Simulates the award service: entries in any order of days, each capped against what its
    periods already hold. No period ever exceeds its cap, and an entry is cut only when a cap binds."""
    rule_caps = {
        "day": cap_day and DEC(cap_day),
        "week": cap_week and DEC(cap_week),
        "month": cap_month and DEC(cap_month),
        "year": cap_year and DEC(cap_year),
    }
    sign = -1 if negative else 1
    start = D(2026, 11, 1)
    ledger: list[tuple[dt.date, Decimal]] = []

    def used_in(period, day):
        lo, hi = rules.period_bounds(period, day)
        return sum((p for d, p in ledger if lo <= d <= hi), DEC(0))

    for offset, amount in steps:
        day = start + dt.timedelta(days=offset)
        base = sign * DEC(amount)
        used = {p: used_in(p, day) for p, cap in rule_caps.items() if cap is not None}
        got = rules.apply_caps(base, used, rule_caps)
        assert abs(got.points) <= abs(base)
        assert got.points * sign >= 0
        if got.points != base:
            assert got.note
        ledger.append((day, got.points))
    for period, cap in rule_caps.items():
        if cap is None:
            continue
        for day, _ in ledger:
            assert abs(used_in(period, day)) <= cap


# --- rule_problems ----------------------------------------------------------------------------------

SOUND = {
    "points": DEC("2"),
    "unit_size": DEC("1"),
    "caps": dict(NO_CAPS),
    "self_report": False,
    "needs_approval": False,
    "awarder": "branch",
}


def problems(**kw):
    return rules.rule_problems(**{**SOUND, **kw})


def test_a_sound_rule_has_no_problems():
    assert problems() == {}
    assert problems(points=DEC("-1000"), caps=caps(day=1, week=1, month=1, year=1)) == {}
    assert problems(points=DEC("1000")) == {}
    assert problems(self_report=True, needs_approval=True) == {}
    assert problems(awarder="superior", needs_approval=True) == {}


def test_the_default_catalogue_is_sound():
    for code, _n, _c, points, _u, unit_size, (
        d,
        w,
        m,
        y,
    ), _e, approval, awarder, self_rep, _ in catalogue.DEFAULT_RULES:
        found = rules.rule_problems(
            points=points,
            unit_size=unit_size,
            caps={"day": d, "week": w, "month": m, "year": y},
            self_report=self_rep,
            needs_approval=approval,
            awarder=awarder,
        )
        assert found == {}, code


def test_default_catalogue_codes_are_unique_and_ascii():
    codes = [row[0] for row in catalogue.DEFAULT_RULES]
    assert len(codes) == len(set(codes))
    assert all(code.isascii() and len(code) <= 40 for code in codes)


@pytest.mark.parametrize(
    "kw,field,message",
    [
        ({"points": DEC("0")}, "points", "分值不能为0"),
        ({"points": DEC("1000.01")}, "points", "分值绝对值不能超过1000"),
        ({"points": DEC("-1001")}, "points", "分值绝对值不能超过1000"),
        ({"unit_size": DEC("0")}, "unit_size", "每计分单位数量应大于0"),
        ({"unit_size": DEC("-5")}, "unit_size", "每计分单位数量应大于0"),
        ({"caps": caps(day=0)}, "cap_day", "上限应大于0；不设上限请留空"),
        ({"caps": caps(week=-1)}, "cap_week", "上限应大于0；不设上限请留空"),
        ({"caps": caps(month=0)}, "cap_month", "上限应大于0；不设上限请留空"),
        ({"caps": caps(year=-10)}, "cap_year", "上限应大于0；不设上限请留空"),
        ({"caps": caps(day=6, week=5)}, "cap_day", "每日上限不能大于每周上限"),
        ({"caps": caps(day=6, month=5)}, "cap_day", "每日上限不能大于每月上限"),  # week not set
        ({"caps": caps(week=30, month=20)}, "cap_week", "每周上限不能大于每月上限"),
        ({"caps": caps(month=50, year=40)}, "cap_month", "每月上限不能大于每年上限"),
        ({"caps": caps(day=50, year=40)}, "cap_day", "每日上限不能大于每年上限"),
        ({"self_report": True, "needs_approval": False}, "needs_approval", "党员申报的规则须经支部审核"),
        (
            {"self_report": True, "needs_approval": True, "points": DEC("-2")},
            "self_report",
            "扣分规则不能由党员申报",
        ),
        ({"awarder": "system", "needs_approval": True}, "needs_approval", "仅系统自动记分的规则无需审核"),
    ],
)
def test_rule_problems(kw, field, message):
    found = problems(**kw)
    assert found[field] == message
    assert len(found) == 1


def test_rule_problems_equal_caps_are_fine_and_only_the_first_bad_pair_is_reported():
    assert problems(caps=caps(day=5, week=5, month=5, year=5)) == {}
    found = problems(caps=caps(day=10, week=8, month=6))
    assert found == {"cap_day": "每日上限不能大于每周上限", "cap_week": "每周上限不能大于每月上限"}
    # a non-positive cap is reported as such, not also as larger than the next
    assert problems(caps=caps(day=0, week=-1)) == {
        "cap_day": "上限应大于0；不设上限请留空",
        "cap_week": "上限应大于0；不设上限请留空",
    }


def test_rule_problems_several_at_once():
    found = problems(points=DEC("0"), unit_size=DEC("0"), self_report=True, needs_approval=False)
    assert set(found) == {"points", "unit_size", "needs_approval"}


def test_a_system_rule_members_may_report_is_refused_either_way():
    assert "needs_approval" in problems(awarder="system", self_report=True, needs_approval=False)
    assert "needs_approval" in problems(awarder="system", self_report=True, needs_approval=True)


# --- occurrence_problem -----------------------------------------------------------------------------

NOW = local(2026, 11, 21, 10, 0)


@pytest.mark.parametrize(
    "occurred,problem",
    [
        (NOW, ""),
        (NOW + dt.timedelta(minutes=5), ""),  # clock skew between devices
        (NOW + dt.timedelta(minutes=5, seconds=1), "发生时间不能晚于当前时间"),
        (NOW + dt.timedelta(days=1), "发生时间不能晚于当前时间"),
        (local(2026, 8, 23, 0, 0), ""),  # exactly 90 days ago (local day), at its first second
        (local(2026, 8, 22, 23, 59, 59), "只能申报或记录90天内发生的事项"),  # 91 days ago
        (local(2026, 11, 21, 0, 0), ""),
        # 2026-08-22T16:30Z is 00:30 on 23 August in Shanghai: still inside
        (dt.datetime(2026, 8, 22, 16, 30, tzinfo=UTC), ""),
        (dt.datetime(2026, 8, 22, 15, 59, tzinfo=UTC), "只能申报或记录90天内发生的事项"),
    ],
)
def test_occurrence_problem(occurred, problem):
    assert rules.occurrence_problem(occurred, NOW, 90) == problem


def test_occurrence_window_is_configurable():
    assert rules.occurrence_problem(local(2026, 11, 14, 8, 0), NOW, 7) == ""
    assert rules.occurrence_problem(local(2026, 11, 13, 23, 0), NOW, 7) == "只能申报或记录7天内发生的事项"
    # "now" just after local midnight: yesterday is 1 day ago
    early = dt.datetime(2026, 11, 20, 16, 1, tzinfo=UTC)  # 00:01 on 21 Nov in Shanghai
    assert rules.occurrence_problem(local(2026, 11, 20, 0, 0), early, 1) == ""
    assert rules.occurrence_problem(local(2026, 11, 19, 23, 59), early, 1) != ""


# --- may_award_manually -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "awarder,actor_depth,branch_depth,allowed",
    [
        ("system", 1, 3, False),
        ("system", 3, 3, False),
        ("system", None, 3, False),
        ("branch", 3, 3, True),  # the branch's own officers
        ("branch", 2, 3, True),  # a general branch above
        ("branch", 1, 3, True),  # the committee at the root
        ("branch", 4, 3, False),  # below the branch (never happens for a branch, but refused)
        ("branch", None, 3, False),
        ("superior", 3, 3, False),  # the branch's own officers may not
        ("superior", 2, 3, True),
        ("superior", 1, 3, True),
        ("superior", None, 3, False),
        ("superior", 1, 1, False),  # a branch directly at the root has nobody above in the system
    ],
)
def test_may_award_manually(awarder, actor_depth, branch_depth, allowed):
    assert rules.may_award_manually(awarder, actor_depth, branch_depth) is allowed


# --- competition_ranks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "totals,ranks",
    [
        ([], []),
        (["5"], [1]),
        (["9", "7", "7", "3"], [1, 2, 2, 4]),
        (["9", "9", "9"], [1, 1, 1]),
        (["9", "8", "8", "8", "0", "0"], [1, 2, 2, 2, 5, 5]),
        (["2", "0", "-1", "-1"], [1, 2, 3, 3]),
        (["1.50", "1.5", "1"], [1, 1, 3]),  # equal Decimals with different exponents tie
    ],
)
def test_competition_ranks(totals, ranks):
    assert rules.competition_ranks([DEC(t) for t in totals]) == ranks


@given(st.lists(st.integers(min_value=-5, max_value=5), max_size=30))
def test_competition_ranks_is_one_plus_those_ahead(values):
    totals = sorted((DEC(v) for v in values), reverse=True)
    ranks = rules.competition_ranks(totals)
    for total, rank in zip(totals, ranks, strict=True):
        assert rank == 1 + sum(1 for other in totals if other > total)
