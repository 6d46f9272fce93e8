"""Benchmark: importing a 10,000-row roster (.xlsx) — parse, validate, commit — vs. raw INSERTs.

    .venv/bin/python bench/import_members.py                       # scratch SQLite file in a temp dir
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhibu_bench .venv/bin/python bench/import_members.py

`make bench` runs it after bench/run.py. It writes a 10,000-row file (valid ID numbers, 20 branches,
half the members in a 党小组) into a temp dir and times Zhibu's three phases for the 党委's org admin:
`excel.read_upload` (parse), `excel.validate_sheet` (every check, bulk lookups) and `excel.commit_import`
(one transaction: bulk inserts of members and their 批量导入 events, one audit entry). The baseline is the
database alone: the same 10,000 member rows inserted with executemany of a plain INSERT in one
transaction (printed alone, and with the 10,000 event rows the commit also writes). The issue's limit
is 30 s for validate + commit of 10,000 rows; the script exits 1 above it.

On SQLite every run uses a fresh database file in a temp dir. On PostgreSQL (BENCH_DATABASE_URL, e.g.
the database bench/run.py uses) everything runs in one outer transaction that is rolled back at the end,
so nothing is left behind; the commit phase then ends at a savepoint instead of a COMMIT.
"""

import atexit
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TMP = Path(tempfile.mkdtemp(prefix="zhibu-bench-import-"))
atexit.register(shutil.rmtree, TMP, ignore_errors=True)
os.environ["ZHIBU_VAR_DIR"] = str(TMP)
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{TMP / 'import.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhibu.settings")
sys.path.insert(0, str(ROOT / "src"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from zhibu.accounts.models import Role, RoleAssignment, User  # noqa: E402
from zhibu.members import excel  # noqa: E402
from zhibu.members.models import Member, MemberEvent  # noqa: E402
from zhibu.members.rules import id_check_digit  # noqa: E402
from zhibu.orgs import services as org_services  # noqa: E402

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "10000"))
BRANCHES = 20
LIMIT_S = 30.0
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文"


def build_orgs(tag: str):
    root = org_services.create_org(
        None, parent=None, name="导入基准党委", code=f"IB{tag}", org_type="committee"
    )
    branches, groups = [], []
    for b in range(BRANCHES):
        branch = org_services.create_org(
            None, parent=root, name=f"导入基准支部{b}", code=f"IB{tag}-{b}", org_type="branch"
        )
        branches.append(branch)
        groups.append(
            org_services.create_org(
                None, parent=branch, name=f"第{b}党小组", code=f"IB{tag}-{b}-1", org_type="group"
            )
        )
    user = User.objects.create(username=f"bench-import-{tag}", real_name="导入基准")
    RoleAssignment.objects.create(user=user, org=root, role=Role.ORG_ADMIN)
    return user, branches, groups


def person(i: int, region: str, rng: random.Random) -> tuple[str, dt.date, str]:
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=i % 18000)
    first17 = f"{region}{birth:%Y%m%d}{(i // 18000) * 2 + rng.randint(0, 1):03d}"
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
    return first17 + id_check_digit(first17), birth, name


def write_file(path: Path, region: str, branches, groups) -> None:
    rng = random.Random(7)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(excel.SHEET_TITLE)
    ws.append([c.header for c in excel.COLUMNS])
    today = dt.date.today()
    for i in range(ROWS):
        number, birth, name = person(i, region, rng)
        joined = birth + dt.timedelta(days=365 * 18 + 10 + rng.randint(0, 365 * 30))
        if joined > today - dt.timedelta(days=400):
            joined = today - dt.timedelta(days=400)
        probationary = i % 9 == 0
        b = i % BRANCHES
        row = {
            "name": name,
            "id_number": number,
            "ethnicity": "汉族" if i % 10 else "回族",
            "birth_date": birth if i % 3 == 0 else None,
            "native_place": "江苏南京",
            "education": "大学本科" if i % 2 else "研究生",
            "degree": "学士" if i % 2 else "硕士",
            "joined_on": joined if i % 2 else joined.strftime("%Y/%m/%d"),  # real dates and text dates
            "converted_on": None if probationary else (joined + dt.timedelta(days=366)).isoformat(),
            "category": "预备党员" if probationary else "正式党员",
            "org_code": branches[b].code,
            "group_code": groups[b].code if i % 2 else None,
            "employment": "在职" if i % 5 else "离退休",
            "work_unit": "某某集团有限公司",
            "work_post": "工程师",
            "mobile": f"139{i:08d}",
            "address": "南京市玄武区某某路1号",
            "hardship": "否",
            "veteran": "是" if birth.year < 1960 else "否",
        }
        ws.append([row.get(c.key) for c in excel.COLUMNS])
    wb.save(path)


def raw_insert(members: list[Member], prefix: str) -> tuple[float, float]:
    """The same rows written by the database alone, in one transaction: executemany of a plain INSERT for
    the members, then (looked up by their ID prefix) executemany for their events.

    Returns (seconds for the members, seconds for members and events).
    """
    fields = [f for f in Member._meta.concrete_fields if not f.primary_key]
    now, today = timezone.now(), timezone.localdate()
    params = []
    for m in members:
        m.created_at = m.updated_at = now
        params.append([f.get_db_prep_save(getattr(m, f.attname), connection) for f in fields])
    qn = connection.ops.quote_name
    member_sql = (
        f"INSERT INTO {Member._meta.db_table} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    event_sql = (
        f"INSERT INTO {MemberEvent._meta.db_table} (member_id, kind, occurred_on, reason, data, org_id, "
        "recorded_by_id, recorded_at) VALUES (%s, %s, %s, %s, %s, %s, NULL, %s)"
    )
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(member_sql, params)
        members_done = time.perf_counter()
        cursor.execute(
            f"SELECT id, org_id FROM {Member._meta.db_table} WHERE id_number LIKE %s", [prefix + "%"]
        )
        day = connection.ops.adapt_datefield_value(today)
        stamp = connection.ops.adapt_datetimefield_value(now)
        events = [
            (pk, "imported", day, "花名册批量导入", '{"row": 0}', org_id, stamp)
            for pk, org_id in cursor.fetchall()
        ]
        cursor.executemany(event_sql, events)
    return members_done - start, time.perf_counter() - start


def run(tag: str) -> float:
    user, branches, groups = build_orgs(tag)
    region = f"{random.Random(tag).randint(110000, 659999)}"
    path = TMP / "roster.xlsx"
    write_file(path, region, branches, groups)
    size = path.stat().st_size

    t0 = time.perf_counter()
    sheet = excel.read_upload(str(path))
    t1 = time.perf_counter()
    report = excel.validate_sheet(user, sheet)
    t2 = time.perf_counter()
    if not report.ok:
        sys.exit(f"generated file has errors: {[str(e) for e in report.errors[:5]]}")
    created = excel.commit_import(user, report)
    t3 = time.perf_counter()
    assert len(created) == ROWS

    # Baseline: the same rows with another region code (the ID numbers are unique).
    other = f"{(int(region) + 1) % 1000000:06d}"
    baseline = []
    for row in report.rows:
        fields = {k: row.fields[k] for k in excel.MEMBER_FIELDS if k in row.fields}
        fields["id_number"] = other + fields["id_number"][6:17]
        fields["id_number"] += id_check_digit(fields["id_number"])
        baseline.append(Member(**fields, org_id=row.org.pk, group_id=row.group.pk if row.group else None))
    raw_members, raw = raw_insert(baseline, other)

    parse, validate, commit = t1 - t0, t2 - t1, t3 - t2
    total = t3 - t0
    mb = size / 1024 / 1024
    print(f"database: {connection.vendor}; {ROWS:,} rows, {mb:.1f} MB .xlsx, {BRANCHES} branches")
    print(f"{'phase':<46} {'seconds':>8}")
    print(f"{'parse (read the .xlsx)':<46} {parse:8.2f}")
    print(f"{'validate (all checks, bulk lookups)':<46} {validate:8.2f}")
    print(f"{'commit (members + events + audit, 1 tx)':<46} {commit:8.2f}")
    print(f"{'total':<46} {total:8.2f}   (limit {LIMIT_S:.0f} s)")
    print(f"{'raw: executemany INSERT, members only':<46} {raw_members:8.2f}")
    print(f"{'raw: executemany INSERT, members + events':<46} {raw:8.2f}")
    print(f"{'commit / raw (members + events)':<46} {commit / raw:8.1f}x")
    return total


def main() -> None:
    call_command("migrate", verbosity=0)
    tag = f"{os.getpid() % 100000}{int(time.time()) % 100000}"
    if connection.vendor == "postgresql":
        with transaction.atomic():
            total = run(tag)
            transaction.set_rollback(True)  # leave the shared benchmark database as it was
    else:
        total = run(tag)
    if total > LIMIT_S:
        sys.exit(f"import of {ROWS:,} rows took {total:.1f} s, over the {LIMIT_S:.0f} s limit")


if __name__ == "__main__":
    main()
