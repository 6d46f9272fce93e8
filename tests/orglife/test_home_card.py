"""The 工作台 shows a member the meetings they have been notified of (the in-app notice)."""

from tests.orglife.meetings import build_roster, hours_from_now, plan
from zhibu.orglife import services


def test_notified_upcoming_meetings_show_on_the_members_home(tree, users, client_for):
    build_roster(tree, users)
    soon = plan(tree.a, "branch_meeting", hours_from_now(24), topic="第四季度支部党员大会")
    plan(tree.a, "theme_day", hours_from_now(48), topic="尚未通知的主题党日")  # planned only: no notice yet
    client = client_for(users.member_a)
    assert 'data-testid="meetings-card"' not in client.get("/").content.decode()
    services.notify(None, soon)
    page = client.get("/").content.decode()
    assert 'data-testid="meetings-card"' in page and "第四季度支部党员大会" in page
    assert "尚未通知的主题党日" not in page
    # Someone from another branch is not notified of it.
    assert "第四季度支部党员大会" not in client_for(users.sec_b).get("/").content.decode()


def test_an_open_review_asks_the_member_to_take_part(tree, users, client_for):
    from zhibu.orglife import reviews

    build_roster(tree, users)
    review = reviews.start_review(None, tree.a, 2026)
    page = client_for(users.member_a).get("/").content.decode()
    assert "2026年度民主评议：请填写个人自评" in page
    reviews.open_poll(None, review)
    assert "民主测评进行中，请完成测评" in client_for(users.member_a).get("/").content.decode()
    assert "年度民主评议：" not in client_for(users.sec_b).get("/").content.decode()
