"""API: org tree, org detail, committee."""

from datetime import date

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from zhibu.core import config
from zhibu.core.access import Perm
from zhibu.members.models import Member
from zhibu.orgs import selectors, services
from zhibu.orgs.models import (
    BranchKind,
    CommitteeSeat,
    CommitteeTerm,
    Organization,
    OrgType,
    Position,
    SeatHolding,
    Sector,
)

router = Router(tags=["组织"])


class OrgOut(Schema):
    id: int
    parent_id: int | None
    depth: int
    name: str
    short_name: str
    code: str
    org_type: str
    type_name: str
    branch_kind: str
    sector: str
    host_unit: str
    founded_on: date | None
    status: str
    dissolved_on: date | None
    member_count: int | None = None
    full_member_count: int | None = None


class AdviceOut(Schema):
    level: str
    message: str
    source: str


class HolderOut(Schema):
    holding_id: int
    member_id: int
    name: str
    started_on: date


class SeatOut(Schema):
    id: int
    position: str
    title: str
    holder: HolderOut | None
    vacant_since: date | None
    vacant_days: int | None


class CommitteeOut(Schema):
    term_id: int | None
    number: int | None
    kind: str | None
    started_on: date | None
    ends_on: date | None
    flag: str
    days_left: int | None
    seats: list[SeatOut]


class OrgDetailOut(OrgOut):
    children: list[OrgOut]
    advice: list[AdviceOut]
    committee: CommitteeOut


class OrgIn(Schema):
    parent_id: int
    name: str
    code: str
    org_type: OrgType
    short_name: str = ""
    branch_kind: BranchKind = BranchKind.REGULAR
    founded_on: date | None = None
    host_unit: str = ""
    sector: Sector = Sector.OTHER


class OrgPatch(Schema):
    name: str | None = None
    short_name: str | None = None
    code: str | None = None
    org_type: OrgType | None = None
    branch_kind: BranchKind | None = None
    founded_on: date | None = None
    host_unit: str | None = None
    sector: Sector | None = None


class MoveIn(Schema):
    parent_id: int


class DissolveIn(Schema):
    dissolved_on: date
    reason: str


class TermIn(Schema):
    started_on: date
    kind: CommitteeTerm.Kind = CommitteeTerm.Kind.COMMITTEE
    ends_on: date | None = None
    positions: list[Position] | None = None
    note: str = ""


class HolderIn(Schema):
    seat_id: int
    member_id: int
    started_on: date


class EndHoldingIn(Schema):
    ended_on: date
    reason: str


def visible_parent_ids(user, orgs: list[Organization]) -> dict[str, int]:
    """{path: id} of the orgs' parents that the user may see: a parent outside the scope stays hidden."""
    paths = {o.path[: -Organization.steplen] for o in orgs if o.depth > 1}
    return dict(selectors.visible_orgs(user).filter(path__in=paths).values_list("path", "id"))


def org_out(org: Organization, parent_ids: dict[str, int]) -> OrgOut:
    parent_id = parent_ids.get(org.path[: -Organization.steplen])
    return OrgOut(
        id=org.pk,
        parent_id=parent_id,
        depth=org.depth,
        name=org.name,
        short_name=org.short_name,
        code=org.code,
        org_type=org.org_type,
        type_name=org.display_type,
        branch_kind=org.branch_kind,
        sector=org.sector,
        host_unit=org.host_unit,
        founded_on=org.founded_on,
        status=org.status,
        dissolved_on=org.dissolved_on,
        member_count=getattr(org, "member_count", None),
        full_member_count=getattr(org, "full_count", None),
    )


def committee_out(view) -> CommitteeOut:
    term = view.term
    return CommitteeOut(
        term_id=term.pk if term else None,
        number=term.number if term else None,
        kind=term.kind if term else None,
        started_on=term.started_on if term else None,
        ends_on=term.ends_on if term else None,
        flag=view.flag,
        days_left=view.days_left,
        seats=[
            SeatOut(
                id=s.seat.pk,
                position=s.seat.position,
                title=s.seat.display_title,
                holder=HolderOut(
                    holding_id=s.holder.pk,
                    member_id=s.holder.member_id,
                    name=s.holder.member.name,
                    started_on=s.holder.started_on,
                )
                if s.holder
                else None,
                vacant_since=s.vacant_since,
                vacant_days=s.vacant_days,
            )
            for s in view.seats
        ],
    )


def _detail(request, org: Organization) -> OrgDetailOut:
    view = selectors.committee_view(org)
    members, full = selectors.member_counts(org)
    org.member_count, org.full_count = members, full
    base = org_out(org, visible_parent_ids(request.user, [org])).dict()
    return OrgDetailOut(
        **base,
        children=[
            org_out(c, {org.path: org.pk})
            for c in selectors.children_with_counts(org, include_dissolved=True)
        ],
        advice=[
            AdviceOut(level=a.level, message=a.message, source=a.source)
            for a in selectors.setup_advice(org, view)
        ]
        if org.is_active
        else [],
        committee=committee_out(view),
    )


@router.get("", response=list[OrgOut], summary="可见范围内的组织（按树序，扁平列表）")
def list_orgs(
    request,
    q: str = "",
    org_type: OrgType | None = None,
    include_dissolved: bool = False,
    limit: int = 500,
    offset: int = 0,
):
    qs = selectors.visible_orgs(request.user).order_by("path")
    if not include_dissolved:
        qs = qs.filter(status="active")
    if org_type:
        qs = qs.filter(org_type=org_type)
    if q:
        qs = qs.filter(name__icontains=q.strip()) | qs.filter(code__icontains=q.strip())
    limit = max(1, min(limit, 2000))
    orgs = list(qs[offset : offset + limit])
    parent_ids = visible_parent_ids(request.user, orgs)
    return [org_out(o, parent_ids) for o in orgs]


@router.get("/{org_id}", response=OrgDetailOut, summary="组织详情：下级组织、党员数、委员会、设置建议")
def get_org(request, org_id: int):
    return _detail(request, selectors.get_org(request.user, org_id))


@router.post("", response={201: OrgDetailOut}, summary="新建下级组织")
def create_org(request, payload: OrgIn):
    parent = selectors.get_org(request.user, payload.parent_id, Perm.ORG_MANAGE)
    data = payload.dict(exclude={"parent_id"})
    org = services.create_org(request.user, parent=parent, **data)
    return Status(201, _detail(request, org))


@router.patch("/{org_id}", response=OrgDetailOut, summary="修改组织")
def update_org(request, org_id: int, payload: OrgPatch):
    org = selectors.get_org(request.user, org_id, Perm.ORG_MANAGE)
    org = services.update_org(request.user, org, **payload.dict(exclude_unset=True))
    return _detail(request, org)


@router.post("/{org_id}/move", response=OrgDetailOut, summary="调整上级组织")
def move_org(request, org_id: int, payload: MoveIn):
    org = selectors.get_org(request.user, org_id, Perm.ORG_MANAGE)
    parent = selectors.get_org(request.user, payload.parent_id, Perm.ORG_MANAGE)
    return _detail(request, services.move_org(request.user, org, parent))


@router.post("/{org_id}/dissolve", response=OrgDetailOut, summary="撤销组织")
def dissolve_org(request, org_id: int, payload: DissolveIn):
    org = selectors.get_org(request.user, org_id, Perm.ORG_MANAGE)
    return _detail(request, services.dissolve_org(request.user, org, **payload.dict()))


@router.delete("/{org_id}", response={204: None}, summary="删除误建的组织（有党员或历史记录的只能撤销）")
def delete_org(request, org_id: int):
    org = selectors.get_org(request.user, org_id, Perm.ORG_MANAGE)
    services.delete_org(request.user, org)
    return Status(204, None)


@router.get(
    "/{org_id}/committee", response=CommitteeOut, summary="本届委员会：职位、在任人员、空缺、任期提醒"
)
def get_committee(request, org_id: int):
    return committee_out(selectors.committee_view(selectors.get_org(request.user, org_id)))


@router.post("/{org_id}/committee/terms", response={201: CommitteeOut}, summary="换届：新一届开始")
def start_term(request, org_id: int, payload: TermIn):
    org = selectors.get_org(request.user, org_id, Perm.COMMITTEE_MANAGE)
    services.start_term(request.user, org, **payload.dict())
    return Status(201, committee_out(selectors.committee_view(org)))


@router.post("/{org_id}/committee/holders", response={201: CommitteeOut}, summary="任职")
def assign_holder(request, org_id: int, payload: HolderIn):
    org = selectors.get_org(request.user, org_id, Perm.COMMITTEE_MANAGE)
    seat = get_object_or_404(CommitteeSeat, pk=payload.seat_id, term__org=org, term__ended_on__isnull=True)
    member = get_object_or_404(Member.objects.under(org), pk=payload.member_id)
    services.assign_holder(request.user, seat, member=member, started_on=payload.started_on)
    return Status(201, committee_out(selectors.committee_view(org)))


@router.post("/{org_id}/committee/holders/{holding_id}/end", response=CommitteeOut, summary="离任")
def end_holding(request, org_id: int, holding_id: int, payload: EndHoldingIn):
    org = selectors.get_org(request.user, org_id, Perm.COMMITTEE_MANAGE)
    holding = get_object_or_404(SeatHolding, pk=holding_id, seat__term__org=org)
    services.end_holding(request.user, holding, **payload.dict())
    return committee_out(selectors.committee_view(org))


class SettingOut(Schema):
    key: str
    label: str
    value: object
    default: object
    origin: str
    valid_from: date | None
    source: str


class SettingIn(Schema):
    key: str
    value: str
    valid_from: date
    note: str = ""


@router.get(
    "/{org_id}/settings", response=list[SettingOut], summary="规则配置：本组织当前生效的各项数值及来源"
)
def org_settings(request, org_id: int):
    org = selectors.get_org(request.user, org_id)
    return [row.__dict__ for row in config.effective(org)]


@router.post(
    "/{org_id}/settings", response={201: list[SettingOut]}, summary="设置规则数值（自生效日期起适用）"
)
def set_org_setting(request, org_id: int, payload: SettingIn):
    org = selectors.get_org(request.user, org_id)
    config.set_value(request.user, org, payload.key, payload.value, payload.valid_from, payload.note)
    return Status(201, [row.__dict__ for row in config.effective(org)])
