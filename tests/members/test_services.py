"""members.services: creating and changing records, with history events, audit entries and scope."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from tests.factories import MemberFactory, UserFactory, make_id_number, make_org
from zhibu.core.errors import ValidationError
from zhibu.core.models import AuditAction, AuditLog
from zhibu.members import services
from zhibu.members.models import Category, EventKind, Member, MemberEvent, MemberStatus
from zhibu.members.rules import id_check_digit

pytestmark = pytest.mark.django_db

ID_FEMALE_1992 = "11010119920229002"  # 17 digits: born 29 Feb 1992, 17th digit even (female)


def id_of(first17: str) -> str:
    return first17 + id_check_digit(first17)


def errors(exc) -> dict:
    return exc.value.message_dict


def test_create_derives_birth_date_and_gender_from_the_id(tree, users):
    number = id_of(ID_FEMALE_1992)
    member = services.create_member(
        users.sec_a, org=tree.a, name=" 王芳 ", id_number=number, joined_on=dt.date(2015, 7, 1)
    )
    member.refresh_from_db()
    assert member.name == "王芳"
    assert member.birth_date == dt.date(1992, 2, 29)
    assert member.gender == "female"
    assert member.dues_start_on == dt.date(2015, 7, 1)  # dues start from the admission vote day
    assert member.category == Category.FULL and member.status == MemberStatus.NORMAL


def test_create_accepts_a_lower_case_x(tree, users):
    number = "11010519491231002X"
    member = services.create_member(users.sec_a, org=tree.a, name="李四", id_number=number.lower())
    assert member.id_number == number


def test_create_writes_events_and_audit(tree, users):
    member = services.create_member(
        users.sec_a,
        org=tree.a,
        group=tree.a1,
        name="张三",
        id_number=make_id_number(dt.date(1980, 1, 2)),
        joined_on=dt.date(2005, 6, 1),
        converted_on=dt.date(2006, 6, 1),
        mobile="13812345678",
    )
    kinds = list(MemberEvent.objects.filter(member=member).values_list("kind", "occurred_on"))
    assert (EventKind.CREATED, timezone.localdate()) in kinds
    assert (EventKind.JOINED, dt.date(2005, 6, 1)) in kinds
    assert (EventKind.CONVERTED, dt.date(2006, 6, 1)) in kinds
    created = MemberEvent.objects.get(member=member, kind=EventKind.CREATED)
    assert created.recorded_by == users.sec_a and created.org == tree.a
    entry = AuditLog.objects.get(action=AuditAction.CREATE, object_type="members.member")
    assert entry.object_id == str(member.pk) and entry.actor == users.sec_a and entry.org_id == tree.a.pk
    # personal data is masked in the audit log
    assert entry.after["id_number"] == member.id_number[:6] + "********" + member.id_number[-4:]
    assert entry.after["mobile"] == "138****5678"


def test_create_without_id_needs_a_gender(tree, users):
    with pytest.raises(ValidationError) as exc:
        services.create_member(users.sec_a, org=tree.a, name="老党员")
    assert errors(exc) == {"gender": ["请选择性别（填写身份证号可自动识别）"]}
    member = services.create_member(users.sec_a, org=tree.a, name="老党员", gender="male")
    assert member.id_number is None and member.birth_date is None


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"birth_date": dt.date(1992, 3, 1)},
            "birth_date",
            "出生日期与身份证号不一致：身份证号中的出生日期为1992-02-29",
        ),
        ({"gender": "male"}, "gender", "性别与身份证号不一致：身份证号显示为女性"),
    ],
)
def test_create_refuses_values_that_contradict_the_id(tree, users, fields, field, message):
    with pytest.raises(ValidationError) as exc:
        services.create_member(
            users.sec_a, org=tree.a, name="王芳", id_number=id_of(ID_FEMALE_1992), **fields
        )
    assert errors(exc) == {field: [message]}
    assert not Member.objects.exists()


def test_create_refuses_a_bad_id(tree, users):
    with pytest.raises(ValidationError) as exc:
        services.create_member(users.sec_a, org=tree.a, name="王芳", id_number="110105194912310021")
    assert errors(exc) == {"id_number": ["身份证号校验位错误，请核对"]}


def test_duplicate_id_is_refused_even_in_another_branch(tree, users):
    number = make_id_number()
    MemberFactory(org=tree.b, id_number=number)
    with pytest.raises(ValidationError) as exc:
        services.create_member(users.sec_a, org=tree.a, name="重复", id_number=number)
    assert "该身份证号已有党员档案" in errors(exc)["id_number"][0]
    assert Member.objects.count() == 1
    assert not AuditLog.objects.filter(action=AuditAction.CREATE, object_type="members.member").exists()


def test_probationary_member_has_no_conversion_date(tree, users):
    with pytest.raises(ValidationError) as exc:
        services.create_member(
            users.sec_a,
            org=tree.a,
            name="预备",
            gender="male",
            category=Category.PROBATIONARY,
            joined_on=dt.date(2025, 1, 1),
            converted_on=dt.date(2025, 6, 1),
        )
    assert errors(exc) == {"converted_on": ["预备党员尚未转正，不能填写转正日期"]}


def test_lost_member_needs_a_date(tree, users):
    with pytest.raises(ValidationError) as exc:
        services.create_member(users.sec_a, org=tree.a, name="失联", gender="male", status="lost")
    assert errors(exc) == {"lost_since": ["失联党员须填写失联日期"]}
    member = services.create_member(
        users.sec_a, org=tree.a, name="失联", gender="male", status="lost", lost_since=dt.date(2024, 1, 1)
    )
    assert member.status_since == dt.date(2024, 1, 1)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"joined_on": dt.date(1970, 1, 1), "birth_date": dt.date(1980, 1, 1)}, "joined_on"),
        ({"joined_on": dt.date(2010, 1, 1), "converted_on": dt.date(2009, 1, 1)}, "converted_on"),
        ({"joined_on": dt.date(2999, 1, 1)}, "joined_on"),
        ({"mobile": "12345"}, "mobile"),
        ({"ethnicity": "99"}, "ethnicity"),
        ({"status": "transferred"}, "status"),
        ({"name": "  "}, "name"),
    ],
)
def test_create_refuses_bad_input(tree, users, fields, field):
    data = {"name": "某某", "gender": "male", **fields}
    with pytest.raises(ValidationError) as exc:
        services.create_member(users.sec_a, org=tree.a, **data)
    assert field in errors(exc)
    assert not Member.objects.exists()


def test_create_only_in_an_active_branch_with_its_own_group(tree, users):
    with pytest.raises(ValidationError) as exc:
        services.create_member(users.org_admin, org=tree.general, name="某", gender="male")
    assert "不是党支部" in errors(exc)["org"][0]
    with pytest.raises(ValidationError) as exc:
        services.create_member(users.org_admin, org=tree.a, group=tree.b1, name="某", gender="male")
    assert errors(exc) == {"group": ["“第三党小组”不是“第一党支部”的党小组"]}
    with pytest.raises(ValidationError):
        services.create_member(users.org_admin, org=tree.a, group=tree.a, name="某", gender="male")


def test_create_scope_and_permission(tree, users):
    with pytest.raises(Http404):
        services.create_member(users.sec_b, org=tree.a, name="某", gender="male")
    with pytest.raises(PermissionDenied):
        services.create_member(users.member_a, org=tree.a, name="某", gender="male")
    # 支委 keep the roster (member.manage) even though they see personal data masked
    assert services.create_member(users.committee_a, org=tree.a, name="某", gender="male").pk


# --- update ----------------------------------------------------------------------------------------


@pytest.fixture
def person(tree):
    return MemberFactory(
        org=tree.a, group=tree.a1, name="赵六", mobile="13900001111", birth_date=dt.date(1985, 6, 15)
    )


def test_update_records_the_changed_fields(users, person):
    services.update_member(
        users.sec_a, person, reason="本人申请", work_unit="新单位", education="bachelor", mobile="13900002222"
    )
    person.refresh_from_db()
    assert person.work_unit == "新单位" and person.mobile == "13900002222"
    event = MemberEvent.objects.get(member=person, kind=EventKind.INFO)
    assert event.reason == "本人申请"
    assert event.data == {
        "mobile": ["139****1111", "139****2222"],
        "education": ["", "大学本科"],
        "work_unit": ["", "新单位"],
    }
    entry = AuditLog.objects.get(
        action=AuditAction.UPDATE, object_type="members.member", object_id=str(person.pk)
    )
    assert entry.before["work_unit"] == "" and entry.after["work_unit"] == "新单位"
    assert entry.after["mobile"] == "139****2222"


def test_update_without_changes_writes_nothing(users, person):
    services.update_member(users.sec_a, person, name="赵六", work_unit="")
    assert not MemberEvent.objects.filter(member=person).exists()
    assert not AuditLog.objects.filter(object_type="members.member", object_id=str(person.pk)).exists()


def test_update_of_the_id_number_derives_birth_and_gender(users, person):
    number = id_of(ID_FEMALE_1992)
    services.update_member(users.sec_a, person, id_number=number)
    person.refresh_from_db()
    assert (person.birth_date, person.gender) == (dt.date(1992, 2, 29), "female")
    data = MemberEvent.objects.get(member=person, kind=EventKind.INFO).data
    assert data["birth_date"] == ["1985-06-15", "1992-02-29"]
    assert data["gender"] == ["男", "女"]
    assert data["id_number"][1] == "110101********" + number[-4:]


def test_update_refuses_an_inconsistent_birth_date(users, person):
    with pytest.raises(ValidationError) as exc:
        services.update_member(users.sec_a, person, birth_date=dt.date(1985, 6, 16))
    assert list(errors(exc)) == ["birth_date"]
    person.refresh_from_db()
    assert person.birth_date == dt.date(1985, 6, 15)


@pytest.mark.parametrize("field", ["status", "category", "org", "group", "party_posts", "lost_since"])
def test_update_refuses_fields_with_their_own_service(tree, users, person, field):
    with pytest.raises(ValidationError) as exc:
        services.update_member(users.sec_a, person, **{field: "x"})
    assert field in errors(exc)


def test_update_scope(users, person):
    with pytest.raises(Http404):
        services.update_member(users.sec_b, person, work_unit="x")
    with pytest.raises(PermissionDenied):
        services.update_member(users.member_a, person, work_unit="x")


def test_update_refuses_someone_elses_id(tree, users, person):
    other = MemberFactory(org=tree.b)
    with pytest.raises(ValidationError) as exc:
        services.update_member(users.sec_a, person, id_number=other.id_number)
    assert "该身份证号已有党员档案" in errors(exc)["id_number"][0]


# --- status, group, post -----------------------------------------------------------------------------


def test_status_lost_and_back(users, person):
    services.change_status(users.sec_a, person, status="lost", on=dt.date(2025, 3, 1), reason="电话停机")
    person.refresh_from_db()
    assert (person.status, person.lost_since, person.status_since) == (
        "lost",
        dt.date(2025, 3, 1),
        dt.date(2025, 3, 1),
    )
    services.change_status(users.sec_a, person, status="normal", on=dt.date(2025, 5, 1))
    person.refresh_from_db()
    assert (person.status, person.lost_since, person.status_since) == ("normal", None, dt.date(2025, 5, 1))
    events = list(MemberEvent.objects.filter(member=person, kind=EventKind.STATUS).order_by("id"))
    assert events[0].data == {"status": ["正常", "失联"], "lost_since": [None, "2025-03-01"]}
    assert events[0].reason == "电话停机"
    assert events[1].data == {"status": ["失联", "正常"], "lost_since": ["2025-03-01", None]}
    assert (
        AuditLog.objects.filter(
            action=AuditAction.UPDATE, object_type="members.member", object_id=str(person.pk)
        ).count()
        == 2
    )


def test_status_mobile_sets_and_clears_the_date(users, person):
    services.change_status(users.sec_a, person, status="mobile", on=dt.date(2025, 2, 1))
    person.refresh_from_db()
    assert person.mobile_since == dt.date(2025, 2, 1)
    services.change_status(users.sec_a, person, status="normal", on=dt.date(2025, 8, 1))
    person.refresh_from_db()
    assert person.mobile_since is None


@pytest.mark.parametrize("status", ["suspended", "left", "deceased"])
def test_status_needs_a_reason(users, person, status):
    with pytest.raises(ValidationError) as exc:
        services.change_status(users.sec_a, person, status=status, on=dt.date(2025, 1, 1), reason=" ")
    assert list(errors(exc)) == ["reason"]
    services.change_status(
        users.sec_a, person, status=status, on=dt.date(2025, 1, 1), reason="经支部大会讨论"
    )
    person.refresh_from_db()
    assert person.status == status


def test_status_rules(users, person):
    with pytest.raises(ValidationError) as exc:
        services.change_status(users.sec_a, person, status="transferred", on=dt.date(2025, 1, 1))
    assert "组织关系转接" in errors(exc)["status"][0]
    with pytest.raises(ValidationError) as exc:
        services.change_status(users.sec_a, person, status="normal", on=dt.date(2025, 1, 1))
    assert errors(exc) == {"status": ["该党员当前状态已是“正常”"]}
    with pytest.raises(ValidationError) as exc:
        services.change_status(
            users.sec_a, person, status="lost", on=timezone.localdate() + dt.timedelta(days=1)
        )
    assert errors(exc) == {"on": ["日期不能晚于今天"]}
    with pytest.raises(ValidationError):
        services.change_status(users.sec_a, person, status="bogus", on=dt.date(2025, 1, 1))
    assert not MemberEvent.objects.filter(member=person).exists()


def test_status_scope(users, person):
    with pytest.raises(Http404):
        services.change_status(users.sec_b, person, status="lost", on=dt.date(2025, 1, 1))


def test_change_group(tree, users, person):
    services.change_group(users.sec_a, person, group=tree.a2, on=dt.date(2025, 4, 1), reason="调整")
    person.refresh_from_db()
    assert person.group == tree.a2
    event = MemberEvent.objects.get(member=person, kind=EventKind.GROUP)
    assert event.data == {"group": ["第一党小组", "第二党小组"]} and event.occurred_on == dt.date(2025, 4, 1)
    with pytest.raises(ValidationError):
        services.change_group(users.sec_a, person, group=tree.b1, on=dt.date(2025, 4, 1))
    with pytest.raises(ValidationError):
        services.change_group(users.sec_a, person, group=tree.a2, on=dt.date(2025, 4, 1))
    services.change_group(users.sec_a, person, group=None, on=dt.date(2025, 5, 1))
    person.refresh_from_db()
    assert person.group is None


def test_group_must_be_active(tree, users, person):
    from zhibu.orgs import services as org_services

    extra = make_org(tree.a, "group", name="临时小组")
    org_services.dissolve_org(None, extra, dissolved_on=dt.date(2025, 1, 1), reason="合并")
    extra.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.change_group(users.sec_a, person, group=extra, on=dt.date(2025, 4, 1))
    assert errors(exc) == {"group": ["党小组“临时小组”已撤销"]}


def test_change_post(users, person):
    services.change_post(users.sec_a, person, party_posts="组织委员", on=dt.date(2025, 1, 10))
    person.refresh_from_db()
    assert person.party_posts == "组织委员"
    event = MemberEvent.objects.get(member=person, kind=EventKind.POST)
    assert event.data == {"party_posts": ["", "组织委员"]}
    with pytest.raises(ValidationError):
        services.change_post(users.sec_a, person, party_posts="组织委员", on=dt.date(2025, 1, 10))
    with pytest.raises(PermissionDenied):
        services.change_post(users.member_a, person, party_posts="x", on=dt.date(2025, 1, 10))


# --- accounts ------------------------------------------------------------------------------------------


def test_link_account_one_person_one_record(tree, users, person):
    account = UserFactory()
    services.link_account(users.sec_a, person, account)
    person.refresh_from_db()
    assert person.user == account
    other = MemberFactory(org=tree.a)
    with pytest.raises(ValidationError) as exc:
        services.link_account(users.sec_a, other, account)
    assert errors(exc) == {"user": ["该账户已关联其他党员档案：一人只能有一份档案"]}
    with pytest.raises(ValidationError):
        services.link_account(users.sec_a, person, UserFactory())
    services.link_account(users.sec_a, person, None)
    person.refresh_from_db()
    assert person.user is None
    assert MemberEvent.objects.filter(member=person, kind=EventKind.INFO).count() == 2


def test_reveal_is_audited_and_only_for_permitted_roles(users, person):
    assert services.reveal_sensitive(users.sec_a, person) == {
        "id_number": person.id_number,
        "mobile": "13900001111",
    }
    entry = AuditLog.objects.get(action=AuditAction.VIEW_SENSITIVE)
    assert entry.actor == users.sec_a and entry.object_id == str(person.pk)
    with pytest.raises(PermissionDenied):
        services.reveal_sensitive(users.committee_a, person)
    assert AuditLog.objects.filter(action=AuditAction.VIEW_SENSITIVE).count() == 1
