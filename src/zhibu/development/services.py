"""Writes to development cases (发展党员): one function per use case, in a transaction, audited.

The rules are in development.rules (pure); these functions load the facts, ask the rules, and either
refuse with Chinese messages (nothing written) or write everything. Errors block; warnings are
returned as ValidationError({"accept_warnings": [...]}) until the caller accepts them, and are then
kept on the StepRecord.

Case status: active until ㉕ (材料归档) is recorded, then converted. The member record becomes full at
㉔ (上级党委批准转正), so a case at ㉕ is a full member whose file still has to be archived.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhibu.accounts.models import mobile_validator
from zhibu.core import access, audit
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError, fail
from zhibu.core.models import AuditAction
from zhibu.development import facts, rules
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
from zhibu.members import rules as member_rules
from zhibu.members.models import (
    ETHNICITIES,
    ON_ROLL,
    Category,
    Education,
    EventKind,
    Gender,
    Member,
    MemberStatus,
)
from zhibu.members.services import record_event
from zhibu.orgs.models import BranchKind, OrgType

VOTE_STEPS = {15: VoteKind.ADMISSION, 23: VoteKind.CONVERSION}
# Step number → the Case field holding its date.
STEP_DATE_FIELDS = {
    2: "talked_on",
    3: "activist_on",
    7: "candidate_on",
    15: "admitted_on",
    17: "approved_on",
    23: "conversion_vote_on",
    24: "conversion_approved_on",
}
CASE_FIELDS = [
    "name",
    "gender",
    "birth_date",
    "status",
    "stage",
    "last_step",
    "org",
    "group",
    "user",
    "member",
    *STEP_DATE_FIELDS.values(),
    "training_days",
    "training_hours",
    "extension_months",
    "converted_on",
]
# Member fields written to the audit log (no ID or phone numbers there).
MEMBER_AUDIT_FIELDS = [
    "name",
    "category",
    "status",
    "org",
    "group",
    "joined_on",
    "dues_start_on",
    "converted_on",
    "user",
]
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_TYPES = {  # extension → accepted leading bytes
    "pdf": (b"%PDF",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    "docx": (b"PK\x03\x04",),
}


# --- helpers ------------------------------------------------------------------------------------------


def _today() -> dt.date:
    return timezone.localdate()


def _lock(case: Case) -> Case:
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to `member`.
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("org", "rule_set", "member")
        .get(pk=case.pk)
    )


def _require_active(case: Case) -> None:
    if case.status != CaseStatus.ACTIVE:
        fail(f"该发展档案的状态为“{case.get_status_display()}”，不能再办理")


def _check_date(value, field: str, label: str, *, not_before: dt.date | None = None, before_label=""):
    if value is None:
        fail(f"请填写{label}", field)
    if not isinstance(value, dt.date):
        fail(f"{label}格式不正确", field)
    if value > _today():
        fail(f"{label}不能晚于今天", field)
    if not_before is not None and value < not_before:
        fail(f"{label}不能早于{before_label}", field)


def _check_after_application(case: Case, value, field: str, label: str) -> None:
    _check_date(value, field, label, not_before=case.applied_on, before_label="递交申请日期")


def _raise_findings(findings: list[rules.Finding], accept_warnings: bool, rename: dict | None = None) -> list:
    """Errors → ValidationError by field; warnings → ValidationError({"accept_warnings": …}) unless
    accepted. Returns the accepted warnings as [{code, message, source}] for StepRecord.warnings."""
    rename = rename or {}
    errors = [f for f in findings if f.level == rules.ERROR]
    if errors:
        by_field: dict[str, list[str]] = {}
        for f in errors:
            key = rename.get(f.field, f.field) or NON_FIELD_ERRORS
            by_field.setdefault(key, []).append(f.message)
        raise ValidationError(by_field)
    warnings = [f for f in findings if f.level == rules.WARNING]
    if warnings and not accept_warnings:
        raise ValidationError({"accept_warnings": [f.message for f in warnings]})
    return [{"code": f.code, "message": f.message, "source": f.source} for f in warnings]


def _progress(case: Case) -> None:
    done = set(case.records.values_list("step__number", flat=True))
    case.last_step, case.stage = rules.progress(done)


def _parse_date(value, field: str, label: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        fail(f"{label}格式不正确，应为YYYY-MM-DD", field)


def _parse_number(value, field: str, label: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        fail(f"{label}应为数字", field)
    if not number.is_finite() or number < 0 or number >= 1000:
        fail(f"{label}应在0至999之间", field)
    return number.quantize(Decimal("0.1"))


# --- opening a case -------------------------------------------------------------------------------------


@transaction.atomic
def open_case(
    actor,
    *,
    org,
    name,
    gender,
    birth_date,
    applied_on,
    id_number=None,
    ethnicity="01",
    education="",
    mobile="",
    work_unit="",
    group=None,
    user=None,
    note="",
    accept_warnings=False,
) -> Case:
    """Open a development file at ① (递交入党申请书, 细则 第七条) for a person applying to a branch.

    Only a regular or joint 党支部 may develop members (not a 临时党支部). With an ID number the birth
    date and gender come from it (an inconsistent one given as well is an error). Age under 18 on the
    application day blocks (细则 第五条). One active case per ID number; nobody already a member."""
    access.require(actor, Perm.DEVELOPMENT_MANAGE, org)
    if org.org_type != OrgType.BRANCH or not org.is_active:
        fail("只有党支部可以建立发展党员档案", "org")
    if org.branch_kind == BranchKind.TEMPORARY:
        fail("临时党支部不能发展党员", "org")
    name = (name or "").strip()
    if not name:
        fail("请填写姓名", "name")
    if len(name) > 50:
        fail("姓名不能超过50个字", "name")
    id_number = (id_number or "").strip().upper() or None
    if id_number:
        error = member_rules.id_number_error(id_number, _today())
        if error:
            fail(error, "id_number")
        id_birth = member_rules.birth_date_from_id(id_number)
        id_gender = member_rules.gender_from_id(id_number)
        if birth_date and birth_date != id_birth:
            fail(f"出生日期与身份证号不一致（身份证号中为{id_birth:%Y-%m-%d}）", "birth_date")
        if gender and gender != id_gender:
            fail(f"性别与身份证号不一致（身份证号中为{Gender(id_gender).label}）", "gender")
        birth_date, gender = id_birth, id_gender
        clash = (
            Case.objects.filter(id_number=id_number, status=CaseStatus.ACTIVE).select_related("org").first()
        )
        if clash is not None:
            where = clash.org.name if access.in_scope(actor, clash.org) or actor is None else "其他党组织"
            fail(f"该身份证号已有进行中的发展党员档案（{where}），不能重复建档", "id_number")
        if Member.objects.filter(id_number=id_number, status__in=ON_ROLL).exists():
            fail("该身份证号对应的人员已是党员，不能建立发展档案", "id_number")
    if gender not in Gender.values:
        fail("请选择性别", "gender")
    if not birth_date:
        fail("请填写出生日期或身份证号", "birth_date")
    if birth_date > _today():
        fail("出生日期不能晚于今天", "birth_date")
    _check_date(applied_on, "applied_on", "递交申请日期", not_before=birth_date, before_label="出生日期")
    if ethnicity not in dict(ETHNICITIES):
        fail("民族无效", "ethnicity")
    if education and education not in Education.values:
        fail("学历无效", "education")
    mobile = (mobile or "").strip()
    if mobile:
        try:
            mobile_validator(mobile)
        except ValidationError as exc:
            fail(exc.messages[0], "mobile")
    if group is not None and (group.org_type != OrgType.GROUP or not group.path.startswith(org.path)):
        fail("党小组应为本支部下的党小组", "group")
    rule_set = facts.current_rule_set()
    params = rules.Params.from_dict(rule_set.params)
    findings = rules.step_findings(
        1, applied_on, rules.CaseFacts(birth_date=birth_date, applied_on=applied_on), params, _today()
    )
    warnings = _raise_findings(findings, accept_warnings, {"done_on": "applied_on"})
    try:
        with transaction.atomic():
            case = Case.objects.create(
                rule_set=rule_set,
                org=org,
                group=group,
                name=name,
                gender=gender,
                birth_date=birth_date,
                id_number=id_number,
                ethnicity=ethnicity,
                education=education or "",
                mobile=mobile,
                work_unit=(work_unit or "").strip()[:150],
                user=user,
                applied_on=applied_on,
                stage=rules.STAGE_OF[1],
                last_step=1,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        fail("该身份证号已有进行中的发展党员档案，不能重复建档", "id_number")
    StepRecord.objects.create(
        case=case,
        step=rule_set.steps.get(number=1),
        done_on=applied_on,
        note=(note or "")[:300],
        warnings=warnings,
        recorded_by=_user(actor),
    )
    audit.record(
        actor,
        AuditAction.CREATE,
        case,
        org_id=org.pk,
        summary="建立发展党员档案（递交入党申请书）",
        after=audit.snapshot(case, CASE_FIELDS),
    )
    return case


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# --- steps ------------------------------------------------------------------------------------------


def _step_inputs(number: int, data: dict, params: rules.Params, case: Case) -> tuple[dict, dict]:
    """Validate a step's own details; returns (data to store, CaseFacts overrides for the rules)."""
    data = dict(data or {})
    overrides: dict = {}
    if number in (7, 14):
        start = _parse_date(data.get("notice_start"), "notice_start", "公示开始日期")
        if start is not None:
            if start > _today():
                fail("公示开始日期不能晚于今天", "notice_start")
            if start < case.applied_on:
                fail("公示开始日期不能早于递交申请日期", "notice_start")
            window = rules.notice_window(start, params)
            data["notice_start"], data["notice_end"] = window[0].isoformat(), window[1].isoformat()
            data["notice_working_days"] = params.notice_working_days
            overrides["candidate_notice" if number == 7 else "admission_notice"] = window
        else:
            data.pop("notice_start", None)
            data.pop("notice_end", None)
            if number == 7:
                overrides["candidate_notice"] = None
    if number == 11:
        days = _parse_number(data.get("training_days"), "training_days", "集中培训天数")
        hours = _parse_number(data.get("training_hours"), "training_hours", "集中培训学时")
        data["training_days"] = None if days is None else float(days)
        data["training_hours"] = None if hours is None else float(hours)
        overrides["training_days"] = data["training_days"]
        overrides["training_hours"] = data["training_hours"]
    return data, overrides


def _record(actor, case: Case, number: int, done_on, note, data, warnings) -> StepRecord:
    """Write a step (rules already checked) and everything it changes. Case must be locked."""
    stepdef = case.rule_set.steps.get(number=number)
    record = StepRecord.objects.create(
        case=case,
        step=stepdef,
        done_on=done_on,
        note=(note or "").strip()[:300],
        data=data or {},
        warnings=warnings,
        recorded_by=_user(actor),
    )
    before = audit.snapshot(case, CASE_FIELDS)
    if number in STEP_DATE_FIELDS:
        setattr(case, STEP_DATE_FIELDS[number], done_on)
    if number == 11:
        for key in ("training_days", "training_hours"):
            value = (data or {}).get(key)
            setattr(case, key, None if value is None else Decimal(str(value)))
    _progress(case)
    if number == 17:
        _admit_member(actor, case)
    elif number == 24:
        _convert_member(actor, case)
    elif number == 25:
        case.status = CaseStatus.CONVERTED
    case.save()
    audit.record(
        actor,
        AuditAction.UPDATE,
        case,
        org_id=case.org_id,
        summary=f"记录发展步骤：第{number}步 {stepdef.name}（{done_on:%Y-%m-%d}）",
        before=before,
        after=audit.snapshot(case, CASE_FIELDS),
    )
    return record


def _admit_member(actor, case: Case) -> None:
    """⑰ 上级党委审批 → the person is a probationary member from the branch vote (⑮): member record
    created or updated; dues from the vote day (党费规定; domain-rules §4)."""
    member = case.member
    if member is None and case.id_number:
        member = Member.objects.select_for_update().filter(id_number=case.id_number).first()
        if member is not None and member.status in ON_ROLL:
            fail("该身份证号对应的人员已是在册党员，不能重复接收")
    if case.user_id:
        other = Member.objects.filter(user_id=case.user_id)
        if member is not None:
            other = other.exclude(pk=member.pk)
        if other.exists():
            fail("该账户已关联其他党员档案，请先核对账户")
    created = member is None
    before = {} if created else audit.snapshot(member, MEMBER_AUDIT_FIELDS)
    member = member or Member()
    for field in (
        "name",
        "gender",
        "birth_date",
        "id_number",
        "ethnicity",
        "education",
        "org_id",
        "group_id",
    ):
        setattr(member, field, getattr(case, field))
    member.mobile = case.mobile or member.mobile
    member.work_unit = (case.work_unit or member.work_unit)[:100]
    if case.user_id:
        member.user_id = case.user_id
    member.category = Category.PROBATIONARY
    member.status = MemberStatus.NORMAL
    member.status_since = case.admitted_on
    member.joined_on = case.admitted_on
    member.dues_start_on = case.admitted_on
    member.converted_on = None
    member.lost_since = None
    member.save()
    record_event(
        member,
        EventKind.JOINED,
        case.admitted_on,
        actor,
        reason=f"支部党员大会{case.admitted_on:%Y-%m-%d}通过，上级党委{case.approved_on:%Y-%m-%d}批准为预备党员",
        data={"case": case.pk, "approved_on": case.approved_on, "category": [None, Category.PROBATIONARY]},
        org=case.org,
    )
    audit.record(
        actor,
        AuditAction.CREATE if created else AuditAction.UPDATE,
        member,
        org_id=member.org_id,
        summary="接收为预备党员（发展党员档案）",
        before=before or None,
        after=audit.snapshot(member, MEMBER_AUDIT_FIELDS),
    )
    case.member = member


def _convert_member(actor, case: Case) -> None:
    """㉔ 上级党委批准转正 → full member; party standing (党龄) from the end of probation (党章 第七条)."""
    member = Member.objects.select_for_update().get(pk=case.member_id) if case.member_id else None
    if member is None:
        fail("该档案没有关联的党员档案，无法办理转正")
    params = facts.fresh_params(case)
    converted_on = rules.probation_end(case.admitted_on, case.extension_months, params.probation_years)
    before = audit.snapshot(member, ["category", "converted_on"])
    member.category = Category.FULL
    member.converted_on = converted_on
    member.save()
    record_event(
        member,
        EventKind.CONVERTED,
        converted_on,
        actor,
        reason=f"上级党委{case.conversion_approved_on:%Y-%m-%d}批准按期转为正式党员",
        data={
            "case": case.pk,
            "category": [Category.PROBATIONARY, Category.FULL],
            "converted_on": [None, converted_on],
        },
        org=case.org,
    )
    audit.record(
        actor,
        AuditAction.UPDATE,
        member,
        org_id=member.org_id,
        summary="转为正式党员（发展党员档案）",
        before=before,
        after=audit.snapshot(member, ["category", "converted_on"]),
    )
    case.converted_on = converted_on


def _check_step(number: int, done_on, case: Case, params, overrides: dict, accept_warnings: bool) -> list:
    from dataclasses import replace

    case_facts = replace(facts.facts_for(case, params), **overrides)
    findings = rules.step_findings(number, done_on, case_facts, params, _today())
    return _raise_findings(findings, accept_warnings)


@transaction.atomic
def record_step(
    actor, case: Case, number: int, *, done_on, note="", data=None, accept_warnings=False
) -> StepRecord:
    """Record step `number` (2–25, not the votes ⑮ ㉓) done on `done_on`, if the rules allow it.

    Step details in `data`: ⑦ and ⑭ {"notice_start": "YYYY-MM-DD"} (the 公示; its end is computed and
    stored), ⑪ {"training_days": n, "training_hours": n}. ⑰ creates/updates the member record (预备党员);
    ㉔ makes it full; ㉕ closes the case as converted."""
    case = _lock(case)
    access.require(actor, Perm.DEVELOPMENT_MANAGE, case.org)
    _require_active(case)
    try:
        number = int(number)
    except (TypeError, ValueError):
        fail("步骤无效", "number")
    if number not in rules.PREREQUISITES:
        fail("步骤无效", "number")
    if number == 1:
        fail("第1步（递交入党申请书）在建立档案时记录", "number")
    if number in VOTE_STEPS:
        fail("此步骤请通过“支部党员大会表决”记录表决结果", "number")
    _check_date(done_on, "done_on", "办理日期")
    params = facts.fresh_params(case)
    data, overrides = _step_inputs(number, data, params, case)
    warnings = _check_step(number, done_on, case, params, overrides, accept_warnings)
    return _record(actor, case, number, done_on, note, data, warnings)


# --- people -----------------------------------------------------------------------------------------


@transaction.atomic
def assign_participant(actor, case: Case, *, member: Member, role: str, assigned_on) -> Participant:
    """Assign a mentor (培养联系人, 细则 第十二条: 1–2 full members of the branch, after ③) or a sponsor
    (入党介绍人, 细则 第十六条: two full members on the roll, not under 留党察看, after ⑦)."""
    case = _lock(case)
    access.require(actor, Perm.DEVELOPMENT_MANAGE, case.org)
    _require_active(case)
    if role not in ParticipantRole.values:
        fail("角色无效", "role")
    member = Member.objects.select_related("org").get(pk=member.pk)
    access.require(actor, Perm.MEMBER_VIEW, member.org)
    _check_after_application(case, assigned_on, "assigned_on", "确定日期")
    params = facts.fresh_params(case)
    active = Participant.objects.filter(case=case, role=role, ended_on__isnull=True)
    if active.filter(member=member).exists():
        fail(f"{member.name}已是该发展对象的{ParticipantRole(role).label}", "member")
    if case.member_id and member.pk == case.member_id:
        fail("不能指定本人", "member")
    if role == ParticipantRole.MENTOR:
        if case.activist_on is None:
            fail("确定为入党积极分子后才能指定培养联系人", "role")
        if member.org_id != case.org_id:
            fail("培养联系人应为本支部的正式党员", "member")
        if member.category != Category.FULL or member.status not in rules.SPONSOR_STATUSES:
            fail(f"{member.name}不是本支部在册的正式党员，不能作为培养联系人", "member")
        if active.count() >= params.mentors_max:
            fail(f"培养联系人最多{params.mentors_max}名", "member")
    else:
        if case.candidate_on is None:
            fail("确定为发展对象后才能确定入党介绍人", "role")
        error = rules.sponsor_error(
            rules.SponsorFacts(member.name, member.category, member.status, member.under_party_probation)
        )
        if error:
            fail(error, "member")
        if active.count() >= params.sponsors_required:
            fail(f"入党介绍人只能有{params.sponsors_required}名", "member")
    participant = Participant.objects.create(case=case, member=member, role=role, assigned_on=assigned_on)
    audit.record(
        actor,
        AuditAction.CREATE,
        participant,
        org_id=case.org_id,
        summary=f"{case.name}：确定{participant.get_role_display()}{member.name}",
    )
    return participant


@transaction.atomic
def end_participant(actor, participant: Participant, ended_on) -> Participant:
    """A mentor or sponsor stops (transferred, ill…): kept with the day it ended."""
    participant = Participant.objects.select_related("case__org", "member").get(pk=participant.pk)
    case = participant.case
    access.require(actor, Perm.DEVELOPMENT_MANAGE, case.org)
    _require_active(case)
    if participant.ended_on is not None:
        fail("该人员已经结束", "ended_on")
    _check_date(ended_on, "ended_on", "结束日期", not_before=participant.assigned_on, before_label="确定日期")
    participant.ended_on = ended_on
    participant.save(update_fields=["ended_on"])
    audit.record(
        actor,
        AuditAction.UPDATE,
        participant,
        org_id=case.org_id,
        summary=f"{case.name}：{participant.get_role_display()}{participant.member.name}于{ended_on:%Y-%m-%d}结束",
    )
    return participant


@transaction.atomic
def add_assessment(actor, case: Case, *, assessed_on, result) -> Assessment:
    """A periodic assessment (积极分子每半年一次, 细则 第十三条; 预备期, 细则 第三十三条), at the case's
    stage."""
    case = _lock(case)
    access.require(actor, Perm.DEVELOPMENT_MANAGE, case.org)
    _require_active(case)
    _check_after_application(case, assessed_on, "assessed_on", "考察日期")
    result = (result or "").strip()
    if not result:
        fail("请填写考察意见", "result")
    if len(result) > 300:
        fail("考察意见不能超过300字", "result")
    assessment = Assessment.objects.create(
        case=case, stage=case.stage, assessed_on=assessed_on, result=result, recorded_by=_user(actor)
    )
    audit.record(
        actor,
        AuditAction.CREATE,
        assessment,
        org_id=case.org_id,
        summary=f"{case.name}：考察记录（{assessed_on:%Y-%m-%d}）",
    )
    return assessment


# --- votes, probation, stopping ---------------------------------------------------------------------------


@transaction.atomic
def record_vote(
    actor,
    case: Case,
    *,
    kind,
    held_on,
    expected,
    present,
    in_favour,
    against,
    abstain,
    written_in_favour=0,
    note="",
    meeting_id=None,
    accept_warnings=False,
) -> BranchVote:
    """A 支部党员大会 vote on this person (党章; 细则 第二十四、三十四条; domain-rules §2). Numbers are
    checked by rules.vote_result. A passed admission vote records ⑮, a passed conversion vote ㉓ (with their
    rules: the steps before done, probation over for ㉓…). A failed or invalid vote is kept and the case
    stays where it was. Extension/cancellation votes are only recorded (see extend_probation/stop_case)."""
    case = _lock(case)
    access.require(actor, Perm.DEVELOPMENT_MANAGE, case.org)
    _require_active(case)
    if kind not in VoteKind.values:
        fail("表决事项无效", "kind")
    _check_after_application(case, held_on, "held_on", "支部党员大会日期")
    numbers = {
        "expected": expected,
        "present": present,
        "in_favour": in_favour,
        "against": against,
        "abstain": abstain,
        "written_in_favour": written_in_favour or 0,
    }
    for key, value in numbers.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            fail("请填写不小于0的整数", key)
    params = facts.fresh_params(case)
    result = rules.vote_result(**numbers, strict=params.strict_majority)
    if result.errors:
        raise ValidationError({NON_FIELD_ERRORS: result.errors})
    step = {VoteKind.ADMISSION: 15, VoteKind.CONVERSION: 23}.get(kind)
    warnings: list = []
    if step is not None:
        case_facts = facts.facts_for(case, params)
        findings = rules.step_findings(step, held_on, case_facts, params, _today())
        if not result.passed:  # nothing is recorded but the vote: only its order and date matter
            findings = [f for f in findings if f.level == rules.ERROR]
        warnings = _raise_findings(findings, accept_warnings, {"done_on": "held_on"})
    vote = BranchVote.objects.create(
        case=case,
        org=case.org,
        kind=kind,
        held_on=held_on,
        meeting_id=meeting_id,
        valid=result.valid,
        passed=result.passed,
        note=(note or "").strip()[:300],
        recorded_by=_user(actor),
        **numbers,
    )
    audit.record(
        actor,
        AuditAction.CREATE,
        vote,
        org_id=case.org_id,
        summary=f"{case.name}：{vote.get_kind_display()}表决，{result.message}"[:300],
    )
    if step is not None and result.passed:
        _record(actor, case, step, held_on, note, {"vote": vote.pk, "result": result.message}, warnings)
    return vote


@transaction.atomic
def extend_probation(actor, case: Case, *, months, decided_on, reason) -> Case:
    """Extend probation once by 6–12 months (党章 第七条), decided by the branch meeting and approved;
    probation (and the conversion date) move accordingly."""
    case = _lock(case)
    access.require(actor, Perm.DEVELOPMENT_MANAGE, case.org)
    _require_active(case)
    if case.member_id is None or case.admitted_on is None:
        fail("只有预备党员才能延长预备期")
    if case.conversion_vote_on is not None:
        fail("支部大会已通过转正，不能再延长预备期")
    params = facts.fresh_params(case)
    try:
        months = int(months)
    except (TypeError, ValueError):
        fail("请填写延长的月数", "months")
    error = rules.extension_error(months, 1 if case.extension_months else 0, params)
    if error:
        fail(error, "months")
    _check_date(
        decided_on, "decided_on", "决定日期", not_before=case.admitted_on, before_label="支部大会通过接收日期"
    )
    reason = (reason or "").strip()
    if not reason:
        fail("请填写延长预备期的原因", "reason")
    before = audit.snapshot(case, ["extension_months"])
    old_end = rules.probation_end(case.admitted_on, 0, params.probation_years)
    case.extension_months = months
    case.save(update_fields=["extension_months", "updated_at"])
    new_end = rules.probation_end(case.admitted_on, months, params.probation_years)
    record_event(
        case.member,
        EventKind.PROBATION_EXTENDED,
        decided_on,
        actor,
        reason=reason,
        data={"months": months, "probation_end": [old_end, new_end], "case": case.pk},
        org=case.org,
    )
    audit.record(
        actor,
        AuditAction.UPDATE,
        case,
        org_id=case.org_id,
        summary=f"{case.name}：延长预备期{months}个月，至{new_end:%Y-%m-%d}",
        before=before,
        after=audit.snapshot(case, ["extension_months"]),
    )
    return case


@transaction.atomic
def stop_case(actor, case: Case, *, reason, on) -> Case:
    """Stop a case: before ⑰ the person is not a member and the file is stopped (终止); a probationary
    member's qualification is cancelled (取消预备党员资格, 党章 第七条): member status 出党, with an event."""
    case = _lock(case)
    access.require(actor, Perm.DEVELOPMENT_MANAGE, case.org)
    _require_active(case)
    if case.conversion_approved_on is not None:
        fail("已批准转正，不能终止发展档案")
    reason = (reason or "").strip()
    if not reason:
        fail("请填写原因", "reason")
    _check_after_application(case, on, "on", "日期")
    before = audit.snapshot(case, ["status", "status_reason"])
    if case.member_id:
        member = Member.objects.select_for_update().get(pk=case.member_id)
        old_status = member.status
        member.status, member.status_since = MemberStatus.LEFT, on
        member.save(update_fields=["status", "status_since", "updated_at"])
        record_event(
            member,
            EventKind.STATUS,
            on,
            actor,
            reason=f"取消预备党员资格：{reason}",
            data={"status": [old_status, MemberStatus.LEFT], "case": case.pk},
            org=case.org,
        )
        case.status = CaseStatus.CANCELLED
    else:
        case.status = CaseStatus.STOPPED
    case.status_reason = reason[:200]
    case.save(update_fields=["status", "status_reason", "updated_at"])
    audit.record(
        actor,
        AuditAction.UPDATE,
        case,
        org_id=case.org_id,
        summary=f"{case.name}：{case.get_status_display()}（{on:%Y-%m-%d}）",
        before=before,
        after=audit.snapshot(case, ["status", "status_reason"]),
    )
    return case


# --- thought reports and documents ------------------------------------------------------------------------


@transaction.atomic
def submit_thought_report(user, case: Case, *, title, content, submitted_on=None) -> ThoughtReport:
    """A 思想汇报 by the person (their own account linked to the case) or entered by an officer with
    development.manage on the branch; only while the case is active."""
    case = Case.objects.select_related("org").get(pk=case.pk)
    own = user is not None and case.user_id is not None and case.user_id == getattr(user, "pk", None)
    if not own:
        access.require(user, Perm.DEVELOPMENT_MANAGE, case.org)
    if case.status != CaseStatus.ACTIVE:
        fail("该发展档案已结束，不能再提交思想汇报")
    title = (title or "").strip()
    content = (content or "").strip()
    if not title:
        fail("请填写标题", "title")
    if len(title) > 100:
        fail("标题不能超过100字", "title")
    if not content:
        fail("请填写思想汇报内容", "content")
    if len(content) > 20000:
        fail("内容过长（最多20000字）", "content")
    submitted_on = submitted_on or _today()
    _check_after_application(case, submitted_on, "submitted_on", "提交日期")
    report = ThoughtReport.objects.create(
        case=case, submitted_on=submitted_on, title=title, content=content, submitted_by=_user(user)
    )
    audit.record(
        user,
        AuditAction.CREATE,
        report,
        org_id=case.org_id,
        summary=f"{case.name}：提交思想汇报（{submitted_on:%Y-%m-%d}）",
    )
    return report


@transaction.atomic
def review_thought_report(actor, report: ThoughtReport, *, comment) -> ThoughtReport:
    """The branch reads a thought report and writes a comment (阅评意见)."""
    report = (
        ThoughtReport.objects.select_for_update(of=("self",)).select_related("case__org").get(pk=report.pk)
    )
    access.require(actor, Perm.DEVELOPMENT_MANAGE, report.case.org)
    comment = (comment or "").strip()
    if not comment:
        fail("请填写阅评意见", "comment")
    if len(comment) > 300:
        fail("阅评意见不能超过300字", "comment")
    before = {"comment": report.comment}
    report.comment = comment
    report.reviewed_by = _user(actor)
    report.reviewed_at = timezone.now()
    report.save(update_fields=["comment", "reviewed_by", "reviewed_at"])
    audit.record(
        actor,
        AuditAction.UPDATE,
        report,
        org_id=report.case.org_id,
        summary=f"{report.case.name}：阅评思想汇报",
        before=before,
        after={"comment": comment},
    )
    return report


@transaction.atomic
def upload_document(actor, case: Case, *, title, file, step_number=None) -> Document:
    """A scanned or prepared document for the case (≤ 20 MB; PDF, JPG, PNG, DOC, DOCX; the content
    must match the extension)."""
    case = Case.objects.select_related("org", "rule_set").get(pk=case.pk)
    access.require(actor, Perm.DEVELOPMENT_MANAGE, case.org)
    title = (title or "").strip()
    if not title:
        fail("请填写材料名称", "title")
    if len(title) > 100:
        fail("材料名称不能超过100字", "title")
    if file is None:
        fail("请选择文件", "file")
    ext = Path(getattr(file, "name", "") or "").suffix.lower().lstrip(".")
    if ext not in UPLOAD_TYPES:
        fail("只能上传PDF、JPG、PNG、DOC或DOCX文件", "file")
    size = getattr(file, "size", None)
    if size is None or size > MAX_UPLOAD_BYTES:
        fail("文件不能超过20MB", "file")
    if size == 0:
        fail("文件是空的", "file")
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if not any(head.startswith(magic) for magic in UPLOAD_TYPES[ext]):
        fail("文件内容与扩展名不符", "file")
    step = None
    if step_number not in (None, ""):
        step = case.rule_set.steps.filter(number=step_number).first()
        if step is None:
            fail("步骤无效", "step_number")
    document = Document.objects.create(case=case, step=step, title=title, file=file, uploaded_by=_user(actor))
    audit.record(
        actor,
        AuditAction.CREATE,
        document,
        org_id=case.org_id,
        summary=f"{case.name}：上传材料“{title}”",
    )
    return document
