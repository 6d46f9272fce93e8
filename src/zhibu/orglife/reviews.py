"""民主评议党员: the yearly review of a branch, as a process — members write a self-assessment (个人自评),
the committee opens the democratic poll (民主测评: each member grades the others from their phone, with an
optional mutual-assessment comment), the committee proposes grades (支委会提出等次) and the 党员大会
confirms them (确定等次).

Services (every write: scoped, in a transaction, audited, with a Chinese error that changes nothing) and
selectors (reads, scoped). The rules are `orglife.rules` (grade_problems, excellent_cap, parse_ratio,
tally); the 优秀 quota is the org's config key orglife.excellent_ratio ("1/3"; "0" = no quota).
Probationary members take part (self-assessment, poll) but are not graded (domain-rules §1).
Ballots are secret: officers see the tally per member and the comments without their authors.
"""

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from zhibu.core import access, audit, config
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError, fail
from zhibu.core.models import AuditAction
from zhibu.members.models import Category, Member
from zhibu.orglife import rules, selectors
from zhibu.orglife.models import (
    HELD_STATUSES,
    Ballot,
    Grade,
    Meeting,
    Review,
    ReviewEntry,
    ReviewStatus,
)
from zhibu.orgs.models import Organization, OrgType

CONFIRM_TYPES = ("branch_meeting", "democratic_review")
SELF_MAX = 2000
COMMENT_MAX = 300
PHASES = [
    (ReviewStatus.SELF, "个人自评"),
    (ReviewStatus.POLL, "民主测评"),
    (ReviewStatus.PROPOSED, "支委会提出等次"),
    (ReviewStatus.CONFIRMED, "党员大会确定"),
]
NOT_GRADED_NOTE = "预备党员参加评议，不评定等次"


def _actor(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# --- Quota ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quota:
    ratio: Fraction | None  # None: the organization sets no quota
    cap: int | None
    graded: int

    @property
    def label(self) -> str:
        if self.ratio is None:
            return "本组织不设优秀比例"
        return f"优秀最多{self.cap}人（{self.ratio}）"


def excellent_ratio(org, on: dt.date | None = None) -> Fraction | None:
    """The org's 优秀 quota from config (orglife.excellent_ratio), None when it is turned off."""
    return rules.parse_ratio(str(config.get(org, "orglife.excellent_ratio", on)))


def quota(review: Review, graded: int | None = None) -> Quota:
    if graded is None:
        graded = review.entries.filter(graded=True).count()
    ratio = excellent_ratio(review.org)
    return Quota(ratio, rules.excellent_cap(graded, ratio), graded)


def grade_summary(grades) -> str:
    """优秀3人、合格25人、基本合格1人 (in grade order; grades: an iterable of grade codes)."""
    counts = {g: 0 for g in Grade.values}
    for g in grades:
        if g in counts:
            counts[g] += 1
    return "、".join(f"{label}{counts[g]}人" for g, label in Grade.choices if counts[g]) or "无"


# --- Selectors -----------------------------------------------------------------------------------------


def review_branches(user, perm: Perm = Perm.ORGLIFE_VIEW) -> QuerySet[Organization]:
    """Active branches in the user's scope for `perm` (reviews are held per branch)."""
    return Organization.objects.filter(
        access.scope_q(user, perm), status="active", org_type=OrgType.BRANCH
    ).order_by("path")


def visible_reviews(user) -> QuerySet[Review]:
    """Reviews the user may read as an officer (orglife.view scope)."""
    return Review.objects.filter(access.scope_q(user, Perm.ORGLIFE_VIEW, prefix="org__"))


def get_review(user, pk) -> Review:
    """A review for officer pages: 404 out of scope, 403 in scope without orglife.view."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("未找到该民主评议，或您无权查看") from None
    review = Review.objects.select_related("org", "meeting", "meeting__type").filter(pk=pk).first()
    if review is None:
        raise Http404("未找到该民主评议，或您无权查看")
    access.require(user, Perm.ORGLIFE_VIEW, review.org)
    return review


def get_my_review(user, pk) -> Review:
    """A review the user takes part in (has an entry), else 404."""
    member = selectors.own_member(user)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("未找到该民主评议") from None
    review = (
        Review.objects.select_related("org", "meeting").filter(pk=pk, entries__member=member).first()
        if member is not None
        else None
    )
    if review is None:
        raise Http404("未找到该民主评议，或您不在评议名单中")
    return review


def my_reviews(member: Member | None) -> QuerySet[Review]:
    """The reviews a member takes part in, newest year first."""
    if member is None:
        return Review.objects.none()
    return Review.objects.filter(entries__member=member).select_related("org", "meeting").order_by("-year")


def reviews_by_branch(branches, year: int) -> dict[int, Review]:
    """org id → that branch's review of `year` (one query for a page of branches)."""
    return {
        r.org_id: r
        for r in Review.objects.filter(org__in=list(branches), year=year)
        .select_related("meeting")
        .annotate(participants=Count("entries"))
    }


def entries(review: Review) -> QuerySet[ReviewEntry]:
    return review.entries.select_related("member", "member__group").order_by("member__name", "member_id")


def voter_ids(review: Review) -> set[int]:
    """Members who have submitted their poll ballots."""
    return set(Ballot.objects.filter(review=review).values_list("voter_id", flat=True).distinct())


def tally_of(review: Review) -> dict[int, dict[str, int]]:
    """member id → {grade: count} of the democratic poll: the same shape as rules.tally, aggregated in
    the database (one query, whatever the number of ballots)."""
    result: dict[int, dict[str, int]] = {}
    rows = Ballot.objects.filter(review=review).values_list("target_id", "grade").annotate(n=Count("id"))
    for target, grade, n in rows.order_by():
        result.setdefault(target, {})[grade] = n
    return result


@dataclass(frozen=True)
class Progress:
    participants: int
    graded: int
    self_done: int
    voters: int

    @property
    def not_graded(self) -> int:
        return self.participants - self.graded


def progress(review: Review, voters: set[int] | None = None) -> Progress:
    counts = review.entries.aggregate(
        total=Count("id"),
        graded=Count("id", filter=Q(graded=True)),
        self_done=Count("id", filter=Q(submitted_at__isnull=False)),
    )
    if voters is None:
        voters = voter_ids(review)
    return Progress(counts["total"], counts["graded"], counts["self_done"], len(voters))


@dataclass
class Row:
    """One member on the officer's review page."""

    entry: ReviewEntry
    voted: bool
    tally: list[tuple[str, str, int]]  # (grade, label, count) in grade order
    votes: int
    points: object  # Decimal: the year's points, a reference only
    comments: list[str] = field(default_factory=list)
    suggested: str = ""  # the poll's plurality grade: the proposal form's starting value

    @property
    def member(self) -> Member:
        return self.entry.member


def review_rows(review: Review) -> tuple[list[Row], Progress]:
    """The entries table with poll tally, comments (anonymous), whether each member has voted and their
    points for the year (points.selectors.year_totals, a reference only). A constant number of queries."""
    from zhibu.points.selectors import year_totals

    voters = voter_ids(review)
    counts = tally_of(review)
    comments: dict[int, list[str]] = {}
    for target, text in (
        Ballot.objects.filter(review=review).exclude(comment="").values_list("target_id", "comment")
    ):
        comments.setdefault(target, []).append(text)
    totals = year_totals(review.org, review.year)
    rows = []
    for entry in entries(review):
        mine = counts.get(entry.member_id, {})
        rows.append(
            Row(
                entry=entry,
                voted=entry.member_id in voters,
                tally=[(g, label, mine.get(g, 0)) for g, label in Grade.choices],
                votes=sum(mine.values()),
                points=totals.get(entry.member_id),
                comments=comments.get(entry.member_id, []),
                suggested=suggested_grade(mine) if entry.graded else "",
            )
        )
    entries_total = len(rows)
    prog = Progress(
        entries_total,
        sum(1 for r in rows if r.entry.graded),
        sum(1 for r in rows if r.entry.submitted_at),
        len(voters),
    )
    return rows, prog


def suggested_grade(tally: dict[str, int]) -> str:
    """A starting point for the committee's proposal (never a verdict): the grade most colleagues gave,
    the lower one on a tie; 合格 with no ballots."""
    if not tally or not any(tally.values()):
        return Grade.QUALIFIED
    order = Grade.values  # best first
    return max(tally, key=lambda g: (tally[g], order.index(g)))


def eligible_meetings(review: Review) -> QuerySet[Meeting]:
    """Held 支部党员大会 / 民主评议党员大会 of the branch from the review's year on (to confirm grades)."""
    from zhibu.points.rules import local_range

    begin, _ = local_range(dt.date(review.year, 1, 1), dt.date(review.year, 1, 1))
    return (
        Meeting.objects.filter(
            org=review.org, type__code__in=CONFIRM_TYPES, status__in=HELD_STATUSES, starts_at__gte=begin
        )
        .select_related("type")
        .order_by("-starts_at")
    )


@dataclass
class MyReview:
    """What a member sees of a review: their entry, their colleagues to grade with their own ballots."""

    review: Review
    entry: ReviewEntry
    colleagues: list[ReviewEntry]
    ballots: dict[int, Ballot]

    @property
    def voted(self) -> bool:
        return bool(self.ballots)


def my_review(review: Review, member: Member) -> MyReview:
    entry = review.entries.select_related("member").filter(member=member).first()
    if entry is None:
        raise Http404("您不在本次民主评议名单中")
    colleagues = list(entries(review).filter(graded=True).exclude(member=member))
    ballots = {b.target_id: b for b in Ballot.objects.filter(review=review, voter=member)}
    return MyReview(review, entry, colleagues, ballots)


def member_todo(member: Member | None) -> list[str]:
    """What a member still has to do in their branch's open review (for the 工作台): write the
    self-assessment, take part in the poll. Two queries at most."""
    if member is None:
        return []
    entry = (
        ReviewEntry.objects.filter(member=member, review__status__in=(ReviewStatus.SELF, ReviewStatus.POLL))
        .select_related("review")
        .order_by("-review__year")
        .first()
    )
    if entry is None:
        return []
    review, todo = entry.review, []
    if entry.submitted_at is None:
        todo.append(f"{review.year}年度民主评议：请填写个人自评")
    if review.status == ReviewStatus.POLL and not Ballot.objects.filter(review=review, voter=member).exists():
        todo.append(f"{review.year}年度民主评议：民主测评进行中，请完成测评")
    return todo


# --- Services ------------------------------------------------------------------------------------------


def _lock(review: Review) -> Review:
    return Review.objects.select_for_update(of=("self",)).select_related("org").get(pk=review.pk)


def _participant(user, member: Member | None) -> Member:
    """The member acting: the user's own record; the system (user None) names the member (paper
    records entered by the system, the demo)."""
    if user is not None:
        member = selectors.own_member(user)
        if member is None:
            fail("您的账户未关联党员档案，不能参加民主评议")
    if member is None:
        fail("请指定党员")
    return member


def start_review(actor, branch: Organization, year: int) -> Review:
    """Start the year's review of a branch: an entry per member on the roll (normal and mobile);
    probationary members take part but are not graded. One review per branch and year."""
    access.require(actor, Perm.ORGLIFE_MANAGE, branch)
    if branch.org_type != OrgType.BRANCH:
        fail("民主评议党员以党支部为单位开展", "org")
    if branch.status != "active":
        fail("该组织已撤销，不能开展民主评议", "org")
    try:
        year = int(year)
    except (TypeError, ValueError):
        fail("请选择评议年度", "year")
    today = timezone.localdate()
    if not 2000 <= year <= today.year:
        fail(f"评议年度应在2000年到{today.year}年之间", "year")
    with transaction.atomic():
        if Review.objects.filter(org=branch, year=year).exists():
            fail(f"本支部{year}年度的民主评议已经发起", "year")
        people = list(
            Member.objects.filter(org=branch, status__in=selectors.EXPECTED_STATUSES).only("pk", "category")
        )
        if not people:
            fail("本支部没有在册党员，不能开展民主评议")
        try:
            with transaction.atomic():
                review = Review.objects.create(org=branch, year=year, created_by=_actor(actor))
        except IntegrityError:
            fail(f"本支部{year}年度的民主评议已经发起", "year")
        rows = [
            ReviewEntry(
                review=review,
                member=m,
                graded=m.category == Category.FULL,
                note="" if m.category == Category.FULL else NOT_GRADED_NOTE,
            )
            for m in people
        ]
        ReviewEntry.objects.bulk_create(rows)
        graded = sum(1 for r in rows if r.graded)
        audit.record(
            actor,
            AuditAction.CREATE,
            review,
            org_id=branch.pk,
            summary=f"发起{year}年度民主评议党员：{len(rows)}人参加，{graded}人评定等次",
        )
    return review


def submit_self_assessment(user, review: Review, text: str, *, member: Member | None = None) -> ReviewEntry:
    """A member writes (or rewrites) their self-assessment, while the review is in the self or poll
    phase. `user` is the member themself; the system (None) names the `member`."""
    member = _participant(user, member)
    text = (text or "").strip()
    if not text:
        fail("请填写个人自评", "text")
    if len(text) > SELF_MAX:
        fail(f"个人自评不超过{SELF_MAX}字（现{len(text)}字）", "text")
    with transaction.atomic():
        review = _lock(review)
        if review.status not in (ReviewStatus.SELF, ReviewStatus.POLL):
            fail(f"民主评议已进入“{review.get_status_display()}”阶段，不能再修改个人自评")
        entry = review.entries.select_for_update().filter(member=member).first()
        if entry is None:
            fail("您不在本次民主评议名单中")
        entry.self_assessment = text
        entry.submitted_at = timezone.now()
        entry.save(update_fields=["self_assessment", "submitted_at"])
        audit.record(
            user, AuditAction.UPDATE, entry, org_id=review.org_id, summary=f"提交个人自评：{member.name}"
        )
    entry.member = member
    return entry


def open_poll(actor, review: Review) -> Review:
    """The committee opens the democratic poll (self → poll)."""
    access.require(actor, Perm.ORGLIFE_MANAGE, review.org)
    with transaction.atomic():
        review = _lock(review)
        if review.status != ReviewStatus.SELF:
            fail(f"民主评议当前为“{review.get_status_display()}”阶段，不能再开始民主测评")
        review.status = ReviewStatus.POLL
        review.save(update_fields=["status"])
        done = review.entries.filter(submitted_at__isnull=False).count()
        total = review.entries.count()
        audit.record(
            actor,
            AuditAction.UPDATE,
            review,
            org_id=review.org_id,
            summary=f"开始民主测评（已有{done}/{total}人提交个人自评）",
        )
    return review


def _ballot_value(value) -> tuple[str, str]:
    if isinstance(value, tuple | list):
        grade = value[0] if value else ""
        comment = value[1] if len(value) > 1 else ""
        return str(grade or ""), str(comment or "")
    return str(value or ""), ""


def submit_ballots(user, review: Review, ballots: dict, *, member: Member | None = None) -> int:
    """A member's democratic-poll ballots: {target member id: (grade, comment)} for every graded
    colleague (not themself), only while the poll is open. Submitting again replaces their own ballots
    (idempotent). Returns how many ballots they hold. The grades are secret: the audit log names the
    voter and the count, not the grades."""
    voter = _participant(user, member)
    with transaction.atomic():
        review = _lock(review)
        if review.status == ReviewStatus.SELF:
            fail("民主测评尚未开始")
        if review.status != ReviewStatus.POLL:
            fail("民主测评已结束，不能再提交")
        roster = {e.member_id: e for e in review.entries.select_related("member")}
        if voter.pk not in roster:
            fail("您不在本次民主评议名单中")
        errors: list[str] = []
        clean: dict[int, tuple[str, str]] = {}
        for raw_target, value in (ballots or {}).items():
            try:
                target = int(raw_target)
            except (TypeError, ValueError):
                errors.append(f"测评对象（{raw_target}）无效")
                continue
            grade, comment = _ballot_value(value)
            entry = roster.get(target)
            if target == voter.pk:
                errors.append("不能给自己测评")
                continue
            if entry is None:
                errors.append(f"测评对象（{target}）不在本次评议名单中")
                continue
            if not entry.graded:
                errors.append(f"{entry.member.name}为预备党员，参加评议但不评定等次，不需测评")
                continue
            if grade not in Grade.values:
                errors.append(f"{entry.member.name}：请选择测评等次")
                continue
            comment = comment.strip()
            if len(comment) > COMMENT_MAX:
                errors.append(f"{entry.member.name}：互评意见不超过{COMMENT_MAX}字")
                continue
            clean[target] = (grade, comment)
        missing = [
            e.member.name for mid, e in roster.items() if e.graded and mid != voter.pk and mid not in clean
        ]
        if missing and not errors:
            names = "、".join(missing[:5]) + ("等" if len(missing) > 5 else "")
            errors.append(f"还有{len(missing)}名党员未选择测评等次：{names}")
        if errors:
            raise ValidationError({"ballots": errors})
        Ballot.objects.filter(review=review, voter=voter).delete()
        Ballot.objects.bulk_create(
            [
                Ballot(review=review, voter=voter, target_id=t, grade=g, comment=c)
                for t, (g, c) in clean.items()
            ]
        )
        audit.record(
            user,
            AuditAction.UPDATE,
            review,
            org_id=review.org_id,
            summary=f"提交民主测评票：{voter.name}（{len(clean)}人）",
        )
    return len(clean)


def _clean_grades(grades: dict, roster: dict[int, ReviewEntry]) -> dict[int, str]:
    errors: list[str] = []
    clean: dict[int, str] = {}
    for raw, grade in (grades or {}).items():
        try:
            mid = int(raw)
        except (TypeError, ValueError):
            errors.append(f"党员（{raw}）无效")
            continue
        if mid not in roster:
            errors.append(f"党员（{mid}）不在本次评议名单中")
            continue
        grade = grade or ""
        if grade and grade not in Grade.values:
            errors.append(f"{roster[mid].member.name}：等次无效")
            continue
        clean[mid] = grade
    if errors:
        raise ValidationError({"grades": errors})
    return clean


def _check_grades(review: Review, clean: dict[int, str], roster: dict[int, ReviewEntry]) -> None:
    graded = {mid for mid, e in roster.items() if e.graded}
    problems = rules.grade_problems(clean, graded, excellent_ratio(review.org))
    if problems:
        raise ValidationError({"grades": problems})


def propose_grades(actor, review: Review, grades: dict) -> Review:
    """The committee proposes a grade for every graded member ({member id: grade}), checked against the
    rules (every graded member has one, none for probationary members, 优秀 within the quota).
    Allowed once the poll is open; proposing again replaces the proposal. → proposed."""
    access.require(actor, Perm.ORGLIFE_MANAGE, review.org)
    with transaction.atomic():
        review = _lock(review)
        if review.status == ReviewStatus.SELF:
            fail("请先开展民主测评，再由支委会提出等次")
        if review.status == ReviewStatus.CONFIRMED:
            fail("评议等次已由党员大会确定，不能再修改")
        roster = {e.member_id: e for e in review.entries.select_for_update().select_related("member")}
        clean = _clean_grades(grades, roster)
        _check_grades(review, clean, roster)
        for mid, entry in roster.items():
            entry.proposed_grade = clean.get(mid, "") if entry.graded else ""
        ReviewEntry.objects.bulk_update(list(roster.values()), ["proposed_grade"])
        review.status = ReviewStatus.PROPOSED
        review.save(update_fields=["status"])
        audit.record(
            actor,
            AuditAction.UPDATE,
            review,
            org_id=review.org_id,
            summary=f"支委会提出评议等次：{grade_summary(e.proposed_grade for e in roster.values())}",
        )
    return review


def confirm_grades(actor, review: Review, meeting: Meeting | None, grades: dict | None = None) -> Review:
    """The 党员大会 confirms the grades (the proposal when `grades` is None), at a held 支部党员大会 or
    民主评议党员大会 of the branch; checked like the proposal. → confirmed (final)."""
    access.require(actor, Perm.ORGLIFE_MANAGE, review.org)
    if meeting is None:
        fail("请选择确定评议等次的党员大会", "meeting")
    with transaction.atomic():
        review = _lock(review)
        if review.status == ReviewStatus.CONFIRMED:
            fail("评议等次已由党员大会确定")
        if review.status != ReviewStatus.PROPOSED:
            fail("支委会提出等次后，才能由党员大会确定")
        meeting = Meeting.objects.select_related("type").filter(pk=meeting.pk).first()
        if meeting is None or meeting.org_id != review.org_id:
            fail("请选择本支部的党员大会", "meeting")
        if meeting.type.code not in CONFIRM_TYPES:
            fail("评议等次应由支部党员大会（或民主评议党员大会）确定", "meeting")
        if not meeting.is_held:
            fail(f"该会议{meeting.get_status_display()}，会议召开后才能确定评议等次", "meeting")
        if timezone.localtime(meeting.starts_at).year < review.year:
            fail(f"该会议早于{review.year}年度，请选择评议期间召开的党员大会", "meeting")
        roster = {e.member_id: e for e in review.entries.select_for_update().select_related("member")}
        if grades is None:
            clean = {mid: e.proposed_grade for mid, e in roster.items() if e.proposed_grade}
        else:
            clean = _clean_grades(grades, roster)
        _check_grades(review, clean, roster)
        for mid, entry in roster.items():
            entry.final_grade = clean.get(mid, "") if entry.graded else ""
        ReviewEntry.objects.bulk_update(list(roster.values()), ["final_grade"])
        review.status = ReviewStatus.CONFIRMED
        review.meeting = meeting
        review.confirmed_at = timezone.now()
        review.save(update_fields=["status", "meeting", "confirmed_at"])
        changed = sum(1 for e in roster.values() if e.final_grade != e.proposed_grade)
        audit.record(
            actor,
            AuditAction.UPDATE,
            review,
            org_id=review.org_id,
            summary=(
                f"党员大会确定评议等次（{meeting.topic[:40]}）："
                f"{grade_summary(e.final_grade for e in roster.values())}"
                + (f"，{changed}人与支委会建议不同" if changed else "")
            ),
        )
    return review
