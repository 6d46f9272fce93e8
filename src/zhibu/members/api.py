"""API: member records (花名册), history and statistics. Thin: parse, call a service or selector."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.core.errors import fail
from zhibu.core.masking import mask_id_number, mask_phone
from zhibu.members import rules, selectors, services
from zhibu.members.models import Category, Degree, Education, Employment, Gender, Member, MemberStatus
from zhibu.orgs import selectors as org_selectors
from zhibu.orgs.models import Organization

router = Router(tags=["党员"])


class MemberOut(Schema):
    id: int
    name: str = Field(description="姓名")
    gender: str = Field(description="性别：male 男 / female 女")
    birth_date: date | None = Field(description="出生日期")
    age: int | None = Field(description="周岁")
    id_number: str = Field(description="身份证号（默认部分隐藏）")
    id_number_masked: bool = Field(description="身份证号是否已隐藏")
    mobile: str = Field(description="手机号（无权限时部分隐藏）")
    mobile_masked: bool = Field(description="手机号是否已隐藏")
    ethnicity: str = Field(description="民族代码（GB/T 3304）")
    ethnicity_name: str = Field(description="民族")
    category: str = Field(description="党员类别：full 正式党员 / probationary 预备党员")
    status: str = Field(description="状态：normal 正常 / mobile 流动 / lost 失联 / suspended 停止党籍 等")
    status_name: str = Field(description="状态名称")
    status_since: date | None = Field(description="状态起始日期")
    org_id: int = Field(description="所在支部ID")
    org_name: str = Field(description="所在支部")
    group_id: int | None = Field(description="党小组ID")
    group_name: str | None = Field(description="党小组")
    joined_on: date | None = Field(description="入党日期")
    converted_on: date | None = Field(description="转正日期")
    party_standing_years: int | None = Field(description="党龄（年，自转正之日起算）")
    education: str = Field(description="学历")
    party_posts: str = Field(description="党内职务")
    hardship: bool = Field(description="困难党员")
    veteran: bool = Field(description="老党员")
    under_party_probation: bool = Field(description="留党察看期间")


class MemberDetailOut(MemberOut):
    native_place: str = Field(description="籍贯")
    degree: str = Field(description="学位")
    work_unit: str = Field(description="工作单位")
    work_post: str = Field(description="工作岗位/职务")
    employment: str = Field(description="人员类别（党费按此计算）")
    address: str = Field(description="家庭住址")
    dues_start_on: date | None = Field(description="党费起缴日期")
    mobile_destination: str = Field(description="流动去向")
    mobile_since: date | None = Field(description="外出流动日期")
    mobile_certificate_no: str = Field(description="流动党员活动证号")
    lost_since: date | None = Field(description="失联日期")
    user_id: int | None = Field(description="关联账户ID")


class MemberPage(Schema):
    count: int = Field(description="符合条件的总人数")
    limit: int
    offset: int
    items: list[MemberOut]


class MemberInfoIn(Schema):
    """Fields of a record a manager may set; birth date and gender are derived from the ID number."""

    name: str = Field(description="姓名", max_length=50)
    id_number: str | None = Field(None, description="18位身份证号", max_length=18)
    gender: Gender | None = Field(None, description="性别；留空按身份证号识别")
    birth_date: date | None = Field(None, description="出生日期；留空按身份证号识别")
    ethnicity: str = Field("01", description="民族代码（GB/T 3304，01 汉族）", max_length=2)
    native_place: str = Field("", description="籍贯", max_length=50)
    mobile: str = Field("", description="手机号", max_length=11)
    address: str = Field("", description="家庭住址", max_length=200)
    education: Education | None = Field(None, description="学历")
    degree: Degree = Field(Degree.NONE, description="学位")
    work_unit: str = Field("", description="工作单位", max_length=100)
    work_post: str = Field("", description="工作岗位/职务", max_length=100)
    employment: Employment = Field(Employment.EMPLOYED, description="人员类别")
    joined_on: date | None = Field(None, description="入党日期（支部大会通过之日）")
    converted_on: date | None = Field(None, description="转正日期；预备党员不填")
    dues_start_on: date | None = Field(None, description="党费起缴日期；留空为入党日期")
    hardship: bool = Field(False, description="困难党员")
    veteran: bool = Field(False, description="老党员")
    under_party_probation: bool = Field(False, description="留党察看期间")
    mobile_destination: str = Field("", description="流动去向", max_length=100)
    mobile_since: date | None = Field(None, description="外出流动日期")
    mobile_certificate_no: str = Field("", description="流动党员活动证号", max_length=40)


class MemberIn(MemberInfoIn):
    org_id: int = Field(description="所在党支部ID")
    group_id: int | None = Field(None, description="党小组ID（须为该支部的党小组）")
    category: Category = Field(Category.FULL, description="党员类别")
    status: MemberStatus = Field(MemberStatus.NORMAL, description="状态（不能为已转出）")
    lost_since: date | None = Field(None, description="失联日期（状态为失联时必填）")
    party_posts: str = Field("", description="党内职务", max_length=100)


class MemberPatch(Schema):
    """Only the fields sent are changed; status, category, org, group and posts have their own endpoints."""

    reason: str = Field("", description="修改原因（记入档案历史）", max_length=300)
    name: str | None = Field(None, max_length=50)
    id_number: str | None = Field(None, max_length=18)
    gender: Gender | None = None
    birth_date: date | None = None
    ethnicity: str | None = Field(None, max_length=2)
    native_place: str | None = Field(None, max_length=50)
    mobile: str | None = Field(None, max_length=11)
    address: str | None = Field(None, max_length=200)
    education: Education | None = None
    degree: Degree | None = None
    work_unit: str | None = Field(None, max_length=100)
    work_post: str | None = Field(None, max_length=100)
    employment: Employment | None = None
    joined_on: date | None = None
    converted_on: date | None = None
    dues_start_on: date | None = None
    hardship: bool | None = None
    veteran: bool | None = None
    under_party_probation: bool | None = None
    mobile_destination: str | None = Field(None, max_length=100)
    mobile_since: date | None = None
    mobile_certificate_no: str | None = Field(None, max_length=40)


class StatusIn(Schema):
    status: MemberStatus = Field(description="新状态（已转出请走组织关系转接）")
    on: date = Field(description="变更日期；失联为失去联系之日")
    reason: str = Field("", description="原因；停止党籍、出党、去世必填", max_length=300)


class GroupIn(Schema):
    group_id: int | None = Field(description="党小组ID；null 表示不编入党小组")
    on: date = Field(description="调整日期")
    reason: str = Field("", description="原因", max_length=300)


class PostIn(Schema):
    party_posts: str = Field(description="党内职务；空字符串表示无", max_length=100)
    on: date = Field(description="变更日期")
    reason: str = Field("", description="原因", max_length=300)


class EventOut(Schema):
    id: int
    kind: str = Field(description="事项代码")
    kind_name: str = Field(description="事项")
    occurred_on: date = Field(description="发生日期")
    reason: str = Field(description="原因/说明")
    data: dict = Field(description="变更内容 {字段: [变更前, 变更后]} 及其他详情")
    org_name: str = Field(description="记录时所在组织")
    recorded_by: str | None = Field(description="记录人")
    recorded_at: str = Field(description="记录时间")


class CountOut(Schema):
    key: str
    label: str
    value: int


class StatsOut(Schema):
    total: int = Field(description="在册党员数（正常、流动、失联）")
    all_records: int = Field(description="档案总数（含各种状态）")
    status: list[CountOut] = Field(description="按状态（全部档案）")
    gender: list[CountOut]
    category: list[CountOut]
    ethnicity: list[CountOut] = Field(description="按民族（前五位及其他）")
    age: list[CountOut] = Field(description="按年龄段")
    education: list[CountOut]
    standing: list[CountOut] = Field(description="按党龄（正式党员）")


class RosterQuery(Schema):
    org: int | None = Field(None, description="组织ID：该组织及其下级")
    status: str = Field("on_roll", description="on_roll 在册（默认）/ all 全部 / 某一状态代码")
    category: Category | None = Field(None, description="党员类别")
    group: int | None = Field(None, description="党小组ID")
    age_band: str | None = Field(None, description="年龄段：le30, 31_40, 41_50, 51_60, 61_70, gt70")
    education: str | None = Field(None, description="学历代码；none 表示未登记")
    flag: list[str] = Field([], description="标记（可多选）：hardship, veteran, mobile, lost, probation")
    q: str = Field("", description="姓名、手机号或身份证号后几位")
    sort: str = Field("name", description="排序：name, joined_on, birth_date, org；前加 - 为降序")
    limit: int = Field(50, description="每页条数（1–500）")
    offset: int = Field(0, description="起始位置")


def _member_out(user, member: Member, *, unmask_id: bool = False, cls=MemberOut):
    today = timezone.localdate()
    sensitive = access.can_see_sensitive(user, member.org)
    data = {
        "id": member.pk,
        "name": member.name,
        "gender": member.gender,
        "birth_date": member.birth_date,
        "age": rules.age_on(member.birth_date, today) if member.birth_date else None,
        "id_number": (member.id_number or "") if unmask_id else mask_id_number(member.id_number),
        "id_number_masked": not unmask_id and bool(member.id_number),
        "mobile": member.mobile if sensitive else mask_phone(member.mobile),
        "mobile_masked": not sensitive and bool(member.mobile),
        "ethnicity": member.ethnicity,
        "ethnicity_name": member.get_ethnicity_display(),
        "category": member.category,
        "status": member.status,
        "status_name": member.get_status_display(),
        "status_since": member.status_since,
        "org_id": member.org_id,
        "org_name": member.org.name,
        "group_id": member.group_id,
        "group_name": member.group.name if member.group_id else None,
        "joined_on": member.joined_on,
        "converted_on": member.converted_on,
        "party_standing_years": rules.party_standing_years(member.converted_on, today)
        if member.category == Category.FULL
        else None,
        "education": member.education,
        "party_posts": member.party_posts,
        "hardship": member.hardship,
        "veteran": member.veteran,
        "under_party_probation": member.under_party_probation,
    }
    if cls is MemberDetailOut:
        for field in (
            "native_place",
            "degree",
            "work_unit",
            "work_post",
            "employment",
            "address",
            "dues_start_on",
            "mobile_destination",
            "mobile_since",
            "mobile_certificate_no",
            "lost_since",
            "user_id",
        ):
            data[field] = getattr(member, field)
    return cls(**data)


def _detail(request, member: Member, *, unmask_id: bool = False) -> MemberDetailOut:
    member = selectors.get_member(request.user, member.pk)
    return _member_out(request.user, member, unmask_id=unmask_id, cls=MemberDetailOut)


def _manageable(request, member_id: int) -> Member:
    member = selectors.get_member(request.user, member_id)
    if not access.has_perm(request.user, Perm.MEMBER_MANAGE, member.org):
        raise PermissionDenied("您没有修改该党员档案的权限")
    return member


def _require_view(user) -> None:
    if not access.has_perm(user, Perm.MEMBER_VIEW):
        raise PermissionDenied("您没有查看党员档案的权限")


def _org(request, org_id: int | None) -> Organization | None:
    return org_selectors.get_org(request.user, org_id, Perm.MEMBER_VIEW) if org_id else None


@router.get(
    "", response=MemberPage, summary="花名册：可见范围内的党员（可筛选、排序、分页；身份证号部分隐藏）"
)
def list_members(request, filters: Query[RosterQuery]):
    _require_view(request.user)
    org = _org(request, filters.org)
    group = None
    if filters.group:
        group = Organization.objects.filter(pk=filters.group, org_type="group").first()
        if group is None:
            raise Http404("未找到该党小组")
    qs = selectors.roster(
        request.user,
        org=org,
        status=filters.status,
        category=filters.category,
        group=group,
        age_band=filters.age_band,
        education=filters.education,
        flags=filters.flag,
        q=filters.q,
        sort=filters.sort,
    )
    limit = max(1, min(filters.limit, 500))
    offset = max(0, filters.offset)
    items = [_member_out(request.user, m) for m in qs[offset : offset + limit]]
    return MemberPage(count=qs.count(), limit=limit, offset=offset, items=items)


@router.get("/stats", response=StatsOut, summary="党员统计：按状态、性别、民族、年龄、学历、类别、党龄")
def member_stats(request, org: int | None = None):
    _require_view(request.user)
    return selectors.stats(request.user, _org(request, org))


@router.get("/{member_id}", response=MemberDetailOut, summary="党员档案详情")
def get_member(
    request,
    member_id: int,
    unmask: bool = Query(False, description="显示完整身份证号（仅限有权限的角色，记入审计日志）"),
):
    member = selectors.get_member(request.user, member_id)
    if unmask:
        services.reveal_sensitive(request.user, member)
    return _member_out(request.user, member, unmask_id=unmask, cls=MemberDetailOut)


@router.post("", response={201: MemberDetailOut}, summary="新建党员档案")
def create_member(request, payload: MemberIn):
    org = org_selectors.get_org(request.user, payload.org_id, Perm.MEMBER_MANAGE)
    data = payload.dict(exclude={"org_id", "group_id"})
    if data.get("education") is None:
        data["education"] = ""
    data["group"] = _group(payload.group_id)
    member = services.create_member(request.user, org=org, **data)
    return Status(201, _detail(request, member))


def _group(group_id: int | None):
    if group_id is None:
        return None
    group = Organization.objects.filter(pk=group_id).first()
    if group is None:
        fail("未找到该党小组", "group_id")
    return group


@router.patch(
    "/{member_id}", response=MemberDetailOut, summary="修改党员信息（身份、联系方式、工作、学历、标记）"
)
def update_member(request, member_id: int, payload: MemberPatch):
    member = _manageable(request, member_id)
    data = payload.dict(exclude_unset=True)
    reason = data.pop("reason", "")
    if "education" in data and data["education"] is None:
        data["education"] = ""
    member = services.update_member(request.user, member, reason=reason, **data)
    return _detail(request, member)


@router.post("/{member_id}/status", response=MemberDetailOut, summary="变更党员状态")
def change_status(request, member_id: int, payload: StatusIn):
    member = _manageable(request, member_id)
    return _detail(request, services.change_status(request.user, member, **payload.dict()))


@router.post("/{member_id}/group", response=MemberDetailOut, summary="调整党小组")
def change_group(request, member_id: int, payload: GroupIn):
    member = _manageable(request, member_id)
    group = _group(payload.group_id)
    member = services.change_group(request.user, member, group=group, on=payload.on, reason=payload.reason)
    return _detail(request, member)


@router.post("/{member_id}/post", response=MemberDetailOut, summary="党内职务变更")
def change_post(request, member_id: int, payload: PostIn):
    member = _manageable(request, member_id)
    return _detail(request, services.change_post(request.user, member, **payload.dict()))


@router.get("/{member_id}/history", response=list[EventOut], summary="党员档案历史（新的在前）")
def history(request, member_id: int):
    member = selectors.get_member(request.user, member_id)
    return [
        EventOut(
            id=e.pk,
            kind=e.kind,
            kind_name=e.get_kind_display(),
            occurred_on=e.occurred_on,
            reason=e.reason,
            data=e.data,
            org_name=e.org.name,
            recorded_by=e.recorded_by.display_name if e.recorded_by_id else None,
            recorded_at=timezone.localtime(e.recorded_at).isoformat(),
        )
        for e in selectors.timeline(member)
    ]
