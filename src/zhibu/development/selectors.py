"""Scoped reads of development cases: the board, one person's file and timeline, the phone page of the
person's own thought reports, and the 工作台 card.

Officers read cases through Perm.MEMBER_VIEW on the case's branch; a person may also read their own case
(`Case.user`). Rules are evaluated in Python (development.facts / rules) on already-loaded rows, so list
pages stay at a constant number of queries.
"""

import datetime as dt

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from zhibu.core import access, audit
from zhibu.core.access import Perm
from zhibu.core.models import AuditAction
from zhibu.development import facts, rules
from zhibu.development.models import (
    Assessment,
    BranchVote,
    Case,
    CaseStatus,
    Document,
    Participant,
    Stage,
    StepDef,
    StepRecord,
    ThoughtReport,
)
from zhibu.members.models import Member

BOARD_STATES = {"all": "全部", "overdue": "已逾期", "due_soon": "即将到期"}
OPEN_STATES = ("open", "due_soon", "overdue")


# --- Scope ----------------------------------------------------------------------------------------


def visible_cases(user):
    """Cases in the user's member.view scope, plus the user's own cases."""
    q = access.scope_q(user, Perm.MEMBER_VIEW, prefix="org__")
    if getattr(user, "is_authenticated", False):
        q |= Q(user=user)
    return Case.objects.filter(q)


def officer_cases(user):
    """Cases the user sees as an officer (member.view on the branch); never the user's own case."""
    return Case.objects.filter(access.scope_q(user, Perm.MEMBER_VIEW, prefix="org__"))


def get_case(user, pk, perm: Perm = Perm.MEMBER_VIEW, *, own: bool = False) -> Case:
    """The case if the user may `perm` its branch: 404 out of scope, 403 in scope without the permission.

    `own=True` also lets the person the case is about read it (thought-report submission)."""
    try:
        case = Case.objects.select_related("org", "group", "rule_set", "user", "member").get(pk=int(pk))
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该发展档案，或您无权访问") from None
    if own and getattr(user, "is_authenticated", False) and case.user_id == user.pk:
        return case
    access.require(user, perm, case.org)
    return case


def reveal_sensitive(user, case: Case, asked: bool, via: str = "页面") -> bool:
    """Whether to show the case's ID and mobile unmasked: only when asked and the user's role may
    (access.can_see_sensitive); each unmasked view is written to the audit log (domain-rules §9)."""
    if not asked or not access.can_see_sensitive(user, case.org):
        return False
    if case.id_number or case.mobile:
        audit.record(
            user,
            AuditAction.VIEW_SENSITIVE,
            case,
            org_id=case.org_id,
            summary=f"通过{via}查看发展档案“{case.name}”的身份证号和手机号",
        )
    return True


def manageable_branches(user):
    """Branches where the user may open cases: active regular/joint 党支部 with development.manage."""
    from zhibu.orgs.models import BranchKind, Organization, OrgType

    return (
        Organization.objects.filter(access.scope_q(user, Perm.DEVELOPMENT_MANAGE))
        .filter(org_type=OrgType.BRANCH, status="active")
        .exclude(branch_kind=BranchKind.TEMPORARY)
        .order_by("path")
    )


def voting_members(org) -> int:
    """Full members on the roll of the branch who may vote (not under 留党察看; domain-rules §2)."""
    return Member.objects.on_roll().full().under(org).filter(under_party_probation=False).count()


def participant_choices(case: Case):
    """Full members on the roll of the case's branch (candidates for mentor or sponsor)."""
    return Member.objects.on_roll().full().under(case.org).order_by("name")


# --- Evaluation -----------------------------------------------------------------------------------


def _steps_by_number(case: Case) -> dict[int, StepDef]:
    """{number: StepDef} of the case's rule set (free when facts.PREFETCH loaded rule_set__steps)."""
    return {s.number: s for s in case.rule_set.steps.all()}


def nearest_deadline(deadlines) -> rules.Deadline | None:
    """The open deadline due first (overdue ones included), or None. "candidate" is an earliest
    allowed date, not a due date: it is shown only when nothing else is open."""
    open_ = [d for d in deadlines if d.state in OPEN_STATES]
    due = [d for d in open_ if d.code not in EARLIEST_DATES] or open_
    return min(due, key=lambda d: d.due_on) if due else None


# Deadline codes that are the earliest day something may happen (not the latest).
EARLIEST_DATES = frozenset({"candidate"})


DEADLINE_CSS = {
    "overdue": "text-bg-danger",
    "due_soon": "text-bg-warning",
    "open": "text-bg-light border",
    "done": "text-bg-success",
    "done_late": "text-bg-secondary",
}
FINDING_CSS = {"error": "danger", "warning": "warning", "info": "info"}


def deadline_badge(d: rules.Deadline | None, today: dt.date) -> dict | None:
    """How to show a deadline: {deadline, css, text, days} (days left; negative when overdue)."""
    if d is None:
        return None
    days = (d.due_on - today).days
    if d.code in EARLIEST_DATES and d.state in OPEN_STATES:
        text = "已可办理" if days <= 0 else f"还需{days}天"
        css = "text-bg-success" if days <= 0 else "text-bg-light border"
        return {"deadline": d, "css": css, "text": text, "days": days}
    if d.state == "overdue":
        text = f"已逾期{-days}天" if days < 0 else "已逾期"
    elif d.state == "due_soon":
        text = "今天到期" if days == 0 else f"{days}天后到期"
    elif d.state == "open":
        text = f"还有{days}天"
    elif d.state == "done_late":
        text = "逾期完成"
    else:
        text = "已完成"
    return {"deadline": d, "css": DEADLINE_CSS.get(d.state, "text-bg-secondary"), "text": text, "days": days}


def evaluate_row(case: Case, result: dict, today: dt.date) -> dict:
    """One board row: the case, its computed deadlines and findings, the next step, flags."""
    deadlines = result["deadlines"]
    nearest = nearest_deadline(deadlines)
    return {
        "case": case,
        "last_step": _steps_by_number(case).get(case.last_step),
        "next_step": result["next_step"],
        "deadlines": deadlines,
        "findings": result["findings"],
        "nearest": nearest,
        "badge": deadline_badge(nearest, today),
        "overdue": any(d.state == "overdue" for d in deadlines),
        "due_soon": any(d.state == "due_soon" for d in deadlines),
        "errors": sum(1 for f in result["findings"] if f.level == "error"),
    }


def evaluate_rows(cases, today: dt.date | None = None) -> list[dict]:
    """Board rows of cases loaded with facts.PREFETCH (no query per case)."""
    cases = list(cases)
    today = today or timezone.localdate()
    results = facts.evaluate_many(cases, today)
    return [evaluate_row(c, r, today) for c, r in zip(cases, results, strict=True)]


# --- Board ----------------------------------------------------------------------------------------


def board_cases(user, *, org=None, stage=None, q=None):
    """Active cases in scope, filtered, in board order (branch, stage, application date)."""
    qs = officer_cases(user).filter(status=CaseStatus.ACTIVE)
    if org is not None:
        qs = qs.filter(Q(org__path__startswith=org.path) | Q(group=org))
    if stage:
        qs = qs.filter(stage=int(stage))
    if q:
        qs = qs.filter(name__icontains=q.strip())
    return qs.select_related("org", "group").order_by("org__path", "-stage", "applied_on", "pk")


class Board:
    """The board's rows, built lazily so a Paginator only loads and evaluates one page.

    Without a state filter a page is one slice of the queryset plus facts.PREFETCH (a constant number
    of queries). The states (overdue, due soon) are computed by the rules, not stored, so with a state
    filter every case in the other filters is evaluated, still in a constant number of queries.
    """

    def __init__(self, qs, state: str | None = None, today: dt.date | None = None):
        self.qs = qs
        self.state = state if state in ("overdue", "due_soon") else None
        self.today = today or timezone.localdate()
        self._rows: list[dict] | None = None

    def _evaluate(self, cases) -> list[dict]:
        return evaluate_rows(cases, self.today)

    def all_rows(self) -> list[dict]:
        if self._rows is None:
            rows = self._evaluate(self.qs.prefetch_related(*facts.PREFETCH))
            if self.state:
                rows = [r for r in rows if r[self.state]]
            self._rows = rows
        return self._rows

    def count(self) -> int:
        return len(self.all_rows()) if self.state else self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if self.state or self._rows is not None:
            return self.all_rows()[index]
        if isinstance(index, slice):
            return self._evaluate(self.qs.prefetch_related(*facts.PREFETCH)[index])
        rows = self._evaluate(self.qs.prefetch_related(*facts.PREFETCH)[index : index + 1])
        if not rows:
            raise IndexError(index)
        return rows[0]

    def __iter__(self):
        return iter(self.all_rows())


def board(user, *, org=None, stage=None, state=None, q=None, today=None) -> Board:
    """Rows {case, last_step, next_step, deadlines, findings, nearest, overdue, due_soon, errors} of the
    active cases in scope; a list-like object to hand to a Paginator (see Board)."""
    return Board(board_cases(user, org=org, stage=stage, q=q), state=state, today=today)


def stage_counts(user, *, org=None, q=None) -> list[dict]:
    """[{stage, label, count}] of active cases in scope for the five stages (one aggregate query)."""
    counts = dict(
        board_cases(user, org=org, q=q)
        .order_by()
        .values_list("stage")
        .annotate(n=Count("id"))
        .values_list("stage", "n")
    )
    return [{"stage": s.value, "label": s.label, "count": counts.get(s.value, 0)} for s in Stage]


# --- One case -------------------------------------------------------------------------------------


def case_with_everything(user, pk, perm: Perm = Perm.MEMBER_VIEW) -> Case:
    """get_case plus everything the case page and the rules need, prefetched."""
    case = get_case(user, pk, perm)
    qs = Case.objects.filter(pk=case.pk).select_related("org", "group", "user", "member")
    qs = qs.prefetch_related(
        *facts.PREFETCH,
        Prefetch(
            "records",
            queryset=StepRecord.objects.select_related("step", "recorded_by").order_by("step__number"),
            to_attr="record_list",
        ),
        Prefetch(
            "participants",
            queryset=Participant.objects.select_related("member").order_by("role", "assigned_on", "pk"),
            to_attr="participant_list",
        ),
        Prefetch("votes", queryset=BranchVote.objects.select_related("recorded_by"), to_attr="vote_list"),
        Prefetch(
            "assessments",
            queryset=Assessment.objects.select_related("recorded_by").order_by("assessed_on", "pk"),
            to_attr="assessment_list",
        ),
        Prefetch(
            "thought_reports",
            queryset=ThoughtReport.objects.select_related("submitted_by", "reviewed_by").order_by(
                "-submitted_on", "-pk"
            ),
            to_attr="report_list",
        ),
        Prefetch(
            "documents",
            queryset=Document.objects.select_related("step", "uploaded_by").order_by("-uploaded_at"),
            to_attr="document_list",
        ),
    )
    return qs.get()


def stepper(case: Case, next_step: StepDef | None) -> list[dict]:
    """The five stages with their steps: each {step, record, state: done | next | pending}."""
    records = {r.step.number: r for r in case.record_list}
    all_steps = sorted(case.rule_set.steps.all(), key=lambda s: s.number)
    stages = []
    for stage in Stage:
        steps = []
        for step in (s for s in all_steps if s.stage == stage.value):
            record = records.get(step.number)
            if record:
                state = "done"
            elif next_step is not None and step.number == next_step.number:
                state = "next"
            else:
                state = "pending"
            steps.append({"step": step, "record": record, "state": state})
        done = sum(1 for s in steps if s["state"] == "done")
        if case.stage > stage.value or (steps and done == len(steps)):
            stage_state = "done"
        elif case.stage == stage.value:
            stage_state = "current"
        else:
            stage_state = "pending"
        stages.append(
            {"stage": stage.value, "label": stage.label, "steps": steps, "state": stage_state, "done": done}
        )
    return stages


def vote_message(vote: BranchVote, params: rules.Params) -> str:
    """The computed validity/result sentence of a stored vote (domain-rules §2)."""
    result = rules.vote_result(
        vote.expected,
        vote.present,
        vote.in_favour,
        vote.against,
        vote.abstain,
        vote.written_in_favour,
        strict=params.strict_majority,
    )
    return result.message or "；".join(result.errors)


def warning_texts(record) -> list[str]:
    """The messages of the warnings stored on a step record ({code, message, source} or plain text)."""
    return [w.get("message", "") if isinstance(w, dict) else str(w) for w in (record.warnings or [])]


def _who(user) -> str:
    return user.display_name if user else "系统"


def timeline(case: Case) -> list[dict]:
    """Everything that happened in a case, oldest first: {on, kind, icon, title, detail, by, warnings}.

    Uses the lists case_with_everything prefetched when present."""

    def items(attr, manager):
        return getattr(case, attr) if hasattr(case, attr) else list(manager.all())

    entries = []
    for r in items("record_list", case.records.select_related("step", "recorded_by")):
        detail = [r.note] if r.note else []
        data = r.data or {}
        if data.get("training_days") is not None or data.get("training_hours") is not None:
            days, hours = float(data.get("training_days") or 0), float(data.get("training_hours") or 0)
            detail.append(f"集中培训{days:g}天、{hours:g}学时")
        if data.get("notice_start"):
            detail.append(f"公示自{data['notice_start']}起")
        entries.append(
            {
                "on": r.done_on,
                "kind": "step",
                "icon": "check2-circle",
                "title": f"第{r.step.number}步 {r.step.name}",
                "detail": "；".join(detail),
                "by": _who(r.recorded_by),
                "warnings": warning_texts(r),
                "order": 0,
            }
        )
    params = None
    for v in items("vote_list", case.votes.select_related("recorded_by")):
        params = params or facts.params_for(case)
        entries.append(
            {
                "on": v.held_on,
                "kind": "vote",
                "icon": "hand-thumbs-up",
                "title": f"支部党员大会表决：{v.get_kind_display()}（{'通过' if v.passed else '未通过'}）",
                "detail": vote_message(v, params),
                "by": _who(v.recorded_by),
                "warnings": [],
                "order": 1,
            }
        )
    for a in items("assessment_list", case.assessments.select_related("recorded_by")):
        entries.append(
            {
                "on": a.assessed_on,
                "kind": "assessment",
                "icon": "clipboard-check",
                "title": f"考察（{a.get_stage_display()}）",
                "detail": a.result,
                "by": _who(a.recorded_by),
                "warnings": [],
                "order": 2,
            }
        )
    for p in items("participant_list", case.participants.select_related("member")):
        role = p.get_role_display()
        entries.append(
            {
                "on": p.assigned_on,
                "kind": "participant",
                "icon": "person-plus",
                "title": f"确定{role}：{p.member.name}",
                "detail": "",
                "by": "",
                "warnings": [],
                "order": 3,
            }
        )
        if p.ended_on:
            entries.append(
                {
                    "on": p.ended_on,
                    "kind": "participant",
                    "icon": "person-dash",
                    "title": f"{role}{p.member.name}不再担任",
                    "detail": "",
                    "by": "",
                    "warnings": [],
                    "order": 3,
                }
            )
    for t in items("report_list", case.thought_reports.select_related("submitted_by", "reviewed_by")):
        entries.append(
            {
                "on": t.submitted_on,
                "kind": "report",
                "icon": "journal-text",
                "title": f"思想汇报：{t.title}",
                "detail": f"阅评：{t.comment}" if t.comment else "待阅评",
                "by": _who(t.submitted_by),
                "warnings": [],
                "order": 4,
            }
        )
    for d in items("document_list", case.documents.select_related("step", "uploaded_by")):
        entries.append(
            {
                "on": timezone.localdate(d.uploaded_at),
                "kind": "document",
                "icon": "file-earmark-arrow-up",
                "title": f"上传材料：{d.title}",
                "detail": f"第{d.step.number}步 {d.step.name}" if d.step else "",
                "by": _who(d.uploaded_by),
                "warnings": [],
                "order": 5,
            }
        )
    entries.sort(key=lambda e: (e["on"], e["order"]))
    return entries


# --- The person's own page -----------------------------------------------------------------------


def my_cases(user):
    """The user's own cases (active first), with their thought reports, for the phone 思想汇报 page."""
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    return (
        Case.objects.filter(user=user)
        .select_related("org")
        .prefetch_related(
            *facts.PREFETCH,
            Prefetch(
                "thought_reports",
                queryset=ThoughtReport.objects.select_related("reviewed_by").order_by("-submitted_on", "-pk"),
                to_attr="report_list",
            ),
        )
        .order_by("status", "-applied_on", "-pk")
    )


def thought_report_due(case: Case, today: dt.date | None = None) -> rules.Deadline | None:
    """The next thought-report deadline of an active case, from the rules."""
    if case.status != CaseStatus.ACTIVE:
        return None
    result = facts.evaluate(case, today=today or timezone.localdate())
    return next((d for d in result["deadlines"] if d.code == "thought_report"), None)


def review_queue(user, limit: int = 20):
    """Thought reports waiting for a comment in the user's development.manage scope, oldest first."""
    return (
        ThoughtReport.objects.filter(
            access.scope_q(user, Perm.DEVELOPMENT_MANAGE, prefix="case__org__"), comment=""
        )
        .select_related("case", "case__org")
        .order_by("submitted_on", "pk")[:limit]
    )


# --- 工作台 ----------------------------------------------------------------------------------------


def home_card(user, today: dt.date | None = None) -> dict:
    """The 工作台 card: for officers the counts of active/overdue/due-soon cases in scope and the most
    urgent ones; for a person with an active case their stage and next thought report. Constant queries.

    {"show": bool, "officer": {active, overdue, due_soon, urgent: [row]} | None,
     "own": [{case, stage, next_step, report_due}]}"""
    today = today or timezone.localdate()
    card: dict = {"show": False, "officer": None, "own": []}
    if access.has_perm(user, Perm.MEMBER_VIEW):
        rows = Board(board_cases(user), today=today).all_rows()
        urgent = [r for r in rows if r["overdue"] or r["due_soon"]]
        urgent.sort(key=lambda r: (not r["overdue"], r["nearest"].due_on if r["nearest"] else today))
        card["officer"] = {
            "active": len(rows),
            "overdue": sum(1 for r in rows if r["overdue"]),
            "due_soon": sum(1 for r in rows if r["due_soon"] and not r["overdue"]),
            "urgent": urgent[:5],
        }
    own = [c for c in my_cases(user) if c.status == CaseStatus.ACTIVE]
    for case in own:
        result = facts.evaluate(case, today=today)
        card["own"].append(
            {
                "case": case,
                "stage": case.get_stage_display(),
                "next_step": result["next_step"],
                "report_due": next((d for d in result["deadlines"] if d.code == "thought_report"), None),
            }
        )
    card["show"] = bool(card["officer"] or card["own"])
    return card
