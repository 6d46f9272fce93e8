"""API: 民主评议党员 and 谈心谈话 (mounted at /orglife).

Reviews: start a branch's yearly review, read it with its entries, poll progress, tally and points
reference (officers), the member's own view, the self-assessment, the poll ballots (members, from their
phones; resubmitting replaces their own ballots), the committee's proposal and the 党员大会's confirmation.
Talks: list (the notes only for the parties and the secretary), record, coverage of a branch's year.

Thin: parse input, call `orglife.reviews` / `orglife.talks`, shape the answer. Scope: out of scope → 404;
in scope without the permission → 403; service refusals → 400 with field errors; malformed input → 422.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from zhibu.api.paging import MAX_LIMIT
from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.core.errors import fail
from zhibu.members.models import Member
from zhibu.orglife import reviews, selectors, talks
from zhibu.orglife.models import Grade, Meeting, Review, ReviewStatus, Talk
from zhibu.orgs import selectors as org_selectors

router = Router(tags=["民主评议与谈心谈话"])

NO_MEMBER = "您的账户未关联党员档案"
GradeName = Literal["excellent", "qualified", "basic", "unqualified"]
GRADES_HELP = "excellent 优秀 / qualified 合格 / basic 基本合格 / unqualified 不合格"


# --- Schemas: input ---------------------------------------------------------------------------------


class ReviewIn(Schema):
    org: int = Field(description="党支部ID")
    year: int = Field(description="评议年度（不晚于今年）")


class ReviewsQuery(Schema):
    org: int | None = Field(None, description="党支部ID；不填为管辖范围内的全部")
    year: int | None = Field(None, description="评议年度")


class SelfIn(Schema):
    text: str = Field(description=f"个人自评（不超过{reviews.SELF_MAX}字）", max_length=reviews.SELF_MAX)


class BallotIn(Schema):
    target: int = Field(description="被测评党员ID（本次定等名单中的其他党员）")
    grade: GradeName = Field(description=f"测评等次：{GRADES_HELP}")
    comment: str = Field("", description="互评意见（选填）", max_length=reviews.COMMENT_MAX)


class BallotsIn(Schema):
    ballots: list[BallotIn] = Field(
        description="对本次定等名单中每位其他党员的测评；再次提交整体替换本人此前的测评"
    )


class GradeIn(Schema):
    member: int = Field(description="党员ID")
    grade: GradeName | Literal[""] = Field(description=f"等次：{GRADES_HELP}；预备党员不评定等次")


class ProposeIn(Schema):
    grades: list[GradeIn] = Field(description="每位定等党员的建议等次")


class ConfirmIn(Schema):
    meeting: int = Field(description="确定等次的会议ID：本支部已召开的支部党员大会或民主评议党员大会")
    grades: list[GradeIn] | None = Field(None, description="党员大会确定的等次；不填按支委会建议等次确定")


class TalkIn(Schema):
    org: int | None = Field(None, description="党支部ID；不填为本人所在支部")
    initiator: int | None = Field(None, description="谈话人（党员ID）；不填为本人")
    partner: int = Field(description="谈话对象（党员ID）")
    held_on: date = Field(description="谈话日期（不晚于今天）")
    topic: str = Field(description="谈话主题", max_length=talks.TOPIC_MAX)
    notes: str = Field("", description="谈话要点（仅谈话双方和支部书记可见）", max_length=talks.NOTES_MAX)


class TalksQuery(Schema):
    org: int | None = Field(None, description="党支部ID（须有组织生活查看权限）；不填为本人的谈话")
    year: int | None = Field(None, description="年度")
    limit: int = Field(50, description=f"每页条数（1–{MAX_LIMIT}）")
    offset: int = Field(0, description="起始位置")


class CoverageQuery(Schema):
    org: int = Field(description="党支部ID")
    year: int | None = Field(None, description="年度（默认今年）")


# --- Schemas: output --------------------------------------------------------------------------------


class QuotaOut(Schema):
    ratio: str | None = Field(description="优秀比例上限，如 1/3；null 为不设比例")
    cap: int | None = Field(description="优秀最多人数；null 为不设比例")
    label: str = Field(description="如 优秀最多13人（1/3）")


class ReviewOut(Schema):
    id: int
    org_id: int
    org_name: str
    year: int
    status: str = Field(
        description="阶段：self 个人自评 / poll 民主测评 / proposed 支委会提出等次 / confirmed 已确定"
    )
    status_name: str
    participants: int = Field(description="参加评议人数")
    graded: int = Field(description="评定等次人数（预备党员不评定）")
    self_submitted: int = Field(description="已提交个人自评人数")
    voters: int = Field(description="已提交民主测评人数")
    quota: QuotaOut
    meeting_id: int | None = Field(description="确定等次的党员大会")
    meeting_topic: str | None
    created_at: datetime
    confirmed_at: datetime | None


class TallyOut(Schema):
    excellent: int = 0
    qualified: int = 0
    basic: int = 0
    unqualified: int = 0


class EntryOut(Schema):
    member_id: int
    member_name: str
    group_name: str | None
    category_name: str = Field(description="正式党员 / 预备党员")
    graded: bool = Field(description="是否评定等次")
    note: str
    self_assessment: str = Field(description="个人自评")
    submitted_at: datetime | None = Field(description="个人自评提交时间")
    voted: bool = Field(description="本人是否已提交民主测评")
    tally: TallyOut = Field(description="民主测评结果（不含投票人）")
    comments: list[str] = Field(description="互评意见（不署名）")
    points: Decimal | None = Field(description="本年度积分（仅供参考）")
    proposed_grade: str = Field(description="支委会建议等次")
    proposed_grade_name: str
    final_grade: str = Field(description="党员大会确定的等次")
    final_grade_name: str


class ReviewDetailOut(ReviewOut):
    entries: list[EntryOut]


class ColleagueOut(Schema):
    member_id: int
    name: str
    group_name: str | None
    my_grade: str | None = Field(description="本人给出的测评等次；未测评为 null")
    my_comment: str = Field(description="本人填写的互评意见")


class MyReviewOut(Schema):
    review_id: int
    org_name: str
    year: int
    status: str
    status_name: str
    graded: bool = Field(description="本人是否评定等次（预备党员参加评议但不评定）")
    self_assessment: str
    submitted_at: datetime | None
    voted: bool = Field(description="本人是否已提交民主测评")
    colleagues: list[ColleagueOut] = Field(description="需要本人测评的党员")
    final_grade: str | None = Field(description="党员大会确定的本人等次（确定后才有）")
    final_grade_name: str | None


class TalkOut(Schema):
    id: int
    org_id: int
    org_name: str
    held_on: date
    initiator_id: int
    initiator_name: str
    partner_id: int
    partner_name: str
    topic: str
    notes_visible: bool = Field(description="调用者能否查看谈话要点（谈话双方和支部书记）")
    notes: str | None = Field(description="谈话要点；无权查看时为 null")
    recorded_by: str | None
    created_at: datetime


class TalkPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[TalkOut]


class CoverageMemberOut(Schema):
    member_id: int
    name: str
    committee: bool = Field(description="支部委员")
    talked_with: list[int] = Field(description="本年度已谈过话的党员ID")
    count: int = Field(description="已谈人数")


class CoverageOut(Schema):
    org_id: int
    org_name: str
    year: int
    done: int = Field(description="已谈对数")
    required: int = Field(description="应谈对数（在册党员两两之间）")
    members: list[CoverageMemberOut]


# --- Helpers ----------------------------------------------------------------------------------------


def _name(user) -> str | None:
    return user.display_name if user is not None else None


def _local(moment: datetime | None) -> datetime | None:
    return timezone.localtime(moment) if moment is not None else None


def _own_member(request) -> Member:
    member = selectors.own_member(request.user)
    if member is None:
        raise HttpError(404, NO_MEMBER)
    return member


def _quota_out(quota: reviews.Quota) -> QuotaOut:
    return QuotaOut(
        ratio=str(quota.ratio) if quota.ratio is not None else None, cap=quota.cap, label=quota.label
    )


def _review_out(review: Review, prog: reviews.Progress | None = None, cls=ReviewOut, **extra):
    prog = prog or reviews.progress(review)
    return cls(
        id=review.pk,
        org_id=review.org_id,
        org_name=review.org.name,
        year=review.year,
        status=review.status,
        status_name=review.get_status_display(),
        participants=prog.participants,
        graded=prog.graded,
        self_submitted=prog.self_done,
        voters=prog.voters,
        quota=_quota_out(reviews.quota(review, prog.graded)),
        meeting_id=review.meeting_id,
        meeting_topic=review.meeting.topic if review.meeting_id else None,
        created_at=_local(review.created_at),
        confirmed_at=_local(review.confirmed_at),
        **extra,
    )


def _detail(review: Review) -> ReviewDetailOut:
    rows, prog = reviews.review_rows(review)
    entries = [
        EntryOut(
            member_id=r.member.pk,
            member_name=r.member.name,
            group_name=r.member.group.name if r.member.group_id else None,
            category_name=r.member.get_category_display(),
            graded=r.entry.graded,
            note=r.entry.note,
            self_assessment=r.entry.self_assessment,
            submitted_at=_local(r.entry.submitted_at),
            voted=r.voted,
            tally=TallyOut(**{g: n for g, _, n in r.tally}),
            comments=r.comments,
            points=r.points,
            proposed_grade=r.entry.proposed_grade,
            proposed_grade_name=r.entry.get_proposed_grade_display() if r.entry.proposed_grade else "",
            final_grade=r.entry.final_grade,
            final_grade_name=r.entry.get_final_grade_display() if r.entry.final_grade else "",
        )
        for r in rows
    ]
    return _review_out(review, prog, ReviewDetailOut, entries=entries)


def _mine_out(review: Review, member: Member) -> MyReviewOut:
    mine = reviews.my_review(review, member)
    confirmed = review.status == ReviewStatus.CONFIRMED and mine.entry.graded
    return MyReviewOut(
        review_id=review.pk,
        org_name=review.org.name,
        year=review.year,
        status=review.status,
        status_name=review.get_status_display(),
        graded=mine.entry.graded,
        self_assessment=mine.entry.self_assessment,
        submitted_at=_local(mine.entry.submitted_at),
        voted=mine.voted,
        colleagues=[
            ColleagueOut(
                member_id=c.member_id,
                name=c.member.name,
                group_name=c.member.group.name if c.member.group_id else None,
                my_grade=mine.ballots[c.member_id].grade if c.member_id in mine.ballots else None,
                my_comment=mine.ballots[c.member_id].comment if c.member_id in mine.ballots else "",
            )
            for c in mine.colleagues
        ],
        final_grade=mine.entry.final_grade if confirmed else None,
        final_grade_name=Grade(mine.entry.final_grade).label
        if confirmed and mine.entry.final_grade
        else None,
    )


def _grades(items: list[GradeIn] | None) -> dict[int, str] | None:
    if items is None:
        return None
    return {g.member: g.grade for g in items}


def _talk_out(talk: Talk, visible: bool) -> TalkOut:
    return TalkOut(
        id=talk.pk,
        org_id=talk.org_id,
        org_name=talk.org.name,
        held_on=talk.held_on,
        initiator_id=talk.initiator_id,
        initiator_name=talk.initiator.name,
        partner_id=talk.partner_id,
        partner_name=talk.partner.name,
        topic=talk.topic,
        notes_visible=visible,
        notes=talk.notes if visible else None,
        recorded_by=_name(talk.recorded_by),
        created_at=_local(talk.created_at),
    )


def _branch(request, org_id: int, perm: Perm):
    org = org_selectors.get_org(request.user, org_id, perm)
    if org.org_type != "branch":
        fail("请选择党支部", "org")
    return org


def _member_of(org, member_id: int | None, field: str) -> Member | None:
    """A member of the branch by id; the service names what is wrong with anyone else."""
    if member_id is None:
        return None
    member = Member.objects.filter(pk=member_id).first()
    if member is None or member.org_id != org.pk:
        fail("应为本支部在册党员", field)
    return member


# --- Reviews ----------------------------------------------------------------------------------------


@router.get(
    "/reviews", response=list[ReviewOut], summary="民主评议列表（管辖范围内的党支部）", tags=["民主评议"]
)
def list_reviews(request, filters: Query[ReviewsQuery]):
    if not access.has_perm(request.user, Perm.ORGLIFE_VIEW):
        raise PermissionDenied("您没有查看民主评议的权限")
    qs = reviews.visible_reviews(request.user).select_related("org", "meeting")
    if filters.org is not None:
        qs = qs.filter(org=org_selectors.get_org(request.user, filters.org, Perm.ORGLIFE_VIEW))
    if filters.year is not None:
        qs = qs.filter(year=filters.year)
    return [_review_out(r) for r in qs.order_by("-year", "org__path")[:MAX_LIMIT]]


@router.post(
    "/reviews",
    response={201: ReviewOut},
    summary="发起民主评议（每个党支部每年一次；在册党员参加，预备党员不评定等次）",
    tags=["民主评议"],
)
def start_review(request, payload: ReviewIn):
    org = org_selectors.get_org(request.user, payload.org, Perm.ORGLIFE_MANAGE)
    review = reviews.start_review(request.user, org, payload.year)
    return Status(201, _review_out(reviews.get_review(request.user, review.pk)))


@router.get(
    "/reviews/mine",
    response=MyReviewOut,
    summary="我的民主评议：个人自评、需要测评的党员和本人的测评、确定后的本人等次",
    tags=["民主评议"],
)
def my_review(request, year: int | None = Query(None, description="年度；不填为最近一次")):
    member = _own_member(request)
    qs = reviews.my_reviews(member)
    if year is not None:
        qs = qs.filter(year=year)
    review = qs.first()
    if review is None:
        raise HttpError(404, "党支部尚未发起该年度的民主评议")
    return _mine_out(review, member)


@router.get(
    "/reviews/{review_id}",
    response=ReviewDetailOut,
    summary="民主评议详情：名单、个人自评、测评进度和结果（不含投票人）、年度积分参考、等次",
    tags=["民主评议"],
)
def get_review(request, review_id: int):
    return _detail(reviews.get_review(request.user, review_id))


@router.post(
    "/reviews/{review_id}/self-assessment",
    response=MyReviewOut,
    summary="提交或修改个人自评（本人；个人自评和民主测评阶段）",
    tags=["民主评议"],
)
def self_assessment(request, review_id: int, payload: SelfIn):
    review = reviews.get_my_review(request.user, review_id)
    reviews.submit_self_assessment(request.user, review, payload.text)
    review.refresh_from_db()
    return _mine_out(review, _own_member(request))


@router.post(
    "/reviews/{review_id}/poll", response=ReviewOut, summary="开始民主测评（支委）", tags=["民主评议"]
)
def open_poll(request, review_id: int):
    review = reviews.open_poll(request.user, reviews.get_review(request.user, review_id))
    return _review_out(reviews.get_review(request.user, review.pk))


@router.post(
    "/reviews/{review_id}/ballots",
    response=MyReviewOut,
    summary="提交民主测评（对每位其他定等党员；再次提交整体替换本人此前的测评）",
    tags=["民主评议"],
)
def submit_ballots(request, review_id: int, payload: BallotsIn):
    review = reviews.get_my_review(request.user, review_id)
    ballots = {b.target: (b.grade, b.comment) for b in payload.ballots}
    if len(ballots) != len(payload.ballots):
        fail("同一党员只能测评一次", "ballots")
    reviews.submit_ballots(request.user, review, ballots)
    return _mine_out(review, _own_member(request))


@router.post(
    "/reviews/{review_id}/propose",
    response=ReviewDetailOut,
    summary="支委会提出建议等次（检查优秀比例；可重新提出）",
    tags=["民主评议"],
)
def propose(request, review_id: int, payload: ProposeIn):
    review = reviews.get_review(request.user, review_id)
    reviews.propose_grades(request.user, review, _grades(payload.grades))
    return _detail(reviews.get_review(request.user, review.pk))


@router.post(
    "/reviews/{review_id}/confirm",
    response=ReviewDetailOut,
    summary="党员大会确定评议等次（须为本支部已召开的党员大会）",
    tags=["民主评议"],
)
def confirm(request, review_id: int, payload: ConfirmIn):
    review = reviews.get_review(request.user, review_id)
    meeting = Meeting.objects.filter(pk=payload.meeting, org=review.org).first()
    if meeting is None:
        fail("请选择本支部的党员大会", "meeting")
    reviews.confirm_grades(request.user, review, meeting, _grades(payload.grades))
    return _detail(reviews.get_review(request.user, review.pk))


# --- Talks ------------------------------------------------------------------------------------------


@router.get(
    "/talks",
    response=TalkPage,
    summary="谈心谈话记录：一个支部的（组织生活查看权限）或本人的；谈话要点仅双方和支部书记可见",
    tags=["谈心谈话"],
)
def list_talks(request, filters: Query[TalksQuery]):
    user = request.user
    if filters.org is not None:
        org = _branch(request, filters.org, Perm.ORGLIFE_VIEW)
        qs = talks.talks_of(org, filters.year)
    else:
        qs = talks.my_talks(_own_member(request))
        if filters.year is not None:
            qs = qs.filter(held_on__year=filters.year)
    limit = max(1, min(filters.limit, MAX_LIMIT))
    offset = max(0, filters.offset)
    items = talks.mark_notes(user, qs[offset : offset + limit])
    return TalkPage(
        count=qs.count(), limit=limit, offset=offset, items=[_talk_out(t, t.notes_visible) for t in items]
    )


@router.post(
    "/talks",
    response={201: TalkOut},
    summary="记录谈心谈话（谈话一方记录本人的谈话，或支委记录本支部的谈话）",
    tags=["谈心谈话"],
)
def create_talk(request, payload: TalkIn):
    user = request.user
    me = selectors.own_member(user)
    if payload.org is not None:
        org = org_selectors.get_org(user, payload.org, Perm.ORG_VIEW)
    elif me is not None:
        org = me.org
    else:
        raise HttpError(404, NO_MEMBER)
    initiator = _member_of(org, payload.initiator, "initiator") if payload.initiator is not None else me
    partner = _member_of(org, payload.partner, "partner")
    talk = talks.record_talk(user, org, initiator, partner, payload.held_on, payload.topic, payload.notes)
    talk = talks.get_talk(user, talk.pk)
    return Status(201, _talk_out(talk, talks.can_read_notes(user, talk)))


@router.get(
    "/talks/coverage",
    response=CoverageOut,
    summary="谈心谈话覆盖情况：在册党员两两之间本年度是否谈过话（已谈/应谈对数）",
    tags=["谈心谈话"],
)
def coverage(request, filters: Query[CoverageQuery]):
    org = _branch(request, filters.org, Perm.ORGLIFE_VIEW)
    year = filters.year or timezone.localdate().year
    cov = talks.coverage_of(org, year)
    return CoverageOut(
        org_id=org.pk,
        org_name=org.name,
        year=year,
        done=cov.done,
        required=cov.required,
        members=[
            CoverageMemberOut(
                member_id=row.member.pk,
                name=row.member.name,
                committee=row.committee,
                talked_with=[o.pk for o, c in zip(cov.members, row.cells, strict=True) if c],
                count=row.count,
            )
            for row in cov.rows
        ],
    )


@router.get("/talks/{talk_id}", response=TalkOut, summary="谈心谈话记录详情", tags=["谈心谈话"])
def get_talk(request, talk_id: int):
    talk = talks.get_talk(request.user, talk_id)
    return _talk_out(talk, talks.can_read_notes(request.user, talk))
