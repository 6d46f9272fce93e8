"""Log in as a branch secretary, open the org tree, open the own branch; screenshots are test artifacts."""

import pytest

from zhibu.core.demo import DEMO_PASSWORD, build_demo
from zhibu.orgs.models import Organization

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_demo()


def login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_secretary_logs_in_opens_tree_and_own_branch(live_server, browser, demo, artifacts):
    branch = Organization.objects.get(code="HK-Z1-01")
    other = Organization.objects.get(code="HK-J-01")
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    login(page, live_server.url, "shuji")
    assert "工作台" in page.content()
    page.screenshot(path=artifacts / "home-desktop.png", full_page=True)

    page.goto(f"{live_server.url}/orgs/")
    assert page.get_by_text(branch.name).first.is_visible()
    # The secretary's tree starts at their own branch: other branches are not shown.
    assert other.name not in page.content()
    page.screenshot(path=artifacts / "tree-desktop.png", full_page=True)

    page.get_by_role("link", name=branch.name).first.click()
    page.wait_for_url(f"{live_server.url}/orgs/{branch.pk}/")
    body = page.content()
    assert "设置建议" in body or "委员会" in body
    assert "第一党小组" in body
    page.screenshot(path=artifacts / "branch-desktop.png", full_page=True)

    # Another branch's page answers 404 for this secretary.
    response = page.goto(f"{live_server.url}/orgs/{other.pk}/")
    assert response.status == 404
    page.close()


def test_member_on_phone_sees_bottom_navigation(live_server, browser, demo, artifacts):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    login(page, live_server.url, "dangyuan")
    nav = page.locator("nav.zb-bottom-nav")
    assert nav.is_visible()
    page.screenshot(path=artifacts / "home-phone.png", full_page=True)
    context.close()
