"""积分 in a real browser: a member on a phone self-reports 志愿服务 with evidence, the branch secretary
approves it in the queue on a desktop, and the member sees the points on 我的积分."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, MemberFactory
from zhibu.points.models import Claim, ClaimStatus, Entry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"


def test_member_reports_volunteering_and_the_secretary_approves_it(
    live_server, browser, tree, users, artifacts, tmp_path
):
    base = live_server.url
    member = MemberFactory(org=tree.a, group=tree.a1, user=users.member_a, name="甲党员")
    photo = tmp_path / "volunteer.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")

    # --- The member, on a phone: 申报积分 -----------------------------------------------------------
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    mobile.set_default_timeout(10_000)
    login(mobile, base, users.member_a.username)
    mobile.locator(".zb-bottom-nav").get_by_role("link", name="我的积分").click()
    mobile.wait_for_url(f"{base}/points/mine/")
    expect(mobile.get_by_test_id("period-total")).to_have_text("0")
    mobile.get_by_role("link", name="申报积分").click()
    mobile.wait_for_url(f"{base}/points/report/")
    mobile.get_by_label("参加志愿服务").check()
    mobile.fill("#id_quantity", "3")
    mobile.fill("#id_reason", "社区垃圾分类志愿服务")
    mobile.fill("#id_evidence", "社区居委会出具证明")
    mobile.set_input_files("#id_evidence_file", str(photo))
    no_sideways_scroll(mobile)
    mobile.screenshot(path=artifacts / "points-report-phone.png", full_page=True)
    mobile.get_by_role("button", name="提交申报").click()
    mobile.wait_for_url(f"{base}/points/claims/*/")
    expect(mobile.locator(".alert-success")).to_contain_text("申报已提交")
    expect(mobile.locator(".zb-page-header")).to_contain_text("待审核")
    no_sideways_scroll(mobile)
    mobile.screenshot(path=artifacts / "points-claim-phone.png", full_page=True)
    claim = Claim.objects.get(member=member)
    assert claim.status == ClaimStatus.PENDING and claim.quantity == 3 and claim.evidence_file

    # --- The secretary, on a desktop: the approval queue --------------------------------------------
    desk = browser.new_context(viewport=DESKTOP)
    page = desk.new_page()
    page.set_default_timeout(10_000)
    login(page, base, users.sec_a.username)
    page.locator(".zb-nav").get_by_role("link", name="积分").click()
    page.wait_for_url(f"{base}/points/")
    page.get_by_role("link", name="审核").first.click()
    page.wait_for_url(f"{base}/points/claims/")
    card = page.get_by_test_id("claim").filter(has_text="甲党员")
    expect(card).to_contain_text("参加志愿服务")
    expect(card).to_contain_text("社区居委会出具证明")
    expect(card.get_by_role("link", name="附件")).to_be_visible()
    expect(card.get_by_test_id("would-score")).to_have_text("+3")
    page.screenshot(path=artifacts / "points-queue-desktop.png", full_page=True)
    card.get_by_label("审核意见").fill("情况属实")
    card.get_by_role("button", name="通过", exact=True).click()
    page.wait_for_url(f"{base}/points/claims/")
    expect(page.locator(".alert-success")).to_contain_text("记分 +3 分")
    expect(page.get_by_test_id("claim")).to_have_count(0)
    entry = Entry.objects.get(member=member)
    assert entry.points == 3 and entry.approved_by == users.sec_a

    # --- The member sees the points on 我的积分 ------------------------------------------------------
    mobile.goto(f"{base}/points/mine/")
    expect(mobile.get_by_test_id("period-total")).to_have_text("3")
    row = mobile.get_by_test_id("entry").filter(has_text="参加志愿服务")
    expect(row).to_contain_text("+3")
    expect(row).to_contain_text("审核：甲书记")
    no_sideways_scroll(mobile)
    mobile.screenshot(path=artifacts / "points-mine-phone.png", full_page=True)
    phone.close()
    desk.close()
