"""development.services: the 25 steps through the real services, what they write (member record,
history, audit), what they refuse (errors change nothing; warnings need accepting), and who may."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from tests.development.factories import make_case, schedule
from tests.factories import MemberFactory, make_id_number, make_org
from zhibu.core.errors import ValidationError
from zhibu.core.models import AuditLog
from zhibu.development import rules, services
from zhibu.development.models import (
    Assessment,
    BranchVote,
    Case,
    CaseStatus,
    Document,
    Participant,
    ParticipantRole,
    StepRecord,
    ThoughtReport,
    VoteKind,
)
from zhibu.members.models import Category, EventKind, Member, MemberEvent, MemberStatus

pytestmark = pytest.mark.django_db
D = dt.date
VOTE = {"expected": 10, "present": 9, "in_favour": 9, "against": 0, "abstain": 0}


def open_kwargs(org, **kw):
    birth = D(1998, 5, 20)
    return {
        "org": org,
        "name": "张三",
        "gender": "male",
        "birth_date": birth,
        "applied_on": D(2024, 3, 1),
        "id_number": make_id_number(kw.get("birth_date") or birth),
        **kw,
    }


def messages(exc: ValidationError) -> list[str]:
    return exc.value.messages


def state(case: Case) -> tuple:
    """Everything a refused write must leave alone."""
    case.refresh_from_db()
    return (
        case.last_step,
        case.stage,
        case.status,
        case.records.count(),
        BranchVote.objects.filter(case=case).count(),
        Member.objects.count(),
        MemberEvent.objects.count(),
        AuditLog.objects.count(),
    )


# --- the whole walk -----------------------------------------------------------------------------------


def test_full_walk_to_probationary_then_full_member(tree, users):
    s = schedule()
    user = users.nobody
    case = make_case(tree.a, 16, actor=users.sec_a, user=user, name="李发展", group=None)
    assert (case.last_step, case.stage, case.member) == (16, 4, None)
    assert case.admitted_on == s[15] and case.candidate_on == s[7] and case.talked_on == s[2]
    assert case.training_days == 3 and case.training_hours == 24
    vote = BranchVote.objects.get(case=case)
    assert (vote.kind, vote.valid, vote.passed, vote.org_id) == (VoteKind.ADMISSION, True, True, tree.a.pk)

    services.record_step(users.sec_a, case, 17, done_on=s[17])
    case.refresh_from_db()
    member = case.member
    assert member.category == Category.PROBATIONARY and member.status == MemberStatus.NORMAL
    assert member.joined_on == s[15] and member.dues_start_on == s[15]  # from the vote, not the approval
    assert (member.org_id, member.user_id, member.name, member.id_number) == (
        tree.a.pk,
        user.pk,
        "李发展",
        case.id_number,
    )
    assert member.converted_on is None
    joined = MemberEvent.objects.get(member=member, kind=EventKind.JOINED)
    assert joined.occurred_on == s[15] and joined.recorded_by == users.sec_a and joined.org_id == tree.a.pk
    assert (case.approved_on, case.last_step, case.stage) == (s[17], 17, 4)

    for n in (18, 19, 20, 21, 22):
        services.record_step(users.sec_a, case, n, done_on=s[n])
    services.record_vote(users.sec_a, case, kind=VoteKind.CONVERSION, held_on=s[23], **VOTE)
    case.refresh_from_db()
    assert (case.conversion_vote_on, case.last_step) == (s[23], 23)

    services.record_step(users.sec_a, case, 24, done_on=s[24])
    case.refresh_from_db()
    member.refresh_from_db()
    end = rules.probation_end(s[15])
    assert member.category == Category.FULL and member.converted_on == end == case.converted_on
    converted = MemberEvent.objects.get(member=member, kind=EventKind.CONVERTED)
    assert converted.occurred_on == end
    assert case.status == CaseStatus.ACTIVE  # archiving (㉕) still to do

    services.record_step(users.sec_a, case, 25, done_on=s[25])
    case.refresh_from_db()
    assert (case.status, case.last_step, case.stage) == (CaseStatus.CONVERTED, 25, 5)
    assert case.records.count() == 25
    assert AuditLog.objects.filter(object_type="development.case", object_id=str(case.pk)).count() == 25
    assert not any("1998" in str(log.after) for log in AuditLog.objects.filter(object_type="members.member"))


def test_member_record_of_someone_who_left_is_reused(tree):
    old = MemberFactory(org=tree.b, status=MemberStatus.LEFT, birth_date=D(1990, 1, 1))
    case = make_case(tree.a, 17, id_number=old.id_number, birth_date=D(1990, 1, 1))
    old.refresh_from_db()
    assert case.member_id == old.pk
    assert (old.org_id, old.category, old.status) == (tree.a.pk, Category.PROBATIONARY, MemberStatus.NORMAL)


# --- open_case ----------------------------------------------------------------------------------------


def test_open_case_records_step_one_and_derives_from_id_number(tree, users):
    number = make_id_number(D(2000, 2, 29), male=False)
    case = services.open_case(
        users.sec_a, **open_kwargs(tree.a, id_number=number, birth_date=None, gender="", group=tree.a1)
    )
    assert (case.birth_date, case.gender, case.last_step, case.stage) == (D(2000, 2, 29), "female", 1, 1)
    record = StepRecord.objects.get(case=case)
    assert (record.step.number, record.done_on, record.recorded_by) == (1, D(2024, 3, 1), users.sec_a)
    assert case.created_by == users.sec_a and case.group == tree.a1
    assert AuditLog.objects.filter(object_type="development.case", action="create").count() == 1


def test_open_case_refuses_inconsistent_id_number(tree, users):
    kwargs = open_kwargs(tree.a)
    with pytest.raises(ValidationError) as exc:
        services.open_case(users.sec_a, **{**kwargs, "birth_date": D(1998, 5, 21)})
    assert exc.value.message_dict == {"birth_date": ["出生日期与身份证号不一致（身份证号中为1998-05-20）"]}
    with pytest.raises(ValidationError) as exc:
        services.open_case(users.sec_a, **{**kwargs, "gender": "female"})
    assert exc.value.message_dict == {"gender": ["性别与身份证号不一致（身份证号中为男）"]}
    good = kwargs["id_number"]
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    with pytest.raises(ValidationError) as exc:
        services.open_case(users.sec_a, **{**kwargs, "id_number": bad})
    assert exc.value.message_dict == {"id_number": ["身份证号校验位错误，请核对"]}
    assert not Case.objects.exists()


def test_open_case_refuses_an_applicant_under_18(tree, users):
    birth = D(2006, 3, 2)
    with pytest.raises(ValidationError) as exc:
        services.open_case(users.sec_a, **open_kwargs(tree.a, birth_date=birth, applied_on=D(2024, 3, 1)))
    assert exc.value.message_dict == {
        "birth_date": ["递交入党申请时应年满18周岁（本人2024年3月2日年满18周岁）"]
    }
    assert not Case.objects.exists() and not AuditLog.objects.filter(object_type="development.case").exists()
    services.open_case(users.sec_a, **open_kwargs(tree.a, birth_date=birth, applied_on=D(2024, 3, 2)))


def test_temporary_branch_and_non_branches_cannot_open_cases(tree, users):
    temporary = make_org(tree.general, "branch", name="临时党支部", branch_kind="temporary")
    with pytest.raises(ValidationError) as exc:
        services.open_case(None, **open_kwargs(temporary))
    assert exc.value.message_dict == {"org": ["临时党支部不能发展党员"]}
    with pytest.raises(ValidationError) as exc:
        services.open_case(users.org_admin, **open_kwargs(tree.general))
    assert exc.value.message_dict == {"org": ["只有党支部可以建立发展党员档案"]}
    joint = make_org(tree.general, "branch", name="联合党支部", branch_kind="joint")
    assert services.open_case(None, **open_kwargs(joint)).org == joint


def test_one_active_case_per_id_number(tree, users):
    kwargs = open_kwargs(tree.a)
    first = services.open_case(users.sec_a, **kwargs)
    with pytest.raises(ValidationError) as exc:
        services.open_case(users.org_admin, **{**kwargs, "org": tree.b})
    assert exc.value.message_dict == {
        "id_number": ["该身份证号已有进行中的发展党员档案（第一党支部），不能重复建档"]
    }
    with pytest.raises(ValidationError) as exc:  # the other branch's secretary is not told where
        services.open_case(users.sec_b, **{**kwargs, "org": tree.b})
    assert "其他党组织" in messages(exc)[0]
    services.stop_case(users.sec_a, first, reason="本人撤回申请", on=D(2024, 4, 1))
    again = services.open_case(users.sec_b, **{**kwargs, "org": tree.b})
    assert again.status == CaseStatus.ACTIVE


def test_a_member_cannot_be_developed_again(tree, users):
    member = MemberFactory(org=tree.b)
    with pytest.raises(ValidationError) as exc:
        services.open_case(users.sec_a, **open_kwargs(tree.a, id_number=member.id_number, birth_date=None))
    assert exc.value.message_dict == {"id_number": ["该身份证号对应的人员已是党员，不能建立发展档案"]}


def test_open_case_scope(tree, users):
    with pytest.raises(Http404):
        services.open_case(users.sec_b, **open_kwargs(tree.a))
    with pytest.raises(PermissionDenied):
        services.open_case(users.member_a, **open_kwargs(tree.a))
    with pytest.raises(Http404):  # a group leader's scope is the group, not the branch
        services.open_case(users.leader_a1, **open_kwargs(tree.a))
    assert services.open_case(users.committee_a, **open_kwargs(tree.a)).org == tree.a


# --- record_step: errors, warnings, scope ------------------------------------------------------------------


def test_errors_block_and_change_nothing(tree, users):
    case = make_case(tree.a, 6)
    before = state(case)
    early = case.activist_on + dt.timedelta(days=300)
    with pytest.raises(ValidationError) as exc:
        services.record_step(users.sec_a, case, 7, done_on=early, data={"notice_start": "2022-02-01"})
    assert "确定为入党积极分子满1年后才能确定为发展对象" in exc.value.message_dict["done_on"][0]
    assert state(case) == before and case.candidate_on is None
    with pytest.raises(ValidationError) as exc:  # out of order: ⑧ before ⑦
        services.record_step(users.sec_a, case, 8, done_on=D(2023, 1, 1))
    assert messages(exc) == ["请先完成第7步，再记录第8步"]
    with pytest.raises(ValidationError) as exc:
        services.record_step(users.sec_a, case, 7, done_on=dt.date.today() + dt.timedelta(days=1))
    assert "不能晚于今天" in messages(exc)[0]
    with pytest.raises(ValidationError):
        services.record_step(users.sec_a, case, 15, done_on=D(2023, 1, 1))
    with pytest.raises(ValidationError):
        services.record_step(users.sec_a, case, 1, done_on=D(2023, 1, 1))
    assert state(case) == before


def test_warnings_need_accepting_and_are_kept(tree, users):
    case = make_case(tree.a, 1, applied_on=D(2024, 1, 31))
    before = state(case)
    with pytest.raises(ValidationError) as exc:
        services.record_step(users.sec_a, case, 2, done_on=D(2024, 3, 1))
    assert list(exc.value.message_dict) == ["accept_warnings"]
    assert "2024年2月29日前" in exc.value.message_dict["accept_warnings"][0]
    assert state(case) == before
    record = services.record_step(users.sec_a, case, 2, done_on=D(2024, 3, 1), accept_warnings=True)
    assert [w["code"] for w in record.warnings] == ["talk_late"]
    case.refresh_from_db()
    assert (case.talked_on, case.last_step) == (D(2024, 3, 1), 2)


def test_candidate_notice_is_stored_with_its_end(tree, users):
    case = make_case(tree.a, 7)
    record = case.records.get(step__number=7)
    start = dt.date.fromisoformat(record.data["notice_start"])
    assert record.data["notice_end"] == rules.notice_end(start, 5).isoformat()
    assert record.warnings == []
    case = make_case(tree.a, 6, name="无公示")
    with pytest.raises(ValidationError) as exc:
        services.record_step(None, case, 7, done_on=schedule()[7])
    assert exc.value.message_dict == {"accept_warnings": ["未记录确定发展对象前的公示（5个工作日）"]}


def test_training_data_is_checked(tree, users):
    case = make_case(tree.a, 10)
    s = schedule()
    with pytest.raises(ValidationError) as exc:
        services.record_step(
            users.sec_a, case, 11, done_on=s[11], data={"training_days": 2, "training_hours": 20}
        )
    assert exc.value.message_dict == {"training": ["集中培训时间一般不少于3天（或不少于24个学时）"]}
    with pytest.raises(ValidationError) as exc:
        services.record_step(users.sec_a, case, 11, done_on=s[11], data={"training_days": "三天"})
    assert exc.value.message_dict == {"training_days": ["集中培训天数应为数字"]}
    services.record_step(users.sec_a, case, 11, done_on=s[11], data={"training_hours": "24"})
    case.refresh_from_db()
    assert (case.training_days, case.training_hours) == (None, 24)


def test_record_step_scope(tree, users):
    case = make_case(tree.a, 1, applied_on=D(2024, 1, 10))
    with pytest.raises(Http404):
        services.record_step(users.sec_b, case, 2, done_on=D(2024, 1, 20))
    with pytest.raises(PermissionDenied):
        services.record_step(users.member_a, case, 2, done_on=D(2024, 1, 20))
    with pytest.raises(Http404):
        services.record_step(users.nobody, case, 2, done_on=D(2024, 1, 20))
    assert case.records.count() == 1
    services.record_step(users.committee_a, case, 2, done_on=D(2024, 1, 20))
    services.record_step(users.org_admin, case, 3, done_on=D(2024, 2, 1))


def test_approval_after_six_months_is_refused_and_three_months_warns(tree, users):
    case = make_case(tree.a, 16, admitted_on=D(2022, 8, 31))
    with pytest.raises(ValidationError) as exc:
        services.record_step(users.sec_a, case, 17, done_on=D(2023, 3, 1))
    assert "6个月" in exc.value.message_dict["done_on"][0]
    with pytest.raises(ValidationError) as exc:
        services.record_step(users.sec_a, case, 17, done_on=D(2022, 12, 1))
    assert list(exc.value.message_dict) == ["accept_warnings"]
    services.record_step(users.sec_a, case, 17, done_on=D(2022, 11, 30))


# --- people ------------------------------------------------------------------------------------------


def test_sponsors_must_be_full_members_not_under_party_probation(tree, users):
    case = make_case(tree.a, 8)
    on = case.candidate_on + dt.timedelta(days=3)
    probationary = MemberFactory(org=tree.a, category=Category.PROBATIONARY)
    disciplined = MemberFactory(org=tree.a, under_party_probation=True, name="赵察看")
    for member, message in (
        (probationary, f"{probationary.name}是预备党员，入党介绍人应为正式党员"),
        (disciplined, "赵察看正在受留党察看处分，不能作为入党介绍人"),
    ):
        with pytest.raises(ValidationError) as exc:
            services.assign_participant(users.sec_a, case, member=member, role="sponsor", assigned_on=on)
        assert exc.value.message_dict == {"member": [message]}
    a, b, c = MemberFactory(org=tree.a), MemberFactory(org=tree.b), MemberFactory(org=tree.a)
    services.assign_participant(users.sec_a, case, member=a, role="sponsor", assigned_on=on)
    with pytest.raises(ValidationError) as exc:  # only one valid sponsor: ⑨ is refused
        services.record_step(users.sec_a, case, 9, done_on=on)
    assert exc.value.message_dict == {"sponsors": ["应有2名入党介绍人，目前为1名"]}
    with pytest.raises(Http404):  # sec_a cannot pick a member of branch B
        services.assign_participant(users.sec_a, case, member=b, role="sponsor", assigned_on=on)
    services.assign_participant(users.org_admin, case, member=b, role="sponsor", assigned_on=on)
    with pytest.raises(ValidationError) as exc:
        services.assign_participant(users.sec_a, case, member=c, role="sponsor", assigned_on=on)
    assert exc.value.message_dict == {"member": ["入党介绍人只能有2名"]}
    services.record_step(users.sec_a, case, 9, done_on=on)


def test_a_sponsor_put_on_probation_before_step_nine_blocks_it(tree, users):
    case = make_case(tree.a, 8)
    on = case.candidate_on + dt.timedelta(days=3)
    a, b = MemberFactory(org=tree.a), MemberFactory(org=tree.a)
    for m in (a, b):
        services.assign_participant(users.sec_a, case, member=m, role="sponsor", assigned_on=on)
    Member.objects.filter(pk=b.pk).update(under_party_probation=True)
    with pytest.raises(ValidationError) as exc:
        services.record_step(users.sec_a, case, 9, done_on=on)
    assert exc.value.message_dict == {"sponsors": [f"{b.name}正在受留党察看处分，不能作为入党介绍人"]}


def test_mentors_one_or_two_of_the_branch_after_becoming_activist(tree, users):
    case = make_case(tree.a, 2)
    m1, m2, m3 = (MemberFactory(org=tree.a) for _ in range(3))
    with pytest.raises(ValidationError) as exc:
        services.assign_participant(users.sec_a, case, member=m1, role="mentor", assigned_on=D(2021, 4, 1))
    assert exc.value.message_dict == {"role": ["确定为入党积极分子后才能指定培养联系人"]}
    case = make_case(tree.a, 4, name="积极分子")
    on = case.activist_on + dt.timedelta(days=10)
    with pytest.raises(ValidationError) as exc:  # ⑤ needs a mentor
        services.record_step(users.sec_a, case, 5, done_on=on)
    assert exc.value.message_dict == {"mentors": ["请先指定培养联系人（1至2名正式党员）"]}
    other = MemberFactory(org=tree.b)
    with pytest.raises(ValidationError) as exc:
        services.assign_participant(None, case, member=other, role="mentor", assigned_on=on)
    assert exc.value.message_dict == {"member": ["培养联系人应为本支部的正式党员"]}
    first = services.assign_participant(users.sec_a, case, member=m1, role="mentor", assigned_on=on)
    services.assign_participant(users.sec_a, case, member=m2, role="mentor", assigned_on=on)
    with pytest.raises(ValidationError) as exc:
        services.assign_participant(users.sec_a, case, member=m3, role="mentor", assigned_on=on)
    assert exc.value.message_dict == {"member": ["培养联系人最多2名"]}
    services.end_participant(users.sec_a, first, on + dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        services.end_participant(users.sec_a, first, on + dt.timedelta(days=2))
    services.assign_participant(users.sec_a, case, member=m3, role="mentor", assigned_on=on + dt.timedelta(1))
    assert (
        Participant.objects.filter(case=case, ended_on__isnull=True, role=ParticipantRole.MENTOR).count() == 2
    )
    services.record_step(users.sec_a, case, 5, done_on=on + dt.timedelta(days=1))


def test_assessment_takes_the_case_stage(tree, users):
    case = make_case(tree.a, 3)
    a = services.add_assessment(users.sec_a, case, assessed_on=case.activist_on, result="表现良好")
    assert (a.stage, a.recorded_by) == (2, users.sec_a)
    with pytest.raises(ValidationError) as exc:
        services.add_assessment(users.sec_a, case, assessed_on=case.activist_on, result=" ")
    assert exc.value.message_dict == {"result": ["请填写考察意见"]}
    with pytest.raises(PermissionDenied):
        services.add_assessment(users.member_a, case, assessed_on=case.activist_on, result="好")
    assert Assessment.objects.count() == 1


# --- votes --------------------------------------------------------------------------------------------


def test_failed_vote_is_kept_and_the_case_stays(tree, users):
    case = make_case(tree.a, 14)
    day = schedule()[15]
    vote = services.record_vote(
        users.sec_a,
        case,
        kind=VoteKind.ADMISSION,
        held_on=day,
        expected=10,
        present=6,
        in_favour=5,
        against=1,
        abstain=0,
    )
    case.refresh_from_db()
    assert (vote.valid, vote.passed) == (True, False)
    assert (case.last_step, case.admitted_on) == (14, None)
    invalid = services.record_vote(
        users.sec_a,
        case,
        kind=VoteKind.ADMISSION,
        held_on=day,
        expected=10,
        present=5,
        in_favour=5,
        against=0,
        abstain=0,
    )
    assert (invalid.valid, invalid.passed) == (False, False)
    passed = services.record_vote(
        users.sec_a,
        case,
        kind=VoteKind.ADMISSION,
        held_on=day,
        expected=10,
        present=6,
        in_favour=5,
        against=1,
        abstain=0,
        written_in_favour=1,
    )
    case.refresh_from_db()
    assert passed.passed and case.admitted_on == day and case.last_step == 15
    record = case.records.get(step__number=15)
    assert record.data["vote"] == passed.pk
    with pytest.raises(ValidationError):  # ⑮ done: no second admission
        services.record_vote(users.sec_a, case, kind=VoteKind.ADMISSION, held_on=day, **VOTE)


def test_inconsistent_vote_numbers_are_refused(tree, users):
    case = make_case(tree.a, 14)
    before = state(case)
    day = schedule()[15]
    with pytest.raises(ValidationError) as exc:
        services.record_vote(
            users.sec_a,
            case,
            kind="admission",
            held_on=day,
            expected=10,
            present=11,
            in_favour=6,
            against=0,
            abstain=0,
        )
    assert messages(exc) == ["实到人数（11）不能多于应到人数（10）"]
    with pytest.raises(ValidationError) as exc:
        services.record_vote(
            users.sec_a,
            case,
            kind="admission",
            held_on=day,
            expected=10,
            present=6,
            in_favour=6,
            against=1,
            abstain=0,
        )
    assert messages(exc) == ["赞成、反对、弃权合计（7）不能多于实到人数（6）"]
    with pytest.raises(ValidationError) as exc:
        services.record_vote(users.sec_a, case, kind="admission", held_on=day, **{**VOTE, "present": "九"})
    assert exc.value.message_dict == {"present": ["请填写不小于0的整数"]}
    assert state(case) == before


def test_vote_before_the_previous_steps_is_refused_even_if_it_fails(tree, users):
    case = make_case(tree.a, 12)
    with pytest.raises(ValidationError) as exc:
        services.record_vote(
            users.sec_a,
            case,
            kind="admission",
            held_on=D(2023, 1, 1),
            **{**VOTE, "in_favour": 1, "against": 8},
        )
    assert messages(exc) == ["请先完成第14步，再记录第15步"]
    assert not BranchVote.objects.filter(case=case).exists()


def test_admission_vote_without_notice_needs_accepting(tree, users):
    case = make_case(tree.a, 13)
    s = schedule()
    services.record_step(users.sec_a, case, 14, done_on=s[14])  # no 公示 recorded
    with pytest.raises(ValidationError) as exc:
        services.record_vote(users.sec_a, case, kind="admission", held_on=s[15], **VOTE)
    assert exc.value.message_dict == {"accept_warnings": ["未记录支部党员大会讨论接收前的公示（5个工作日）"]}
    assert not BranchVote.objects.filter(case=case).exists()
    services.record_vote(users.sec_a, case, kind="admission", held_on=s[15], accept_warnings=True, **VOTE)
    assert case.records.get(step__number=15).warnings[0]["code"] == "admission_notice_missing"


def test_conversion_vote_not_before_probation_end(tree, users):
    case = make_case(tree.a, 22, admitted_on=D(2022, 2, 28))
    with pytest.raises(ValidationError) as exc:
        services.record_vote(users.sec_a, case, kind="conversion", held_on=D(2023, 2, 27), **VOTE)
    assert exc.value.message_dict == {"held_on": ["预备期2023年2月28日期满，期满后才能讨论转正"]}
    services.record_vote(users.sec_a, case, kind="conversion", held_on=D(2023, 2, 28), **VOTE)


def test_vote_scope(tree, users):
    case = make_case(tree.a, 14)
    with pytest.raises(Http404):
        services.record_vote(users.sec_b, case, kind="admission", held_on=schedule()[15], **VOTE)
    with pytest.raises(PermissionDenied):
        services.record_vote(users.member_a, case, kind="admission", held_on=schedule()[15], **VOTE)


# --- probation: extension, cancellation ------------------------------------------------------------------


def test_extend_probation_once_then_convert_at_the_new_end(tree, users):
    case = make_case(tree.a, 22, admitted_on=D(2022, 2, 28))
    for months in (5, 13):
        with pytest.raises(ValidationError) as exc:
            services.extend_probation(
                users.sec_a, case, months=months, decided_on=D(2023, 3, 1), reason="需继续考察"
            )
        assert exc.value.message_dict == {"months": ["延长预备期的时间应为6至12个月"]}
    services.extend_probation(users.sec_a, case, months=6, decided_on=D(2023, 3, 1), reason="需继续考察")
    event = MemberEvent.objects.get(member=case.member, kind=EventKind.PROBATION_EXTENDED)
    assert event.data["probation_end"] == ["2023-02-28", "2023-08-28"] and event.reason == "需继续考察"
    with pytest.raises(ValidationError) as exc:
        services.extend_probation(users.sec_a, case, months=6, decided_on=D(2023, 3, 2), reason="再延长")
    assert exc.value.message_dict == {"months": ["预备期只能延长一次"]}
    with pytest.raises(ValidationError):
        services.record_vote(users.sec_a, case, kind="conversion", held_on=D(2023, 8, 27), **VOTE)
    services.record_vote(users.sec_a, case, kind="conversion", held_on=D(2023, 8, 28), **VOTE)
    services.record_step(users.sec_a, case, 24, done_on=D(2023, 9, 20))
    case.member.refresh_from_db()
    assert case.member.converted_on == D(2023, 8, 28) and case.member.category == Category.FULL


def test_extension_needs_a_probationary_member(tree, users):
    case = make_case(tree.a, 15)
    with pytest.raises(ValidationError) as exc:
        services.extend_probation(users.sec_a, case, months=6, decided_on=D(2023, 3, 1), reason="x")
    assert messages(exc) == ["只有预备党员才能延长预备期"]


def test_stop_before_admission_and_cancel_a_probationary_member(tree, users):
    case = make_case(tree.a, 6)
    services.stop_case(users.sec_a, case, reason="本人申请撤回", on=D(2022, 1, 10))
    case.refresh_from_db()
    assert (case.status, case.status_reason) == (CaseStatus.STOPPED, "本人申请撤回")
    with pytest.raises(ValidationError) as exc:
        services.record_step(users.sec_a, case, 7, done_on=D(2022, 6, 1))
    assert messages(exc) == ["该发展档案的状态为“已终止”，不能再办理"]

    probationary = make_case(tree.a, 20, name="预备")
    services.stop_case(users.sec_a, probationary, reason="不履行党员义务", on=D(2023, 5, 1))
    probationary.refresh_from_db()
    member = probationary.member
    assert probationary.status == CaseStatus.CANCELLED
    assert (member.status, member.status_since) == (MemberStatus.LEFT, D(2023, 5, 1))
    event = MemberEvent.objects.get(member=member, kind=EventKind.STATUS)
    assert event.data["status"] == ["normal", "left"] and "取消预备党员资格" in event.reason


# --- thought reports and documents ----------------------------------------------------------------------


def test_thought_report_by_the_person_an_officer_or_a_stranger(tree, users):
    applicant = users.nobody
    case = make_case(tree.a, 3, user=applicant)
    report = services.submit_thought_report(applicant, case, title="第一季度思想汇报", content="学习体会……")
    assert (report.submitted_by, report.case_id, report.comment) == (applicant, case.pk, "")
    services.submit_thought_report(
        users.sec_a, case, title="代录", content="纸质汇报", submitted_on=D(2022, 1, 5)
    )
    with pytest.raises(PermissionDenied):  # a member of the same branch
        services.submit_thought_report(users.member_a, case, title="x", content="y")
    with pytest.raises(Http404):  # another branch
        services.submit_thought_report(users.sec_b, case, title="x", content="y")
    with pytest.raises(ValidationError) as exc:
        services.submit_thought_report(applicant, case, title="", content="y")
    assert exc.value.message_dict == {"title": ["请填写标题"]}
    assert ThoughtReport.objects.filter(case=case).count() == 2

    reviewed = services.review_thought_report(users.sec_a, report, comment="认识深刻，继续努力")
    assert (reviewed.comment, reviewed.reviewed_by) == ("认识深刻，继续努力", users.sec_a)
    with pytest.raises(Http404):  # the applicant has no role in the branch
        services.review_thought_report(applicant, report, comment="自己批")
    with pytest.raises(PermissionDenied):
        services.review_thought_report(users.member_a, report, comment="越权")
    with pytest.raises(Http404):
        services.review_thought_report(users.sec_b, report, comment="越权")


def test_no_thought_reports_on_a_closed_case(tree, users):
    case = make_case(tree.a, 25, user=users.nobody)
    with pytest.raises(ValidationError) as exc:
        services.submit_thought_report(users.nobody, case, title="汇报", content="内容")
    assert messages(exc) == ["该发展档案已结束，不能再提交思想汇报"]


def test_upload_document_checks_type_and_size(tree, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = make_case(tree.a, 1)
    pdf = SimpleUploadedFile("申请书.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    doc = services.upload_document(users.sec_a, case, title="入党申请书", file=pdf, step_number=1)
    assert (doc.step.number, doc.uploaded_by, doc.title) == (1, users.sec_a, "入党申请书")
    for name, content, message in (
        ("a.exe", b"MZ", "只能上传PDF、JPG、PNG、DOC或DOCX文件"),
        ("a.pdf", b"<html>", "文件内容与扩展名不符"),
        ("a.png", b"", "文件是空的"),
    ):
        with pytest.raises(ValidationError) as exc:
            services.upload_document(users.sec_a, case, title="x", file=SimpleUploadedFile(name, content))
        assert exc.value.message_dict == {"file": [message]}
    big = SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * 10)
    big.size = 20 * 1024 * 1024 + 1
    with pytest.raises(ValidationError) as exc:
        services.upload_document(users.sec_a, case, title="x", file=big)
    assert exc.value.message_dict == {"file": ["文件不能超过20MB"]}
    with pytest.raises(Http404):
        services.upload_document(users.sec_b, case, title="x", file=pdf)
    assert Document.objects.count() == 1


def test_a_repeated_admission_vote_is_refused_and_writes_nothing(tree, users):
    """A double submission of the vote form: the second passed vote cannot record ⑮ again."""
    case = make_case(tree.a, 15)
    votes_before = BranchVote.objects.filter(case=case).count()
    with pytest.raises(ValidationError) as exc:
        services.record_vote(
            users.sec_a,
            case,
            kind="admission",
            held_on=case.admitted_on,
            expected=10,
            present=9,
            in_favour=9,
            against=0,
            abstain=0,
        )
    assert any("已经记录过" in m for m in messages(exc))
    assert BranchVote.objects.filter(case=case).count() == votes_before
