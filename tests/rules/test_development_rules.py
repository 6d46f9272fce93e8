"""zhibu.development.rules: the timing and people rules of member development (细则 2014, 党章; domain-rules
§2 and §4), case by case at their boundaries: birthdays, one year to the day, month ends, 29 February,
working days, vote thresholds."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhibu.development import rules
from zhibu.development.rules import CaseFacts, Params, SponsorFacts

D = dt.date
P = Params()
TODAY = D(2026, 6, 30)
FULL = SponsorFacts("王一", "full", "normal", False)
FULL2 = SponsorFacts("王二", "full", "normal", False)


START = D(2020, 1, 6)


def facts(up_to: int = 0, on: dt.date = START, **kw) -> CaseFacts:
    """Facts of a case with steps 1..up_to recorded on `on` (unless `steps` given)."""
    kw.setdefault("birth_date", D(1990, 5, 5))
    kw.setdefault("applied_on", on)
    kw.setdefault("steps", dict.fromkeys(range(1, up_to + 1), on))
    kw.setdefault("last_step", up_to)
    return CaseFacts(**kw)


def codes(findings, level=None):
    return [f.code for f in findings if level is None or f.level == level]


def step(n, done_on, f, params=P, today=TODAY):
    return rules.step_findings(n, done_on, f, params, today)


# --- age_on and ① the applicant's age -------------------------------------------------------------


def test_age_on_birthday_boundaries():
    assert rules.age_on(D(2006, 6, 15), D(2024, 6, 14)) == 17
    assert rules.age_on(D(2006, 6, 15), D(2024, 6, 15)) == 18
    assert rules.age_on(D(2006, 6, 15), D(2006, 6, 15)) == 0
    # born 29 Feb: one year older on 1 March in a common year, on 29 Feb in a leap year
    assert rules.age_on(D(2004, 2, 29), D(2022, 2, 28)) == 17
    assert rules.age_on(D(2004, 2, 29), D(2022, 3, 1)) == 18
    assert rules.age_on(D(2004, 2, 29), D(2024, 2, 28)) == 19
    assert rules.age_on(D(2004, 2, 29), D(2024, 2, 29)) == 20


def _birthday(birth: dt.date, n: int) -> dt.date:
    try:
        return birth.replace(year=birth.year + n)
    except ValueError:  # 29 Feb in a common year
        return D(birth.year + n, 3, 1)


@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2080, 12, 31)), st.integers(1, 100))
def test_age_on_changes_exactly_on_the_birthday(birth, n):
    day = _birthday(birth, n)
    assert rules.age_on(birth, day) == n
    assert rules.age_on(birth, day - dt.timedelta(days=1)) == n - 1


@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2050, 1, 1)), st.integers(0, 40000), st.integers(0, 400))
def test_age_on_never_decreases(birth, offset, more):
    day = birth + dt.timedelta(days=offset)
    assert 0 <= rules.age_on(birth, day) <= rules.age_on(birth, day + dt.timedelta(days=more))


def test_applicant_aged_17_the_day_before_the_18th_birthday_is_refused():
    f = facts(birth_date=D(2006, 6, 15), applied_on=D(2024, 6, 14))
    found = step(1, D(2024, 6, 14), f)
    assert codes(found, "error") == ["age_under_min"]
    assert "年满18周岁" in found[0].message and "2024年6月15日" in found[0].message
    assert found[0].field == "birth_date" and "第五条" in found[0].source


def test_applicant_on_the_18th_birthday_is_accepted():
    f = facts(birth_date=D(2006, 6, 15), applied_on=D(2024, 6, 15))
    assert step(1, D(2024, 6, 15), f) == []


def test_applicant_born_29_february_is_of_age_on_1_march():
    f = facts(birth_date=D(2004, 2, 29), applied_on=D(2022, 2, 28))
    found = step(1, D(2022, 2, 28), f)
    assert codes(found) == ["age_under_min"] and "2022年3月1日" in found[0].message
    f = facts(birth_date=D(2004, 2, 29), applied_on=D(2022, 3, 1))
    assert step(1, D(2022, 3, 1), f) == []


def test_minimum_age_comes_from_the_rule_set():
    f = facts(birth_date=D(2006, 6, 15), applied_on=D(2024, 6, 15))
    assert codes(step(1, D(2024, 6, 15), f, Params(min_age=19))) == ["age_under_min"]


# --- ② talk within one month -------------------------------------------------------------------------


def test_talk_within_one_month_of_application_at_month_end():
    f = facts(1, on=D(2024, 1, 31))
    assert step(2, D(2024, 2, 29), f) == []  # 31 Jan + 1 month = 29 Feb 2024
    found = step(2, D(2024, 3, 1), f)
    assert [(x.code, x.level) for x in found] == [("talk_late", "warning")]
    assert "2024年2月29日前" in found[0].message


def test_talk_deadline_is_shown_and_goes_overdue():
    f = facts(1, on=D(2024, 1, 31))
    talk = {d.code: d for d in rules.deadlines(f, P, D(2024, 2, 20))}["talk"]
    assert (talk.due_on, talk.state) == (D(2024, 2, 29), "due_soon")
    assert {d.code: d for d in rules.deadlines(f, P, D(2024, 2, 1))}["talk"].state == "open"
    assert {d.code: d for d in rules.deadlines(f, P, D(2024, 3, 1))}["talk"].state == "overdue"
    assert "talk_overdue" in codes(rules.check(f, P, D(2024, 3, 1)), "warning")
    late = facts(2, on=D(2024, 1, 31), talked_on=D(2024, 3, 5))
    assert {d.code: d for d in rules.deadlines(late, P, TODAY)}["talk"].state == "done_late"


# --- ⑦ one year as activist, the 公示, assessments ---------------------------------------------------


def candidate_facts(activist_on, **kw):
    f = facts(
        6, on=activist_on, applied_on=activist_on - dt.timedelta(days=60), activist_on=activist_on, **kw
    )
    return f


def with_notice(f, start):
    from dataclasses import replace

    return replace(f, candidate_notice=rules.notice_window(start, P))


def test_candidate_one_year_after_activist_on_29_february():
    f = candidate_facts(D(2024, 2, 29), assessments=(D(2024, 8, 1), D(2025, 1, 20)))
    assert codes(step(7, D(2025, 2, 28), with_notice(f, D(2025, 2, 17)))) == []
    found = step(7, D(2025, 2, 27), with_notice(f, D(2025, 2, 17)))
    assert codes(found, "error") == ["activist_under_year"]
    assert "最早2025年2月28日" in found[0].message


def test_candidate_on_the_last_day_before_one_year_is_refused():
    f = with_notice(
        candidate_facts(D(2023, 3, 15), assessments=(D(2023, 9, 1), D(2024, 3, 1))), D(2024, 3, 1)
    )
    assert codes(step(7, D(2024, 3, 14), f), "error") == ["activist_under_year"]
    assert codes(step(7, D(2024, 3, 15), f)) == []


def test_candidate_notice_missing_or_unfinished_is_a_warning():
    f = candidate_facts(D(2023, 3, 15), assessments=(D(2023, 9, 1), D(2024, 3, 1)))
    assert codes(step(7, D(2024, 3, 20), f)) == ["candidate_notice_missing"]
    # 5 working days from Thursday 14 March 2024 end on Wednesday 20 March: not finished before ⑦
    found = step(7, D(2024, 3, 20), with_notice(f, D(2024, 3, 14)))
    assert [(x.code, x.level) for x in found] == [("candidate_notice_unfinished", "warning")]
    assert codes(step(7, D(2024, 3, 21), with_notice(f, D(2024, 3, 14)))) == []


def test_missed_activist_assessment_warns_at_candidate_step():
    f = with_notice(candidate_facts(D(2023, 3, 15), assessments=(D(2023, 9, 15),)), D(2024, 3, 1))
    found = step(7, D(2024, 3, 20), f)
    assert [(x.code, x.level) for x in found] == [("assessment_missed", "warning")]
    assert "2024年3月15日" in found[0].message


def test_assessment_gaps_every_six_months():
    start = D(2023, 8, 31)
    assert rules.assessment_gaps(start, (D(2024, 2, 29), D(2024, 8, 29)), D(2024, 9, 1), 6) == []
    assert rules.assessment_gaps(start, (D(2024, 3, 1),), D(2024, 8, 1), 6) == [D(2024, 2, 29)]
    assert rules.assessment_gaps(start, (), D(2024, 2, 29), 6) == []  # due that day, not missed yet
    assert rules.assessment_gaps(start, (), D(2024, 3, 1), 6) == [D(2024, 2, 29)]


def test_assessment_deadline_every_six_months_until_candidate():
    f = facts(3, on=D(2023, 8, 31), activist_on=D(2023, 8, 31), assessments=(D(2024, 2, 20),))
    d = {x.code: x for x in rules.deadlines(f, P, D(2024, 3, 1))}
    assert d["assessment"].due_on == D(2024, 8, 20) and d["assessment"].state == "open"
    assert d["candidate"].due_on == D(2024, 8, 31) and d["candidate"].state == "open"
    assert "assessment_overdue" in codes(rules.check(f, P, D(2024, 8, 21)), "warning")
    later = facts(7, on=D(2023, 8, 31), activist_on=D(2023, 8, 31), candidate_on=D(2024, 9, 2))
    d = {x.code: x for x in rules.deadlines(later, P, TODAY)}
    assert "assessment" not in d and d["candidate"].state == "done"


# --- working days and the 公示 ---------------------------------------------------------------------


def test_working_days_weekends_holidays_and_adjusted_workdays():
    assert rules.is_working_day(D(2024, 5, 10))  # Friday
    assert not rules.is_working_day(D(2024, 5, 11))  # Saturday
    assert not rules.is_working_day(D(2024, 5, 1), holidays={"2024-05-01"})
    assert rules.is_working_day(D(2024, 5, 11), extra_workdays={D(2024, 5, 11)})


def test_notice_of_five_working_days_from_a_friday_ends_next_thursday():
    assert rules.notice_end(D(2024, 5, 10), 5) == D(2024, 5, 16)


def test_notice_over_a_configured_holiday_is_a_day_longer():
    assert rules.notice_end(D(2024, 5, 10), 5, holidays={"2024-05-13"}) == D(2024, 5, 17)
    # 1–3 May holidays: Mon 29, Tue 30 April, then Mon 6, Tue 7, Wed 8 May
    holidays = {"2024-05-01", "2024-05-02", "2024-05-03"}
    assert rules.notice_end(D(2024, 4, 29), 5, holidays=holidays) == D(2024, 5, 8)
    # Fri 26, Sun 28 (调休), Mon 29, Tue 30 April, Mon 6 May
    assert rules.notice_end(D(2024, 4, 26), 5, holidays, extra_workdays={"2024-04-28"}) == D(2024, 5, 6)


def test_notice_with_an_adjusted_saturday_ends_earlier():
    assert rules.notice_end(D(2024, 5, 10), 5, extra_workdays={"2024-05-11"}) == D(2024, 5, 15)


def test_notice_starting_on_a_weekend_counts_from_monday():
    assert rules.notice_end(D(2024, 5, 11), 5) == D(2024, 5, 17)
    assert rules.notice_end(D(2024, 5, 11), 1) == D(2024, 5, 13)
    with pytest.raises(ValueError):
        rules.notice_end(D(2024, 5, 11), 0)


def test_working_days_between():
    assert rules.working_days_between(D(2024, 5, 10), D(2024, 5, 16)) == 5
    assert rules.working_days_between(D(2024, 5, 11), D(2024, 5, 12)) == 0
    assert rules.working_days_between(D(2024, 5, 16), D(2024, 5, 10)) == 0
    assert rules.working_days_between(D(2024, 5, 10), D(2024, 5, 16), holidays={"2024-05-14"}) == 4


DAYS = st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31))


@given(DAYS, st.integers(1, 30), st.sets(DAYS, max_size=20), st.sets(DAYS, max_size=5))
def test_notice_end_counts_exactly_n_working_days(start, n, holidays, extra):
    end = rules.notice_end(start, n, holidays, extra)
    assert end >= start
    assert rules.is_working_day(end, holidays, extra)
    assert rules.working_days_between(start, end, holidays, extra) == n
    assert rules.working_days_between(start, end - dt.timedelta(days=1), holidays, extra) == n - 1


@given(DAYS, st.integers(1, 30))
def test_notice_without_holidays_spans_weekends_only(start, n):
    end = rules.notice_end(start, n)
    assert (end - start).days <= n - 1 + 2 * ((n + 6) // 5) + 2


# --- ⑤ mentors, ⑨ sponsors, ⑪ training -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("mentors", "expected"), [(0, ["mentors_missing"]), (1, []), (2, []), (3, ["mentors_too_many"])]
)
def test_mentors_one_or_two(mentors, expected):
    assert codes(step(5, D(2020, 3, 1), facts(3, mentors=mentors))) == expected


@pytest.mark.parametrize(
    ("sponsor", "message"),
    [
        (SponsorFacts("李预备", "probationary", "normal", False), "李预备是预备党员，入党介绍人应为正式党员"),
        (SponsorFacts("赵察看", "full", "normal", True), "赵察看正在受留党察看处分，不能作为入党介绍人"),
        (
            SponsorFacts("钱失联", "full", "lost", False),
            "钱失联的党员状态不正常（不在册或失联），不能作为入党介绍人",
        ),
        (
            SponsorFacts("孙出党", "full", "left", False),
            "孙出党的党员状态不正常（不在册或失联），不能作为入党介绍人",
        ),
    ],
)
def test_sponsor_error(sponsor, message):
    assert rules.sponsor_error(sponsor) == message
    found = step(9, D(2020, 3, 1), facts(8, sponsors=(FULL, sponsor)))
    assert [(x.code, x.level, x.message) for x in found] == [("sponsor_invalid", "error", message)]


def test_sponsors_must_be_two_valid_full_members():
    assert rules.sponsor_error(FULL) is None
    assert rules.sponsor_error(SponsorFacts("流动", "full", "mobile", False)) is None
    assert step(9, D(2020, 3, 1), facts(8, sponsors=(FULL, FULL2))) == []
    assert codes(step(9, D(2020, 3, 1), facts(8, sponsors=(FULL,)))) == ["sponsors_count"]
    assert codes(step(9, D(2020, 3, 1), facts(8))) == ["sponsors_count"]


@pytest.mark.parametrize(
    ("days", "hours", "ok"),
    [
        (3, None, True),
        (None, 24, True),
        (2.5, 24, True),
        (3, 10, True),
        (2.5, 23.5, False),
        (None, None, False),
        (0, 0, False),
    ],
)
def test_training_three_days_or_24_hours(days, hours, ok):
    found = step(11, D(2020, 3, 1), facts(10, training_days=days, training_hours=hours))
    assert codes(found) == ([] if ok else ["training_short"])


# --- step order and dates ----------------------------------------------------------------------------------


def test_steps_in_order_with_independent_steps_inside_a_stage():
    on = D(2020, 1, 6)
    day = D(2020, 3, 1)

    def order_errors(n, done):
        f = facts(steps=dict.fromkeys(done, on), sponsors=(FULL, FULL2), mentors=1, training_days=3)
        return [x for x in step(n, day, f) if x.code == "step_order"]

    assert order_errors(3, {1}) and "请先完成第2步" in order_errors(3, {1})[0].message
    assert not order_errors(5, {1, 2, 3})  # ⑤ before ④
    assert not order_errors(6, {1, 2, 3, 5})
    assert order_errors(7, {1, 2, 3, 5, 6})  # ④ missing
    for n in (8, 9, 10, 11):  # any order after ⑦
        assert not order_errors(n, set(range(1, 8)))
    assert "第10步" in order_errors(12, {*range(1, 10), 11})[0].message
    assert order_errors(17, set(range(1, 16)))  # ⑯ the superior's talk comes before approval
    assert not order_errors(16, set(range(1, 16)))
    assert not order_errors(17, set(range(1, 17)))
    assert order_errors(18, set(range(1, 17)))
    for n in (19, 20, 21):  # after ⑰, before or after ⑱
        assert not order_errors(n, set(range(1, 18)))
    assert order_errors(22, set(range(1, 22)) - {18})
    assert not order_errors(22, set(range(1, 22)))
    assert order_errors(25, set(range(1, 24)))


def test_step_dates_not_before_previous_not_in_future_not_twice():
    f = facts(2, on=D(2020, 1, 6), steps={1: D(2020, 1, 6), 2: D(2020, 2, 1)})
    found = step(3, D(2020, 1, 31), f)
    assert codes(found) == ["date_before_previous"] and "第2步" in found[0].message
    assert step(3, D(2020, 2, 1), f) == []
    assert codes(step(3, TODAY + dt.timedelta(days=1), f)) == ["date_future"]
    assert codes(step(2, D(2020, 2, 2), f)) == ["step_done"]
    assert codes(step(2, D(2019, 12, 1), facts(1))) == ["date_before_application"]
    assert codes(step(26, D(2020, 3, 1), f)) == ["step_unknown"]


def test_progress_is_the_unbroken_prefix_and_furthest_stage():
    assert rules.progress({1, 2, 3, 5}) == (3, 2)
    assert rules.progress(set()) == (0, 1)
    assert rules.progress(set(range(1, 18)) | {19}) == (17, 5)
    assert rules.available_steps({1, 2, 3}) == [4, 5, 6]
    assert rules.available_steps(set(range(1, 8))) == [8, 9, 10, 11]


# --- ⑮ admission vote, ⑰ approval, probation -----------------------------------------------------------


def test_admission_notice_before_the_vote():
    from dataclasses import replace

    f = facts(14)
    assert codes(step(15, D(2020, 3, 2), f)) == ["admission_notice_missing"]
    noticed = replace(f, admission_notice=rules.notice_window(D(2020, 2, 24), P))  # Mon → Fri 28 Feb
    assert step(15, D(2020, 2, 29), noticed) == []
    assert codes(step(15, D(2020, 2, 28), noticed)) == ["admission_notice_unfinished"]


@pytest.mark.parametrize(
    ("approved_on", "found"),
    [
        (D(2024, 4, 30), []),  # 31 Jan + 3 months = 30 April: on time
        (D(2024, 5, 1), [("approval_late", "warning")]),
        (D(2024, 7, 31), [("approval_late", "warning")]),  # the last day of the 6-month limit
        (D(2024, 8, 1), [("approval_too_late", "error")]),
    ],
)
def test_approval_within_three_months_at_most_six(approved_on, found):
    f = facts(16, admitted_on=D(2024, 1, 31))
    assert [(x.code, x.level) for x in step(17, approved_on, f)] == found


def test_approval_deadline_and_check():
    f = facts(16, admitted_on=D(2024, 1, 31))
    d = {x.code: x for x in rules.deadlines(f, P, D(2024, 4, 20))}["approval"]
    assert (d.due_on, d.state) == (D(2024, 4, 30), "due_soon")
    assert [(x.code, x.level) for x in rules.check(f, P, D(2024, 4, 30)) if "approval" in x.code] == []
    late = [(x.code, x.level) for x in rules.check(f, P, D(2024, 5, 1)) if "approval" in x.code]
    assert late == [("approval_overdue", "warning")]
    late = [(x.code, x.level) for x in rules.check(f, P, D(2024, 8, 1)) if "approval" in x.code]
    assert late == [("approval_overdue", "error")]


@pytest.mark.parametrize(
    ("vote", "ext", "end"),
    [
        (D(2024, 1, 31), 0, D(2025, 1, 31)),
        (D(2024, 2, 29), 0, D(2025, 2, 28)),
        (D(2023, 3, 1), 0, D(2024, 3, 1)),
        (D(2024, 2, 29), 6, D(2025, 8, 28)),
        (D(2024, 8, 31), 6, D(2026, 2, 28)),
        (D(2024, 1, 31), 12, D(2026, 1, 31)),
    ],
)
def test_probation_end_from_the_vote(vote, ext, end):
    assert rules.probation_end(vote, ext) == end


@given(st.dates(min_value=D(1950, 1, 1), max_value=D(2090, 1, 1)), st.integers(0, 12))
def test_probation_end_properties(vote, ext):
    end = rules.probation_end(vote, 0)
    assert (end - vote).days in (365, 366)
    assert end.month == vote.month and end.day <= vote.day
    longer = rules.probation_end(vote, ext)
    assert longer >= end
    assert (longer.year - end.year) * 12 + longer.month - end.month == ext
    assert rules.probation_end(vote, 0, probation_years=2) == rules.add_years(vote, 2)


@pytest.mark.parametrize(
    ("months", "previous", "error"),
    [
        (5, 0, "延长预备期的时间应为6至12个月"),
        (6, 0, None),
        (12, 0, None),
        (13, 0, "延长预备期的时间应为6至12个月"),
        (6, 1, "预备期只能延长一次"),
    ],
)
def test_extension_once_six_to_twelve_months(months, previous, error):
    assert rules.extension_error(months, previous, P) == error


def test_conversion_vote_not_before_probation_end():
    f = facts(22, admitted_on=D(2024, 2, 29))
    found = step(23, D(2025, 2, 27), f)
    assert [(x.code, x.level) for x in found] == [("probation_not_over", "error")]
    assert "2025年2月28日期满" in found[0].message
    assert step(23, D(2025, 2, 28), f) == []
    extended = facts(22, admitted_on=D(2024, 2, 29), extension_months=6, extensions=1)
    assert codes(step(23, D(2025, 8, 27), extended)) == ["probation_not_over"]
    assert step(23, D(2025, 8, 28), extended) == []


def test_probation_end_deadline_overdue_without_conversion_vote():
    f = facts(21, admitted_on=D(2024, 2, 29), approved_on=D(2024, 3, 20))
    d = {x.code: x for x in rules.deadlines(f, P, D(2025, 2, 28))}["probation_end"]
    assert (d.due_on, d.state) == (D(2025, 2, 28), "due_soon")
    assert "probation_end_overdue" in codes(rules.check(f, P, D(2025, 3, 1)), "warning")
    voted = facts(
        23, admitted_on=D(2024, 2, 29), approved_on=D(2024, 3, 20), conversion_vote_on=D(2025, 3, 10)
    )
    d = {x.code: x for x in rules.deadlines(voted, P, D(2025, 3, 11))}
    assert d["probation_end"].state == "done"
    assert (d["conversion_approval"].due_on, d["conversion_approval"].state) == (D(2025, 6, 10), "open")


def test_conversion_approval_within_three_months():
    f = facts(23, admitted_on=D(2024, 2, 29), conversion_vote_on=D(2025, 3, 1))
    assert step(24, D(2025, 6, 1), f) == []
    assert [(x.code, x.level) for x in step(24, D(2025, 6, 2), f)] == [
        ("conversion_approval_late", "warning")
    ]


# --- votes --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numbers", "valid", "passed"),
    [
        ((10, 5, 5, 0, 0, 0), False, False),  # half present: not a quorum
        ((10, 6, 5, 1, 0, 0), True, False),  # 5 of 10 is not more than half
        ((10, 6, 6, 0, 0, 0), True, True),
        ((10, 6, 5, 1, 0, 1), True, True),  # a written opinion of an absent member counts
        ((10, 5, 5, 0, 0, 1), False, False),  # but not towards the quorum
        ((12, 10, 9, 1, 0, 0), True, True),
        ((1, 1, 1, 0, 0, 0), True, True),
    ],
)
def test_vote_thresholds_strict(numbers, valid, passed):
    result = rules.vote_result(*numbers)
    assert (result.valid, result.passed, result.errors) == (valid, passed, [])


def test_vote_message():
    assert (
        rules.vote_result(12, 10, 9, 1, 0).message
        == "应到12人，实到10人，会议有效；赞成9票，超过应到人数半数，通过"
    )
    assert "会议无效" in rules.vote_result(10, 5, 5, 0, 0).message
    assert "未超过应到人数半数，未通过" in rules.vote_result(10, 6, 5, 1, 0).message
    assert "含缺席党员书面赞成1票" in rules.vote_result(10, 6, 5, 1, 0, 1).message


def test_vote_half_or_more_when_configured_is_flagged():
    result = rules.vote_result(10, 5, 5, 0, 0, strict=False)
    assert result.valid and result.passed
    assert "半数以上含半数" in result.message
    assert not rules.vote_result(10, 4, 4, 0, 0, strict=False).valid


@pytest.mark.parametrize(
    ("numbers", "error"),
    [
        ((10, 11, 6, 0, 0, 0), "实到人数（11）不能多于应到人数（10）"),
        ((10, 6, 5, 1, 1, 0), "赞成、反对、弃权合计（7）不能多于实到人数（6）"),
        ((10, 6, 6, 0, 0, 5), "书面表示赞成的缺席党员（5）不能多于缺席人数（4）"),
        ((0, 0, 0, 0, 0, 0), "应到会有表决权的正式党员人数必须大于0"),
        ((10, 6, -1, 0, 0, 0), "赞成票不能为负数或空"),
    ],
)
def test_vote_inconsistent_numbers(numbers, error):
    result = rules.vote_result(*numbers)
    assert error in result.errors
    assert not result.valid and not result.passed


# --- thought reports ----------------------------------------------------------------------------------


def test_thought_report_deadline_from_application_then_last_report():
    f = facts(1, on=D(2024, 1, 31))
    d = {x.code: x for x in rules.deadlines(f, P, D(2024, 2, 1))}["thought_report"]
    assert (d.due_on, d.state) == (D(2024, 4, 30), "open")
    f = facts(1, on=D(2024, 1, 31), thought_reports=(D(2024, 3, 15), D(2024, 2, 1)))
    d = {x.code: x for x in rules.deadlines(f, P, D(2024, 6, 10))}["thought_report"]
    assert (d.due_on, d.state) == (D(2024, 6, 15), "due_soon")
    d = {x.code: x for x in rules.deadlines(f, Params(thought_report_months=2), D(2024, 5, 16))}[
        "thought_report"
    ]
    assert (d.due_on, d.state) == (D(2024, 5, 15), "overdue")
    assert "thought_report_overdue" in codes(rules.check(f, Params(thought_report_months=2), D(2024, 5, 16)))


def test_thought_reports_end_with_conversion_or_a_stopped_case():
    converted = facts(
        24, admitted_on=D(2024, 2, 29), conversion_vote_on=D(2025, 3, 1), conversion_approved_on=D(2025, 4, 1)
    )
    assert "thought_report" not in {x.code for x in rules.deadlines(converted, P, TODAY)}
    stopped = facts(3, status="stopped", talked_on=D(2020, 1, 20))
    assert {x.code for x in rules.deadlines(stopped, P, TODAY)} == {"talk"}  # only what was done


# --- params and the whole-case check ---------------------------------------------------------------------


def test_params_from_rule_set_and_config():
    p = Params.from_dict(
        {"min_age": 18, "approval_months": 2, "unknown": 1},
        notice_working_days=7,
        holidays=["2024-10-01", "bad", D(2024, 10, 2)],
        extra_workdays=None,
    )
    assert (p.approval_months, p.notice_working_days, p.min_age) == (2, 7, 18)
    assert p.holidays == frozenset({D(2024, 10, 1), D(2024, 10, 2)})
    assert p.extra_workdays == frozenset()


def test_check_reports_recorded_violations():
    f = facts(
        11,
        activist_on=D(2020, 1, 6),
        candidate_on=D(2020, 12, 1),
        training_days=1,
        sponsors=(FULL,),
        talked_on=D(2020, 3, 1),
        on=D(2020, 1, 6),
    )
    found = codes(rules.check(f, P, D(2020, 12, 5)))
    assert {"activist_under_year", "training_short", "sponsors_count", "talk_late"} <= set(found)
    clean = facts(3, activist_on=D(2020, 1, 6), talked_on=D(2020, 1, 10), mentors=0)
    assert rules.check(clean, P, D(2020, 2, 1)) == []
