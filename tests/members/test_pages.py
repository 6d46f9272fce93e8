"""Member pages: roster, detail with the audited reveal, forms, statistics; scope and masking."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import MemberFactory, make_id_number
from zhibu.core.masking import mask_id_number, mask_phone
from zhibu.core.models import AuditAction, AuditLog
from zhibu.members.models import EventKind, Member, MemberEvent, MemberStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(tree):
    return MemberFactory(
        org=tree.a,
        group=tree.a1,
        name="周七",
        mobile="13912345678",
        birth_date=dt.date(1988, 8, 8),
    )


@pytest.fixture
def other(tree):
    return MemberFactory(org=tree.b, name="吴八")


def html(response) -> str:
    return response.content.decode()


# --- roster ----------------------------------------------------------------------------------------


def test_roster_masks_ids_for_everyone_and_phones_unless_permitted(users, client_for, person, other):
    page = html(client_for(users.sec_a).get("/members/"))
    assert "周七" in page and "吴八" not in page
    assert person.id_number not in page and mask_id_number(person.id_number) in page
    assert "13912345678" in page  # the secretary may see phone numbers
    page = html(client_for(users.committee_a).get("/members/"))
    assert "周七" in page
    assert "13912345678" not in page and mask_phone("13912345678") in page
    assert person.id_number not in page


@pytest.mark.parametrize("who", ["member_a", "nobody", "sysadmin", "auditor"])
def test_roster_forbidden_without_member_view(users, client_for, person, who):
    response = client_for(getattr(users, who)).get("/members/")
    assert response.status_code == 403
    assert "周七" not in html(response)


def test_roster_org_param_is_scoped(tree, users, client_for, person, other):
    assert client_for(users.sec_a).get(f"/members/?org={tree.b.pk}").status_code == 404
    admin = client_for(users.org_admin)
    page = html(admin.get("/members/"))
    assert "周七" in page and "吴八" in page
    assert 'name="org"' in page and "第二党支部" in page  # the org picker
    page = html(admin.get(f"/members/?org={tree.b.pk}"))
    assert "吴八" in page and "周七" not in page


def test_roster_filters_and_sort_links(tree, users, client_for, person):
    MemberFactory(org=tree.a, name="郑九", status=MemberStatus.LEFT)
    client = client_for(users.sec_a)
    page = html(client.get("/members/"))
    assert "郑九" not in page and "第一党小组" in page
    assert "郑九" in html(client.get("/members/?status=left"))
    page = html(client.get(f"/members/?group={tree.a2.pk}"))
    assert "周七" not in page and "没有符合条件的党员" in page
    assert "?sort=-name" in html(client.get("/members/"))  # the header toggles to descending


def test_roster_paginates_by_50(tree, users, client_for):
    for _ in range(55):
        MemberFactory(org=tree.a)
    client = client_for(users.sec_a)
    page = html(client.get("/members/"))
    assert page.count('data-label="姓名"') == 50 and "共 55 条" in page
    assert html(client.get("/members/?page=2")).count('data-label="姓名"') == 5


def test_roster_query_count_does_not_grow_with_rows(tree, users, client_for, django_assert_num_queries):
    client = client_for(users.org_admin)
    for _ in range(5):
        MemberFactory(org=tree.a, group=tree.a1)
    client.get("/members/")  # warm up (session, content types)
    with CaptureQueriesContext(connection) as five:
        assert html(client.get("/members/")).count('data-label="姓名"') == 5
    for _ in range(25):
        MemberFactory(org=tree.b, group=tree.b1, hardship=True)
    with django_assert_num_queries(len(five.captured_queries)):
        assert html(client.get("/members/")).count('data-label="姓名"') == 30


# --- detail and reveal -------------------------------------------------------------------------------


def test_detail_is_masked_by_default(users, client_for, person):
    page = html(client_for(users.sec_a).get(f"/members/{person.pk}/"))
    assert mask_id_number(person.id_number) in page and person.id_number not in page
    assert "13912345678" not in page
    assert "显示完整" in page and "档案历史" in page
    assert not AuditLog.objects.filter(action=AuditAction.VIEW_SENSITIVE).exists()


def test_reveal_shows_the_full_id_and_is_audited(users, client_for, person):
    client = client_for(users.sec_a)
    response = client.post(f"/members/{person.pk}/reveal/")
    assert response.status_code == 200
    page = html(response)
    assert person.id_number in page and "13912345678" in page and "已记入审计日志" in page
    entry = AuditLog.objects.get(action=AuditAction.VIEW_SENSITIVE)
    assert entry.actor == users.sec_a and entry.object_id == str(person.pk)
    assert client.get(f"/members/{person.pk}/reveal/").status_code == 405


def test_reveal_forbidden_for_the_committee_member(users, client_for, person):
    client = client_for(users.committee_a)
    page = html(client.get(f"/members/{person.pk}/"))
    assert "显示完整" not in page and person.id_number not in page
    response = client.post(f"/members/{person.pk}/reveal/")
    assert response.status_code == 403
    assert person.id_number not in html(response)
    assert not AuditLog.objects.filter(action=AuditAction.VIEW_SENSITIVE).exists()


@pytest.mark.parametrize("suffix", ["", "edit/", "status/", "group/", "post/"])
def test_other_branch_gets_404(users, client_for, person, suffix):
    assert client_for(users.sec_b).get(f"/members/{person.pk}/{suffix}").status_code == 404


def test_other_branch_cannot_post(users, client_for, person):
    client = client_for(users.sec_b)
    assert client.post(f"/members/{person.pk}/reveal/").status_code == 404
    assert client.post(f"/members/{person.pk}/edit/", {"name": "改名"}).status_code == 404
    person.refresh_from_db()
    assert person.name == "周七"
    assert client_for(users.member_a).get(f"/members/{person.pk}/").status_code == 404


def test_group_leader_sees_but_cannot_edit(users, client_for, person):
    client = client_for(users.leader_a1)
    page = html(client.get(f"/members/{person.pk}/"))
    assert "周七" in page and "编辑信息" not in page
    assert client.get(f"/members/{person.pk}/edit/").status_code == 403


def test_detail_shows_the_timeline(users, client_for, person):
    client = client_for(users.sec_a)
    response = client.post(
        f"/members/{person.pk}/status/", {"status": "lost", "on": "2025-03-01", "reason": "多次联系未果"}
    )
    assert response.status_code == 302
    page = html(client.get(f"/members/{person.pk}/"))
    assert "状态变更" in page and "多次联系未果" in page and "甲书记" in page and "2025-03-01" in page
    assert "失联" in page and ">lost<" not in page and ">normal<" not in page  # labels, not stored codes


# --- forms ---------------------------------------------------------------------------------------


def form_data(tree, **extra):
    data = {
        "org": tree.a.pk,
        "name": "陈十",
        "id_number": make_id_number(dt.date(1990, 10, 1), male=False),
        "ethnicity": "01",
        "category": "full",
        "status": "normal",
        "employment": "employed",
        "joined_on": "2015-07-01",
        "converted_on": "2016-07-01",
    }
    data.update(extra)
    return data


def test_create_form(tree, users, client_for):
    client = client_for(users.sec_a)
    page = html(client.get(f"/members/new/?org={tree.a.pk}"))
    assert "新建党员档案" in page and "第一党小组" in page and "第二党支部" not in page
    response = client.post("/members/new/", form_data(tree, group=tree.a1.pk))
    assert response.status_code == 302
    member = Member.objects.get(name="陈十")
    assert response["Location"] == f"/members/{member.pk}/"
    assert member.gender == "female" and member.birth_date == dt.date(1990, 10, 1) and member.group == tree.a1


def test_create_form_shows_chinese_errors(tree, users, client_for):
    response = client_for(users.sec_a).post("/members/new/", form_data(tree, id_number="110105194912310021"))
    assert response.status_code == 200
    assert "身份证号校验位错误，请核对" in html(response)
    assert not Member.objects.exists()
    response = client_for(users.sec_a).post("/members/new/", form_data(tree, org=tree.b.pk))
    assert response.status_code == 200 and not Member.objects.exists()  # not one of the choices


def test_create_forbidden_without_manage(users, client_for):
    assert client_for(users.leader_a1).get("/members/new/").status_code == 403
    assert client_for(users.member_a).get("/members/new/").status_code == 403


def test_edit_form_never_shows_the_full_id_and_keeps_it_when_blank(tree, users, client_for, person):
    client = client_for(users.sec_a)
    page = html(client.get(f"/members/{person.pk}/edit/"))
    assert person.id_number not in page and "13912345678" not in page
    assert mask_id_number(person.id_number) in page
    data = {
        "name": "周七",
        "id_number": "",
        "mobile": "",
        "ethnicity": "01",
        "employment": "employed",
        "work_unit": "某公司",
        "joined_on": "2010-07-01",
        "converted_on": "2011-07-01",
        "dues_start_on": "",
        "reason": "更新单位",
    }
    assert client.post(f"/members/{person.pk}/edit/", data).status_code == 302
    person.refresh_from_db()
    assert person.work_unit == "某公司" and person.mobile == "13912345678" and person.id_number
    event = MemberEvent.objects.get(member=person, kind=EventKind.INFO)
    assert event.data == {"work_unit": ["", "某公司"]} and event.reason == "更新单位"


def test_status_form_errors(users, client_for, person):
    client = client_for(users.sec_a)
    response = client.post(f"/members/{person.pk}/status/", {"status": "deceased", "on": "2025-01-01"})
    assert response.status_code == 200 and "变更为“去世”须填写原因" in html(response)
    response = client.post(f"/members/{person.pk}/status/", {"status": "transferred", "on": "2025-01-01"})
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.status == "normal"


def test_group_and_post_forms(tree, users, client_for, person):
    client = client_for(users.sec_a)
    assert "第二党小组" in html(client.get(f"/members/{person.pk}/group/"))
    assert (
        client.post(f"/members/{person.pk}/group/", {"group": tree.a2.pk, "on": "2025-01-01"}).status_code
        == 302
    )
    assert (
        client.post(
            f"/members/{person.pk}/post/", {"party_posts": "纪检委员", "on": "2025-01-01"}
        ).status_code
        == 302
    )
    person.refresh_from_db()
    assert person.group == tree.a2 and person.party_posts == "纪检委员"


# --- statistics ------------------------------------------------------------------------------------


def test_stats_page(tree, users, client_for, person, other):
    response = client_for(users.sec_a).get("/members/stats/")
    assert response.status_code == 200
    page = html(response)
    assert "vendor/echarts/echarts.min.js" in page and "members/charts.js" in page
    assert 'id="zb-chart-gender"' in page and "30岁及以下" in page
    assert response.context["stats"]["total"] == 1
    assert client_for(users.sec_a).get(f"/members/stats/?org={tree.b.pk}").status_code == 404
    assert client_for(users.member_a).get("/members/stats/").status_code == 403
    assert client_for(users.org_admin).get("/members/stats/").context["stats"]["total"] == 2
