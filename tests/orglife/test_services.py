"""Meeting services: planning rules, notices to the expected attendees, check-in (window, lateness,
who may), attendance points (scored once, corrections reversed), all-or-nothing attendance marks, the
record lifecycle, votes from the attendance records, and scope."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from tests.factories import MemberFactory
from tests.orglife.meetings import at, build_roster, hours_from_now, mtype, plan
from zhibu.core.errors import ValidationError
from zhibu.core.models import AuditLog
from zhibu.orglife import selectors, services
from zhibu.orglife.models import (
    Attendance,
    Meeting,
    MeetingStatus,
    MeetingType,
    MinutesItem,
    Vote,
    VoteExclusion,
)
from zhibu.points import selectors as point_selectors
from zhibu.points import services as point_services
from zhibu.points import sources
from zhibu.points.models import Entry, EntryKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def r(tree, users):
    return build_roster(tree, users)


def messages(exc_info) -> dict:
    return exc_info.value.message_dict


def attendance(meeting, member) -> Attendance:
    return Attendance.objects.get(meeting=meeting, member=member)


def everyone_present(meeting, actor=None) -> None:
    ids = meeting.attendances.values_list("member_id", flat=True)
    services.mark_attendance(actor, meeting, {i: {"status": "present"} for i in ids})


def balance(member):
    return sum(e.points for e in Entry.objects.filter(member=member))


# --- Planning ------------------------------------------------------------------------------------------


def test_plan_a_meeting_with_the_type_template_as_agenda(tree, users, r):
    before = AuditLog.objects.count()
    start = hours_from_now(48)
    meeting = services.plan_meeting(
        users.sec_a,
        tree.a,
        mtype("branch_meeting"),
        topic="学习贯彻全会精神",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        place="三楼会议室",
        host=r.sec,
        recorder=r.a2a,
    )
    assert meeting.status == MeetingStatus.PLANNED and meeting.created_by == users.sec_a
    assert meeting.agenda == mtype("branch_meeting").minutes_template
    assert len(meeting.checkin_token) >= 32
    assert AuditLog.objects.count() == before + 1
    online = plan(tree.a, "party_lecture", place="", online_link="https://meeting.example.com/123")
    assert online.online_link and online.place == ""


def _plan_errors(org, code="theme_day", **fields) -> dict:
    start = at(2026, 5, 12, 14)
    data = {
        "topic": "主题党日",
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=2),
        "place": "党员活动室",
        **fields,
    }
    with pytest.raises(ValidationError) as exc:
        services.plan_meeting(None, org, mtype(code), **data)
    return messages(exc)


@pytest.mark.parametrize(
    "fields, errors",
    [
        ({"topic": "  "}, {"topic": ["请填写会议主题"]}),
        ({"starts_at": None}, {"starts_at": ["请填写开始时间"]}),
        ({"ends_at": None}, {"ends_at": ["请填写结束时间"]}),
        ({"ends_at": at(2026, 5, 12, 14)}, {"ends_at": ["结束时间应晚于开始时间"]}),
        ({"ends_at": at(2026, 5, 12, 13)}, {"ends_at": ["结束时间应晚于开始时间"]}),
        ({"ends_at": at(2026, 5, 15, 14, 1)}, {"ends_at": ["一次会议不应超过3天，请分次记录"]}),
        ({"place": "", "online_link": ""}, {"place": ["请填写地点或线上会议链接"]}),
    ],
)
def test_plan_validation_messages(tree, fields, errors):
    before = AuditLog.objects.count()
    assert _plan_errors(tree.a, **fields) == errors
    assert not Meeting.objects.exists() and AuditLog.objects.count() == before


def test_plan_three_days_exactly_is_allowed(tree):
    start = at(2026, 5, 12, 9)
    plan(tree.a, "party_lecture", start, hours=72)


def test_host_and_recorder_must_be_of_the_branch(tree, r):
    assert _plan_errors(tree.a, host=r.far, recorder=r.far) == {
        "host": ["应为本支部党员"],
        "recorder": ["应为本支部党员"],
    }
    # a group meeting's host is a member of the group's branch
    assert _plan_errors(tree.a1, "group_meeting", host=r.far) == {"host": ["应为本支部党员"]}
    plan(tree.a1, "group_meeting", host=r.a2a, recorder=r.me)


def test_a_group_meeting_only_under_a_group_and_branch_types_only_at_a_branch(tree):
    assert _plan_errors(tree.a, "group_meeting") == {"type": ["党小组会应在党小组下召开"]}
    assert _plan_errors(tree.a1, "branch_meeting") == {"type": ["该类会议应由党支部召开"]}
    assert _plan_errors(tree.general, "theme_day") == {"type": ["该类会议应由党支部召开"]}
    assert not Meeting.objects.exists()


def test_an_org_defined_type_is_usable_only_on_its_path(tree):
    own = MeetingType.objects.create(org=tree.b, code="study", name="专题学习会", attendees="branch")
    with pytest.raises(ValidationError) as exc:
        services.plan_meeting(
            None,
            tree.a,
            own,
            topic="学习",
            starts_at=at(2026, 5, 12),
            ends_at=at(2026, 5, 12, 16),
            place="会议室",
        )
    assert messages(exc) == {"type": ["该组织不能使用此会议类型"]}
    meeting = services.plan_meeting(
        None,
        tree.b,
        own,
        topic="学习",
        starts_at=at(2026, 5, 12),
        ends_at=at(2026, 5, 12, 16),
        place="会议室",
    )
    assert meeting.type == own


def test_update_checks_the_merged_fields_and_is_audited(tree, users, r):
    meeting = plan(tree.a, "theme_day", hours_from_now(24))
    with pytest.raises(ValidationError) as exc:
        services.update_meeting(users.sec_a, meeting, ends_at=meeting.starts_at)
    assert messages(exc) == {"ends_at": ["结束时间应晚于开始时间"]}
    before = AuditLog.objects.count()
    services.update_meeting(users.sec_a, meeting, place="", online_link="https://m.example.com/9", host=r.sec)
    meeting.refresh_from_db()
    assert (meeting.place, meeting.host) == ("", r.sec)
    assert AuditLog.objects.count() == before + 1
    log = AuditLog.objects.latest("id")
    assert log.before["place"] == "党员活动室" and log.after["place"] == ""


# --- Notify ----------------------------------------------------------------------------------------------


def test_notify_creates_rows_for_the_expected_attendees_only(tree, users, r):
    meeting = plan(tree.a, "branch_meeting", hours_from_now(24))
    assert services.notify(users.sec_a, meeting) == 10
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.NOTIFIED and meeting.notified_at is not None
    rows = set(meeting.attendances.values_list("member_id", "status"))
    assert rows == {(m.pk, "pending") for m in r.expected}  # normal and mobile; not lost, transferred, B


def test_notify_a_committee_meeting_reaches_current_seat_holders(tree, r):
    meeting = plan(tree.a, "committee_meeting")
    assert services.notify(None, meeting) == 2
    assert set(meeting.attendances.values_list("member_id", flat=True)) == {m.pk for m in r.committee}


def test_notify_a_group_meeting_reaches_the_group(tree, r):
    meeting = plan(tree.a1, "group_meeting")
    assert services.notify(None, meeting) == 3
    assert set(meeting.attendances.values_list("member_id", flat=True)) == {m.pk for m in r.group_a1}


def test_repeat_notify_adds_newcomers_only(tree, r):
    meeting = plan(tree.a, "theme_day")
    services.notify(None, meeting)
    services.mark_attendance(None, meeting, {r.p3.pk: {"status": "absent", "absence_reason": "sick"}})
    assert services.notify(None, meeting) == 0
    newcomer = MemberFactory(org=tree.a, name="新转入")
    assert services.notify(None, meeting) == 1
    assert meeting.attendances.count() == 11
    assert attendance(meeting, newcomer).status == "pending"
    assert attendance(meeting, r.p3).status == "absent"  # existing rows untouched
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.NOTIFIED


def test_notify_without_anyone_expected_fails_and_leaves_it_planned(tree):
    meeting = plan(tree.b, "committee_meeting")  # B has no committee
    with pytest.raises(ValidationError) as exc:
        services.notify(None, meeting)
    assert exc.value.messages == ["没有应参会人员：请先维护花名册（或支委会成员、党小组成员）"]
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED and not meeting.attendances.exists()


# --- Check-in ----------------------------------------------------------------------------------------------


@pytest.fixture
def lecture(tree, r):
    """A 党课 on 12 May 2026, 14:00–16:00 Beijing time, notified."""
    meeting = plan(tree.a, "party_lecture", at(2026, 5, 12, 14))
    services.notify(None, meeting)
    return meeting


def test_check_in_inside_the_window(users, r, lecture):
    opens = at(2026, 5, 12, 13, 30)
    att, created = services.check_in(users.member_a, lecture.checkin_token, now=opens)
    assert created and att.member == r.me
    att.refresh_from_db()
    assert (att.status, att.via, att.checked_in_at, att.recorded_by) == (
        "present",
        "qr",
        opens,
        users.member_a,
    )


@pytest.mark.parametrize(
    "now, message",
    [
        (at(2026, 5, 12, 13, 29, 59), "签到尚未开始（5月12日 13:30开始）"),
        (at(2026, 5, 12, 17, 0, 1), "签到已结束；如确已参会，请联系会议记录人登记"),
        (at(2026, 5, 13, 14), "签到已结束；如确已参会，请联系会议记录人登记"),
    ],
)
def test_check_in_outside_the_window_is_refused(users, r, lecture, now, message):
    with pytest.raises(ValidationError) as exc:
        services.check_in(users.member_a, lecture.checkin_token, now=now)
    assert exc.value.messages == [message]
    assert attendance(lecture, r.me).status == "pending"
    assert not Entry.objects.exists()


def test_check_in_at_closing_time_and_late_after_the_grace(users, r, lecture):
    att, _ = services.check_in(users.member_a, lecture.checkin_token, now=at(2026, 5, 12, 17))
    assert att.status == "late"
    on_time, _ = services.check_in(users.sec_a, lecture.checkin_token, now=at(2026, 5, 12, 14, 10))
    assert on_time.status == "present"


def test_check_in_one_second_after_the_grace_is_late(users, lecture):
    att, _ = services.check_in(users.member_a, lecture.checkin_token, now=at(2026, 5, 12, 14, 10, 1))
    assert att.status == "late"


def test_check_in_refusals(tree, users, r, lecture):
    with pytest.raises(ValidationError) as exc:
        services.check_in(r.far_user, lecture.checkin_token, now=at(2026, 5, 12, 14))
    assert exc.value.messages == ["您不在本次会议的应到人员名单中，请联系会议记录人"]
    with pytest.raises(ValidationError) as exc:
        services.check_in(users.member_a, "not-a-token", now=at(2026, 5, 12, 14))
    assert exc.value.messages == ["签到码无效"]
    with pytest.raises(ValidationError) as exc:
        services.check_in(users.nobody, lecture.checkin_token, now=at(2026, 5, 12, 14))
    assert exc.value.messages == ["您的账户未关联党员档案，请联系会议记录人登记出席"]
    group = plan(tree.a1, "group_meeting", at(2026, 5, 12, 14))
    services.notify(None, group)
    with pytest.raises(ValidationError) as exc:  # a member of 第二党小组 at 第一党小组's meeting
        services.check_in(users.sec_a, group.checkin_token, now=at(2026, 5, 12, 14))
    assert exc.value.messages == ["您不在本次会议的应到人员名单中，请联系会议记录人"]
    assert not Attendance.objects.filter(member=r.far).exists()
    assert not Attendance.objects.filter(meeting=group, member=r.sec).exists()


def test_check_in_to_a_cancelled_meeting_is_refused(users, lecture):
    services.cancel(None, lecture, "上级临时安排集中学习")
    with pytest.raises(ValidationError) as exc:
        services.check_in(users.member_a, lecture.checkin_token, now=at(2026, 5, 12, 14))
    assert exc.value.messages == ["会议已取消，不能签到"]


def test_check_in_before_the_notice_adds_the_expected_member(tree, users, r):
    meeting = plan(tree.a, "theme_day", at(2026, 5, 12, 14))
    att, created = services.check_in(users.member_a, meeting.checkin_token, now=at(2026, 5, 12, 14))
    assert created and att.status == "present"
    assert list(meeting.attendances.values_list("member_id", flat=True)) == [r.me.pk]


# --- Points ------------------------------------------------------------------------------------------------


def test_check_in_scores_the_type_rule_once(users, r, lecture):
    now = at(2026, 5, 12, 14)
    att, created = services.check_in(users.member_a, lecture.checkin_token, now=now)
    again, created_again = services.check_in(users.member_a, lecture.checkin_token, now=now)
    assert (created, created_again) == (True, False) and again.pk == att.pk
    entry = Entry.objects.get(member=r.me)
    assert (entry.rule_code, entry.points, entry.source_type, entry.source_id) == (
        "orglife.party_lecture",
        2,
        "orglife.attendance",
        str(att.pk),
    )
    assert entry.occurred_at == lecture.starts_at
    att.refresh_from_db()
    assert (att.scored_rule, att.points_rev) == ("orglife.party_lecture", 0)


def test_unexcused_absence_reverses_and_deducts_then_present_scores_again(users, r, lecture):
    att, _ = services.check_in(users.member_a, lecture.checkin_token, now=at(2026, 5, 12, 14))
    services.mark_attendance(None, lecture, {r.me.pk: {"status": "absent", "absence_reason": "unexcused"}})
    entries = list(Entry.objects.filter(member=r.me).order_by("id"))
    assert [(e.kind, e.rule_code, e.points, e.source_type, e.source_id) for e in entries] == [
        (EntryKind.AWARD, "orglife.party_lecture", 2, "orglife.attendance", str(att.pk)),
        (EntryKind.REVERSAL, "orglife.party_lecture", -2, "points.reversal", str(entries[0].pk)),
        (EntryKind.AWARD, "orglife.absence", -3, "orglife.absence", f"{att.pk}-1"),
    ]
    assert balance(r.me) == -3
    att.refresh_from_db()
    assert (att.status, att.scored_rule, att.points_rev) == ("absent", "orglife.absence", 1)
    assert att.checked_in_at is not None  # the scan stays on record

    services.mark_attendance(None, lecture, {r.me.pk: {"status": "present"}})
    entries = list(Entry.objects.filter(member=r.me).order_by("id"))
    assert len(entries) == 5
    assert entries[3].reverses == entries[2] and entries[3].points == 3
    assert (entries[4].rule_code, entries[4].points, entries[4].source_id) == (
        "orglife.party_lecture",
        2,
        f"{att.pk}-2",
    )
    assert balance(r.me) == 2
    att.refresh_from_db()
    assert (att.status, att.scored_rule, att.points_rev, att.absence_reason) == (
        "present",
        "orglife.party_lecture",
        2,
        "",
    )


def test_an_excused_absence_scores_nothing(r, lecture):
    services.mark_attendance(None, lecture, {r.p3.pk: {"status": "absent", "absence_reason": "sick"}})
    att = attendance(lecture, r.p3)
    assert (att.scored_rule, att.points_rev) == ("", 0)
    assert not Entry.objects.filter(member=r.p3).exists()
    # late → absent with a reason reverses the attendance points and scores nothing
    services.mark_attendance(None, lecture, {r.p2.pk: {"status": "late"}})
    services.mark_attendance(None, lecture, {r.p2.pk: {"status": "absent", "absence_reason": "official"}})
    assert balance(r.p2) == 0 and Entry.objects.filter(member=r.p2).count() == 2


def test_the_ledger_explains_the_source(users, r, lecture):
    services.check_in(users.member_a, lecture.checkin_token, now=at(2026, 5, 12, 14))
    entry = point_selectors.ledger(r.me).get()
    assert entry.source_label == "2026年5月12日党课"
    assert sources.type_label("orglife.attendance") == "组织生活考勤"
    assert sources.type_label("orglife.absence") == "组织生活缺席"
    # The link is built without a query; it leads to the meeting.
    link = sources.url_for(entry.source_type, entry.source_id)
    assert link == reverse("orglife:attendance_source", args=[entry.source_id])
    services.mark_attendance(None, lecture, {r.me.pk: {"status": "absent", "absence_reason": "unexcused"}})
    deduction = Entry.objects.get(member=r.me, source_type="orglife.absence")
    assert deduction.source_id.endswith("-1")  # a new revision of the same attendance
    assert selectors.meeting_of_attendance(deduction.source_id) == lecture.pk
    assert selectors.meeting_of_attendance(entry.source_id) == lecture.pk
    assert selectors.meeting_of_attendance("x-1") is None


def test_an_attendance_link_leads_to_its_meeting_within_scope(users, r, lecture, client_for):
    services.check_in(users.member_a, lecture.checkin_token, now=at(2026, 5, 12, 14))
    entry = point_selectors.ledger(r.me).get()
    link = sources.url_for(entry.source_type, entry.source_id)
    answer = client_for(users.member_a).get(link)
    assert answer.status_code == 302 and answer.url == reverse("orglife:meeting", args=[lecture.pk])
    assert client_for(users.sec_b).get(link).status_code == 404
    assert (
        client_for(users.member_a).get(reverse("orglife:attendance_source", args=["999999"])).status_code
        == 404
    )


def test_an_appeal_reversal_is_not_reversed_twice(users, r, lecture):
    services.mark_attendance(None, lecture, {r.me.pk: {"status": "absent", "absence_reason": "unexcused"}})
    deduction = Entry.objects.get(member=r.me)
    point_services.reverse_entry(None, deduction, "申诉：已请假")
    services.mark_attendance(None, lecture, {r.me.pk: {"status": "absent", "absence_reason": "official"}})
    assert balance(r.me) == 0
    assert Entry.objects.filter(member=r.me, kind=EntryKind.REVERSAL).count() == 1


def test_a_switched_off_rule_keeps_the_attendance_without_points(tree, users, r, lecture):
    point_services.save_rule(None, tree.a, "orglife.party_lecture", {"active": False}, dt.date(2026, 1, 1))
    att, created = services.check_in(users.member_a, lecture.checkin_token, now=at(2026, 5, 12, 14))
    assert created and att.status == "present" and att.scored_rule == ""
    assert not Entry.objects.exists()


# --- Marking attendance ------------------------------------------------------------------------------------


def test_mark_attendance_is_all_or_nothing(users, r, lecture):
    before = AuditLog.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.mark_attendance(
            users.sec_a,
            lecture,
            {
                r.p1.pk: {"status": "present"},
                r.p2.pk: {"status": "absent"},
                r.far.pk: {"status": "present"},
                r.p3.pk: {"status": "gone"},
            },
        )
    assert messages(exc) == {
        "attendance": [
            "甲丙二：请选择缺席原因",
            f"党员（{r.far.pk}）不在本次会议名单中",
            "甲丙三：出席情况无效",
        ]
    }
    assert set(lecture.attendances.values_list("status", flat=True)) == {"pending"}
    assert not Entry.objects.exists() and AuditLog.objects.count() == before


def test_mark_attendance_records_changes_and_counts_them(users, r, lecture):
    changed = services.mark_attendance(
        users.sec_a,
        lecture,
        {
            r.p1.pk: {"status": "present"},
            r.p2.pk: {"status": "late"},
            r.p3.pk: {"status": "absent", "absence_reason": "personal", "absence_note": "家中有事"},
        },
    )
    assert changed == 3
    p1 = attendance(lecture, r.p1)
    assert (p1.via, p1.recorded_by, p1.checked_in_at) == ("recorder", users.sec_a, None)
    assert attendance(lecture, r.p3).absence_note == "家中有事"
    assert services.mark_attendance(users.sec_a, lecture, {r.p1.pk: {"status": "present"}}) == 0


def test_makeup_study_for_absentees(r, lecture):
    absent = {"status": "absent", "absence_reason": "sick"}
    services.mark_attendance(None, lecture, {r.p3.pk: absent})
    # the reason need not be repeated to add the 补学 later
    services.mark_attendance(
        None,
        lecture,
        {r.p3.pk: {"status": "absent", "makeup_on": dt.date(2026, 5, 20), "makeup_note": "自学"}},
    )
    att = attendance(lecture, r.p3)
    assert (att.absence_reason, att.makeup_on, att.makeup_note) == ("sick", dt.date(2026, 5, 20), "自学")
    with pytest.raises(ValidationError) as exc:
        services.mark_attendance(
            None, lecture, {r.p2.pk: {"status": "present", "makeup_on": dt.date(2026, 5, 20)}}
        )
    assert messages(exc) == {"attendance": ["甲丙二：只有缺席人员需要补学"]}
    with pytest.raises(ValidationError) as exc:
        services.mark_attendance(None, lecture, {r.p2.pk: {**absent, "makeup_on": dt.date(2026, 5, 11)}})
    assert messages(exc) == {"attendance": ["甲丙二：补学日期不能早于会议日期"]}
    # absent → present drops the 补学 of the absence
    services.mark_attendance(None, lecture, {r.p3.pk: {"status": "present"}})
    att = attendance(lecture, r.p3)
    assert (att.status, att.absence_reason, att.makeup_on, att.makeup_note) == ("present", "", None, "")


def test_present_cannot_be_recorded_before_the_meeting(tree, r):
    meeting = plan(tree.a, "theme_day", hours_from_now(2))
    services.notify(None, meeting)
    with pytest.raises(ValidationError) as exc:
        services.mark_attendance(None, meeting, {r.p1.pk: {"status": "present"}})
    assert messages(exc) == {"attendance": ["会议尚未开始，不能登记出席"]}
    # an absence announced in advance is fine
    services.mark_attendance(None, meeting, {r.p1.pk: {"status": "absent", "absence_reason": "official"}})


# --- Holding, minutes, record, archive, cancel -----------------------------------------------------------


def test_minutes_hold_the_meeting(tree, r):
    meeting = plan(tree.a, "theme_day")
    services.notify(None, meeting)
    items = services.save_minutes(
        None,
        meeting,
        [
            {"title": "重温入党誓词", "discussion": "全体党员面向党旗"},
            {"title": "", "discussion": "", "resolution": ""},
            {"title": "交纳党费", "resolution": "按时足额交纳"},
        ],
        summary="活动圆满完成",
    )
    assert [(i.order, i.title) for i in items] == [(0, "重温入党誓词"), (1, "交纳党费")]
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD and meeting.held_at and meeting.summary == "活动圆满完成"
    with pytest.raises(ValidationError) as exc:
        services.save_minutes(None, meeting, [{"title": "学习"}, {"discussion": "没有议题"}])
    assert messages(exc) == {"minutes": ["第2项请填写议题"]}
    assert MinutesItem.objects.filter(meeting=meeting).count() == 2


def test_minutes_and_holding_wait_for_the_start(tree):
    meeting = plan(tree.a, "theme_day", hours_from_now(5))
    with pytest.raises(ValidationError) as exc:
        services.save_minutes(None, meeting, [{"title": "学习"}])
    assert exc.value.messages == ["会议尚未开始，不能填写会议记录"]
    with pytest.raises(ValidationError) as exc:
        services.mark_held(None, meeting)
    assert exc.value.messages == ["会议尚未开始，不能确认召开"]


def test_complete_record_refuses_pending_attendance_and_missing_minutes(tree, r):
    meeting = plan(tree.a, "theme_day")
    with pytest.raises(ValidationError) as exc:
        services.complete_record(None, meeting)
    assert exc.value.messages == ["还没有出席名单，请先发出通知或添加参会人员；请先填写会议记录"]
    services.notify(None, meeting)
    services.mark_attendance(None, meeting, {r.p1.pk: {"status": "present"}})
    with pytest.raises(ValidationError) as exc:
        services.complete_record(None, meeting)
    assert exc.value.messages == ["还有9人的出席情况未登记；请先填写会议记录"]
    everyone_present(meeting)
    with pytest.raises(ValidationError) as exc:
        services.complete_record(None, meeting)
    assert exc.value.messages == ["请先填写会议记录"]
    services.save_minutes(None, meeting, [{"title": "学习"}])
    services.complete_record(None, meeting)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.RECORDED and meeting.recorded_at and meeting.held_at


def test_archive_locks_every_edit(tree, users, r):
    meeting = plan(tree.a, "branch_meeting")
    services.notify(None, meeting)
    with pytest.raises(ValidationError) as exc:
        services.archive(None, meeting)
    assert exc.value.messages == ["会议记录完成后才能归档"]
    everyone_present(meeting)
    services.save_minutes(None, meeting, [{"title": "学习"}])
    services.complete_record(None, meeting)
    services.archive(users.sec_a, meeting)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.ARCHIVED and meeting.archived_at and meeting.is_locked
    locked = ["会议已归档，不能修改"]
    attempts = [
        lambda: services.update_meeting(None, meeting, topic="改"),
        lambda: services.notify(None, meeting),
        lambda: services.mark_attendance(None, meeting, {r.p1.pk: {"status": "late"}}),
        lambda: services.save_minutes(None, meeting, [{"title": "改"}]),
        lambda: services.mark_held(None, meeting),
        lambda: services.complete_record(None, meeting),
        lambda: services.record_vote(None, meeting, kind="resolution", subject="事项", in_favour=8),
        lambda: services.add_attendee(None, meeting, MemberFactory(org=tree.a)),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as exc:
            attempt()
        assert exc.value.messages == locked
    with pytest.raises(ValidationError) as exc:
        services.cancel(None, meeting, "不开了")
    assert exc.value.messages == ["会议已归档，不能取消"]
    with pytest.raises(ValidationError) as exc:
        services.archive(None, meeting)
    assert exc.value.messages == ["会议记录完成后才能归档"]


def test_recorded_meetings_take_no_more_notices_or_check_ins(tree, users, r):
    meeting = plan(tree.a, "theme_day")
    services.notify(None, meeting)
    everyone_present(meeting)
    services.save_minutes(None, meeting, [{"title": "学习"}])
    services.complete_record(None, meeting)
    with pytest.raises(ValidationError) as exc:
        services.notify(None, meeting)
    assert exc.value.messages == ["会议记录已完成，不能再通知"]
    with pytest.raises(ValidationError) as exc:
        services.check_in(users.member_a, meeting.checkin_token, now=meeting.starts_at)
    assert exc.value.messages == ["会议已记录，不能签到"]


def test_cancel(tree, users):
    meeting = plan(tree.a, "theme_day", hours_from_now(24))
    with pytest.raises(ValidationError) as exc:
        services.cancel(users.sec_a, meeting, " ")
    assert messages(exc) == {"reason": ["请填写取消原因"]}
    services.cancel(users.sec_a, meeting, "与上级会议冲突，改期")
    meeting.refresh_from_db()
    assert (meeting.status, meeting.cancel_reason) == (MeetingStatus.CANCELLED, "与上级会议冲突，改期")
    with pytest.raises(ValidationError) as exc:
        services.update_meeting(None, meeting, topic="改")
    assert exc.value.messages == ["会议已取消，不能修改"]
    held = plan(tree.a, "theme_day")
    services.mark_held(None, held)
    with pytest.raises(ValidationError) as exc:
        services.cancel(None, held, "不开了")
    assert exc.value.messages == ["会议已召开，不能取消"]


# --- Votes -------------------------------------------------------------------------------------------------


@pytest.fixture
def assembly(tree, r):
    """A 支部党员大会 held 3 hours ago, notified (8 voting members expected)."""
    meeting = plan(tree.a, "branch_meeting")
    services.notify(None, meeting)
    return meeting


def present(meeting, *people):
    services.mark_attendance(None, meeting, {m.pk: {"status": "present"} for m in people})


def test_votes_count_expected_and_present_from_the_attendance(r, assembly):
    present(assembly, r.sec, r.me, r.a1b, r.a2a, r.p1, r.prob, r.upp)  # 5 voting + 2 without a vote
    assert selectors.voters(assembly) == {"expected": 8, "present": 5, "excluded": 0}
    vote = services.record_vote(None, assembly, kind="resolution", subject="推荐优秀党员", in_favour=5)
    assert (vote.expected, vote.present, vote.valid, vote.passed) == (8, 5, True, True)
    assert vote.message == "应到8人，实到5人，会议有效；赞成5票，超过应到人数半数，通过"


def test_late_counts_as_present_and_a_quorum_short_meeting_is_invalid(r, assembly):
    present(assembly, r.sec, r.me, r.a1b)
    services.mark_attendance(None, assembly, {r.a2a.pk: {"status": "late"}})
    vote = services.record_vote(None, assembly, kind="resolution", subject="事项", in_favour=4)
    assert (vote.expected, vote.present, vote.valid, vote.passed) == (8, 4, False, False)
    assert vote.message == "应到8人，实到4人，实到人数未超过应到人数半数，会议无效，表决不成立"


def test_exclusions_reduce_expected(users, r, assembly):
    present(assembly, r.sec, r.me, r.a1b, r.a2a)
    services.exclude_voter(users.sec_a, assembly, r.mobile, "away", "集团党委组织部")
    vote = services.record_vote(None, assembly, kind="resolution", subject="事项", in_favour=4)
    assert (vote.expected, vote.present, vote.valid, vote.passed) == (7, 4, True, True)
    assert selectors.voters(assembly)["excluded"] == 1
    ex = VoteExclusion.objects.get()
    assert (ex.member, ex.reason, ex.approved_by, ex.recorded_by) == (
        r.mobile,
        "away",
        "集团党委组织部",
        users.sec_a,
    )


def test_exclusion_refusals(r, assembly):
    present(assembly, r.sec)
    cases = [
        ((r.p1, "holiday", "党委"), {"reason": ["请选择原因"]}),
        ((r.p1, "ill", " "), {"approved_by": ["请填写批准的组织或负责人"]}),
        ((r.sec, "ill", "党委"), {"member": ["已到会的党员不能不计入应到人数"]}),
        ((r.far, "ill", "党委"), {"member": ["该党员不在本次会议名单中"]}),
        (
            (r.prob, "ill", "党委"),
            {"member": ["该党员没有表决权（预备党员、留党察看期间或已不在册），本就不计入应到人数"]},
        ),
    ]
    for args, errors in cases:
        with pytest.raises(ValidationError) as exc:
            services.exclude_voter(None, assembly, *args)
        assert messages(exc) == errors
    services.exclude_voter(None, assembly, r.p1, "ill", "党委")
    with pytest.raises(ValidationError) as exc:
        services.exclude_voter(None, assembly, r.p1, "abroad", "党委")
    assert messages(exc) == {"member": ["该党员已不计入应到人数"]}
    assert VoteExclusion.objects.count() == 1


def test_an_election_at_the_assembly(r, assembly):
    everyone_present(assembly)
    services.mark_attendance(None, assembly, {r.p3.pk: {"status": "absent", "absence_reason": "sick"}})
    # 8 expected, 7 present: more than 4/5
    vote = services.record_vote(
        None,
        assembly,
        kind="election",
        subject="增补支部委员",
        candidates={"甲丙一": 6, "甲丙二": 3},
        seats=1,
    )
    assert (vote.expected, vote.present, vote.valid, vote.passed) == (8, 7, True, True)
    assert vote.candidates == [{"name": "甲丙一", "votes": 6}, {"name": "甲丙二", "votes": 3}]
    assert vote.message == "应到8人，实到7人，选举有效；当选：甲丙一"
    assert (vote.in_favour, vote.against, vote.abstain, vote.seats) == (0, 0, 0, 1)
    short = services.record_vote(
        None, assembly, kind="election", subject="选举", candidates={"甲丙一": 6, "甲丙二": 3}, seats=2
    )
    assert short.valid and not short.passed and "尚缺1名" in short.message
    services.mark_attendance(None, assembly, {r.p2.pk: {"status": "absent", "absence_reason": "sick"}})
    invalid = services.record_vote(
        None, assembly, kind="election", subject="选举", candidates={"甲": 6}, seats=1
    )
    assert (invalid.valid, invalid.passed) == (False, False)
    assert invalid.message == "应到8人，实到6人，未超过应到人数的五分之四，选举无效"


def test_vote_refusals_write_nothing(tree, r, assembly):
    present(assembly, r.sec, r.me)
    cases = [
        ({"kind": "poll", "subject": "事项"}, {"kind": ["请选择表决类型"]}),
        ({"kind": "resolution", "subject": ""}, {"subject": ["请填写表决事项"]}),
        (
            {"kind": "resolution", "subject": "事项", "in_favour": 2, "against": 1},
            {"in_favour": ["赞成、反对、弃权合计（3）不能多于实到人数（2）"]},
        ),
        (
            {"kind": "election", "subject": "选举", "candidates": {"甲": 3}, "seats": 1},
            {"candidates": ["甲的得票（3）应在0到实到人数（2）之间"]},
        ),
    ]
    for fields, errors in cases:
        with pytest.raises(ValidationError) as exc:
            services.record_vote(None, assembly, **fields)
        assert messages(exc) == errors
    day = plan(tree.a, "theme_day")
    with pytest.raises(ValidationError) as exc:
        services.record_vote(None, day, kind="resolution", subject="事项")
    assert exc.value.messages == ["主题党日不进行表决"]
    later = plan(tree.a, "branch_meeting", hours_from_now(24))
    with pytest.raises(ValidationError) as exc:
        services.record_vote(None, later, kind="resolution", subject="事项")
    assert exc.value.messages == ["会议尚未开始，不能记录表决"]
    assert not Vote.objects.exists()


# --- Scope -------------------------------------------------------------------------------------------------


def test_another_branch_secretary_gets_404(tree, users, r, assembly):
    with pytest.raises(Http404):
        selectors.get_meeting(users.sec_b, assembly.pk)
    attempts = [
        lambda: services.plan_meeting(users.sec_b, tree.a, mtype("theme_day"), topic="x"),
        lambda: services.update_meeting(users.sec_b, assembly, topic="改"),
        lambda: services.notify(users.sec_b, assembly),
        lambda: services.mark_attendance(users.sec_b, assembly, {r.p1.pk: {"status": "present"}}),
        lambda: services.save_minutes(users.sec_b, assembly, [{"title": "x"}]),
        lambda: services.mark_held(users.sec_b, assembly),
        lambda: services.complete_record(users.sec_b, assembly),
        lambda: services.archive(users.sec_b, assembly),
        lambda: services.cancel(users.sec_b, assembly, "x"),
        lambda: services.record_vote(users.sec_b, assembly, kind="resolution", subject="x"),
        lambda: services.exclude_voter(users.sec_b, assembly, r.p1, "ill", "x"),
    ]
    for attempt in attempts:
        with pytest.raises(Http404):
            attempt()
    assert attendance(assembly, r.p1).status == "pending"


def test_a_member_sees_their_branch_meetings_but_cannot_manage(tree, users, r, assembly):
    assert selectors.get_meeting(users.member_a, assembly.pk) == assembly
    assert not selectors.can_manage(users.member_a, assembly)
    for attempt in (
        lambda: services.notify(users.member_a, assembly),
        lambda: services.mark_attendance(users.member_a, assembly, {r.me.pk: {"status": "present"}}),
        lambda: services.plan_meeting(users.member_a, tree.a, mtype("theme_day"), topic="x"),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    other = plan(tree.b, "theme_day")
    with pytest.raises(Http404):
        selectors.get_meeting(users.member_a, other.pk)
    with pytest.raises(Http404):
        services.notify(users.member_a, other)
    # B's member sees nothing of A
    with pytest.raises(Http404):
        selectors.get_meeting(r.far_user, assembly.pk)


def test_a_group_leader_manages_only_their_groups_meetings(tree, users, r, assembly):
    own = plan(tree.a1, "group_meeting", actor=users.leader_a1)
    assert services.notify(users.leader_a1, own) == 3
    everyone_present(own, users.leader_a1)
    other_group = plan(tree.a2, "group_meeting")
    for meeting in (other_group, assembly):
        with pytest.raises(Http404):
            selectors.get_meeting(users.leader_a1, meeting.pk)
        with pytest.raises(Http404):
            services.notify(users.leader_a1, meeting)
    with pytest.raises(Http404):
        plan(tree.a2, "group_meeting", actor=users.leader_a1)
    with pytest.raises(Http404):
        plan(tree.a, "theme_day", actor=users.leader_a1)
    assert [m.pk for m in selectors.visible_meetings(users.leader_a1)] == [own.pk]
    assert [o.pk for o in selectors.manageable_orgs(users.leader_a1)] == [tree.a1.pk]


def test_the_committee_org_admin_manages_every_branch(users, r, assembly):
    assert selectors.can_manage(users.org_admin, assembly)
    assert services.notify(users.org_admin, assembly) == 0


def test_my_meetings_lists_the_members_own_rows(tree, users, r, lecture, assembly):
    cancelled = plan(tree.a, "theme_day", hours_from_now(24))
    services.notify(None, cancelled)
    services.cancel(None, cancelled, "改期")
    mine = list(selectors.my_meetings(users.member_a))
    assert [a.meeting for a in mine] == [assembly, lecture]
    assert list(selectors.my_meetings(users.nobody)) == []
    upcoming = plan(tree.a, "theme_day", hours_from_now(24))
    services.notify(None, upcoming)
    assert [a.meeting for a in selectors.my_meetings(users.member_a, upcoming=True)] == [upcoming]
    assert upcoming not in [a.meeting for a in selectors.my_meetings(users.member_a, upcoming=False)]
    assert timezone.now() > assembly.ends_at
