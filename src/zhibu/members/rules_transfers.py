"""Transfer, mobile-member and lost-contact rules as pure functions (no ORM).

Sources: 中国共产党党员教育管理工作条例（2019）第二十八条至第三十条 (组织关系转接, 流动党员, 失去联系的党员)
and domain-rules §6. The software only proposes: none of these functions changes anyone's status.
"""

import datetime as dt
import re
from dataclasses import dataclass

from zhibu.members import rules as member_rules
from zhibu.orgs.rules import add_months, add_years

# Defaults; the numbers in force are read through core.config (keys members.*) by the callers.
LETTER_VALIDITY_MONTHS = 3
LETTER_EXPIRING_DAYS = 7
LOST_SUSPEND_MONTHS = 6
LOST_LEAVE_YEARS = 2
MOBILE_TRANSFER_MONTHS = 6
MOBILE_REPORT_MONTHS = 12
LETTER_VALIDITY_RANGE = (1, 12)

LETTER_VALID, LETTER_EXPIRING, LETTER_EXPIRED, LETTER_DONE = "valid", "expiring", "expired", "done"
LETTER_STATE_NAMES = {
    LETTER_VALID: "有效",
    LETTER_EXPIRING: "即将到期",
    LETTER_EXPIRED: "已过期",
    LETTER_DONE: "已办结",
}


def letter_valid_until(issued_on: dt.date, months: int) -> dt.date:
    """Last day an introduction letter is valid: issue date + N months, clamped at month ends.

    教育管理条例 2019 第二十八条 (介绍信 has a validity; the number is local, default 3 months, §6).
    30 November + 3 months → 28 February (29 in a leap year).
    """
    return add_months(issued_on, months)


def letter_validity_error(months) -> str | None:
    """Why a letter validity (in months) is unacceptable, or None (local practice: 1 to 12 months)."""
    low, high = LETTER_VALIDITY_RANGE
    if not isinstance(months, int) or isinstance(months, bool) or not low <= months <= high:
        return f"介绍信有效期应为{low}至{high}个月"
    return None


def letter_prefix(org_code: str, year: int) -> str:
    """The fixed part of a letter number: "ZB" + the issuing org's code (letters and digits) + the year."""
    code = re.sub(r"[^0-9A-Za-z]", "", org_code or "").upper()[:24]
    return f"ZB{code}{year:04d}"


def letter_number(org_code: str, year: int, serial: int) -> str:
    """A letter number such as ZBHKZ10120250007: "ZB" + org code + year + 4-digit serial."""
    return f"{letter_prefix(org_code, year)}{serial:04d}"


def next_letter_serial(last_number: str | None, prefix: str) -> int:
    """The serial after the highest one issued under `prefix` (1 when none)."""
    if not last_number or not last_number.startswith(prefix):
        return 1
    tail = last_number[len(prefix) :]
    return int(tail) + 1 if tail.isdigit() else 1


def letter_state(valid_until: dt.date | None, status: str, today: dt.date) -> str:
    """State of a letter: "done" once no longer pending; "expired" the day after valid_until;
    "expiring" within 7 days of it (inclusive); otherwise "valid" (教育管理条例 2019 第二十八条; §6)."""
    if status != "pending":
        return LETTER_DONE
    if valid_until is None:
        return LETTER_VALID
    days_left = (valid_until - today).days
    if days_left < 0:
        return LETTER_EXPIRED
    if days_left <= LETTER_EXPIRING_DAYS:
        return LETTER_EXPIRING
    return LETTER_VALID


@dataclass(frozen=True)
class LostParams:
    suspend_months: int = LOST_SUSPEND_MONTHS
    leave_years: int = LOST_LEAVE_YEARS


@dataclass(frozen=True)
class LostDeadlines:
    suspend_from: dt.date  # 停止党籍 may be proposed from this day
    leave_from: dt.date  # 按自行脱党除名 may be proposed from this day


def lost_deadlines(
    lost_since: dt.date, suspended_since: dt.date | None, params: LostParams = LostParams()
) -> LostDeadlines:
    """When 停止党籍 and then 自行脱党 may be proposed for a member out of contact.

    教育管理条例 2019 第三十条: out of contact ≥ 6 months and still not found → 停止党籍; still unreachable
    2 years after 停止党籍 → treated as 自行脱党 and removed (domain-rules §6). The 2 years run from the
    actual 停止党籍 date when known, else from the earliest day it could have been decided.
    """
    suspend_from = add_months(lost_since, params.suspend_months)
    leave_from = add_years(suspended_since or suspend_from, params.leave_years)
    return LostDeadlines(suspend_from=suspend_from, leave_from=leave_from)


LOST_WAITING, LOST_SUSPEND_DUE, LOST_LEAVE_DUE, LOST_LEAVE_WAITING = (
    "waiting",
    "suspend_due",
    "leave_due",
    "leave_waiting",
)


def lost_stage(
    lost_since: dt.date,
    suspended_since: dt.date | None,
    today: dt.date,
    params: LostParams = LostParams(),
) -> str:
    """Where a lost member stands (教育管理条例 2019 第三十条; §6): "waiting" (< 6 months),
    "suspend_due" (6 months reached, 停止党籍 may be proposed), "leave_waiting" (suspended, < 2 years),
    "leave_due" (2 years after 停止党籍, 自行脱党 may be proposed). The exact day counts as reached."""
    deadlines = lost_deadlines(lost_since, suspended_since, params)
    if suspended_since is None:
        return LOST_SUSPEND_DUE if today >= deadlines.suspend_from else LOST_WAITING
    return LOST_LEAVE_DUE if today >= deadlines.leave_from else LOST_LEAVE_WAITING


@dataclass(frozen=True)
class MobileFlags:
    transfer_from: dt.date  # away this long at a fixed place → the membership should move
    transfer_advised: bool
    report_due_on: dt.date  # next report home (汇报) due
    report_overdue: bool
    report_due_soon: bool  # due within `soon_days`


def mobile_flags(
    since: dt.date,
    today: dt.date,
    *,
    last_report: dt.date | None = None,
    report_months: int = MOBILE_REPORT_MONTHS,
    transfer_months: int = MOBILE_TRANSFER_MONTHS,
    soon_days: int = 30,
) -> MobileFlags:
    """Flags for a 流动党员 (教育管理条例 2019 第二十九条; §6).

    Away ≥ 6 months at a fixed place → transfer the membership (advised from the exact day);
    while mobile the member reports home at least every `report_months` (default yearly), counted from
    the last recorded report or, before any, from the day they left.
    """
    transfer_from = add_months(since, transfer_months)
    base = max(last_report, since) if last_report else since
    report_due_on = add_months(base, report_months)
    days_left = (report_due_on - today).days
    return MobileFlags(
        transfer_from=transfer_from,
        transfer_advised=today >= transfer_from,
        report_due_on=report_due_on,
        report_overdue=days_left < 0,
        report_due_soon=0 <= days_left <= soon_days,
    )


def age_on(birth_date: dt.date | None, day: dt.date) -> int | None:
    """Full years of age on `day` (members.rules.age_on), or None when the birth date is unknown."""
    return None if birth_date is None else member_rules.age_on(birth_date, day)
