"""Transfer, mobile and lost-contact rules (教育管理条例 2019; domain-rules §6) at their boundaries."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhibu.members import rules_transfers as rules

D = dt.date


# --- letter validity --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued", "months", "until"),
    [
        (D(2024, 11, 30), 3, D(2025, 2, 28)),  # common year: clamped to 28 February
        (D(2023, 11, 30), 3, D(2024, 2, 29)),  # leap year: 29 February
        (D(2023, 11, 29), 3, D(2024, 2, 29)),
        (D(2024, 11, 28), 3, D(2025, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2024, 3, 31), 3, D(2024, 6, 30)),
        (D(2024, 10, 15), 3, D(2025, 1, 15)),  # across a year end
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
    ],
)
def test_letter_valid_until_is_exact_at_month_ends(issued, months, until):
    assert rules.letter_valid_until(issued, months) == until


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 31)), st.integers(1, 12))
def test_letter_validity_never_ends_before_issue_and_is_within_the_month(issued, months):
    until = rules.letter_valid_until(issued, months)
    assert until > issued
    assert (until.year * 12 + until.month) - (issued.year * 12 + issued.month) == months
    assert until.day <= issued.day


@pytest.mark.parametrize(
    ("months", "ok"), [(0, False), (1, True), (3, True), (12, True), (13, False), ("3", False)]
)
def test_letter_validity_range(months, ok):
    assert (rules.letter_validity_error(months) is None) == ok


def test_letter_state_boundaries():
    until = D(2025, 2, 28)
    assert rules.letter_state(until, "pending", D(2025, 2, 20)) == "valid"  # 8 days left
    assert rules.letter_state(until, "pending", D(2025, 2, 21)) == "expiring"  # 7 days left
    assert rules.letter_state(until, "pending", D(2025, 2, 28)) == "expiring"  # last valid day
    assert rules.letter_state(until, "pending", D(2025, 3, 1)) == "expired"  # the day after
    assert rules.letter_state(until, "completed", D(2026, 1, 1)) == "done"
    assert rules.letter_state(until, "cancelled", D(2025, 2, 25)) == "done"


def test_letter_numbers():
    prefix = rules.letter_prefix("HK-Z1-01", 2025)
    assert prefix == "ZBHKZ1012025"
    assert rules.letter_number("HK-Z1-01", 2025, 7) == "ZBHKZ10120250007"
    assert rules.next_letter_serial(None, prefix) == 1
    assert rules.next_letter_serial("ZBHKZ10120250041", prefix) == 42
    assert rules.next_letter_serial("ZBOTHER20250041", prefix) == 1
    assert len(rules.letter_number("X" * 40, 2025, 9999)) <= 40


# --- lost contact -----------------------------------------------------------------------------------


def test_lost_six_months_exactly_on_the_day_vs_the_day_before():
    since = D(2025, 3, 10)
    assert rules.lost_deadlines(since, None).suspend_from == D(2025, 9, 10)
    assert rules.lost_stage(since, None, D(2025, 9, 9)) == rules.LOST_WAITING
    assert rules.lost_stage(since, None, D(2025, 9, 10)) == rules.LOST_SUSPEND_DUE


def test_lost_six_months_from_a_month_end():
    # 31 August + 6 months: there is no 31 February, so the last day of February counts
    assert rules.lost_deadlines(D(2024, 8, 31), None).suspend_from == D(2025, 2, 28)
    assert rules.lost_deadlines(D(2023, 8, 31), None).suspend_from == D(2024, 2, 29)


def test_two_years_after_suspension_boundary():
    lost, suspended = D(2022, 1, 5), D(2022, 9, 1)
    deadlines = rules.lost_deadlines(lost, suspended)
    assert deadlines.leave_from == D(2024, 9, 1)
    assert rules.lost_stage(lost, suspended, D(2024, 8, 31)) == rules.LOST_LEAVE_WAITING
    assert rules.lost_stage(lost, suspended, D(2024, 9, 1)) == rules.LOST_LEAVE_DUE


def test_two_years_from_29_february():
    deadlines = rules.lost_deadlines(D(2023, 8, 29), D(2024, 2, 29))
    assert deadlines.leave_from == D(2026, 2, 28)


def test_two_years_run_from_the_earliest_possible_suspension_when_not_yet_suspended():
    deadlines = rules.lost_deadlines(D(2025, 3, 10), None)
    assert deadlines.leave_from == D(2027, 9, 10)


def test_lost_params_are_configurable():
    params = rules.LostParams(suspend_months=3, leave_years=1)
    deadlines = rules.lost_deadlines(D(2025, 1, 31), None, params)
    assert deadlines.suspend_from == D(2025, 4, 30)
    assert deadlines.leave_from == D(2026, 4, 30)


# --- mobile members ---------------------------------------------------------------------------------


def test_mobile_transfer_advised_from_six_months_exactly():
    since = D(2025, 1, 15)
    assert not rules.mobile_flags(since, D(2025, 7, 14)).transfer_advised
    flags = rules.mobile_flags(since, D(2025, 7, 15))
    assert flags.transfer_advised and flags.transfer_from == D(2025, 7, 15)


def test_mobile_report_due_yearly_from_leaving_or_the_last_report():
    since = D(2024, 3, 1)
    flags = rules.mobile_flags(since, D(2025, 3, 1))
    assert flags.report_due_on == D(2025, 3, 1)
    assert not flags.report_overdue and flags.report_due_soon
    assert rules.mobile_flags(since, D(2025, 3, 2)).report_overdue
    assert not rules.mobile_flags(since, D(2025, 1, 29)).report_due_soon  # 31 days left
    assert rules.mobile_flags(since, D(2025, 1, 30)).report_due_soon  # 30 days left
    later = rules.mobile_flags(since, D(2025, 3, 2), last_report=D(2024, 12, 20))
    assert later.report_due_on == D(2025, 12, 20) and not later.report_overdue
    half = rules.mobile_flags(since, D(2024, 9, 2), report_months=6)
    assert half.report_due_on == D(2024, 9, 1) and half.report_overdue


def test_age_on_birthdays():
    assert rules.age_on(D(1990, 6, 15), D(2025, 6, 14)) == 34
    assert rules.age_on(D(1990, 6, 15), D(2025, 6, 15)) == 35
    assert rules.age_on(D(2000, 2, 29), D(2025, 2, 28)) == 24
    assert rules.age_on(D(2000, 2, 29), D(2025, 3, 1)) == 25
    assert rules.age_on(None, D(2025, 1, 1)) is None
