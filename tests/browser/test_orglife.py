"""组织生活 in a real browser: the branch secretary (desktop) plans a 支部党员大会 starting now, notifies and
opens the check-in QR page; a member on a phone opens the check-in link, logs in and checks in; the
secretary records the others' attendance and the minutes and completes the record."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.orglife.meetings import build_roster
from zhibu.orglife.models import Attendance, AttendanceStatus, Meeting, MeetingStatus
from zhibu.points.models import Entry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def log_in(page, username):
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"


def local_input(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_secretary_runs_a_meeting_and_a_member_checks_in_by_phone(
    live_server, browser, tree, users, artifacts
):
    base = live_server.url
    roster = build_roster(tree, users)
    start = timezone.now().replace(second=0, microsecond=0)

    # --- The secretary, on a desktop: plan, notify, show the QR code ---------------------------------
    desk = browser.new_context(viewport=DESKTOP)
    page = desk.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/accounts/login/")
    log_in(page, users.sec_a.username)
    page.wait_for_url(f"{base}/")
    page.locator(".zb-nav").get_by_role("link", name="组织生活").click()
    page.wait_for_url(f"{base}/orglife/")
    page.get_by_test_id("plan").click()
    page.wait_for_url(f"{base}/orglife/plan/*")
    page.select_option("#id_type", label="支部党员大会")
    expect(page.locator("#id_agenda")).to_have_value("传达学习上级精神\n研究讨论支部重要事项\n表决事项")
    page.fill("#id_topic", "学习贯彻上级会议精神")
    page.fill("#id_starts_at", local_input(start))
    page.fill("#id_ends_at", local_input(start + dt.timedelta(hours=2)))
    page.fill("#id_place", "三楼党员活动室")
    page.select_option("#id_host", label="甲书记")
    page.select_option("#id_recorder", label="甲二甲")
    page.screenshot(path=artifacts / "orglife-plan-desktop.png", full_page=True)
    page.get_by_role("button", name="保存计划").click()
    page.wait_for_url(f"{base}/orglife/meetings/*/")
    expect(page.locator(".alert-success")).to_contain_text("已计划会议")
    meeting = Meeting.objects.get(topic="学习贯彻上级会议精神")
    assert meeting.status == MeetingStatus.PLANNED and meeting.host == roster.sec

    page.get_by_role("button", name="发出通知").click()
    expect(page.locator(".alert-success")).to_contain_text("10人收到通知")
    expect(page.get_by_test_id("meeting-status")).to_have_text("已通知")
    page.screenshot(path=artifacts / "orglife-meeting-desktop.png", full_page=True)
    page.locator(".zb-page-header + nav").get_by_role("link", name="签到二维码").click()
    page.wait_for_url(f"{base}/orglife/meetings/{meeting.pk}/qr/")
    expect(page.get_by_test_id("qr").locator("svg")).to_be_visible()
    expect(page.get_by_test_id("arrived")).to_have_text("0")
    page.screenshot(path=artifacts / "orglife-qr-desktop.png", full_page=True)
    checkin_url = page.locator("#zb-checkin-url").input_value()
    assert checkin_url == f"{base}/orglife/checkin/{meeting.checkin_token}/"

    # --- The member, on a phone: scan (open the link), log in, check in ------------------------------
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    mobile.set_default_timeout(10_000)
    mobile.goto(checkin_url)
    mobile.wait_for_url(re.compile(r"/accounts/login/\?next="))
    log_in(mobile, users.member_a.username)
    mobile.wait_for_url(checkin_url)
    expect(mobile.get_by_test_id("checkin-topic")).to_have_text("学习贯彻上级会议精神")
    no_sideways_scroll(mobile)
    mobile.screenshot(path=artifacts / "orglife-checkin-phone.png", full_page=True)
    mobile.get_by_test_id("checkin-button").click()
    expect(mobile.locator(".alert-success")).to_contain_text("签到成功")
    expect(mobile.get_by_test_id("checked-in")).to_contain_text("已签到")
    no_sideways_scroll(mobile)
    mobile.screenshot(path=artifacts / "orglife-checked-in-phone.png", full_page=True)
    att = Attendance.objects.get(meeting=meeting, member=roster.me)
    assert att.status == AttendanceStatus.PRESENT and att.via == "qr"
    mobile.locator(".zb-bottom-nav").get_by_role("link", name="我的会议").click()
    mobile.wait_for_url(f"{base}/orglife/mine/")
    expect(mobile.get_by_test_id("upcoming-meeting").first).to_contain_text("出席")
    no_sideways_scroll(mobile)
    mobile.screenshot(path=artifacts / "orglife-mine-phone.png", full_page=True)

    # --- The secretary records the others and the minutes --------------------------------------------
    page.reload()
    expect(page.get_by_test_id("arrived")).to_have_text("1")
    expect(page.get_by_test_id("qr-count")).to_contain_text("甲党员")
    page.get_by_role("link", name="登记其他人员").click()
    page.wait_for_url(f"{base}/orglife/meetings/{meeting.pk}/attendance/")
    row = page.locator(f'[data-testid=attendee][data-member="{roster.p3.pk}"]')
    reason = row.locator("select")
    expect(reason).to_be_hidden()  # the reason appears once 缺席 is chosen
    row.get_by_text("缺席", exact=True).click()
    reason.select_option(label="病假")
    row.get_by_placeholder("说明（可选）").fill("住院")
    me_row = page.locator(f'[data-testid=attendee][data-member="{roster.me.pk}"]')
    expect(me_row).to_contain_text("扫码签到")
    page.screenshot(path=artifacts / "orglife-attendance-desktop.png", full_page=True)
    page.get_by_role("button", name="其余人员记为出席").click()
    expect(page.locator(".alert-success")).to_contain_text("9人有变动")
    statuses = dict(meeting.attendances.values_list("member_id", "status"))
    assert statuses[roster.p3.pk] == AttendanceStatus.ABSENT
    assert sorted(statuses.values()).count(AttendanceStatus.PRESENT) == 9

    page.locator(".zb-page-header + nav").get_by_role("link", name="会议记录").click()
    page.wait_for_url(f"{base}/orglife/meetings/{meeting.pk}/minutes/")
    items = page.get_by_test_id("minutes-item")
    expect(items.first.locator("input")).to_have_value("传达学习上级精神")
    items.nth(0).get_by_label("讨论情况").fill("书记传达了上级会议精神，党员结合岗位交流体会。")
    items.nth(0).get_by_label("决议/结论").fill("各党小组本月开展专题学习。")
    items.nth(1).get_by_label("讨论情况").fill("讨论了下季度工作安排。")
    page.fill("#id_summary", "会议按议程完成。")
    page.screenshot(path=artifacts / "orglife-minutes-desktop.png", full_page=True)
    page.get_by_role("button", name="保存并完成记录").click()
    page.wait_for_url(f"{base}/orglife/meetings/{meeting.pk}/")
    expect(page.locator(".alert-success")).to_contain_text("会议记录已完成")
    expect(page.get_by_test_id("meeting-status")).to_have_text("已记录")
    expect(page.get_by_test_id("n-present")).to_have_text("9")
    expect(page.get_by_test_id("minutes")).to_contain_text("书记传达了上级会议精神")
    page.screenshot(path=artifacts / "orglife-recorded-desktop.png", full_page=True)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.RECORDED
    assert [m.title for m in meeting.minutes.all()] == [
        "传达学习上级精神",
        "研究讨论支部重要事项",
        "表决事项",
    ]
    assert Entry.objects.filter(member=roster.me, source_type="orglife.attendance").count() == 1
    phone.close()
    desk.close()
