"""The demo's year of meetings: 研发中心第一党支部 and its 党小组 keep the full pattern with a few deliberate
gaps, attendance scores points once per record, and the other branches keep a lighter pattern."""

import datetime as dt

import pytest
from django.db.models import Count, Q
from django.utils import timezone

from zhibu.accounts.models import User
from zhibu.core.demo import build_demo
from zhibu.members.models import Member
from zhibu.orglife import rules
from zhibu.orglife.models import HELD_STATUSES, Attendance, Meeting, MeetingStatus
from zhibu.orgs.models import Organization
from zhibu.orgs.rules import add_months
from zhibu.points.models import Appeal, AppealStatus, Entry
from zhibu.points.rules import local_range, period_bounds


@pytest.fixture
def demo(db):
    return build_demo()


def held(org, code, start, end, *, subtree=False):
    orgs = Q(org__path__startswith=org.path) if subtree else Q(org=org)
    begin, stop = local_range(start, end)
    return Meeting.objects.filter(
        orgs, type__code=code, status__in=HELD_STATUSES, starts_at__gte=begin, starts_at__lt=stop
    )


def test_demo_year_of_meetings(demo):
    today = timezone.localdate()
    now = timezone.now()
    z1 = Organization.objects.get(code="HK-Z1-01")
    groups = list(Organization.objects.get_children(z1).order_by("code"))
    assert demo["meetings"] == Meeting.objects.count()

    # Monthly 主题党日 and 支委会 in every closed month of the past year; each 党小组 monthly, except the
    # month 第二党小组 skipped two months ago.
    this_month = today.replace(day=1)
    skipped = add_months(this_month, -2)
    for back in range(1, 12):
        month = period_bounds("month", add_months(this_month, -back))
        assert held(z1, "theme_day", *month).count() == 1, month
        assert held(z1, "committee_meeting", *month).count() == 1, month
        for i, group in enumerate(groups):
            expected = 0 if (i, month[0]) == (1, skipped) else 1
            assert held(group, "group_meeting", *month).count() == expected, (group.name, month)
    gap = rules.period_state(0, 1, *period_bounds("month", skipped), today=today)
    assert rules.due_message("党小组会", "month", gap) == "上月未召开党小组会"

    # Quarterly 支部党员大会 (each with a passed resolution) and 党课 in the closed quarters.
    quarter = period_bounds("quarter", today)
    for back in range(1, 4):
        closed = period_bounds("quarter", add_months(quarter[0], -3 * back))
        assembly = held(z1, "branch_meeting", *closed).get()
        vote = assembly.votes.get()
        assert vote.valid and vote.passed and vote.expected >= vote.present > vote.expected // 2
        assert vote.message in assembly.minutes.values_list("resolution", flat=True)
        assert held(z1, "party_lecture", *closed).count() == 1
    lecturers = set(
        Meeting.objects.filter(org=z1, type__code="party_lecture").values_list("lecturer", flat=True)
    )
    secretary = Member.objects.get(user__username="shuji")
    assert secretary.name in lecturers  # the secretary gives at least one 党课 a year

    # This quarter's 大会 is not held: notified for next week, so the 工作台 counts the days left.
    assert not held(z1, "branch_meeting", *quarter).exists()
    upcoming = Meeting.objects.get(org=z1, type__code="branch_meeting", starts_at__gt=now)
    assert upcoming.status == MeetingStatus.NOTIFIED
    assert 2 <= (timezone.localtime(upcoming.starts_at).date() - today).days <= 13
    assert upcoming.attendances.count() > 30 and not upcoming.attendances.exclude(status="pending").exists()
    state = rules.period_state(0, 1, *quarter, today=today)
    days = (quarter[1] - today).days + 1
    assert (
        rules.due_message("支部党员大会", "quarter", state) == f"本季度尚未召开支部党员大会，剩余 {days} 天"
    )

    # 组织生活会: held last December, this year's in the plan.
    last_december = (dt.date(today.year - 1, 12, 1), dt.date(today.year - 1, 12, 31))
    assert held(z1, "life_meeting", *last_december).count() == 1
    this_year = Meeting.objects.filter(org=z1, type__code="life_meeting", starts_at__year=today.year).get()
    if this_year.starts_at > now:
        assert this_year.status == MeetingStatus.PLANNED

    # Records: complete (no one pending, minutes written) and archived after two months, except the latest
    # 党小组会 of 第三党小组, held with its record still open.
    past = Meeting.objects.filter(org__path__startswith=z1.path, starts_at__lt=now)
    assert not past.exclude(status__in=HELD_STATUSES).exists()
    open_record = past.get(status=MeetingStatus.HELD)
    assert open_record.org == groups[2] and open_record.type.code == "group_meeting"
    assert open_record.attendances.filter(status="pending").count() == 2
    assert open_record == Meeting.objects.filter(org=groups[2]).latest("starts_at")
    for meeting in past.exclude(pk=open_record.pk).annotate(items=Count("minutes")):
        assert meeting.items >= 1
        assert meeting.status == (
            MeetingStatus.ARCHIVED
            if (today - timezone.localtime(meeting.starts_at).date()).days > 60
            else "recorded"
        )
    assert not Attendance.objects.filter(
        meeting__in=past.exclude(pk=open_record.pk), status="pending"
    ).exists()
    assert not Meeting.objects.filter(starts_at__gt=now, status__in=HELD_STATUSES).exists()

    # Attendance: QR check-ins by the members with accounts, the rest by the recorder; late arrivals, excused
    # absences (most with 补学) and a few unexcused ones.
    z1_rows = Attendance.objects.filter(meeting__in=past)
    assert z1_rows.filter(via="qr", member__user__username="dangyuan").exists()
    assert z1_rows.filter(via="recorder").count() > z1_rows.filter(via="qr").count() > 20
    assert z1_rows.filter(status="late").exists()
    assert {"sick", "personal", "official", "unexcused"} <= set(
        z1_rows.filter(status="absent").values_list("absence_reason", flat=True)
    )
    excused = z1_rows.filter(status="absent").exclude(absence_reason="unexcused")
    assert excused.exclude(makeup_on=None).count() > excused.count() // 2
    assert not z1_rows.filter(makeup_on__isnull=False, status__in=["present", "late"]).exists()

    # Points: one entry per scored attendance, explained by its meeting; dangyuan's unexcused absence at
    # last month's 主题党日 is the entry of the open appeal.
    scored = Attendance.objects.exclude(scored_rule="")
    assert (
        Entry.objects.filter(source_type__in=["orglife.attendance", "orglife.absence"]).count()
        == scored.count()
    )
    assert (
        scored.filter(scored_rule="orglife.absence").count()
        == Entry.objects.filter(source_type="orglife.absence").count()
    )
    dangyuan = User.objects.get(username="dangyuan")
    absence = Attendance.objects.get(member__user=dangyuan, status="absent", absence_reason="unexcused")
    assert absence.meeting.type.code == "theme_day"
    assert timezone.localtime(absence.meeting.starts_at).date().replace(day=1) == add_months(this_month, -1)
    appeal = Appeal.objects.get(status=AppealStatus.OPEN)
    assert (appeal.entry.source_type, appeal.entry.source_id) == ("orglife.absence", str(absence.pk))
    assert appeal.entry.points < 0 and "主题党日" in appeal.entry.source_label

    # The other branches: a lighter pattern since the last month, each skipping some meetings.
    others = Meeting.objects.exclude(org__path__startswith=z1.path)
    since = local_range(min(quarter[0], add_months(this_month, -1)), today)[0]
    assert others.exists() and not others.filter(starts_at__lt=since).exists()
    last_month = period_bounds("month", add_months(this_month, -1))
    j1, ls1 = Organization.objects.get(code="HK-J-01"), Organization.objects.get(code="HK-LS-01")
    assert held(j1, "theme_day", *last_month).count() == 1
    assert held(ls1, "theme_day", *last_month).count() == 0
    missed = rules.period_state(0, 1, *last_month, today=today)
    assert rules.due_message("主题党日", "month", missed) == "上月未召开主题党日"
    assert held(j1, "committee_meeting", *last_month).count() == 1
    assert not held(ls1, "committee_meeting", since.date(), today).exists()  # 临时党支部: a secretary only
