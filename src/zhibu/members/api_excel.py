"""API: roster Excel import (validate, commit) and export, under /api/v1/roster/."""

from django.core.exceptions import PermissionDenied
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.members import excel
from zhibu.members.views_excel import export_response
from zhibu.orgs import selectors as org_selectors

router = Router(tags=["花名册导入导出"])


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class ValidateOut(Schema):
    filename: str
    ok: bool
    total: int
    valid: int
    error_rows: int
    errors: list[RowErrorOut]


class ImportOut(Schema):
    created: int
    member_ids: list[int]


class ImportErrorOut(Schema):
    detail: str
    errors: list[RowErrorOut]


def _org(request, org: int | None):
    """The org the import is limited to (404 out of scope, 403 without member.manage), or None."""
    if org is not None:
        return org_selectors.get_org(request.user, org, Perm.MEMBER_MANAGE)
    if not access.has_perm(request.user, Perm.MEMBER_MANAGE):
        raise PermissionDenied("您没有导入党员档案的权限")
    return None


def _errors(report: excel.ImportReport) -> list[dict]:
    return [{"row": e.row, "column": e.column, "message": e.message} for e in report.errors]


@router.post("/import/validate", response=ValidateOut, summary="检查导入文件（不写入）")
def validate_import(request, file: File[UploadedFile], org: Form[int | None] = None):
    """Every problem of every row, with the Excel row number and column; nothing is written.

    `org` limits the import to that org and below (404 outside your member.manage scope).
    A damaged or non-.xlsx file answers 400 with {"detail", "errors"}.
    """
    target = _org(request, org)
    report = excel.validate_sheet(request.user, excel.read_upload(file), org=target)
    return {
        "filename": report.filename,
        "ok": report.ok,
        "total": report.total,
        "valid": len(report.valid_rows),
        "error_rows": report.error_row_count,
        "errors": _errors(report),
    }


@router.post(
    "/import",
    response={201: ImportOut, 400: ImportErrorOut},
    summary="导入花名册（全部导入或都不导入）",
)
def commit_import(request, file: File[UploadedFile], org: Form[int | None] = None):
    """Validate and import in one transaction: 201 with the new member ids, or 400 with every row error
    and nothing written. Sending the same file twice is harmless (the second answers 400: IDs exist)."""
    target = _org(request, org)
    try:
        members = excel.import_file(request.user, file, org=target)
    except excel.ImportErrors as exc:
        return Status(400, {"detail": exc.messages[0], "errors": _errors(exc.report)})
    return Status(201, {"created": len(members), "member_ids": [m.pk for m in members]})


@router.get("/export.xlsx", summary="导出花名册（.xlsx）")
def export_roster(request):
    """The roster as .xlsx; takes the roster page's filters (org, status, category, group, age_band,
    education, flag, q, sort). ID and mobile numbers are masked unless `unmasked=1`, which needs the
    right to see them for every org exported (else 403). Every export is audited."""
    return export_response(request.user, request.GET)
