"""积分制 rules as pure functions (no ORM). Sources: domain-rules §8 (学习强国: points per action, a daily
cap per action, time-based items, quizzes scored by result; 2023 guidance: no compulsory rankings) and
the local 积分管理办法 each organization adopts; DESIGN.md (periods in Asia/Shanghai, append-only ledger).

Periods are closed date ranges [start, end] of local days; `local_range` turns them into the half-open
UTC-aware datetime range [start 00:00, end+1 00:00) Asia/Shanghai that the database filters on.
"""

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
SRC_LOCAL = "本组织积分管理办法"
SRC_XXQG = "domain-rules §8（学习强国：单项每日上限、按时长计分、按成绩计分）"
SRC_GUIDANCE = "domain-rules §8（2023年不得强制排名、打卡的要求）"

PERIOD_KINDS = {"week": "周", "month": "月", "quarter": "季度", "year": "年", "custom": "自定义"}
CAP_PERIODS = ("day", "week", "month", "year")
CAP_LABELS = {"day": "每日", "week": "每周", "month": "每月", "year": "每年"}
MAX_POINTS = Decimal("1000")
MAX_UNIT_SIZE = Decimal("99999.99")  # the column holds 7 digits, 2 after the point
MAX_CAP = Decimal("999999.99")  # 8 digits, 2 after the point
TWO = Decimal("0.01")


def period_bounds(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The week (Monday–Sunday), month, quarter or year containing `day`, as local dates [start, end].

    Source: DESIGN.md ("periods are computed in local time"); ISO 8601 weeks start on Monday.
    """
    if kind == "day":
        return day, day
    if kind == "week":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if kind == "month":
        start = day.replace(day=1)
    elif kind == "quarter":
        start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    elif kind == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    else:
        raise ValueError(f"unknown period kind {kind!r}")
    months = 3 if kind == "quarter" else 1
    nxt = dt.date(start.year + (start.month + months - 1) // 12, (start.month + months - 1) % 12 + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def period_label(kind: str, start: dt.date, end: dt.date) -> str:
    """A Chinese label: 2026年第3季度, 2026年11月, 2026年, 2026-11-16至2026-11-22."""
    if kind == "year":
        return f"{start.year}年"
    if kind == "quarter":
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    if kind == "month":
        return f"{start.year}年{start.month}月"
    return f"{start.isoformat()}至{end.isoformat()}"


def local_range(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, end+1 00:00) Asia/Shanghai as aware datetimes (DESIGN.md: store UTC, periods local)."""
    if end < start:
        raise ValueError("end before start")
    begin = dt.datetime.combine(start, dt.time.min, tzinfo=TZ)
    stop = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=TZ)
    return begin, stop


def local_day(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai calendar day of an aware datetime (an entry at 23:59 local stays on its day)."""
    return moment.astimezone(TZ).date()


def base_points(points: Decimal, quantity: Decimal, unit_size: Decimal) -> Decimal:
    """Points for a quantity: whole units only (学习强国: 1 point per N minutes; a partial unit scores 0).

    Source: domain-rules §8 ("separate time-based items, e.g. 1 point per 4 minutes of reading").
    """
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    units = (Decimal(quantity) / Decimal(unit_size)).to_integral_value(rounding=ROUND_FLOOR)
    return (Decimal(points) * units).quantize(TWO)


@dataclass(frozen=True)
class Capped:
    points: Decimal
    note: str  # empty when nothing was capped


def apply_caps(base: Decimal, used: dict[str, Decimal], caps: dict[str, Decimal | None]) -> Capped:
    """Cut an entry so no capped period exceeds its cap; an entry past the cap scores 0, with the reason.

    `used` is what the member already has under this rule in each period; caps bound the absolute value,
    so a deduction rule's cap limits the total deducted. The entry that reaches a cap exactly scores in
    full; the one after scores what is left (0 once the cap is reached). Source: domain-rules §8
    (学习强国: a daily cap per action) and the local 积分管理办法 (weekly/monthly/yearly caps).
    """
    sign = 1 if base >= 0 else -1
    wanted = abs(base)
    allowed = wanted
    binding = None
    for period in CAP_PERIODS:
        cap = caps.get(period)
        if cap is None:
            continue
        room = max(Decimal(0), Decimal(cap) - max(Decimal(0), sign * used.get(period, Decimal(0))))
        if room < allowed:
            allowed, binding = room, period
    if binding is None:
        return Capped(base, "")
    label = CAP_LABELS[binding]
    cap = Decimal(caps[binding]).normalize()
    if allowed == 0:
        note = f"已达{label}上限{cap:f}分，本次不计分"
    else:
        note = f"已接近{label}上限{cap:f}分，本次计{allowed.normalize():f}分（应计{wanted.normalize():f}分）"
    return Capped((sign * allowed).quantize(TWO), note)


def rule_problems(
    *,
    points: Decimal,
    unit_size: Decimal,
    caps: dict[str, Decimal | None],
    self_report: bool,
    needs_approval: bool,
    awarder: str,
) -> dict[str, str]:
    """Field → message for a catalogue rule that cannot work (empty when it is sound).

    Source: the local 积分管理办法 (a rule has a non-zero score and positive caps; members' own reports
    are checked by the branch before they count, domain-rules §8 "points explain themselves").
    """
    problems: dict[str, str] = {}
    if not points.is_finite():
        problems["points"] = "分值应为数字"
    elif points == 0:
        problems["points"] = "分值不能为0"
    elif abs(points) > MAX_POINTS:
        problems["points"] = f"分值绝对值不能超过{MAX_POINTS}"
    elif points % TWO:
        problems["points"] = "分值最多保留两位小数"
    if not unit_size.is_finite():
        problems["unit_size"] = "每计分单位数量应为数字"
    elif unit_size <= 0:
        problems["unit_size"] = "每计分单位数量应大于0"
    elif unit_size > MAX_UNIT_SIZE:
        problems["unit_size"] = f"每计分单位数量不能超过{MAX_UNIT_SIZE}"
    elif unit_size % TWO:
        problems["unit_size"] = "每计分单位数量最多保留两位小数"
    for period, cap in caps.items():
        if cap is None:
            continue
        if not cap.is_finite():
            problems[f"cap_{period}"] = "上限应为数字"
        elif cap <= 0:
            problems[f"cap_{period}"] = "上限应大于0；不设上限请留空"
        elif cap > MAX_CAP:
            problems[f"cap_{period}"] = f"上限不能超过{MAX_CAP}"
        elif cap % TWO:
            problems[f"cap_{period}"] = "上限最多保留两位小数"
    ordered = [(p, caps[p]) for p in CAP_PERIODS if caps.get(p) is not None and f"cap_{p}" not in problems]
    for (p1, c1), (p2, c2) in itertools.pairwise(ordered):
        if c1 > c2:
            problems[f"cap_{p1}"] = f"{CAP_LABELS[p1]}上限不能大于{CAP_LABELS[p2]}上限"
    if self_report and not needs_approval:
        problems["needs_approval"] = "党员申报的规则须经支部审核"
    if self_report and points.is_finite() and points < 0:
        problems["self_report"] = "扣分规则不能由党员申报"
    if awarder == "system" and needs_approval:
        problems["needs_approval"] = "仅系统自动记分的规则无需审核"
    return problems


def occurrence_problem(occurred: dt.datetime, now: dt.datetime, window_days: int) -> str:
    """Why a manual award or self-report date is refused ("" when acceptable): not in the future, and not
    older than the reporting window. Source: the local 积分管理办法 (申报时限)."""
    if occurred > now + dt.timedelta(minutes=5):
        return "发生时间不能晚于当前时间"
    if local_day(occurred) < local_day(now) - dt.timedelta(days=window_days):
        return f"只能申报或记录{window_days}天内发生的事项"
    return ""


def may_award_manually(awarder: str, actor_depth: int | None, branch_depth: int) -> bool:
    """Whether an officer whose role sits at `actor_depth` (tree depth of the org; None = no role) may
    award a rule by hand for a member of a branch at `branch_depth`.

    system: never by hand (the source system scores it); branch: officers of the branch or above;
    superior: only officers of an org above the branch. Source: the local 积分管理办法 (记分权限).
    """
    if actor_depth is None or awarder == "system":
        return False
    if awarder == "superior":
        return actor_depth < branch_depth
    return actor_depth <= branch_depth


def competition_ranks(totals: list[Decimal]) -> list[int]:
    """Standard competition ranking (1, 2, 2, 4) of totals sorted descending; ties share a rank.

    Source: common practice for 积分通报 (equal points, equal place); mirrors SQL RANK().
    """
    ranks: list[int] = []
    for i, total in enumerate(totals):
        if i and total == totals[i - 1]:
            ranks.append(ranks[-1])
        else:
            ranks.append(i + 1)
    return ranks
