"""Member-development rules as pure functions (细则 2014, 党章; domain-rules §2 and §4). No ORM here.

CONTRACT (written first so services/pages can be built in parallel): the names and signatures below
are used by development.services/selectors/api.

Dates are `datetime.date`. Month/year arithmetic uses orgs.rules.add_months/add_years (clamped to the
month's last day, so 29 Feb + 1 year = 28 Feb and 31 Jan + 1 month = 28/29 Feb).

Step order (PREREQUISITES below): a step may be recorded once all the steps it depends on are recorded,
and not on a date before any of theirs. Within a stage some steps are independent of each other:
④ (filing), ⑤ (mentors) and ⑥ (training) after ③; ⑧ ⑨ ⑩ ⑪ after ⑦; ⑯ (the superior's talk) after ⑮ and
⑱ (filing) after ⑰; ⑲ ⑳ ㉑ after ⑰. Every other step needs the one before it.
"""

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from zhibu.members.rules import age_on
from zhibu.orgs.rules import add_months, add_years  # re-exported for callers

SRC_RULES = "《中国共产党发展党员工作细则》"
SRC_CHARTER = "《中国共产党章程》第七条"
SRC_VOTES = "《中国共产党章程》；细则 第二十四条；domain-rules §2"

ERROR, WARNING = "error", "warning"
DUE_SOON_DAYS = 14

# Step number → stage (细则 2014: 5 stages, 25 steps; development.seed.STEPS).
STAGE_OF: dict[int, int] = {
    **dict.fromkeys((1, 2), 1),
    **dict.fromkeys(range(3, 7), 2),
    **dict.fromkeys(range(7, 12), 3),
    **dict.fromkeys(range(12, 19), 4),
    **dict.fromkeys(range(19, 26), 5),
}
LAST_STEP = 25

# Which steps must be recorded before a step (see the module docstring).
PREREQUISITES: dict[int, tuple[int, ...]] = {
    1: (),
    2: (1,),
    3: (2,),
    4: (3,),
    5: (3,),
    6: (3,),
    7: (4, 5, 6),
    8: (7,),
    9: (7,),
    10: (7,),
    11: (7,),
    12: (8, 9, 10, 11),
    13: (12,),
    14: (13,),
    15: (14,),
    16: (15,),
    17: (15, 16),  # 细则 第二十七条: the superior talks with the person before approving
    18: (17,),
    19: (17,),
    20: (17,),
    21: (17,),
    22: (18, 19, 20, 21),
    23: (22,),
    24: (23,),
    25: (24,),
}

# Regulation article of each step (as in development.seed.STEPS), for Finding.source.
STEP_SOURCE: dict[int, str] = {
    1: "细则 第五、七条",
    2: "细则 第八条",
    3: "细则 第九、十条",
    4: "细则 第十一条",
    5: "细则 第十二条",
    6: "细则 第十三条",
    7: "细则 第十四条",
    8: "细则 第十五条",
    9: "细则 第十六条",
    10: "细则 第十七条",
    11: "细则 第十八条",
    12: "细则 第十九条",
    13: "细则 第二十条",
    14: "细则 第二十一条",
    15: "细则 第二十二至二十四条",
    16: "细则 第二十七条",
    17: "细则 第二十八、二十九条",
    18: "细则 第三十条",
    19: "细则 第三十一条",
    20: "细则 第三十二条",
    21: "细则 第三十三条",
    22: "细则 第三十四条",
    23: "细则 第三十四条",
    24: "细则 第三十五条",
    25: "细则 第三十七条",
}


def _d(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _as_dates(values) -> frozenset:
    """Dates from dates or "YYYY-MM-DD" strings (config values); malformed entries are skipped."""
    out = set()
    for value in values or ():
        if isinstance(value, dt.date):
            out.add(value)
            continue
        try:
            out.add(dt.date.fromisoformat(str(value).strip()))
        except ValueError:
            continue
    return frozenset(out)


@dataclass(frozen=True)
class Params:
    """Rule numbers of a rule set (RuleSet.params); defaults are 细则 2014 (see development.seed.PARAMS)."""

    min_age: int = 18
    talk_within_months: int = 1
    activist_min_years: int = 1
    assessment_interval_months: int = 6
    training_min_days: float = 3
    training_min_hours: float = 24
    approval_months: int = 3
    approval_max_months: int = 6
    probation_years: int = 1
    extension_min_months: int = 6
    extension_max_months: int = 12
    extension_max_times: int = 1
    conversion_approval_months: int = 3
    sponsors_required: int = 2
    mentors_min: int = 1
    mentors_max: int = 2
    strict_majority: bool = True
    # From core.config (per org), not from the rule set:
    notice_working_days: int = 5
    thought_report_months: int = 3
    holidays: frozenset = frozenset()  # dates not counted as working days
    extra_workdays: frozenset = frozenset()  # weekend dates that are working days (调休)

    @classmethod
    def from_dict(cls, data: dict, **overrides) -> "Params":
        """Build from RuleSet.params (unknown keys ignored) plus per-org overrides.

        `holidays`/`extra_workdays` may be dates or "YYYY-MM-DD" strings (as stored in core.config)."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in {**(data or {}), **overrides}.items() if k in names and v is not None}
        for key in ("holidays", "extra_workdays"):
            if key in values:
                values[key] = _as_dates(values[key])
        return cls(**values)


@dataclass(frozen=True)
class Finding:
    code: str  # stable machine code, e.g. "age_under_min"
    level: str  # "error" blocks recording the step; "warning" is recorded and shown
    message: str  # Chinese, for people
    source: str  # the regulation and article
    field: str = ""  # the input it is about ("done_on", "sponsors", ...), "" for the step as a whole


@dataclass(frozen=True)
class Deadline:
    code: str  # e.g. "talk", "approval", "probation_end", "thought_report", "assessment"
    label: str  # Chinese
    due_on: dt.date
    done_on: dt.date | None
    state: str  # "done" | "done_late" | "open" | "due_soon" (≤ 14 days) | "overdue"
    source: str


@dataclass(frozen=True)
class SponsorFacts:
    name: str
    category: str  # "full" | "probationary"
    status: str  # MemberStatus value, e.g. "normal"
    under_party_probation: bool  # 留党察看


@dataclass(frozen=True)
class CaseFacts:
    """Everything the rules need about one case, as plain values (built by development.facts)."""

    birth_date: dt.date
    applied_on: dt.date
    talked_on: dt.date | None = None
    activist_on: dt.date | None = None
    assessments: tuple[dt.date, ...] = ()  # activist-stage assessments (⑥)
    mentors: int = 0
    candidate_on: dt.date | None = None
    candidate_notice: tuple[dt.date, dt.date] | None = None  # 公示 before becoming candidate (start, end)
    sponsors: tuple[SponsorFacts, ...] = ()
    training_days: float | None = None
    training_hours: float | None = None
    admission_notice: tuple[dt.date, dt.date] | None = None  # 公示 before admission (start, end)
    admitted_on: dt.date | None = None  # the branch meeting vote (⑮)
    approved_on: dt.date | None = None  # superior approval (⑰)
    extension_months: int = 0
    extensions: int = 0  # how many times extended
    probation_assessments: tuple[dt.date, ...] = ()
    conversion_vote_on: dt.date | None = None
    conversion_approved_on: dt.date | None = None
    thought_reports: tuple[dt.date, ...] = ()  # submission dates
    last_step: int = 0
    status: str = "active"  # CaseStatus value
    # Recorded steps: number → done_on. When empty, steps 1..last_step count as recorded (dates unknown).
    steps: dict = field(default_factory=dict)

    def done_steps(self) -> dict:
        if self.steps:
            return dict(self.steps)
        return dict.fromkeys(range(1, self.last_step + 1))


@dataclass(frozen=True)
class VoteResult:
    valid: bool  # quorum: present > half of expected (strict) or ≥ half
    passed: bool  # in favour (+ written opinions of absent members) > half of expected
    errors: list[str] = field(
        default_factory=list
    )  # inconsistent numbers (Chinese); non-empty → reject input
    message: str = (
        ""  # one Chinese sentence, e.g. "应到12人，实到10人，会议有效；赞成9票，超过应到人数半数，通过"
    )


# --- dates -------------------------------------------------------------------------------------------


def is_working_day(day: dt.date, holidays=frozenset(), extra_workdays=frozenset()) -> bool:
    """Monday–Friday except configured holidays, plus configured 调休 working weekend days.

    A date configured as both counts as a holiday. Values may be dates or "YYYY-MM-DD" strings."""
    holidays, extra_workdays = _as_dates(holidays), _as_dates(extra_workdays)
    if day in holidays:
        return False
    return day in extra_workdays or day.weekday() < 5


def notice_end(
    start: dt.date, working_days: int, holidays=frozenset(), extra_workdays=frozenset()
) -> dt.date:
    """Last day of a 公示 that starts on `start` and lasts `working_days` working days (start counts if
    it is one).

    The 公示 period before becoming a candidate and before admission is counted in working days
    (domain-rules §4; default 5, configurable): weekends and configured holidays do not count,
    configured 调休 weekend days do. E.g. 5 working days from a Friday end on the next Thursday."""
    if working_days < 1:
        raise ValueError("公示期至少为1个工作日")
    holidays, extra_workdays = _as_dates(holidays), _as_dates(extra_workdays)
    day, counted = start, 0
    while True:
        if is_working_day(day, holidays, extra_workdays):
            counted += 1
            if counted == working_days:
                return day
        day += dt.timedelta(days=1)


def working_days_between(
    start: dt.date, end: dt.date, holidays=frozenset(), extra_workdays=frozenset()
) -> int:
    """Working days from `start` to `end`, both included (0 if end < start)."""
    holidays, extra_workdays = _as_dates(holidays), _as_dates(extra_workdays)
    count, day = 0, start
    while day <= end:
        count += is_working_day(day, holidays, extra_workdays)
        day += dt.timedelta(days=1)
    return count


def probation_end(admitted_on: dt.date, extension_months: int = 0, probation_years: int = 1) -> dt.date:
    """The day probation ends = the day full membership and party standing (党龄) start: one year from
    the branch meeting's admission vote (not the approval day), plus any extension (党章 第七条;
    细则 第三十二条).

    The extension runs on from the original end: a vote on 29 Feb 2024 ends probation on 28 Feb 2025,
    extended by 6 months on 28 Aug 2025."""
    end = add_years(admitted_on, probation_years)
    return add_months(end, extension_months) if extension_months else end


def notice_window(start: dt.date, params: Params) -> tuple[dt.date, dt.date]:
    """(start, end) of a 公示 starting on `start`, with the org's working-day settings."""
    return start, notice_end(start, params.notice_working_days, params.holidays, params.extra_workdays)


# --- votes and people --------------------------------------------------------------------------------


def vote_result(
    expected: int,
    present: int,
    in_favour: int,
    against: int,
    abstain: int,
    written_in_favour: int = 0,
    strict: bool = True,
) -> VoteResult:
    """Admission/conversion vote at a 支部党员大会 (党章; 细则 第二十四条; domain-rules §2): valid when
    present > half of expected voting full members; passes when in favour (plus written opinions of absent
    full members) > half of expected. `strict=False` is "half or more" for organizations that configure it
    (flagged in the message)."""
    errors = []
    numbers = {
        "应到人数": expected,
        "实到人数": present,
        "赞成票": in_favour,
        "反对票": against,
        "弃权票": abstain,
        "书面赞成": written_in_favour,
    }
    for label, value in numbers.items():
        if value is None or value < 0:
            errors.append(f"{label}不能为负数或空")
    if errors:
        return VoteResult(False, False, errors, "表决数据不完整")
    if expected < 1:
        errors.append("应到会有表决权的正式党员人数必须大于0")
    if present > expected:
        errors.append(f"实到人数（{present}）不能多于应到人数（{expected}）")
    if in_favour + against + abstain > present:
        errors.append(f"赞成、反对、弃权合计（{in_favour + against + abstain}）不能多于实到人数（{present}）")
    if written_in_favour > max(expected - present, 0):
        errors.append(
            f"书面表示赞成的缺席党员（{written_in_favour}）不能多于缺席人数（{max(expected - present, 0)}）"
        )
    if errors:
        return VoteResult(False, False, errors, "表决数据有误，请核对")

    def more_than_half(n: int) -> bool:
        return 2 * n > expected if strict else 2 * n >= expected

    half = "超过应到人数半数" if strict else "达到应到人数半数"
    not_half = "未超过应到人数半数" if strict else "未达到应到人数半数"
    valid = more_than_half(present)
    votes = in_favour + written_in_favour
    passed = valid and more_than_half(votes)
    parts = [f"应到{expected}人，实到{present}人，"]
    if not valid:
        parts.append("实到人数" + not_half + "，会议无效，表决不成立")
    else:
        written = f"（含缺席党员书面赞成{written_in_favour}票）" if written_in_favour else ""
        parts.append(f"会议有效；赞成{votes}票{written}，")
        parts.append(f"{half}，通过" if passed else f"{not_half}，未通过")
    if not strict:
        parts.append("（注意：按本组织配置的“半数以上含半数”计算，未采用“超过半数”的标准）")
    return VoteResult(valid, passed, [], "".join(parts))


# MemberStatus values of members on the roll who can act as sponsors (not 失联/停止党籍/出党/去世/转出).
SPONSOR_STATUSES = ("normal", "mobile")


def sponsor_error(sponsor: SponsorFacts) -> str | None:
    """Why a member cannot be a sponsor (介绍人): a full member on the roll, not under 留党察看
    (细则 第十六条)."""
    if sponsor.category != "full":
        return f"{sponsor.name}是预备党员，入党介绍人应为正式党员"
    if sponsor.under_party_probation:
        return f"{sponsor.name}正在受留党察看处分，不能作为入党介绍人"
    if sponsor.status not in SPONSOR_STATUSES:
        return f"{sponsor.name}的党员状态不正常（不在册或失联），不能作为入党介绍人"
    return None


def extension_error(months: int, previous_extensions: int, params: Params) -> str | None:
    """Probation may be extended once, by 6 to 12 months (党章 第七条)."""
    if previous_extensions >= params.extension_max_times:
        return "预备期只能延长一次" if params.extension_max_times == 1 else "预备期延长次数已达上限"
    if months is None or not params.extension_min_months <= months <= params.extension_max_months:
        return f"延长预备期的时间应为{params.extension_min_months}至{params.extension_max_months}个月"
    return None


# --- steps -------------------------------------------------------------------------------------------


def missing_prerequisites(step: int, done: dict | set) -> list[int]:
    """Steps that must be recorded before `step` and are not (see PREREQUISITES)."""
    return [n for n in PREREQUISITES[step] if n not in done]


def available_steps(done: dict | set) -> list[int]:
    """Steps not yet recorded whose prerequisites are all recorded, in number order."""
    return [n for n in range(1, LAST_STEP + 1) if n not in done and not missing_prerequisites(n, done)]


def progress(done: dict | set) -> tuple[int, int]:
    """(last_step, stage) of a case: last_step = N when steps 1..N are all recorded; stage = the stage of
    the furthest recorded step (1 when none)."""
    last = 0
    while last + 1 in done:
        last += 1
    stage = max((STAGE_OF[n] for n in done if n in STAGE_OF), default=1)
    return last, stage


def _f(code, level, message, step, field_name="done_on") -> Finding:
    return Finding(code, level, message, f"{SRC_RULES}{STEP_SOURCE[step].removeprefix('细则 ')}", field_name)


def _src(article: str) -> str:
    return f"{SRC_RULES}{article}"


def assessment_gaps(
    start: dt.date, assessments: tuple, until: dt.date, interval_months: int
) -> list[dt.date]:
    """Due dates of half-yearly assessments (细则 第十三条) missed between `start` and `until`: each one is
    due `interval_months` after the previous assessment (or `start`)."""
    missed, last = [], start
    for day in sorted(d for d in assessments if start <= d <= until):
        due = add_months(last, interval_months)
        if day > due:
            missed.append(due)
        last = day
    due = add_months(last, interval_months)
    if due < until:
        missed.append(due)
    return missed


def step_findings(
    step: int, done_on: dt.date, facts: CaseFacts, params: Params, today: dt.date
) -> list[Finding]:
    """What recording step number `step` (1–25) on `done_on` would break: errors block, warnings are kept.

    Includes at least: ① age < min_age at application → error; ② talk later than 1 month after ① → warning;
    steps out of order (step N before N-1 of the same stage's prerequisites) → error; ⑦ candidate less than
    1 year after ③ → error, and no candidate notice of N working days → warning; ⑨ fewer than 2 valid sponsors
    → error; ⑪ training < 3 days and < 24 学时 → error; ⑮ admission vote before the 公示 ended → warning;
    ⑰ approval > 3 months after ⑮ → warning, > 6 months → error; ㉓ conversion vote before probation ends →
    error; any date in the future (done_on > today) → error; any date before the previous step → error.

    Facts are those *before* the step is recorded, with the step's own inputs filled in by the caller
    (candidate_notice for ⑦, training for ⑪, admission_notice for ⑮, sponsors for ⑨, mentors for ⑤)."""
    if step not in PREREQUISITES:
        return [Finding("step_unknown", ERROR, f"没有第{step}步", SRC_RULES, "")]
    out: list[Finding] = []
    done = facts.done_steps()
    name = f"第{step}步"
    if step in done:
        out.append(_f("step_done", ERROR, f"{name}已经记录过", step, ""))
    if done_on > today:
        out.append(_f("date_future", ERROR, f"办理日期（{_d(done_on)}）不能晚于今天", step))
    if step != 1 and done_on < facts.applied_on:
        out.append(_f("date_before_application", ERROR, "办理日期不能早于递交入党申请书的日期", step))
    missing = missing_prerequisites(step, done)
    if missing:
        steps = "、".join(f"第{n}步" for n in missing)
        out.append(_f("step_order", ERROR, f"请先完成{steps}，再记录{name}", step, ""))
    later = [  # ① is the application day, checked above
        (n, d)
        for n, d in done.items()
        if n in PREREQUISITES[step] and n != 1 and d is not None and d > done_on
    ]
    for n, d in later:
        out.append(_f("date_before_previous", ERROR, f"办理日期不能早于第{n}步的日期（{_d(d)}）", step))
    out.extend(_STEP_CHECKS.get(step, _no_checks)(done_on, facts, params))
    return out


def _no_checks(done_on, facts, params):
    return []


def _check_application(done_on, facts, params):
    age = age_on(facts.birth_date, done_on)
    if age < params.min_age:
        adult = add_years(facts.birth_date, params.min_age)
        if (facts.birth_date.month, facts.birth_date.day) == (2, 29) and adult.day == 28:
            adult += dt.timedelta(days=1)  # born 29 Feb: of age on 1 March in a common year
        return [
            Finding(
                "age_under_min",
                ERROR,
                f"递交入党申请时应年满{params.min_age}周岁（本人{_d(adult)}年满{params.min_age}周岁）",
                _src("第五条；《中国共产党章程》第一条"),
                "birth_date",
            )
        ]
    return []


def _check_talk(done_on, facts, params):
    due = add_months(facts.applied_on, params.talk_within_months)
    if done_on > due:
        return [
            _f(
                "talk_late",
                WARNING,
                f"应在收到入党申请书后{params.talk_within_months}个月内（{_d(due)}前）派人谈话，"
                f"实际谈话日期为{_d(done_on)}",
                2,
            )
        ]
    return []


def _check_mentors(done_on, facts, params):
    if facts.mentors < params.mentors_min:
        return [_f("mentors_missing", ERROR, "请先指定培养联系人（1至2名正式党员）", 5, "mentors")]
    if facts.mentors > params.mentors_max:
        return [_f("mentors_too_many", ERROR, f"培养联系人最多{params.mentors_max}名", 5, "mentors")]
    return []


def _check_candidate(done_on, facts, params):
    out = []
    if facts.activist_on is not None:
        earliest = add_years(facts.activist_on, params.activist_min_years)
        if done_on < earliest:
            out.append(
                _f(
                    "activist_under_year",
                    ERROR,
                    f"确定为入党积极分子满{params.activist_min_years}年后才能确定为发展对象"
                    f"（{_d(facts.activist_on)}确定为积极分子，最早{_d(earliest)}）",
                    7,
                )
            )
        interval = params.assessment_interval_months
        gaps = assessment_gaps(facts.activist_on, facts.assessments, done_on, interval)
        if gaps:
            out.append(
                _f(
                    "assessment_missed",
                    WARNING,
                    f"培养期间应每{params.assessment_interval_months}个月考察一次，"
                    f"{_d(gaps[0])}前后缺少考察记录",
                    6,
                    "",
                )
            )
    out.extend(_check_notice(facts.candidate_notice, done_on, params, "candidate", "确定发展对象", 7))
    return out


def _check_notice(notice, done_on, params, code, before, step):
    if notice is None:
        return [
            _f(
                f"{code}_notice_missing",
                WARNING,
                f"未记录{before}前的公示（{params.notice_working_days}个工作日）",
                step,
                "notice_start",
            )
        ]
    start, end = notice
    if end >= done_on:
        return [
            _f(
                f"{code}_notice_unfinished",
                WARNING,
                f"公示期（{_d(start)}至{_d(end)}，{params.notice_working_days}个工作日）应在{before}前结束",
                step,
                "notice_start",
            )
        ]
    return []


def _check_sponsors(done_on, facts, params):
    out = []
    for sponsor in facts.sponsors:
        error = sponsor_error(sponsor)
        if error:
            out.append(_f("sponsor_invalid", ERROR, error, 9, "sponsors"))
    if len(facts.sponsors) != params.sponsors_required:
        out.append(
            _f(
                "sponsors_count",
                ERROR,
                f"应有{params.sponsors_required}名入党介绍人，目前为{len(facts.sponsors)}名",
                9,
                "sponsors",
            )
        )
    return out


def training_error(days, hours, params: Params) -> str | None:
    """Concentrated training of at least 3 days or at least 24 学时 (细则 第十八条)."""
    if days is None and hours is None:
        return "请填写集中培训天数或学时"
    if (days or 0) < params.training_min_days and (hours or 0) < params.training_min_hours:
        return (
            f"集中培训时间一般不少于{params.training_min_days:g}天"
            f"（或不少于{params.training_min_hours:g}个学时）"
        )
    return None


def _check_training(done_on, facts, params):
    error = training_error(facts.training_days, facts.training_hours, params)
    return [_f("training_short", ERROR, error, 11, "training")] if error else []


def _check_admission_vote(done_on, facts, params):
    return _check_notice(facts.admission_notice, done_on, params, "admission", "支部党员大会讨论接收", 15)


def _check_approval(done_on, facts, params):
    if facts.admitted_on is None:
        return []
    due = add_months(facts.admitted_on, params.approval_months)
    limit = add_months(facts.admitted_on, params.approval_max_months)
    if done_on > limit:
        return [
            _f(
                "approval_too_late",
                ERROR,
                f"上级党委审批最长不超过支部大会通过后{params.approval_max_months}个月（{_d(limit)}前），"
                "已超过期限，应重新履行手续",
                17,
            )
        ]
    if done_on > due:
        return [
            _f(
                "approval_late",
                WARNING,
                f"上级党委应在支部大会通过后{params.approval_months}个月内（{_d(due)}前）审批，"
                "超过期限须有特殊情况说明",
                17,
            )
        ]
    return []


def _check_conversion_vote(done_on, facts, params):
    if facts.admitted_on is None:
        return []
    end = probation_end(facts.admitted_on, facts.extension_months, params.probation_years)
    if done_on < end:
        return [
            Finding(
                "probation_not_over",
                ERROR,
                f"预备期{_d(end)}期满，期满后才能讨论转正",
                f"{SRC_CHARTER}；{_src('第三十四条')}",
                "done_on",
            )
        ]
    return []


def _check_conversion_approval(done_on, facts, params):
    if facts.conversion_vote_on is None:
        return []
    due = add_months(facts.conversion_vote_on, params.conversion_approval_months)
    if done_on > due:
        return [
            _f(
                "conversion_approval_late",
                WARNING,
                f"上级党委应在支部大会讨论转正后{params.conversion_approval_months}个月内（{_d(due)}前）审批",
                24,
            )
        ]
    return []


_STEP_CHECKS = {
    1: _check_application,
    2: _check_talk,
    5: _check_mentors,
    7: _check_candidate,
    9: _check_sponsors,
    11: _check_training,
    15: _check_admission_vote,
    17: _check_approval,
    23: _check_conversion_vote,
    24: _check_conversion_approval,
}


# --- deadlines and the whole-case check --------------------------------------------------------------


def deadline_state(due_on: dt.date, done_on: dt.date | None, today: dt.date) -> str:
    """done / done_late (done after the due day) / overdue / due_soon (≤ 14 days left) / open."""
    if done_on is not None:
        return "done" if done_on <= due_on else "done_late"
    if today > due_on:
        return "overdue"
    if (due_on - today).days <= DUE_SOON_DAYS:
        return "due_soon"
    return "open"


def _finished(facts: CaseFacts) -> bool:
    return facts.status != "active"


def deadlines(facts: CaseFacts, params: Params, today: dt.date) -> list[Deadline]:
    """The computed deadlines of a case: talk (①+1 month), earliest candidate date (③+1 year), next activist
    assessment (every 6 months), approval (⑮+3 months, hard limit 6), probation end (⑮+1 year+extension),
    conversion approval (㉓+3 months), next thought report (cadence from config).

    Deadlines of a stopped/cancelled case are not shown unless already done. "candidate" is the earliest
    day, never overdue; "probation_end" is done when the conversion vote is held (it cannot be earlier) and
    overdue while no conversion vote follows the end of probation (细则 第三十四条: 及时讨论)."""
    out: list[Deadline] = []
    stopped = facts.status in ("stopped", "cancelled")

    def add(code, label, due, done, source, state=None):
        if stopped and done is None:
            return
        out.append(Deadline(code, label, due, done, state or deadline_state(due, done, today), source))

    add(
        "talk",
        "派人谈话",
        add_months(facts.applied_on, params.talk_within_months),
        facts.talked_on,
        _src("第八条"),
    )
    if facts.activist_on is not None:
        earliest = add_years(facts.activist_on, params.activist_min_years)
        add(
            "candidate",
            "最早可确定为发展对象",
            earliest,
            facts.candidate_on,
            _src("第十四条"),
            state=("done" if facts.candidate_on else "open"),
        )
        if facts.candidate_on is None:
            last = max([facts.activist_on, *[d for d in facts.assessments if d >= facts.activist_on]])
            add(
                "assessment",
                "积极分子考察（每半年一次）",
                add_months(last, params.assessment_interval_months),
                None,
                _src("第十三条"),
            )
    if facts.admitted_on is not None:
        due = add_months(facts.admitted_on, params.approval_months)
        add("approval", "上级党委审批", due, facts.approved_on, _src("第二十九条"))
        end = probation_end(facts.admitted_on, facts.extension_months, params.probation_years)
        add(
            "probation_end",
            "预备期满、讨论转正",
            end,
            facts.conversion_vote_on,
            f"{SRC_CHARTER}；{_src('第三十四条')}",
            state=("done" if facts.conversion_vote_on else None),
        )
    if facts.conversion_vote_on is not None:
        add(
            "conversion_approval",
            "上级党委审批转正",
            add_months(facts.conversion_vote_on, params.conversion_approval_months),
            facts.conversion_approved_on,
            _src("第三十五条"),
        )
    if not _finished(facts) and facts.conversion_approved_on is None:
        last = max([facts.applied_on, *facts.thought_reports])
        add(
            "thought_report",
            f"思想汇报（每{params.thought_report_months}个月）",
            add_months(last, params.thought_report_months),
            None,
            "本单位规定（规则配置：思想汇报间隔），常见为每季度一次",
        )
    return out


def check(facts: CaseFacts, params: Params, today: dt.date) -> list[Finding]:
    """All current problems of a case (overdue deadlines, missing sponsors, age…), for the rule-check
    endpoint.

    Rules broken by what was recorded (age, activist year, training, approval beyond 6 months, conversion
    vote before probation end) are errors; late or overdue steps are warnings, except approval overdue beyond
    its hard limit (error)."""
    out: list[Finding] = []
    done = facts.done_steps()
    out.extend(_check_application(facts.applied_on, facts, params))
    if facts.candidate_on and facts.activist_on:
        out.extend(f for f in _check_candidate(facts.candidate_on, facts, params) if f.level == ERROR)
    if 9 in done and facts.status == "active" and len(facts.sponsors) < params.sponsors_required:
        out.append(
            _f(
                "sponsors_count",
                WARNING,
                f"应有{params.sponsors_required}名入党介绍人，目前在任{len(facts.sponsors)}名",
                9,
                "sponsors",
            )
        )
    if 5 in done and facts.status == "active" and facts.candidate_on is None and facts.mentors < 1:
        out.append(_f("mentors_missing", WARNING, "目前没有在任的培养联系人", 5, "mentors"))
    if 11 in done:
        out.extend(_check_training(None, facts, params))
    if facts.extensions and facts.extension_months:
        error = extension_error(facts.extension_months, 0, params)
        if error:
            out.append(Finding("extension_invalid", ERROR, error, SRC_CHARTER, ""))
    if facts.conversion_vote_on:
        out.extend(_check_conversion_vote(facts.conversion_vote_on, facts, params))
    if facts.approved_on:
        out.extend(_check_approval(facts.approved_on, facts, params))
    if facts.conversion_approved_on:
        out.extend(_check_conversion_approval(facts.conversion_approved_on, facts, params))
    if facts.talked_on:
        out.extend(_check_talk(facts.talked_on, facts, params))
    for d in deadlines(facts, params, today):
        if d.state != "overdue":
            continue
        if d.code == "approval" and facts.admitted_on:
            limit = add_months(facts.admitted_on, params.approval_max_months)
            if today > limit:
                out.append(
                    Finding(
                        "approval_overdue",
                        ERROR,
                        f"支部大会通过已超过{params.approval_max_months}个月（{_d(limit)}）仍未审批，"
                        "应重新履行手续",
                        d.source,
                    )
                )
                continue
        out.append(
            Finding(f"{d.code}_overdue", WARNING, f"{d.label}已逾期（应于{_d(d.due_on)}前完成）", d.source)
        )
    return out
