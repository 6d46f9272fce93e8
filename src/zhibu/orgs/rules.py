"""Organization-setup rules as pure functions (domain-rules §3). No ORM here.

Type codes: "committee" 基层党委, "general_branch" 党总支, "branch" 党支部, "group" 党小组;
branch kinds: "regular", "joint" 联合党支部, "temporary" 临时党支部.
"""

import calendar
import datetime as dt
from dataclasses import dataclass

COMMITTEE, GENERAL_BRANCH, BRANCH, GROUP = "committee", "general_branch", "branch", "group"
TYPE_NAMES = {COMMITTEE: "基层党委", GENERAL_BRANCH: "党总支", BRANCH: "党支部", GROUP: "党小组"}

_ALLOWED_CHILDREN = {
    COMMITTEE: {COMMITTEE, GENERAL_BRANCH, BRANCH},
    GENERAL_BRANCH: {BRANCH},
    BRANCH: {GROUP},
    GROUP: set(),
}

# Versioned defaults (domain-rules §3). Organizations may configure stricter values later.
BRANCH_MIN_FULL_MEMBERS = 3
BRANCH_MAX_MEMBERS = 50
COMMITTEE_MIN_FULL_MEMBERS = 7
GROUPS_ADVISED_FROM_MEMBERS = 20
GROUP_MIN_MEMBERS = 3
GENERAL_BRANCH_MIN_MEMBERS = 50
GENERAL_BRANCH_MAX_MEMBERS = 100
BASE_COMMITTEE_MIN_MEMBERS = 100
TERM_REMINDER_MONTHS = 6


def child_type_error(parent_type: str | None, child_type: str) -> str | None:
    """Why child_type may not sit under parent_type, or None (党章 ch. 5; 支部工作条例 arts. 4–6)."""
    if parent_type is None:
        return "党小组不能作为顶层组织" if child_type == GROUP else None
    if child_type in _ALLOWED_CHILDREN[parent_type]:
        return None
    if parent_type == GROUP:
        return "党小组下不能再设组织"
    if child_type == GROUP:
        return "党小组只能设在党支部下"
    return f"{TYPE_NAMES[parent_type]}下不能设{TYPE_NAMES[child_type]}"


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later; 29 February falls back to 28 February."""
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (negative: earlier), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_term_years(org_type: str, sector: str) -> int:
    """Term length: 基层党委 5 years, 总支/支部 3; village and community orgs 5 (任期意见 2018)."""
    if sector in ("village", "community") or org_type == COMMITTEE:
        return 5
    return 3


def term_end(started_on: dt.date, years: int) -> dt.date:
    """The day a term elected on `started_on` is due to end (任期意见 2018)."""
    return add_years(started_on, years)


def term_dates_error(started_on: dt.date, ends_on: dt.date) -> str | None:
    """A term must end after it starts."""
    if ends_on <= started_on:
        return "任期届满日期必须晚于任期开始日期"
    return None


def term_flag(ends_on: dt.date, today: dt.date, ended: bool = False) -> str:
    """'overdue' after the due day, 'ending_soon' within 6 months of it (the superior reminds then;
    任期意见 2018), else 'ok'. A term already replaced is 'ended'."""
    if ended:
        return "ended"
    if today > ends_on:
        return "overdue"
    if today >= add_months(ends_on, -TERM_REMINDER_MONTHS):
        return "ending_soon"
    return "ok"


@dataclass(frozen=True)
class Advice:
    level: str  # "warning" | "info"
    message: str
    source: str


def setup_advice(
    *,
    org_type: str,
    branch_kind: str = "regular",
    full_members: int,
    members: int,
    has_committee: bool,
    committee_seats: int = 0,
    group_count: int = 0,
    small_groups: int = 0,
) -> list[Advice]:
    """Advice on how an org is set up, computed from its counts (domain-rules §3).

    `members` counts full and probationary members on the roll; `has_committee` means its current
    term is a committee (not secretary-only); `small_groups` counts 党小组 with fewer than 3 members.
    """
    advice: list[Advice] = []
    src_branch = "《中国共产党支部工作条例（试行）》第四条"
    src_committee = "《中国共产党支部工作条例（试行）》第二十条"
    if org_type == BRANCH:
        if branch_kind == "temporary":
            advice.append(
                Advice("info", "临时党支部不发展党员、不处分处置党员、不收缴党费、不选举", "domain-rules §3")
            )
        if full_members < BRANCH_MIN_FULL_MEMBERS and branch_kind == "regular":
            advice.append(
                Advice(
                    "warning",
                    f"正式党员{full_members}人，不足3人：应与邻近单位党员成立联合党支部",
                    src_branch,
                )
            )
        if members > BRANCH_MAX_MEMBERS:
            advice.append(
                Advice(
                    "warning",
                    f"党员{members}人，超过50人：可考虑分设党支部或经批准成立党总支",
                    src_branch,
                )
            )
        if full_members >= COMMITTEE_MIN_FULL_MEMBERS and not has_committee:
            advice.append(
                Advice(
                    "warning",
                    f"正式党员{full_members}人（7人以上）：应设立支部委员会（3至5人，一般不超过7人）",
                    src_committee,
                )
            )
        if full_members < COMMITTEE_MIN_FULL_MEMBERS and has_committee:
            advice.append(
                Advice(
                    "info",
                    f"正式党员{full_members}人，不足7人：一般不设支部委员会，设书记1名，必要时设副书记1名",
                    src_committee,
                )
            )
        if has_committee and committee_seats > 7:
            advice.append(Advice("warning", f"支部委员会{committee_seats}人，一般不超过7人", src_committee))
        if members >= GROUPS_ADVISED_FROM_MEMBERS and group_count == 0:
            advice.append(
                Advice(
                    "info",
                    f"党员{members}人：党员较多，宜划分党小组（每组不少于3人）",
                    "《中国共产党支部工作条例（试行）》；domain-rules §3",
                )
            )
        if small_groups:
            advice.append(
                Advice("warning", f"{small_groups}个党小组不足3人", "domain-rules §3（党小组不少于3人）")
            )
    elif org_type == GENERAL_BRANCH:
        if members < GENERAL_BRANCH_MIN_MEMBERS:
            advice.append(
                Advice(
                    "info",
                    f"党员{members}人，不足50人：党总支一般在党员50至100人时设立，不足的需经批准",
                    "《中国共产党党和国家机关基层组织工作条例》第六条；domain-rules §3",
                )
            )
        if members > GENERAL_BRANCH_MAX_MEMBERS:
            advice.append(
                Advice(
                    "info",
                    f"党员{members}人，超过100人：可考虑经批准成立基层党委",
                    "《中国共产党党和国家机关基层组织工作条例》第五条；domain-rules §3",
                )
            )
    elif org_type == COMMITTEE and members < BASE_COMMITTEE_MIN_MEMBERS:
        advice.append(
            Advice(
                "info",
                f"党员{members}人，不足100人：设立基层党委需经上级党组织批准",
                "《中国共产党党和国家机关基层组织工作条例》第五条；domain-rules §3",
            )
        )
    return advice
