"""Benchmark: a quarter's points ranking and one member's rank, through Zhibu's selectors vs. raw SQL.

    .venv/bin/python bench/points.py [--rebuild] [--plans]   # postgres://postgres@127.0.0.1:5432/zhibu_bench
    BENCH_DATABASE_URL=postgres://... make bench                # another PostgreSQL database

`make bench` runs it after the other benchmarks. It uses BENCH_DATABASE_URL when that names a PostgreSQL
database, else the local default above; when no PostgreSQL server answers it says so and exits 0 (like
`make test`'s PostgreSQL pass).

Issue 4: with 100,000 members and 5 million ledger entries over a year, a quarter's ranking for the whole
organization and one member's rank should stay within 1.5x of the raw SQL of the same aggregate on the
same database. PostgreSQL only; the database is created if it does not exist.

The dataset (1 党委, 50 党总支, 2,000 党支部, 100,000 members, 5,000,000 entries over the 365 days up
to 2026-11-21 Asia/Shanghai, 50 per member, scored under the seeded default catalogue) is built once per
database and reused; `--rebuild` drops it first. The members go in with bulk_create, the ledger with one
INSERT ... SELECT from generate_series (secondary indexes dropped and rebuilt in the same transaction,
which is several times faster than maintaining them row by row), then VACUUM ANALYZE.

Timed, median of BENCH_REPEAT runs after a warm-up:
- the ranking page: `selectors.ranked_members(root, Q3)` evaluated as the Paginator does (count, then the
  first 50 rows) vs. one hand-written statement (SUM per member over the quarter for on-roll members
  under the root's path, RANK() over it, COUNT(*) OVER (), first 50);
- own rank: `selectors.member_rank(member, root, Q3)` vs. the member's total and 1 + the count of
  on-roll members with a larger total, by hand.
The EXPLAIN ANALYZE total of each statement the app sends is printed for the record. Exits 1 when a
ratio is above 1.5.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("ZHIBU_VAR_DIR", str(ROOT / "var" / "bench"))
Path(os.environ["ZHIBU_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/zhibu_bench"
URL = os.environ.get("BENCH_DATABASE_URL", "")
os.environ["DATABASE_URL"] = URL if URL.startswith(("postgres://", "postgresql://")) else DEFAULT_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhibu.settings")
sys.path.insert(0, str(ROOT / "src"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import OperationalError, connection, transaction  # noqa: E402

from zhibu.members.models import ON_ROLL, Member  # noqa: E402
from zhibu.orgs.models import Organization  # noqa: E402
from zhibu.points import rules, selectors  # noqa: E402
from zhibu.points.models import Entry, Rule  # noqa: E402

CODE = "PB"  # the benchmark 党委's org code (bench/run.py's organization, code "B", may share the database)
GENERAL_BRANCHES, BRANCHES_PER_GB, MEMBERS = 50, 40, 100_000
ENTRIES_PER_MEMBER = 50
SOURCE = "bench.points"
LAST_DAY = dt.date(2026, 11, 21)  # the data covers the 365 local days up to here, whenever it is run
QUARTER = rules.period_bounds("quarter", dt.date(2026, 8, 15))  # 2026年第3季度, ~1/4 of the entries
PAGE = 50
REPEAT = int(os.environ.get("BENCH_REPEAT", "7"))
LIMIT = 1.5
# System rules the generated entries are scored under (the seeded default catalogue), with a few deductions.
RULE_CODES = [
    "orglife.branch_meeting",
    "orglife.group_meeting",
    "orglife.party_lecture",
    "orglife.theme_day",
    "learning.item",
    "learning.item",
    "learning.item",
    "learning.minutes",
    "learning.minutes",
    "learning.quiz",
    "learning.exam_pass",
    "dues.on_time",
    "orglife.absence",
    "dues.late",
]


def ensure_database() -> None:
    """Create the benchmark database if it does not exist (connects to the server's `postgres` db)."""
    import psycopg

    settings = connection.settings_dict
    try:
        connection.ensure_connection()
        return
    except OperationalError as exc:
        if "does not exist" not in str(exc):
            print(f"No PostgreSQL server at {settings['HOST']}:{settings['PORT']}: skipped ({exc})")
            sys.exit(0)
    kwargs = {
        "host": settings["HOST"] or None,
        "port": settings["PORT"] or None,
        "user": settings["USER"] or None,
        "password": settings["PASSWORD"] or None,
        "dbname": "postgres",
    }
    with psycopg.connect(**{k: v for k, v in kwargs.items() if v}, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{settings["NAME"]}"')
    print(f"created database {settings['NAME']}")


def seg(i: int) -> str:
    alphabet = Organization.alphabet
    out = ""
    for _ in range(Organization.steplen):
        i, r = divmod(i, len(alphabet))
        out = alphabet[r] + out
    return out


def build_members() -> Organization:
    """The org tree and 100,000 members (bulk_create). Returns the root."""
    # A root path in the middle of the range: bench/run.py puts its 党委 at the first path, and roots added
    # later through the tree API (bench/import_members.py) go after the last one.
    alphabet, steplen = Organization.alphabet, Organization.steplen
    index = len(alphabet) ** steplen // 2
    if Organization.objects.filter(path=seg(index)).exists():
        last = Organization.objects.filter(depth=1).order_by("-path").values_list("path", flat=True)[0]
        index = 1 + sum(alphabet.index(ch) * len(alphabet) ** (steplen - 1 - i) for i, ch in enumerate(last))
    root = Organization(
        path=seg(index),
        depth=1,
        numchild=GENERAL_BRANCHES,
        name="积分基准党委",
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
                name=f"积分总支{g}",
                code=f"{CODE}-{g}",
                org_type="general_branch",
            )
        )
        orgs += [
            Organization(
                path=gpath + seg(b + 1),
                depth=3,
                numchild=0,
                name=f"积分支部{g}-{b}",
                code=f"{CODE}-{g}-{b}",
                org_type="branch",
            )
            for b in range(BRANCHES_PER_GB)
        ]
    Organization.objects.bulk_create(orgs, batch_size=2000)
    root = Organization.objects.get(code=CODE)
    branches = Organization.objects.filter(path__startswith=root.path, org_type="branch")
    branch_ids = list(branches.values_list("id", flat=True))
    members = [
        Member(
            name=f"积分党员{i:06d}",
            gender="male" if i % 2 else "female",
            org_id=branch_ids[i % len(branch_ids)],
            category="full" if i % 9 else "probationary",
            # mostly on the roll; 1 in 101 transferred out (off the roll, still has a ledger)
            status="transferred" if i % 101 == 0 else ("mobile" if i % 23 == 0 else "normal"),
        )
        for i in range(MEMBERS)
    ]
    Member.objects.bulk_create(members, batch_size=5000)
    return root


def _secondary_indexes() -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of points_entry's indexes that do not back a constraint."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'points_entry' "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        )
        return cur.fetchall()


def build_entries(root: Organization) -> None:
    """5,000,000 award entries in one INSERT ... SELECT, spread over the year in Asia/Shanghai."""
    defaults = Rule.objects.filter(org__isnull=True, code__in=set(RULE_CODES))
    rule_rows = dict(defaults.values_list("code", "id"))
    rule_ids = [rule_rows[c] for c in RULE_CODES]
    first = dt.datetime.combine(LAST_DAY - dt.timedelta(days=364), dt.time.min, tzinfo=rules.TZ)
    indexes = _secondary_indexes()
    with transaction.atomic(), connection.cursor() as cur:
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cur.fetchone()[0]:
            # The rows are consistent by construction: skip the 15 million foreign-key trigger checks.
            cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("SELECT setseed(0.2026)")
        cur.execute(
            """
            INSERT INTO points_entry (member_id, org_id, rule_id, rule_code, category, kind, quantity,
                base_points, points, capped_note, occurred_at, source_type, source_id, source_label, reason,
                evidence, reverses_id, awarded_by_id, approved_by_id, created_at)
            SELECT g.member_id, g.org_id, r.id, r.code, r.category, 'award', 1, r.points, r.points, '',
                g.occurred_at, %s, g.k::text, '基准数据', '', '', NULL, NULL, NULL, now()
            FROM (
                SELECT m.id AS member_id, m.org_id, k,
                    (%s::int[])[1 + floor(random() * %s)::int] AS rule_id,
                    %s::timestamptz + floor(random() * 365 * 86400) * interval '1 second' AS occurred_at
                FROM members_member m
                JOIN orgs_organization o ON o.id = m.org_id
                CROSS JOIN generate_series(1, %s) AS k
                WHERE o.path LIKE %s
                OFFSET 0
            ) g
            JOIN points_rule r ON r.id = g.rule_id
            """,
            [SOURCE, rule_ids, len(rule_ids), first, ENTRIES_PER_MEMBER, root.path + "%"],
        )
        for _, statement in indexes:
            cur.execute(statement)
    with connection.cursor() as cur:
        # VACUUM sets the visibility map, as autovacuum would on a live table: index-only scans need it.
        cur.execute("VACUUM (ANALYZE) points_entry")
        cur.execute("ANALYZE members_member")
        cur.execute("ANALYZE orgs_organization")


def drop_dataset() -> None:
    """Remove the benchmark's orgs, members and entries (the ledger's append-only trigger is bypassed for
    this session only, with session_replication_role)."""
    root = Organization.objects.filter(code=CODE).first()
    if root is None:
        return
    like = root.path + "%"
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute(
            "DELETE FROM points_entry e USING members_member m, orgs_organization o "
            "WHERE m.id = e.member_id AND o.id = m.org_id AND o.path LIKE %s",
            [like],
        )
        cur.execute(
            "DELETE FROM members_member m USING orgs_organization o WHERE o.id = m.org_id AND o.path LIKE %s",
            [like],
        )
        cur.execute("DELETE FROM orgs_organization WHERE path LIKE %s", [like])
    with connection.cursor() as cur:
        cur.execute("VACUUM points_entry")  # the space of the deleted rows is reused by the next load


def dataset_ready() -> bool:
    root = Organization.objects.filter(code=CODE).first()
    if root is None:
        return False
    members = Member.objects.under(root).count()
    entries = Entry.objects.filter(source_type=SOURCE).count()
    return members == MEMBERS and entries == MEMBERS * ENTRIES_PER_MEMBER


# --- timing -----------------------------------------------------------------------------------------


def timed(fn) -> float:
    fn()  # warm up
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


class Recorder:
    """Collects the (sql, params) the application sends, for EXPLAIN ANALYZE afterwards."""

    def __init__(self):
        self.statements: list[tuple[str, tuple]] = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, params))
        return execute(sql, params, many, context)


def explain(fn, names: list[str], full: bool = False) -> list[str]:
    """EXPLAIN ANALYZE of each statement `fn` sends: "name: Execution Time (JIT)" lines, or (full) the
    statements and their plans printed."""
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        fn()
    lines = []
    with connection.cursor() as cur:
        for i, (sql, params) in enumerate(recorder.statements):
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = [row[0] for row in cur.fetchall()]
            if full:
                print(sql % tuple(repr(p) for p in params) if params else sql)
                print("\n".join(plan), end="\n\n")
            total = next((x.strip() for x in plan if x.strip().startswith("Execution Time")), "?")
            jit = next((x.split("Total")[-1].strip() for x in plan if "Timing:" in x), None)
            name = names[i] if i < len(names) else f"statement {i + 1}"
            lines.append(f"{name}: {total}" + (f" (JIT {jit} of it)" if jit else ""))
    return lines


# The hand-written SQL of the same aggregates.
RANK_SQL = """
WITH totals AS (
    SELECT m.id, m.name, COALESCE(s.total, 0) AS total
    FROM members_member m
    JOIN orgs_organization o ON o.id = m.org_id
    LEFT JOIN (
        SELECT member_id, SUM(points) AS total FROM points_entry
        WHERE occurred_at >= %(begin)s AND occurred_at < %(stop)s GROUP BY member_id
    ) s ON s.member_id = m.id
    WHERE o.path LIKE %(like)s AND m.status = ANY(%(on_roll)s)
)
SELECT id, name, total, RANK() OVER (ORDER BY total DESC) AS rank, COUNT(*) OVER () AS count
FROM totals ORDER BY rank, name, id LIMIT %(page)s
"""
OWN_TOTAL_SQL = """
SELECT COALESCE(SUM(points), 0) FROM points_entry
WHERE member_id = %(member)s AND occurred_at >= %(begin)s AND occurred_at < %(stop)s
"""
AHEAD_SQL = """
SELECT COUNT(*) FILTER (WHERE COALESCE(s.total, 0) > %(total)s), COUNT(*)
FROM members_member m
JOIN orgs_organization o ON o.id = m.org_id
LEFT JOIN (
    SELECT member_id, SUM(points) AS total FROM points_entry
    WHERE occurred_at >= %(begin)s AND occurred_at < %(stop)s GROUP BY member_id
) s ON s.member_id = m.id
WHERE o.path LIKE %(like)s AND m.status = ANY(%(on_roll)s)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="drop and regenerate the dataset")
    parser.add_argument("--plans", action="store_true", help="print the full EXPLAIN ANALYZE plans")
    args = parser.parse_args()
    ensure_database()
    call_command("migrate", verbosity=0)
    if args.rebuild:
        print("dropping the points dataset ...", flush=True)
        drop_dataset()
    if not dataset_ready():
        drop_dataset()
        print("building 2,051 orgs and 100,000 members ...", flush=True)
        t0 = time.perf_counter()
        root = build_members()
        t1 = time.perf_counter()
        print(f"  {t1 - t0:.1f} s; 5,000,000 entries (INSERT ... SELECT, VACUUM ANALYZE) ...", flush=True)
        build_entries(root)
        t2 = time.perf_counter()
        print(f"  {t2 - t1:.1f} s; dataset built in {t2 - t0:.1f} s")
    root = Organization.objects.get(code=CODE)
    start, end = QUARTER
    begin, stop = rules.local_range(start, end)
    member = Member.objects.under(root).on_roll().order_by("pk")[MEMBERS // 2]
    params = {
        "begin": begin,
        "stop": stop,
        "like": root.path + "%",
        "on_roll": list(ON_ROLL),
        "page": PAGE,
        "member": member.pk,
    }

    def app_page():
        qs = selectors.ranked_members(root, start, end)
        count = qs.count()  # what Paginator.page() does: count, then the slice
        rows = list(qs[:PAGE])
        return count, [(m.pk, m.total, m.rank) for m in rows]

    def raw_page():
        with connection.cursor() as cur:
            cur.execute(RANK_SQL, params)
            rows = cur.fetchall()
        return rows[0][4] if rows else 0, [(r[0], r[2], r[3]) for r in rows]

    def app_rank():
        r = selectors.member_rank(member, root, start, end)
        return r.rank, r.total, r.count

    def raw_rank():
        with connection.cursor() as cur:
            cur.execute(OWN_TOTAL_SQL, params)
            total = cur.fetchone()[0]
            cur.execute(AHEAD_SQL, {**params, "total": total})
            ahead, count = cur.fetchone()
        return ahead + 1, total, count

    # Same answers both ways, or the comparison means nothing.
    assert app_page() == raw_page(), (app_page()[0], raw_page()[0], app_page()[1][:5], raw_page()[1][:5])
    assert app_rank() == raw_rank(), (app_rank(), raw_rank())

    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        db_size = cur.fetchone()[0]
        cur.execute("SELECT pg_size_pretty(pg_total_relation_size('points_entry'))")
        ledger_size = cur.fetchone()[0]
        cur.execute("SELECT version()")
        version = cur.fetchone()[0].split(" on ")[0]
    generated = Entry.objects.filter(source_type=SOURCE)
    n_entries = generated.count()
    in_quarter = generated.filter(occurred_at__gte=begin, occurred_at__lt=stop).count()
    count, _ = app_page()
    print(
        f"database: {version}; {MEMBERS:,} members ({count:,} on the roll), {n_entries:,} entries "
        f"({in_quarter:,} in {rules.period_label('quarter', start, end)}); size {db_size} "
        f"(points_entry with indexes {ledger_size}); median of {REPEAT} runs"
    )
    if args.plans:
        explain(app_page, [], full=True)
        explain(app_rank, [], full=True)
    cases = [
        (f"ranking page (count + first {PAGE})", app_page, raw_page, ["count", f"first {PAGE}"]),
        ("one member's rank", app_rank, raw_rank, ["own total", "members ahead and count"]),
    ]
    failed = False
    print(f"{'case':<36} {'zhibu ms':>9} {'raw ms':>9} {'ratio':>6}")
    for name, app_fn, raw_fn, _ in cases:
        a, r = timed(app_fn), timed(raw_fn)
        ok = a / r <= LIMIT
        failed |= not ok
        verdict = "PASS" if ok else "FAIL"
        print(f"{name:<36} {a * 1000:9.1f} {r * 1000:9.1f} {a / r:6.2f}  {verdict} (limit {LIMIT}x)")
    print("EXPLAIN ANALYZE of the app's statements:")
    for name, app_fn, _, statements in cases:
        for line in explain(app_fn, statements):
            print(f"  {name}: {line}")
    if failed:
        sys.exit(f"the application is slower than {LIMIT}x the raw SQL")


if __name__ == "__main__":
    main()
