"""组织生活合规 (compliance engine): which meeting requirements apply to which org, and for each period
whether they were met, are still due (with the days left) or were missed; a committee's matrix of all
its branches; the 工作台 lines; and the requirement editor's reads and services.

- Requirements (orglife.Requirement) resolve per org like the points catalogue: among the versions set on
  the org's path (or the system default), the deepest org wins, then the latest valid_from ≤ the day;
  `active=False` switches the requirement off there and below. The version in force on a period's last
  day governs a closed or future period; for the open period it is the version in force today.
- `applies_to`: branch → every active 党支部; branch_committee → a branch whose current CommitteeTerm is a
  committee (委员会); group → every active 党小组. A period counts from the org's founded_on, or from the
  day its records in Zhibu begin (config "orglife.records_from", inherited down the tree; the period
  containing it is the first), and from the requirement's valid_from (by the resolution above).
- Counting: held meetings (status in HELD_STATUSES) of the org itself, by the type's code, in local
  (Asia/Shanghai) months — one GROUP BY org, type, month query for a whole subtree, however many orgs;
  the state of each period comes from rules.period_state.

Reads are scoped: out of the user's scope → 404, in scope without orglife.view → 403.
"""

import datetime as dt
from array import array
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import IntegrityError, connections, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from zhibu.core import access, audit, config
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError, fail
from zhibu.core.models import AuditAction
from zhibu.orglife import rules, seed, selectors
from zhibu.orglife.models import (
    HELD_STATUSES,
    AppliesTo,
    Attendees,
    Frequency,
    Meeting,
    MeetingType,
    Requirement,
)
from zhibu.orgs.models import CommitteeTerm, Organization, OrgStatus, OrgType
from zhibu.points.rules import TZ, local_range, period_bounds

STEP = Organization.steplen
FREQUENCIES = ("month", "quarter", "year")
UNIT = {"month": "月", "quarter": "季度", "year": "年"}
QUARTER_NAMES = ("第一季度", "第二季度", "第三季度", "第四季度")
PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}
OVERSIGHT_TYPES = (OrgType.COMMITTEE, OrgType.GENERAL_BRANCH)
UNIT_NAMES = {OrgType.BRANCH: "支部", OrgType.GROUP: "党小组"}
REQUIREMENT_FIELDS = ["type_code", "frequency", "min_count", "applies_to", "source", "active"]
MAX_MIN_COUNT = 31
CODE_ORDER = {code: n for n, (code, *_) in enumerate(seed.REQUIREMENTS)}


# --- Small pure helpers -------------------------------------------------------------------------------


def period_label(frequency: str, start: dt.date) -> str:
    """1月 / 第二季度 / 2026年."""
    if frequency == "month":
        return f"{start.month}月"
    if frequency == "quarter":
        return QUARTER_NAMES[(start.month - 1) // 3]
    return f"{start.year}年"


def applies(applies_to: str, org_type: str, has_committee: bool) -> bool:
    """Whether a requirement's `applies_to` covers an org (domain-rules §1: 支部党员大会 and 党课 for every
    branch, 支委会 where a committee is set up (≥ 7 full members, 条例 art. 12), 党小组会 per group)."""
    if applies_to == AppliesTo.GROUP:
        return org_type == OrgType.GROUP
    if org_type != OrgType.BRANCH:
        return False
    return applies_to == AppliesTo.BRANCH or has_committee


def count_message(units: int, unit_name: str, type_name: str, frequency: str, state: str) -> str:
    """The committee's 工作台 line: 3个支部本季度尚未召开支部党员大会 / 2个党小组上月未召开党小组会."""
    unit = UNIT[frequency]
    if state == rules.DUE:
        return f"{units}个{unit_name}本{unit}尚未召开{type_name}"
    last = "上年度" if frequency == "year" else f"上{unit}"
    return f"{units}个{unit_name}{last}未召开{type_name}"


def yearly_rate(frequency: str, min_count: int) -> int:
    """How many meetings a version asks for in a year (to compare a branch's version with its superior's)."""
    return PERIODS_PER_YEAR[frequency] * min_count


def _paths(path: str) -> list[str]:
    return [path[:i] for i in range(STEP, len(path) + 1, STEP)]


def _url(name: str, *args, query: str = "") -> str:
    try:
        url = reverse(f"orglife:{name}", args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{query}" if query else url


# --- Org rows and requirement resolution --------------------------------------------------------------


class OrgRow(NamedTuple):
    """A branch or 党小组 as the engine reads it (a tuple of plain values: thousands of them cost the
    garbage collector nothing)."""

    id: int
    path: str
    name: str
    org_type: str
    founded_on: dt.date | None
    has_committee: bool

    @property
    def parent_path(self) -> str:
        return self.path[:-STEP]


def _org_rows(root: Organization) -> tuple[list[OrgRow], dict[str, str]]:
    """Active branches and 党小组 at or under `root` (and `root` itself whatever its status), with whether
    each branch's current term is a committee; and path → name of the 党委/党总支 among them. Two
    queries (a correlated EXISTS per org cost more than the second one)."""
    committees = set(
        CommitteeTerm.objects.filter(
            org__path__startswith=root.path, ended_on__isnull=True, kind=CommitteeTerm.Kind.COMMITTEE
        ).values_list("org_id", flat=True)
    )
    rows = (
        Organization.objects.filter(path__startswith=root.path)
        .filter(Q(status=OrgStatus.ACTIVE) | Q(pk=root.pk))
        .order_by("path")
        .values_list("id", "path", "name", "org_type", "founded_on")
    )
    orgs, names = [], {}
    for pk, path, name, org_type, founded_on in rows:
        if org_type in (OrgType.BRANCH, OrgType.GROUP):
            orgs.append(OrgRow(pk, path, name, org_type, founded_on, pk in committees))
        else:
            names[path] = name
    return orgs, names


@dataclass(frozen=True, slots=True)
class Version:
    """A requirement row as the engine reads it (path "" for the system default)."""

    id: int
    code: str
    type_code: str
    frequency: str
    min_count: int
    applies_to: str
    source: str
    valid_from: dt.date
    active: bool
    path: str
    org_name: str

    @property
    def origin(self) -> str:
        return self.org_name or "系统默认"


class Resolver:
    """Resolves requirement versions for many orgs from one query's rows (no query per org).

    Orgs whose path crosses the same set of orgs that set versions share one cached answer per day."""

    def __init__(self, versions: list[Version]):
        self.by_path: dict[str, list[Version]] = {}
        for v in versions:
            self.by_path.setdefault(v.path, []).append(v)
        self._cache: dict[tuple, dict[str, Version]] = {}
        self._keys: dict[str, tuple[str, ...]] = {}

    def key(self, path: str) -> tuple[str, ...]:
        """The orgs on `path` that set versions ("" the default first), cached by path."""
        key = self._keys.get(path)
        if key is None:
            parent = path[:-STEP]
            above = self._keys.get(parent) if parent else ("",)
            if above is None:
                above = ("", *(p for p in _paths(parent) if p in self.by_path))
            key = self._keys[path] = (*above, path) if path in self.by_path else above
        return key

    def resolve(self, key: tuple[str, ...], on: dt.date) -> dict[str, Version]:
        """code → the version in force on `on` (inactive ones included: they switch the code off)."""
        cached = self._cache.get((key, on))
        if cached is not None:
            return cached
        best: dict[str, tuple] = {}
        for path in key:
            for v in self.by_path.get(path, ()):
                if v.valid_from > on:
                    continue
                rank = (len(path), v.valid_from)
                if v.code not in best or rank > best[v.code][0]:
                    best[v.code] = (rank, v)
        result = {code: v for code, (_, v) in best.items()}
        self._cache[(key, on)] = result
        return result


def _versions(root: Organization, codes: list[str] | None = None) -> list[Version]:
    """Every requirement version that can apply at or under `root`: the defaults, those set on its path
    and those set below it. One query."""
    q = Q(org__isnull=True) | Q(org__path__in=_paths(root.path)) | Q(org__path__startswith=root.path)
    rows = Requirement.objects.filter(q)
    if codes is not None:
        rows = rows.filter(code__in=codes)
    fields = ("id", "code", "type_code", "frequency", "min_count", "applies_to", "source", "valid_from")
    return [
        Version(*row[:9], row[9] or "", row[10] or "")
        for row in rows.values_list(*fields, "active", "org__path", "org__name")
    ]


def _type_names(*, _again: bool = False) -> tuple[dict[int, str], dict[str, str]]:
    """(type id → code, code → name); the system type's name wins over an org's type of the same code.
    The system types and requirements come back (seeded) after a test-database flush."""
    id_code: dict[int, str] = {}
    names: dict[str, str] = {}
    system = False
    for pk, code, name, org_id in MeetingType.objects.values_list("id", "code", "name", "org_id"):
        id_code[pk] = code
        system |= org_id is None
        if org_id is None or code not in names:
            names[code] = name
    if not system and not _again:
        selectors.ensure_seeded()
        return _type_names(_again=True)
    return id_code, names


# --- Counting -----------------------------------------------------------------------------------------


def _month_index(first: dt.date, day: dt.date) -> int:
    return (day.year - first.year) * 12 + day.month - first.month


def _counts(root: Organization, first: dt.date, last: dt.date, id_code: dict[int, str]):
    """(org id, type code) → held meetings per local month from `first`'s month to `last`'s. One query:
    GROUP BY org, type, local (Asia/Shanghai) month.

    The ORM builds the statement; its rows are read straight from the cursor: Django's per-row value
    converters cost more than the whole aggregate once a committee has tens of thousands of groups
    (bench/orglife.py). PostgreSQL returns the month as a naive local datetime, SQLite as text."""
    begin, stop = local_range(first, last)
    size = _month_index(first, last) + 1
    base = first.year * 12 + first.month
    qs = (
        Meeting.objects.filter(
            org__path__startswith=root.path,
            status__in=HELD_STATUSES,
            starts_at__gte=begin,
            starts_at__lt=stop,
        )
        .annotate(month=TruncMonth("starts_at", tzinfo=TZ))
        .order_by()
        .values_list("org_id", "type_id", "month")
        .annotate(n=Count("id"))
    )
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if rows and isinstance(rows[0][2], str):
        rows = [(o, t, dt.date(int(m[:4]), int(m[5:7]), 1), n) for o, t, m, n in rows]
    counts = Counts(size, id_code)
    offsets, flat, get, zeros = counts.offsets, counts.flat, counts.offsets.get, [0] * size
    stride, index = counts.stride, counts.type_index
    for org_id, type_id, month, n in rows:
        key = org_id * stride + index[type_id]
        at = get(key)
        if at is None:
            at = offsets[key] = len(flat)
            flat.extend(zeros)
        flat[at + month.year * 12 + month.month - base] += n
    return counts


class Counts:
    """Held meetings per (org, type code) and month of the window, in one flat int array with an offset
    per (org, code) key, the key a plain int (org id × stride + the code's index): a committee has tens of
    thousands of (org, type) pairs, and one array and one dict of ints give Python's cycle collector
    nothing to scan (a list per pair made it run full collections that cost more than the query, and
    tuple keys a third of the loop; bench/orglife.py)."""

    def __init__(self, size: int, id_code: dict[int, str]):
        self.size = size
        self.codes = list(dict.fromkeys(id_code.values()))
        self.code_index = {code: i for i, code in enumerate(self.codes)}
        self.type_index = {pk: self.code_index[code] for pk, code in id_code.items()}
        self.stride = max(len(self.codes), 1)
        self.offsets: dict[int, int] = {}
        self.flat = array("l")

    def key(self, org_id: int, type_code: str) -> int | None:
        index = self.code_index.get(type_code)
        return None if index is None else org_id * self.stride + index

    def offset(self, org_id: int, type_code: str) -> int | None:
        key = self.key(org_id, type_code)
        return None if key is None else self.offsets.get(key)

    def months(self, org_id: int, type_code: str) -> list[int] | None:
        at = self.offset(org_id, type_code)
        return None if at is None else list(self.flat[at : at + self.size])

    def sum(self, org_id: int, type_code: str, i0: int, i1: int) -> int:
        at = self.offset(org_id, type_code)
        return 0 if at is None else sum(self.flat[at + i0 : at + i1])

    def items(self):
        """((org id, type code), monthly counts) for every pair with a held meeting."""
        for key in self.offsets:
            org_id, index = divmod(key, self.stride)
            code = self.codes[index]
            yield (org_id, code), self.months(org_id, code)


# --- The engine ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    frequency: str
    start: dt.date
    end: dt.date
    label: str
    i0: int  # month indexes [i0, i1) in the count arrays
    i1: int

    def on(self, today: dt.date) -> dt.date:
        """The day whose requirement versions govern this period."""
        return today if self.start <= today <= self.end else self.end


@dataclass(frozen=True, slots=True)
class PlanCell:
    period_index: int
    version: Version
    unmet: rules.PeriodState  # the state if fewer than required were held (rules.period_state)


@dataclass(frozen=True, slots=True)
class PlanLine:
    code: str
    frequency: str
    type_code: str
    cells: tuple[PlanCell, ...]
    # For the matrix's tight loop: (i0, i1, required, unmet state, days left, type code, period index).
    spec: tuple[tuple, ...] = ()
    single_type: bool = True  # every version of the line counts the same meeting type
    # (first, closed_end, current, end) month indexes when the line is one meeting a month over
    # contiguous months (most lines): met/missed come from list.count on slices.
    monthly: tuple | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.code, self.frequency)


@dataclass
class Cell:
    period: Period
    state: rules.PeriodState | None  # None: the requirement does not apply to this period
    version: Version | None

    @property
    def css(self) -> str:
        return "na" if self.state is None else self.state.state.replace("/", "")


@dataclass
class Line:
    """One requirement of one org over a window: a cell per period."""

    org: OrgRow
    code: str
    frequency: str
    type_code: str
    type_name: str
    cells: list[Cell]
    version: Version  # the latest version that applies in the window (min count, source)

    @property
    def met(self) -> int:
        return sum(1 for c in self.cells if c.state and c.state.state == rules.MET)

    @property
    def due(self) -> int:
        return sum(1 for c in self.cells if c.state and c.state.state == rules.DUE)

    @property
    def missed(self) -> int:
        return sum(1 for c in self.cells if c.state and c.state.state == rules.MISSED)

    @property
    def applicable(self) -> int:
        return sum(1 for c in self.cells if c.state and c.state.state != rules.NOT_APPLICABLE)

    @property
    def held(self) -> int:
        return sum(c.state.count for c in self.cells if c.state)

    @property
    def frequency_label(self) -> str:
        return dict(Frequency.choices)[self.frequency]

    @property
    def current(self) -> Cell | None:
        return next((c for c in self.cells if c.state and c.state.state == rules.DUE), None)


class Engine:
    """Requirements × periods for every branch and 党小组 at or under `root`, from five queries (meeting
    types, committees, orgs, requirement versions, the GROUP BY of held meetings), whatever the number
    of orgs."""

    def __init__(self, root: Organization, windows: dict[str, list[tuple[dt.date, dt.date]]], today):
        id_code, self.type_names = _type_names()  # first: seeds the defaults after a test flush
        self.root, self.today = root, today
        first = min(s for periods in windows.values() for s, _ in periods)
        last = max(e for periods in windows.values() for _, e in periods)
        self.first, self.last = first, last
        self.periods: dict[str, list[Period]] = {
            f: [
                Period(f, s, e, period_label(f, s), _month_index(first, s), _month_index(first, e) + 1)
                for s, e in windows.get(f, [])
            ]
            for f in FREQUENCIES
        }
        self.orgs, self.names = _org_rows(root)
        self.resolver = Resolver(_versions(root))
        self.counts = _counts(root, first, last, id_code)
        self.records_from = config.resolver(root, "orglife.records_from", today)
        self._plans: dict[tuple, list[PlanLine]] = {}

    # A plan depends only on which versions reach the org, its kind, its committee and its founding day
    # inside the window; most orgs share one.
    def plan(self, org: OrgRow) -> list[PlanLine]:
        start = org.founded_on
        recorded = self.records_from(org.path)
        if recorded:  # the org's records in Zhibu begin here (orglife.records_from): no misses before
            recorded = dt.date.fromisoformat(recorded)
            start = max(start, recorded) if start else recorded
        founded = start if start and start > self.first else None
        key = (self.resolver.key(org.path), org.org_type, org.has_committee, founded)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._make_plan(key[0], org, founded)
        return plan

    def _make_plan(self, key, org: OrgRow, founded: dt.date | None) -> list[PlanLine]:
        lines: dict[tuple[str, str], list[PlanCell]] = {}
        for f in FREQUENCIES:
            for i, period in enumerate(self.periods[f]):
                if founded is not None and founded > period.end:
                    continue
                for code, v in self.resolver.resolve(key, period.on(self.today)).items():
                    if (
                        not v.active
                        or v.frequency != f
                        or not applies(v.applies_to, org.org_type, org.has_committee)
                    ):
                        continue
                    unmet = rules.period_state(0, v.min_count, period.start, period.end, self.today)
                    lines.setdefault((code, f), []).append(PlanCell(i, v, unmet))
        return [
            PlanLine(
                code,
                f,
                cells[-1].version.type_code,
                tuple(cells),
                tuple(
                    (
                        self.periods[f][c.period_index].i0,
                        self.periods[f][c.period_index].i1,
                        c.version.min_count,
                        c.unmet.state,
                        c.unmet.days_left,
                        c.version.type_code,
                        c.period_index,
                    )
                    for c in cells
                ),
                len({c.version.type_code for c in cells}) == 1,
                self._monthly(f, cells),
            )
            for (code, f), cells in sorted(
                lines.items(),
                key=lambda kv: (CODE_ORDER.get(kv[0][0], 999), kv[0][0], FREQUENCIES.index(kv[0][1])),
            )
        ]

    def _monthly(self, frequency: str, cells: list[PlanCell]) -> tuple | None:
        """For a line of consecutive months, one type, one meeting each — the closed months first, then
        at most one open month, then months not begun (their states from rules.period_state, stored in
        the cells) — the month indexes (first, closed end, end, open month or None, last closed month or
        None, days left) that let the matrix count it with list.count on slices; else None."""
        if frequency != "month" or any(c.version.min_count != 1 for c in cells):
            return None
        if len({c.version.type_code for c in cells}) != 1:
            return None
        periods = self.periods["month"]
        index = [c.period_index for c in cells]
        if index != list(range(index[0], index[0] + len(index))):
            return None
        order = {rules.MISSED: 0, rules.DUE: 1, rules.NOT_APPLICABLE: 2}
        states = [order[c.unmet.state] for c in cells]
        if states != sorted(states) or states.count(1) > 1:
            return None
        first = periods[index[0]].i0
        closed = first + states.count(0)
        due = next((c for c in cells if c.unmet.state == rules.DUE), None)
        return (
            first,
            closed,
            first + len(cells),
            periods[due.period_index].i0 if due else None,
            closed - 1 if closed > first else None,
            due.unmet.days_left if due else None,
        )

    def count(self, org_id: int, type_code: str, period: Period) -> int:
        return self.counts.sum(org_id, type_code, period.i0, period.i1)

    def lines(self, org: OrgRow) -> list[Line]:
        """The detailed lines of one org: every period of the window, a PeriodState where it applies."""
        result = []
        for plan in self.plan(org):
            periods = self.periods[plan.frequency]
            by_index = {c.period_index: c for c in plan.cells}
            cells = []
            for i, period in enumerate(periods):
                pc = by_index.get(i)
                if pc is None:
                    cells.append(Cell(period, None, None))
                    continue
                n = self.count(org.id, pc.version.type_code, period)
                state = rules.period_state(n, pc.version.min_count, period.start, period.end, self.today)
                cells.append(Cell(period, state, pc.version))
            latest = plan.cells[-1].version
            name = self.type_names.get(plan.type_code, plan.type_code)
            result.append(Line(org, plan.code, plan.frequency, plan.type_code, name, cells, latest))
        return result


def year_windows(year: int) -> dict[str, list[tuple[dt.date, dt.date]]]:
    return {f: rules.periods_of_year(f, year) for f in FREQUENCIES}


def recent_windows(today: dt.date) -> dict[str, list[tuple[dt.date, dt.date]]]:
    """The previous and the current period of each frequency (the 工作台 looks at these only)."""
    out = {}
    for f in FREQUENCIES:
        start, end = period_bounds(f, today)
        prev = period_bounds(f, start - dt.timedelta(days=1))
        out[f] = [prev, (start, end)]
    return out


# --- Scope --------------------------------------------------------------------------------------------


def get_org(user, pk, kinds=(OrgType.BRANCH, OrgType.GROUP)) -> Organization:
    """An org of one of `kinds` the user may see compliance of: 404 out of scope (or of another kind),
    403 in scope without orglife.view."""
    org = Organization.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    if org is None or org.org_type not in kinds:
        raise Http404("未找到该组织，或您无权访问")
    access.require(user, Perm.ORGLIFE_VIEW, org)
    return org


def compliance_orgs(user, perm: Perm = Perm.ORGLIFE_VIEW):
    """Active orgs in the user's scope for `perm` (pickers), in tree order."""
    return Organization.objects.filter(access.scope_q(user, perm), status=OrgStatus.ACTIVE).order_by("path")


def oversight_parent(user, org: Organization) -> Organization | None:
    """The nearest 党委/党总支 above `org` whose matrix the user may see (the branch page links to it)."""
    above = Organization.objects.filter(path__in=_paths(org.path)[:-1], org_type__in=OVERSIGHT_TYPES)
    for parent in above.order_by("-depth"):
        if access.has_perm(user, Perm.ORGLIFE_VIEW, parent):
            return parent
    return None


def home_org(user) -> Organization | None:
    """Where a compliance page starts for the user: the top org of their orglife.view scope."""
    roots = access.roots(user, Perm.ORGLIFE_VIEW)
    if not roots:
        return None
    return Organization.objects.filter(path=roots[0]).first()


# --- Branch view --------------------------------------------------------------------------------------


@dataclass
class BranchReport:
    org: Organization
    year: int
    today: dt.date
    lines: list[Line]  # the branch's own lines, then each group's
    months: list[Period] = field(default_factory=list)

    @property
    def missed(self) -> int:
        return sum(line.missed for line in self.lines)

    @property
    def due(self) -> int:
        return sum(line.due for line in self.lines)

    @property
    def met(self) -> int:
        return sum(line.met for line in self.lines)

    @property
    def groups(self) -> list[tuple[OrgRow, list[Line]]]:
        """(org, its lines) in tree order: the branch first, then its 党小组."""
        out: dict[int, tuple[OrgRow, list[Line]]] = {}
        for line in self.lines:
            out.setdefault(line.org.id, (line.org, []))[1].append(line)
        return list(out.values())


def branch_report(user, org: Organization, year: int, today: dt.date | None = None) -> BranchReport:
    """A branch (with its 党小组) or one 党小组: every requirement × period of `year`. Scoped; constant
    queries."""
    access.require(user, Perm.ORGLIFE_VIEW, org)
    if org.org_type not in (OrgType.BRANCH, OrgType.GROUP):
        raise Http404("请选择党支部或党小组")
    today = today or timezone.localdate()
    engine = Engine(org, year_windows(year), today)
    lines = [line for row in engine.orgs for line in engine.lines(row)]
    return BranchReport(org, year, today, lines, engine.periods["month"])


# --- Committee matrix ---------------------------------------------------------------------------------


@dataclass
class Column:
    code: str
    frequency: str
    type_name: str
    unit_name: str  # 支部 / 党小组: who the requirement is for
    units_due: int = 0  # units whose current period is still open and unmet
    units_missed_last: int = 0  # units that missed the last closed period
    days_left: int | None = None

    @property
    def frequency_label(self) -> str:
        return dict(Frequency.choices)[self.frequency]

    @property
    def key(self) -> tuple[str, str]:
        return (self.code, self.frequency)


@dataclass
class Tally:
    missed: int = 0
    due: int = 0
    met: int = 0
    applicable: int = 0
    units: int = 0  # orgs counted (党小组 of the branch for a group requirement)

    @property
    def state(self) -> str:
        if not self.applicable:
            return rules.NOT_APPLICABLE
        if self.missed:
            return rules.MISSED
        if self.due:
            return rules.DUE
        return rules.MET


class MatrixRow(NamedTuple):
    """One branch of the matrix (a tuple of plain values, like OrgRow)."""

    org: OrgRow
    parent_name: str
    missed: int
    due: int
    groups: int
    raw: tuple  # per column (missed, due, met, units) or None

    @property
    def cells(self) -> list[Tally | None]:
        """Per column; None: the requirement does not apply to this branch (or its groups)."""
        return [None if r is None else Tally(r[0], r[1], r[2], r[0] + r[1] + r[2], r[3]) for r in self.raw]

    @property
    def behind(self) -> bool:
        return bool(self.missed or self.due)


@dataclass
class Matrix:
    org: Organization
    year: int
    today: dt.date
    columns: list[Column]
    rows: list[MatrixRow]

    @property
    def branches(self) -> int:
        return len(self.rows)

    @property
    def behind(self) -> int:
        return sum(1 for r in self.rows if r.behind)

    @property
    def with_missed(self) -> int:
        return sum(1 for r in self.rows if r.missed)

    def unfinished(self) -> list[MatrixRow]:
        return [r for r in self.rows if r.behind]


def _matrix(org: Organization, windows, today: dt.date, *, year: int) -> Matrix:
    """Assemble the matrix from the engine's few queries. Per org only counting (the plan of which
    requirement applies to which period, with the state of an unmet period from rules.period_state, is
    shared by all orgs alike): a tight loop, no query."""
    engine = Engine(org, windows, today)
    names = engine.names
    current_last = _current_and_last(engine)
    counts = engine.counts
    offset_of, flat, stride, code_index = counts.offsets.get, counts.flat, counts.stride, counts.code_index
    # Branches by number, per-branch figures in lists of ints and the tallies in one dict keyed by an int:
    # the matrix allocates tens of thousands of objects, none of which the cycle collector has to scan.
    branches: list[OrgRow] = []
    number: dict[str, int] = {}
    missed_of: list[int] = []
    due_of: list[int] = []
    groups_of: list[int] = []
    tallies: dict[int, tuple] = {}  # branch number × WIDE + column number → (missed, due, met, units)
    wide = 1 << 16
    columns: dict[tuple[str, str], Column] = {}
    column_no: dict[tuple[str, str], int] = {}
    plans: dict[int, list[tuple]] = {}  # id(plan) → its lines, unpacked for the loop below
    DUE, MISSED = rules.DUE, rules.MISSED
    month_last = current_last["month"][1]
    last_month = engine.periods["month"][month_last].i0 if month_last is not None else None
    for row in engine.orgs:
        if row.org_type == OrgType.BRANCH:
            bno = number[row.path] = len(branches)
            branches.append(row)
            missed_of.append(0)
            due_of.append(0)
            groups_of.append(0)
        else:
            bno = number.get(row.parent_path)
            if bno is None:  # a 党小组 whose branch is dissolved: not shown
                continue
            groups_of[bno] += 1
        plan = engine.plan(row)
        items = plans.get(id(plan))
        if items is None:
            items = plans[id(plan)] = []
            for line in plan:
                key = line.key
                if key not in columns:
                    name = engine.type_names.get(line.type_code, line.type_code)
                    columns[key] = Column(
                        line.code, line.frequency, name, UNIT_NAMES.get(row.org_type, "支部")
                    )
                    column_no[key] = len(column_no)
                cur, last = current_last[line.frequency]
                spec = tuple((*cell[:5], code_index.get(cell[5], -1), cell[6]) for cell in line.spec)
                index = code_index.get(line.type_code, -1)
                items.append(
                    (column_no[key], columns[key], index, line.single_type, line.monthly, spec, cur, last)
                )
        base = row.id * stride
        slot_base = bno * wide
        org_missed = org_due = 0
        for cno, col, index, single_type, fast, spec, cur, last in items:
            at = offset_of(base + index) if single_type and index >= 0 else None
            if fast is not None:
                first, closed, end, due_at, last_at, days_left = fast
                if at is None:
                    met, missed, due = 0, closed - first, int(due_at is not None)
                else:
                    met = end - first - flat[at + first : at + end].count(0)
                    missed = flat[at + first : at + closed].count(0)
                    due = int(due_at is not None and not flat[at + due_at])
                if due:
                    col.units_due += 1
                    col.days_left = days_left
                if last_at is not None and last_at == last_month and (at is None or not flat[at + last_at]):
                    col.units_missed_last += 1
            else:
                missed = due = met = 0
                for i0, i1, need, unmet, days_left, tc, period in spec:
                    if not single_type:
                        at = offset_of(base + tc) if tc >= 0 else None
                    n = 0 if at is None else (flat[at + i0] if i1 - i0 == 1 else sum(flat[at + i0 : at + i1]))
                    if n >= need:
                        met += 1
                    elif unmet == DUE:
                        due += 1
                        if period == cur:
                            col.units_due += 1
                            col.days_left = days_left
                    elif unmet == MISSED:
                        missed += 1
                        if period == last:
                            col.units_missed_last += 1
            slot = slot_base + cno
            t = tallies.get(slot)
            tallies[slot] = (
                (missed, due, met, 1) if t is None else (t[0] + missed, t[1] + due, t[2] + met, t[3] + 1)
            )
            org_missed += missed
            org_due += due
        missed_of[bno] += org_missed
        due_of[bno] += org_due
    cols = sorted(
        columns.values(), key=lambda c: (CODE_ORDER.get(c.code, 999), c.code, FREQUENCIES.index(c.frequency))
    )
    order = [column_no[c.key] for c in cols]
    rows = []
    for bno, branch in enumerate(branches):
        raw = tuple(tallies.get(bno * wide + cno) for cno in order)  # Tally objects are made when read
        parent = names.get(branch.parent_path, "")
        rows.append(MatrixRow(branch, parent, missed_of[bno], due_of[bno], groups_of[bno], raw))
    rows.sort(key=lambda r: (-r.missed, -r.due, r.org.path))
    return Matrix(org, year, today, cols, rows)


def _current_and_last(engine: Engine) -> dict[str, tuple[int | None, int | None]]:
    """frequency → (index of the period containing today, index of the last closed period) in the window."""
    out = {}
    for f, periods in engine.periods.items():
        cur = next((i for i, p in enumerate(periods) if p.start <= engine.today <= p.end), None)
        closed = [i for i, p in enumerate(periods) if p.end < engine.today]
        out[f] = (cur, closed[-1] if closed else None)
    return out


def committee_matrix(user, org: Organization, year: int, today: dt.date | None = None) -> Matrix:
    """All branches (with their 党小组) under a 党委/党总支 × requirements for `year`: per branch and
    requirement the missed / due / met periods, most behind first. A fixed handful of queries."""
    access.require(user, Perm.ORGLIFE_VIEW, org)
    if org.org_type not in OVERSIGHT_TYPES:
        raise Http404("请选择基层党委或党总支")
    today = today or timezone.localdate()
    return _matrix(org, year_windows(year), today, year=year)


# --- 工作台 ----------------------------------------------------------------------------------------------


@dataclass
class Todo:
    level: str  # danger / warning / info
    message: str
    url: str
    org_name: str = ""
    days_left: int | None = None

    @property
    def rank(self):
        return ({"danger": 0, "warning": 1, "info": 2}[self.level], self.days_left or 0, self.message)


SOON_DAYS = 7
MAX_ROOTS = 5


def home_todos(user, today: dt.date | None = None) -> list[Todo]:
    """The 工作台 lines: for a branch secretary or 党小组长 what is due this period
    (本季度尚未召开支部党员大会，剩余 12 天) and what was missed last period; for committee officers how
    many branches (党小组) are behind."""
    if not access.has_perm(user, Perm.ORGLIFE_VIEW):
        return []
    today = today or timezone.localdate()
    roots = access.roots(user, Perm.ORGLIFE_VIEW)[:MAX_ROOTS]
    orgs = Organization.objects.filter(path__in=roots, status=OrgStatus.ACTIVE).order_by("path")
    orgs = list(orgs)
    show_org = len(orgs) > 1  # several roots: each line says whose it is
    todos: list[Todo] = []
    for org in orgs:
        if org.org_type in OVERSIGHT_TYPES:
            todos += _oversight_todos(org, today, show_org)
        elif org.org_type in (OrgType.BRANCH, OrgType.GROUP):
            todos += _branch_todos(org, today, show_org)
    todos.sort(key=lambda t: t.rank)
    return todos


def _last_period_year(frequency: str, today: dt.date) -> int:
    start, _ = period_bounds(frequency, today)
    return (start - dt.timedelta(days=1)).year


def _level(state: rules.PeriodState) -> str:
    if state.state == rules.MISSED:
        return "danger"
    return "warning" if (state.days_left or 0) <= SOON_DAYS else "info"


def _branch_todos(org: Organization, today: dt.date, show_org: bool = False) -> list[Todo]:
    engine = Engine(org, recent_windows(today), today)
    current_last = _current_and_last(engine)
    branch_id = org.pk if org.org_type == OrgType.BRANCH else None
    todos = []
    for row in engine.orgs:
        for line in engine.lines(row):
            cur, last = current_last[line.frequency]
            for i, wanted in ((cur, rules.DUE), (last, rules.MISSED)):
                state = line.cells[i].state if i is not None else None
                if state is None or state.state != wanted:
                    continue
                page = branch_id or row.id
                todos.append(
                    Todo(
                        _level(state),
                        rules.due_message(line.type_name, line.frequency, state),
                        _url("compliance_branch", page, query=f"year={line.cells[i].period.start.year}"),
                        row.name if (row.org_type == OrgType.GROUP and branch_id) or show_org else "",
                        state.days_left,
                    )
                )
    return todos


def _oversight_todos(org: Organization, today: dt.date, show_org: bool = False) -> list[Todo]:
    matrix = _matrix(org, recent_windows(today), today, year=today.year)
    name = org.name if show_org else ""
    todos = []
    for col in matrix.columns:
        if col.units_missed_last:
            year = _last_period_year(col.frequency, today)
            message = count_message(
                col.units_missed_last, col.unit_name, col.type_name, col.frequency, rules.MISSED
            )
            url = _url("compliance_committee", org.pk, query=f"year={year}&unfinished=1")
            todos.append(Todo("danger", message, url, name))
        if col.units_due:
            level = "warning" if (col.days_left or 0) <= SOON_DAYS else "info"
            message = count_message(col.units_due, col.unit_name, col.type_name, col.frequency, rules.DUE)
            url = _url("compliance_committee", org.pk, query=f"year={today.year}&unfinished=1")
            todos.append(Todo(level, f"{message}，剩余 {col.days_left} 天", url, name, col.days_left))
    return todos


# --- Requirement editor: reads ------------------------------------------------------------------------


@dataclass(frozen=True)
class RequirementRow:
    version: Version
    type_name: str
    own: bool  # set on the org being looked at (else inherited)
    upcoming: Version | None  # a later version already scheduled
    future: bool = False  # a requirement not yet in force: `version` is its first version

    @property
    def frequency_label(self) -> str:
        return dict(Frequency.choices)[self.version.frequency]

    @property
    def applies_label(self) -> str:
        return dict(AppliesTo.choices)[self.version.applies_to]


def _depth(v: Version) -> int:
    return len(v.path) if v.path else -1


def effective_requirements(org: Organization, on: dt.date | None = None) -> list[RequirementRow]:
    """The requirements as they apply at `org` on `on` (inherited or its own), with what comes next."""
    selectors.ensure_seeded()
    on = on or timezone.localdate()
    versions = [v for v in _versions_on_path(org)]
    resolver = Resolver(versions)
    key = resolver.key(org.path)
    current = resolver.resolve(key, on)
    later: dict[str, Version] = {}
    for v in sorted((v for v in versions if v.valid_from > on), key=lambda v: (v.valid_from, -_depth(v))):
        now = current.get(v.code)
        if now is None or _depth(v) >= _depth(now):
            later.setdefault(v.code, v)
    _, names = _type_names()
    rows = [
        RequirementRow(v, names.get(v.type_code, v.type_code), v.path == org.path, later.get(code))
        for code, v in current.items()
    ]
    rows += [
        RequirementRow(v, names.get(v.type_code, v.type_code), v.path == org.path, None, future=True)
        for code, v in later.items()
        if code not in current
    ]
    rows.sort(key=lambda r: (r.future, CODE_ORDER.get(r.version.code, 999), r.version.code))
    return rows


def _versions_on_path(org: Organization) -> list[Version]:
    rows = Requirement.objects.filter(Q(org__isnull=True) | Q(org__path__in=_paths(org.path)))
    fields = ("id", "code", "type_code", "frequency", "min_count", "applies_to", "source", "valid_from")
    return [
        Version(*row[:9], row[9] or "", row[10] or "")
        for row in rows.values_list(*fields, "active", "org__path", "org__name")
    ]


def as_version(req: Requirement) -> Version:
    """A saved Requirement row as the engine's Version."""
    org = req.org
    return Version(
        req.pk,
        req.code,
        req.type_code,
        req.frequency,
        req.min_count,
        req.applies_to,
        req.source,
        req.valid_from,
        req.active,
        org.path if org else "",
        org.name if org else "",
    )


def requirement_history(org: Organization, code: str):
    """Every version of `code` on the org's path, newest first."""
    return (
        Requirement.objects.filter(code=code)
        .filter(Q(org__isnull=True) | Q(org__path__in=_paths(org.path)))
        .select_related("org", "created_by")
        .order_by("-valid_from", "-id")
    )


def requirement_types(org: Organization) -> list[MeetingType]:
    """Meeting types a requirement at `org` may count: the system ones and those set on its path."""
    selectors.ensure_seeded()
    qs = MeetingType.objects.filter(active=True).filter(
        Q(org__isnull=True) | Q(org__path__in=_paths(org.path))
    )
    return list(qs.order_by("order", "id"))


def editor_orgs(user):
    """Orgs whose requirements can be looked at: 党委, 党总支 and 党支部 in orglife.view scope (党小组
    follow their branch's)."""
    return compliance_orgs(user).exclude(org_type=OrgType.GROUP)


def default_editor_org(user) -> Organization | None:
    """The org whose requirements the user sees first: the top of their scope; a 党小组长's branch (the
    requirements that apply to their group are the branch's)."""
    org = editor_orgs(user).first()
    if org is None:
        group = compliance_orgs(user).filter(org_type=OrgType.GROUP).first()
        if group is not None:
            org = Organization.objects.filter(path=group.path[:-STEP]).first()
    return org


def get_editor_org(user, pk, *, manage: bool = False) -> Organization:
    org = Organization.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    if org is None or org.org_type == OrgType.GROUP:
        raise Http404("未找到该组织，或您无权访问")
    access.require(user, Perm.ORGLIFE_MANAGE if manage else Perm.ORGLIFE_VIEW, org)
    return org


# --- Requirement editor: the service ------------------------------------------------------------------


def requirement_problems(values: dict, attendees: str | None) -> dict[str, list[str]]:
    """Field problems of a requirement version (pure): a known frequency and scope, 1–31 meetings, and
    a scope that matches who the meeting type is for (党小组会 per 党小组, 支委会 where a committee is
    set up)."""
    errors: dict[str, list[str]] = {}
    if attendees is None:
        errors["type_code"] = ["请选择会议类型"]
    if values.get("frequency") not in Frequency.values:
        errors["frequency"] = ["请选择频次"]
    if values.get("applies_to") not in AppliesTo.values:
        errors["applies_to"] = ["请选择适用范围"]
    try:
        n = int(values.get("min_count"))
    except (TypeError, ValueError):
        errors["min_count"] = ["最少次数应为整数"]
    else:
        if not 1 <= n <= MAX_MIN_COUNT:
            errors["min_count"] = [f"最少次数应在1到{MAX_MIN_COUNT}之间"]
    if not (values.get("source") or "").strip():
        errors["source"] = ["请填写依据（文件名称及条款，或本组织的规定）"]
    scope = values.get("applies_to")
    if attendees is not None and "applies_to" not in errors:
        if attendees == Attendees.GROUP and scope != AppliesTo.GROUP:
            errors["applies_to"] = ["党小组会的要求应适用于党小组"]
        elif attendees != Attendees.GROUP and scope == AppliesTo.GROUP:
            errors["applies_to"] = ["该类会议由党支部召开，不能适用于党小组"]
        elif attendees == Attendees.COMMITTEE and scope != AppliesTo.BRANCH_COMMITTEE:
            errors["applies_to"] = ["支部委员会会议的要求应适用于设支部委员会的党支部"]
    return errors


def weaker_than(values: dict, inherited: Version) -> str:
    """Why a branch's version would relax what its superior set ("" when it does not): a branch may
    make a requirement stricter, not switch it off, count fewer meetings or count another type."""
    if not values.get("active"):
        return "党支部不能停用上级党组织规定的组织生活要求"
    if values.get("type_code") != inherited.type_code or values.get("applies_to") != inherited.applies_to:
        return "党支部不能修改上级规定的会议类型和适用范围"
    if yearly_rate(values["frequency"], int(values["min_count"])) < yearly_rate(
        inherited.frequency, inherited.min_count
    ):
        return "党支部只能提高要求：频次或次数不能低于上级党组织的规定"
    return ""


def save_requirement(actor, org: Organization, code: str, data: dict, valid_from: dt.date) -> Requirement:
    """A new version of a requirement at `org` (a 党委, 党总支 or 党支部), in force there and below from
    `valid_from`; fields not in `data` are taken from the version in force. A new code is a requirement
    of the org's own. Officers set versions from today on (history is never rewritten); the system
    (actor None) may record earlier ones. Saving again at the same org and day replaces that version.
    A 党支部 may only tighten what its superiors set. Audited."""
    access.require(actor, Perm.ORGLIFE_MANAGE, org)
    if org.org_type == OrgType.GROUP:
        fail("党小组执行所在支部的组织生活要求，请在支部或上级党组织设置")
    code = (code or "").strip()
    if not code or len(code) > 40 or not code.isascii() or not all(c.isalnum() or c in "._-" for c in code):
        fail("要求代码只能由字母、数字、点、下划线组成，不超过40个字符", "code")
    if valid_from is None:
        fail("请填写生效日期", "valid_from")
    if actor is not None and valid_from < timezone.localdate():
        fail("生效日期不能早于今天：要求的修改不改写已过去的周期", "valid_from")
    versions = _versions_on_path(org)
    resolver = Resolver(versions)
    current = resolver.resolve(resolver.key(org.path), valid_from).get(code)
    values = {f: getattr(current, f) for f in REQUIREMENT_FIELDS} if current else {"active": True}
    values.update({k: v for k, v in data.items() if k in REQUIREMENT_FIELDS and v is not None})
    values["source"] = (values.get("source") or "").strip()[:200]
    types = {t.code: t for t in requirement_types(org)}
    chosen = types.get(values.get("type_code") or "")
    errors = requirement_problems(values, chosen.attendees if chosen else None)
    if errors:
        raise ValidationError(errors)
    values["min_count"] = int(values["min_count"])
    values["active"] = bool(values.get("active"))
    if actor is not None and org.org_type == OrgType.BRANCH:
        above = Resolver([v for v in versions if v.path != org.path])
        inherited = above.resolve(above.key(org.path), valid_from).get(code)
        if inherited is not None and inherited.active:
            problem = weaker_than(values, inherited)
            if problem:
                fail(problem)
    with transaction.atomic():
        same_day = (
            Requirement.objects.select_for_update().filter(org=org, code=code, valid_from=valid_from).first()
        )
        if same_day is not None:
            before = audit.snapshot(same_day, REQUIREMENT_FIELDS)
        else:
            before = {f: getattr(current, f) for f in REQUIREMENT_FIELDS} if current else None
        try:
            with transaction.atomic():
                if same_day is not None:
                    for f in REQUIREMENT_FIELDS:
                        setattr(same_day, f, values[f])
                    same_day.save()
                    req = same_day
                else:
                    req = Requirement.objects.create(
                        org=org,
                        code=code,
                        valid_from=valid_from,
                        created_by=actor if getattr(actor, "is_authenticated", False) else None,
                        **{f: values[f] for f in REQUIREMENT_FIELDS},
                    )
        except IntegrityError:
            fail("该要求刚被他人修改，请刷新后重试")
        name = types[values["type_code"]].name
        state = "" if req.active else "（停用）"
        audit.record(
            actor,
            AuditAction.CREATE if current is None and same_day is None else AuditAction.UPDATE,
            req,
            org_id=org.pk,
            summary=f"组织生活要求{'新增' if current is None else '修改'}：{name}"
            f"{req.get_frequency_display()}{req.min_count}次{state}（{valid_from}起）",
            before=before,
            after=audit.snapshot(req, REQUIREMENT_FIELDS),
        )
    return req
