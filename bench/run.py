"""Benchmark: org-tree aggregates through Zhibu's selectors vs. the same SQL run raw.

    make bench                                  # SQLite scratch file under var/bench/
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhibu_bench make bench   # a scratch PostgreSQL db

Builds a synthetic organization (1 党委, 20 党总支, 2,000 党支部, 100,000 members) once per database, then
times each read several times and prints the median for the app and for the raw SQL, and their ratio.
The raw side runs the same statements the selector needs (e.g. the children list and the grouped count),
so the ratio is the ORM's and Python's overhead. The scope case includes the user's role lookup.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("ZHIBU_VAR_DIR", str(ROOT / "var" / "bench"))
Path(os.environ["ZHIBU_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", f"sqlite:///{Path(os.environ['ZHIBU_VAR_DIR']) / 'bench.sqlite3'}"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhibu.settings")
sys.path.insert(0, str(ROOT / "src"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from zhibu.accounts.models import Role, RoleAssignment, User  # noqa: E402
from zhibu.members.models import Member  # noqa: E402
from zhibu.orgs import selectors  # noqa: E402
from zhibu.orgs.models import Organization  # noqa: E402

GENERAL_BRANCHES, BRANCHES_PER_GB, MEMBERS_PER_BRANCH = 20, 100, 50
REPEAT = 7


def seg(i: int) -> str:
    alphabet = Organization.alphabet
    out = ""
    for _ in range(Organization.steplen):
        i, r = divmod(i, len(alphabet))
        out = alphabet[r] + out
    return out


@transaction.atomic
def build() -> None:
    root = Organization(
        path=seg(1), depth=1, numchild=GENERAL_BRANCHES, name="基准党委", code="B", org_type="committee"
    )
    orgs = [root]
    for g in range(GENERAL_BRANCHES):
        gpath = root.path + seg(g + 1)
        orgs.append(
            Organization(
                path=gpath,
                depth=2,
                numchild=BRANCHES_PER_GB,
                name=f"总支{g}",
                code=f"B-{g}",
                org_type="general_branch",
            )
        )
        for b in range(BRANCHES_PER_GB):
            orgs.append(
                Organization(
                    path=gpath + seg(b + 1),
                    depth=3,
                    numchild=0,
                    name=f"支部{g}-{b}",
                    code=f"B-{g}-{b}",
                    org_type="branch",
                )
            )
    Organization.objects.bulk_create(orgs, batch_size=2000)
    branch_ids = list(Organization.objects.filter(org_type="branch").values_list("id", flat=True))
    members = [
        Member(
            name=f"党员{i}",
            gender="male" if i % 2 else "female",
            org_id=branch_ids[i % len(branch_ids)],
            category="full" if i % 9 else "probationary",
            status="normal" if i % 23 else "mobile",
        )
        for i in range(len(branch_ids) * MEMBERS_PER_BRANCH)
    ]
    Member.objects.bulk_create(members, batch_size=5000)
    user = User.objects.create(username="bench", real_name="基准")
    RoleAssignment.objects.create(user=user, org=Organization.objects.get(code="B"), role=Role.ORG_ADMIN)


def timed(fn) -> float:
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def raw(sql: str, params: list, *more: tuple[str, list]):
    """The same work as raw SQL: one or more statements, all rows fetched."""

    def run():
        with connection.cursor() as cur:
            for statement, args in [(sql, params), *more]:
                cur.execute(statement, args)
                cur.fetchall()

    return run


CHILDREN_SQL = (
    "SELECT * FROM orgs_organization WHERE path > %s AND path < %s AND depth = %s AND status = 'active'"
)


def children_sql(org) -> tuple[str, list]:
    return CHILDREN_SQL, [org.path, org.path + "ZZZZ", org.depth + 1]


def main() -> None:
    call_command("migrate", verbosity=0)
    if not Organization.objects.filter(code="B").exists():
        print("building synthetic organization ...", flush=True)
        t = time.perf_counter()
        build()
        print(f"  built in {time.perf_counter() - t:.1f} s")
    root = Organization.objects.get(code="B")
    gb = Organization.objects.get(code="B-7")
    user = User.objects.get(username="bench")
    n_orgs, n_members = Organization.objects.count(), Member.objects.count()
    like = root.path + "%"
    on_roll = ("normal", "mobile", "lost")
    cases = [
        (
            "members under the 党委 (count, full count)",
            lambda: selectors.member_counts(root),
            raw(
                "SELECT COUNT(m.id), COUNT(m.id) FILTER (WHERE m.category = 'full') FROM members_member m "
                "JOIN orgs_organization o ON o.id = m.org_id "
                "WHERE o.path LIKE %s AND m.status IN (%s, %s, %s)",
                [like, *on_roll],
            ),
        ),
        (
            "children of the 党委 with subtree counts",
            lambda: selectors.children_with_counts(root),
            raw(
                "SELECT SUBSTR(COALESCE(g.path, o.path), 1, 8), COUNT(m.id), "
                "COUNT(m.id) FILTER (WHERE m.category = 'full') FROM members_member m "
                "JOIN orgs_organization o ON o.id = m.org_id "
                "LEFT JOIN orgs_organization g ON g.id = m.group_id "
                "WHERE o.path LIKE %s AND m.status IN (%s, %s, %s) GROUP BY 1",
                [like, *on_roll],
                children_sql(root),
            ),
        ),
        (
            "children of one 党总支 with subtree counts",
            lambda: selectors.children_with_counts(gb),
            raw(
                "SELECT SUBSTR(COALESCE(g.path, o.path), 1, 12), COUNT(m.id), "
                "COUNT(m.id) FILTER (WHERE m.category = 'full') FROM members_member m "
                "JOIN orgs_organization o ON o.id = m.org_id "
                "LEFT JOIN orgs_organization g ON g.id = m.group_id "
                "WHERE o.path LIKE %s AND m.status IN (%s, %s, %s) GROUP BY 1",
                [gb.path + "%", *on_roll],
                children_sql(gb),
            ),
        ),
        (
            "orgs in a user's scope (count)",
            lambda: (user.__dict__.pop("_zhibu_grants", None), selectors.visible_orgs(user).count()),
            raw(
                "SELECT COUNT(*) FROM orgs_organization WHERE path LIKE ANY (SELECT o.path || '%%' FROM "
                "accounts_roleassignment r JOIN orgs_organization o ON o.id = r.org_id WHERE r.user_id = %s "
                "AND r.revoked_at IS NULL)"
                if connection.vendor == "postgresql"
                else "SELECT COUNT(*) FROM orgs_organization x WHERE EXISTS ("
                "SELECT 1 FROM accounts_roleassignment r "
                "JOIN orgs_organization o ON o.id = r.org_id WHERE r.user_id = %s AND r.revoked_at IS NULL "
                "AND x.path LIKE o.path || '%%')",
                [user.pk],
            ),
        ),
    ]
    print(f"database: {connection.vendor}; {n_orgs:,} orgs, {n_members:,} members; median of {REPEAT} runs")
    print(f"{'case':<45} {'zhibu ms':>9} {'raw ms':>9} {'ratio':>6}")
    for name, app_fn, raw_fn in cases:
        app_fn(), raw_fn()  # warm up
        a, r = timed(app_fn), timed(raw_fn)
        print(f"{name:<45} {a * 1000:9.2f} {r * 1000:9.2f} {a / r:6.2f}")


if __name__ == "__main__":
    main()
