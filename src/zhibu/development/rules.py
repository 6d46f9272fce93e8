"""Member-development rules as pure functions (细则 2014, 党章; domain-rules §2 and §4). No ORM here.

CONTRACT (written first so services/pages can be built in parallel): the names and signatures below
are used by development.services/selectors/api. Bodies marked TODO are filled in with tests.

Dates are `datetime.date`. Month/year arithmetic uses orgs.rules.add_months/add_years (clamped to the
month's last day, so 29 Feb + 1 year = 28 Feb and 31 Jan + 1 month = 28/29 Feb).
"""

import datetime as dt
from dataclasses import dataclass, field

from zhibu.orgs.rules import add_months, add_years  # noqa: F401 (re-exported for callers)

SRC_RULES = "《中国共产党发展党员工作细则》"
SRC_CHARTER = "《中国共产党章程》第七条"


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
        """Build from RuleSet.params (unknown keys ignored) plus per-org overrides."""
        raise NotImplementedError  # TODO


@dataclass(frozen=True)
class Finding:
    code: str  # stable machine code, e.g. "age_under_min"
    level: str  # "error" blocks recording the step; "warning" is recorded and shown
    message: str  # Chinese, for people
    source: str  # the regulation and article


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
    """Everything the rules need about one case, as plain values (built by development.selectors)."""

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


def age_on(birth: dt.date, day: dt.date) -> int:
    """Full years of age on `day` (a person born 29 Feb turns a year older on 1 Mar in common years)."""
    raise NotImplementedError  # TODO


def is_working_day(day: dt.date, holidays=frozenset(), extra_workdays=frozenset()) -> bool:
    """Monday–Friday except configured holidays, plus configured 调休 working weekend days."""
    raise NotImplementedError  # TODO


def notice_end(
    start: dt.date, working_days: int, holidays=frozenset(), extra_workdays=frozenset()
) -> dt.date:
    """Last day of a 公示 that starts on `start` and lasts `working_days` working days (start counts if it is one)."""
    raise NotImplementedError  # TODO


def working_days_between(
    start: dt.date, end: dt.date, holidays=frozenset(), extra_workdays=frozenset()
) -> int:
    """Working days from `start` to `end`, both included (0 if end < start)."""
    raise NotImplementedError  # TODO


def probation_end(admitted_on: dt.date, extension_months: int = 0, probation_years: int = 1) -> dt.date:
    """The day probation ends = the day full membership and party standing (党龄) start: one year from
    the branch meeting's admission vote (not the approval day), plus any extension (党章 第七条; 细则 第三十二条)."""
    raise NotImplementedError  # TODO


def vote_result(
    expected: int,
    present: int,
    in_favour: int,
    against: int,
    abstain: int,
    written_in_favour: int = 0,
    strict: bool = True,
) -> VoteResult:
    """Admission/conversion vote at a 支部党员大会 (党章; 细则 第二十四条; domain-rules §2): valid when present >
    half of expected voting full members; passes when in favour (plus written opinions of absent full members)
    > half of expected. `strict=False` is "half or more" for organizations that configure it (flagged)."""
    raise NotImplementedError  # TODO


def sponsor_error(sponsor: SponsorFacts) -> str | None:
    """Why a member cannot be a sponsor (介绍人): a full member on the roll, not under 留党察看 (细则 第十六条)."""
    raise NotImplementedError  # TODO


def extension_error(months: int, previous_extensions: int, params: Params) -> str | None:
    """Probation may be extended once, by 6 to 12 months (党章 第七条)."""
    raise NotImplementedError  # TODO


def step_findings(
    step: int, done_on: dt.date, facts: CaseFacts, params: Params, today: dt.date
) -> list[Finding]:
    """What recording step number `step` (1–25) on `done_on` would break: errors block, warnings are kept.

    Includes at least: ① age < min_age at application → error; ② talk later than 1 month after ① → warning;
    steps out of order (step N before N-1 of the same stage's prerequisites) → error; ⑦ candidate less than
    1 year after ③ → error, and no candidate notice of N working days → warning; ⑨ fewer than 2 valid sponsors
    → error; ⑪ training < 3 days and < 24 学时 → error; ⑮ admission vote before the 公示 ended → warning;
    ⑰ approval > 3 months after ⑮ → warning, > 6 months → error; ㉓ conversion vote before probation ends →
    error; any date in the future (done_on > today) → error; any date before the previous step → error."""
    raise NotImplementedError  # TODO


def deadlines(facts: CaseFacts, params: Params, today: dt.date) -> list[Deadline]:
    """The computed deadlines of a case: talk (①+1 month), earliest candidate date (③+1 year), next activist
    assessment (every 6 months), approval (⑮+3 months, hard limit 6), probation end (⑮+1 year+extension),
    conversion approval (㉓+3 months), next thought report (cadence from config)."""
    raise NotImplementedError  # TODO


def check(facts: CaseFacts, params: Params, today: dt.date) -> list[Finding]:
    """All current problems of a case (overdue deadlines, missing sponsors, age…), for the rule-check endpoint."""
    raise NotImplementedError  # TODO
