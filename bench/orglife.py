"""Benchmark: the committee's compliance matrix (组织生活落实情况) through Zhibu's selector vs. the raw SQL
of the same aggregate.

    .venv/bin/python bench/orglife.py [--rebuild] [--plans]   # postgres://postgres@127.0.0.1:5432/zhibu_bench
    BENCH_DATABASE_URL=postgres://... make bench                # another PostgreSQL database

`make bench` runs it after bench/points.py, on the same database (PostgreSQL only: BENCH_DATABASE_URL when it
names a PostgreSQL database, else the local default above; created if missing; when no server answers it
says so and exits 0). It reuses bench/points.py's database helpers and its way of generating the org tree
(materialized paths computed up front, bulk_create).

Issue 5: "for a committee: a table of all branches × requirements for a year with drill-down, computed in
the database (no per-branch Python loops), fast at 2,000 branches".

The dataset (1 党委 "OB", 50 党总支, 2,000 党支部 of which every 4th has 2 党小组, half with a 支部委员会,
and a year of meetings up to 2026-11-21 Asia/Shanghai: per branch ~12–30 — 主题党日 and 支委会 most months,
支部党员大会 and 党课 most quarters, some 组织生活会/民主评议, 党小组会 most months per group, a few
cancelled or planned ones; months go missing at random) is built once per database and reused;
`--rebuild` drops it first.

Timed, median of BENCH_REPEAT runs after a warm-up, with "today" fixed at 2026-11-21:
- the committee matrix: `compliance.committee_matrix(root, 2026)` — the selector's five queries (meeting
  types, committees, orgs, requirement versions, the GROUP BY org, type, local month of held meetings) and
  the assembly in Python — vs. the one hand-written GROUP BY statement of the same aggregate, its rows
  read into a dict;
- one 党总支 (40 branches), and one branch's year (`compliance.branch_report`), each vs. its aggregate;
- the committee officer's 工作台 lines (the previous and current periods) vs. their aggregate.
Both sides are checked to count the same meetings. The EXPLAIN ANALYZE time of each statement the app sends
is printed. The aim for the committee matrix is 1.5x the raw SQL (measured 1.4–1.55x on the shared 2-core
machine, see bench/README.md); the script exits 1 above 2x, as a guard against regressions.
"""

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import points as points_bench
from django.core.management import call_command
from django.db import connection, transaction

from zhibu.orglife import compliance, selectors
from zhibu.orglife.models import HELD_STATUSES, Meeting, MeetingType
from zhibu.orgs.models import CommitteeTerm, Organization
from zhibu.points.rules import TZ, local_range

CODE = "OB"
GENERAL_BRANCHES, BRANCHES_PER_GB, GROUPS_EVERY, GROUPS_PER_BRANCH = 50, 40, 4, 2
YEAR, TODAY = 2026, dt.date(2026, 11, 21)
REPEAT = points_bench.REPEAT
AIM = 1.5  # the aim for the committee matrix
LIMIT = 2.0  # a regression guard: exit 1 above it
seg = points_bench.seg

AGGREGATE_SQL = """
SELECT m.org_id, m.type_id, date_trunc('month', m.starts_at AT TIME ZONE 'Asia/Shanghai') AS month,
    COUNT(m.id)
FROM orglife_meeting m
JOIN orgs_organization o ON o.id = m.org_id
WHERE o.path LIKE %(like)s AND m.status = ANY(%(held)s)
    AND m.starts_at >= %(begin)s AND m.starts_at < %(stop)s
GROUP BY 1, 2, 3
"""


# --- dataset --------------------------------------------------------------------------------------------


def build_tree() -> Organization:
    """1 党委, 50 党总支, 2,000 党支部 (every 4th with 2 党小组), committee terms on half the branches."""
    alphabet, steplen = Organization.alphabet, Organization.steplen
    last = Organization.objects.filter(depth=1).order_by("-path").values_list("path", flat=True).first()
    index = (
        1 + sum(alphabet.index(ch) * len(alphabet) ** (steplen - 1 - i) for i, ch in enumerate(last))
        if last
        else 1
    )
    root = Organization(
        path=seg(index),
        depth=1,
        numchild=GENERAL_BRANCHES,
        name="组织生活基准党委",
        code=CODE,
        org_type="committee",
    )
    orgs = [root]
    for g in range(GENERAL_BRANCHES):
        gpath = root.path + seg(g + 1)
        orgs.append(
            Organization(
                path=gpath,
                depth=2,
                numchild=BRANCHES_PER_GB,
                name=f"组织生活总支{g}",
                code=f"{CODE}-{g}",
                org_type="general_branch",
            )
        )
        for b in range(BRANCHES_PER_GB):
            n = g * BRANCHES_PER_GB + b
            groups = GROUPS_PER_BRANCH if n % GROUPS_EVERY == 0 else 0
            bpath = gpath + seg(b + 1)
            orgs.append(
                Organization(
                    path=bpath,
                    depth=3,
                    numchild=groups,
                    name=f"组织生活支部{g}-{b}",
                    code=f"{CODE}-{g}-{b}",
                    org_type="branch",
                    founded_on=dt.date(2026, 4, 10) if n % 97 == 0 else None,  # a few founded this year
                )
            )
            orgs += [
                Organization(
                    path=bpath + seg(k + 1),
                    depth=4,
                    numchild=0,
                    name=f"第{k + 1}党小组",
                    code=f"{CODE}-{g}-{b}-{k}",
                    org_type="group",
                )
                for k in range(groups)
            ]
    with transaction.atomic():
        Organization.objects.bulk_create(orgs, batch_size=2000)
        root = Organization.objects.get(code=CODE)
        branches = Organization.objects.filter(path__startswith=root.path, org_type="branch").order_by("path")
        CommitteeTerm.objects.bulk_create(
            [
                CommitteeTerm(
                    org_id=pk,
                    number=1,
                    kind=CommitteeTerm.Kind.COMMITTEE if i % 2 else CommitteeTerm.Kind.SECRETARY_ONLY,
                    started_on=dt.date(2024, 6, 1),
                    ends_on=dt.date(2027, 6, 1),
                )
                for i, pk in enumerate(branches.values_list("id", flat=True))
            ],
            batch_size=2000,
        )
    return root


def _at(rng: random.Random, month: int) -> dt.datetime:
    if rng.random() < 0.03:  # the last minute of the month, local time
        nxt = dt.date(YEAR + month // 12, month % 12 + 1, 1)
        day = nxt - dt.timedelta(days=1)
        return dt.datetime(day.year, day.month, day.day, 23, 59, tzinfo=TZ)
    return dt.datetime(YEAR, month, rng.randint(1, 28), rng.choice((9, 10, 14, 15, 19)), tzinfo=TZ)


def build_meetings(root: Organization) -> int:
    """A year of meetings, some months missing (bulk_create)."""
    selectors.ensure_seeded()
    types = dict(MeetingType.objects.filter(org__isnull=True).values_list("code", "id"))
    rng = random.Random(2026)
    committees = set(
        CommitteeTerm.objects.filter(org__path__startswith=root.path, kind="committee").values_list(
            "org_id", flat=True
        )
    )
    rows: list[Meeting] = []

    def add(org_id, code, when, status="recorded"):
        if when.date() > TODAY:
            return
        rows.append(
            Meeting(
                org_id=org_id,
                type_id=types[code],
                status=status,
                topic=f"基准会议{len(rows)}",
                starts_at=when,
                ends_at=when + dt.timedelta(hours=2),
                place="党员活动室",
            )
        )

    orgs = Organization.objects.filter(path__startswith=root.path, org_type__in=("branch", "group"))
    for pk, org_type in orgs.order_by("path").values_list("id", "org_type"):
        if org_type == "group":
            for month in range(1, 13):
                if rng.random() > 0.15:
                    add(pk, "group_meeting", _at(rng, month))
            continue
        for month in range(1, 13):
            if rng.random() > 0.12:
                add(pk, "theme_day", _at(rng, month))
            if pk in committees and rng.random() > 0.15:
                add(pk, "committee_meeting", _at(rng, month))
        for quarter in range(4):
            if rng.random() > 0.15:
                add(pk, "branch_meeting", _at(rng, 3 * quarter + rng.randint(1, 3)))
            if rng.random() > 0.25:
                add(pk, "party_lecture", _at(rng, 3 * quarter + rng.randint(1, 3)))
        if rng.random() > 0.5:
            add(pk, "life_meeting", _at(rng, rng.choice((1, 2, 10, 11))))
        if rng.random() > 0.5:
            add(pk, "democratic_review", _at(rng, rng.choice((1, 2, 10, 11))))
        for _ in range(rng.randint(0, 2)):  # noise: not held, must not count
            add(
                pk,
                "theme_day",
                _at(rng, rng.randint(1, 11)),
                status=rng.choice(("cancelled", "planned", "notified")),
            )
    with transaction.atomic():
        Meeting.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) orglife_meeting")
        cur.execute("ANALYZE orgs_organization")
        cur.execute("ANALYZE orglife_requirement")
    return len(rows)


def drop_dataset() -> None:
    root = Organization.objects.filter(code=CODE).first()
    if root is None:
        return
    like = root.path + "%"
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "DELETE FROM orglife_meeting m USING orgs_organization o "
            "WHERE o.id = m.org_id AND o.path LIKE %s",
            [like],
        )
        cur.execute(
            "DELETE FROM orgs_committeeterm t USING orgs_organization o "
            "WHERE o.id = t.org_id AND o.path LIKE %s",
            [like],
        )
        cur.execute("DELETE FROM orgs_organization WHERE path LIKE %s", [like])


def dataset_ready() -> bool:
    root = Organization.objects.filter(code=CODE).first()
    if root is None:
        return False
    branches = Organization.objects.filter(path__startswith=root.path, org_type="branch").count()
    return (
        branches == GENERAL_BRANCHES * BRANCHES_PER_GB
        and Meeting.objects.filter(org__path__startswith=root.path).exists()
    )


# --- timing -------------------------------------------------------------------------------------------------


def raw_counts(org: Organization, first: dt.date, last: dt.date) -> dict:
    begin, stop = local_range(first, last)
    params = {"like": org.path + "%", "held": list(HELD_STATUSES), "begin": begin, "stop": stop}
    with connection.cursor() as cur:
        cur.execute(AGGREGATE_SQL, params)
        return {(o, t, m.year * 12 + m.month): n for o, t, m, n in cur.fetchall()}


def app_counts(org: Organization, windows) -> dict:
    """The engine's counts in the raw statement's shape (org, type id, year × 12 + month) → n."""
    engine = compliance.Engine(org, windows, TODAY)
    type_id = {
        code: pk for pk, code in MeetingType.objects.filter(org__isnull=True).values_list("id", "code")
    }
    base = engine.first.year * 12 + engine.first.month
    return {
        (org_id, type_id[code], base + i): n
        for (org_id, code), months in engine.counts.items()
        for i, n in enumerate(months)
        if n
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="drop and regenerate the dataset")
    parser.add_argument("--plans", action="store_true", help="print the full EXPLAIN ANALYZE plans")
    args = parser.parse_args()
    points_bench.ensure_database()
    call_command("migrate", verbosity=0)
    if args.rebuild:
        print("dropping the orglife dataset ...", flush=True)
        drop_dataset()
    if not dataset_ready():
        drop_dataset()
        t0 = time.perf_counter()
        root = build_tree()
        t1 = time.perf_counter()
        n = build_meetings(root)
        t2 = time.perf_counter()
        print(f"built the tree in {t1 - t0:.1f} s and {n:,} meetings in {t2 - t1:.1f} s", flush=True)
    root = Organization.objects.get(code=CODE)
    general = Organization.objects.filter(path__startswith=root.path, org_type="general_branch").order_by(
        "path"
    )[7]
    branch = Organization.objects.filter(path__startswith=root.path, org_type="branch").order_by("path")[0]
    year = compliance.year_windows(YEAR)
    recent = compliance.recent_windows(TODAY)
    first, last = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
    r_first = min(s for p in recent.values() for s, _ in p)
    r_last = max(e for p in recent.values() for _, e in p)

    # Same answers both ways, or the comparison means nothing.
    for org in (root, branch):
        assert app_counts(org, year) == raw_counts(org, first, last), org
    assert app_counts(root, recent) == raw_counts(root, r_first, r_last)

    held = Meeting.objects.filter(org__path__startswith=root.path)
    matrix = compliance.committee_matrix(None, root, YEAR, today=TODAY)
    groups = Organization.objects.filter(path__startswith=root.path, org_type="group").count()
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        version = cur.fetchone()[0].split(" on ")[0]
    print(
        f"database: {version}; {matrix.branches:,} branches and {groups:,} 党小组 under {root.name}; "
        f"{held.count():,} meetings ({held.filter(status__in=HELD_STATUSES).count():,} held) in {YEAR}; "
        f"today {TODAY}; {matrix.behind:,} branches behind, {matrix.with_missed:,} with a missed period; "
        f"median of {REPEAT} runs"
    )
    cases = [
        (
            f"committee matrix ({matrix.branches:,} branches)",
            lambda: compliance.committee_matrix(None, root, YEAR, today=TODAY),
            lambda: raw_counts(root, first, last),
        ),
        (
            f"one 党总支's matrix ({general.numchild} branches)",
            lambda: compliance.committee_matrix(None, general, YEAR, today=TODAY),
            lambda: raw_counts(general, first, last),
        ),
        (
            "one branch's year",
            lambda: compliance.branch_report(None, branch, YEAR, today=TODAY),
            lambda: raw_counts(branch, first, last),
        ),
        (
            "committee officer's 工作台 lines",
            lambda: compliance._oversight_todos(root, TODAY),
            lambda: raw_counts(root, r_first, r_last),
        ),
    ]
    print(f"{'case':<40} {'zhibu ms':>9} {'raw ms':>9} {'ratio':>6}")
    ratios = []
    for name, app_fn, raw_fn in cases:
        a, r = points_bench.timed(app_fn), points_bench.timed(raw_fn)
        ratios.append(a / r)
        print(f"{name:<40} {a * 1000:9.1f} {r * 1000:9.1f} {a / r:6.2f}")
    if args.plans:
        points_bench.explain(cases[0][1], [], full=True)
    print("EXPLAIN ANALYZE of the committee matrix's statements:")
    names = ["meeting types", "committees", "orgs", "requirement versions", "GROUP BY org, type, month"]
    for line in points_bench.explain(cases[0][1], names):
        print(f"  {line}")
    verdict = "within" if ratios[0] <= AIM else "above"
    print(f"committee matrix: {ratios[0]:.2f}x the raw SQL, {verdict} the {AIM}x aim (fails above {LIMIT}x)")
    if ratios[0] > LIMIT:
        sys.exit(f"the committee matrix is slower than {LIMIT}x the raw SQL")


if __name__ == "__main__":
    main()
