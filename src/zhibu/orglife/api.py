"""API: 组织生活 — meeting types, meetings from plan to archive (三会一课, 主题党日, 组织生活会…), attendance
and the member's own QR check-in, minutes, votes (resolutions, elections) and exclusions from "expected".

Thin: parse input, call `orglife.selectors` / `orglife.services`, shape the answer. Scope: a meeting out of
the caller's sight → 404; a meeting they may see but not manage (a member of the branch, a 党小组长 looking
at a branch meeting) → 403; service refusals → 400 with field errors; malformed input → 422.

Check-in is idempotent: POST /checkin answers 200 with `created: true` the first time and `created: false`
on a repeat (a second scan, a double tap, a retry), and scores attendance points once.

Pagination: `limit` (1–200, default 50) and `offset`, or `page` (from 1); pages answer
`{count, limit, offset, items}` like the points API. Times are Beijing time; input without a time zone
is read as Beijing time.
"""

from datetime import date, datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from zhibu.api.paging import PageQuery, invalid, page_slice
from zhibu.core import access, config
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError
from zhibu.members.models import Member
from zhibu.orglife import rules, selectors, services
from zhibu.orglife.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingType,
    Vote,
    VoteExclusion,
)
from zhibu.orgs import selectors as org_selectors
from zhibu.orgs.models import Organization
from zhibu.points.rules import local_range

router = Router(tags=["组织生活"])

NO_ATTENDANCE_VIEW = "您没有查看出席情况的权限"
NO_MANAGE = "您没有管理该会议的权限"

StatusName = Literal["planned", "notified", "held", "recorded", "archived", "cancelled"]
AttendanceName = Literal["pending", "present", "late", "absent"]
ReasonName = Literal["sick", "personal", "official", "other", "unexcused"]
ExclusionName = Literal["ill", "abroad", "sentenced", "bedridden", "away"]


# --- Schemas: input ---------------------------------------------------------------------------------


class MeetingsQuery(Schema):
    org: int | None = Field(
        None, description="组织ID（支部含其党小组的会议，或一个党小组）；不填为可见的全部会议"
    )
    year: int | None = Field(None, description="年度（按北京时间的会议开始日期）")
    status: StatusName | None = Field(
        None,
        description="状态：planned 已计划 / notified 已通知 / held 已召开 / recorded 已记录 / "
        "archived 已归档 / cancelled 已取消",
    )
    type: str | None = Field(None, description="会议类型代码，如 branch_meeting、theme_day", max_length=40)


class MeetingIn(Schema):
    org: int = Field(description="召开会议的组织ID：党支部，党小组会为党小组")
    type: str = Field(
        description="会议类型代码（见 /orglife/meeting-types），如 branch_meeting", max_length=40
    )
    topic: str = Field(description="会议主题", max_length=150)
    starts_at: datetime = Field(description="开始时间（未带时区按北京时间）")
    ends_at: datetime = Field(description="结束时间（晚于开始时间，一次会议不超过3天）")
    place: str = Field("", description="地点（与线上会议链接至少填一项）", max_length=150)
    online_link: str = Field("", description="线上会议链接", max_length=200)
    host: int | None = Field(None, description="主持人（本支部党员ID）")
    recorder: int | None = Field(None, description="记录人（本支部党员ID）")
    lecturer: str = Field("", description="授课人（党课）", max_length=50)
    agenda: str = Field("", description="议程，每行一项；不填按会议类型的记录模板")


class MeetingPatch(Schema):
    """Only the fields sent are changed; an archived or cancelled meeting cannot be changed."""

    topic: str | None = Field(None, description="会议主题", max_length=150)
    starts_at: datetime | None = Field(None, description="开始时间（未带时区按北京时间）")
    ends_at: datetime | None = Field(None, description="结束时间")
    place: str | None = Field(None, description="地点", max_length=150)
    online_link: str | None = Field(None, description="线上会议链接", max_length=200)
    host: int | None = Field(None, description="主持人（本支部党员ID）；null 为清除")
    recorder: int | None = Field(None, description="记录人（本支部党员ID）；null 为清除")
    lecturer: str | None = Field(None, description="授课人", max_length=50)
    agenda: str | None = Field(None, description="议程，每行一项")


class CancelIn(Schema):
    reason: str = Field(description="取消原因", max_length=200)


class MarkIn(Schema):
    member: int = Field(description="党员ID（须在本次会议名单中）")
    status: AttendanceName = Field(
        description="出席情况：present 出席 / late 迟到 / absent 缺席 / pending 待确认"
    )
    absence_reason: ReasonName | None = Field(
        None,
        description="缺席原因（缺席时必填）：sick 病假 / personal 事假 / official 公假 / other 其他 / "
        "unexcused 无故缺席（扣分）",
    )
    absence_note: str | None = Field(None, description="缺席说明", max_length=200)
    makeup_on: date | None = Field(None, description="补学日期（仅缺席人员，不早于会议日期）")
    makeup_note: str | None = Field(None, description="补学内容", max_length=200)


class AttendanceIn(Schema):
    marks: list[MarkIn] = Field(description="逐人登记；全部有效才保存（一条有误则都不保存）", min_length=1)


class CheckinIn(Schema):
    token: str = Field(description="会议签到码（扫描主持人展示的二维码获得）", max_length=64)


class MinutesItemIn(Schema):
    title: str = Field("", description="议题", max_length=150)
    discussion: str = Field("", description="讨论情况")
    resolution: str = Field("", description="决议/结论")


class MinutesIn(Schema):
    items: list[MinutesItemIn] = Field(description="会议记录条目（按顺序；整体替换原有记录；空白条目忽略）")
    summary: str = Field("", description="会议小结")


class CandidateIn(Schema):
    name: str = Field(description="候选人姓名", max_length=50)
    votes: int = Field(description="得票数")


class VoteIn(Schema):
    kind: Literal["resolution", "election"] = Field(description="类型：resolution 一般决议 / election 选举")
    subject: str = Field(description="表决事项", max_length=200)
    in_favour: int = Field(0, description="赞成票（一般决议）")
    against: int = Field(0, description="反对票（一般决议）")
    abstain: int = Field(0, description="弃权票（一般决议）")
    candidates: list[CandidateIn] = Field([], description="候选人及得票（选举）")
    seats: int = Field(0, description="应选人数（选举）")


class ExclusionIn(Schema):
    member: int = Field(description="缺席的有表决权党员ID")
    reason: ExclusionName = Field(
        description="原因：ill 患有严重疾病 / abroad 出国（境）半年以上 / sentenced 受处分或服刑 / "
        "bedridden 年老体弱卧床 / away 外出半年以上或待转组织关系"
    )
    approved_by: str = Field(description="批准的组织或负责人", max_length=100)


# --- Schemas: output --------------------------------------------------------------------------------


class MeetingTypeOut(Schema):
    id: int
    code: str = Field(description="类型代码")
    name: str = Field(description="名称")
    attendees: str = Field(
        description="应参加人员代码：branch 支部全体党员 / committee 支部委员 / group 党小组成员"
    )
    attendees_name: str = Field(description="应参加人员")
    can_vote: bool = Field(description="可进行表决")
    points_rule: str = Field(description="出席积分规则代码；空为不计分")
    minutes_template: list[str] = Field(description="会议记录模板（议程条目）")
    org_id: int | None = Field(description="自定义该类型的组织ID；null 为系统类型")


class CountsOut(Schema):
    expected: int = Field(description="应到（名单人数）")
    present: int = Field(description="出席（不含迟到）")
    late: int = Field(description="迟到")
    absent: int = Field(description="缺席")
    pending: int = Field(description="待确认")


class MeetingOut(Schema):
    id: int
    org_id: int
    org_name: str = Field(description="召开组织")
    type_code: str = Field(description="会议类型代码")
    type_name: str = Field(description="会议类型")
    status: str = Field(description="状态代码")
    status_name: str = Field(description="状态")
    topic: str = Field(description="主题")
    starts_at: datetime = Field(description="开始时间（北京时间）")
    ends_at: datetime = Field(description="结束时间")
    place: str = Field(description="地点")
    online_link: str = Field(description="线上会议链接")
    host_id: int | None
    host_name: str | None = Field(description="主持人")
    recorder_id: int | None
    recorder_name: str | None = Field(description="记录人")
    lecturer: str = Field(description="授课人")
    agenda: list[str] = Field(description="议程")
    notified_at: datetime | None = Field(description="通知时间")
    held_at: datetime | None = Field(description="确认召开时间")
    recorded_at: datetime | None = Field(description="记录完成时间")
    archived_at: datetime | None = Field(description="归档时间")
    cancel_reason: str = Field(description="取消原因")
    counts: CountsOut = Field(description="出席统计")
    can_manage: bool = Field(description="当前用户可管理该会议")


class MeetingPage(Schema):
    count: int = Field(description="总条数")
    limit: int
    offset: int
    items: list[MeetingOut]


class MinutesItemOut(Schema):
    order: int
    title: str = Field(description="议题")
    discussion: str = Field(description="讨论情况")
    resolution: str = Field(description="决议/结论")


class CandidateOut(Schema):
    name: str
    votes: int


class VoteOut(Schema):
    id: int
    kind: str = Field(description="类型代码：resolution / election")
    kind_name: str = Field(description="类型")
    subject: str = Field(description="表决事项")
    expected: int = Field(description="应到有表决权党员（按出席名单计算，已减去不计入人数）")
    present: int = Field(description="实到有表决权党员")
    in_favour: int = Field(description="赞成")
    against: int = Field(description="反对")
    abstain: int = Field(description="弃权")
    candidates: list[CandidateOut] = Field(description="候选人得票（选举）")
    seats: int = Field(description="应选人数（选举）")
    valid: bool = Field(description="有效")
    passed: bool = Field(description="通过/选举成功")
    message: str = Field(description="结果说明")
    recorded_by: str | None = Field(description="记录人")
    recorded_at: datetime


class ExclusionOut(Schema):
    id: int
    member_id: int
    member_name: str
    reason: str = Field(description="原因代码")
    reason_name: str = Field(description="原因")
    approved_by: str = Field(description="批准组织/人")


class AttachmentOut(Schema):
    id: int
    title: str
    url: str | None


class VotersOut(Schema):
    expected: int = Field(description="应到有表决权党员")
    present: int = Field(description="实到有表决权党员")
    excluded: int = Field(description="经批准不计入应到人数")


class MeetingDetailOut(MeetingOut):
    summary: str = Field(description="会议小结")
    minutes: list[MinutesItemOut] = Field(description="会议记录")
    votes: list[VoteOut] = Field(description="表决")
    exclusions: list[ExclusionOut] = Field(description="不计入应到人数的党员")
    attachments: list[AttachmentOut] = Field(description="附件")
    voters: VotersOut | None = Field(description="有表决权人数（可表决的会议）")
    checkin_token: str | None = Field(description="签到码（仅会议管理人可见，用于生成签到二维码）")
    checkin_opens: datetime = Field(description="签到开始时间")
    checkin_closes: datetime = Field(description="签到截止时间")


class AttendanceOut(Schema):
    id: int
    member_id: int
    member_name: str = Field(description="党员")
    status: str = Field(description="出席情况代码")
    status_name: str = Field(description="出席情况")
    absence_reason: str = Field(description="缺席原因代码")
    absence_reason_name: str = Field(description="缺席原因")
    absence_note: str = Field(description="缺席说明")
    checked_in_at: datetime | None = Field(description="签到时间")
    via: str = Field(description="登记方式代码：qr 扫码签到 / recorder 记录人登记")
    via_name: str = Field(description="登记方式")
    makeup_on: date | None = Field(description="补学日期")
    makeup_note: str = Field(description="补学内容")
    scored_rule: str = Field(description="当前计分规则代码（空为未计分）")


class AttendanceListOut(Schema):
    meeting_id: int
    counts: CountsOut
    items: list[AttendanceOut]


class MarkResultOut(AttendanceListOut):
    changed: int = Field(description="本次变更的人数")


class NotifyOut(Schema):
    added: int = Field(description="本次新增通知的人数")
    meeting: MeetingOut


class MeetingBrief(Schema):
    id: int
    topic: str
    type_name: str
    org_name: str
    starts_at: datetime
    ends_at: datetime
    place: str
    status: str
    status_name: str


class CheckinOut(Schema):
    created: bool = Field(description="本次签到成功；false 为此前已签到（重复扫码不重复计分）")
    message: str = Field(description="提示")
    status: str = Field(description="出席情况代码：present / late")
    status_name: str
    checked_in_at: datetime | None
    meeting: MeetingBrief


class MyMeetingOut(Schema):
    attendance_id: int
    status: str = Field(description="本人出席情况代码")
    status_name: str = Field(description="本人出席情况")
    absence_reason_name: str = Field(description="缺席原因")
    checked_in_at: datetime | None
    makeup_on: date | None = Field(description="补学日期")
    meeting: MeetingBrief


class MyMeetingPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MyMeetingOut]


# --- Helpers ----------------------------------------------------------------------------------------


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _local(moment: datetime | None) -> datetime | None:
    return timezone.localtime(moment) if moment is not None else None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _on_own_path(member, org: Organization) -> bool:
    own_paths = [member.org.path] + ([member.group.path] if member.group_id else [])
    return any(path.startswith(org.path) for path in own_paths)


def _readable_org(request, org_id: int | None) -> Organization | None:
    """The org asked for: the member's own branch/group (or above), else one in orglife.view scope."""
    member = selectors.own_member(request.user)
    if org_id is None:
        return member.org if member is not None else None
    org = Organization.objects.filter(pk=org_id).first()
    if org is not None and member is not None and _on_own_path(member, org):
        return org
    return org_selectors.get_org(request.user, org_id, Perm.ORGLIFE_VIEW)


def _member(pk: int | None, field: str) -> Member | None:
    if pk is None:
        return None
    member = Member.objects.filter(pk=pk).first()
    if member is None:
        raise ValidationError({field: ["未找到该党员"]})
    return member


def _type_for(org: Organization, code: str) -> MeetingType:
    """A type by code: the org's own (deepest on its path) first, then the system one."""
    selectors.ensure_seeded()
    steplen = Organization.steplen
    paths = [org.path[:i] for i in range(steplen, len(org.path) + 1, steplen)]
    found = [
        t
        for t in MeetingType.objects.filter(code=code, active=True)
        .filter(Q(org__isnull=True) | Q(org__path__in=paths))
        .select_related("org")
    ]
    if not found:
        raise ValidationError({"type": ["未找到该会议类型"]})
    return max(found, key=lambda t: len(t.org.path) if t.org_id else 0)


def _with_counts(qs):
    return qs.annotate(
        n_expected=Count("attendances"),
        n_present=Count("attendances", filter=Q(attendances__status=AttendanceStatus.PRESENT)),
        n_late=Count("attendances", filter=Q(attendances__status=AttendanceStatus.LATE)),
        n_absent=Count("attendances", filter=Q(attendances__status=AttendanceStatus.ABSENT)),
        n_pending=Count("attendances", filter=Q(attendances__status=AttendanceStatus.PENDING)),
    )


def _counts_of(meeting: Meeting) -> CountsOut:
    if not hasattr(meeting, "n_expected"):
        meeting = _with_counts(Meeting.objects.filter(pk=meeting.pk)).get()
    return CountsOut(
        expected=meeting.n_expected,
        present=meeting.n_present,
        late=meeting.n_late,
        absent=meeting.n_absent,
        pending=meeting.n_pending,
    )


def _meeting_fields(request, m: Meeting) -> dict:
    return {
        "id": m.pk,
        "org_id": m.org_id,
        "org_name": m.org.name,
        "type_code": m.type.code,
        "type_name": m.type.name,
        "status": m.status,
        "status_name": m.get_status_display(),
        "topic": m.topic,
        "starts_at": _local(m.starts_at),
        "ends_at": _local(m.ends_at),
        "place": m.place,
        "online_link": m.online_link,
        "host_id": m.host_id,
        "host_name": m.host.name if m.host_id else None,
        "recorder_id": m.recorder_id,
        "recorder_name": m.recorder.name if m.recorder_id else None,
        "lecturer": m.lecturer,
        "agenda": _lines(m.agenda),
        "notified_at": _local(m.notified_at),
        "held_at": _local(m.held_at),
        "recorded_at": _local(m.recorded_at),
        "archived_at": _local(m.archived_at),
        "cancel_reason": m.cancel_reason,
        "counts": _counts_of(m),
        "can_manage": selectors.can_manage(request.user, m),
    }


def _meeting_out(request, m: Meeting) -> MeetingOut:
    return MeetingOut(**_meeting_fields(request, m))


def _vote_out(v: Vote) -> VoteOut:
    return VoteOut(
        id=v.pk,
        kind=v.kind,
        kind_name=v.get_kind_display(),
        subject=v.subject,
        expected=v.expected,
        present=v.present,
        in_favour=v.in_favour,
        against=v.against,
        abstain=v.abstain,
        candidates=[CandidateOut(name=c["name"], votes=c["votes"]) for c in v.candidates or []],
        seats=v.seats,
        valid=v.valid,
        passed=v.passed,
        message=v.message,
        recorded_by=v.recorded_by.display_name if v.recorded_by_id else None,
        recorded_at=_local(v.recorded_at),
    )


def _exclusion_out(ex: VoteExclusion) -> ExclusionOut:
    return ExclusionOut(
        id=ex.pk,
        member_id=ex.member_id,
        member_name=ex.member.name,
        reason=ex.reason,
        reason_name=ex.get_reason_display(),
        approved_by=ex.approved_by,
    )


def _detail_out(request, m: Meeting) -> MeetingDetailOut:
    manage = selectors.can_manage(request.user, m)
    opens, closes = rules.checkin_window(
        m.starts_at,
        m.ends_at,
        config.get(m.org, "orglife.checkin_before_minutes"),
        config.get(m.org, "orglife.checkin_after_minutes"),
    )
    return MeetingDetailOut(
        **_meeting_fields(request, m),
        summary=m.summary,
        minutes=[
            MinutesItemOut(order=i.order, title=i.title, discussion=i.discussion, resolution=i.resolution)
            for i in m.minutes.all()
        ],
        votes=[_vote_out(v) for v in m.votes.select_related("recorded_by")],
        exclusions=[_exclusion_out(ex) for ex in m.exclusions.select_related("member").order_by("id")],
        attachments=[
            AttachmentOut(id=a.pk, title=a.title, url=a.file.url if a.file else None)
            for a in m.attachments.all()
        ],
        voters=VotersOut(**selectors.voters(m)) if m.type.can_vote else None,
        checkin_token=m.checkin_token if manage and not m.is_locked else None,
        checkin_opens=_local(opens),
        checkin_closes=_local(closes),
    )


def _attendance_out(a: Attendance) -> AttendanceOut:
    return AttendanceOut(
        id=a.pk,
        member_id=a.member_id,
        member_name=a.member.name,
        status=a.status,
        status_name=a.get_status_display(),
        absence_reason=a.absence_reason,
        absence_reason_name=a.get_absence_reason_display() if a.absence_reason else "",
        absence_note=a.absence_note,
        checked_in_at=_local(a.checked_in_at),
        via=a.via,
        via_name=a.get_via_display() if a.via else "",
        makeup_on=a.makeup_on,
        makeup_note=a.makeup_note,
        scored_rule=a.scored_rule,
    )


def _brief(m: Meeting) -> MeetingBrief:
    return MeetingBrief(
        id=m.pk,
        topic=m.topic,
        type_name=m.type.name,
        org_name=m.org.name,
        starts_at=_local(m.starts_at),
        ends_at=_local(m.ends_at),
        place=m.place,
        status=m.status,
        status_name=m.get_status_display(),
    )


def _managed(request, meeting_id: int) -> Meeting:
    """A meeting the caller may see (else 404) and manage (else 403)."""
    meeting = selectors.get_meeting(request.user, meeting_id)
    if not selectors.can_manage(request.user, meeting):
        raise PermissionDenied(NO_MANAGE)
    return meeting


def _fresh(request, meeting_id: int) -> Meeting:
    return selectors.get_meeting(request.user, meeting_id)


def _attendance_list(meeting: Meeting, cls=AttendanceListOut, **extra):
    return cls(
        meeting_id=meeting.pk,
        counts=_counts_of(meeting),
        items=[_attendance_out(a) for a in selectors.attendances(meeting)],
        **extra,
    )


# --- Types and meetings -----------------------------------------------------------------------------


@router.get(
    "/meeting-types",
    response=list[MeetingTypeOut],
    summary="会议类型：某组织可用的会议类型（支部或党小组；含应参加人员、可否表决、记录模板）",
)
def meeting_types(
    request, org: int | None = Query(None, description="组织ID；不填为本人所在支部（无党员档案时为系统类型）")
):
    scope = _readable_org(request, org)
    if scope is None:
        selectors.ensure_seeded()
        types = list(MeetingType.objects.filter(org__isnull=True, active=True))
    else:
        types = selectors.meeting_types(scope)
    return [
        MeetingTypeOut(
            id=t.pk,
            code=t.code,
            name=t.name,
            attendees=t.attendees,
            attendees_name=t.get_attendees_display(),
            can_vote=t.can_vote,
            points_rule=t.points_rule,
            minutes_template=_lines(t.minutes_template),
            org_id=t.org_id,
        )
        for t in types
    ]


@router.get(
    "/meetings",
    response=MeetingPage,
    summary="会议列表：可见的会议（管辖范围内、本人所在支部和党小组），按开始时间倒序，分页",
)
def list_meetings(request, filters: Query[MeetingsQuery], paging: Query[PageQuery]):
    visible = selectors.visible_meetings(request.user).values("pk")
    qs = Meeting.objects.filter(pk__in=visible)
    if filters.org is not None:
        scope = _readable_org(request, filters.org)
        qs = qs.filter(org__path__startswith=scope.path)
    if filters.year is not None:
        if not 1949 <= filters.year <= 2999:
            invalid("year", "年度无效", "query")
        begin, stop = local_range(date(filters.year, 1, 1), date(filters.year, 12, 31))
        qs = qs.filter(starts_at__gte=begin, starts_at__lt=stop)
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    if filters.type:
        qs = qs.filter(type__code=filters.type)
    limit, offset = page_slice(paging)
    count = qs.count()
    page = _with_counts(qs.select_related("org", "type", "host", "recorder")).order_by("-starts_at", "-id")
    items = [_meeting_out(request, m) for m in page[offset : offset + limit]]
    return MeetingPage(count=count, limit=limit, offset=offset, items=items)


@router.post(
    "/meetings",
    response={201: MeetingDetailOut},
    summary="计划会议：日期、地点或线上链接、主题、主持人、记录人、议程（党小组会由党小组召开）",
)
def plan_meeting(request, payload: MeetingIn):
    org = org_selectors.get_org(request.user, payload.org, Perm.ORGLIFE_MANAGE)
    meeting_type = _type_for(org, payload.type)
    meeting = services.plan_meeting(
        request.user,
        org,
        meeting_type,
        topic=payload.topic,
        starts_at=_aware(payload.starts_at),
        ends_at=_aware(payload.ends_at),
        place=payload.place,
        online_link=payload.online_link,
        host=_member(payload.host, "host"),
        recorder=_member(payload.recorder, "recorder"),
        lecturer=payload.lecturer,
        agenda=payload.agenda,
    )
    return Status(201, _detail_out(request, _fresh(request, meeting.pk)))


@router.get(
    "/meetings/mine",
    response=MyMeetingPage,
    summary="我的会议：本人被通知参加的会议及出席情况（不含已取消），按开始时间倒序",
)
def my_meetings(
    request,
    paging: Query[PageQuery],
    upcoming: bool | None = Query(None, description="true 只看未结束的 / false 只看已结束的；不填为全部"),
):
    qs = selectors.my_meetings(request.user, upcoming=upcoming)
    limit, offset = page_slice(paging)
    items = [
        MyMeetingOut(
            attendance_id=a.pk,
            status=a.status,
            status_name=a.get_status_display(),
            absence_reason_name=a.get_absence_reason_display() if a.absence_reason else "",
            checked_in_at=_local(a.checked_in_at),
            makeup_on=a.makeup_on,
            meeting=_brief(a.meeting),
        )
        for a in qs[offset : offset + limit]
    ]
    return MyMeetingPage(count=qs.count(), limit=limit, offset=offset, items=items)


@router.get(
    "/meetings/{meeting_id}",
    response=MeetingDetailOut,
    summary="会议详情：会议信息、出席统计、会议记录、表决、不计入应到人数的党员；管理人另见签到码",
)
def get_meeting(request, meeting_id: int):
    return _detail_out(request, _fresh(request, meeting_id))


@router.patch(
    "/meetings/{meeting_id}",
    response=MeetingDetailOut,
    summary="修改会议信息（已归档、已取消的会议不能修改）",
)
def update_meeting(request, meeting_id: int, payload: MeetingPatch):
    meeting = _managed(request, meeting_id)
    data = payload.dict(exclude_unset=True)
    for field in ("host", "recorder"):
        if field in data:
            data[field] = _member(data[field], field)
    for field in ("starts_at", "ends_at"):
        if field in data:
            data[field] = _aware(data[field])
    services.update_meeting(request.user, meeting, **data)
    return _detail_out(request, _fresh(request, meeting_id))


@router.post(
    "/meetings/{meeting_id}/notify",
    response=NotifyOut,
    summary="发出会议通知：应参会人员各得一条出席记录（站内通知）；重复通知只增加新加入的人员",
)
def notify(request, meeting_id: int):
    meeting = _managed(request, meeting_id)
    added = services.notify(request.user, meeting)
    return NotifyOut(added=added, meeting=_meeting_out(request, _fresh(request, meeting_id)))


@router.post("/meetings/{meeting_id}/held", response=MeetingDetailOut, summary="确认会议已召开")
def mark_held(request, meeting_id: int):
    services.mark_held(request.user, _managed(request, meeting_id))
    return _detail_out(request, _fresh(request, meeting_id))


@router.post(
    "/meetings/{meeting_id}/complete",
    response=MeetingDetailOut,
    summary="会议记录完成：须全部人员出席情况已登记、会议记录至少一项",
)
def complete_record(request, meeting_id: int):
    services.complete_record(request.user, _managed(request, meeting_id))
    return _detail_out(request, _fresh(request, meeting_id))


@router.post(
    "/meetings/{meeting_id}/archive",
    response=MeetingDetailOut,
    summary="会议归档（记录完成后；归档后不能再修改）",
)
def archive(request, meeting_id: int):
    services.archive(request.user, _managed(request, meeting_id))
    return _detail_out(request, _fresh(request, meeting_id))


@router.post(
    "/meetings/{meeting_id}/cancel",
    response=MeetingDetailOut,
    summary="取消会议（已计划或已通知的会议；须填写原因）",
)
def cancel(request, meeting_id: int, payload: CancelIn):
    services.cancel(request.user, _managed(request, meeting_id), payload.reason)
    return _detail_out(request, _fresh(request, meeting_id))


# --- Attendance and check-in ------------------------------------------------------------------------


@router.get(
    "/meetings/{meeting_id}/attendance",
    response=AttendanceListOut,
    summary="出席名单：每位应参会人员的出席情况、缺席原因、签到时间和方式、补学",
)
def attendance(request, meeting_id: int):
    meeting = _fresh(request, meeting_id)
    if not access.has_perm(request.user, Perm.ORGLIFE_VIEW, meeting.org):
        raise PermissionDenied(NO_ATTENDANCE_VIEW)
    return _attendance_list(meeting)


@router.post(
    "/meetings/{meeting_id}/attendance",
    response=MarkResultOut,
    summary="登记出席情况（记录人为无手机的党员登记、更正、补学）：全部有效才保存；积分随之记分或冲正",
)
def mark_attendance(request, meeting_id: int, payload: AttendanceIn):
    meeting = _managed(request, meeting_id)
    marks: dict[int, dict] = {}
    for i, mark in enumerate(payload.marks):
        if mark.member in marks:
            invalid(f"marks.{i}.member", "同一党员重复登记", "body")
        data = mark.dict(exclude_unset=True, exclude={"member"})
        for key in ("absence_reason", "absence_note", "makeup_note"):
            if key in data and data[key] is None:
                data[key] = ""
        marks[mark.member] = data
    changed = services.mark_attendance(request.user, meeting, marks)
    return _attendance_list(_fresh(request, meeting_id), MarkResultOut, changed=changed)


@router.post(
    "/checkin",
    response=CheckinOut,
    summary="扫码签到（党员本人）：在签到时间内有效；重复签到返回 created=false，不重复计分",
)
def check_in(request, payload: CheckinIn):
    att, created = services.check_in(request.user, payload.token.strip())
    meeting = Meeting.objects.select_related("org", "type").get(pk=att.meeting_id)
    return CheckinOut(
        created=created,
        message=("签到成功" if att.status == AttendanceStatus.PRESENT else "签到成功（迟到）")
        if created
        else "您已签到，无需重复签到",
        status=att.status,
        status_name=att.get_status_display(),
        checked_in_at=_local(att.checked_in_at),
        meeting=_brief(meeting),
    )


# --- Minutes and votes ------------------------------------------------------------------------------


@router.put(
    "/meetings/{meeting_id}/minutes",
    response=MeetingDetailOut,
    summary="保存会议记录：议题、讨论情况、决议（整体替换）；会议开始后才能填写",
)
def save_minutes(request, meeting_id: int, payload: MinutesIn):
    meeting = _managed(request, meeting_id)
    services.save_minutes(request.user, meeting, [i.dict() for i in payload.items], payload.summary)
    return _detail_out(request, _fresh(request, meeting_id))


@router.post(
    "/meetings/{meeting_id}/votes",
    response={201: VoteOut},
    summary="记录表决（一般决议或选举）：应到、实到按出席名单计算，结果按规则判定",
)
def record_vote(request, meeting_id: int, payload: VoteIn):
    meeting = _managed(request, meeting_id)
    candidates: dict[str, int] = {}
    for i, c in enumerate(payload.candidates):
        name = c.name.strip()
        if name in candidates:
            invalid(f"candidates.{i}.name", "候选人姓名重复", "body")
        candidates[name] = c.votes
    vote = services.record_vote(
        request.user,
        meeting,
        kind=payload.kind,
        subject=payload.subject,
        in_favour=payload.in_favour,
        against=payload.against,
        abstain=payload.abstain,
        candidates=candidates,
        seats=payload.seats,
    )
    return Status(201, _vote_out(Vote.objects.select_related("recorded_by").get(pk=vote.pk)))


@router.post(
    "/meetings/{meeting_id}/exclusions",
    response={201: ExclusionOut},
    summary="经批准不计入应到人数（五种情形的缺席党员，选举条例）",
)
def exclude_voter(request, meeting_id: int, payload: ExclusionIn):
    meeting = _managed(request, meeting_id)
    member = _member(payload.member, "member")
    ex = services.exclude_voter(request.user, meeting, member, payload.reason, payload.approved_by)
    return Status(201, _exclusion_out(VoteExclusion.objects.select_related("member").get(pk=ex.pk)))
