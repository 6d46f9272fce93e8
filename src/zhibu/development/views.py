"""发展党员 pages: board, case file (timeline), forms for steps, votes, people, documents, the person's
own thought reports (phone), and the rule set. Thin: parse, call a service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError
from zhibu.core.forms import apply_errors, errors_text
from zhibu.development import facts, rules, selectors, services
from zhibu.development.forms import (
    AssessmentForm,
    CaseForm,
    DocumentForm,
    EndParticipantForm,
    ExtendForm,
    ParticipantForm,
    ReviewForm,
    StepForm,
    StopForm,
    ThoughtReportForm,
    VoteForm,
)
from zhibu.development.models import (
    CaseStatus,
    Document,
    Participant,
    Stage,
    StepDef,
    ThoughtReport,
    VoteKind,
)
from zhibu.orglife import selectors as orglife_selectors
from zhibu.orgs import selectors as org_selectors
from zhibu.orgs.models import Organization, OrgType

VOTE_STEPS = {15: VoteKind.ADMISSION, 23: VoteKind.CONVERSION}


def warnings_of(exc: ValidationError) -> list[str]:
    """The rule warnings a service raised under `accept_warnings` (empty if it was another error)."""
    if hasattr(exc, "error_dict") and "accept_warnings" in exc.message_dict:
        return exc.message_dict["accept_warnings"]
    return []


def apply_service_errors(form, exc: ValidationError) -> list[str]:
    """Put a service's errors on the form; return the warnings to confirm (kept off the form errors)."""
    warnings = warnings_of(exc)
    if warnings:
        rest = {k: v for k, v in exc.message_dict.items() if k != "accept_warnings"}
        if rest:
            apply_errors(form, ValidationError(rest))
    else:
        apply_errors(form, exc)
    return warnings


def _manage(request, pk):
    """The case for a write: development.manage on its branch (404 out of scope, 403 without)."""
    return selectors.get_case(request.user, pk, Perm.DEVELOPMENT_MANAGE)


def _today():
    return timezone.localdate()


# --- Board -----------------------------------------------------------------------------------------


@login_required
def board(request):
    user = request.user
    if not access.has_perm(user, Perm.MEMBER_VIEW):
        if selectors.my_cases(user).exists():
            return redirect("development:my_reports")
        raise PermissionDenied("您没有查看发展党员档案的权限")
    params = request.GET
    org = None
    if params.get("org"):
        org = org_selectors.get_org(user, params["org"], Perm.MEMBER_VIEW)
    stage = params.get("stage") if params.get("stage") in {str(s.value) for s in Stage} else None
    state = params.get("state") if params.get("state") in selectors.BOARD_STATES else "all"
    q = params.get("q", "").strip()
    rows = selectors.board(user, org=org, stage=stage, state=state, q=q)
    page = Paginator(rows, 30).get_page(params.get("page"))
    orgs = (
        Organization.objects.filter(access.scope_q(user, Perm.MEMBER_VIEW))
        .filter(status="active")
        .exclude(org_type=OrgType.GROUP)
        .order_by("path")[:300]
    )
    context = {
        "page": page,
        "stages": selectors.stage_counts(user, org=org, q=q),
        "orgs": orgs,
        "org": org,
        "stage": int(stage) if stage else None,
        "state": state,
        "states": selectors.BOARD_STATES,
        "q": q,
        "can_create": access.has_perm(user, Perm.DEVELOPMENT_MANAGE),
    }
    return render(request, "development/board.html", context)


# --- One case -------------------------------------------------------------------------------------


@login_required
def case(request, pk: int):
    user = request.user
    case = selectors.case_with_everything(user, pk)
    today = _today()
    result = facts.evaluate(case, today=today)
    can_manage = access.has_perm(user, Perm.DEVELOPMENT_MANAGE, case.org)
    active = case.status == CaseStatus.ACTIVE
    can_see = access.can_see_sensitive(user, case.org)
    reveal = selectors.reveal_sensitive(user, case, request.GET.get("reveal") == "1")
    next_step = result["next_step"]
    context = {
        "case": case,
        "stages": selectors.stepper(case, next_step),
        "next_step": next_step,
        "deadlines": result["deadlines"],
        "deadline_badges": [
            selectors.deadline_badge(d, today)
            for d in sorted(
                result["deadlines"], key=lambda d: (d.state not in selectors.OPEN_STATES, d.due_on)
            )
        ],
        "findings": result["findings"],
        "timeline": selectors.timeline(case),
        "can_manage": can_manage and active,
        "can_manage_any": can_manage,
        "can_see_sensitive": can_see,
        "reveal": reveal,
        "today": today,
        "mentors": [p for p in case.participant_list if p.role == "mentor"],
        "sponsors": [p for p in case.participant_list if p.role == "sponsor"],
        "params": result["params"],
        "is_probationary": bool(case.admitted_on) and active,
    }
    params = context["params"]
    context["votes"] = [(v, selectors.vote_message(v, params)) for v in case.vote_list]
    if can_manage and active:
        context.update(
            participant_form=ParticipantForm(
                members=selectors.participant_choices(case), initial={"assigned_on": today}
            ),
            end_form=EndParticipantForm(initial={"ended_on": today}),
            assessment_form=AssessmentForm(initial={"assessed_on": today}),
            document_form=DocumentForm(rule_set=case.rule_set, initial={"step": next_step}),
            review_form=ReviewForm(),
        )
    elif can_manage:
        context.update(review_form=None, document_form=DocumentForm(rule_set=case.rule_set))
    return render(request, "development/case.html", context)


@login_required
def create(request):
    user = request.user
    branches = selectors.manageable_branches(user)
    if not branches.exists():
        if not access.has_perm(user, Perm.MEMBER_VIEW):
            raise Http404("页面不存在")
        raise PermissionDenied("您没有新建发展档案的权限")
    initial = {"applied_on": _today()}
    if request.GET.get("org", "").isdigit():
        initial["org"] = branches.filter(pk=request.GET["org"]).first()
    elif len(branches) == 1:
        initial["org"] = branches[0]
    form = CaseForm(request.POST or None, branches=branches, initial=initial)
    warnings = []
    if request.method == "POST" and form.is_valid():
        try:
            case = services.open_case(user, **form.service_kwargs())
        except ValidationError as exc:
            warnings = apply_service_errors(form, exc)
        else:
            messages.success(request, f"已建立“{case.name}”的发展档案")
            return redirect("development:case", pk=case.pk)
    return render(request, "development/create.html", {"form": form, "warnings": warnings})


@login_required
def step(request, pk: int):
    user = request.user
    case = _manage(request, pk)
    if case.status != CaseStatus.ACTIVE:
        raise PermissionDenied("该发展档案已结束，不能再记录步骤")
    today = _today()
    steps = list(StepDef.objects.filter(rule_set_id=case.rule_set_id).order_by("number"))
    done = set(case.records.values_list("step__number", flat=True))
    raw = request.POST.get("number") or request.GET.get("number")
    if raw:
        try:
            number = int(raw)
        except ValueError:
            raise Http404("没有这个步骤") from None
    else:
        next_step = facts.evaluate(case, today=today)["next_step"]
        number = next_step.number if next_step else None
    if number is None:
        messages.info(request, "全部步骤均已完成")
        return redirect("development:case", pk=case.pk)
    stepdef = next((s for s in steps if s.number == number), None)
    if stepdef is None:
        raise Http404("没有这个步骤")
    if number in VOTE_STEPS:
        return redirect(f"{_url('development:vote', case.pk)}?kind={VOTE_STEPS[number]}")
    form = StepForm(request.POST or None, number=number, initial={"number": number, "done_on": today})
    warnings = []
    if request.method == "POST" and form.is_valid():
        try:
            services.record_step(
                user,
                case,
                number,
                done_on=form.cleaned_data["done_on"],
                note=form.cleaned_data["note"],
                data=form.step_data(),
                accept_warnings=form.cleaned_data["accept_warnings"],
            )
        except ValidationError as exc:
            warnings = apply_service_errors(form, exc)
        else:
            messages.success(request, f"已记录：第{number}步 {stepdef.name}")
            return redirect("development:case", pk=case.pk)
    context = {
        "case": case,
        "form": form,
        "stepdef": stepdef,
        "warnings": warnings,
        "choices": [s for s in steps if s.number not in done],
        "done": done,
    }
    return render(request, "development/step.html", context)


def _url(name, pk):
    from django.urls import reverse

    return reverse(name, args=[pk])


@login_required
def vote(request, pk: int):
    user = request.user
    case = _manage(request, pk)
    if case.status != CaseStatus.ACTIVE:
        raise PermissionDenied("该发展档案已结束，不能再记录表决")
    kind = request.GET.get("kind")
    if kind not in VoteKind.values:
        kind = VoteKind.CONVERSION if case.admitted_on else VoteKind.ADMISSION
    initial = {
        "kind": kind,
        "held_on": _today(),
        "expected": selectors.voting_members(case.org),
        "against": 0,
        "abstain": 0,
        "written_in_favour": 0,
    }
    meeting = _vote_meeting(request, case)
    if meeting is not None:
        # From the meeting page: the date and the numbers come from the meeting's attendance records.
        numbers = orglife_selectors.voters(meeting)
        initial.update(
            meeting=meeting.pk,
            held_on=timezone.localtime(meeting.starts_at).date(),
            expected=numbers["expected"],
            present=numbers["present"],
        )
    form = VoteForm(request.POST or None, initial=initial)
    warnings = []
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("meeting", None)
        try:
            result = services.record_vote(user, case, meeting_id=meeting.pk if meeting else None, **data)
        except ValidationError as exc:
            warnings = apply_service_errors(form, exc)
        else:
            text = "表决通过" if result.passed else "表决未通过，档案保持在原步骤"
            (messages.success if result.passed else messages.warning)(request, f"已记录表决：{text}")
            return redirect("development:case", pk=case.pk)
    preview = _vote_preview(case, form.data if form.is_bound else initial)
    context = {"case": case, "form": form, "warnings": warnings, "preview": preview, "meeting": meeting}
    return render(request, "development/vote.html", context)


def _vote_meeting(request, case):
    """The 支部党员大会 (?meeting= or the form's hidden field) this vote belongs to: a meeting of the case's
    branch that can carry votes and has begun; 404 when it isn't one the user may see."""
    raw = request.POST.get("meeting") or request.GET.get("meeting")
    if not raw:
        return None
    meeting = orglife_selectors.get_meeting(request.user, raw)
    if meeting.org_id != case.org_id or not meeting.type.can_vote:
        raise Http404("该会议不是本支部可表决的党员大会")
    if meeting.starts_at > timezone.now() or meeting.status == "cancelled":
        raise Http404("该会议尚未召开")
    return meeting


def _vote_preview(case, data) -> rules.VoteResult | None:
    numbers = {}
    for name in VoteForm.NUMBERS:
        raw = data.get(name)
        if raw in (None, ""):
            if name == "written_in_favour":
                numbers[name] = 0
                continue
            return None
        try:
            numbers[name] = int(raw)
        except (TypeError, ValueError):
            return rules.VoteResult(valid=False, passed=False, errors=["请填写整数"], message="")
        if numbers[name] < 0:
            return rules.VoteResult(valid=False, passed=False, errors=["人数不能为负数"], message="")
    strict = facts.params_for(case).strict_majority
    return rules.vote_result(
        numbers["expected"],
        numbers["present"],
        numbers["in_favour"],
        numbers["against"],
        numbers["abstain"],
        numbers["written_in_favour"],
        strict=strict,
    )


@login_required
def vote_preview(request, pk: int):
    """htmx: the validity and result of the numbers typed so far (nothing is saved)."""
    case = selectors.get_case(request.user, pk, Perm.DEVELOPMENT_MANAGE)
    result = _vote_preview(case, request.GET)
    return render(request, "development/_vote_result.html", {"preview": result})


@login_required
@require_POST
def participants(request, pk: int):
    case = _manage(request, pk)
    form = ParticipantForm(request.POST, members=selectors.participant_choices(case))
    if form.is_valid():
        try:
            p = services.assign_participant(request.user, case, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已确定{p.get_role_display()}：{p.member.name}")
    else:
        messages.error(request, errors_text(form))
    return redirect(f"{_url('development:case', case.pk)}#people")


@login_required
@require_POST
def participant_end(request, pk: int):
    participant = get_object_or_404(Participant.objects.select_related("case", "member"), pk=pk)
    case = _manage(request, participant.case_id)
    form = EndParticipantForm(request.POST)
    if form.is_valid():
        try:
            services.end_participant(request.user, participant, form.cleaned_data["ended_on"])
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"{participant.member.name}不再担任{participant.get_role_display()}")
    else:
        messages.error(request, errors_text(form))
    return redirect(f"{_url('development:case', case.pk)}#people")


@login_required
@require_POST
def assessment(request, pk: int):
    case = _manage(request, pk)
    form = AssessmentForm(request.POST)
    if form.is_valid():
        try:
            services.add_assessment(request.user, case, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已记录考察意见")
    else:
        messages.error(request, errors_text(form))
    return redirect(f"{_url('development:case', case.pk)}#assessments")


def _case_form_page(request, case, form, on_valid, *, title, intro, danger=False, success="已保存"):
    if request.method == "POST" and form.is_valid():
        try:
            on_valid(form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect("development:case", pk=case.pk)
    context = {"case": case, "form": form, "title": title, "intro": intro, "danger": danger}
    return render(request, "development/form.html", context)


@login_required
def extend(request, pk: int):
    case = _manage(request, pk)
    form = ExtendForm(request.POST or None, initial={"decided_on": _today(), "months": 6})
    return _case_form_page(
        request,
        case,
        form,
        lambda data: services.extend_probation(request.user, case, **data),
        title=f"延长“{case.name}”的预备期",
        intro="预备期只能延长一次，期限为六个月至一年，须经支部党员大会讨论并报上级党委批准（党章 第七条）。",
        success="已延长预备期",
    )


@login_required
def stop(request, pk: int):
    case = _manage(request, pk)
    form = StopForm(request.POST or None, initial={"on": _today()})
    if case.admitted_on:
        intro = "该同志已是预备党员：终止即取消预备党员资格，党员档案状态改为“出党”，并记入档案历史。"
    else:
        intro = "终止后该发展档案不再继续，历史记录保留。"
    return _case_form_page(
        request,
        case,
        form,
        lambda data: services.stop_case(request.user, case, **data),
        title=f"终止“{case.name}”的发展",
        intro=intro,
        danger=True,
        success="已终止",
    )


@login_required
@require_POST
def documents(request, pk: int):
    case = _manage(request, pk)
    form = DocumentForm(request.POST, request.FILES, rule_set=case.rule_set)
    if form.is_valid():
        step = form.cleaned_data["step"]
        try:
            services.upload_document(
                request.user,
                case,
                title=form.cleaned_data["title"],
                file=form.cleaned_data["file"],
                step_number=step.number if step else None,
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "材料已上传")
    else:
        messages.error(request, errors_text(form))
    return redirect(f"{_url('development:case', case.pk)}#documents")


@login_required
def document_file(request, pk: int):
    document = get_object_or_404(Document.objects.select_related("case"), pk=pk)
    selectors.get_case(request.user, document.case_id)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("文件不存在") from None
    return FileResponse(handle, filename=document.file.name.rsplit("/", 1)[-1])


@login_required
@require_POST
def report_review(request, pk: int):
    report = get_object_or_404(ThoughtReport.objects.select_related("case"), pk=pk)
    case = _manage(request, report.case_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review_thought_report(request.user, report, comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已保存阅评意见")
    else:
        messages.error(request, errors_text(form))
    return redirect(f"{_url('development:case', case.pk)}#reports")


# --- The person's own page (phone) ----------------------------------------------------------------


@login_required
def my_reports(request):
    user = request.user
    cases = list(selectors.my_cases(user))
    active = {str(c.pk): c for c in cases if c.status == CaseStatus.ACTIVE}
    today = _today()
    posted = None
    if request.method == "POST":
        case = active.get(request.POST.get("case", ""))
        if case is None:
            raise Http404("没有进行中的发展档案")
        posted = ThoughtReportForm(request.POST, auto_id=f"id_c{case.pk}_%s")
        if posted.is_valid():
            try:
                services.submit_thought_report(user, case, **posted.cleaned_data)
            except ValidationError as exc:
                apply_errors(posted, exc)
            else:
                messages.success(request, "思想汇报已提交，党支部阅评后可在下方查看意见")
                return redirect("development:my_reports")
    items = []
    for c in cases:
        due = selectors.thought_report_due(c, today) if c.status == CaseStatus.ACTIVE else None
        if posted is not None and request.POST.get("case") == str(c.pk):
            form = posted
        else:
            form = ThoughtReportForm(auto_id=f"id_c{c.pk}_%s")
        items.append(
            {"case": c, "due": due, "days": (due.due_on - today).days if due else None, "form": form}
        )
    return render(request, "development/my_reports.html", {"items": items})


# --- Rules ------------------------------------------------------------------------------------------


@login_required
def rule_set(request):
    current = facts.current_rule_set()
    steps = list(current.steps.order_by("number"))
    stages = [{"stage": s, "steps": [st for st in steps if st.stage == s.value]} for s in Stage]
    params = rules.Params.from_dict(current.params)
    context = {"rule_set": current, "stages": stages, "params": params, "step_count": len(steps)}
    return render(request, "development/rules.html", context)


urlpatterns = [
    path("", board, name="board"),
    path("new/", create, name="create"),
    path("rules/", rule_set, name="rules"),
    path("my/", my_reports, name="my_reports"),
    path("<int:pk>/", case, name="case"),
    path("<int:pk>/step/", step, name="step"),
    path("<int:pk>/vote/", vote, name="vote"),
    path("<int:pk>/vote/preview/", vote_preview, name="vote_preview"),
    path("<int:pk>/participants/", participants, name="participants"),
    path("participants/<int:pk>/end/", participant_end, name="participant_end"),
    path("<int:pk>/assessment/", assessment, name="assessment"),
    path("<int:pk>/extend/", extend, name="extend"),
    path("<int:pk>/stop/", stop, name="stop"),
    path("<int:pk>/documents/", documents, name="documents"),
    path("documents/<int:pk>/", document_file, name="document_file"),
    path("reports/<int:pk>/review/", report_review, name="report_review"),
]
