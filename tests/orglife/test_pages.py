"""组织生活 meeting pages: each renders for the right role; scope (404 out of scope, 403 for members on
manage pages); the lifecycle plan → notify → attendance → minutes → complete → archive through POSTs;
check-in (twice: one attendance, one points entry; expired; invalid; login first); votes, exclusions and
attachments; constant query counts on the meeting list and the attendance page."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import MemberFactory
from tests.orglife.meetings import build_roster, hours_from_now, plan
from zhibu.orglife import services
from zhibu.orglife.models import (
    Attachment,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingStatus,
    MeetingType,
    Vote,
    VoteExclusion,
)
from zhibu.points.models import Entry

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"orglife:{name}", args=args)


def local_input(moment: dt.datetime) -> str:
    """A datetime as a datetime-local input sends it."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def roster(tree, users):
    return build_roster(tree, users)


@pytest.fixture
def held(tree, roster):
    """A 支部党员大会 of branch A that began an hour ago, notified (10 expected attendees)."""
    meeting = plan(tree.a, "branch_meeting", hours_from_now(-1), host=roster.sec, recorder=roster.a2a)
    services.notify(None, meeting)
    return meeting


def marks_for(meeting, status="present", extra=None):
    """POST data of the attendance page marking everyone `status` (extra: {member: {field: value}})."""
    data = {}
    for a in meeting.attendances.all():
        data[f"m{a.member_id}-status"] = status
        for field, value in (extra or {}).get(a.member_id, {}).items():
            data[f"m{a.member_id}-{field}"] = value
    return data


# --- Pages render for the right roles -------------------------------------------------------------


def test_officer_pages_render(tree, users, roster, held, client_for):
    client = client_for(users.sec_a)
    home = client.get(reverse("core:home")).content.decode()
    assert url("meetings") in home and "组织生活" in home
    for name, args, params in [
        ("meetings", [], {}),
        ("meetings", [], {"org": tree.a1.pk, "year": "2025", "month": "3"}),
        ("meetings", [], {"type": held.type_id, "status": "notified"}),
        ("meetings", [], {"year": "abc", "month": "13"}),
        ("plan", [], {}),
        ("plan", [], {"org": tree.a1.pk}),
        ("plan", [], {"type": MeetingType.objects.get(code="party_lecture", org=None).pk}),
        ("meeting", [held.pk], {}),
        ("edit", [held.pk], {}),
        ("attendance", [held.pk], {}),
        ("minutes", [held.pk], {}),
        ("votes", [held.pk], {}),
        ("qr", [held.pk], {}),
        ("mine", [], {}),
        ("checkin", [held.checkin_token], {}),
    ]:
        response = client.get(url(name, *args), params)
        assert response.status_code == 200, (name, params)
    listing = client.get(url("meetings"))
    assert [m.pk for m in listing.context["page"]] == [held.pk]
    assert "支部党员大会" in listing.content.decode() and "已通知" in listing.content.decode()
    row = listing.context["page"][0]
    assert (row.n_expected, row.n_present) == (10, 0)
    detail = client.get(url("meeting", held.pk)).content.decode()
    for text in ("签到二维码", "登记出席", "完成记录", "取消会议", "补发通知"):
        assert text in detail, text
    lecture = client.get(url("plan"), {"type": MeetingType.objects.get(code="party_lecture", org=None).pk})
    assert "授课人" in lecture.content.decode()
    assert "党课内容" in lecture.content.decode()  # the agenda from the type's minutes template
    group_plan = client.get(url("plan"), {"org": tree.a1.pk})
    assert [t.code for t in group_plan.context["form"].types.values()] == ["group_meeting"]
    qr = client.get(url("qr", held.pk)).content.decode()
    assert "<svg" in qr and held.checkin_token in qr
    fragment = client.get(url("qr", held.pk), HTTP_HX_REQUEST="true")
    assert "<svg" not in fragment.content.decode() and fragment.context["expected"] == 10


def test_a_branch_list_shows_its_groups_meetings(tree, users, roster, client_for):
    branch = plan(tree.a, "theme_day", hours_from_now(24))
    group = plan(tree.a1, "group_meeting", hours_from_now(48), place="第一小组活动室")
    other = plan(tree.b, "theme_day", hours_from_now(24))
    client = client_for(users.sec_a)
    ids = {m.pk for m in client.get(url("meetings")).context["page"]}
    assert ids == {branch.pk, group.pk} and other.pk not in ids
    only_group = client.get(url("meetings"), {"org": tree.a1.pk}).context["page"]
    assert [m.pk for m in only_group] == [group.pk]
    leader = client_for(users.leader_a1)
    assert [m.pk for m in leader.get(url("meetings")).context["page"]] == [group.pk]
    assert leader.get(url("meetings"), {"org": tree.a.pk}).status_code == 404
    admin = client_for(users.org_admin)
    assert {m.pk for m in admin.get(url("meetings")).context["page"]} == {branch.pk, group.pk, other.pk}


def test_member_pages(tree, users, roster, held, client_for):
    later = plan(tree.a, "party_lecture", hours_from_now(48), lecturer="甲书记")
    services.notify(None, later)
    past = plan(tree.a, "theme_day", hours_from_now(-72))
    services.notify(None, past)
    services.mark_attendance(
        None,
        past,
        {
            roster.me.pk: {
                "status": "absent",
                "absence_reason": "sick",
                "makeup_on": timezone.localdate(),
                "makeup_note": "自学会议精神",
            }
        },
    )
    client = client_for(users.member_a)
    home = client.get(reverse("core:home")).content.decode()
    assert url("mine") in home and "我的会议" in home
    assert client.get(url("meetings")).url == url("mine")
    response = client.get(url("mine"))
    assert response.status_code == 200
    upcoming = [a.meeting_id for a in response.context["upcoming"]]
    assert upcoming == [held.pk, later.pk]  # soonest first
    assert response.context["upcoming"][0].checkin_open  # began an hour ago: the window is open
    assert not response.context["upcoming"][1].checkin_open
    html = response.content.decode()
    assert "签到进行中" in html and "已补学" in html and "自学会议精神" in html
    assert [a.meeting_id for a in response.context["page"]] == [past.pk]
    detail = client.get(url("meeting", held.pk))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert held.topic in body and "我的出席情况" in body
    for action in ("登记出席", "完成记录", "取消会议", url("attendance", held.pk)):
        assert action not in body
    assert detail.context["rows"] == []  # others' absence reasons are for the officers


def test_a_user_without_a_member_record(users, client_for):
    client = client_for(users.nobody)
    assert "还没有关联党员档案" in client.get(url("mine")).content.decode()
    assert client.get(url("meetings")).status_code == 403
    assert client.get(url("plan")).status_code == 403


# --- Scope ----------------------------------------------------------------------------------------


def test_out_of_scope_is_404_and_members_cannot_manage(tree, users, roster, held, client_for):
    sec_b = client_for(users.sec_b)
    for name in ("meeting", "edit", "attendance", "minutes", "votes", "qr"):
        assert sec_b.get(url(name, held.pk)).status_code == 404, name
    for name in ("notify", "held", "complete", "archive", "cancel", "add_attendee", "exclude", "upload"):
        assert sec_b.post(url(name, held.pk), {"reason": "x"}).status_code == 404, name
    assert sec_b.post(url("attendance", held.pk), marks_for(held)).status_code == 404
    assert sec_b.get(url("meetings"), {"org": tree.a.pk}).status_code == 404
    assert sec_b.get(url("plan"), {"org": tree.a.pk}).status_code == 404
    far = client_for(roster.far_user)
    assert far.get(url("meeting", held.pk)).status_code == 404

    member = client_for(users.member_a)
    for name in ("edit", "attendance", "minutes", "votes", "qr"):
        assert member.get(url(name, held.pk)).status_code == 403, name
    for name in ("notify", "held", "complete", "archive", "cancel"):
        assert member.post(url(name, held.pk), {"reason": "x"}).status_code == 403, name
    assert member.post(url("attendance", held.pk), marks_for(held)).status_code == 403
    assert member.get(url("plan")).status_code == 403
    held.refresh_from_db()
    assert held.status == MeetingStatus.NOTIFIED
    assert not held.attendances.exclude(status=AttendanceStatus.PENDING).exists()
    # A group leader runs their 党小组's meetings only.
    leader = client_for(users.leader_a1)
    assert leader.get(url("meeting", held.pk)).status_code == 404
    group = plan(tree.a1, "group_meeting", hours_from_now(-1))
    assert leader.get(url("edit", group.pk)).status_code == 200


# --- The lifecycle through the pages --------------------------------------------------------------


def test_plan_notify_attend_minutes_complete_archive(tree, users, roster, client_for):
    client = client_for(users.sec_a)
    branch_meeting = MeetingType.objects.get(code="branch_meeting", org=None)
    start = hours_from_now(-1)
    response = client.post(
        url("plan"),
        {
            "org": tree.a.pk,
            "type": branch_meeting.pk,
            "topic": "学习贯彻全会精神",
            "starts_at": local_input(start),
            "ends_at": local_input(start + dt.timedelta(hours=2)),
            "place": "三楼会议室",
            "host": roster.sec.pk,
            "recorder": roster.a2a.pk,
            "agenda": "",
        },
    )
    meeting = Meeting.objects.get(topic="学习贯彻全会精神")
    assert response.url == url("meeting", meeting.pk)
    assert meeting.status == MeetingStatus.PLANNED and meeting.org == tree.a
    assert meeting.agenda == branch_meeting.minutes_template  # an empty agenda takes the template
    assert (meeting.host, meeting.recorder) == (roster.sec, roster.a2a)

    response = client.post(url("notify", meeting.pk), follow=True)
    assert "10人收到通知" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.NOTIFIED and meeting.attendances.count() == 10

    today = timezone.localdate()
    data = marks_for(
        meeting,
        extra={
            roster.p3.pk: {"status": "absent", "absence_reason": "sick", "absence_note": "住院"},
            roster.mobile.pk: {
                "status": "absent",
                "absence_reason": "official",
                "makeup_on": today.isoformat(),
                "makeup_note": "观看会议录像",
            },
            roster.upp.pk: {"status": "late"},
        },
    )
    response = client.post(url("attendance", meeting.pk), data)
    assert response.url == url("attendance", meeting.pk)
    rows = {a.member_id: a for a in meeting.attendances.all()}
    assert rows[roster.p3.pk].status == AttendanceStatus.ABSENT
    assert rows[roster.p3.pk].absence_reason == "sick" and rows[roster.p3.pk].absence_note == "住院"
    assert rows[roster.mobile.pk].makeup_on == today and rows[roster.mobile.pk].makeup_note == "观看会议录像"
    assert rows[roster.upp.pk].status == AttendanceStatus.LATE
    assert rows[roster.me.pk].status == AttendanceStatus.PRESENT and rows[roster.me.pk].via == "recorder"
    assert Entry.objects.filter(source_type="orglife.attendance").count() == 8

    page = client.get(url("minutes", meeting.pk))
    titles = [f.initial.get("title") for f in page.context["formset"].forms]
    assert titles[:3] == ["传达学习上级精神", "研究讨论支部重要事项", "表决事项"]
    assert len(titles) == 6  # the agenda lines and three blank rows
    minutes = {
        "items-TOTAL_FORMS": "4",
        "items-INITIAL_FORMS": "3",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "60",
        "items-0-title": "传达学习上级精神",
        "items-0-discussion": "书记传达了全会精神",
        "items-0-resolution": "各党小组开展专题学习",
        "items-1-title": "研究讨论支部重要事项",
        "items-1-discussion": "讨论了年度工作计划",
        "items-2-title": "",
        "items-3-title": "",
        "summary": "会议圆满完成",
    }
    response = client.post(url("minutes", meeting.pk), minutes)
    assert response.url == url("meeting", meeting.pk)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD and meeting.summary == "会议圆满完成"
    assert [m.title for m in meeting.minutes.all()] == ["传达学习上级精神", "研究讨论支部重要事项"]

    detail = client.get(url("meeting", meeting.pk)).content.decode()
    assert "书记传达了全会精神" in detail and "住院" in detail and "观看会议录像" in detail
    assert client.get(url("meeting", meeting.pk)).context["summary"] == {
        "expected": 10,
        "present": 8,
        "late": 1,
        "absent": 2,
        "pending": 0,
        "makeup": 1,
    }

    response = client.post(url("complete", meeting.pk), follow=True)
    assert "会议记录已完成" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.RECORDED
    response = client.post(url("archive", meeting.pk), follow=True)
    assert "会议已归档" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.ARCHIVED
    # The archived record is locked: the edit pages send back to the meeting with a message.
    for name in ("edit", "attendance", "minutes", "votes"):
        response = client.get(url(name, meeting.pk))
        assert response.url == url("meeting", meeting.pk), name
    body = client.get(url("meeting", meeting.pk)).content.decode()
    assert "记录已锁定" in body and "归档时间" in body


def test_plan_shows_service_errors_on_the_form(tree, users, roster, client_for):
    client = client_for(users.sec_a)
    theme = MeetingType.objects.get(code="theme_day", org=None)
    start = hours_from_now(24)
    data = {
        "org": tree.a.pk,
        "type": theme.pk,
        "topic": "主题党日",
        "starts_at": local_input(start),
        "ends_at": local_input(start - dt.timedelta(hours=1)),
        "place": "",
        "online_link": "",
    }
    response = client.post(url("plan"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["ends_at"] == ["结束时间应晚于开始时间"]
    assert errors["place"] == ["请填写地点或线上会议链接"]
    assert "结束时间应晚于开始时间" in response.content.decode()
    far = MemberFactory(org=tree.b, name="外支部")
    data.update(ends_at=local_input(start + dt.timedelta(hours=1)), place="活动室", host=far.pk)
    response = client.post(url("plan"), data)
    assert "host" in response.context["form"].errors  # not a member of the branch: not a choice
    assert not Meeting.objects.exists()


def test_attendance_is_all_or_nothing(tree, users, roster, held, client_for):
    client = client_for(users.sec_a)
    data = marks_for(held, extra={roster.p3.pk: {"status": "absent"}})  # no reason
    response = client.post(url("attendance", held.pk), data)
    assert response.status_code == 400
    assert "甲丙三：请选择缺席原因" in response.content.decode()
    assert not held.attendances.exclude(status=AttendanceStatus.PENDING).exists()
    assert not Entry.objects.exists()
    # 其余人员记为出席: the rows left without a choice become present.
    data = {
        f"m{roster.p3.pk}-status": "absent",
        f"m{roster.p3.pk}-absence_reason": "personal",
        "rest": "present",
    }
    client.post(url("attendance", held.pk), data)
    counts = {s: held.attendances.filter(status=s).count() for s in ("present", "absent", "pending")}
    assert counts == {"present": 9, "absent": 1, "pending": 0}


def test_adding_an_attendee(tree, users, roster, held, client_for):
    client = client_for(users.sec_a)
    newcomer = MemberFactory(org=tree.a, name="新转入")
    page = client.get(url("attendance", held.pk))
    assert newcomer in page.context["add_form"].fields["member"].queryset
    assert roster.me not in page.context["add_form"].fields["member"].queryset
    response = client.post(url("add_attendee", held.pk), {"member": newcomer.pk}, follow=True)
    assert "已将新转入加入参会名单" in response.content.decode()
    assert held.attendances.filter(member=newcomer).exists()
    response = client.post(url("add_attendee", held.pk), {"member": roster.far.pk})
    assert response.status_code == 200 and not held.attendances.filter(member=roster.far).exists()


def test_cancel_needs_a_reason(tree, users, roster, client_for):
    meeting = plan(tree.a, "theme_day", hours_from_now(24))
    client = client_for(users.sec_a)
    response = client.post(url("cancel", meeting.pk), {"reason": ""}, follow=True)
    assert "请填写取消原因" in response.content.decode()
    client.post(url("cancel", meeting.pk), {"reason": "与上级会议冲突"})
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED and meeting.cancel_reason == "与上级会议冲突"
    assert "与上级会议冲突" in client.get(url("meeting", meeting.pk)).content.decode()


def test_completing_too_early_says_what_is_missing(tree, users, roster, held, client_for):
    client = client_for(users.sec_a)
    response = client.post(url("complete", held.pk), follow=True)
    body = response.content.decode()
    assert "还有10人的出席情况未登记" in body and "请先填写会议记录" in body
    held.refresh_from_db()
    assert held.status == MeetingStatus.NOTIFIED


# --- Check-in -------------------------------------------------------------------------------------


def test_check_in_twice_scores_once(tree, users, roster, held, client_for):
    client = client_for(users.member_a)
    page = client.get(url("checkin", held.checkin_token))
    assert page.status_code == 200
    body = page.content.decode()
    assert held.topic in body and "签到" in body and "记录人" in body
    response = client.post(url("checkin", held.checkin_token), follow=True)
    body = response.content.decode()
    assert "签到成功" in body or "已签到" in body
    assert "已签到" in body
    again = client.post(url("checkin", held.checkin_token), follow=True)
    assert "无需重复签到" in again.content.decode()
    att = Attendance.objects.get(meeting=held, member=roster.me)
    assert att.status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE) and att.via == "qr"
    assert Attendance.objects.filter(meeting=held, member=roster.me).count() == 1
    assert Entry.objects.filter(member=roster.me, source_type="orglife.attendance").count() == 1
    # The QR page counts them.
    qr = client_for(users.sec_a).get(url("qr", held.pk), HTTP_HX_REQUEST="true")
    assert [a.member_id for a in qr.context["arrived"]] == [roster.me.pk]


def test_expired_and_invalid_tokens(tree, users, roster, client_for):
    old = plan(tree.a, "theme_day", hours_from_now(-6))  # ended 4 hours ago; the window closed 3 hours ago
    services.notify(None, old)
    client = client_for(users.member_a)
    page = client.get(url("checkin", old.checkin_token))
    assert "签到已结束" in page.content.decode()
    assert 'data-testid="checkin-button"' not in page.content.decode()
    response = client.post(url("checkin", old.checkin_token))
    assert response.status_code == 400 and "签到已结束" in response.content.decode()
    assert Attendance.objects.get(meeting=old, member=roster.me).status == AttendanceStatus.PENDING
    soon = plan(tree.a, "theme_day", hours_from_now(5))
    assert "签到尚未开始" in client.get(url("checkin", soon.checkin_token)).content.decode()
    bad = client.get(url("checkin", "not-a-real-token"))
    assert bad.status_code == 404 and "签到码无效" in bad.content.decode()


def test_check_in_asks_to_log_in_first(tree, users, roster, held, client):
    target = url("checkin", held.checkin_token)
    response = client.get(target)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login")) and "next=" in response.url


def test_check_in_for_someone_not_expected(tree, users, roster, held, client_for):
    client = client_for(roster.far_user)
    response = client.post(url("checkin", held.checkin_token))
    assert "不在本次会议的应到人员名单中" in response.content.decode()
    nobody = client_for(users.nobody)
    assert "未关联党员档案" in nobody.get(url("checkin", held.checkin_token)).content.decode()


# --- Votes and attachments ------------------------------------------------------------------------


def test_votes_and_exclusions(tree, users, roster, held, client_for):
    client = client_for(users.sec_a)
    marks = marks_for(
        held,
        extra={
            roster.p2.pk: {"status": "absent", "absence_reason": "sick"},
            roster.p3.pk: {"status": "absent", "absence_reason": "other"},
        },
    )
    client.post(url("attendance", held.pk), marks)
    page = client.get(url("votes", held.pk))
    assert page.context["numbers"] == {"expected": 8, "present": 6, "excluded": 0}
    assert set(page.context["exclusion_form"].fields["member"].queryset) == {roster.p2, roster.p3}
    response = client.post(
        url("exclude", held.pk), {"member": roster.p2.pk, "reason": "ill", "approved_by": "机关党委"}
    )
    assert response.url == url("votes", held.pk)
    assert VoteExclusion.objects.get(meeting=held).member == roster.p2
    response = client.post(
        url("votes", held.pk),
        {"kind": "resolution", "subject": "年度工作计划", "in_favour": "5", "against": "1", "abstain": "0"},
        follow=True,
    )
    vote = Vote.objects.get(subject="年度工作计划")
    assert (vote.expected, vote.present, vote.passed) == (7, 6, True)
    assert vote.message in response.content.decode()
    response = client.post(
        url("votes", held.pk),
        {"kind": "election", "subject": "补选支部委员", "seats": "1", "candidates": "甲丙一 5\n甲丙三：1票"},
        follow=True,
    )
    election = Vote.objects.get(subject="补选支部委员")
    assert election.candidates == [{"name": "甲丙一", "votes": 5}, {"name": "甲丙三", "votes": 1}]
    assert election.kind == "election" and election.message in response.content.decode()
    bad = client.post(
        url("votes", held.pk), {"kind": "election", "subject": "x", "seats": "1", "candidates": "张三"}
    )
    assert bad.status_code == 400 and "姓名 得票数" in bad.content.decode()
    too_many = client.post(
        url("votes", held.pk),
        {"kind": "resolution", "subject": "超票", "in_favour": "7", "against": "0", "abstain": "0"},
    )
    assert too_many.status_code == 400 and not Vote.objects.filter(subject="超票").exists()
    detail = client.get(url("meeting", held.pk)).content.decode()
    assert "年度工作计划" in detail and "补选支部委员" in detail


def test_votes_need_a_meeting_that_votes(tree, users, roster, client_for):
    theme = plan(tree.a, "theme_day", hours_from_now(-1))
    response = client_for(users.sec_a).get(url("votes", theme.pk))
    assert response.url == url("meeting", theme.pk)


def test_attachments_upload_and_download(tree, users, roster, held, client_for):
    client = client_for(users.sec_a)
    photo = SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff\xe0 photo", content_type="image/jpeg")
    client.post(url("upload", held.pk), {"title": "会议现场", "file": photo})
    att = Attachment.objects.get(meeting=held)
    assert att.title == "会议现场"
    assert client.get(url("attachment", att.pk)).status_code == 200
    assert client_for(users.member_a).get(url("attachment", att.pk)).status_code == 200
    assert client_for(users.sec_b).get(url("attachment", att.pk)).status_code == 404
    script = SimpleUploadedFile("x.exe", b"MZ", content_type="application/octet-stream")
    response = client.post(url("upload", held.pk), {"file": script}, follow=True)
    assert "只能上传" in response.content.decode()
    assert Attachment.objects.count() == 1


# --- Query counts ---------------------------------------------------------------------------------


def _count(client, path, params=None) -> int:
    client.get(path, params)  # warm up sessions and caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_meeting_list_queries_do_not_grow(tree, users, roster, client_for, django_assert_num_queries):
    client = client_for(users.sec_a)
    for i in range(3):
        services.notify(None, plan(tree.a, "theme_day", hours_from_now(-24 * (i + 1)), host=roster.sec))
    few = _count(client, url("meetings"))
    for i in range(7):
        org = tree.a1 if i % 2 else tree.a
        code = "group_meeting" if i % 2 else "party_lecture"
        services.notify(None, plan(org, code, hours_from_now(-24 * (i + 5)), recorder=roster.a2a))
    with django_assert_num_queries(few):
        response = client.get(url("meetings"))
    assert len(response.context["page"]) == 10


def test_attendance_page_queries_do_not_grow(tree, users, roster, client_for, django_assert_num_queries):
    client = client_for(users.sec_a)
    small = plan(tree.a, "committee_meeting", hours_from_now(-1))
    services.notify(None, small)  # the committee: 甲书记 and 甲二甲
    services.add_attendee(None, small, roster.p3)
    assert small.attendances.count() == 3
    few = _count(client, url("attendance", small.pk))
    big = plan(tree.a, "branch_meeting", hours_from_now(-1))
    services.notify(None, big)
    assert big.attendances.count() == 10
    with django_assert_num_queries(few):
        response = client.get(url("attendance", big.pk))
    assert len(response.context["rows"]) == 10


def test_edit_a_meeting(tree, users, roster, client_for):
    meeting = plan(tree.a, "party_lecture", hours_from_now(24), lecturer="甲书记")
    client = client_for(users.sec_a)
    page = client.get(url("edit", meeting.pk))
    assert "授课人" in page.content.decode() and "type" not in page.context["form"].fields
    data = {
        "topic": "专题党课：传承红色基因",
        "starts_at": local_input(meeting.starts_at),
        "ends_at": local_input(meeting.ends_at),
        "place": "",
        "online_link": "https://meeting.example.cn/j/123",
        "host": roster.sec.pk,
        "recorder": "",
        "lecturer": "甲二甲",
        "agenda": "党课内容",
    }
    response = client.post(url("edit", meeting.pk), data)
    assert response.url == url("meeting", meeting.pk)
    meeting.refresh_from_db()
    assert (meeting.topic, meeting.place, meeting.lecturer) == ("专题党课：传承红色基因", "", "甲二甲")
    assert meeting.online_link == "https://meeting.example.cn/j/123" and meeting.host == roster.sec


def test_officers_get_the_meetings_in_the_phone_bottom_bar(users, roster, client_for):
    officer = client_for(users.sec_a).get(reverse("core:home")).content.decode()
    bar = officer.split('class="zb-bottom-nav', 1)[1]
    assert url("meetings") in bar and reverse("accounts:profile") in bar
    member = client_for(users.member_a).get(reverse("core:home")).content.decode()
    assert url("mine") in member.split('class="zb-bottom-nav', 1)[1]
