"""The branch to-do list (domain-rules §6 deadlines, letters, transfers) and the transfer lists."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import MemberFactory
from zhibu.core import config
from zhibu.core.models import OrgSetting
from zhibu.members import todos, transfers
from zhibu.members.models import EventKind, MemberStatus, Transfer, TransferDirection
from zhibu.members.services import record_event
from zhibu.orgs.rules import add_months

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 9, 10)


def lost(org, name, since, **kw):
    return MemberFactory(
        org=org, name=name, status=MemberStatus.LOST, lost_since=since, status_since=since, **kw
    )


def by_kind(items, kind):
    return [t for t in items if t.kind == kind]


def test_lost_six_months_on_the_day_and_the_day_before(tree, users):
    lost(tree.a, "张三", dt.date(2025, 3, 10))
    lost(tree.a, "李四", dt.date(2025, 3, 11))
    items = todos.branch_todos(users.sec_a, today=TODAY)
    suspend = by_kind(items, "lost_suspend")
    messages = {t.member.name: t for t in suspend}
    assert messages["张三"].level == "danger"
    assert messages["张三"].message == "张三失联已满6个月（2025-03-10起），可按规定提出停止党籍处理"
    assert messages["张三"].due_on == dt.date(2025, 9, 10)
    assert messages["李四"].level == "warning"
    assert messages["李四"].message == "李四失联将于2025-09-11满6个月（2025-03-11起），请抓紧查找联系"
    assert items[0].member.name == "张三"  # most urgent first


def test_suspended_two_years_boundary(tree, users):
    MemberFactory(
        org=tree.a,
        name="王五",
        status=MemberStatus.SUSPENDED,
        lost_since=dt.date(2022, 1, 5),
        status_since=dt.date(2023, 9, 10),
    )
    items = by_kind(todos.branch_todos(users.sec_a, today=TODAY), "lost_leave")
    assert [(t.level, t.message) for t in items] == [
        ("danger", "王五停止党籍已满2年（2023-09-10起）仍无联系，可按规定提出按自行脱党予以除名")
    ]
    items = by_kind(todos.branch_todos(users.sec_a, today=TODAY - dt.timedelta(days=1)), "lost_leave")
    assert [t.level for t in items] == ["warning"]


def test_thresholds_follow_the_configuration(tree, users):
    lost(tree.a, "张三", dt.date(2025, 6, 10))
    assert not [t for t in by_kind(todos.branch_todos(users.sec_a, today=TODAY), "lost_suspend")]
    OrgSetting.objects.create(
        org=tree.a, key="members.lost_suspend_months", value=3, valid_from=dt.date(2020, 1, 1)
    )
    items = by_kind(todos.branch_todos(users.sec_a, today=TODAY), "lost_suspend")
    assert items[0].message == "张三失联已满3个月（2025-06-10起），可按规定提出停止党籍处理"


def test_settings_resolver_agrees_with_config_get(tree):
    key = "members.lost_suspend_months"
    OrgSetting.objects.create(org=None, key=key, value=5, valid_from=dt.date(2020, 1, 1))
    OrgSetting.objects.create(org=tree.general, key=key, value=4, valid_from=dt.date(2020, 1, 1))
    OrgSetting.objects.create(org=tree.general, key=key, value=7, valid_from=dt.date(2026, 1, 1))
    OrgSetting.objects.create(org=tree.b, key=key, value=9, valid_from=dt.date(2024, 1, 1))
    for on in (dt.date(2025, 1, 1), dt.date(2026, 6, 1)):
        resolver = todos.SettingsResolver([key, "members.lost_leave_years"], on)
        for org in (tree.root, tree.general, tree.a, tree.b, tree.a1):
            assert resolver.get(org.path, key) == config.get(org, key, on=on)
            assert resolver.get(org.path, "members.lost_leave_years") == 2


def test_follow_up_reminder(tree, users):
    member = lost(tree.a, "赵六", dt.date(2025, 7, 1))
    items = by_kind(todos.branch_todos(users.sec_a, today=TODAY), "lost_follow_up")
    assert items == []  # less than 90 days lost
    items = by_kind(todos.branch_todos(users.sec_a, today=dt.date(2025, 10, 1)), "lost_follow_up")
    assert items[0].message == "赵六失联中（2025-07-01起），尚无跟进记录，请继续查找并记录跟进情况"
    record_event(member, EventKind.FOLLOW_UP, dt.date(2025, 9, 20), None, reason="电话未接通")
    assert by_kind(todos.branch_todos(users.sec_a, today=dt.date(2025, 10, 1)), "lost_follow_up") == []


def test_mobile_transfer_and_report(tree, users):
    MemberFactory(
        org=tree.a,
        name="孙七",
        status=MemberStatus.MOBILE,
        mobile_since=dt.date(2024, 9, 1),
        mobile_destination="深圳市南山区",
    )
    items = todos.branch_todos(users.sec_a, today=TODAY)
    transfer = by_kind(items, "mobile_transfer")[0]
    assert (
        transfer.message
        == "孙七外出流动已满6个月（2024-09-01起，去向：深圳市南山区），去向固定的应转移组织关系"
    )
    report = by_kind(items, "mobile_report")[0]
    assert report.message == "流动党员孙七应于2025-09-01前向支部汇报，已逾期9天"


def test_letters_and_incoming_transfers(tree, users):
    member = MemberFactory(org=tree.a, name="周八")
    issued = dt.date(2025, 5, 12)
    letter = transfers.issue_letter(
        users.sec_a, member, external_org="外省某党委", issued_on=issued, reason="x"
    )
    items = by_kind(todos.branch_todos(users.sec_a, today=dt.date(2025, 8, 27)), "letter_expired")
    assert items[0].message == f"介绍信{letter.letter_no}（周八转往外省某党委）已过期15天未回执"
    assert items[0].transfer == letter and items[0].url.endswith("?tab=letters")
    expiring = by_kind(todos.branch_todos(users.sec_a, today=dt.date(2025, 8, 10)), "letter_expiring")
    assert expiring[0].message.endswith("将于2025-08-12到期，尚未回执")
    assert todos.branch_todos(users.sec_b, today=dt.date(2025, 8, 27)) == []  # not sec_b's letter

    mover = MemberFactory(org=tree.a, name="吴九")
    transfers.request_transfer(
        users.sec_a, mover, to_org=tree.b, issued_on=dt.date(2025, 8, 1), reason="调动"
    )
    incoming = by_kind(todos.branch_todos(users.sec_b, today=TODAY), "transfer_incoming")
    assert incoming[0].message == "第一党支部转来的吴九待第二党支部接收（2025-08-01申请）"
    waiting = by_kind(todos.branch_todos(users.sec_a, today=TODAY), "transfer_waiting")
    assert waiting[0].message == "吴九转往第二党支部已申请40天，对方尚未接收"


def test_scope_of_the_todo_list(tree, users):
    lost(tree.a, "甲失联", dt.date(2024, 1, 1))
    lost(tree.b, "乙失联", dt.date(2024, 1, 1))
    names = lambda user: {t.member.name for t in todos.branch_todos(user, today=TODAY)}  # noqa: E731
    assert names(users.sec_a) == {"甲失联"}
    assert names(users.sec_b) == {"乙失联"}
    assert names(users.org_admin) == {"甲失联", "乙失联"}
    assert todos.branch_todos(users.leader_a1, today=TODAY) == []  # view only: no to-dos
    assert todos.branch_todos(users.member_a, today=TODAY) == []


def test_todos_take_a_constant_number_of_queries(tree, users):
    def add(n):
        for i in range(n):
            lost(tree.a, f"失联{i}", dt.date(2024, 1, 1))
            MemberFactory(org=tree.b, status=MemberStatus.MOBILE, mobile_since=dt.date(2024, 1, 1))
            m = MemberFactory(org=tree.a)
            transfers.issue_letter(None, m, external_org="外单位", issued_on=dt.date(2025, 1, 1), reason="x")
            m = MemberFactory(org=tree.b)
            transfers.request_transfer(None, m, to_org=tree.a, issued_on=dt.date(2025, 1, 1), reason="x")

    add(2)
    todos.branch_todos(users.org_admin, today=TODAY)
    with CaptureQueriesContext(connection) as few:
        small = todos.branch_todos(users.org_admin, today=TODAY)
    add(8)
    with CaptureQueriesContext(connection) as many:
        large = todos.branch_todos(users.org_admin, today=TODAY)
    assert len(large) > len(small)
    assert len(many) == len(few) <= 5


def test_transfer_lists(tree, users):
    today = timezone.localdate()
    m1, m2, m3 = (MemberFactory(org=tree.a) for _ in range(3))
    internal = transfers.request_transfer(users.sec_a, m1, to_org=tree.b, issued_on=today, reason="x")
    old = transfers.issue_letter(
        users.sec_a, m2, external_org="外单位", issued_on=add_months(today, -4), reason="x"
    )
    fresh = transfers.issue_letter(users.sec_a, m3, external_org="外单位", issued_on=today, reason="x")
    mine = todos.transfer_lists(users.sec_a)
    assert [t.pk for t in mine.pending_out] == [internal.pk]
    assert mine.pending_in == []
    assert {t.pk for t in mine.letters} == {old.pk, fresh.pk}
    assert [t.pk for t in mine.expired] == [old.pk]
    assert mine.pending_out[0].can_send and not mine.pending_out[0].can_receive
    theirs = todos.transfer_lists(users.sec_b)
    assert [t.pk for t in theirs.pending_in] == [internal.pk]
    assert theirs.pending_out == [] and theirs.letters == []
    t = theirs.pending_in[0]
    assert t.can_receive and not t.can_send and not t.full_view and t.member_url == ""
    assert todos.transfer_lists(users.member_a).pending_out == []
    assert Transfer.objects.filter(direction=TransferDirection.OUT).count() == 2
