"""Demo data for 组织生活: a year of meetings up to today, written through `orglife.services` (actor None,
the system), so attendance scores points and every record is the one the pages and the 台账 read.

研发中心第一党支部 runs the full pattern for the past year: a monthly 主题党日 and 支部委员会会议, a quarterly
支部党员大会 (with a resolution vote) and 党课, a monthly 党小组会 in each of its 党小组, and the 组织生活会
last December, with this year's planned for December. Attendance is mostly by QR check-in for members with
an account and marked by the recorder for the rest, with a few excused and unexcused absences and 补学.
Deliberately: 第二党小组 skipped its meeting two months ago, this quarter's 支部党员大会 is not held yet
(notified for next week, so the 工作台 shows "剩余 N 天"), the latest 党小组会 of 第三党小组 is held but its
record is not complete, and 党员 dangyuan missed last month's 主题党日 without leave (the points demo files
an appeal against that deduction).

The other branches started keeping their records in Zhibu this quarter (earlier ones are on paper): a
lighter pattern since then (主题党日, 支委会 where there is a committee, 党课, 党小组会), each branch skipping
some meetings by its own reliability, so the committee's table shows who is behind.

Meetings older than two months are archived, the rest recorded. About 2,000 attendance records; each
scores points through `points.services.award`, which is most of the time this takes.
"""

import datetime as dt

from django.utils import timezone

from zhibu.accounts.models import User
from zhibu.core import config
from zhibu.members.models import Member, MemberStatus
from zhibu.orglife import selectors, services
from zhibu.orglife.models import Meeting, MeetingType
from zhibu.orgs.models import Organization
from zhibu.orgs.rules import add_months
from zhibu.points.rules import TZ, period_bounds

PLACE = "研发中心3楼党员活动室"
THEME_DAYS = {
    1: "新春走访慰问困难党员和老党员",
    2: "重温入党誓词，学习新修订的党内法规",
    3: "学雷锋志愿服务进社区",
    4: "清明祭英烈，传承红色基因",
    5: "“青年党员立足岗位建新功”座谈交流",
    6: "“七一”前夕重温入党誓词，讲述入党故事",
    7: "参观革命纪念馆，开展党性教育",
    8: "学习《中国共产党纪律处分条例》，开展警示教育",
    9: "技术攻关党员先锋岗创建交流",
    10: "喜迎国庆，开展“我与祖国共成长”主题分享",
    11: "学习贯彻全会精神专题研讨",
    12: "“12·4”国家宪法日学习宣传",
}
COMMITTEE_TOPICS = (
    "研究本月支部工作安排，讨论主题党日方案",
    "研究党费收缴情况和困难党员帮扶",
    "讨论入党积极分子培养考察情况",
    "研究季度支部党员大会议题",
    "研究下阶段党课和学习安排",
    "研究推荐优秀共产党员人选",
    "研究党员先锋岗创建工作",
    "研究组织生活会和民主评议党员方案",
)
GROUP_TOPICS = (
    "学习上级文件精神，交流思想和工作情况",
    "学习党章，交流本月学习体会",
    "落实支部主题党日安排，讨论小组分工",
    "开展批评与自我批评，交流岗位履职情况",
    "学习《习近平新时代中国特色社会主义思想学习纲要》相关章节",
    "讨论项目攻坚中的党员作用发挥",
)
LECTURES = (
    ("以高质量党建引领研发创新", "secretary"),
    ("学习《中国共产党章程》，做合格党员", "集团党委组织部 讲师"),
    ("锻造过硬作风，争当技术先锋", "secretary"),
    ("从党史中汲取奋进力量", "研发中心党总支书记"),
    ("严守纪律规矩，筑牢廉洁防线", "集团纪委 讲师"),
)
RESOLUTIONS = {
    1: ("审议通过支部年度工作计划", "书记通报支部年度工作计划（草案），与会党员逐项讨论。"),
    2: ("表决推荐“优秀共产党员”人选", "支委会介绍推荐人选的主要事迹，党员充分讨论。"),
    3: ("审议支部党费收缴、使用情况报告", "组织委员通报上半年党费收缴和使用情况。"),
    4: ("审议通过支部年度工作总结", "书记代表支委会作年度工作总结报告。"),
}
DISCUSSION = (
    "与会党员结合岗位实际谈认识、谈体会，认为要把学习成果转化为推动工作的实际成效。",
    "大家围绕议题展开讨论，提出了具体意见建议，会议逐条进行了研究。",
    "会议由书记主持，组织委员通报有关情况，党员逐一发言。",
    "党员结合近期研发任务交流了思想和工作情况，相互提出改进建议。",
)
ABSENCE_NOTES = {
    "sick": ("感冒发烧，会前向书记请假", "住院治疗", "身体不适，已请假"),
    "personal": ("家中有事，会前请假", "子女升学考试陪考", "办理家庭事务"),
    "official": ("外出参加项目评审", "赴客户现场技术支持", "参加集团集中培训"),
    "other": ("外出流动，参加流入地党组织活动",),
    "unexcused": ("未请假，未到会",),
}
MAKEUP_NOTES = ("观看会议录像并提交学习心得", "自学会议材料，向党小组长汇报", "参加支部组织的集中补学")


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def _weekday_on_or_after(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def _months(since: dt.date, today: dt.date) -> list[dt.date]:
    months = [since.replace(day=1)]
    while months[-1] < today.replace(day=1):
        months.append(add_months(months[-1], 1))
    return months


class _Branch:
    """One branch's meeting routine: who hosts and records, how reliable attendance is, and the accounts
    that check in by QR code."""

    def __init__(self, rng, branch, today, *, reliability=0.95, accounts=None):
        self.rng = rng
        self.branch = branch
        self.today = today
        self.reliability = reliability
        self.accounts = accounts or {}  # member pk -> user
        roster = list(Member.objects.filter(org=branch, status__in=("normal", "mobile")).order_by("id"))
        committee = list(selectors.committee_members(branch).order_by("id"))
        self.host = committee[0] if committee else (roster[0] if roster else None)
        self.recorder = committee[1] if len(committee) > 1 else self.host
        selectors.ensure_seeded()  # the types come back after a test-database flush
        self.types = {t.code: t for t in MeetingType.objects.filter(org__isnull=True)}
        self.forced: dict[tuple[int, int], tuple[str, str]] = {}  # (meeting day ordinal, member) -> absence

    # --- one meeting ----------------------------------------------------------------------------------

    def meeting(
        self, org, code, day, hour, minutes, topic, *, items=None, lecturer="", vote=None, complete=True
    ):
        """Plan a meeting; if it has started, notify, take attendance, record the vote and the minutes, and
        complete the record (archived when older than two months). `complete=False` leaves two
        attendees unrecorded and the record open."""
        start = _at(day, hour, 30 if hour in (12, 14) else 0)
        meeting = services.plan_meeting(
            None,
            org,
            self.types[code],
            topic=topic,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=minutes),
            place=PLACE if self.branch.code == "HK-Z1-01" else "支部活动室",
            host=self.host,
            recorder=self.recorder,
            lecturer=lecturer,
        )
        if start > timezone.now():
            return meeting
        self._attend(meeting, day, leave_pending=0 if complete else 2)
        resolution = ""
        if vote is not None:
            present = selectors.voters(meeting)["present"]
            against = 1 if present > 8 and self.rng.random() < 0.4 else 0
            abstain = self.rng.randint(0, 1) if present > 8 else 0
            resolution = services.record_vote(
                None,
                meeting,
                kind="resolution",
                subject=vote,
                in_favour=present - against - abstain,
                against=against,
                abstain=abstain,
            ).message
        titles = items or [line for line in self.types[code].minutes_template.splitlines() if line.strip()]
        minutes_items = [
            {
                "title": title,
                "discussion": self.rng.choice(DISCUSSION),
                "resolution": resolution if vote is not None and title == vote else "",
            }
            for title in titles
        ]
        services.save_minutes(None, meeting, minutes_items, summary=f"会议按计划召开，{topic}。")
        if complete:
            services.complete_record(None, meeting)
            if (self.today - day).days > 60:
                services.archive(None, meeting)
        return meeting

    def _expected(self, meeting, day) -> tuple[list[Member], bool]:
        """Who was expected on `day`: today's expected attendees who had already joined the party."""
        expected = list(selectors.expected_attendees(meeting.org, meeting.type))
        joined = [m for m in expected if m.joined_on is None or m.joined_on <= day]
        return joined, len(joined) == len(expected)

    def _attend(self, meeting, day, leave_pending: int = 0) -> None:
        expected, everyone = self._expected(meeting, day)
        if everyone:
            services.notify(None, meeting)
        else:  # members who joined later are left off this meeting's list
            for member in expected:
                services.add_attendee(None, meeting, member)
        marks = {}
        rng = self.rng
        for m in expected[leave_pending:]:
            forced = self.forced.get((day.toordinal(), m.pk))
            away = m.status == MemberStatus.MOBILE and (m.mobile_since is None or m.mobile_since <= day)
            if forced is not None:
                reason, note = forced
            elif away and rng.random() < 0.7:
                reason, note = "other", ABSENCE_NOTES["other"][0]
            elif rng.random() > self.reliability:
                reason = rng.choices(("sick", "personal", "official", "unexcused"), weights=(3, 3, 4, 1))[0]
                if reason == "unexcused" and m.pk in self.accounts:
                    reason = "personal"  # the demo accounts' only unexcused absence is the forced one
                note = rng.choice(ABSENCE_NOTES[reason])
            else:
                reason = ""
            if reason:
                mark = {"status": "absent", "absence_reason": reason, "absence_note": note}
                makeup = day + dt.timedelta(days=rng.randint(2, 12))
                if reason != "unexcused" and makeup < self.today and rng.random() < 0.75:
                    mark.update(makeup_on=makeup, makeup_note=rng.choice(MAKEUP_NOTES))
                marks[m.pk] = mark
                continue
            late = rng.random() < 0.05
            user = self.accounts.get(m.pk)
            if user is not None and rng.random() < 0.6:
                minutes = rng.randint(12, 25) if late else -rng.randint(0, 20)
                services.check_in(
                    user, meeting.checkin_token, now=meeting.starts_at + dt.timedelta(minutes=minutes)
                )
                continue
            marks[m.pk] = {"status": "late" if late else "present"}
        if marks:
            services.mark_attendance(None, meeting, marks)

    # --- a routine ----------------------------------------------------------------------------------------

    def routine(self, since, *, skip=frozenset(), keep=1.0, life_meetings=False, groups=(), open_record=None):
        """Meetings from `since` to today. `skip`: (code, month) pairs not held; `keep`: the share of
        meetings held (the rest missed); `open_record`: the (code, month) whose record stays open.
        Returns the number of meetings planned."""
        rng, today = self.rng, self.today
        quarter_start = period_bounds("quarter", today)[0]
        has_committee = selectors.committee_members(self.branch).count() >= 3
        count = 0

        def held(code, month) -> bool:
            return (code, month) not in skip and rng.random() < keep

        for month in _months(since, today):
            q_index = (month.month - 1) // 3 + 1
            in_quarter = month.month - (q_index - 1) * 3  # 1, 2 or 3
            plans = []
            if has_committee and held("committee_meeting", month):
                day = _weekday_on_or_after(month.replace(day=3), 1)  # a Tuesday, 3rd–9th
                topic = COMMITTEE_TOPICS[(month.month - 1) % len(COMMITTEE_TOPICS)]
                plans.append((self.branch, "committee_meeting", day, 12, 60, topic, {}))
            if held("theme_day", month):
                day = _weekday_on_or_after(month.replace(day=10), 4)  # a Friday, 10th–16th
                plans.append((self.branch, "theme_day", day, 14, 120, THEME_DAYS[month.month], {}))
            if in_quarter == 1 and held("party_lecture", month):
                day = _weekday_on_or_after(month.replace(day=20), 2)  # a Wednesday, 20th–26th
                title, lecturer = LECTURES[(month.year * 4 + q_index) % len(LECTURES)]
                if lecturer == "secretary":
                    title, lecturer = f"书记讲党课：{title}", self.host.name if self.host else ""
                else:
                    title = f"专题党课：{title}"
                plans.append((self.branch, "party_lecture", day, 15, 90, title, {"lecturer": lecturer}))
            if in_quarter == 2 and month < quarter_start and held("branch_meeting", month):
                day = _weekday_on_or_after(month.replace(day=22), 4)  # a Friday, 22nd–28th
                subject = RESOLUTIONS[q_index][0]
                topic = f"第{'一二三四'[q_index - 1]}季度支部党员大会：{subject}"
                items = ["传达学习上级精神", "通报支部季度工作", subject]
                extra = {"vote": subject, "items": items}
                plans.append((self.branch, "branch_meeting", day, 14, 120, topic, extra))
            for g, group in enumerate(groups):
                if held(("group_meeting", g), month):
                    day = _weekday_on_or_after(month.replace(day=17), 3) + dt.timedelta(days=g % 2)
                    topic = GROUP_TOPICS[(month.month + g) % len(GROUP_TOPICS)]
                    extra = {"complete": (("group_meeting", g), month) != open_record}
                    plans.append((group, "group_meeting", day, 16, 60, topic, extra))
            for org, code, day, hour, minutes, topic, extra in plans:
                if day < since or day >= today:
                    continue
                self.meeting(org, code, day, hour, minutes, topic, **extra)
                count += 1
        if life_meetings:
            last = _weekday_on_or_after(dt.date(today.year - 1, 12, 22), 1)
            items = [line for line in self.types["life_meeting"].minutes_template.splitlines() if line]
            self.meeting(self.branch, "life_meeting", last, 9, 150, f"{last.year}年度组织生活会", items=items)
            this = _weekday_on_or_after(dt.date(today.year, 12, 22), 1)
            topic = f"{this.year}年度组织生活会"
            if this < today:
                self.meeting(self.branch, "life_meeting", this, 9, 150, topic, items=items)
            else:  # this year's plan, not yet notified
                self.meeting(self.branch, "life_meeting", this, 9, 150, topic)
            count += 2
        return count


def build_orglife(rng, branches, today) -> int:
    """A year of meetings for 研发中心第一党支部 and its 党小组, a lighter pattern elsewhere. Returns the number
    of meetings."""
    z1 = Organization.objects.get(pk=branches["Z1-01"].pk)
    groups = list(Organization.objects.get_children(z1).order_by("code"))
    users = {
        u.username: u for u in User.objects.filter(username__in=("shuji", "zhiwei", "xiaozu", "dangyuan"))
    }
    accounts = {m.pk: m.user for m in Member.objects.filter(user__in=users.values()).select_related("user")}
    plain = Member.objects.get(user=users["dangyuan"])
    routine = _Branch(rng, z1, today, reliability=0.95, accounts=accounts)

    # dangyuan missed last month's 主题党日 without leave (the points demo files an appeal against it).
    last_month = add_months(today.replace(day=1), -1)
    theme_day = _weekday_on_or_after(last_month.replace(day=10), 4)
    routine.forced[(theme_day.toordinal(), plain.pk)] = ("unexcused", "未请假，未到会")
    two_months_ago = add_months(today.replace(day=1), -2)
    # The latest 党小组会 of 第三党小组 is held, but its record is not complete yet.
    this_month = today.replace(day=1)
    latest_group = this_month if _weekday_on_or_after(this_month.replace(day=17), 3) < today else last_month
    count = routine.routine(
        today - dt.timedelta(days=364),
        skip={(("group_meeting", 1), two_months_ago)},
        life_meetings=True,
        groups=groups,
        open_record=(("group_meeting", 2), latest_group),
    )
    # This quarter's 支部党员大会: notified for next week, not held yet.
    next_friday = today + dt.timedelta(days=7 - today.weekday() + 4)
    assembly = routine.meeting(
        z1,
        "branch_meeting",
        next_friday,
        14,
        120,
        f"第{'一二三四'[(today.month - 1) // 3]}季度支部党员大会：{RESOLUTIONS[(today.month - 1) // 3 + 1][0]}",
    )
    services.notify(None, assembly)
    count += 1

    # The other branches started keeping their records in Zhibu this quarter (at least the last month and
    # this one): a lighter pattern, each skipping some meetings by its own reliability.
    since = min(period_bounds("quarter", today)[0], last_month)
    # 机关第一党支部 holds every meeting; 新厂区建设项目临时党支部 certainly missed last month's 主题党日.
    reliability = {
        "Z1-02": 0.9,
        "Z1-03": 0.8,
        "J-01": 1.0,
        "J-02": 0.85,
        "S-01": 0.75,
        "L-01": 0.7,
        "LH-01": 0.6,
        "LS-01": 0.5,
    }
    for suffix, share in reliability.items():
        branch = Organization.objects.get(pk=branches[suffix].pk)
        other = _Branch(rng, branch, today, reliability=0.9 + share / 20)
        count += other.routine(
            since,
            keep=share,
            skip={("theme_day", last_month)} if suffix == "LS-01" else frozenset(),
            groups=list(Organization.objects.get_children(branch).order_by("code")),
        )
    # The 党委 keeps its records in Zhibu from `since` (earlier ones are on paper, so no misses before);
    # 研发中心第一党支部 piloted it a year earlier.
    root = Organization.objects.get_root(Organization.objects.get(pk=z1.pk))
    config.set_value(None, root, "orglife.records_from", since.isoformat(), dt.date(2000, 1, 1), "启用本系统")
    first = timezone.localtime(Meeting.objects.filter(org=z1).earliest("starts_at").starts_at).date()
    config.set_value(
        None, z1, "orglife.records_from", first.replace(day=1).isoformat(), dt.date(2000, 1, 1), "试点"
    )
    return count
