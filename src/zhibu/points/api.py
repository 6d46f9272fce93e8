"""API: 积分 — the rule catalogue, balances and explained ledgers, manual awards, self-reports, the
approval queue, reversals and appeals, opt-in rankings and published snapshots (积分通报).

Thin: parse input, call `points.selectors` / `points.services`, shape the answer. Scope: out of scope
→ 404; in scope without the permission → 403; service refusals → 400 with field errors; malformed input
(bad dates, numbers, periods) → 422.

Idempotency: POST /awards and POST /reports take `request_key` in the body (or an `Idempotency-Key`
header). The first request answers 201 (scored) / 202 (waiting for approval); repeating it with the same
key writes nothing and answers 200 with the same entry or claim and `"repeated": true`.

Pagination: `limit` (1–200, default 50) and `offset`, or `page` (from 1, counted in `limit`s); pages
answer `{count, limit, offset, items}` like the members API. Points are decimals (JSON strings).
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from zhibu.api.paging import PageQuery, invalid, page_slice
from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.orgs import selectors as org_selectors
from zhibu.orgs.models import Organization
from zhibu.points import rules, selectors, services, sources
from zhibu.points.models import (
    AppealStatus,
    Awarder,
    Category,
    Claim,
    ClaimStatus,
    Entry,
    Rule,
)

router = Router(tags=["积分"])

PeriodKind = Literal["week", "month", "quarter", "year", "custom"]
RANKING_OFF = "本组织未开启积分排名"
NO_MEMBER = "您的账户未关联党员档案，无法查看本人积分"
TWO = Decimal("0.01")


# --- Schemas: input ---------------------------------------------------------------------------------


class PeriodQuery(Schema):
    period: PeriodKind = Field(
        "quarter", description="周期：week 周 / month 月 / quarter 季度 / year 年 / custom 自定义"
    )
    day: date | None = Field(None, description="周期内的任一天（默认今天），week/month/quarter/year 时使用")
    start: date | None = Field(None, description="自定义起始日期（与 end 同时给出时按自定义周期）")
    end: date | None = Field(None, description="自定义截止日期（含当天）")


class RangeQuery(Schema):
    start: date | None = Field(None, description="起始日期（含）；与 end 同时给出")
    end: date | None = Field(None, description="截止日期（含）；与 start 同时给出")


class CatalogueQuery(Schema):
    org: int | None = Field(None, description="组织ID；不填为本人所在支部（无党员档案时为系统默认规则）")
    on: date | None = Field(None, description="日期（默认今天）")


class RuleIn(Schema):
    """A new version of a rule at an org; fields not sent are taken from the version in effect."""

    org: int = Field(description="设置规则的组织ID（对其及下级生效）")
    code: str = Field(
        description="规则代码（字母、数字、点、下划线），新代码即本组织自定义规则", max_length=40
    )
    valid_from: date = Field(description="生效日期（不早于今天：修改不改写历史记分）")
    name: str | None = Field(None, description="名称", max_length=60)
    category: Category | None = Field(None, description="类别")
    points: Decimal | None = Field(None, description="分值（正数加分，负数扣分）")
    unit: str | None = Field(None, description="计分单位，如 次、分钟、小时", max_length=10)
    unit_size: Decimal | None = Field(None, description="每计分单位数量，如每5分钟计分填5")
    cap_day: Decimal | None = Field(None, description="每日上限；null 为不设上限")
    cap_week: Decimal | None = Field(None, description="每周上限")
    cap_month: Decimal | None = Field(None, description="每月上限")
    cap_year: Decimal | None = Field(None, description="每年上限")
    needs_evidence: bool | None = Field(None, description="需要佐证材料")
    needs_approval: bool | None = Field(None, description="需要审核")
    awarder: Awarder | None = Field(
        None, description="手工记分权限：system 仅系统 / branch 支部委员 / superior 上级"
    )
    self_report: bool | None = Field(None, description="党员可申报")
    active: bool | None = Field(None, description="启用；false 在本组织及下级停用该规则")
    description: str | None = Field(None, description="说明", max_length=200)


class ReportIn(Schema):
    rule: str = Field(description="积分规则代码", max_length=40)
    occurred_at: datetime = Field(description="发生时间（未带时区按北京时间）")
    quantity: Decimal = Field(Decimal(1), description="数量（按规则的计分单位，如小时、天）")
    reason: str = Field(description="事由", max_length=300)
    evidence: str = Field("", description="佐证说明（规则要求佐证时必填）", max_length=500)
    request_key: str | None = Field(
        None, description="请求标识（幂等键），也可用 Idempotency-Key 请求头", max_length=64
    )


class AwardIn(ReportIn):
    member: int = Field(description="党员ID")


class NoteIn(Schema):
    note: str = Field("", description="审核意见（不予通过时必填）", max_length=300)


class ReasonIn(Schema):
    reason: str = Field(description="理由", max_length=500)


class ResolveIn(Schema):
    decision: Literal["uphold", "reverse"] = Field(description="处理结果：uphold 维持原记分 / reverse 冲正")
    resolution: str = Field(description="处理意见（党员可见）", max_length=300)


class SnapshotIn(Schema):
    org: int = Field(description="组织ID")
    period: PeriodKind = Field("quarter", description="周期类型")
    day: date | None = Field(None, description="周期内的任一天（非自定义周期）")
    start: date | None = Field(None, description="自定义起始日期")
    end: date | None = Field(None, description="自定义截止日期")
    title: str = Field("", description="标题；留空自动生成", max_length=100)
    note: str = Field("", description="说明", max_length=300)


# --- Schemas: output --------------------------------------------------------------------------------


class RuleOut(Schema):
    id: int
    code: str = Field(description="规则代码")
    version: int = Field(description="版本")
    valid_from: date = Field(description="生效日期")
    org_id: int | None = Field(description="设置该版本的组织ID；null 为系统默认")
    origin: str = Field(description="来源：系统默认或设置该版本的组织")
    name: str = Field(description="名称")
    category: str = Field(description="类别代码")
    category_name: str = Field(description="类别")
    points: Decimal = Field(description="每计分单位分值")
    unit: str = Field(description="计分单位")
    unit_size: Decimal = Field(description="每计分单位数量")
    cap_day: Decimal | None = Field(description="每日上限")
    cap_week: Decimal | None = Field(description="每周上限")
    cap_month: Decimal | None = Field(description="每月上限")
    cap_year: Decimal | None = Field(description="每年上限")
    needs_evidence: bool = Field(description="需要佐证材料")
    needs_approval: bool = Field(description="需要审核")
    awarder: str = Field(description="手工记分权限代码")
    awarder_name: str = Field(description="手工记分权限")
    self_report: bool = Field(description="党员可申报")
    active: bool = Field(description="启用")
    description: str = Field(description="说明")
    created_by: str | None = Field(description="设置人")


class CatalogueRuleOut(RuleOut):
    own: bool = Field(description="是否本组织设置（否则为继承）")
    upcoming: RuleOut | None = Field(description="已设置、尚未生效的新版本")
    future: bool = Field(False, description="新增规则尚未生效（本条即其首个版本）")


class CatalogueOut(Schema):
    org_id: int | None = Field(description="组织ID；null 为系统默认规则")
    org_name: str
    on: date = Field(description="按此日期生效的规则")
    rules: list[CatalogueRuleOut]


class EntryOut(Schema):
    id: int
    member_id: int
    member_name: str = Field(description="党员")
    kind: str = Field(description="类型：award 记分 / reversal 冲正")
    kind_name: str
    rule_id: int
    rule_code: str = Field(description="规则代码")
    rule_name: str = Field(description="规则名称")
    rule_version: int = Field(description="记分时的规则版本")
    category: str
    category_name: str = Field(description="类别")
    quantity: Decimal = Field(description="数量")
    unit: str = Field(description="计分单位")
    base_points: Decimal = Field(description="应计分")
    points: Decimal = Field(description="实计分（封顶后）")
    capped_note: str = Field(description="封顶说明；空为未封顶")
    occurred_at: datetime = Field(description="发生时间（北京时间）")
    source_type: str = Field(description="来源类型，如 orglife.attendance、points.manual")
    source_id: str = Field(description="来源ID")
    source_label: str = Field(description="来源说明")
    source_url: str | None = Field(description="来源页面（会议、申报、被冲正的记录等）；无则为 null")
    reason: str = Field(description="事由")
    evidence: str = Field(description="佐证")
    awarded_by: str | None = Field(description="记分人")
    approved_by: str | None = Field(description="审核人")
    reverses: int | None = Field(description="本条冲正的记录ID")
    reversed_by: int | None = Field(description="冲正本条的记录ID")
    created_at: datetime = Field(description="记录时间")


class EntryBrief(Schema):
    id: int
    rule_code: str = Field(description="规则代码")
    rule_name: str = Field(description="规则名称")
    base_points: Decimal = Field(description="应计分")
    points: Decimal = Field(description="实计分（封顶后）")
    capped_note: str = Field(description="封顶说明")
    occurred_at: datetime = Field(description="发生时间")
    source_label: str = Field(description="来源说明")
    reason: str = Field(description="事由")


class EntryPage(Schema):
    count: int = Field(description="总条数")
    limit: int
    offset: int
    items: list[EntryOut]


class CategoryTotal(Schema):
    category: str
    label: str = Field(description="类别")
    total: Decimal = Field(description="积分")
    count: int = Field(description="条数")


class OwnRankOut(Schema):
    org_id: int = Field(description="排名范围（组织ID）")
    org_name: str
    rank: int = Field(description="名次（并列同名次）")
    total: Decimal = Field(description="本期积分")
    count: int = Field(description="参与排名人数")


class BalanceOut(Schema):
    member_id: int
    member_name: str
    org_name: str = Field(description="所在支部")
    period: str = Field(description="周期类型")
    label: str = Field(description="周期，如 2026年第3季度")
    start: date
    end: date
    total: Decimal = Field(description="本期积分")
    categories: list[CategoryTotal] = Field(description="按类别")
    all_time: Decimal = Field(description="累计积分")
    ranking_enabled: bool = Field(description="所在支部是否开启排名")
    rank: OwnRankOut | None = Field(description="本人在支部的名次（仅开启排名时）")


class MeOut(Schema):
    balance: BalanceOut
    recent: list[EntryOut] = Field(description="最近的积分记录")
    pending_claims: int = Field(description="待审核的申报")
    open_appeals: int = Field(description="待处理的申诉")


class ClaimOut(Schema):
    id: int
    kind: str = Field(description="类型：self_report 党员申报 / manual 手工记分")
    kind_name: str
    status: str = Field(description="状态：pending / approved / rejected / withdrawn")
    status_name: str
    member_id: int
    member_name: str
    org_id: int
    org_name: str
    rule_code: str
    rule_name: str
    rule_version: int
    category_name: str
    quantity: Decimal
    unit: str
    expected_points: Decimal = Field(description="按规则应计分（审核通过时再按上限计）")
    occurred_at: datetime
    reason: str
    evidence: str
    evidence_file: str | None = Field(description="佐证附件")
    submitted_by: str | None
    submitted_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str = Field(description="审核意见")
    entry: EntryBrief | None = Field(description="通过后记入的积分记录")


class ClaimPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ClaimOut]


class AwardOut(Schema):
    status: Literal["scored", "pending"] = Field(description="scored 已记分 / pending 待审核")
    repeated: bool = Field(description="同一请求标识的重复提交（未再写入）")
    entry: EntryOut | None = None
    claim: ClaimOut | None = None


class AppealOut(Schema):
    id: int
    status: str = Field(description="状态：open / upheld / reversed / withdrawn")
    status_name: str
    entry: EntryBrief
    member_id: int
    member_name: str
    org_id: int
    org_name: str
    reason: str = Field(description="申诉理由")
    submitted_by: str | None
    submitted_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None
    resolution: str = Field(description="处理意见")


class AppealPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AppealOut]


class RankRow(Schema):
    rank: int = Field(description="名次（并列同名次）")
    member_id: int
    name: str
    org_name: str
    group_name: str | None
    total: Decimal


class RankingOut(Schema):
    org_id: int
    org_name: str
    period: str
    label: str
    start: date
    end: date
    count: int = Field(description="参与排名人数")
    limit: int
    offset: int
    items: list[RankRow]


class SnapshotOut(Schema):
    id: int
    org_id: int
    org_name: str
    title: str
    period: str = Field(description="周期类型")
    label: str
    start: date
    end: date
    member_count: int
    note: str
    published_by: str | None
    published_at: datetime


class SnapshotPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SnapshotOut]


class SnapshotRowOut(Schema):
    rank: int
    member_id: int
    name: str
    org_name: str
    total: Decimal


class SnapshotDetailOut(SnapshotOut):
    count: int = Field(description="明细总条数")
    limit: int
    offset: int
    rows: list[SnapshotRowOut]


# --- Parsing helpers --------------------------------------------------------------------------------


def _bounds(kind: str, day: date | None, start: date | None, end: date | None, where="query"):
    """(kind, start, end) of the requested period: custom when start and end are given."""
    if start is not None or end is not None or kind == "custom":
        if start is None:
            invalid("start", "自定义周期请填写起始日期", where)
        if end is None:
            invalid("end", "自定义周期请填写截止日期", where)
        if end < start:
            invalid("end", "截止日期不能早于起始日期", where)
        return "custom", start, end
    first, last = rules.period_bounds(kind, day or timezone.localdate())
    return kind, first, last


def _range(start: date | None, end: date | None) -> tuple[date | None, date | None]:
    if (start is None) != (end is None):
        invalid("end" if end is None else "start", "起始日期和截止日期须同时填写")
    if start is not None and end < start:
        invalid("end", "截止日期不能早于起始日期")
    return start, end


def _aware(moment: datetime) -> datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _request_key(request, payload: ReportIn) -> str:
    key = (payload.request_key or request.headers.get("Idempotency-Key") or "").strip()
    if len(key) > 64:
        invalid("request_key", "请求标识不能超过64个字符", "body")
    return key


def _two(value) -> Decimal:
    """Points to the fen, so every backend answers "6.00" alike (SQLite sums come back as "6")."""
    return Decimal(value).quantize(TWO)


def _name(user) -> str | None:
    return user.display_name if user is not None else None


def _local(moment: datetime | None) -> datetime | None:
    return timezone.localtime(moment) if moment is not None else None


def _own_member(request):
    member = selectors.own_member(request.user)
    if member is None:
        raise HttpError(404, NO_MEMBER)
    return member


def _readable_org(request, org_id: int | None, perm: Perm = Perm.POINTS_VIEW) -> Organization | None:
    """The org asked for: one on the caller's own branch path (a member looking at their own
    organization), else one they hold `perm` on (404 out of scope, 403 without the permission)."""
    member = selectors.own_member(request.user)
    if org_id is None:
        return member.org if member is not None else None
    org = Organization.objects.filter(pk=org_id).first()
    if org is not None and member is not None and _on_own_path(member, org):
        return org
    return org_selectors.get_org(request.user, org_id, perm)


def _on_own_path(member, org: Organization) -> bool:
    """Whether `org` is the member's branch or 党小组, or an org above them."""
    own_paths = [member.org.path] + ([member.group.path] if member.group_id else [])
    return any(path.startswith(org.path) for path in own_paths)


# --- Converters -------------------------------------------------------------------------------------


def _rule_out(rule: Rule, cls=RuleOut, **extra):
    return cls(
        id=rule.pk,
        code=rule.code,
        version=rule.version,
        valid_from=rule.valid_from,
        org_id=rule.org_id,
        origin=rule.org.name if rule.org_id else "系统默认",
        name=rule.name,
        category=rule.category,
        category_name=rule.get_category_display(),
        points=rule.points,
        unit=rule.unit,
        unit_size=rule.unit_size,
        cap_day=rule.cap_day,
        cap_week=rule.cap_week,
        cap_month=rule.cap_month,
        cap_year=rule.cap_year,
        needs_evidence=rule.needs_evidence,
        needs_approval=rule.needs_approval,
        awarder=rule.awarder,
        awarder_name=rule.get_awarder_display(),
        self_report=rule.self_report,
        active=rule.active,
        description=rule.description,
        created_by=_name(rule.created_by),
        **extra,
    )


def _entry_out(entry: Entry) -> EntryOut:
    reversal = getattr(entry, "reversed_by", None)
    return EntryOut(
        id=entry.pk,
        member_id=entry.member_id,
        member_name=entry.member.name,
        kind=entry.kind,
        kind_name=entry.get_kind_display(),
        rule_id=entry.rule_id,
        rule_code=entry.rule_code,
        rule_name=entry.rule.name,
        rule_version=entry.rule.version,
        category=entry.category,
        category_name=entry.get_category_display(),
        quantity=entry.quantity,
        unit=entry.rule.unit,
        base_points=entry.base_points,
        points=entry.points,
        capped_note=entry.capped_note,
        occurred_at=_local(entry.occurred_at),
        source_type=entry.source_type,
        source_id=entry.source_id,
        source_label=entry.source_label,
        source_url=sources.url_for(entry.source_type, entry.source_id),
        reason=entry.reason,
        evidence=entry.evidence,
        awarded_by=_name(entry.awarded_by),
        approved_by=_name(entry.approved_by),
        reverses=entry.reverses_id,
        reversed_by=reversal.pk if reversal is not None else None,
        created_at=_local(entry.created_at),
    )


def _entry_brief(entry: Entry) -> EntryBrief:
    return EntryBrief(
        id=entry.pk,
        rule_code=entry.rule_code,
        rule_name=entry.rule.name,
        base_points=entry.base_points,
        points=entry.points,
        capped_note=entry.capped_note,
        occurred_at=_local(entry.occurred_at),
        source_label=entry.source_label,
        source_url=sources.url_for(entry.source_type, entry.source_id),
        reason=entry.reason,
    )


def _claim_out(claim: Claim) -> ClaimOut:
    rule = claim.rule
    return ClaimOut(
        id=claim.pk,
        kind=claim.kind,
        kind_name=claim.get_kind_display(),
        status=claim.status,
        status_name=claim.get_status_display(),
        member_id=claim.member_id,
        member_name=claim.member.name,
        org_id=claim.org_id,
        org_name=claim.org.name,
        rule_code=rule.code,
        rule_name=rule.name,
        rule_version=rule.version,
        category_name=rule.get_category_display(),
        quantity=claim.quantity,
        unit=rule.unit,
        expected_points=rules.base_points(rule.points, claim.quantity, rule.unit_size),
        occurred_at=_local(claim.occurred_at),
        reason=claim.reason,
        evidence=claim.evidence,
        evidence_file=claim.evidence_file.name or None,
        submitted_by=_name(claim.submitted_by),
        submitted_at=_local(claim.submitted_at),
        decided_by=_name(claim.decided_by),
        decided_at=_local(claim.decided_at),
        decision_note=claim.decision_note,
        entry=_entry_brief(claim.entry) if claim.entry_id else None,
    )


def _appeal_out(appeal) -> AppealOut:
    return AppealOut(
        id=appeal.pk,
        status=appeal.status,
        status_name=appeal.get_status_display(),
        entry=_entry_brief(appeal.entry),
        member_id=appeal.member_id,
        member_name=appeal.member.name,
        org_id=appeal.org_id,
        org_name=appeal.org.name,
        reason=appeal.reason,
        submitted_by=_name(appeal.submitted_by),
        submitted_at=_local(appeal.submitted_at),
        resolved_by=_name(appeal.resolved_by),
        resolved_at=_local(appeal.resolved_at),
        resolution=appeal.resolution,
    )


def _snapshot_fields(snap) -> dict:
    return {
        "id": snap.pk,
        "org_id": snap.org_id,
        "org_name": snap.org.name,
        "title": snap.title,
        "period": snap.period_kind,
        "label": rules.period_label(snap.period_kind, snap.start, snap.end),
        "start": snap.start,
        "end": snap.end,
        "member_count": snap.member_count,
        "note": snap.note,
        "published_by": _name(snap.published_by),
        "published_at": _local(snap.published_at),
    }


def _balance_out(member, kind: str, start: date, end: date) -> BalanceOut:
    enabled = selectors.ranking_enabled(member.org)
    rank = None
    if enabled:
        own = selectors.member_rank(member, member.org, start, end)
        rank = OwnRankOut(
            org_id=member.org_id,
            org_name=member.org.name,
            rank=own.rank,
            total=_two(own.total),
            count=own.count,
        )
    return BalanceOut(
        member_id=member.pk,
        member_name=member.name,
        org_name=member.org.name,
        period=kind,
        label=rules.period_label(kind, start, end),
        start=start,
        end=end,
        total=_two(selectors.balance(member, start, end)),
        categories=[
            CategoryTotal(**{**row, "total": _two(row["total"])})
            for row in selectors.breakdown(member, start, end)
        ],
        all_time=_two(selectors.total_all_time(member)),
        ranking_enabled=enabled,
        rank=rank,
    )


def _claim_page(qs, paging: PageQuery) -> ClaimPage:
    limit, offset = page_slice(paging)
    qs = qs.select_related("entry__rule")
    items = [_claim_out(c) for c in qs[offset : offset + limit]]
    return ClaimPage(count=qs.count(), limit=limit, offset=offset, items=items)


def _appeal_page(qs, paging: PageQuery) -> AppealPage:
    limit, offset = page_slice(paging)
    items = [_appeal_out(a) for a in qs[offset : offset + limit]]
    return AppealPage(count=qs.count(), limit=limit, offset=offset, items=items)


def _require_manage(request, message: str) -> None:
    if not access.has_perm(request.user, Perm.POINTS_MANAGE):
        raise PermissionDenied(message)


# --- Catalogue --------------------------------------------------------------------------------------


@router.get(
    "/rules", response=CatalogueOut, summary="积分规则目录：某组织在某日生效的规则（含来源、待生效版本）"
)
def list_rules(request, filters: Query[CatalogueQuery]):
    scope = _readable_org(request, filters.org)
    on = filters.on or timezone.localdate()
    return CatalogueOut(
        org_id=scope.pk if scope else None,
        org_name=scope.name if scope else "系统默认",
        on=on,
        rules=[
            _rule_out(
                row.rule,
                CatalogueRuleOut,
                own=row.own,
                upcoming=_rule_out(row.upcoming) if row.upcoming else None,
                future=row.future,
            )
            for row in selectors.effective_rules(scope, on)
        ],
    )


@router.get("/rules/{code}/history", response=list[RuleOut], summary="积分规则的全部版本（新的在前）")
def rule_history(request, code: str, org: int | None = Query(None, description="组织ID")):
    rows = list(selectors.rule_history(_readable_org(request, org), code))
    if not rows:
        raise Http404("未找到该积分规则")
    return [_rule_out(rule) for rule in rows]


@router.post("/rules", response={201: RuleOut}, summary="新增或修改积分规则（写入新版本，自生效日期起适用）")
def save_rule(request, payload: RuleIn):
    org = org_selectors.get_org(request.user, payload.org, Perm.POINTS_RULES)
    data = payload.dict(exclude_unset=True, exclude={"org", "code", "valid_from"})
    rule = services.save_rule(request.user, org, payload.code, data, payload.valid_from)
    return Status(201, _rule_out(rule))


# --- Balances and ledgers ---------------------------------------------------------------------------


@router.get(
    "/members/{member_id}/balance", response=BalanceOut, summary="党员积分：本期合计、按类别、累计、名次"
)
def member_balance(request, member_id: int, when: Query[PeriodQuery]):
    member = selectors.get_member(request.user, member_id)
    kind, start, end = _bounds(when.period, when.day, when.start, when.end)
    return _balance_out(member, kind, start, end)


@router.get(
    "/members/{member_id}/entries",
    response=EntryPage,
    summary="党员积分明细：每条记录的规则、版本、来源、记分人和冲正关系",
)
def member_entries(request, member_id: int, dates: Query[RangeQuery], paging: Query[PageQuery]):
    member = selectors.get_member(request.user, member_id)
    start, end = _range(dates.start, dates.end)
    qs = selectors.ledger(member, start, end).select_related("member")
    limit, offset = page_slice(paging)
    items = [_entry_out(e) for e in qs[offset : offset + limit]]
    return EntryPage(count=qs.count(), limit=limit, offset=offset, items=items)


@router.get("/me", response=MeOut, summary="我的积分：本期合计、按类别、最近记录、待审核申报和申诉")
def my_points(request, when: Query[PeriodQuery], recent: int = Query(10, description="最近记录条数（1–50）")):
    member = _own_member(request)
    kind, start, end = _bounds(when.period, when.day, when.start, when.end)
    count = max(1, min(recent, 50))
    return MeOut(
        balance=_balance_out(member, kind, start, end),
        recent=[_entry_out(e) for e in selectors.ledger(member).select_related("member")[:count]],
        pending_claims=selectors.my_claims(request.user).filter(status=ClaimStatus.PENDING).count(),
        open_appeals=selectors.my_appeals(request.user).filter(status=AppealStatus.OPEN).count(),
    )


# --- Manual awards and self-reports -----------------------------------------------------------------


@router.post(
    "/awards",
    response={200: AwardOut, 201: AwardOut, 202: AwardOut},
    summary="手工记分/扣分：201 已记分，202 待审核，200 同一请求标识的重复提交",
)
def award(request, payload: AwardIn):
    member = selectors.get_member(request.user, payload.member)
    key = _request_key(request, payload)
    seen = bool(key) and Claim.objects.filter(request_key=key).exists()
    result = services.award_manually(
        request.user,
        member,
        payload.rule,
        occurred_at=_aware(payload.occurred_at),
        reason=payload.reason,
        request_key=key,
        evidence=payload.evidence,
        quantity=payload.quantity,
    )
    if isinstance(result, Claim):
        claim = selectors.get_claim(request.user, result.pk, manage=False)
        return Status(
            200 if seen else 202, AwardOut(status="pending", repeated=seen, claim=_claim_out(claim))
        )
    entry = selectors.get_entry(request.user, result.entry.pk)
    out = AwardOut(status="scored", repeated=not result.created, entry=_entry_out(entry))
    return Status(201 if result.created else 200, out)


@router.post(
    "/reports", response={200: ClaimOut, 201: ClaimOut}, summary="党员申报积分（待支部审核；重复提交返回200）"
)
def self_report(request, payload: ReportIn):
    key = _request_key(request, payload)
    seen = bool(key) and Claim.objects.filter(request_key=key).exists()
    claim = services.self_report(
        request.user,
        payload.rule,
        occurred_at=_aware(payload.occurred_at),
        reason=payload.reason,
        request_key=key,
        evidence=payload.evidence,
        quantity=payload.quantity,
    )
    return Status(200 if seen else 201, _claim_out(selectors.get_claim(request.user, claim.pk, manage=False)))


@router.get("/reports/mine", response=ClaimPage, summary="我的申报（含审核结果）")
def my_reports(request, paging: Query[PageQuery]):
    qs = selectors.my_claims(request.user).select_related("member", "org", "submitted_by", "decided_by")
    return _claim_page(qs, paging)


# --- Approval queue ---------------------------------------------------------------------------------


@router.get("/claims", response=ClaimPage, summary="审核队列：管辖范围内的申报和待审核记分")
def list_claims(
    request,
    paging: Query[PageQuery],
    status: Literal["pending", "approved", "rejected", "withdrawn", "all"] = Query(
        "pending", description="状态；all 为全部"
    ),
):
    _require_manage(request, "您没有审核积分的权限")
    return _claim_page(selectors.claims(request.user, None if status == "all" else status), paging)


@router.get("/claims/{claim_id}", response=ClaimOut, summary="申报详情（审核人、申报人或本人）")
def get_claim(request, claim_id: int):
    return _claim_out(selectors.get_claim(request.user, claim_id, manage=False))


@router.post("/claims/{claim_id}/approve", response=ClaimOut, summary="审核通过（按规则记分，记入审计日志）")
def approve_claim(request, claim_id: int, payload: NoteIn):
    claim = selectors.get_claim(request.user, claim_id, manage=False)
    services.approve_claim(request.user, claim, payload.note)
    return _claim_out(selectors.get_claim(request.user, claim_id))


@router.post("/claims/{claim_id}/reject", response=ClaimOut, summary="审核不予通过（须填写理由）")
def reject_claim(request, claim_id: int, payload: NoteIn):
    claim = selectors.get_claim(request.user, claim_id, manage=False)
    services.reject_claim(request.user, claim, payload.note)
    return _claim_out(selectors.get_claim(request.user, claim_id))


@router.post("/claims/{claim_id}/withdraw", response=ClaimOut, summary="撤回本人提交的、尚未审核的申报")
def withdraw_claim(request, claim_id: int):
    claim = selectors.get_claim(request.user, claim_id, manage=False)
    services.withdraw_claim(request.user, claim)
    return _claim_out(selectors.get_claim(request.user, claim_id, manage=False))


# --- Reversals and appeals --------------------------------------------------------------------------


@router.post(
    "/entries/{entry_id}/reverse", response={201: EntryOut}, summary="冲正一条积分记录（须填写理由）"
)
def reverse_entry(request, entry_id: int, payload: ReasonIn):
    entry = selectors.get_entry(request.user, entry_id)
    reversal = services.reverse_entry(request.user, entry, payload.reason)
    return Status(201, _entry_out(selectors.get_entry(request.user, reversal.pk)))


class ClearIn(Schema):
    category: Literal["orglife", "learning", "dues", "volunteer", "role", "other"] = Field(
        description="清除的积分类别（如 learning 学习教育）"
    )
    start: date = Field(description="起始日期（北京时间，含）")
    end: date = Field(description="截止日期（北京时间，含）")
    reason: str = Field(max_length=300, description="清除理由")


@router.post(
    "/members/{member_id}/clear",
    response={201: list[EntryOut]},
    summary="清除一段时间内某类积分（学习作弊清分）：逐条冲正",
)
def clear_points(request, member_id: int, payload: ClearIn):
    member = selectors.get_member(request.user, member_id, Perm.POINTS_MANAGE)
    reversals = services.clear_points(
        request.user, member, payload.start, payload.end, payload.category, payload.reason
    )
    return Status(201, [_entry_out(selectors.get_entry(request.user, r.pk)) for r in reversals])


@router.post("/entries/{entry_id}/appeal", response={201: AppealOut}, summary="对本人的积分记录提出申诉")
def file_appeal(request, entry_id: int, payload: ReasonIn):
    entry = selectors.get_entry(request.user, entry_id)
    appeal = services.file_appeal(request.user, entry, payload.reason)
    return Status(201, _appeal_out(selectors.get_appeal(request.user, appeal.pk, manage=False)))


@router.get("/appeals", response=AppealPage, summary="申诉处理队列：管辖范围内的申诉")
def list_appeals(
    request,
    paging: Query[PageQuery],
    status: Literal["open", "upheld", "reversed", "withdrawn", "all"] = Query(
        "open", description="状态；all 为全部"
    ),
):
    _require_manage(request, "您没有处理积分申诉的权限")
    qs = selectors.appeals(request.user, None if status == "all" else status)
    return _appeal_page(qs, paging)


@router.get("/appeals/mine", response=AppealPage, summary="我的申诉（含处理结果）")
def my_appeals(request, paging: Query[PageQuery]):
    qs = selectors.my_appeals(request.user).select_related("member", "org", "submitted_by", "resolved_by")
    return _appeal_page(qs, paging)


@router.post("/appeals/{appeal_id}/resolve", response=AppealOut, summary="处理申诉：维持原记分或冲正")
def resolve_appeal(request, appeal_id: int, payload: ResolveIn):
    appeal = selectors.get_appeal(request.user, appeal_id, manage=False)
    services.resolve_appeal(request.user, appeal, payload.decision, payload.resolution)
    return _appeal_out(selectors.get_appeal(request.user, appeal_id, manage=False))


@router.post("/appeals/{appeal_id}/withdraw", response=AppealOut, summary="撤回本人尚未处理的申诉")
def withdraw_appeal(request, appeal_id: int):
    appeal = selectors.get_appeal(request.user, appeal_id, manage=False)
    services.withdraw_appeal(request.user, appeal)
    return _appeal_out(selectors.get_appeal(request.user, appeal_id, manage=False))


# --- Rankings (opt-in per organization) -------------------------------------------------------------


@router.get(
    "/ranking",
    response=RankingOut,
    summary="积分排名（须本组织开启排名；未开启时403）：组织及下级在册党员，分页",
)
def ranking(
    request,
    when: Query[PeriodQuery],
    paging: Query[PageQuery],
    org: int = Query(..., description="排名范围：组织ID（支部、党小组或上级组织）"),
):
    scope = org_selectors.get_org(request.user, org, Perm.POINTS_VIEW)
    if not selectors.ranking_enabled(scope):
        raise PermissionDenied(RANKING_OFF)
    kind, start, end = _bounds(when.period, when.day, when.start, when.end)
    qs = selectors.ranked_members(scope, start, end)
    limit, offset = page_slice(paging)
    items = [
        RankRow(
            rank=m.rank,
            member_id=m.pk,
            name=m.name,
            org_name=m.org.name,
            group_name=m.group.name if m.group_id else None,
            total=_two(m.total),
        )
        for m in qs[offset : offset + limit]
    ]
    return RankingOut(
        org_id=scope.pk,
        org_name=scope.name,
        period=kind,
        label=rules.period_label(kind, start, end),
        start=start,
        end=end,
        count=qs.count(),
        limit=limit,
        offset=offset,
        items=items,
    )


@router.get("/ranking/me", response=OwnRankOut, summary="我的名次（须该组织开启排名）")
def my_rank(
    request,
    when: Query[PeriodQuery],
    org: int | None = Query(None, description="排名范围：本人所在支部（默认）、党小组或上级组织的ID"),
):
    member = _own_member(request)
    scope = Organization.objects.filter(pk=org).first() if org is not None else member.org
    if scope is None or not _on_own_path(member, scope):
        raise Http404("您不在该组织的排名范围内")
    if not selectors.ranking_enabled(scope):
        raise PermissionDenied(RANKING_OFF)
    _, start, end = _bounds(when.period, when.day, when.start, when.end)
    own = selectors.member_rank(member, scope, start, end)
    return OwnRankOut(
        org_id=scope.pk, org_name=scope.name, rank=own.rank, total=_two(own.total), count=own.count
    )


# --- Published rankings (积分通报) -------------------------------------------------------------------


@router.post(
    "/snapshots",
    response={201: SnapshotOut},
    summary="发布积分通报（须本组织允许发布；周期须已结束，发布后不能修改）",
)
def publish_snapshot(request, payload: SnapshotIn):
    org = org_selectors.get_org(request.user, payload.org, Perm.POINTS_MANAGE)
    kind, start, end = _bounds(payload.period, payload.day, payload.start, payload.end, "body")
    snap = services.publish_snapshot(request.user, org, kind, start, end, payload.title, payload.note)
    return Status(201, SnapshotOut(**_snapshot_fields(selectors.get_snapshot(request.user, snap.pk))))


@router.get("/snapshots", response=SnapshotPage, summary="已发布的积分通报（管辖范围内及本人所在组织）")
def list_snapshots(
    request, paging: Query[PageQuery], org: int | None = Query(None, description="只看该组织的通报")
):
    qs = selectors.visible_snapshots(request.user)
    if org is not None:
        qs = qs.filter(org_id=org)
    limit, offset = page_slice(paging)
    items = [SnapshotOut(**_snapshot_fields(s)) for s in qs[offset : offset + limit]]
    return SnapshotPage(count=qs.count(), limit=limit, offset=offset, items=items)


@router.get("/snapshots/{snapshot_id}", response=SnapshotDetailOut, summary="积分通报详情：名次明细（分页）")
def get_snapshot(request, snapshot_id: int, paging: Query[PageQuery]):
    snap = selectors.get_snapshot(request.user, snapshot_id)
    rows = snap.rows.all()
    limit, offset = page_slice(paging)
    return SnapshotDetailOut(
        **_snapshot_fields(snap),
        count=rows.count(),
        limit=limit,
        offset=offset,
        rows=[
            SnapshotRowOut(
                rank=r.rank, member_id=r.member_id, name=r.name, org_name=r.org_name, total=r.total
            )
            for r in rows[offset : offset + limit]
        ],
    )
