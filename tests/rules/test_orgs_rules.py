"""zhibu.orgs.rules: tree invariants, term dates and flags, setup advice (domain-rules §3)."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhibu.orgs import rules
from zhibu.orgs.rules import BRANCH, COMMITTEE, GENERAL_BRANCH, GROUP

D = dt.date

# --- child_type_error: every parent/child pair, including the top level ---------------------------

ALLOWED = {
    (None, COMMITTEE),
    (None, GENERAL_BRANCH),
    (None, BRANCH),
    (COMMITTEE, COMMITTEE),
    (COMMITTEE, GENERAL_BRANCH),
    (COMMITTEE, BRANCH),
    (GENERAL_BRANCH, BRANCH),
    (BRANCH, GROUP),
}
EXPECTED_ERRORS = {
    (None, GROUP): "党小组不能作为顶层组织",
    (COMMITTEE, GROUP): "党小组只能设在党支部下",
    (GENERAL_BRANCH, COMMITTEE): "党总支下不能设基层党委",
    (GENERAL_BRANCH, GENERAL_BRANCH): "党总支下不能设党总支",
    (GENERAL_BRANCH, GROUP): "党小组只能设在党支部下",
    (BRANCH, COMMITTEE): "党支部下不能设基层党委",
    (BRANCH, GENERAL_BRANCH): "党支部下不能设党总支",
    (BRANCH, BRANCH): "党支部下不能设党支部",
    (GROUP, COMMITTEE): "党小组下不能再设组织",
    (GROUP, GENERAL_BRANCH): "党小组下不能再设组织",
    (GROUP, BRANCH): "党小组下不能再设组织",
    (GROUP, GROUP): "党小组下不能再设组织",
}
PARENTS = [None, COMMITTEE, GENERAL_BRANCH, BRANCH, GROUP]
CHILDREN = [COMMITTEE, GENERAL_BRANCH, BRANCH, GROUP]


def test_pairs_table_is_complete():
    assert ALLOWED | set(EXPECTED_ERRORS) == {(p, c) for p in PARENTS for c in CHILDREN}
    assert not ALLOWED & set(EXPECTED_ERRORS)


@pytest.mark.parametrize("parent,child", sorted(ALLOWED, key=str))
def test_allowed_pairs(parent, child):
    assert rules.child_type_error(parent, child) is None


@pytest.mark.parametrize("pair,message", sorted(EXPECTED_ERRORS.items(), key=str))
def test_refused_pairs_have_chinese_message(pair, message):
    assert rules.child_type_error(*pair) == message


# --- calendar arithmetic ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day,years,expected",
    [
        (D(2024, 2, 29), 1, D(2025, 2, 28)),
        (D(2024, 2, 29), 3, D(2027, 2, 28)),
        (D(2024, 2, 29), 4, D(2028, 2, 29)),
        (D(2024, 2, 29), 5, D(2029, 2, 28)),
        (D(2023, 1, 31), 1, D(2024, 1, 31)),
        (D(2023, 12, 31), 3, D(2026, 12, 31)),
        (D(2025, 3, 1), -1, D(2024, 3, 1)),
        (D(2028, 2, 29), -4, D(2024, 2, 29)),
    ],
)
def test_add_years(day, years, expected):
    assert rules.add_years(day, years) == expected


@pytest.mark.parametrize(
    "day,months,expected",
    [
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year: clamp to 29 Feb
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2024, 8, 31), -6, D(2024, 2, 29)),
        (D(2023, 8, 31), -6, D(2023, 2, 28)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 5, 31), 1, D(2024, 6, 30)),
        (D(2024, 12, 15), 1, D(2025, 1, 15)),
        (D(2025, 1, 15), -1, D(2024, 12, 15)),
        (D(2025, 3, 10), -15, D(2023, 12, 10)),
        (D(2025, 3, 10), 0, D(2025, 3, 10)),
        (D(2024, 10, 31), 6, D(2025, 4, 30)),
    ],
)
def test_add_months(day, months, expected):
    assert rules.add_months(day, months) == expected


@given(st.dates(min_value=D(1950, 1, 1), max_value=D(2100, 12, 31)), st.integers(-600, 600))
def test_add_months_keeps_day_or_clamps_to_month_end(day, months):
    result = rules.add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day == day.day or (result.day < day.day and (result + dt.timedelta(days=1)).day == 1)


# --- terms ------------------------------------------------------------------------------------------

SECTORS = ["organ", "institution", "enterprise", "village", "community", "school", "other"]


@pytest.mark.parametrize("sector", SECTORS)
@pytest.mark.parametrize("org_type", [COMMITTEE, GENERAL_BRANCH, BRANCH, GROUP])
def test_default_term_years(org_type, sector):
    expected = 5 if org_type == COMMITTEE or sector in ("village", "community") else 3
    assert rules.default_term_years(org_type, sector) == expected


def test_term_end_on_29_february():
    assert rules.term_end(D(2024, 2, 29), 3) == D(2027, 2, 28)
    assert rules.term_end(D(2024, 2, 29), 5) == D(2029, 2, 28)
    assert rules.term_end(D(2023, 6, 30), 3) == D(2026, 6, 30)


def test_term_dates_error():
    assert rules.term_dates_error(D(2024, 1, 1), D(2024, 1, 1)) == "任期届满日期必须晚于任期开始日期"
    assert rules.term_dates_error(D(2024, 1, 2), D(2024, 1, 1)) == "任期届满日期必须晚于任期开始日期"
    assert rules.term_dates_error(D(2024, 1, 1), D(2024, 1, 2)) is None


@pytest.mark.parametrize(
    "ends_on,today,expected",
    [
        # six months before 30 Sep 2026 is 30 Mar 2026
        (D(2026, 9, 30), D(2026, 3, 29), "ok"),
        (D(2026, 9, 30), D(2026, 3, 30), "ending_soon"),
        (D(2026, 9, 30), D(2026, 3, 31), "ending_soon"),
        (D(2026, 9, 30), D(2026, 9, 30), "ending_soon"),
        (D(2026, 9, 30), D(2026, 10, 1), "overdue"),
        (D(2026, 9, 30), D(2020, 1, 1), "ok"),
        # six months before 31 Aug 2026 is 28 Feb 2026 (clamped)
        (D(2026, 8, 31), D(2026, 2, 27), "ok"),
        (D(2026, 8, 31), D(2026, 2, 28), "ending_soon"),
        (D(2026, 8, 31), D(2026, 9, 1), "overdue"),
        # leap year
        (D(2028, 8, 31), D(2028, 2, 28), "ok"),
        (D(2028, 8, 31), D(2028, 2, 29), "ending_soon"),
    ],
)
def test_term_flag_boundaries(ends_on, today, expected):
    assert rules.term_flag(ends_on, today) == expected


def test_term_flag_ended_wins():
    assert rules.term_flag(D(2020, 1, 1), D(2026, 1, 1), ended=True) == "ended"
    assert rules.term_flag(D(2030, 1, 1), D(2026, 1, 1), ended=True) == "ended"


# --- setup advice -----------------------------------------------------------------------------------


def advice(**kwargs):
    base = {
        "org_type": BRANCH,
        "full_members": 10,
        "members": 10,
        "has_committee": True,
        "committee_seats": 5,
    }
    base.update(kwargs)
    return rules.setup_advice(**base)


def has(items, text, level=None):
    return any(text in a.message and (level is None or a.level == level) for a in items)


def test_healthy_branch_gets_no_advice():
    assert advice() == []


def test_every_advice_names_its_source():
    items = advice(full_members=2, members=60, has_committee=True, committee_seats=8, small_groups=1)
    assert items
    assert all(a.source and a.level in ("warning", "info") for a in items)


@pytest.mark.parametrize("full,expected", [(2, True), (3, False)])
def test_branch_min_full_members(full, expected):
    items = advice(full_members=full, members=full, has_committee=False)
    assert has(items, "不足3人", "warning") is expected
    if expected:
        assert has(items, "联合党支部")


@pytest.mark.parametrize("kind", ["joint", "temporary"])
def test_joint_and_temporary_branches_may_have_fewer_than_3(kind):
    items = advice(branch_kind=kind, full_members=2, members=2, has_committee=False)
    assert not has(items, "不足3人")


def test_temporary_branch_note():
    items = advice(branch_kind="temporary")
    assert has(items, "临时党支部不发展党员", "info")
    assert not has(advice(branch_kind="regular"), "临时党支部")
    assert not has(advice(branch_kind="joint"), "临时党支部")


@pytest.mark.parametrize(
    "full,has_committee,needs_committee,too_small_for_committee",
    [
        (6, False, False, False),
        (7, False, True, False),
        (7, True, False, False),
        (6, True, False, True),
        (8, False, True, False),
    ],
)
def test_committee_threshold(full, has_committee, needs_committee, too_small_for_committee):
    items = advice(full_members=full, members=full, has_committee=has_committee)
    assert has(items, "应设立支部委员会", "warning") is needs_committee
    assert has(items, "一般不设支部委员会", "info") is too_small_for_committee


@pytest.mark.parametrize("seats,expected", [(7, False), (8, True)])
def test_committee_size(seats, expected):
    assert has(advice(committee_seats=seats), "一般不超过7人", "warning") is expected
    assert not has(
        advice(committee_seats=seats, has_committee=False, full_members=5, members=5), "一般不超过7人"
    )


@pytest.mark.parametrize("members,expected", [(50, False), (51, True)])
def test_branch_max_members(members, expected):
    items = advice(members=members, group_count=3)
    assert has(items, "超过50人", "warning") is expected


@pytest.mark.parametrize(
    "members,groups,expected", [(19, 0, False), (20, 0, True), (20, 2, False), (40, 0, True)]
)
def test_groups_advised(members, groups, expected):
    assert has(advice(members=members, group_count=groups), "宜划分党小组", "info") is expected


@pytest.mark.parametrize("small,expected", [(0, False), (1, True), (2, True)])
def test_small_groups(small, expected):
    items = advice(members=30, group_count=3, small_groups=small)
    assert has(items, "个党小组不足3人", "warning") is expected
    if small:
        assert has(items, f"{small}个党小组不足3人")


@pytest.mark.parametrize(
    "members,too_few,too_many",
    [(49, True, False), (50, False, False), (100, False, False), (101, False, True)],
)
def test_general_branch_size(members, too_few, too_many):
    items = rules.setup_advice(
        org_type=GENERAL_BRANCH, full_members=members, members=members, has_committee=True
    )
    assert has(items, "不足50人") is too_few
    assert has(items, "超过100人") is too_many
    assert len(items) == too_few + too_many


@pytest.mark.parametrize("members,expected", [(99, True), (100, False), (5000, False)])
def test_base_committee_size(members, expected):
    items = rules.setup_advice(org_type=COMMITTEE, full_members=members, members=members, has_committee=True)
    assert has(items, "不足100人") is expected
    assert len(items) == int(expected)


def test_branch_rules_do_not_apply_to_other_types():
    for org_type in (COMMITTEE, GENERAL_BRANCH, GROUP):
        items = rules.setup_advice(
            org_type=org_type, full_members=2, members=60, has_committee=False, small_groups=3
        )
        assert not has(items, "不足3人")
        assert not has(items, "党小组不足3人")
    assert rules.setup_advice(org_type=GROUP, full_members=1, members=1, has_committee=False) == []
