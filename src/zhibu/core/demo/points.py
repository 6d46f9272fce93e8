"""Demo data for 积分制: 研发中心第一党支部 keeps points for the past year (研发中心第二党支部 joined this
quarter), up to today.

Every entry is written by `points.services` (`award` for the facts the other modules would score, and the
claim, appeal and snapshot services for the rest), with dates relative to today:
- learning minutes now and then, some past the daily cap ("demo.learning"), monthly dues ("demo.dues");
  meeting attendance and absences are scored by the real meetings of `core.demo.orglife` (built first,
  so the published 积分通报 and the appeal against an absence see them);
- volunteer hours: members' own reports and reports by the 组织委员, approved by the secretary; a few
  claims still pending and one rejected; one deduction (违反工作纪律) submitted and approved;
- appeals: one open, one resolved by reversing the entry;
- 研发中心第一党支部 has its own volunteer-hours rule (a higher monthly cap) since the start of the previous
  quarter, and a change of another rule that starts next month; rankings and publication are switched on
  there from 1 January, with the last closed quarter's 积分通报 published.

About 800 entries here: `award` runs its checks for each (a few milliseconds on SQLite), so the demo stays
quick to build.
"""

import datetime as dt

from zhibu.accounts.models import User
from zhibu.core import config
from zhibu.members.models import Member, MemberStatus
from zhibu.orgs.models import Organization
from zhibu.orgs.rules import add_months
from zhibu.points import rules, services
from zhibu.points.models import Entry

VOLUNTEER = (
    "参加社区敬老院志愿服务",
    "参加“文明城市”创建交通劝导志愿服务",
    "参加无偿献血志愿服务活动",
    "参加社区垃圾分类宣传志愿服务",
    "参加科技进校园志愿服务",
)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=rules.TZ)


def _months(today: dt.date, since: dt.date) -> list[dt.date]:
    """The first day of each month from the one of `since` to the current one."""
    months = [since.replace(day=1)]
    while months[-1] < today.replace(day=1):
        months.append(add_months(months[-1], 1))
    return months


def _award(member, code, source_type, source_id, when, label="", quantity=1):
    return services.award(
        member,
        code,
        source_type=source_type,
        source_id=source_id,
        occurred_at=when,
        quantity=quantity,
        source_label=label,
    ).entry


def _routine(rng, branch, members, today, since, *, late=()) -> dict:
    """Learning and dues from `since` to today (meeting attendance is scored by the real meetings of
    `core.demo.orglife`). `late`: (member, month) that must be a late payment (for the appeals). Returns
    {(member pk, "late", month): entry} of those."""
    forced = {}
    for month in _months(today, since):
        for m in members:
            if m.status == MemberStatus.LOST:
                continue
            # Learning (now and then; some sessions past the daily cap of 6 points).
            day = month + dt.timedelta(days=rng.randint(0, 27))
            if rng.random() < 0.35 and since <= day < today:
                minutes = rng.choice((20, 25, 30, 45))
                _award(
                    m, "learning.minutes", "demo.learning", f"{day:%Y%m%d}", _at(day, 20), "学习平台", minutes
                )
            # Dues, paid by the 10th; a few late.
            due = month + dt.timedelta(days=9)
            if due < today and due >= since:
                paid_late = (m.pk, month) in late or rng.random() < 0.03
                when = _at(
                    due + dt.timedelta(days=25) if paid_late else due - dt.timedelta(days=rng.randint(0, 8)),
                    10,
                )
                if when.date() >= today:
                    when = _at(today - dt.timedelta(days=1), 10)
                code = "dues.late" if paid_late else "dues.on_time"
                entry = _award(
                    m, code, "demo.dues", f"{month:%Y-%m}", when, f"{month.year}年{month.month}月党费"
                )
                if (m.pk, month) in late:
                    forced[(m.pk, "late", month)] = entry
    return forced


def _claims(rng, branch, members, today, users) -> None:
    """Volunteer hours reported and approved, a deduction approved, claims pending and one rejected."""
    secretary, committee, leader, member = users
    n = 0

    def key():
        nonlocal n
        n += 1
        return f"demo-{branch.code}-{n}"

    def recent(days):
        day = today - dt.timedelta(days=days)
        return _at(day, rng.choice((9, 10, 14, 15)))

    # Members with an account report their own volunteer hours; the secretary approves.
    for user, days in ((member, 40), (leader, 25), (committee, 12), (member, 8)):
        claim = services.self_report(
            user,
            "volunteer.hours",
            occurred_at=recent(days),
            reason=rng.choice(VOLUNTEER),
            evidence="活动照片3张，社区居委会出具的服务时长证明",
            quantity=rng.choice((3, 4, 6)),
            request_key=key(),
        )
        services.approve_claim(secretary, claim, note="情况属实，同意计分")
    # The 组织委员 enters volunteer hours for members without an account (needs approval too).
    others = [m for m in members if m.user_id is None and m.status == MemberStatus.NORMAL]
    for m in rng.sample(others, min(10, len(others))):
        claim = services.award_manually(
            committee,
            m,
            "volunteer.hours",
            occurred_at=recent(rng.randint(5, 80)),
            reason=rng.choice(VOLUNTEER),
            evidence="活动签到表、照片",
            quantity=rng.choice((2, 3, 4, 5, 8)),
            request_key=key(),
        )
        services.approve_claim(secretary, claim, note="同意")
    # One deduction: submitted by the 组织委员, approved by the secretary.
    culprit = others[-1]
    claim = services.award_manually(
        committee,
        culprit,
        "negative.violation",
        occurred_at=recent(30),
        reason="无故未参加支部安排的防汛值班，经支部委员会研究认定",
        evidence="值班安排表、支委会会议记录",
        request_key=key(),
    )
    services.approve_claim(secretary, claim, note="经支委会研究，同意扣分")
    # Waiting in the queue.
    services.self_report(
        member,
        "role.suggestion",
        occurred_at=recent(6),
        reason="提出的测试流程优化建议被部门采纳",
        evidence="部门采纳通知邮件",
        request_key=key(),
    )
    services.self_report(
        leader,
        "learning.offline",
        occurred_at=recent(3),
        reason="参加集团党委组织的党务干部培训班",
        evidence="培训通知、结业证书",
        quantity=2,
        request_key=key(),
    )
    services.award_manually(
        committee,
        others[0],
        "role.pioneer",
        occurred_at=recent(2),
        reason="在新产品攻坚项目中连续加班，表现突出",
        evidence="项目组说明",
        request_key=key(),
    )
    # Rejected: not an activity the branch organized or recognizes.
    claim = services.self_report(
        committee,
        "volunteer.hours",
        occurred_at=recent(20),
        reason="周末参加小区业主委员会会议",
        evidence="会议照片",
        quantity=2,
        request_key=key(),
    )
    services.reject_claim(secretary, claim, "业主委员会会议不属于志愿服务，不予计分")


def build_points(rng, branches, today) -> int:
    """A year of points for 研发中心第一、第二党支部. Returns the number of ledger entries."""
    secretary, committee, leader, member = (
        User.objects.get(username=u) for u in ("shuji", "zhiwei", "xiaozu", "dangyuan")
    )
    # Fresh rows: adding siblings in code order (treebeard node_order_by) may have moved their paths.
    z1, z2 = (Organization.objects.get(pk=branches[s].pk) for s in ("Z1-01", "Z1-02"))
    quarter_start = rules.period_bounds("quarter", today)[0]
    last_quarter = rules.period_bounds("quarter", quarter_start - dt.timedelta(days=1))

    # The branch's own volunteer-hours rule since the start of the previous quarter (a past version:
    # only the system may record one; officers set changes from today on).
    services.save_rule(
        None,
        z1,
        "volunteer.hours",
        {"cap_month": 30, "description": "本支部积分管理办法（修订）：每小时计1分，每月最多30分，需附证明"},
        last_quarter[0],
    )
    # …and a change that starts next month, through the service.
    services.save_rule(
        secretary,
        z1,
        "role.help",
        {"cap_month": 10, "description": "结对帮扶每次2分，每月最多10分（支委会决定自下月起调整）"},
        add_months(today.replace(day=1), 1),
    )

    plain = Member.objects.get(user=member)
    group_leader = Member.objects.get(user=leader)
    late_month = add_months(today.replace(day=1), -3)
    late = {(group_leader.pk, late_month)}
    # 研发中心第一党支部 keeps points for the whole year; the second branch joined this quarter.
    z1_members = list(Member.objects.filter(org=z1).on_roll().order_by("id"))
    entries = _routine(rng, z1, z1_members, today, today - dt.timedelta(days=364), late=late)
    _claims(rng, z1, z1_members, today, (secretary, committee, leader, member))
    z2_members = list(Member.objects.filter(org=z2).on_roll().order_by("id"))
    _routine(rng, z2, z2_members, today, quarter_start)

    # Appeals: one open (last month's 主题党日 recorded as an unexcused absence, see core.demo.orglife),
    # one upheld by reversing a late-dues deduction.
    absence = Entry.objects.filter(member=plain, source_type="orglife.absence").latest("occurred_at")
    services.file_appeal(member, absence, "当天因公出差，会前已向支部书记请假，请予核实")
    appeal = services.file_appeal(
        leader,
        entries[(group_leader.pk, "late", late_month)],
        "当月党费已于8日通过线上缴费交纳，系统未及时同步，附缴费截图",
    )
    services.resolve_appeal(secretary, appeal, "reverse", "经核对缴费记录，党费按时交纳，予以冲正")

    # Rankings and 积分通报 for 研发中心第一党支部 only, from 1 January; the last quarter published.
    year_start = dt.date(today.year, 1, 1)
    note = "经支部委员会研究，在本支部试行积分排名和积分通报"
    config.set_value(None, z1, "points.ranking_enabled", "开启", year_start, note)
    config.set_value(None, z1, "points.publish_enabled", "开启", year_start, note)
    services.publish_snapshot(
        secretary, z1, "quarter", *last_quarter, note="积分仅作为党员教育管理的参考，不作为评先评优的唯一依据"
    )
    return Entry.objects.count()
