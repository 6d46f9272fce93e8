"""API: 组织生活合规 — a branch's year (every requirement × period: met / due with days left / missed), a
committee's matrix of all its branches, the requirements with their versions, and the 台账 (PDF, Excel).

Thin: parse input, call `orglife.compliance` / `orglife.ledger`, shape the answer. Scope: an org out of
the caller's scope → 404; in scope without orglife.view (orglife.manage to write requirements) → 403;
service refusals → 400 with field errors; malformed input → 422. Downloads are audited as exports.

Period states: `met` 已完成, `due` 待召开 (the period is open; `days_left` counts today), `missed` 未完成,
`n/a` not begun yet, `off` the requirement is not in force for that period (switched off, not yet valid,
or before the org was founded).
"""

from datetime import date
from typing import Literal

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from ninja import Field, Query, Router, Schema, Status

from zhibu.api.paging import MAX_LIMIT
from zhibu.orglife import compliance, ledger
from zhibu.orglife.models import AppliesTo, Frequency
from zhibu.orgs.models import OrgType

router = Router(tags=["组织生活合规"])

StateName = Literal["met", "due", "missed", "n/a", "off"]


class ComplianceError(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None


# --- Schemas ------------------------------------------------------------------------------------------


class YearQuery(Schema):
    year: int | None = Field(None, description="年度（默认今年）", ge=2000, le=2100)


class MatrixQuery(YearQuery):
    unfinished: bool = Field(False, description="只看未完成（有未完成或待召开的期）")
    limit: int = Field(50, description=f"每页条数（1–{MAX_LIMIT}）")
    offset: int = Field(0, description="起始位置")


class ComplianceOrgOut(Schema):
    id: int
    name: str
    org_type: str


class CompliancePeriodOut(Schema):
    label: str = Field(description="1月 / 第二季度 / 2026年")
    start: date
    end: date
    state: StateName
    count: int = Field(description="已召开次数（只计已召开、已记录、已归档的会议）")
    required: int | None = Field(description="本期要求的最少次数；off 时为 null")
    days_left: int | None = Field(description="待召开时剩余天数（含今天）")


class ComplianceLineOut(Schema):
    org: ComplianceOrgOut
    code: str = Field(description="要求代码")
    type_code: str
    type_name: str
    frequency: Frequency
    min_count: int
    source: str
    origin: str = Field(description="规定来源：系统默认或设置该版本的组织")
    held: int
    met: int
    due: int
    missed: int
    periods: list[CompliancePeriodOut]


class BranchComplianceOut(Schema):
    org: ComplianceOrgOut
    year: int
    today: date
    met: int
    due: int
    missed: int
    lines: list[ComplianceLineOut]


class ComplianceColumnOut(Schema):
    code: str
    frequency: Frequency
    type_name: str
    unit_name: str = Field(description="适用单位：支部 / 党小组")
    units_due: int = Field(description="本期尚未召开的单位数")
    units_missed_last: int = Field(description="上一期未召开的单位数")
    days_left: int | None


class ComplianceTallyOut(Schema):
    code: str
    frequency: Frequency
    missed: int
    due: int
    met: int
    applicable: int = Field(description="已开始的期数")
    units: int = Field(description="计入的单位数（党小组的要求为该支部的党小组数）")


class ComplianceRowOut(Schema):
    org: ComplianceOrgOut
    parent_name: str
    groups: int
    missed: int
    due: int
    cells: list[ComplianceTallyOut | None] = Field(description="与 columns 一一对应；null 为不适用")


class ComplianceMatrixOut(Schema):
    org: ComplianceOrgOut
    year: int
    today: date
    branches: int
    behind: int
    with_missed: int
    columns: list[ComplianceColumnOut]
    count: int
    limit: int
    offset: int
    items: list[ComplianceRowOut]


class RequirementVersionOut(Schema):
    id: int
    code: str
    type_code: str
    frequency: Frequency
    min_count: int
    applies_to: AppliesTo
    source: str
    valid_from: date
    active: bool
    origin: str


class RequirementOut(Schema):
    version: RequirementVersionOut
    type_name: str
    own: bool = Field(description="在该组织设置（否则继承自上级或系统默认）")
    future: bool = Field(description="尚未生效的新要求")
    upcoming: RequirementVersionOut | None = Field(description="已设置、将来生效的下一版本")


class RequirementIn(Schema):
    """A new version of a requirement at an org; fields not sent are taken from the version in force."""

    org: int = Field(description="设置要求的组织ID（党委、党总支或党支部；对其及下级适用）")
    code: str = Field(description="要求代码；新代码即本组织自己的要求", max_length=40)
    valid_from: date = Field(description="生效日期（不早于今天），自该日所在的周期起适用")
    type_code: str | None = Field(None, description="会议类型代码", max_length=40)
    frequency: Frequency | None = Field(None, description="频次：month / quarter / year")
    min_count: int | None = Field(None, description="每期最少次数（1–31）")
    applies_to: AppliesTo | None = Field(None, description="适用于：branch / branch_committee / group")
    source: str | None = Field(None, description="依据", max_length=200)
    active: bool | None = Field(None, description="启用；false 在本组织及下级停用该要求")


# --- Shaping ------------------------------------------------------------------------------------------


def _year(year: int | None) -> int:
    return year or timezone.localdate().year


def _org(org) -> ComplianceOrgOut:
    return ComplianceOrgOut(id=org.pk if hasattr(org, "pk") else org.id, name=org.name, org_type=org.org_type)


def _period(cell: compliance.Cell) -> CompliancePeriodOut:
    p, s = cell.period, cell.state
    if s is None:
        return CompliancePeriodOut(
            label=p.label, start=p.start, end=p.end, state="off", count=0, required=None, days_left=None
        )
    return CompliancePeriodOut(
        label=p.label,
        start=p.start,
        end=p.end,
        state=s.state,
        count=s.count,
        required=s.required,
        days_left=s.days_left,
    )


def _line(line: compliance.Line) -> ComplianceLineOut:
    v = line.version
    return ComplianceLineOut(
        org=_org(line.org),
        code=line.code,
        type_code=line.type_code,
        type_name=line.type_name,
        frequency=line.frequency,
        min_count=v.min_count,
        source=v.source,
        origin=v.origin,
        held=line.held,
        met=line.met,
        due=line.due,
        missed=line.missed,
        periods=[_period(c) for c in line.cells],
    )


def _version(v: compliance.Version) -> RequirementVersionOut:
    return RequirementVersionOut(
        id=v.id,
        code=v.code,
        type_code=v.type_code,
        frequency=v.frequency,
        min_count=v.min_count,
        applies_to=v.applies_to,
        source=v.source,
        valid_from=v.valid_from,
        active=v.active,
        origin=v.origin,
    )


def _requirement(row: compliance.RequirementRow) -> RequirementOut:
    return RequirementOut(
        version=_version(row.version),
        type_name=row.type_name,
        own=row.own,
        future=row.future,
        upcoming=_version(row.upcoming) if row.upcoming else None,
    )


# --- Endpoints ----------------------------------------------------------------------------------------


@router.get(
    "/compliance/branches/{int:branch_id}",
    response={200: BranchComplianceOut, 403: ComplianceError, 404: ComplianceError},
    summary="党支部（或党小组）全年组织生活落实情况：每项要求逐期已完成/待召开/未完成",
)
def branch_compliance(request, branch_id: int, q: Query[YearQuery]):
    org = compliance.get_org(request.user, branch_id)
    report = compliance.branch_report(request.user, org, _year(q.year))
    return BranchComplianceOut(
        org=_org(org),
        year=report.year,
        today=report.today,
        met=report.met,
        due=report.due,
        missed=report.missed,
        lines=[_line(line) for line in report.lines],
    )


@router.get(
    "/compliance/committees/{int:org_id}",
    response={200: ComplianceMatrixOut, 403: ComplianceError, 404: ComplianceError},
    summary="党委/党总支所属全部党支部 × 组织生活要求：未完成、待召开期数（落后最多的在前）",
)
def committee_compliance(request, org_id: int, q: Query[MatrixQuery]):
    org = compliance.get_org(request.user, org_id, kinds=compliance.OVERSIGHT_TYPES)
    matrix = compliance.committee_matrix(request.user, org, _year(q.year))
    rows = matrix.unfinished() if q.unfinished else matrix.rows
    limit, offset = min(max(q.limit, 1), MAX_LIMIT), max(q.offset, 0)
    items = [
        ComplianceRowOut(
            org=_org(row.org),
            parent_name=row.parent_name,
            groups=row.groups,
            missed=row.missed,
            due=row.due,
            cells=[
                None
                if t is None
                else ComplianceTallyOut(
                    code=col.code,
                    frequency=col.frequency,
                    missed=t.missed,
                    due=t.due,
                    met=t.met,
                    applicable=t.applicable,
                    units=t.units,
                )
                for col, t in zip(matrix.columns, row.cells, strict=True)
            ],
        )
        for row in rows[offset : offset + limit]
    ]
    return ComplianceMatrixOut(
        org=_org(org),
        year=matrix.year,
        today=matrix.today,
        branches=matrix.branches,
        behind=matrix.behind,
        with_missed=matrix.with_missed,
        columns=[
            ComplianceColumnOut(
                code=c.code,
                frequency=c.frequency,
                type_name=c.type_name,
                unit_name=c.unit_name,
                units_due=c.units_due,
                units_missed_last=c.units_missed_last,
                days_left=c.days_left,
            )
            for c in matrix.columns
        ],
        count=len(rows),
        limit=limit,
        offset=offset,
        items=items,
    )


@router.get(
    "/requirements",
    response={200: list[RequirementOut], 403: ComplianceError, 404: ComplianceError},
    summary="组织生活要求：某组织当前适用的各项要求（含来源和将来生效的版本）",
)
def list_requirements(
    request,
    org: int | None = Query(None, description="组织ID（党委、党总支或党支部）；不填为本人范围内最上级的组织"),
):
    if org is None:
        found = compliance.default_editor_org(request.user)
        if found is None:
            raise Http404("没有可查看的组织")
    else:
        found = compliance.get_editor_org(request.user, org)
    return [_requirement(row) for row in compliance.effective_requirements(found)]


@router.post(
    "/requirements",
    response={201: RequirementVersionOut, 400: ComplianceError, 403: ComplianceError, 404: ComplianceError},
    summary="新增或修改组织生活要求（写入新版本，自生效日期所在的周期起适用）",
)
def save_requirement(request, payload: RequirementIn):
    org = compliance.get_editor_org(request.user, payload.org, manage=True)
    data = payload.dict(exclude_unset=True, exclude={"org", "code", "valid_from"})
    req = compliance.save_requirement(request.user, org, payload.code, data, payload.valid_from)
    return Status(201, _version(compliance.as_version(req)))


def _download(request, branch_id: int, year: int | None, kind: str) -> HttpResponse:
    org = compliance.get_org(request.user, branch_id, kinds=(OrgType.BRANCH,))
    year = _year(year)
    if kind == "pdf":
        response = HttpResponse(ledger.ledger_pdf(request.user, org, year), content_type="application/pdf")
    else:
        response = HttpResponse(ledger.ledger_xlsx(request.user, org, year), content_type=ledger.XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{org.name}{year}年组织生活台账.{kind}"
    )
    return response


@router.get(
    "/branches/{int:branch_id}/ledger.pdf",
    response={200: None, 403: ComplianceError, 404: ComplianceError},
    summary="下载党支部全年组织生活台账（PDF，会议记录本格式；记入审计日志）",
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}, "description": "PDF"}}},
)
def ledger_pdf(request, branch_id: int, q: Query[YearQuery]):
    return _download(request, branch_id, q.year, "pdf")


@router.get(
    "/branches/{int:branch_id}/ledger.xlsx",
    response={200: None, 403: ComplianceError, 404: ComplianceError},
    summary="下载党支部全年组织生活台账（Excel：汇总、会议、出席；记入审计日志）",
    openapi_extra={"responses": {200: {"content": {ledger.XLSX_TYPE: {}}, "description": "Excel"}}},
)
def ledger_xlsx(request, branch_id: int, q: Query[YearQuery]):
    return _download(request, branch_id, q.year, "xlsx")
