"""Roster Excel (花名册): the import template, reading and validating an upload, committing it, exports.

Import is validate-first and all-or-nothing: `read_upload` turns the file into rows (file-level problems
raise a ValidationError with a Chinese message), `validate_sheet` collects every problem of every row
(with the Excel row number and column name) using a fixed number of queries, and `commit_import` writes
all rows in one transaction with bulk inserts, or nothing. Between preview and commit the upload is kept
under MEDIA_ROOT/imports/<token>.xlsx (`stash_upload` / `claim_stash`); claiming renames the file, so a
second concurrent commit finds nothing to claim.
"""

import datetime as dt
import io
import os
import re
import secrets
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from zhibu.accounts.models import mobile_validator
from zhibu.core import access, audit
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError, fail
from zhibu.core.masking import mask_id_number, mask_phone
from zhibu.core.models import AuditAction
from zhibu.members.models import (
    ETHNICITIES,
    Category,
    Degree,
    Education,
    Employment,
    EventKind,
    Gender,
    Member,
    MemberEvent,
)
from zhibu.members.rules import birth_date_from_id, gender_from_id, id_number_error
from zhibu.orgs.models import Organization, OrgStatus, OrgType
from zhibu.orgs.rules import add_years

MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024
SHEET_TITLE = "党员花名册"
EXAMPLE_PREFIX = "示例"  # rows whose 姓名 starts with this are the template's example and are skipped
CHUNK = 500  # values per IN (...) lookup: well under SQLite's and PostgreSQL's parameter limits
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

YES, NO = "是", "否"
FLAG_VALUES = {YES: True, NO: False, "Y": True, "N": False, "1": True, "0": False}
FLAG_VALUES |= {"TRUE": True, "FALSE": False}


@dataclass(frozen=True)
class Column:
    key: str  # Member field, or org_code / group_code
    title: str  # header without the required mark
    kind: str  # text, id, date, choice, flag, code, mobile
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    aliases: tuple[tuple[str, str], ...] = ()  # (other spelling, value)
    max_length: int = 0
    width: int = 12
    note: str = ""

    @property
    def header(self) -> str:
        return f"{self.title}*" if self.required else self.title

    @cached_property
    def lookup(self) -> dict[str, str]:
        table = {label: value for value, label in self.choices}
        table.update(self.aliases)
        return table


def _choices(text_choices) -> tuple[tuple[str, str], ...]:
    return tuple((str(value), str(label)) for value, label in text_choices.choices)


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", "text", True, max_length=50, width=10, note="与身份证一致"),
    Column(
        "id_number",
        "身份证号",
        "id",
        True,
        width=22,
        note="18位，末位可为X；请以文本格式填写（本列已设为文本），出生日期和性别将从身份证号中读取",
    ),
    Column(
        "gender", "性别", "choice", choices=_choices(Gender), aliases=(("男性", "male"), ("女性", "female"))
    ),
    Column(
        "ethnicity",
        "民族",
        "choice",
        choices=tuple(ETHNICITIES),
        aliases=tuple((label[:-1], code) for code, label in ETHNICITIES)
        + tuple((code, code) for code, _ in ETHNICITIES),
        width=10,
        note="56个民族之一，不填默认为汉族",
    ),
    Column("birth_date", "出生日期", "date", width=12, note="可不填；填写时须与身份证号一致"),
    Column("native_place", "籍贯", "text", max_length=50, width=14),
    Column(
        "education",
        "学历",
        "choice",
        choices=_choices(Education),
        aliases=(
            ("本科", "bachelor"),
            ("大学", "bachelor"),
            ("专科", "college"),
            ("大专", "college"),
            ("中专", "secondary"),
            ("中技", "secondary"),
            ("博士研究生", "postgraduate"),
            ("硕士研究生", "postgraduate"),
            ("初中", "junior"),
            ("小学", "junior"),
        ),
    ),
    Column("degree", "学位", "choice", choices=_choices(Degree), width=8),
    Column("joined_on", "入党日期", "date", True, width=12, note="须年满18周岁以后，不能晚于今天"),
    Column("converted_on", "转正日期", "date", width=12, note="预备党员不填"),
    Column(
        "category",
        "党员类别",
        "choice",
        True,
        choices=_choices(Category),
        aliases=(("正式", "full"), ("预备", "probationary")),
    ),
    Column(
        "org_code",
        "所在支部(组织代码)",
        "code",
        True,
        width=18,
        note="党支部的组织代码（见本表下方或组织页面），须在您的管理范围内",
    ),
    Column("group_code", "党小组(组织代码)", "code", width=16, note="可不填；须是所在支部下的党小组"),
    Column("employment", "人员类别", "choice", choices=_choices(Employment), note="不填默认为在职"),
    Column("work_unit", "工作单位", "text", max_length=100, width=20),
    Column("work_post", "工作岗位/职务", "text", max_length=100, width=16),
    Column("mobile", "手机号", "mobile", width=14, note="11位手机号码"),
    Column("address", "家庭住址", "text", max_length=200, width=24),
    Column("party_posts", "党内职务", "text", max_length=100, width=14, note="如：支部书记、组织委员"),
    Column("hardship", "困难党员", "flag", choices=(("1", YES), ("", NO)), width=10, note="是/否，不填为否"),
    Column("veteran", "老党员", "flag", choices=(("1", YES), ("", NO)), width=8, note="是/否，不填为否"),
)
BY_KEY = {c.key: c for c in COLUMNS}
TEXT_COLUMNS = {"id_number", "mobile", "org_code", "group_code"}  # formatted as text in the template


def _norm_header(value) -> str:
    text = unicodedata.normalize("NFKC", str(value or ""))
    return re.sub(r"[\s*]", "", text)


HEADER_LOOKUP = {_norm_header(c.title): c for c in COLUMNS} | {
    "所在支部": BY_KEY["org_code"],
    "支部代码": BY_KEY["org_code"],
    "组织代码": BY_KEY["org_code"],
    "党小组": BY_KEY["group_code"],
    "党小组代码": BY_KEY["group_code"],
    "工作岗位": BY_KEY["work_post"],
    "职务": BY_KEY["work_post"],
    "手机": BY_KEY["mobile"],
    "手机号码": BY_KEY["mobile"],
    "公民身份号码": BY_KEY["id_number"],
    "身份证号码": BY_KEY["id_number"],
}


# --- Reading an upload ------------------------------------------------------------------------------


@dataclass
class Sheet:
    """The data rows of an upload: (Excel row number, {column key: cell value})."""

    filename: str
    rows: list[tuple[int, dict[str, object]]]


def read_upload(upload, filename: str = "") -> Sheet:
    """Read an uploaded .xlsx (file object or path); file-level problems raise a Chinese ValidationError."""
    if isinstance(upload, str | Path):
        with open(upload, "rb") as handle:
            return read_upload(handle, filename or os.path.basename(str(upload)))
    name = os.path.basename(str(filename or getattr(upload, "name", "") or ""))
    size = getattr(upload, "size", None)
    if size is None and hasattr(upload, "seek"):
        size = upload.seek(0, os.SEEK_END)
    if size is not None and size > MAX_BYTES:
        fail(f"文件过大：不能超过{MAX_BYTES // 1024 // 1024}MB，请分批导入", "file")
    if name and not name.lower().endswith(".xlsx"):
        fail("请上传 .xlsx 格式的Excel文件（不支持 .xls、.csv 等格式，可在Excel中“另存为”.xlsx）", "file")
    try:
        upload.seek(0)
        if not zipfile.is_zipfile(upload):
            raise ValueError("not a zip")
        upload.seek(0)
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for damaged files
        fail("文件无法读取：文件已损坏或不是有效的 .xlsx 文件，请用导入模板重新填写后上传", "file")
    try:
        sheet = workbook[SHEET_TITLE] if SHEET_TITLE in workbook.sheetnames else workbook.worksheets[0]
        return Sheet(name, _read_rows(sheet))
    except ValidationError:
        raise
    except Exception:
        fail("文件无法读取：文件已损坏或不是有效的 .xlsx 文件，请用导入模板重新填写后上传", "file")
    finally:
        workbook.close()


def _read_rows(sheet) -> list[tuple[int, dict[str, object]]]:
    header = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), None) or ()
    columns: dict[int, Column] = {}
    for index, title in enumerate(header):
        column = HEADER_LOOKUP.get(_norm_header(title))
        if column is not None and column not in columns.values():
            columns[index] = column
    missing = [c.header for c in COLUMNS if c.required and c not in columns.values()]
    if missing:
        fail(
            f"第1行表头缺少必填列：{'、'.join(missing)}。请使用“下载导入模板”得到的文件填写，不要修改表头",
            "file",
        )
    out: list[tuple[int, dict[str, object]]] = []
    rows = sheet.iter_rows(min_row=2, max_col=max(columns) + 1, values_only=True)
    for number, values in enumerate(rows, start=2):
        record = {}
        for index, column in columns.items():
            value = values[index] if index < len(values) else None
            if isinstance(value, str) and not value.strip():
                value = None
            record[column.key] = value
        if all(v is None for v in record.values()):
            continue
        if str(record.get("name") or "").strip().startswith(EXAMPLE_PREFIX):
            continue
        if len(out) >= MAX_ROWS:
            fail(f"数据超过{MAX_ROWS}行：请分成多个文件导入", "file")
        out.append((number, record))
    if not out:
        fail("文件中没有党员数据：请从第2行开始填写（示例行会被忽略）", "file")
    return out


# --- Cell parsing -----------------------------------------------------------------------------------

_DATE_RE = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:\s+0{1,2}:0{2}(?::0{2})?)?$")
_DATE_CN_RE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$")


def display(value) -> str:
    """A cell value as the user typed it, for previews and the error report."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d}" if value.time() == dt.time() else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _text(value) -> str:
    return unicodedata.normalize("NFKC", display(value)).strip()


def parse_date(value) -> tuple[dt.date | None, str | None]:
    """(date, None), (None, Chinese error) or (None, None) when blank.

    Accepts real Excel dates and text YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or YYYY年M月D日.
    """
    if value is None:
        return None, None
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    text = _text(value)
    if not text:
        return None, None
    match = _DATE_RE.match(text)
    parts = (match.group(1), match.group(3), match.group(4)) if match else None
    if parts is None and (match := _DATE_CN_RE.match(text)):
        parts = match.groups()
    if parts is None:
        return None, f"“{text}”不是日期，请按YYYY-MM-DD填写，如2021-07-01"
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2])), None
    except ValueError:
        return None, f"“{text}”不是有效日期（该日不存在）"


def normalize_id(value) -> tuple[str, bool]:
    """(ID number text, whether the cell was numeric): leading apostrophes and spaces dropped, x → X."""
    if isinstance(value, bool):
        return str(value), False
    if isinstance(value, int):
        return str(value), True
    if isinstance(value, float):
        return (str(int(value)) if value.is_integer() else str(value)), True
    text = unicodedata.normalize("NFKC", str(value))
    text = re.sub(r"\s+", "", text).lstrip("'‘’`")
    return text.upper(), False


# --- Validation -------------------------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"第{self.row}行 {self.column}：{self.message}"


@dataclass
class ImportRow:
    number: int  # Excel row number
    raw: dict[str, object]
    fields: dict[str, object] = field(default_factory=dict)  # Member field values
    org_code: str = ""
    group_code: str = ""
    errors: list[RowError] = field(default_factory=list)

    def error(self, key: str, message: str) -> None:
        column = BY_KEY[key].header if key in BY_KEY else key
        self.errors.append(RowError(self.number, column, message))

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def org(self):
        return self.fields.get("org")

    @property
    def group(self):
        return self.fields.get("group")

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.fields.get("id_number") or "")

    def label(self, key: str) -> str:
        """The display label of a choice field's cleaned value."""
        value = self.fields.get(key)
        return {v: label for v, label in BY_KEY[key].choices}.get(value, "")

    @property
    def gender_label(self) -> str:
        return self.label("gender")

    @property
    def category_label(self) -> str:
        return self.label("category")


@dataclass
class ImportReport:
    filename: str
    rows: list[ImportRow]
    scope_org_id: int | None = None

    @cached_property
    def errors(self) -> list[RowError]:
        return [e for row in self.rows for e in row.errors]

    @property
    def total(self) -> int:
        return len(self.rows)

    @cached_property
    def valid_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.ok]

    @property
    def error_row_count(self) -> int:
        return self.total - len(self.valid_rows)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors


def check_row(number: int, raw: dict[str, object], today: dt.date) -> ImportRow:
    """Everything that can be checked on one row alone (no database): formats, dates, ID, choices."""
    row = ImportRow(number, raw)
    f = row.fields
    for column in COLUMNS:
        value = raw.get(column.key)
        blank = value is None or _text(value) == ""
        if blank:
            if column.required:
                row.error(column.key, "必填，不能为空")
            continue
        if column.kind == "text":
            text = _text(value)
            if column.max_length and len(text) > column.max_length:
                row.error(column.key, f"不能超过{column.max_length}个字（现有{len(text)}个字）")
            f[column.key] = text
        elif column.kind == "id":
            _check_id(row, value)
        elif column.kind == "date":
            day, problem = parse_date(value)
            if problem:
                row.error(column.key, problem)
            f[column.key] = day
        elif column.kind in ("choice", "flag"):
            text = _text(value)
            if column.kind == "flag":
                flag = FLAG_VALUES.get(text.upper())
                if flag is None:
                    row.error(column.key, f"“{text}”无效，请填写“是”或“否”")
                f[column.key] = bool(flag)
            elif text in column.lookup:
                f[column.key] = column.lookup[text]
            else:
                row.error(column.key, f"“{text}”不在可选范围内，请从下拉列表中选择")
        elif column.kind == "code":
            setattr(row, column.key, _text(value))
        elif column.kind == "mobile":
            mobile = re.sub(r"[\s-]", "", _text(value))
            try:
                mobile_validator(mobile)
            except ValidationError:
                row.error(column.key, f"“{display(value)}”不是有效的11位手机号码")
            f[column.key] = mobile
    _check_consistency(row, today)
    return row


def _check_id(row: ImportRow, value) -> None:
    number, numeric = normalize_id(value)
    row.fields["id_number"] = number
    problem = id_number_error(number)
    if problem and numeric:
        problem += "（该单元格是数字格式，Excel会丢失18位号码的末几位，请把本列设为文本后重新填写）"
    if problem:
        row.error("id_number", problem)


def _check_consistency(row: ImportRow, today: dt.date) -> None:
    f = row.fields
    id_number = f.get("id_number") or ""
    id_ok = "id_number" in f and not any(e.column == BY_KEY["id_number"].header for e in row.errors)
    if id_ok:
        born, gender = birth_date_from_id(id_number), gender_from_id(id_number)
        if f.get("birth_date") and f["birth_date"] != born:
            row.error("birth_date", f"与身份证号中的出生日期（{born:%Y-%m-%d}）不一致")
        if f.get("gender") and f["gender"] != gender:
            row.error("gender", f"与身份证号不一致（身份证号显示为{Gender(gender).label}）")
        f["birth_date"], f["gender"] = born, gender
    born, joined, converted = f.get("birth_date"), f.get("joined_on"), f.get("converted_on")
    if joined:
        if joined > today:
            row.error("joined_on", "入党日期不能晚于今天")
        elif born and joined < add_years(born, 18):
            row.error("joined_on", f"入党日期早于年满18周岁的日期（{add_years(born, 18):%Y-%m-%d}）")
    if converted:
        if f.get("category") == Category.PROBATIONARY:
            row.error("converted_on", "党员类别为预备党员时不能填写转正日期")
        elif converted > today:
            row.error("converted_on", "转正日期不能晚于今天")
        elif joined and converted < joined:
            row.error("converted_on", "转正日期不能早于入党日期")
    f.setdefault("ethnicity", "01")
    f.setdefault("employment", Employment.EMPLOYED.value)
    f.setdefault("degree", "")
    f.setdefault("education", "")


UNKNOWN_BRANCH = "所在支部代码不存在或不在您的管理范围内"


def validate_sheet(user, sheet: Sheet, *, org: Organization | None = None, today=None) -> ImportReport:
    """All problems of all rows; a constant number of queries, whatever the row count (chunks of 500).

    `org` limits the import to that org's subtree; without it, the user's member.manage scope.
    A branch outside the scope gets the same message as an unknown code (its existence is not revealed).
    """
    if org is not None:
        access.require(user, Perm.MEMBER_MANAGE, org)
    today = today or timezone.localdate()
    rows = [check_row(number, raw, today) for number, raw in sheet.rows]
    _check_file_duplicates(rows)
    _check_orgs(user, rows, org)
    _check_existing_ids(rows)
    for row in rows:
        row.errors.sort(
            key=lambda e: [c.header for c in COLUMNS].index(e.column) if e.column in _HEADERS else 99
        )
    return ImportReport(sheet.filename, rows, org.pk if org else None)


_HEADERS = {c.header for c in COLUMNS}


def _check_file_duplicates(rows: list[ImportRow]) -> None:
    seen: dict[str, list[ImportRow]] = {}
    for row in rows:
        number = row.fields.get("id_number")
        if number and len(number) == 18:
            seen.setdefault(number, []).append(row)
    for same in seen.values():
        if len(same) > 1:
            for row in same:
                others = "、".join(str(o.number) for o in same if o is not row)
                row.error("id_number", f"身份证号与第{others}行重复")


def _scope_paths(user, org) -> list[str]:
    if user is None:
        return [org.path] if org is not None else [""]
    paths = access.roots(user, Perm.MEMBER_MANAGE)
    if org is not None:
        paths = [org.path] if any(org.path.startswith(p) for p in paths) else []
    return paths


def _check_orgs(user, rows: list[ImportRow], org) -> None:
    codes = sorted({c for row in rows for c in (row.org_code, row.group_code) if c})
    found: dict[str, Organization] = {}
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start : start + CHUNK]
        found.update(
            (o.code, o)
            for o in Organization.objects.filter(code__in=chunk).only(
                "id", "path", "depth", "code", "name", "org_type", "status"
            )
        )
    roots = _scope_paths(user, org)
    step = Organization.steplen
    for row in rows:
        if not row.org_code:
            continue
        branch = found.get(row.org_code)
        if branch is None or not any(branch.path.startswith(p) for p in roots):
            row.error("org_code", UNKNOWN_BRANCH)
            continue
        if branch.org_type != OrgType.BRANCH:
            row.error("org_code", f"“{branch.name}”不是党支部：党员须登记在党支部（党小组填在“党小组”列）")
            continue
        if branch.status != OrgStatus.ACTIVE:
            row.error("org_code", f"“{branch.name}”已撤销，不能再登记党员")
            continue
        row.fields["org"] = branch
        if row.group_code:
            group = found.get(row.group_code)
            if (
                group is None
                or group.org_type != OrgType.GROUP
                or group.path[:-step] != branch.path
                or group.status != OrgStatus.ACTIVE
            ):
                row.error("group_code", f"党小组代码不存在或不属于所在支部“{branch.name}”")
            else:
                row.fields["group"] = group


def _check_existing_ids(rows: list[ImportRow]) -> None:
    wanted: set[str] = set()
    for row in rows:
        number = row.fields.get("id_number")
        if number and len(number) == 18:
            wanted.add(number)
            if number.endswith("X"):
                wanted.add(number[:-1] + "x")
    wanted_list = sorted(wanted)
    existing: set[str] = set()
    for start in range(0, len(wanted_list), CHUNK):
        chunk = wanted_list[start : start + CHUNK]
        existing.update(
            n.upper() for n in Member.objects.filter(id_number__in=chunk).values_list("id_number", flat=True)
        )
    for row in rows:
        if row.fields.get("id_number") in existing:
            row.error("id_number", "该身份证号已登记在系统中，不能重复导入")


# --- Commit -----------------------------------------------------------------------------------------

MEMBER_FIELDS = [c.key for c in COLUMNS if c.key not in ("org_code", "group_code")]


def common_org_id(paths: list[str]) -> int | None:
    """Id of the deepest org above (or equal to) all given org paths, for the audit entry's scope."""
    if not paths:
        return None
    step, prefix = Organization.steplen, min(paths, key=len)
    while prefix and not all(p.startswith(prefix) for p in paths):
        prefix = prefix[:-step]
    if not prefix:
        return None
    return Organization.objects.filter(path=prefix).values_list("id", flat=True).first()


def commit_import(user, report: ImportReport) -> list[Member]:
    """Write every row of a clean report, or nothing: members, one 批量导入 event each, one audit entry.

    The unique ID-number constraint is the backstop against a concurrent import of the same people.
    """
    if not report.ok:
        fail(f"导入文件中有{len(report.errors)}处错误，已全部取消导入，请修改后重新上传")
    try:
        return _write(user, report)
    except IntegrityError:
        fail("导入失败：部分身份证号已被其他人同时登记到系统中，未导入任何数据，请重新上传核对")


@transaction.atomic
def _write(user, report: ImportReport) -> list[Member]:
    is_user = user is not None and getattr(user, "is_authenticated", False)
    today = timezone.localdate()
    orgs = {row.org.pk: row.org for row in report.rows}
    for branch in orgs.values():  # the scope may have changed between preview and commit
        access.require(user, Perm.MEMBER_MANAGE, branch)
    members = []
    for row in report.rows:
        f = row.fields
        members.append(
            Member(
                **{k: f[k] for k in MEMBER_FIELDS if k in f},
                org_id=row.org.pk,
                group_id=row.group.pk if row.group else None,
            )
        )
    Member.objects.bulk_create(members, batch_size=1000)
    MemberEvent.objects.bulk_create(
        [
            MemberEvent(
                member=m,
                kind=EventKind.IMPORTED,
                occurred_on=today,
                reason=f"花名册批量导入（{report.filename}）"[:300],
                data={"file": report.filename, "row": row.number},
                org_id=m.org_id,
                recorded_by=user if is_user else None,
            )
            for m, row in zip(members, report.rows, strict=True)
        ],
        batch_size=2000,
    )
    org_ids = sorted(orgs)
    audit.record(
        user,
        AuditAction.CREATE,
        object_type="members.member",
        object_repr=f"花名册导入{len(members)}人",
        org_id=report.scope_org_id or common_org_id([o.path for o in orgs.values()]),
        summary=f"批量导入党员{len(members)}名，涉及{len(org_ids)}个支部（文件：{report.filename}）",
        after={"count": len(members), "org_ids": org_ids, "file": report.filename},
    )
    return members


def import_file(user, upload, *, org=None) -> list[Member]:
    """Read, validate and commit in one go (the API's import): all rows or nothing."""
    report = validate_sheet(user, read_upload(upload), org=org)
    if not report.ok:
        raise ImportErrors(report)
    return commit_import(user, report)


class ImportErrors(ValidationError):
    """Row errors of a whole file; `report` holds them all."""

    def __init__(self, report: ImportReport):
        super().__init__(f"导入文件中有{len(report.errors)}处错误，已全部取消导入，请修改后重新上传")
        self.report = report


# --- Keeping the upload between preview and commit ----------------------------------------------------

_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
STASH_MAX_AGE = 24 * 3600


def stash_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stash_path(token: str) -> Path:
    """The stored upload for a token made by `stash_upload` (never a path from the client)."""
    if not isinstance(token, str) or not _TOKEN_RE.match(token):
        fail("导入记录无效，请重新上传文件")
    return stash_dir() / f"{token}.xlsx"


def stash_upload(upload) -> str:
    """Keep an upload under MEDIA_ROOT/imports/<random token>.xlsx; returns the token."""
    folder = stash_dir()
    cutoff = time.time() - STASH_MAX_AGE
    for old in folder.iterdir():  # forget abandoned previews
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
    token = secrets.token_urlsafe(24)
    if hasattr(upload, "seek"):
        upload.seek(0)
    with open(folder / f"{token}.xlsx", "wb") as out:
        chunks = upload.chunks() if hasattr(upload, "chunks") else [upload.read()]
        for chunk in chunks:
            out.write(chunk)
    return token


def claim_stash(token: str) -> Path:
    """Atomically take the stored upload for a commit: a second claim of the same token fails."""
    source = stash_path(token)
    claimed = source.with_name(f"{token}.{secrets.token_hex(8)}.claimed")
    try:
        os.rename(source, claimed)
    except FileNotFoundError:
        fail("该导入已经提交或已过期，请勿重复提交；如需导入请重新上传文件")
    return claimed


def release_stash(claimed: Path, token: str) -> None:
    """Put a claimed upload back (the commit failed), so the preview can show why."""
    try:
        os.rename(claimed, stash_path(token))
    except OSError:
        pass


def discard_stash(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


# --- Workbooks ------------------------------------------------------------------------------------

RED = "C8102E"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor=RED)
REQUIRED_FILL = PatternFill("solid", fgColor="9E0B22")
THIN = Side(style="thin", color="D0D0D0")
HEADER_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
DATE_FORMAT = "yyyy-mm-dd"


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _managed_branches(user) -> list[Organization]:
    if user is None:
        return []
    return list(
        Organization.objects.filter(
            access.scope_q(user, Perm.MEMBER_MANAGE),
            org_type__in=[OrgType.BRANCH, OrgType.GROUP],
            status=OrgStatus.ACTIVE,
        )
        .only("code", "name", "org_type", "path")
        .order_by("path")[:5000]
    )


EXAMPLE = {
    "name": f"{EXAMPLE_PREFIX}：张三（本行不会导入）",
    "id_number": "110101199003070038",
    "gender": "男",
    "ethnicity": "汉族",
    "birth_date": dt.date(1990, 3, 7),
    "native_place": "北京市东城区",
    "education": "大学本科",
    "degree": "学士",
    "joined_on": dt.date(2015, 7, 1),
    "converted_on": dt.date(2016, 7, 1),
    "category": "正式党员",
    "org_code": "（支部组织代码）",
    "group_code": "",
    "employment": "在职",
    "work_unit": "某某公司",
    "work_post": "工程师",
    "mobile": "13800138000",
    "address": "北京市东城区某街道1号",
    "party_posts": "",
    "hardship": "否",
    "veteran": "否",
}


def build_template(user=None) -> bytes:
    """The import template: header, example row, dropdowns for choice columns, a 说明 sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    options = wb.create_sheet("选项")
    guide = wb.create_sheet("说明")
    branches = _managed_branches(user)
    ws.append([c.header for c in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font, cell.alignment, cell.border = HEADER_FONT, CENTER, HEADER_BORDER
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        letter = get_column_letter(index)
        dim = ws.column_dimensions[letter]
        dim.width = column.width
        if column.key in TEXT_COLUMNS:
            dim.number_format = "@"
        elif column.kind == "date":
            dim.number_format = DATE_FORMAT
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = "A2"
    example = [EXAMPLE[c.key] for c in COLUMNS]
    if branches:
        first = next((b for b in branches if b.org_type == OrgType.BRANCH), None)
        if first:
            example[[c.key for c in COLUMNS].index("org_code")] = first.code
    ws.append(example)
    grey = Font(italic=True, color="808080")
    for index, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=2, column=index)
        cell.font = grey
        if column.key in TEXT_COLUMNS:
            cell.number_format = "@"
        elif column.kind == "date":
            cell.number_format = DATE_FORMAT
    # Dropdowns: lists live on a hidden sheet (the 56 ethnic groups exceed Excel's 255-character inline list).
    option_col = 0
    last = MAX_ROWS + 2
    lists: list[tuple[Column, list[str]]] = [
        (c, [label for value, label in c.choices]) for c in COLUMNS if c.kind in ("choice", "flag")
    ]
    branch_codes = [b.code for b in branches if b.org_type == OrgType.BRANCH]
    if branch_codes:
        lists.append((BY_KEY["org_code"], branch_codes))
    for column, labels in lists:
        option_col += 1
        letter = get_column_letter(option_col)
        options.cell(row=1, column=option_col, value=column.title)
        for i, label in enumerate(labels, start=2):
            options.cell(row=i, column=option_col, value=label)
        target = get_column_letter(COLUMNS.index(column) + 1)
        strict = column.key != "org_code"
        dv = DataValidation(
            type="list",
            formula1=f"'选项'!${letter}$2:${letter}${len(labels) + 1}",
            allow_blank=True,
            showErrorMessage=strict,
            errorTitle="输入有误",
            error=f"请从下拉列表中选择{column.title}",
        )
        dv.add(f"{target}2:{target}{last}")
        ws.add_data_validation(dv)
    options.sheet_state = "hidden"
    _write_guide(guide, branches)
    return _save(wb)


def _write_guide(guide, branches: list[Organization]) -> None:
    guide.column_dimensions["A"].width = 20
    guide.column_dimensions["B"].width = 8
    guide.column_dimensions["C"].width = 60
    guide.column_dimensions["D"].width = 50
    guide.append(["党员花名册导入说明"])
    guide["A1"].font = Font(bold=True, size=14)
    for line in (
        "1. 在“党员花名册”工作表中从第2行起每行填写一名党员；"
        "灰色斜体的示例行（姓名以“示例”开头）不会导入，可删除。",
        "2. 带 * 的列必须填写；不要修改、删除第1行表头。",
        f"3. 每个文件不超过{MAX_ROWS}行、{MAX_BYTES // 1024 // 1024}MB；只接受 .xlsx 格式。",
        "4. 日期可填Excel日期，或文本 YYYY-MM-DD、YYYY/MM/DD、YYYY.MM.DD（如2021-07-01）。",
        "5. 身份证号请以文本填写（本列已设为文本格式）；出生日期和性别从身份证号读取，另行填写时须一致。",
        "6. 上传后系统先检查全部数据并列出每一处错误；全部正确后才能确认导入，要么全部导入，要么都不导入。",
    ):
        guide.append([line])
    guide.append([])
    guide.append(["列名", "必填", "填写说明", "可选值"])
    header_row = guide.max_row
    for cell in guide[header_row]:
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, CENTER
    for column in COLUMNS:
        values = "、".join(label for _, label in column.choices) if column.choices else ""
        guide.append([column.header, "是" if column.required else "", column.note, values])
    for row in guide.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    if branches:
        guide.append([])
        guide.append(["您可导入的党支部和党小组"])
        guide.cell(row=guide.max_row, column=1).font = Font(bold=True, size=12)
        guide.append(["组织代码", "类型", "名称"])
        for cell in guide[guide.max_row]:
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        for org in branches:
            guide.append([org.code, "党支部" if org.org_type == OrgType.BRANCH else "党小组", org.name])


def error_report(report: ImportReport) -> bytes:
    """The rows with errors as they were uploaded, plus 原行号 and an 错误 column."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误报告")
    ws.freeze_panes = "B2"
    widths = [8, *(c.width for c in COLUMNS), 60]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.append([_header_cell(ws, t) for t in ["原行号", *(c.header for c in COLUMNS), "错误"]])
    red = Font(color="C00000")
    for row in report.rows:
        if row.ok:
            continue
        errors = WriteOnlyCell(ws, value="；".join(f"{e.column}：{e.message}" for e in row.errors))
        errors.font = red
        ws.append([row.number, *(display(row.raw.get(c.key)) for c in COLUMNS), errors])
    return _save(wb)


def _header_cell(ws, title: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=title)
    cell.font, cell.fill, cell.alignment, cell.border = HEADER_FONT, HEADER_FILL, CENTER, HEADER_BORDER
    return cell


# --- Export -----------------------------------------------------------------------------------------

EXPORT_EXTRA = ("状态",)


def export_roster(user, queryset, unmasked: bool = False) -> bytes:
    """The members of `queryset` (limited to what the user may see) as .xlsx with the template's columns.

    ID and mobile numbers are masked unless `unmasked`, which needs access.can_see_sensitive on every
    org exported (else PermissionDenied). Every export is audited (count, masked or not).
    """
    queryset = queryset.filter(
        access.scope_q(user, Perm.MEMBER_VIEW, prefix="org__")
        | access.scope_q(user, Perm.MEMBER_VIEW, prefix="group__")
    )
    org_ids = set(queryset.order_by().values_list("org_id", flat=True).distinct())
    orgs = list(Organization.objects.filter(pk__in=org_ids).only("id", "path"))
    if unmasked and not all(access.can_see_sensitive(user, org) for org in orgs):
        raise PermissionDenied("您无权导出未脱敏的身份证号和手机号")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_TITLE)
    titles = [c.header for c in COLUMNS] + list(EXPORT_EXTRA)
    for index, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.column_dimensions[get_column_letter(len(titles))].width = 10
    ws.freeze_panes = "A2"
    ws.append([_header_cell(ws, t) for t in titles])
    count = 0
    members = queryset.select_related("org", "group")
    if not members.ordered:
        members = members.order_by("org__path", "name", "pk")
    for member in members.iterator(chunk_size=2000):
        ws.append(_export_row(ws, member, unmasked))
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{count + 1}"
    data = _save(wb)
    audit.record(
        user,
        AuditAction.EXPORT,
        object_type="members.member",
        object_repr=f"党员花名册{count}人",
        org_id=common_org_id([o.path for o in orgs]),
        summary=f"导出党员花名册{count}人（{'未脱敏' if unmasked else '脱敏'}）",
        after={"count": count, "unmasked": unmasked, "orgs": len(orgs)},
    )
    return data


def _export_row(ws, member: Member, unmasked: bool) -> list:
    values = []
    for column in COLUMNS:
        key = column.key
        if key == "org_code":
            value = member.org.code
        elif key == "group_code":
            value = member.group.code if member.group_id else ""
        elif key == "id_number":
            value = member.id_number if unmasked else mask_id_number(member.id_number)
        elif key == "mobile":
            value = member.mobile if unmasked else mask_phone(member.mobile)
        elif column.kind == "flag":
            value = YES if getattr(member, key) else NO
        elif column.kind == "choice":
            value = getattr(member, f"get_{key}_display")() if getattr(member, key) else ""
        else:
            value = getattr(member, key)
        if isinstance(value, dt.date):
            cell = WriteOnlyCell(ws, value=value)
            cell.number_format = DATE_FORMAT
            value = cell
        values.append(value if value is not None else "")
    values.append(member.get_status_display())
    return values
