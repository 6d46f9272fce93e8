"""API: 发展党员 cases, their steps, people, votes and thought reports; the rule check; the rule set.

Rule warnings: a write that breaks a non-blocking rule answers 400 with `errors.accept_warnings` listing
the warnings; send the same request again with `"accept_warnings": true` to record it anyway."""

from datetime import date

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema, Status

from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.core.errors import fail
from zhibu.core.masking import mask_id_number, mask_phone
from zhibu.development import facts, selectors, services
from zhibu.development.models import Case, Participant, ParticipantRole, Stage, VoteKind
from zhibu.members.models import Gender, Member
from zhibu.members.rules import birth_date_from_id, gender_from_id, id_number_error
from zhibu.orgs import selectors as org_selectors
from zhibu.orgs.models import Organization

router = Router(tags=["发展党员"])


# --- Schemas ----------------------------------------------------------------------------------------


class StepRef(Schema):
    number: int
    code: str
    name: str
    stage: int


class DeadlineOut(Schema):
    code: str
    label: str
    due_on: date
    done_on: date | None
    state: str
    source: str


class FindingOut(Schema):
    code: str
    level: str
    message: str
    source: str


class CaseOut(Schema):
    id: int
    name: str
    gender: str
    birth_date: date
    id_number: str | None
    mobile: str
    org_id: int
    org_name: str
    group_id: int | None
    status: str
    stage: int
    stage_name: str
    last_step: int
    applied_on: date
    admitted_on: date | None
    converted_on: date | None
    user_id: int | None
    member_id: int | None
    next_step: StepRef | None = None
    nearest_deadline: DeadlineOut | None = None
    overdue: bool = False
    due_soon: bool = False


class RecordOut(Schema):
    step: StepRef
    done_on: date
    note: str
    data: dict
    warnings: list[str]
    recorded_by: str


class ParticipantOut(Schema):
    id: int
    member_id: int
    name: str
    role: str
    assigned_on: date
    ended_on: date | None


class VoteOut(Schema):
    id: int
    kind: str
    held_on: date
    expected: int
    present: int
    in_favour: int
    against: int
    abstain: int
    written_in_favour: int
    valid: bool
    passed: bool
    message: str
    meeting_id: int | None


class AssessmentOut(Schema):
    id: int
    stage: int
    assessed_on: date
    result: str


class ReportOut(Schema):
    id: int
    submitted_on: date
    title: str
    content: str
    comment: str
    reviewed_at: str | None


class DocumentOut(Schema):
    id: int
    title: str
    step_number: int | None
    generated: bool
    uploaded_at: str


class TimelineEntry(Schema):
    on: date
    kind: str
    title: str
    detail: str
    by: str
    warnings: list[str]


class CaseDetailOut(CaseOut):
    ethnicity: str
    education: str
    work_unit: str
    status_reason: str
    extension_months: int
    rule_set: str
    records: list[RecordOut]
    participants: list[ParticipantOut]
    votes: list[VoteOut]
    assessments: list[AssessmentOut]
    thought_reports: list[ReportOut]
    documents: list[DocumentOut]
    deadlines: list[DeadlineOut]
    findings: list[FindingOut]
    timeline: list[TimelineEntry]


class CheckOut(Schema):
    case_id: int
    today: date
    stage: int
    last_step: int
    next_step: StepRef | None
    deadlines: list[DeadlineOut]
    findings: list[FindingOut]


class CaseIn(Schema):
    org_id: int
    name: str
    applied_on: date
    gender: Gender | None = None
    birth_date: date | None = None
    id_number: str | None = None
    ethnicity: str = "01"
    education: str = ""
    mobile: str = ""
    work_unit: str = ""
    group_id: int | None = None
    user_id: int | None = None
    note: str = ""
    accept_warnings: bool = False


class StepIn(Schema):
    number: int
    done_on: date
    note: str = ""
    data: dict | None = None
    accept_warnings: bool = False


class ParticipantIn(Schema):
    member_id: int
    role: ParticipantRole
    assigned_on: date


class EndParticipantIn(Schema):
    ended_on: date


class VoteIn(Schema):
    kind: VoteKind
    held_on: date
    expected: int
    present: int
    in_favour: int
    against: int = 0
    abstain: int = 0
    written_in_favour: int = 0
    note: str = ""
    meeting_id: int | None = None
    accept_warnings: bool = False


class AssessmentIn(Schema):
    assessed_on: date
    result: str


class ExtensionIn(Schema):
    months: int
    decided_on: date
    reason: str


class StopIn(Schema):
    reason: str
    on: date


class ThoughtReportIn(Schema):
    title: str
    content: str
    submitted_on: date | None = None


class RuleStepOut(StepRef):
    documents: list[str]
    source: str
    actor: str


class RuleSetOut(Schema):
    code: str
    name: str
    source: str
    effective_from: date
    params: dict
    stages: dict[int, str]
    steps: list[RuleStepOut]


# --- Converters -------------------------------------------------------------------------------------


def step_ref(step) -> StepRef | None:
    if step is None:
        return None
    return StepRef(number=step.number, code=step.code, name=step.name, stage=step.stage)


def deadline_out(d) -> DeadlineOut:
    return DeadlineOut(
        code=d.code, label=d.label, due_on=d.due_on, done_on=d.done_on, state=d.state, source=d.source
    )


def finding_out(f) -> FindingOut:
    return FindingOut(code=f.code, level=f.level, message=f.message, source=f.source)


def case_base(case: Case, unmasked: bool) -> dict:
    return {
        "id": case.pk,
        "name": case.name,
        "gender": case.gender,
        "birth_date": case.birth_date,
        "id_number": case.id_number if unmasked else (mask_id_number(case.id_number) or None),
        "mobile": case.mobile if unmasked else mask_phone(case.mobile),
        "org_id": case.org_id,
        "org_name": case.org.name,
        "group_id": case.group_id,
        "status": case.status,
        "stage": case.stage,
        "stage_name": Stage(case.stage).label,
        "last_step": case.last_step,
        "applied_on": case.applied_on,
        "admitted_on": case.admitted_on,
        "converted_on": case.converted_on,
        "user_id": case.user_id,
        "member_id": case.member_id,
    }


def row_out(row: dict) -> CaseOut:
    return CaseOut(
        **case_base(row["case"], unmasked=False),
        next_step=step_ref(row["next_step"]),
        nearest_deadline=deadline_out(row["nearest"]) if row["nearest"] else None,
        overdue=row["overdue"],
        due_soon=row["due_soon"],
    )


def detail_out(request, pk: int, unmasked: bool = False) -> CaseDetailOut:
    user = request.user
    case = selectors.case_with_everything(user, pk)
    show = selectors.reveal_sensitive(user, case, unmasked, via="接口")
    today = timezone.localdate()
    result = facts.evaluate(case, today=today)
    params = facts.params_for(case)
    nearest = selectors.nearest_deadline(result["deadlines"])
    return CaseDetailOut(
        **case_base(case, show),
        next_step=step_ref(result["next_step"]),
        nearest_deadline=deadline_out(nearest) if nearest else None,
        overdue=any(d.state == "overdue" for d in result["deadlines"]),
        due_soon=any(d.state == "due_soon" for d in result["deadlines"]),
        ethnicity=case.ethnicity,
        education=case.education,
        work_unit=case.work_unit,
        status_reason=case.status_reason,
        extension_months=case.extension_months,
        rule_set=case.rule_set.code,
        records=[
            RecordOut(
                step=step_ref(r.step),
                done_on=r.done_on,
                note=r.note,
                data=r.data or {},
                warnings=selectors.warning_texts(r),
                recorded_by=r.recorded_by.display_name if r.recorded_by else "系统",
            )
            for r in case.record_list
        ],
        participants=[
            ParticipantOut(
                id=p.pk,
                member_id=p.member_id,
                name=p.member.name,
                role=p.role,
                assigned_on=p.assigned_on,
                ended_on=p.ended_on,
            )
            for p in case.participant_list
        ],
        votes=[
            VoteOut(
                id=v.pk,
                kind=v.kind,
                held_on=v.held_on,
                expected=v.expected,
                present=v.present,
                in_favour=v.in_favour,
                against=v.against,
                abstain=v.abstain,
                written_in_favour=v.written_in_favour,
                valid=v.valid,
                passed=v.passed,
                message=selectors.vote_message(v, params),
                meeting_id=v.meeting_id,
            )
            for v in case.vote_list
        ],
        assessments=[
            AssessmentOut(id=a.pk, stage=a.stage, assessed_on=a.assessed_on, result=a.result)
            for a in case.assessment_list
        ],
        thought_reports=[
            ReportOut(
                id=t.pk,
                submitted_on=t.submitted_on,
                title=t.title,
                content=t.content,
                comment=t.comment,
                reviewed_at=t.reviewed_at.isoformat() if t.reviewed_at else None,
            )
            for t in case.report_list
        ],
        documents=[
            DocumentOut(
                id=d.pk,
                title=d.title,
                step_number=d.step.number if d.step else None,
                generated=d.generated,
                uploaded_at=d.uploaded_at.isoformat(),
            )
            for d in case.document_list
        ],
        deadlines=[deadline_out(d) for d in result["deadlines"]],
        findings=[finding_out(f) for f in result["findings"]],
        timeline=[
            TimelineEntry(
                on=e["on"],
                kind=e["kind"],
                title=e["title"],
                detail=e["detail"],
                by=e["by"],
                warnings=e["warnings"],
            )
            for e in selectors.timeline(case)
        ],
    )


def _manage(request, case_id: int) -> Case:
    return selectors.get_case(request.user, case_id, Perm.DEVELOPMENT_MANAGE)


# --- Endpoints -------------------------------------------------------------------------------------


@router.get("/cases", response=list[CaseOut], summary="进行中的发展档案（看板）：阶段、下一步、最近期限")
def list_cases(
    request,
    org_id: int | None = None,
    stage: int | None = None,
    state: str = "all",
    q: str = "",
    limit: int = 100,
    offset: int = 0,
):
    org = org_selectors.get_org(request.user, org_id, Perm.MEMBER_VIEW) if org_id else None
    rows = selectors.board(request.user, org=org, stage=stage, state=state, q=q)
    limit = max(1, min(limit, 500))
    offset = max(0, offset)
    return [row_out(r) for r in rows[offset : offset + limit]]


@router.post("/cases", response={201: CaseDetailOut}, summary="新建发展档案（记录第1步：递交入党申请书）")
def create_case(request, payload: CaseIn):
    user = request.user
    org = org_selectors.get_org(user, payload.org_id, Perm.DEVELOPMENT_MANAGE)
    group = None
    if payload.group_id:
        group = get_object_or_404(Organization, pk=payload.group_id, path__startswith=org.path)
    account = None
    if payload.user_id:
        from zhibu.accounts.models import User

        account = get_object_or_404(User, pk=payload.user_id, is_active=True)
    data = payload.dict(exclude={"org_id", "group_id", "user_id"})
    if data["id_number"]:
        data["id_number"] = data["id_number"].strip().upper()
        if id_number_error(data["id_number"]) is None:
            data["birth_date"] = data["birth_date"] or birth_date_from_id(data["id_number"])
            data["gender"] = data["gender"] or gender_from_id(data["id_number"])
    else:
        data["id_number"] = None
        if not data["birth_date"]:
            fail("未填写身份证号时，请填写出生日期", "birth_date")
        if not data["gender"]:
            fail("未填写身份证号时，请填写性别", "gender")
    case = services.open_case(user, org=org, group=group, user=account, **data)
    return Status(201, detail_out(request, case.pk))


@router.get(
    "/cases/{case_id}", response=CaseDetailOut, summary="发展档案详情：步骤、人员、表决、期限和时间线"
)
def get_case(request, case_id: int, unmasked: bool = False):
    return detail_out(request, case_id, unmasked)


@router.get("/cases/{case_id}/check", response=CheckOut, summary="规则检查：计算出的期限和存在的问题")
def check_case(request, case_id: int):
    case = selectors.get_case(request.user, case_id)
    case = Case.objects.prefetch_related(*facts.PREFETCH).select_related("org", "rule_set").get(pk=case.pk)
    today = timezone.localdate()
    result = facts.evaluate(case, today=today)
    return CheckOut(
        case_id=case.pk,
        today=today,
        stage=case.stage,
        last_step=case.last_step,
        next_step=step_ref(result["next_step"]),
        deadlines=[deadline_out(d) for d in result["deadlines"]],
        findings=[finding_out(f) for f in result["findings"]],
    )


@router.post("/cases/{case_id}/steps", response={201: CaseDetailOut}, summary="记录一个步骤")
def record_step(request, case_id: int, payload: StepIn):
    case = _manage(request, case_id)
    services.record_step(
        request.user,
        case,
        payload.number,
        done_on=payload.done_on,
        note=payload.note,
        data=payload.data or {},
        accept_warnings=payload.accept_warnings,
    )
    return Status(201, detail_out(request, case.pk))


@router.post(
    "/cases/{case_id}/participants", response={201: CaseDetailOut}, summary="确定培养联系人或入党介绍人"
)
def add_participant(request, case_id: int, payload: ParticipantIn):
    case = _manage(request, case_id)
    member = get_object_or_404(Member, pk=payload.member_id)
    access.require(request.user, Perm.MEMBER_VIEW, member.org)
    services.assign_participant(
        request.user, case, member=member, role=payload.role, assigned_on=payload.assigned_on
    )
    return Status(201, detail_out(request, case.pk))


@router.post(
    "/cases/{case_id}/participants/{participant_id}/end",
    response=CaseDetailOut,
    summary="培养联系人或入党介绍人不再担任",
)
def end_participant(request, case_id: int, participant_id: int, payload: EndParticipantIn):
    case = _manage(request, case_id)
    participant = get_object_or_404(Participant, pk=participant_id, case=case)
    services.end_participant(request.user, participant, payload.ended_on)
    return detail_out(request, case.pk)


@router.post("/cases/{case_id}/votes", response={201: CaseDetailOut}, summary="记录支部党员大会表决")
def record_vote(request, case_id: int, payload: VoteIn):
    case = _manage(request, case_id)
    services.record_vote(request.user, case, **payload.dict())
    return Status(201, detail_out(request, case.pk))


@router.post("/cases/{case_id}/assessments", response={201: CaseDetailOut}, summary="记录考察意见")
def add_assessment(request, case_id: int, payload: AssessmentIn):
    case = _manage(request, case_id)
    services.add_assessment(request.user, case, **payload.dict())
    return Status(201, detail_out(request, case.pk))


@router.post("/cases/{case_id}/extension", response=CaseDetailOut, summary="延长预备期")
def extend_probation(request, case_id: int, payload: ExtensionIn):
    case = _manage(request, case_id)
    services.extend_probation(request.user, case, **payload.dict())
    return detail_out(request, case.pk)


@router.post("/cases/{case_id}/stop", response=CaseDetailOut, summary="终止发展或取消预备党员资格")
def stop_case(request, case_id: int, payload: StopIn):
    case = _manage(request, case_id)
    services.stop_case(request.user, case, **payload.dict())
    return detail_out(request, case.pk)


@router.post(
    "/cases/{case_id}/thought-reports",
    response={201: ReportOut},
    summary="提交思想汇报（本人，或代为录入的支部）",
)
def submit_thought_report(request, case_id: int, payload: ThoughtReportIn):
    case = selectors.get_case(request.user, case_id, Perm.DEVELOPMENT_MANAGE, own=True)
    report = services.submit_thought_report(request.user, case, **payload.dict())
    return Status(
        201,
        ReportOut(
            id=report.pk,
            submitted_on=report.submitted_on,
            title=report.title,
            content=report.content,
            comment=report.comment,
            reviewed_at=None,
        ),
    )


@router.get("/rules", response=RuleSetOut, summary="现行发展党员规则：参数和25个步骤")
def get_rules(request):
    current = facts.current_rule_set()
    return RuleSetOut(
        code=current.code,
        name=current.name,
        source=current.source,
        effective_from=current.effective_from,
        params=current.params,
        stages={s.value: s.label for s in Stage},
        steps=[
            RuleStepOut(
                number=s.number,
                code=s.code,
                name=s.name,
                stage=s.stage,
                documents=list(s.documents or []),
                source=s.source,
                actor=s.actor,
            )
            for s in current.steps.order_by("number")
        ],
    )
