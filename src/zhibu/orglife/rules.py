"""Organizational-life rules as pure functions (no ORM). Sources: 中国共产党支部工作条例（试行）2018
(条例) arts. 11–19, 党章, 选举条例 2020; domain-rules §1 (frequencies, 民主评议, 谈心谈话) and §2 (votes).

Periods are local (Asia/Shanghai) dates; points.rules.period_bounds/local_range are reused.
"""

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations

from zhibu.points.rules import local_day, period_bounds  # noqa: F401  (re-exported for callers)

SRC_RULES = "《中国共产党支部工作条例（试行）》"
SRC_ELECTION = "《中国共产党基层组织选举工作条例》"

MET, DUE, MISSED, NOT_APPLICABLE = "met", "due", "missed", "n/a"
STATE_LABELS = {MET: "已完成", DUE: "待召开", MISSED: "未完成", NOT_APPLICABLE: "不适用"}


# --- Compliance ----------------------------------------------------------------------------------


def periods_of_year(frequency: str, year: int) -> list[tuple[dt.date, dt.date]]:
    """The months, quarters or the year of `year`, as local [start, end] dates."""
    if frequency == "year":
        return [(dt.date(year, 1, 1), dt.date(year, 12, 31))]
    step = 3 if frequency == "quarter" else 1
    return [
        period_bounds("month" if step == 1 else "quarter", dt.date(year, m, 1)) for m in range(1, 13, step)
    ]


@dataclass(frozen=True)
class PeriodState:
    state: str  # met | due | missed | n/a
    count: int
    required: int
    days_left: int | None  # for "due": days until the period ends, counting today

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]


def period_state(count: int, required: int, start: dt.date, end: dt.date, today: dt.date) -> PeriodState:
    """Met when `count` held meetings reach `required`; else due while the period is open (today ≤ end,
    with the days left including today), missed once it has ended; a period not yet begun is n/a.
    Source: 条例 arts. 11–13, 17 (frequencies; domain-rules §1)."""
    if count >= required:
        return PeriodState(MET, count, required, None)
    if today < start:
        return PeriodState(NOT_APPLICABLE, count, required, None)
    if today <= end:
        return PeriodState(DUE, count, required, (end - today).days + 1)
    return PeriodState(MISSED, count, required, None)


def due_message(type_name: str, frequency: str, state: PeriodState) -> str:
    """The 工作台 line: 本季度尚未召开支部党员大会，剩余 12 天 / 上月未召开党小组会."""
    unit = {"month": "月", "quarter": "季度", "year": "年"}[frequency]
    missing = state.required - state.count
    times = f"{missing}次" if state.required > 1 else ""
    if state.state == DUE:
        return f"本{unit}尚未召开{type_name}{times}，剩余 {state.days_left} 天"
    if state.state == MISSED:
        return (
            f"上{unit}未召开{type_name}{times}" if frequency != "year" else f"上年度未召开{type_name}{times}"
        )
    return ""


# --- Attendance and check-in -----------------------------------------------------------------------


def checkin_window(starts_at: dt.datetime, ends_at: dt.datetime, before_minutes: int, after_minutes: int):
    """Check-in opens `before_minutes` before the start and closes `after_minutes` after the end.
    Source: local practice (签到在会议前后一段时间内有效; the QR code must not work days later)."""
    return starts_at - dt.timedelta(minutes=before_minutes), ends_at + dt.timedelta(minutes=after_minutes)


def checkin_problem(now: dt.datetime, opens: dt.datetime, closes: dt.datetime) -> str:
    """Why a check-in is refused now ("" when it is open)."""
    if now < opens:
        local = opens.astimezone(_tz())
        return f"签到尚未开始（{local.month}月{local.day}日 {local:%H:%M}开始）"
    if now > closes:
        return "签到已结束；如确已参会，请联系会议记录人登记"
    return ""


def arrival_status(checked_in: dt.datetime, starts_at: dt.datetime, grace_minutes: int) -> str:
    """present, or late when checking in more than `grace_minutes` after the start (local practice)."""
    return "late" if checked_in > starts_at + dt.timedelta(minutes=grace_minutes) else "present"


def attendance_rule(status: str, reason: str, type_rule: str, absence_rule: str = "orglife.absence") -> str:
    """The points rule an attendance scores: the type's rule for present/late, the deduction for an
    unexcused absence, nothing otherwise (pending, excused absence). Source: the points catalogue."""
    if status in ("present", "late"):
        return type_rule
    if status == "absent" and reason == "unexcused":
        return absence_rule
    return ""


def _tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


# --- Votes -----------------------------------------------------------------------------------------


def voting_member(category: str, status: str, under_party_probation: bool) -> bool:
    """Only full members on the roll have a vote; probationary members and those under 留党察看 have none.
    Source: 党章 第六、七条; domain-rules §2."""
    return category == "full" and status in ("normal", "mobile") and not under_party_probation


def resolution_result(expected: int, present: int, in_favour: int, against: int, abstain: int, strict=True):
    """An ordinary resolution of a 支部党员大会: valid with more than half of the expected voting members
    present; passes with votes in favour exceeding half of the expected. Same arithmetic as the
    admission vote (development.rules.vote_result) without written opinions. Source: domain-rules §2."""
    from zhibu.development.rules import vote_result

    return vote_result(expected, present, in_favour, against, abstain, 0, strict)


@dataclass(frozen=True)
class ElectionResult:
    valid: bool
    elected: list[str]
    errors: list[str] = field(default_factory=list)
    message: str = ""


def election_result(expected: int, present: int, candidates: dict[str, int], seats: int) -> ElectionResult:
    """Electing a committee: valid with more than 4/5 of the expected voters present; a candidate is
    elected with votes exceeding half of those present; if more pass than seats, the most votes win
    (a tie at the last seat elects nobody for it). Source: 选举条例 2020; domain-rules §2."""
    errors = []
    if expected < 1:
        errors.append("应到有选举权的党员人数必须大于0")
    if present < 0 or present > expected:
        errors.append(f"实到人数（{present}）应在0到应到人数（{expected}）之间")
    if seats < 1:
        errors.append("应选人数必须大于0")
    if not candidates:
        errors.append("请填写候选人及得票")
    for name, votes in candidates.items():
        if not name.strip():
            errors.append("候选人姓名不能为空")
        if votes < 0 or votes > present:
            errors.append(f"{name}的得票（{votes}）应在0到实到人数（{present}）之间")
    if errors:
        return ElectionResult(False, [], errors, "选举数据有误，请核对")
    if Fraction(present, expected) <= Fraction(4, 5):
        return ElectionResult(
            False, [], [], f"应到{expected}人，实到{present}人，未超过应到人数的五分之四，选举无效"
        )
    passing = sorted(((v, n) for n, v in candidates.items() if 2 * v > present), key=lambda x: (-x[0], x[1]))
    elected = [n for v, n in passing[:seats]]
    if len(passing) > seats and passing[seats - 1][0] == passing[seats][0]:
        tie = passing[seats - 1][0]
        elected = [n for v, n in passing if v > tie]
    names = "、".join(elected) if elected else "无人"
    short = (
        f"，尚缺{seats - len(elected)}名（得票超过实到人数半数者不足或票数相同）"
        if len(elected) < seats
        else ""
    )
    message = f"应到{expected}人，实到{present}人，选举有效；当选：{names}{short}"
    return ElectionResult(True, elected, [], message)


# --- 民主评议 -----------------------------------------------------------------------------------------


def excellent_cap(graded: int, ratio: Fraction | None) -> int | None:
    """How many 优秀 a branch may grade: at most `ratio` (generally 1/3) of the graded members, rounded
    down; None when the organization turned the quota off. Source: domain-rules §1 (民主评议)."""
    if ratio is None:
        return None
    return int(Fraction(graded) * ratio)


def parse_ratio(raw: str) -> Fraction | None:
    """ "1/3" → Fraction(1, 3); "0", "", "off", "关闭" → None (no quota)."""
    raw = (raw or "").strip().lower()
    if raw in ("", "0", "off", "关闭", "不限"):
        return None
    value = Fraction(raw)
    if not 0 < value <= 1:
        raise ValueError("ratio out of range")
    return value


def grade_problems(grades: dict[int, str], graded_ids: set[int], ratio: Fraction | None) -> list[str]:
    """Problems with a set of proposed/final grades (member id → grade): every graded member needs a
    grade, non-graded (probationary) members must have none, and 优秀 must stay within the quota.
    Source: domain-rules §1 (民主评议: grades, 优秀 ≤ 1/3, probationary members not graded)."""
    problems = []
    missing = [m for m in graded_ids if not grades.get(m)]
    if missing:
        problems.append(f"还有{len(missing)}名党员未评定等次")
    extra = [m for m, g in grades.items() if g and m not in graded_ids]
    if extra:
        problems.append("预备党员参加评议但不评定等次")
    cap = excellent_cap(len(graded_ids), ratio)
    excellent = sum(1 for m, g in grades.items() if g == "excellent" and m in graded_ids)
    if cap is not None and excellent > cap:
        problems.append(f"评为优秀的{excellent}人超过比例上限（{ratio}，最多{cap}人）")
    return problems


def tally(ballots: list[tuple[int, str]]) -> dict[int, dict[str, int]]:
    """member id → {grade: count} from (target id, grade) ballots (the democratic poll)."""
    result: dict[int, dict[str, int]] = {}
    for target, grade in ballots:
        result.setdefault(target, {}).setdefault(grade, 0)
        result[target][grade] += 1
    return result


# --- 谈心谈话 -----------------------------------------------------------------------------------------


def required_pairs(member_ids: list[int]) -> set[frozenset[int]]:
    """Every pair of members of a branch should talk at least once a year (支委↔支委, 支委↔党员,
    党员↔党员). Source: 条例 第十九条; domain-rules §1."""
    return {frozenset(p) for p in combinations(sorted(set(member_ids)), 2)}


def coverage(member_ids: list[int], talks: list[tuple[int, int]]) -> tuple[int, int]:
    """(pairs that talked, pairs required) for the year."""
    required = required_pairs(member_ids)
    done = {frozenset(t) for t in talks if t[0] != t[1]} & required
    return len(done), len(required)
