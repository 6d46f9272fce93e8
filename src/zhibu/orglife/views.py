"""组织生活 meeting pages. Officers (desktop and phone): the meeting list, plan/edit, the meeting record
with its lifecycle actions, attendance, minutes, votes, attachments and the check-in QR code. Members
(phone first): 我的会议 and the check-in landing page the QR code opens. Thin: parse, call a service or
selector, render."""

import datetime as dt
from dataclasses import dataclass

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhibu.core import access, config
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError
from zhibu.core.forms import apply_errors
from zhibu.members.models import Category, Member
from zhibu.orglife import rules, selectors, services
from zhibu.orglife.forms import (
    AddAttendeeForm,
    AttachmentForm,
    AttendanceRowForm,
    CancelForm,
    ElectionForm,
    ExclusionForm,
    MeetingForm,
    MinutesFormSet,
    ResolutionForm,
    SummaryForm,
)
from zhibu.orglife.models import (
    Attachment,
    AttendanceStatus,
    Attendees,
    Meeting,
    MeetingStatus,
    MeetingType,
    VoteExclusion,
    VoteKind,
)
from zhibu.orgs import selectors as org_selectors
from zhibu.orgs.models import OrgType

PAGE_SIZE = 30
ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
STEPS = [
    (MeetingStatus.PLANNED, "计划"),
    (MeetingStatus.NOTIFIED, "通知"),
    (MeetingStatus.HELD, "召开"),
    (MeetingStatus.RECORDED, "记录"),
    (MeetingStatus.ARCHIVED, "归档"),
]


def _now() -> dt.datetime:
    return timezone.now()


def _error_text(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _managed(request, pk) -> Meeting:
    """A meeting the user may run: 404 when they can't see it, 403 when they may only read it."""
    meeting = selectors.get_meeting(request.user, pk)
    access.require(request.user, Perm.ORGLIFE_MANAGE, meeting.org)
    return meeting


def _open_for_edit(request, meeting: Meeting):
    """A redirect to the meeting page when it is archived or cancelled (its record is locked)."""
    if meeting.is_locked:
        messages.warning(request, f"会议{meeting.get_status_display()}，记录已锁定，不能修改")
        return redirect("orglife:meeting", pk=meeting.pk)
    return None


def _window(meeting: Meeting) -> tuple[dt.datetime, dt.datetime]:
    return rules.checkin_window(
        meeting.starts_at,
        meeting.ends_at,
        config.get(meeting.org, "orglife.checkin_before_minutes"),
        config.get(meeting.org, "orglife.checkin_after_minutes"),
    )


def _indented(orgs) -> list:
    orgs = list(orgs[:500])
    top = min((o.depth for o in orgs), default=0)
    for o in orgs:
        o.indent = "\u3000" * (o.depth - top)
    return orgs


def _branch_people(org):
    """Members on the roll of the meeting's branch (host, recorder, attendees to add)."""
    return Member.objects.on_roll().filter(org=selectors.branch_of(org)).order_by("name", "pk")


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    state: str  # done | current | todo


def _stepper(meeting: Meeting) -> list[Step]:
    """The steps reached are done; the next one is where the meeting stands now."""
    keys = [k for k, _ in STEPS]
    at = keys.index(meeting.status) if meeting.status in keys else -1
    return [
        Step(k, label, "done" if i <= at else "current" if i == at + 1 else "todo")
        for i, (k, label) in enumerate(STEPS)
    ]


def _summary(rows) -> dict:
    """应到/实到/缺席 counts of a meeting's attendance rows."""
    counts = {s: 0 for s in AttendanceStatus.values}
    for a in rows:
        counts[a.status] += 1
    return {
        "expected": len(rows),
        "present": counts[AttendanceStatus.PRESENT] + counts[AttendanceStatus.LATE],
        "late": counts[AttendanceStatus.LATE],
        "absent": counts[AttendanceStatus.ABSENT],
        "pending": counts[AttendanceStatus.PENDING],
        "makeup": sum(1 for a in rows if a.makeup_on),
    }


# --- Officer pages: the meeting list --------------------------------------------------------------


def _year_month(params) -> tuple[int, int | None]:
    today = timezone.localdate()
    try:
        year = int(params.get("year") or today.year)
    except ValueError:
        year = today.year
    if not 2000 <= year <= today.year + 5:
        year = today.year
    try:
        month = int(params.get("month") or 0) or None
    except ValueError:
        month = None
    if month is not None and not 1 <= month <= 12:
        month = None
    return year, month


def _types_for_list(org) -> list[MeetingType]:
    """The meeting types that can appear under `org`: system types and those defined on its path or below."""
    selectors.ensure_seeded()
    steplen = type(org).steplen
    above = [org.path[:i] for i in range(steplen, len(org.path) + 1, steplen)]
    return list(
        MeetingType.objects.filter(
            Q(org__isnull=True) | Q(org__path__in=above) | Q(org__path__startswith=org.path)
        ).order_by("order", "id")
    )


@login_required
def meetings(request):
    user = request.user
    if not access.has_perm(user, Perm.ORGLIFE_VIEW):
        if selectors.own_member(user) is not None:
            return redirect("orglife:mine")
        raise PermissionDenied("您没有查看组织生活的权限")
    orgs = org_selectors.visible_orgs(user, Perm.ORGLIFE_VIEW).filter(status="active").order_by("path")
    raw = request.GET.get("org", "").strip()
    org = org_selectors.get_org(user, raw, Perm.ORGLIFE_VIEW) if raw else orgs.first()
    if org is None:
        raise PermissionDenied("您没有可查看的组织")
    year, month = _year_month(request.GET)
    start = dt.date(year, month or 1, 1)
    end = (
        dt.date(year, 12, 31)
        if month is None
        else (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1))
    )
    types = _types_for_list(org)
    rows = selectors.meetings_of(org, start, end)
    type_id = request.GET.get("type", "")
    if type_id.isdigit():
        rows = rows.filter(type_id=int(type_id))
    status = request.GET.get("status", "")
    if status in MeetingStatus.values:
        rows = rows.filter(status=status)
    rows = rows.annotate(
        n_expected=Count("attendances"),
        n_present=Count("attendances", filter=Q(attendances__status__in=ATTENDED)),
    ).order_by("-starts_at", "-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    can_plan = selectors.manageable_orgs(user).exists()
    today = timezone.localdate()
    context = {
        "org": org,
        "orgs": _indented(orgs),
        "page": page,
        "year": year,
        "month": month,
        "years": list(range(today.year + 1, today.year - 6, -1)),
        "months": list(range(1, 13)),
        "types": types,
        "type_id": int(type_id) if type_id.isdigit() else None,
        "status": status,
        "statuses": MeetingStatus.choices,
        "now": _now(),
        "show_org": org.org_type != OrgType.GROUP,
        "can_plan": can_plan,
        "plan_org": org
        if org.org_type in (OrgType.BRANCH, OrgType.GROUP) and selectors.can_manage(user, org)
        else None,
    }
    return render(request, "orglife/meetings.html", context)


# --- Plan and edit --------------------------------------------------------------------------------


@login_required
def plan(request):
    user = request.user
    orgs = selectors.manageable_orgs(user)
    raw = (request.POST.get("org") or request.GET.get("org") or "").strip()
    org = org_selectors.get_org(user, raw, Perm.ORGLIFE_MANAGE) if raw else orgs.first()
    if org is None:
        raise PermissionDenied("您没有可计划会议的党支部或党小组")
    if org.org_type not in (OrgType.BRANCH, OrgType.GROUP):
        messages.info(request, "会议由党支部或党小组召开，请先选择党支部或党小组")
        org = orgs.filter(path__startswith=org.path).first()
        if org is None:
            raise Http404("该组织下没有可召开会议的党支部或党小组")
        return redirect(f"{reverse('orglife:plan')}?org={org.pk}")
    types = selectors.meeting_types(org)
    if not types:
        raise Http404("该组织没有可用的会议类型")
    chosen = next((t for t in types if str(t.pk) == request.GET.get("type")), types[0])
    starts = timezone.localtime().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    starts = starts.replace(hour=14, minute=30)
    initial = {
        "type": chosen.pk,
        "starts_at": starts,
        "ends_at": starts + dt.timedelta(hours=2),
        "agenda": chosen.minutes_template,
    }
    form = MeetingForm(request.POST or None, types=types, people=_branch_people(org), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.plan_meeting(user, org, form.chosen_type(), **form.service_kwargs())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已计划会议：{meeting.topic}。下一步：发出通知")
            return redirect("orglife:meeting", pk=meeting.pk)
    if form.is_bound:
        chosen = form.types.get(_int(form.data.get("type")), chosen)
    context = {
        "form": form,
        "org": org,
        "orgs": _indented(orgs) if orgs.count() > 1 else [],
        "meeting": None,
        "chosen": chosen,
    }
    return render(request, "orglife/meeting_form.html", context)


def _int(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@login_required
def edit(request, pk: int):
    user = request.user
    meeting = _managed(request, pk)
    locked = _open_for_edit(request, meeting)
    if locked:
        return locked
    initial = {f: getattr(meeting, f) for f in MeetingForm.SERVICE_FIELDS}
    initial["starts_at"] = timezone.localtime(meeting.starts_at)
    initial["ends_at"] = timezone.localtime(meeting.ends_at)
    initial["agenda"] = meeting.agenda
    form = MeetingForm(request.POST or None, people=_branch_people(meeting.org), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_meeting(user, meeting, **form.service_kwargs())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已保存会议信息")
            return redirect("orglife:meeting", pk=meeting.pk)
    context = {"form": form, "org": meeting.org, "meeting": meeting, "chosen": meeting.type, "orgs": []}
    return render(request, "orglife/meeting_form.html", context)


# --- The meeting record ---------------------------------------------------------------------------


def _development_cases(user, meeting: Meeting):
    """Cases of the branch awaiting an admission or conversion vote at a 支部党员大会 (when the user keeps the
    development files): linked from the meeting to the development vote form."""
    from zhibu.development import selectors as development
    from zhibu.development.models import CaseStatus, Stage

    if not (
        meeting.type.can_vote
        and meeting.type.attendees == Attendees.BRANCH
        and meeting.org.org_type == OrgType.BRANCH
        and access.has_perm(user, Perm.DEVELOPMENT_MANAGE, meeting.org)
    ):
        return []
    return list(
        development.officer_cases(user)
        .filter(org=meeting.org, status=CaseStatus.ACTIVE, stage__in=[Stage.ADMISSION, Stage.PROBATION])
        .order_by("stage", "name")[:50]
    )


def _development_votes(meeting: Meeting):
    from zhibu.development.models import BranchVote

    return list(
        BranchVote.objects.filter(meeting_id=meeting.pk).select_related("case").order_by("recorded_at")
    )


@login_required
def attendance_source(request, source_id: str):
    """Where a points entry scored for an attendance leads: its meeting (404 when not visible). The link
    is built without a query, so a ledger page links every entry at no cost."""
    meeting_id = selectors.meeting_of_attendance(source_id)
    if meeting_id is None:
        raise Http404("未找到该会议，或您无权查看")
    return redirect("orglife:meeting", pk=selectors.get_meeting(request.user, meeting_id).pk)


@login_required
def meeting_detail(request, pk: int):
    user = request.user
    meeting = selectors.get_meeting(user, pk)
    can_manage = selectors.can_manage(user, meeting)
    rows = list(selectors.attendances(meeting))
    member = selectors.own_member(user)
    own = next((a for a in rows if member is not None and a.member_id == member.pk), None)
    started = _now() >= meeting.starts_at
    status = meeting.status
    context = {
        "meeting": meeting,
        "can_manage": can_manage,
        "steps": _stepper(meeting),
        "rows": rows if can_manage else [],
        "absent_rows": [a for a in rows if a.status == AttendanceStatus.ABSENT] if can_manage else [],
        "summary": _summary(rows),
        "own": own,
        "minutes": list(meeting.minutes.all()),
        "votes": list(meeting.votes.all()),
        "dev_votes": _development_votes(meeting),
        "can_see_cases": access.has_perm(user, Perm.MEMBER_VIEW, meeting.org),
        "attachments": list(meeting.attachments.all()),
        "started": started,
        "can_notify": can_manage
        and status in (MeetingStatus.PLANNED, MeetingStatus.NOTIFIED, MeetingStatus.HELD),
        "can_hold": can_manage and status == MeetingStatus.NOTIFIED and started,
        "can_complete": can_manage and status in (MeetingStatus.NOTIFIED, MeetingStatus.HELD) and started,
        "can_archive": can_manage and status == MeetingStatus.RECORDED,
        "can_cancel": can_manage and status in (MeetingStatus.PLANNED, MeetingStatus.NOTIFIED),
        "can_record": can_manage and not meeting.is_locked and status != MeetingStatus.PLANNED,
        "cancel_form": CancelForm(),
        "attachment_form": AttachmentForm(),
    }
    if can_manage and not meeting.is_locked:
        context["window"] = _window(meeting)
    return render(request, "orglife/meeting.html", context)


def _transition(request, pk, action):
    meeting = _managed(request, pk)
    user = request.user
    try:
        if action == "notify":
            added = services.notify(user, meeting)
            messages.success(request, f"已发出会议通知：{added}人收到通知（在“我的会议”中可见）")
        elif action == "held":
            services.mark_held(user, meeting)
            messages.success(request, "已确认会议召开。请登记出席情况并填写会议记录")
        elif action == "complete":
            services.complete_record(user, meeting)
            messages.success(request, "会议记录已完成，可以归档")
        elif action == "archive":
            services.archive(user, meeting)
            messages.success(request, "会议已归档，记录已锁定")
        elif action == "cancel":
            services.cancel(user, meeting, request.POST.get("reason", ""))
            messages.success(request, "会议已取消")
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("orglife:meeting", pk=meeting.pk)


@login_required
@require_POST
def notify(request, pk: int):
    return _transition(request, pk, "notify")


@login_required
@require_POST
def mark_held(request, pk: int):
    return _transition(request, pk, "held")


@login_required
@require_POST
def complete(request, pk: int):
    return _transition(request, pk, "complete")


@login_required
@require_POST
def archive(request, pk: int):
    return _transition(request, pk, "archive")


@login_required
@require_POST
def cancel(request, pk: int):
    return _transition(request, pk, "cancel")


# --- Attendance -----------------------------------------------------------------------------------


def _row_initial(a) -> dict:
    return {
        "status": a.status if a.status != AttendanceStatus.PENDING else "",
        "absence_reason": a.absence_reason,
        "absence_note": a.absence_note,
        "makeup_on": a.makeup_on,
        "makeup_note": a.makeup_note,
    }


@login_required
def attendance(request, pk: int, add_form=None):
    user = request.user
    meeting = _managed(request, pk)
    locked = _open_for_edit(request, meeting)
    if locked:
        return locked
    rows = list(selectors.attendances(meeting))
    posted = request.method == "POST" and add_form is None
    forms = [
        AttendanceRowForm(request.POST if posted else None, prefix=f"m{a.member_id}", initial=_row_initial(a))
        for a in rows
    ]
    errors: list[str] = []
    if posted:
        if all(f.is_valid() for f in forms):
            rest = request.POST.get("rest") == "present"  # 其余人员记为出席: the rows left pending
            marks = {}
            for a, f in zip(rows, forms, strict=True):
                mark = f.mark()
                if mark is None and rest and a.status == AttendanceStatus.PENDING:
                    mark = {"status": AttendanceStatus.PRESENT}
                if mark is not None:
                    marks[a.member_id] = mark
            try:
                changed = services.mark_attendance(user, meeting, marks)
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(
                    request, f"已保存出席情况：{changed}人有变动" if changed else "出席情况没有变动"
                )
                if request.POST.get("next") == "minutes":
                    return redirect("orglife:minutes", pk=meeting.pk)
                return redirect("orglife:attendance", pk=meeting.pk)
        else:
            errors = ["请检查标红的行"]
    present = {a.member_id for a in rows}
    people = _branch_people(meeting.org).exclude(pk__in=present)
    context = {
        "meeting": meeting,
        "rows": list(zip(rows, forms, strict=True)),
        "summary": _summary(rows),
        "errors": errors,
        "add_form": add_form or AddAttendeeForm(people=people),
        "started": _now() >= meeting.starts_at,
    }
    return render(request, "orglife/attendance.html", context, status=400 if errors else 200)


@login_required
@require_POST
def add_attendee(request, pk: int):
    meeting = _managed(request, pk)
    present = meeting.attendances.values("member_id")
    form = AddAttendeeForm(request.POST, people=_branch_people(meeting.org).exclude(pk__in=present))
    if form.is_valid():
        member = form.cleaned_data["member"]
        try:
            services.add_attendee(request.user, meeting, member)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, f"已将{member.name}加入参会名单")
        return redirect("orglife:attendance", pk=meeting.pk)
    return attendance(request, pk, add_form=form)


# --- Minutes --------------------------------------------------------------------------------------


@login_required
def minutes(request, pk: int):
    user = request.user
    meeting = _managed(request, pk)
    locked = _open_for_edit(request, meeting)
    if locked:
        return locked
    items = list(meeting.minutes.all())
    if items:
        initial = [{"title": i.title, "discussion": i.discussion, "resolution": i.resolution} for i in items]
    else:
        initial = [{"title": line.strip()} for line in meeting.agenda.splitlines() if line.strip()]
    posted = request.POST if request.method == "POST" else None
    formset = MinutesFormSet(posted, initial=initial, prefix="items")
    summary_form = SummaryForm(posted, initial={"summary": meeting.summary})
    if posted is not None and formset.is_valid() and summary_form.is_valid():
        try:
            saved = services.save_minutes(
                user, meeting, [f.cleaned_data for f in formset.forms], summary_form.cleaned_data["summary"]
            )
        except ValidationError as exc:
            summary_form.add_error(None, exc.messages)
        else:
            text = f"已保存会议记录：{len(saved)}项"
            if request.POST.get("complete"):
                try:
                    services.complete_record(user, meeting)
                except ValidationError as exc:
                    messages.warning(request, f"{text}；尚不能完成记录：{_error_text(exc)}")
                    return redirect("orglife:meeting", pk=meeting.pk)
                text += "，会议记录已完成"
            messages.success(request, text)
            return redirect("orglife:meeting", pk=meeting.pk)
    context = {
        "meeting": meeting,
        "formset": formset,
        "summary_form": summary_form,
        "started": _now() >= meeting.starts_at,
        "from_agenda": not items and bool(initial),
    }
    return render(request, "orglife/minutes.html", context)


# --- Votes ----------------------------------------------------------------------------------------


def _absent_voters(meeting: Meeting):
    """Voting members on the list who are not (yet) present and not already left out of "expected"."""
    return (
        Member.objects.filter(
            attendances__meeting=meeting,
            attendances__status__in=(AttendanceStatus.PENDING, AttendanceStatus.ABSENT),
            category=Category.FULL,
            under_party_probation=False,
        )
        .exclude(pk__in=VoteExclusion.objects.filter(meeting=meeting).values("member_id"))
        .order_by("name", "pk")
    )


@login_required
def votes(request, pk: int, exclusion_form=None):
    user = request.user
    meeting = _managed(request, pk)
    locked = _open_for_edit(request, meeting)
    if locked:
        return locked
    if not meeting.type.can_vote:
        messages.warning(request, f"{meeting.type.name}不进行表决")
        return redirect("orglife:meeting", pk=meeting.pk)
    kind = request.POST.get("kind") if request.method == "POST" and exclusion_form is None else None
    resolution_form = ResolutionForm(request.POST if kind == VoteKind.RESOLUTION else None)
    election_form = ElectionForm(request.POST if kind == VoteKind.ELECTION else None)
    form = {VoteKind.RESOLUTION: resolution_form, VoteKind.ELECTION: election_form}.get(kind)
    if form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            if kind == VoteKind.RESOLUTION:
                vote = services.record_vote(
                    user,
                    meeting,
                    kind=kind,
                    subject=data["subject"],
                    in_favour=data["in_favour"],
                    against=data["against"],
                    abstain=data["abstain"],
                )
            else:
                vote = services.record_vote(
                    user,
                    meeting,
                    kind=kind,
                    subject=data["subject"],
                    candidates=data["candidates"],
                    seats=data["seats"],
                )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            (messages.success if vote.passed else messages.warning)(request, f"已记录表决：{vote.message}")
            return redirect("orglife:votes", pk=meeting.pk)
    context = {
        "meeting": meeting,
        "numbers": selectors.voters(meeting),
        "resolution_form": resolution_form,
        "election_form": election_form,
        "kind": kind,
        "exclusion_form": exclusion_form or ExclusionForm(people=_absent_voters(meeting)),
        "exclusions": list(VoteExclusion.objects.filter(meeting=meeting).select_related("member")),
        "votes": list(meeting.votes.all()),
        "dev_votes": _development_votes(meeting),
        "dev_cases": _development_cases(user, meeting),
        "started": _now() >= meeting.starts_at,
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "orglife/votes.html", context, status=status)


@login_required
@require_POST
def exclude(request, pk: int):
    meeting = _managed(request, pk)
    form = ExclusionForm(request.POST, people=_absent_voters(meeting))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.exclude_voter(request.user, meeting, data["member"], data["reason"], data["approved_by"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{data['member'].name}已不计入应到人数")
            return redirect("orglife:votes", pk=meeting.pk)
    return votes(request, pk, exclusion_form=form)


# --- Attachments ----------------------------------------------------------------------------------


@login_required
@require_POST
def upload(request, pk: int):
    meeting = _managed(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            att = services.add_attachment(
                request.user, meeting, form.cleaned_data["title"], form.cleaned_data["file"]
            )
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, f"已上传附件：{att.title}")
    else:
        messages.error(request, "未上传：" + "；".join(e for errs in form.errors.values() for e in errs))
    return redirect(f"{reverse('orglife:meeting', args=[meeting.pk])}#attachments")


@login_required
def attachment(request, pk: int):
    """Download an attachment: whoever can read the meeting (404 otherwise)."""
    att = Attachment.objects.filter(pk=pk).first()
    if att is None:
        raise Http404("附件不存在")
    selectors.get_meeting(request.user, att.meeting_id)
    try:
        handle = att.file.open("rb")
    except FileNotFoundError:
        raise Http404("文件不存在") from None
    return FileResponse(handle, filename=att.file.name.rsplit("/", 1)[-1])


# --- Check-in ------------------------------------------------------------------------------------


def _checked_in(meeting: Meeting):
    return list(
        meeting.attendances.filter(status__in=ATTENDED)
        .select_related("member")
        .order_by("-checked_in_at", "member__name")
    )


@login_required
def qr(request, pk: int):
    """The QR code the host shows on screen; the count of who is in refreshes every 15 s (htmx)."""
    meeting = _managed(request, pk)
    opens, closes = _window(meeting)
    arrived = _checked_in(meeting)
    context = {
        "meeting": meeting,
        "opens": opens,
        "closes": closes,
        "arrived": arrived,
        "expected": meeting.attendances.count(),
        "problem": rules.checkin_problem(_now(), opens, closes),
        "closed": meeting.status in (MeetingStatus.CANCELLED, MeetingStatus.RECORDED, MeetingStatus.ARCHIVED),
    }
    if request.headers.get("HX-Request"):
        return render(request, "orglife/_qr_count.html", context)
    url = request.build_absolute_uri(reverse("orglife:checkin", args=[meeting.checkin_token]))
    context["url"] = url
    context["svg"] = segno.make(url, error="m").svg_inline(scale=10, omitsize=True, title="签到二维码")
    return render(request, "orglife/qr.html", context)


@login_required
def checkin(request, token: str):
    """Where the QR code leads (after login if needed): the meeting and one big 签到 button."""
    user = request.user
    meeting = Meeting.objects.select_related("org", "type").filter(checkin_token=token).first()
    if meeting is None:
        return render(request, "orglife/checkin.html", {"meeting": None, "error": "签到码无效"}, status=404)
    error = ""
    if request.method == "POST":
        try:
            att, created = services.check_in(user, token)
        except ValidationError as exc:
            error = _error_text(exc)
        else:
            when = f"{timezone.localtime(att.checked_in_at):%H:%M}"
            if not created:
                messages.info(request, f"您已于{when}签到，无需重复签到")
            elif att.status == AttendanceStatus.LATE:
                messages.warning(request, f"已签到（{when}，迟到）")
            else:
                messages.success(request, f"签到成功（{when}）")
            return redirect("orglife:checkin", token=token)
    member = selectors.own_member(user)
    own = meeting.attendances.filter(member=member).first() if member is not None else None
    opens, closes = _window(meeting)
    problem = rules.checkin_problem(_now(), opens, closes)
    if meeting.status in (MeetingStatus.CANCELLED, MeetingStatus.RECORDED, MeetingStatus.ARCHIVED):
        problem = f"会议{meeting.get_status_display()}，不能签到"
    if member is None:
        problem = "您的账户未关联党员档案，请联系会议记录人登记出席"
    context = {
        "meeting": meeting,
        "own": own,
        "done": own is not None and own.status in ATTENDED,
        "problem": problem,
        "error": error,
        "opens": opens,
        "closes": closes,
        "can_read": own is not None or selectors.visible_meetings(user).filter(pk=meeting.pk).exists(),
    }
    return render(request, "orglife/checkin.html", context, status=400 if error else 200)


# --- 我的会议 ------------------------------------------------------------------------------------


@login_required
def mine(request):
    user = request.user
    member = selectors.own_member(user)
    if member is None:
        return render(request, "orglife/mine.html", {"member": None})
    now = _now()
    upcoming = list(selectors.my_meetings(user, upcoming=True).order_by("meeting__starts_at")[:20])
    windows: dict[int, tuple] = {}
    for a in upcoming:
        m = a.meeting
        if m.org_id not in windows:
            windows[m.org_id] = (
                config.get(m.org, "orglife.checkin_before_minutes"),
                config.get(m.org, "orglife.checkin_after_minutes"),
            )
        before, after = windows[m.org_id]
        opens, closes = rules.checkin_window(m.starts_at, m.ends_at, before, after)
        a.checkin_open = opens <= now <= closes and a.status not in ATTENDED and not m.is_held
        a.online_only = bool(m.online_link) and not m.place
    page = Paginator(selectors.my_meetings(user, upcoming=False), 20).get_page(request.GET.get("page"))
    context = {"member": member, "upcoming": upcoming, "page": page, "now": now}
    return render(request, "orglife/mine.html", context)


urlpatterns = [
    path("", meetings, name="meetings"),
    path("mine/", mine, name="mine"),
    path("plan/", plan, name="plan"),
    path("meetings/<int:pk>/", meeting_detail, name="meeting"),
    path("meetings/<int:pk>/edit/", edit, name="edit"),
    path("meetings/<int:pk>/notify/", notify, name="notify"),
    path("meetings/<int:pk>/held/", mark_held, name="held"),
    path("meetings/<int:pk>/complete/", complete, name="complete"),
    path("meetings/<int:pk>/archive/", archive, name="archive"),
    path("meetings/<int:pk>/cancel/", cancel, name="cancel"),
    path("meetings/<int:pk>/attendance/", attendance, name="attendance"),
    path("meetings/<int:pk>/attendance/add/", add_attendee, name="add_attendee"),
    path("meetings/<int:pk>/minutes/", minutes, name="minutes"),
    path("meetings/<int:pk>/votes/", votes, name="votes"),
    path("meetings/<int:pk>/votes/exclude/", exclude, name="exclude"),
    path("meetings/<int:pk>/attachments/", upload, name="upload"),
    path("meetings/<int:pk>/qr/", qr, name="qr"),
    path("attachments/<int:pk>/", attachment, name="attachment"),
    path("attendances/<str:source_id>/", attendance_source, name="attendance_source"),
    path("checkin/<str:token>/", checkin, name="checkin"),
]
