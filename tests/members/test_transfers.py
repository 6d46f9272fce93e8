"""Transfers (组织关系转接), letters, incoming members, 流动, 失联: services, scope, audit, PDF, pages."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tests.factories import MemberFactory, UserFactory, grant, make_id_number, make_org
from zhibu.accounts.models import Role
from zhibu.core.models import AuditAction, AuditLog, OrgSetting
from zhibu.members import transfers
from zhibu.members.models import (
    Category,
    EventKind,
    Member,
    MemberEvent,
    MemberStatus,
    Transfer,
    TransferDirection,
    TransferStatus,
)
from zhibu.orgs import services as org_services
from zhibu.orgs.rules import add_months

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def days_ago(n):
    return today() - dt.timedelta(days=n)


def messages(exc) -> list[str]:
    return exc.value.messages


@pytest.fixture
def viewer(tree):
    """Sees branch A's records (member.view) but may not change them."""
    user = UserFactory(username="viewer_a", real_name="甲查看")
    grant(user, tree.a, Role.GROUP_LEADER)
    return user


@pytest.fixture
def zhang(tree):
    return MemberFactory(org=tree.a, group=tree.a1, name="张三")


def request_ab(users, member, tree, **kw):
    return transfers.request_transfer(
        users.sec_a,
        member,
        to_org=tree.b,
        issued_on=kw.pop("issued_on", days_ago(3)),
        reason="工作调动",
        **kw,
    )


# --- internal transfers -----------------------------------------------------------------------------


def test_pending_transfer_keeps_the_member_in_the_old_org(tree, users, zhang):
    transfer = request_ab(users, zhang, tree)
    zhang.refresh_from_db()
    assert transfer.status == TransferStatus.PENDING
    assert transfer.direction == TransferDirection.INTERNAL
    assert (transfer.from_org, transfer.to_org) == (tree.a, tree.b)
    assert zhang.org == tree.a and zhang.group == tree.a1
    assert not MemberEvent.objects.filter(member=zhang).exists()  # nothing happened to the record yet
    entry = AuditLog.objects.get(object_type="members.transfer", action=AuditAction.CREATE)
    assert entry.org_id == tree.a.pk and entry.actor == users.sec_a and "第二党支部" in entry.summary


def test_confirm_moves_the_member_with_history_on_both_sides(tree, users, zhang):
    transfer = request_ab(users, zhang, tree)
    transfers.confirm_transfer(users.sec_b, transfer, received_on=days_ago(1), group=tree.b1)
    zhang.refresh_from_db()
    transfer.refresh_from_db()
    assert zhang.org == tree.b and zhang.group == tree.b1
    assert transfer.status == TransferStatus.COMPLETED and transfer.receipt_on == days_ago(1)
    assert transfer.decided_by == users.sec_b
    events = {e.kind: e for e in MemberEvent.objects.filter(member=zhang)}
    assert set(events) == {EventKind.TRANSFER_OUT, EventKind.TRANSFER_IN}
    assert events[EventKind.TRANSFER_OUT].org == tree.a
    assert events[EventKind.TRANSFER_IN].org == tree.b
    assert events[EventKind.TRANSFER_IN].occurred_on == days_ago(1)
    assert events[EventKind.TRANSFER_IN].data["org"] == [tree.a.pk, tree.b.pk]
    assert events[EventKind.TRANSFER_IN].recorded_by == users.sec_b
    member_audit = AuditLog.objects.get(object_type="members.member", object_id=str(zhang.pk))
    assert member_audit.before["org"] == tree.a.pk and member_audit.after["org"] == tree.b.pk


def test_confirm_ends_mobility(tree, users, zhang):
    transfers.register_mobile(users.sec_a, zhang, destination="深圳市南山区", since=days_ago(200))
    transfer = request_ab(users, zhang, tree)
    transfers.confirm_transfer(users.sec_b, transfer, received_on=today())
    zhang.refresh_from_db()
    assert (
        zhang.status == MemberStatus.NORMAL and zhang.mobile_destination == "" and zhang.mobile_since is None
    )


def test_the_sender_cannot_confirm_and_the_receiver_cannot_cancel(tree, users, zhang, viewer):
    transfer = request_ab(users, zhang, tree)
    with pytest.raises(Http404):
        transfers.confirm_transfer(users.sec_a, transfer, received_on=today())
    with pytest.raises(Http404):
        transfers.cancel_transfer(users.sec_b, transfer, note="不是我们的")
    with pytest.raises(PermissionDenied):  # group leader: in scope, without member.manage
        transfers.cancel_transfer(viewer, transfer, note="x")
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.PENDING


def test_scope_other_branch_cannot_start_a_transfer(tree, users, zhang, viewer):
    with pytest.raises(Http404):
        transfers.request_transfer(users.sec_b, zhang, to_org=tree.b, issued_on=today(), reason="x")
    with pytest.raises(PermissionDenied):
        transfers.request_transfer(viewer, zhang, to_org=tree.b, issued_on=today(), reason="x")
    assert not Transfer.objects.exists()


def test_a_second_pending_transfer_is_refused_in_chinese(tree, users, zhang):
    request_ab(users, zhang, tree)
    with pytest.raises(ValidationError) as exc:
        request_ab(users, zhang, tree)
    assert messages(exc) == ["该党员已有一项正在办理的组织关系转接，请先办结或撤销后再申请"]
    with pytest.raises(ValidationError) as exc:
        transfers.issue_letter(users.sec_a, zhang, external_org="某市某党委", issued_on=today(), reason="x")
    assert exc.value.message_dict == {
        "member": ["该党员已有一项正在办理的组织关系转接，请先办结或撤销后再申请"]
    }
    assert Transfer.objects.count() == 1


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("a", "接收党支部不能是党员当前所在的党支部"),
        ("a1", "组织关系只能转入党支部"),
        ("general", "组织关系只能转入党支部"),
    ],
)
def test_bad_targets(tree, users, zhang, target, error):
    with pytest.raises(ValidationError) as exc:
        transfers.request_transfer(
            users.sec_a, zhang, to_org=getattr(tree, target), issued_on=today(), reason="x"
        )
    assert exc.value.message_dict["to_org"] == [error]


def test_a_dissolved_branch_cannot_receive(tree, users, zhang):
    c = make_org(tree.general, "branch", name="第三党支部")
    org_services.dissolve_org(None, c, dissolved_on=today(), reason="合并")
    c.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        transfers.request_transfer(users.sec_a, zhang, to_org=c, issued_on=today(), reason="x")
    assert exc.value.message_dict["to_org"] == ["“第三党支部”已撤销，不能接收党员"]


def test_any_branch_in_the_system_may_receive(tree, users, zhang):
    other_root = make_org(None, "committee", name="另一党委")
    far = make_org(other_root, "branch", name="远方党支部")
    transfer = transfers.request_transfer(users.sec_a, zhang, to_org=far, issued_on=today(), reason="调动")
    assert transfer.to_org == far


def test_input_errors(tree, users, zhang):
    with pytest.raises(ValidationError) as exc:
        transfers.request_transfer(
            users.sec_a, zhang, to_org=tree.b, issued_on=today() + dt.timedelta(days=1), reason="x"
        )
    assert exc.value.message_dict == {"issued_on": ["申请日期不能晚于今天"]}
    with pytest.raises(ValidationError) as exc:
        transfers.request_transfer(users.sec_a, zhang, to_org=tree.b, issued_on=today(), reason="  ")
    assert exc.value.message_dict == {"reason": ["请填写转接原因"]}
    with pytest.raises(ValidationError) as exc:
        transfers.request_transfer(
            users.sec_a, zhang, to_org=tree.b, to_group=tree.a1, issued_on=today(), reason="x"
        )
    assert exc.value.message_dict == {"to_group": ["党小组不属于“第二党支部”"]}
    transfer = request_ab(users, zhang, tree, issued_on=days_ago(2))
    with pytest.raises(ValidationError) as exc:
        transfers.confirm_transfer(users.sec_b, transfer, received_on=days_ago(3))
    assert exc.value.message_dict["received_on"][0].startswith("接收日期不能早于申请日期")


def test_members_off_the_roll_cannot_be_transferred(tree, users):
    gone = MemberFactory(org=tree.a, status=MemberStatus.LOST)
    with pytest.raises(ValidationError) as exc:
        transfers.request_transfer(users.sec_a, gone, to_org=tree.b, issued_on=today(), reason="x")
    assert "当前状态为“失联”" in messages(exc)[0]


def test_reject_needs_a_note_and_leaves_the_member(tree, users, zhang):
    transfer = request_ab(users, zhang, tree)
    with pytest.raises(ValidationError) as exc:
        transfers.reject_transfer(users.sec_b, transfer, note="")
    assert exc.value.message_dict == {"note": ["请填写退回原因"]}
    with pytest.raises(Http404):
        transfers.reject_transfer(users.sec_a, transfer, note="x")
    transfers.reject_transfer(users.sec_b, transfer, note="本支部不接收该单位人员")
    transfer.refresh_from_db()
    zhang.refresh_from_db()
    assert transfer.status == TransferStatus.REJECTED and transfer.decision_note == "本支部不接收该单位人员"
    assert zhang.org == tree.a
    with pytest.raises(ValidationError):
        transfers.confirm_transfer(users.sec_b, transfer, received_on=today())
    request_ab(users, zhang, tree)  # a new request is possible once the old one is closed


def test_cancel_by_the_sender(tree, users, zhang):
    transfer = request_ab(users, zhang, tree)
    transfers.cancel_transfer(users.committee_a, transfer, note="本人申请暂缓")
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.CANCELLED and transfer.decided_by == users.committee_a
    assert AuditLog.objects.filter(object_type="members.transfer", action=AuditAction.UPDATE).count() == 1
    with pytest.raises(ValidationError) as exc:
        transfers.cancel_transfer(users.sec_a, transfer, note="x")
    assert messages(exc) == ["只有正在办理的转出才能撤销"]


# --- letters ----------------------------------------------------------------------------------------


def test_issue_letter_numbers_and_validity(tree, users, zhang):
    issued = days_ago(10)
    letter = transfers.issue_letter(
        users.sec_a, zhang, external_org="某市某区机关工委", issued_on=issued, reason="调往外地工作"
    )
    assert letter.direction == TransferDirection.OUT and letter.status == TransferStatus.PENDING
    assert letter.letter_no == f"ZBRGA{issued.year}0001"
    assert letter.valid_until == add_months(issued, 3)
    assert letter.to_org is None and letter.from_org == tree.a
    transfers.cancel_transfer(users.sec_a, letter, note="开错了")
    second = transfers.issue_letter(
        users.sec_a, zhang, external_org="某县委", issued_on=issued, reason="调动"
    )
    assert second.letter_no == f"ZBRGA{issued.year}0002"
    other = MemberFactory(org=tree.b)
    third = transfers.issue_letter(users.sec_b, other, external_org="某县委", issued_on=issued, reason="调动")
    assert third.letter_no == f"ZBRGB{issued.year}0001"


def test_letter_validity_is_configured_per_org(tree, users, zhang):
    OrgSetting.objects.create(
        org=tree.general, key="members.letter_validity_months", value=2, valid_from=dt.date(2000, 1, 1)
    )
    letter = transfers.issue_letter(
        users.sec_a, zhang, external_org="外单位", issued_on=days_ago(1), reason="x"
    )
    assert letter.valid_until == add_months(days_ago(1), 2)
    with pytest.raises(ValidationError) as exc:
        transfers.issue_letter(
            users.sec_a,
            MemberFactory(org=tree.a),
            external_org="外单位",
            issued_on=today(),
            reason="x",
            validity_months=24,
        )
    assert exc.value.message_dict == {"validity_months": ["介绍信有效期应为1至12个月"]}


def test_receipt_takes_the_member_off_the_roll(tree, users, zhang):
    letter = transfers.issue_letter(
        users.sec_a, zhang, external_org="外单位党委", issued_on=days_ago(20), reason="x"
    )
    with pytest.raises(Http404):
        transfers.confirm_receipt(users.sec_b, letter, receipt_on=today())
    with pytest.raises(ValidationError) as exc:
        transfers.confirm_receipt(users.sec_a, letter, receipt_on=days_ago(21))
    assert exc.value.message_dict["receipt_on"][0].startswith("回执日期不能早于开具日期")
    transfers.confirm_receipt(users.sec_a, letter, receipt_on=days_ago(5))
    zhang.refresh_from_db()
    letter.refresh_from_db()
    assert zhang.status == MemberStatus.TRANSFERRED and zhang.status_since == days_ago(5)
    assert zhang not in Member.objects.on_roll()
    assert letter.status == TransferStatus.COMPLETED and letter.receipt_on == days_ago(5)
    event = MemberEvent.objects.get(member=zhang)
    assert event.kind == EventKind.TRANSFER_OUT and event.data["status"] == ["normal", "transferred"]
    assert event.data["letter_no"] == letter.letter_no


def _pdf_text(transfer) -> tuple[int, str]:
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    html = render_to_string("members/transfers/letter_pdf.html", transfers.letter_context(transfer))
    document = HTML(string=html).render()
    return len(document.pages), "".join(
        box.text
        for page in document.pages
        for box in page._page_box.descendants()
        if isinstance(box, boxes.TextBox)
    )


def test_letter_pdf_is_a_real_pdf_with_the_letter(tree, users):
    member = MemberFactory(
        org=tree.a,
        name="李四",
        gender="female",
        birth_date=dt.date(1990, 5, 20),
        category=Category.PROBATIONARY,
    )
    letter = transfers.issue_letter(
        users.sec_a, member, external_org="上海市某区委组织部", issued_on=today(), reason="x"
    )
    pdf = transfers.letter_pdf(letter)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert pdf.rstrip().endswith(b"%%EOF")
    pages, text = _pdf_text(letter)
    assert pages == 1  # 存根, letter and 回执 on one A4 sheet
    assert "中国共产党党员组织关系介绍信" in text
    assert "李四" in text and "女" in text and "预备" in text
    assert member.id_number in text  # the official letter carries the full ID number
    assert letter.letter_no in text and "上海市某区委组织部" in text and "第一党支部" in text
    assert "党费已交到" in text and "回执" in text


# --- incoming from outside --------------------------------------------------------------------------


def test_register_incoming_creates_the_member(tree, users):
    number = make_id_number(dt.date(1992, 3, 4), male=False)
    transfer = transfers.register_incoming(
        users.sec_b,
        to_org=tree.b,
        group=tree.b1,
        letter_no="沪组2025-118",
        from_external="上海市某区某街道党工委",
        received_on=days_ago(2),
        name="王芳",
        id_number=number,
        category=Category.FULL,
        joined_on=dt.date(2015, 6, 1),
        converted_on=dt.date(2016, 6, 1),
    )
    member = transfer.member
    assert (member.org, member.group, member.status) == (tree.b, tree.b1, MemberStatus.NORMAL)
    assert member.birth_date == dt.date(1992, 3, 4) and member.gender == "female"
    assert transfer.direction == TransferDirection.IN and transfer.status == TransferStatus.COMPLETED
    event = MemberEvent.objects.get(member=member)
    assert event.kind == EventKind.TRANSFER_IN and event.org == tree.b and event.data["created"] is True
    assert AuditLog.objects.filter(object_type="members.member", action=AuditAction.CREATE).count() == 1


def test_register_incoming_reactivates_a_member_who_left(tree, users, zhang):
    letter = transfers.issue_letter(
        users.sec_a, zhang, external_org="外省某党委", issued_on=days_ago(400), reason="x"
    )
    transfers.confirm_receipt(users.sec_a, letter, receipt_on=days_ago(380))
    count = Member.objects.count()
    transfer = transfers.register_incoming(
        users.sec_b,
        to_org=tree.b,
        letter_no="外组2025-9",
        from_external="外省某党委",
        received_on=days_ago(1),
        name="张三",
        id_number=zhang.id_number,
    )
    zhang.refresh_from_db()
    assert Member.objects.count() == count
    assert transfer.member_id == zhang.pk
    assert (zhang.org, zhang.status, zhang.group) == (tree.b, MemberStatus.NORMAL, None)
    kinds = list(MemberEvent.objects.filter(member=zhang).order_by("id").values_list("kind", flat=True))
    assert kinds == [EventKind.TRANSFER_OUT, EventKind.TRANSFER_IN]
    assert MemberEvent.objects.get(member=zhang, kind=EventKind.TRANSFER_IN).data["status"] == [
        "transferred",
        "normal",
    ]


def test_register_incoming_refuses_someone_on_a_roll_and_duplicate_letters(tree, users, zhang):
    with pytest.raises(ValidationError) as exc:
        transfers.register_incoming(
            users.sec_b,
            to_org=tree.b,
            letter_no="L1",
            from_external="外单位",
            received_on=today(),
            name="张三",
            id_number=zhang.id_number,
        )
    assert exc.value.message_dict == {
        "id_number": ["该身份证号已登记在系统内的党员档案中，请由其所在党支部办理系统内转接"]
    }
    transfers.register_incoming(
        users.sec_b,
        to_org=tree.b,
        letter_no="L1",
        from_external="外单位",
        received_on=today(),
        name="赵六",
        gender="male",
    )
    with pytest.raises(ValidationError) as exc:
        transfers.register_incoming(
            users.sec_b,
            to_org=tree.b,
            letter_no="L1",
            from_external="外单位",
            received_on=today(),
            name="钱七",
            gender="male",
        )
    assert exc.value.message_dict == {"letter_no": ["介绍信编号“L1”已经登记过"]}
    with pytest.raises(ValidationError) as exc:
        transfers.register_incoming(
            users.sec_b,
            to_org=tree.b,
            letter_no="L2",
            from_external="外单位",
            received_on=today(),
            name="孙八",
            id_number="110105194912310021",
        )
    assert exc.value.message_dict == {"id_number": ["身份证号校验位错误，请核对"]}
    with pytest.raises(Http404):
        transfers.register_incoming(
            users.sec_a,
            to_org=tree.b,
            letter_no="L3",
            from_external="外单位",
            received_on=today(),
            name="周九",
            gender="male",
        )


# --- 流动 and 失联 -----------------------------------------------------------------------------------


def test_mobile_register_and_end(tree, users, zhang):
    transfers.register_mobile(
        users.sec_a,
        zhang,
        destination="深圳市南山区某公司",
        since=days_ago(30),
        certificate_no="LD-2025-01",
        reason="外派",
    )
    zhang.refresh_from_db()
    assert zhang.status == MemberStatus.MOBILE and zhang.mobile_since == days_ago(30)
    assert zhang.mobile_certificate_no == "LD-2025-01"
    event = MemberEvent.objects.get(member=zhang)
    assert event.kind == EventKind.MOBILE and event.data["status"] == ["normal", "mobile"]
    with pytest.raises(ValidationError):
        transfers.register_mobile(users.sec_a, zhang, destination="x", since=today())
    report = transfers.add_follow_up(users.sec_a, zhang, on=days_ago(3), note="电话汇报思想和工作情况")
    assert report.kind == EventKind.FOLLOW_UP
    with pytest.raises(ValidationError) as exc:
        transfers.end_mobile(users.sec_a, zhang, on=days_ago(31), note="返回")
    assert exc.value.message_dict["on"][0].startswith("结束日期不能早于外出日期")
    transfers.end_mobile(users.sec_a, zhang, on=today(), note="返回原单位工作")
    zhang.refresh_from_db()
    assert zhang.status == MemberStatus.NORMAL and zhang.mobile_destination == ""
    last = MemberEvent.objects.filter(member=zhang).order_by("-id").first()
    assert last.kind == EventKind.STATUS and last.data["mobile_destination"] == ["深圳市南山区某公司", ""]


def test_lost_follow_up_and_found(tree, users, zhang):
    with pytest.raises(ValidationError) as exc:
        transfers.add_follow_up(users.sec_a, zhang, on=today(), note="x")
    assert messages(exc) == ["只有失联或流动党员才能记录跟进情况"]
    with pytest.raises(ValidationError) as exc:
        transfers.register_lost(users.sec_a, zhang, since=days_ago(100), note="")
    assert exc.value.message_dict == {"note": ["请填写失联情况说明"]}
    transfers.register_lost(users.sec_a, zhang, since=days_ago(100), note="电话停机，原住址已搬离")
    zhang.refresh_from_db()
    assert zhang.status == MemberStatus.LOST and zhang.lost_since == days_ago(100)
    with pytest.raises(ValidationError):
        transfers.add_follow_up(users.sec_a, zhang, on=days_ago(101), note="x")
    transfers.add_follow_up(users.sec_a, zhang, on=days_ago(50), note="走访原单位，无消息")
    with pytest.raises(Http404):
        transfers.add_follow_up(users.sec_b, zhang, on=today(), note="x")
    transfers.found(users.sec_a, zhang, on=today(), note="本人主动联系支部")
    zhang.refresh_from_db()
    assert zhang.status == MemberStatus.NORMAL and zhang.lost_since is None
    kinds = list(MemberEvent.objects.filter(member=zhang).order_by("id").values_list("kind", flat=True))
    assert kinds == [EventKind.LOST, EventKind.FOLLOW_UP, EventKind.STATUS]
    assert AuditLog.objects.filter(object_type="members.member", object_id=str(zhang.pk)).count() == 2
    assert AuditLog.objects.filter(object_type="members.memberevent", action=AuditAction.CREATE).count() == 1


def test_nothing_changes_status_on_its_own(tree, users):
    old = MemberFactory(org=tree.a, status=MemberStatus.LOST, lost_since=dt.date(2015, 1, 1))
    from zhibu.members.todos import branch_todos

    assert branch_todos(users.sec_a)  # proposes …
    old.refresh_from_db()
    assert old.status == MemberStatus.LOST  # … but decides nothing


# --- pages ------------------------------------------------------------------------------------------


def test_transfers_page_for_both_sides(tree, users, zhang, client_for):
    transfer = request_ab(users, zhang, tree)
    page = client_for(users.sec_a).get(reverse("members:transfers") + "?tab=out")
    assert page.status_code == 200
    html = page.content.decode()
    assert "张三" in html and "第二党支部" in html and "撤销" in html
    assert reverse("members:transfer_action", args=[transfer.pk, "confirm"]) not in html
    page = client_for(users.sec_b).get(reverse("members:transfers"))
    html = page.content.decode()
    assert page.context["tab"] == "in"
    assert "张三" in html and "确认接收" in html
    assert zhang.id_number not in html and zhang.id_number[-4:] in html  # masked basics only
    assert reverse("members:transfer_action", args=[transfer.pk, "cancel"]) not in html


def test_transfers_page_is_closed_to_plain_members(users, client_for):
    assert client_for(users.member_a).get(reverse("members:transfers")).status_code == 403


def test_confirm_and_reject_through_the_page(tree, users, zhang, client_for):
    transfer = request_ab(users, zhang, tree)
    url = reverse("members:transfer_action", args=[transfer.pk, "confirm"])
    response = client_for(users.sec_a).post(url, {"received_on": today().isoformat()})
    assert response.status_code == 404
    response = client_for(users.sec_b).post(url, {"received_on": today().isoformat(), "group": tree.b1.pk})
    assert response.status_code == 302
    zhang.refresh_from_db()
    assert zhang.org == tree.b and zhang.group == tree.b1
    response = client_for(users.sec_b).post(url, {"received_on": today().isoformat()}, follow=True)
    assert "该转接不是待接收状态，不能确认接收" in response.content.decode()


def test_page_action_errors_come_back_in_chinese(tree, users, zhang, client_for):
    transfer = request_ab(users, zhang, tree)
    url = reverse("members:transfer_action", args=[transfer.pk, "reject"])
    response = client_for(users.sec_b).post(url, {"note": ""}, follow=True)
    assert "原因/说明：这个字段是必填项。" in response.content.decode()
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.PENDING


def test_letter_pdf_view_is_audited_as_export(tree, users, zhang, client_for, viewer):
    letter = transfers.issue_letter(users.sec_a, zhang, external_org="外单位", issued_on=today(), reason="x")
    url = reverse("members:transfer_letter_pdf", args=[letter.pk])
    assert client_for(users.sec_b).get(url).status_code == 404
    assert client_for(viewer).get(url).status_code == 403
    response = client_for(users.sec_a).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    entry = AuditLog.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == users.sec_a and letter.letter_no in entry.summary and entry.org_id == tree.a.pk


def test_member_forms(tree, users, zhang, client_for, viewer):
    client = client_for(users.sec_a)
    url = reverse("members:transfer_request", args=[zhang.pk])
    page = client.get(url)
    assert page.status_code == 200
    options = page.content.decode()
    assert "第二党支部" in options and f'value="{tree.a.pk}"' not in options
    bad = client.post(url, {"to_org": tree.b.pk, "issued_on": today().isoformat(), "reason": ""})
    assert bad.status_code == 400 and "这个字段是必填项" in bad.content.decode()
    ok = client.post(url, {"to_org": tree.b.pk, "issued_on": today().isoformat(), "reason": "调动"})
    assert ok.status_code == 302
    again = client.post(url, {"to_org": tree.b.pk, "issued_on": today().isoformat(), "reason": "调动"})
    assert again.status_code == 400 and "已有一项正在办理的组织关系转接" in again.content.decode()
    assert client_for(users.sec_b).get(url).status_code == 404
    assert client_for(viewer).get(url).status_code == 403
    other = MemberFactory(org=tree.a)
    response = client.post(
        reverse("members:lost", args=[other.pk]), {"since": days_ago(10).isoformat(), "note": "联系不上"}
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.status == MemberStatus.LOST


def test_incoming_form(tree, users, client_for, viewer):
    client = client_for(users.sec_b)
    url = reverse("members:transfer_incoming")
    assert client.get(url).status_code == 200
    data = {
        "to_org": tree.b.pk,
        "letter_no": "L-100",
        "from_external": "外省某党委",
        "received_on": today().isoformat(),
        "name": "吴十",
        "id_number": make_id_number(dt.date(1980, 1, 2)),
        "ethnicity": "01",
        "category": "full",
        "employment": "employed",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert Member.objects.get(name="吴十").org == tree.b
    data.update(letter_no="L-101", id_number="123")
    response = client.post(url, data)
    assert response.status_code == 400 and "身份证号应为18位" in response.content.decode()
    assert client_for(viewer).get(url).status_code == 403


def test_member_panel_partial(tree, users, zhang, rf, viewer):
    transfers.register_lost(users.sec_a, zhang, since=add_months(today(), -7), note="失联")
    transfers.add_follow_up(users.sec_a, zhang, on=today(), note="再次电话联系未果")
    zhang.refresh_from_db()
    request = rf.get("/")
    request.user = users.sec_a
    html = render_to_string("members/transfers/_member_panel.html", {"member": zhang}, request=request)
    assert "失去联系" in html and "再次电话联系未果" in html and "可按规定提出停止党籍处理" in html
    assert reverse("members:found", args=[zhang.pk]) in html
    request.user = viewer
    html = render_to_string("members/transfers/_member_panel.html", {"member": zhang}, request=request)
    assert "失去联系" in html and reverse("members:found", args=[zhang.pk]) not in html


def test_transfers_page_query_count_does_not_grow(tree, users, client_for, django_assert_num_queries):
    client = client_for(users.org_admin)

    def make(n):
        for _ in range(n):
            m = MemberFactory(org=tree.a)
            transfers.request_transfer(None, m, to_org=tree.b, issued_on=today(), reason="x")
            m2 = MemberFactory(org=tree.b)
            transfers.issue_letter(None, m2, external_org="外单位", issued_on=today(), reason="x")

    make(2)
    for tab in ("out", "in", "letters", "done"):
        client.get(reverse("members:transfers") + f"?tab={tab}")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for tab in ("out", "in", "letters"):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("members:transfers") + f"?tab={tab}").status_code == 200
        counts[tab] = len(ctx)
    make(6)
    for tab in ("out", "in", "letters"):
        with django_assert_num_queries(counts[tab]):
            client.get(reverse("members:transfers") + f"?tab={tab}")
