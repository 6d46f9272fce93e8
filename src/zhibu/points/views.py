"""积分管理 pages. Members (phone first): my points, self-report, appeals. Officers: overview, a member's
ledger, the award/deduct form, the approval queue, appeals, rankings (opt-in), published rankings and the
rule catalogue. Thin: parse, call a service or selector, render."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError
from zhibu.core.forms import apply_errors
from zhibu.orgs.models import OrgType
from zhibu.points import rules, selectors, services, sources
from zhibu.points.forms import (
    AppealForm,
    ClaimForm,
    ClearForm,
    DecisionForm,
    PublishForm,
    ResolveForm,
    ReverseForm,
    RuleForm,
    number,
    rule_help,
)
from zhibu.points.models import AppealStatus, Category, ClaimStatus, EntryKind

PAGE_SIZE = 30
RANK_PAGE_SIZE = 50
PERIOD_CHOICES = [("week", "周"), ("month", "月"), ("quarter", "季度"), ("year", "年")]
ALL_TIME_START = dt.date(1900, 1, 1)
CLAIM_TABS = [
    (ClaimStatus.PENDING, "待审核"),
    (ClaimStatus.APPROVED, "已通过"),
    (ClaimStatus.REJECTED, "未通过"),
]
APPEAL_TABS = [
    (AppealStatus.OPEN, "待处理"),
    (AppealStatus.UPHELD, "维持原记分"),
    (AppealStatus.REVERSED, "已冲正"),
]


def _today() -> dt.date:
    return timezone.localdate()


def _need(user, perm: Perm) -> None:
    """Officer pages: 403 for a user without `perm` anywhere (objects out of scope are 404 later)."""
    if not access.has_perm(user, perm):
        raise PermissionDenied("您没有访问积分管理页面的权限")


def _signed(value) -> str:
    """+2 / -3 / 0 for messages."""
    text = number(value)
    return f"+{text}" if value > 0 else text


# --- Periods ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: str  # week | month | quarter | year | custom | all
    start: dt.date | None  # None for all time
    end: dt.date | None
    label: str
    prev_on: dt.date | None = None
    next_on: dt.date | None = None

    @property
    def all_time(self) -> bool:
        return self.kind == "all"

    @property
    def closed(self) -> bool:
        return self.end is not None and self.end < _today()

    @property
    def bounds(self) -> tuple[dt.date, dt.date]:
        """[start, end] for selectors; all time is everything up to today."""
        if self.all_time:
            return ALL_TIME_START, _today() + dt.timedelta(days=1)
        return self.start, self.end


def _date(raw) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        return None


def _period(params, *, allow_all: bool = False, allow_custom: bool = False) -> Period:
    """The period of ?period=week|month|quarter|year (default quarter) containing ?on= (default today),
    ?period=custom&start=&end= where allowed, or ?period=all (all time) where allowed."""
    kind = params.get("period") or "quarter"
    if kind == "all" and allow_all:
        return Period("all", None, None, "全部")
    if kind == "custom" and allow_custom:
        start, end = _date(params.get("start")), _date(params.get("end"))
        if start and end and start <= end:
            return Period("custom", start, end, rules.period_label("custom", start, end))
        kind = "quarter"
    if kind not in dict(PERIOD_CHOICES):
        kind = "quarter"
    on = _date(params.get("on")) or _today()
    start, end = rules.period_bounds(kind, on)
    return Period(
        kind,
        start,
        end,
        rules.period_label(kind, start, end),
        prev_on=start - dt.timedelta(days=1),
        next_on=end + dt.timedelta(days=1) if end < _today() else None,
    )


def _period_context(period: Period, *, allow_all=False, allow_custom=False) -> dict:
    choices = list(PERIOD_CHOICES) + ([("all", "全部")] if allow_all else [])
    return {"period": period, "period_choices": choices, "allow_custom": allow_custom}


# --- Presentation helpers --------------------------------------------------------------------------


def _explain(entries, open_appeals=frozenset()) -> None:
    """Attach what a ledger row links to (its source, its reversal) and whether an appeal is open."""
    for entry in entries:
        entry.source_url = sources.url_for(entry.source_type, entry.source_id)
        try:
            entry.reversal = entry.reversed_by
        except entry.__class__.reversed_by.RelatedObjectDoesNotExist:
            entry.reversal = None
        entry.appeal_open = entry.pk in open_appeals
        entry.can_appeal = entry.kind == EntryKind.AWARD and entry.reversal is None and not entry.appeal_open


def _would_score(claim) -> str:
    """What a claim scores before caps (the award service applies the caps when it is approved)."""
    return _signed(rules.base_points(claim.rule.points, claim.quantity, claim.rule.unit_size))


def _pick_org(request, perm: Perm, orgs):
    """The org of ?org= (404 outside the user's scope for `perm`), else the first org of the picker."""
    raw = request.GET.get("org", "").strip()
    if raw:
        return selectors.get_org(request.user, raw, perm)
    org = orgs.first()
    if org is None:
        raise PermissionDenied("您没有可查看积分的组织")
    return org


def _indented(orgs) -> list:
    orgs = list(orgs[:500])
    top = min((o.depth for o in orgs), default=0)
    for o in orgs:
        o.indent = "\u3000" * (o.depth - top)
    return orgs


def _show_org(org) -> bool:
    """One branch (or 党小组) in view: its name is in the header; the table shows 党小组 instead."""
    return org.org_type not in (OrgType.BRANCH, OrgType.GROUP)


def _officer_tabs(user) -> dict:
    manage = access.has_perm(user, Perm.POINTS_MANAGE)
    return {
        "can_manage_any": manage,
        "can_rules_any": access.has_perm(user, Perm.POINTS_RULES),
        "queue": selectors.queue_counts(user) if manage else None,
    }


# --- Member pages (phone first) --------------------------------------------------------------------


@login_required
def mine(request):
    user = request.user
    member = selectors.own_member(user)
    if member is None:
        return render(request, "points/mine.html", {"member": None})
    period = _period(request.GET, allow_all=True)
    start, end = period.bounds
    entries = selectors.ledger(member) if period.all_time else selectors.ledger(member, start, end)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    ids = [e.pk for e in page]
    open_appeals = set(
        selectors.my_appeals(user)
        .filter(status=AppealStatus.OPEN, entry__in=ids)
        .values_list("entry_id", flat=True)
    )
    _explain(page, open_appeals)
    all_time = selectors.total_all_time(member)
    context = {
        "member": member,
        "page": page,
        "total": all_time if period.all_time else selectors.balance(member, start, end),
        "all_time": all_time,
        "categories": selectors.breakdown(member, start, end),
        "rank": selectors.member_rank(member, member.org, start, end)
        if not period.all_time and selectors.ranking_enabled(member.org)
        else None,
        "pending_claims": selectors.my_claims(user).filter(status=ClaimStatus.PENDING).count(),
        "has_snapshots": selectors.visible_snapshots(user).exists(),
        "appeal_form": AppealForm(),
        **_period_context(period, allow_all=True),
    }
    return render(request, "points/mine.html", context)


@login_required
def report(request):
    user = request.user
    member = selectors.own_member(user)
    if member is None:
        return render(request, "points/report.html", {"member": None})
    form = ClaimForm(
        request.POST or None, request.FILES or None, rules=selectors.self_report_rules(member.org)
    )
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.self_report(user, **form.service_kwargs())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "申报已提交，待党支部审核；审核结果会显示在这里")
            return redirect("points:claim", pk=claim.pk)
    page = Paginator(selectors.my_claims(user), 20).get_page(request.GET.get("page"))
    for claim in page:
        claim.would_score = _would_score(claim)
    return render(request, "points/report.html", {"member": member, "form": form, "page": page})


@login_required
def claim_detail(request, pk: int):
    """One claim: its owner and submitter read it; officers with points.manage decide it here."""
    user = request.user
    claim = selectors.get_claim(user, pk, manage=False)
    can_decide = claim.status == ClaimStatus.PENDING and access.has_perm(user, Perm.POINTS_MANAGE, claim.org)
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        access.require(user, Perm.POINTS_MANAGE, claim.org)
        if form.is_valid():
            action, note = form.cleaned_data["action"], form.cleaned_data["note"]
            try:
                if action == "approve":
                    entry = services.approve_claim(user, claim, note)
                else:
                    services.reject_claim(user, claim, note)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                if action == "approve":
                    text = f"已通过：{claim.member.name} {claim.rule.name} 记分 {_signed(entry.points)} 分"
                    if entry.capped_note:
                        text += f"（{entry.capped_note}）"
                    messages.success(request, text)
                else:
                    messages.success(request, f"已退回{claim.member.name}的{claim.rule.name}申报")
                if request.POST.get("back") == "queue":
                    return redirect("points:claims")
                return redirect("points:claim", pk=claim.pk)
    claim.would_score = _would_score(claim)
    context = {
        "claim": claim,
        "form": form,
        "can_decide": can_decide,
        "own_submission": claim.submitted_by_id == user.pk,
        "is_member": claim.member.user_id == user.pk,
        "can_withdraw": claim.status == ClaimStatus.PENDING and claim.submitted_by_id == user.pk,
        "rule_help": rule_help(claim.rule),
    }
    return render(request, "points/claim.html", context)


@login_required
def claim_file(request, pk: int):
    claim = selectors.get_claim(request.user, pk, manage=False)
    if not claim.evidence_file:
        raise Http404("没有附件")
    try:
        handle = claim.evidence_file.open("rb")
    except FileNotFoundError:
        raise Http404("文件不存在") from None
    return FileResponse(handle, filename=claim.evidence_file.name.rsplit("/", 1)[-1])


@login_required
@require_POST
def claim_withdraw(request, pk: int):
    claim = selectors.get_claim(request.user, pk, manage=False)
    try:
        services.withdraw_claim(request.user, claim)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已撤回该申报")
    if request.POST.get("back") == "report":
        return redirect("points:report")
    return redirect("points:claim", pk=claim.pk)


@login_required
def entry_detail(request, pk: int, *, appeal_form=None, reverse_form=None, status=200):
    """One ledger entry explained: rule version, source, who awarded/approved, caps, reversal, appeals."""
    user = request.user
    entry = selectors.get_entry(user, pk)
    own = entry.member.user_id == user.pk
    appeals = list(entry.appeals.select_related("resolved_by").order_by("-submitted_at"))
    _explain([entry], {a.entry_id for a in appeals if a.status == AppealStatus.OPEN})
    context = {
        "entry": entry,
        "member": entry.member,
        "own": own,
        "appeals": appeals,
        "is_officer": access.has_perm(user, Perm.POINTS_VIEW, entry.member.org),
        "can_reverse": entry.kind == EntryKind.AWARD
        and entry.reversal is None
        and access.has_perm(user, Perm.POINTS_MANAGE, entry.member.org),
        "appeal_form": appeal_form or AppealForm(),
        "reverse_form": reverse_form or ReverseForm(),
    }
    return render(request, "points/entry.html", context, status=status)


@login_required
@require_POST
def entry_appeal(request, pk: int):
    entry = selectors.get_entry(request.user, pk)
    form = AppealForm(request.POST)
    if form.is_valid():
        try:
            services.file_appeal(request.user, entry, form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "申诉已提交，党支部处理后会在“我的申诉”中答复")
            return redirect("points:my_appeals")
    return entry_detail(request, pk, appeal_form=form)


@login_required
@require_POST
def entry_reverse(request, pk: int):
    entry = selectors.get_entry(request.user, pk)
    access.require(request.user, Perm.POINTS_MANAGE, entry.member.org)
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            reversal = services.reverse_entry(request.user, entry, form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, f"已冲正：{entry.member.name} {entry.rule.name} {_signed(reversal.points)} 分"
            )
            return redirect("points:member", pk=entry.member_id)
    return entry_detail(request, pk, reverse_form=form)


@login_required
def my_appeals(request):
    page = Paginator(selectors.my_appeals(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "points/my_appeals.html", {"page": page})


@login_required
def appeal_detail(request, pk: int):
    """One appeal: the member reads it (and may withdraw it); officers with points.manage resolve it."""
    user = request.user
    appeal = selectors.get_appeal(user, pk, manage=False)
    can_resolve = appeal.status == AppealStatus.OPEN and access.has_perm(user, Perm.POINTS_MANAGE, appeal.org)
    form = ResolveForm(request.POST or None)
    if request.method == "POST":
        access.require(user, Perm.POINTS_MANAGE, appeal.org)
        if form.is_valid():
            try:
                appeal = services.resolve_appeal(
                    user, appeal, form.cleaned_data["decision"], form.cleaned_data["resolution"]
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, f"申诉已处理：{appeal.get_status_display()}")
                if request.POST.get("back") == "appeals":
                    return redirect("points:appeals")
                return redirect("points:appeal", pk=appeal.pk)
    context = {
        "appeal": appeal,
        "entry": appeal.entry,
        "form": form,
        "can_resolve": can_resolve,
        "can_withdraw": appeal.status == AppealStatus.OPEN and appeal.submitted_by_id == user.pk,
    }
    return render(request, "points/appeal.html", context)


@login_required
@require_POST
def appeal_withdraw(request, pk: int):
    appeal = selectors.get_appeal(request.user, pk, manage=False)
    try:
        services.withdraw_appeal(request.user, appeal)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已撤回申诉")
    return redirect("points:my_appeals")


# --- Officer pages ---------------------------------------------------------------------------------


@login_required
def overview(request):
    user = request.user
    _need(user, Perm.POINTS_VIEW)
    orgs = selectors.points_orgs(user)
    org = _pick_org(request, Perm.POINTS_VIEW, orgs)
    period = _period(request.GET, allow_custom=True)
    enabled = selectors.ranking_enabled(org)
    q = request.GET.get("q", "").strip()
    rows = selectors.ranked_members(org, period.start, period.end, q=q)
    if not enabled:
        rows = rows.order_by("name", "pk")
    page = Paginator(rows, RANK_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "org": org,
        "orgs": _indented(orgs),
        "page": page,
        "q": q,
        "ranking": enabled,
        "show_org": _show_org(org),
        "can_manage": access.has_perm(user, Perm.POINTS_MANAGE, org),
        "can_rules": access.has_perm(user, Perm.POINTS_RULES, org),
        **_officer_tabs(user),
        **_period_context(period, allow_custom=True),
    }
    return render(request, "points/overview.html", context)


@login_required
def member_ledger(request, pk: int, clear_form=None):
    user = request.user
    member = selectors.get_member(user, pk)
    if member.user_id == user.pk and not access.has_perm(user, Perm.POINTS_VIEW, member.org):
        return redirect("points:mine")
    period = _period(request.GET, allow_all=True)
    start, end = period.bounds
    entries = selectors.ledger(member) if period.all_time else selectors.ledger(member, start, end)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    can_manage = access.has_perm(user, Perm.POINTS_MANAGE, member.org)
    open_appeals = set()
    if can_manage:
        open_appeals = set(
            selectors.appeals(user).filter(entry__in=[e.pk for e in page]).values_list("entry_id", flat=True)
        )
    _explain(page, open_appeals)
    all_time = selectors.total_all_time(member)
    context = {
        "member": member,
        "page": page,
        "total": all_time if period.all_time else selectors.balance(member, start, end),
        "all_time": all_time,
        "categories": selectors.breakdown(member, start, end),
        "can_manage": can_manage,
        "reverse_form": ReverseForm(),
        "clear_form": clear_form
        or ClearForm(initial={"start": start if not period.all_time else None, "end": min(end, _today())}),
        **_officer_tabs(user),
        **_period_context(period, allow_all=True),
    }
    return render(request, "points/member.html", context)


@login_required
@require_POST
def member_clear(request, pk: int):
    """Clear a category's points over a period (学习作弊清分); each entry gets its reversal."""
    member = selectors.get_member(request.user, pk, Perm.POINTS_MANAGE)
    form = ClearForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            reversals = services.clear_points(
                request.user, member, data["start"], data["end"], data["category"], data["reason"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            total = sum(r.points for r in reversals)
            messages.success(request, f"已清除{len(reversals)}条记录，共 {_signed(total)} 分")
            return redirect("points:member", pk=member.pk)
    messages.error(request, "未清除：" + "；".join(e for errs in form.errors.values() for e in errs))
    return member_ledger(request, pk, clear_form=form)


@login_required
def award(request):
    user = request.user
    _need(user, Perm.POINTS_MANAGE)
    raw = request.POST.get("member") or request.GET.get("member")
    if not raw:
        return _award_picker(request)
    member = selectors.get_member(user, raw, Perm.POINTS_MANAGE)
    form = ClaimForm(request.POST or None, request.FILES or None, rules=selectors.manual_rules(member.org))
    form.fields["reason"].label = "记分事由"
    if request.method == "POST" and form.is_valid():
        try:
            result = services.award_manually(user, member, **form.service_kwargs())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if isinstance(result, services.Awarded):
                entry = result.entry
                text = f"已记分 {_signed(entry.points)} 分：{member.name} {entry.rule.name}"
                if entry.capped_note:
                    text += f"（{entry.capped_note}）"
                if not result.created:
                    text += "。重复提交，未再次记分"
                messages.success(request, text)
            else:
                messages.success(request, f"已提交，待其他支委审核：{member.name} {result.rule.name}")
            return redirect("points:member", pk=member.pk)
    context = {"member": member, "form": form, **_officer_tabs(user)}
    return render(request, "points/award.html", context)


def _award_picker(request):
    """Step one of the award form: find the member (the rules offered depend on their branch)."""
    user = request.user
    q = request.GET.get("q", "").strip()
    rows = selectors.visible_members(user, Perm.POINTS_MANAGE).on_roll().select_related("org", "group")
    if q:
        rows = rows.filter(name__contains=q)
    page = Paginator(rows.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "points/award.html", {"member": None, "page": page, "q": q, **_officer_tabs(user)})


@login_required
def claims_queue(request):
    user = request.user
    _need(user, Perm.POINTS_MANAGE)
    status = request.GET.get("status") or ClaimStatus.PENDING
    if status not in dict(CLAIM_TABS):
        status = ClaimStatus.PENDING
    page = Paginator(selectors.claims(user, status), 20).get_page(request.GET.get("page"))
    for claim in page:
        claim.would_score = _would_score(claim)
    context = {"page": page, "status": status, "tabs": CLAIM_TABS, **_officer_tabs(user)}
    return render(request, "points/claims.html", context)


@login_required
def appeals_queue(request):
    user = request.user
    _need(user, Perm.POINTS_MANAGE)
    status = request.GET.get("status") or AppealStatus.OPEN
    if status not in dict(APPEAL_TABS):
        status = AppealStatus.OPEN
    page = Paginator(selectors.appeals(user, status), 20).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "tabs": APPEAL_TABS, **_officer_tabs(user)}
    return render(request, "points/appeals.html", context)


def _ranking_page(request, org, period: Period, publish_form=None, status=200):
    user = request.user
    enabled = selectors.ranking_enabled(org)
    context = {
        "org": org,
        "orgs": _indented(selectors.points_orgs(user)),
        "ranking": enabled,
        "show_org": _show_org(org),
        "can_rules": access.has_perm(user, Perm.POINTS_RULES, org),
        **_officer_tabs(user),
        **_period_context(period, allow_custom=True),
    }
    if enabled:
        q = request.GET.get("q", "").strip()
        rows = selectors.ranked_members(org, period.start, period.end, q=q)
        context["q"] = q
        context["page"] = Paginator(rows, RANK_PAGE_SIZE).get_page(request.GET.get("page"))
        if selectors.publish_enabled(org) and access.has_perm(user, Perm.POINTS_MANAGE, org):
            context["publish_form"] = publish_form or PublishForm(
                initial={
                    "period_kind": period.kind,
                    "start": period.start,
                    "end": period.end,
                    "title": f"{org.name}{period.label}积分通报",
                }
            )
    return render(request, "points/ranking.html", context, status=status)


@login_required
def ranking(request):
    user = request.user
    _need(user, Perm.POINTS_VIEW)
    org = _pick_org(request, Perm.POINTS_VIEW, selectors.points_orgs(user))
    return _ranking_page(request, org, _period(request.GET, allow_custom=True))


@login_required
@require_POST
def publish(request, pk: int):
    user = request.user
    org = selectors.get_org(user, pk)
    form = PublishForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            snap = services.publish_snapshot(
                user, org, data["period_kind"], data["start"], data["end"], data["title"], data["note"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已发布：{snap.title}")
            return redirect("points:snapshot", pk=snap.pk)
    return _ranking_page(request, org, _posted_period(form), publish_form=form)


def _posted_period(form) -> Period:
    """The period a publish form was for (to show the ranking again with the form's errors)."""
    data = getattr(form, "cleaned_data", {})
    kind, start, end = data.get("period_kind"), data.get("start"), data.get("end")
    if not (start and end and start <= end):
        return _period({})
    if kind in dict(PERIOD_CHOICES) and rules.period_bounds(kind, start) == (start, end):
        return _period({"period": kind, "on": start.isoformat()})
    return _period(
        {"period": "custom", "start": start.isoformat(), "end": end.isoformat()}, allow_custom=True
    )


@login_required
def snapshots(request):
    page = Paginator(selectors.visible_snapshots(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "points/snapshots.html", {"page": page})


@login_required
def snapshot(request, pk: int):
    snap = selectors.get_snapshot(request.user, pk)
    page = Paginator(snap.rows.all(), RANK_PAGE_SIZE).get_page(request.GET.get("page"))
    member = selectors.own_member(request.user)
    return render(
        request, "points/snapshot.html", {"snap": snap, "page": page, "me": member.pk if member else None}
    )


# --- Rule catalogue --------------------------------------------------------------------------------


def _catalogue_orgs(user):
    """Orgs whose catalogue can be looked at: rules are set on branches and above, not on 党小组 (a group
    leader, whose scope is only their group, reads the rules that apply to it: those of the branch)."""
    orgs = selectors.points_orgs(user)
    above = orgs.exclude(org_type=OrgType.GROUP)
    return above if above.exists() else orgs


@login_required
def rule_list(request):
    user = request.user
    _need(user, Perm.POINTS_VIEW)
    orgs = _catalogue_orgs(user)
    org = _pick_org(request, Perm.POINTS_VIEW, orgs)
    labels = dict(Category.choices)
    groups: dict[str, list] = {}
    for row in selectors.effective_rules(org):
        item = {
            "rule": row.rule,
            "origin": row.origin,
            "upcoming": row.upcoming,
            "future": row.future,
            "help": rule_help(row.rule),
        }
        groups.setdefault(row.rule.category, []).append(item)
    context = {
        "org": org,
        "orgs": _indented(orgs),
        "groups": [(labels[c], groups[c]) for c in Category.values if c in groups],
        "can_edit": access.has_perm(user, Perm.POINTS_RULES, org) and org.org_type != OrgType.GROUP,
        **_officer_tabs(user),
    }
    return render(request, "points/rules.html", context)


def _rules_org(request, pk):
    org = selectors.get_org(request.user, pk)
    if org.org_type == OrgType.GROUP:
        raise Http404("党小组没有单独的积分规则")
    access.require(request.user, Perm.POINTS_RULES, org)
    return org


def _save_rule(request, org, form, code: str):
    try:
        rule = services.save_rule(request.user, org, code, form.rule_data(), form.cleaned_data["valid_from"])
    except ValidationError as exc:
        apply_errors(form, exc)
        return None
    state = "（停用）" if not rule.active else ""
    messages.success(
        request, f"已保存“{rule.name}”第{rule.version}版{state}，自{rule.valid_from:%Y-%m-%d}起生效"
    )
    return redirect(f"{reverse('points:rules')}?org={org.pk}")


@login_required
def rule_edit(request, pk: int, code: str):
    org = _rules_org(request, pk)
    current = next((r for r in selectors.effective_rules(org) if r.rule.code == code), None)
    if current is None:
        raise Http404("没有这条积分规则")
    rule = current.rule
    initial = {f: getattr(rule, f) for f in RuleForm.FIELDS}
    initial.update({f: number(v) for f, v in initial.items() if isinstance(v, Decimal)})
    initial["valid_from"] = _today()
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = _save_rule(request, org, form, code)
        if done:
            return done
    context = {"org": org, "form": form, "current": current, "code": code, "help": rule_help(rule)}
    return render(request, "points/rule_form.html", context)


@login_required
def rule_new(request, pk: int):
    org = _rules_org(request, pk)
    form = RuleForm(request.POST or None, new=True, initial={"valid_from": _today(), "active": True})
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].strip()
        if any(r.rule.code == code for r in selectors.effective_rules(org)):
            form.add_error("code", "该代码的规则已存在，请在规则列表中修改它")
        else:
            done = _save_rule(request, org, form, code)
            if done:
                return done
    return render(request, "points/rule_form.html", {"org": org, "form": form, "current": None, "code": ""})


@login_required
def rule_history(request, pk: int, code: str):
    user = request.user
    org = selectors.get_org(user, pk)
    versions = list(selectors.rule_history(org, code))
    if not versions:
        raise Http404("没有这条积分规则")
    for v in versions:
        v.help = rule_help(v)
    context = {
        "org": org,
        "code": code,
        "versions": versions,
        "name": versions[0].name,
        "can_edit": access.has_perm(user, Perm.POINTS_RULES, org) and org.org_type != OrgType.GROUP,
    }
    return render(request, "points/rule_history.html", context)


urlpatterns = [
    path("", overview, name="overview"),
    path("mine/", mine, name="mine"),
    path("report/", report, name="report"),
    path("appeals/mine/", my_appeals, name="my_appeals"),
    path("claims/", claims_queue, name="claims"),
    path("claims/<int:pk>/", claim_detail, name="claim"),
    path("claims/<int:pk>/file/", claim_file, name="claim_file"),
    path("claims/<int:pk>/withdraw/", claim_withdraw, name="claim_withdraw"),
    path("entries/<int:pk>/", entry_detail, name="entry"),
    path("entries/<int:pk>/appeal/", entry_appeal, name="entry_appeal"),
    path("entries/<int:pk>/reverse/", entry_reverse, name="entry_reverse"),
    path("appeals/", appeals_queue, name="appeals"),
    path("appeals/<int:pk>/", appeal_detail, name="appeal"),
    path("appeals/<int:pk>/withdraw/", appeal_withdraw, name="appeal_withdraw"),
    path("members/<int:pk>/", member_ledger, name="member"),
    path("members/<int:pk>/clear/", member_clear, name="member_clear"),
    path("award/", award, name="award"),
    path("ranking/", ranking, name="ranking"),
    path("ranking/<int:pk>/publish/", publish, name="publish"),
    path("snapshots/", snapshots, name="snapshots"),
    path("snapshots/<int:pk>/", snapshot, name="snapshot"),
    path("rules/", rule_list, name="rules"),
    path("rules/<int:pk>/new/", rule_new, name="rule_new"),
    path("rules/<int:pk>/<str:code>/", rule_edit, name="rule_edit"),
    path("rules/<int:pk>/<str:code>/history/", rule_history, name="rule_history"),
]
