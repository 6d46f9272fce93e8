"""Demo data for 民主评议党员 and 谈心谈话 in 研发中心第一党支部, relative to today:

- last year's review, confirmed: every member's self-assessment, a democratic poll most members took
  part in, the committee's proposal within the 优秀 quota and the 党员大会 that confirmed it (a
  民主评议党员大会 held in late December, recorded through the meeting services — or one already there);
- this year's review in the poll phase: most self-assessments in, about half the members have voted
  (the demo accounts 支部书记 and 党员 have not, so they can try the poll on a phone);
- about 30 talks this year: every pair of committee members, committee members with members, a few
  members between themselves (including the 党员 account with the secretary).

Everything is written by the services with the system as the actor (members' own submissions are
entered for them by the system, as paper ballots would be).
"""

import datetime as dt
import random

from django.utils import timezone

from zhibu.accounts.models import User
from zhibu.members.models import Member
from zhibu.orglife import reviews, selectors, services, talks
from zhibu.orglife.models import HELD_STATUSES, Grade, Meeting, MeetingType, Review
from zhibu.orgs.models import Organization
from zhibu.points.rules import TZ

BRANCH_CODE = "HK-Z1-01"
SELF_TEXTS = (
    "本年度认真学习党的创新理论，按时参加“三会一课”和主题党日，按时足额交纳党费。工作上带头攻关，"
    "承担的项目按期交付。不足是理论学习还不够系统，联系群众不够主动，今后要加强学习、多听群众意见。",
    "能够坚定理想信念，在思想上政治上行动上同党中央保持高度一致。积极参加志愿服务，发挥党员先锋模范"
    "作用。存在的问题是工作方法有时简单，批评与自我批评开展不够，今后注意改进。",
    "坚持每天学习，在岗位上认真负责，主动帮助新同事熟悉业务。对照党员标准，还存在创新意识不强、"
    "攻坚克难的劲头不足等问题，下一步将对标先进，提高标准。",
    "按要求参加组织生活，完成支部安排的各项任务，在研发项目中承担关键模块开发。不足之处是政治理论"
    "学习深度不够，有时满足于完成任务，今后要增强主动性。",
)
COMMENTS = (
    "工作积极主动，带头作用明显",
    "业务能力强，乐于帮助同事",
    "组织生活参加认真，发言有见地",
    "希望在理论学习上再加强",
    "联系群众可以更主动一些",
    "攻坚任务中表现突出",
)
TOPICS = (
    "交流思想和工作情况",
    "听取对支部工作的意见建议",
    "了解家庭和生活困难",
    "谈项目攻关中的压力和困难",
    "交流学习贯彻体会",
    "对照检查，互相提醒",
    "谈岗位职责和成长规划",
)
NOTES = (
    "对方工作状态良好，主动谈到项目进度压力，建议合理安排加班，支部将协调部门支持。",
    "对支部组织生活形式提出建议，希望增加现场教学，已记录，提交支委会研究。",
    "家中老人生病住院，工作和家庭兼顾有困难，支部将了解情况并给予关心。",
    "双方就理论学习方法交换意见，约定互相督促完成学习任务。",
    "谈到对岗位调整的想法，鼓励其立足本职、发挥专长。",
    "互相指出了工作作风方面存在的不足，明确了改进方向。",
)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def _review_meeting(branch, year: int, members: list[Member], host: Member, recorder: Member) -> Meeting:
    """A held 民主评议党员大会 in December of `year` for the branch: one the meetings demo made, or one
    recorded now through the meeting services."""
    found = (
        Meeting.objects.filter(
            org=branch,
            type__code="democratic_review",
            status__in=HELD_STATUSES,
            starts_at__gte=_at(dt.date(year, 12, 1), 0),
            starts_at__lt=_at(dt.date(year + 1, 1, 1), 0),
        )
        .order_by("-starts_at")
        .first()
    )
    if found is not None:
        return found
    selectors.ensure_seeded()
    kind = MeetingType.objects.get(org__isnull=True, code="democratic_review")
    day = dt.date(year, 12, 26)
    meeting = services.plan_meeting(
        None,
        branch,
        kind,
        topic=f"{year}年度组织生活会暨民主评议党员大会",
        starts_at=_at(day, 14, 30),
        ends_at=_at(day, 17, 0),
        place="研发中心三楼党员活动室",
        host=host,
        recorder=recorder,
    )
    services.notify(None, meeting)
    absent = {m.pk for m in members[-2:]}
    marks = {
        a.member_id: {"status": "absent", "absence_reason": "official", "absence_note": "出差"}
        if a.member_id in absent
        else {"status": "present"}
        for a in meeting.attendances.all()
    }
    services.mark_attendance(None, meeting, marks)
    services.save_minutes(
        None,
        meeting,
        [
            {"title": "党员个人自评", "discussion": "党员逐一对照党员标准作个人自评发言。"},
            {"title": "党员互评", "discussion": "党员之间开展批评和自我批评，互相提出意见建议。"},
            {"title": "民主测评情况通报", "discussion": "通报民主测评结果和支委会建议等次。"},
            {"title": "确定评议等次", "resolution": "党员大会同意支委会提出的评议等次。"},
        ],
        summary="会议按程序完成民主评议党员各项议程。",
    )
    services.complete_record(None, meeting)
    return meeting


def _merit(rng: random.Random, members: list[Member]) -> dict[int, float]:
    """A hidden 'how colleagues see them' score per member, so the poll looks like a real one."""
    return {m.pk: rng.gauss(0, 1) for m in members}


def _poll(rng, review: Review, voters: list[Member], merit: dict[int, float]) -> int:
    graded = [e.member_id for e in review.entries.filter(graded=True)]
    count = 0
    for voter in voters:
        ballots = {}
        for target in graded:
            if target == voter.pk:
                continue
            score = merit[target] + rng.gauss(0, 0.6)
            grade = Grade.EXCELLENT if score > 1.0 else Grade.QUALIFIED if score > -1.9 else Grade.BASIC
            comment = rng.choice(COMMENTS) if rng.random() < 0.08 else ""
            ballots[target] = (grade, comment)
        count += reviews.submit_ballots(None, review, ballots, member=voter)
    return count


def _proposal(review: Review) -> dict[int, str]:
    """优秀 for the members with the most 优秀 votes, up to the quota; 基本合格 where most said so."""
    counts = reviews.tally_of(review)
    graded = [e.member_id for e in review.entries.filter(graded=True)]
    cap = reviews.quota(review, len(graded)).cap
    ranked = sorted(graded, key=lambda m: -counts.get(m, {}).get(Grade.EXCELLENT, 0))
    top = [m for m in ranked if counts.get(m, {}).get(Grade.EXCELLENT, 0) > 0]
    excellent = set(top[: cap if cap is not None else len(top)][: max(1, len(graded) // 5)])
    grades = {}
    for m in graded:
        votes = counts.get(m, {})
        if m in excellent:
            grades[m] = Grade.EXCELLENT
        elif votes.get(Grade.BASIC, 0) > sum(votes.values()) / 2:
            grades[m] = Grade.BASIC
        else:
            grades[m] = Grade.QUALIFIED
    return grades


def build_reviews_and_talks(today: dt.date, seed: int = 2026) -> dict:
    rng = random.Random(seed)
    branch = Organization.objects.get(code=BRANCH_CODE)
    members = list(Member.objects.filter(org=branch, status__in=selectors.EXPECTED_STATUSES).order_by("pk"))
    committee = list(selectors.committee_members(branch).order_by("pk"))
    secretary = committee[0] if committee else members[0]
    recorder = committee[1] if len(committee) > 1 else secretary
    accounts = {
        u.username: u.pk for u in User.objects.filter(username__in=("shuji", "dangyuan", "zhiwei", "xiaozu"))
    }
    by_user = {m.user_id: m for m in members if m.user_id}
    demo_members = {name: by_user.get(pk) for name, pk in accounts.items()}
    merit = _merit(rng, members)
    ballots = 0

    # Last year's review, confirmed at the 民主评议党员大会.
    last = today.year - 1
    meeting = _review_meeting(branch, last, members, secretary, recorder)
    old = reviews.start_review(None, branch, last)
    participants = [e.member for e in old.entries.select_related("member")]
    for m in participants:
        reviews.submit_self_assessment(None, old, rng.choice(SELF_TEXTS), member=m)
    reviews.open_poll(None, old)
    ballots += _poll(rng, old, [m for m in participants if rng.random() < 0.92], merit)
    reviews.propose_grades(None, old, _proposal(old))
    reviews.confirm_grades(None, old, meeting)
    meeting.refresh_from_db()
    if meeting.status == "recorded" and (today - timezone.localtime(meeting.starts_at).date()).days > 60:
        services.archive(None, meeting)  # like the meetings demo: records older than two months are archived

    # This year's review: the poll is open, about half have voted.
    current = reviews.start_review(None, branch, today.year)
    participants = [e.member for e in current.entries.select_related("member")]
    shuji, dangyuan = demo_members.get("shuji"), demo_members.get("dangyuan")
    for m in participants:
        if m == shuji:
            continue  # the secretary has not written theirs yet
        if m == dangyuan or rng.random() < 0.75:
            reviews.submit_self_assessment(None, current, rng.choice(SELF_TEXTS), member=m)
    reviews.open_poll(None, current)
    voters = [m for m in participants if m not in (shuji, dangyuan) and rng.random() < 0.5]
    ballots += _poll(rng, current, voters, merit)

    # About 30 talks this year.
    start = dt.date(today.year, 1, 1)
    span = max(0, (today - start).days)
    pairs: list[tuple[Member, Member]] = []
    for i, a in enumerate(committee):
        pairs.extend((a, b) for b in committee[i + 1 :])
    others = [m for m in members if m not in committee]
    rng.shuffle(others)
    if dangyuan is not None and dangyuan in others:
        others.remove(dangyuan)
        pairs.append((secretary, dangyuan))
    for k, m in enumerate(others[:15]):
        pairs.append((committee[k % len(committee)] if committee else secretary, m))
    rest = others[15:]
    pairs.extend(zip(rest[0::2], rest[1::2], strict=False))
    made = 0
    for initiator, partner in pairs[:32]:
        if initiator.pk == partner.pk:
            continue
        held_on = start + dt.timedelta(days=rng.randint(0, span))
        talks.record_talk(None, branch, initiator, partner, held_on, rng.choice(TOPICS), rng.choice(NOTES))
        made += 1
    return {"reviews": 2, "ballots": ballots, "talks": made}
