"""Home (工作台), the audit log, and error pages."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from zhibu.accounts import selectors as account_selectors
from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.core.models import AuditAction
from zhibu.core.selectors import audit_entries
from zhibu.development import selectors as dev_selectors
from zhibu.members import todos as member_todos
from zhibu.orglife import compliance as orglife_compliance
from zhibu.orglife import reviews as orglife_reviews
from zhibu.orglife import selectors as orglife_selectors
from zhibu.orgs import selectors as org_selectors
from zhibu.orgs.rules import term_flag
from zhibu.points import rules as points_rules
from zhibu.points import selectors as points_selectors


@login_required
def home(request):
    roles = account_selectors.my_roles(request.user)
    orgs = org_selectors.annotate_counts(list({r.org_id: r.org for r in roles}.values()))
    today = timezone.localdate()
    todos = [
        {"term": term, "flag": term_flag(term.ends_on, today), "days": (term.ends_on - today).days}
        for term in org_selectors.terms_due(request.user, today)
    ]
    context = {
        "roles": roles,
        "orgs": orgs,
        "term_todos": todos,
        "member_todos": member_todos.branch_todos(request.user, today)
        if access.has_perm(request.user, Perm.MEMBER_MANAGE)
        else [],
        "dev_card": dev_selectors.home_card(request.user, today),
        "points_card": _points_card(request.user, today),
        "orglife_todos": orglife_compliance.home_todos(request.user, today),
        "upcoming_meetings": list(orglife_selectors.my_meetings(request.user, upcoming=True).reverse()[:3]),
        "review_todos": orglife_reviews.member_todo(orglife_selectors.own_member(request.user)),
    }
    lists = ("member_todos", "orglife_todos", "review_todos")
    context["todo_count"] = len(todos) + sum(len(context[name]) for name in lists)
    return render(request, "core/home.html", context)


def _points_card(user, today) -> dict:
    """积分: the officer's queue (pending claims, open appeals) and the member's points this quarter."""
    card = {"queue": None, "mine": None}
    if access.has_perm(user, Perm.POINTS_MANAGE):
        card["queue"] = points_selectors.queue_counts(user)
    member = points_selectors.own_member(user)
    if member is not None:
        start, end = points_rules.period_bounds("quarter", today)
        card["mine"] = {
            "label": points_rules.period_label("quarter", start, end),
            "total": points_selectors.balance(member, start, end),
        }
    card["show"] = bool(card["queue"] or card["mine"])
    return card


@login_required
def audit_log(request):
    if not access.has_perm(request.user, Perm.AUDIT_VIEW):
        raise PermissionDenied("只有审计员可以查看审计日志")
    params = request.GET
    qs = audit_entries(
        request.user,
        action=params.get("action", ""),
        text=params.get("q", "").strip(),
        date_from=params.get("from") or None,
        date_to=params.get("to") or None,
    )
    page = Paginator(qs.select_related(None), 50).get_page(params.get("page"))
    return render(request, "core/audit_log.html", {"page": page, "actions": AuditAction.choices})


@login_required
def audit_detail(request, pk: int):
    if not access.has_perm(request.user, Perm.AUDIT_VIEW):
        raise PermissionDenied("只有审计员可以查看审计日志")
    entry = get_object_or_404(audit_entries(request.user), pk=pk)
    return render(request, "core/audit_detail.html", {"entry": entry})


def error_403(request, exception=None):
    message = str(exception) if exception and str(exception) else "您没有权限访问此页面"
    return render(request, "core/error.html", {"code": 403, "message": message}, status=403)


def error_404(request, exception=None):
    return render(
        request, "core/error.html", {"code": 404, "message": "页面不存在，或您无权访问"}, status=404
    )


def error_500(request):
    return render(
        request, "core/error.html", {"code": 500, "message": "服务器出错了，请稍后再试"}, status=500
    )
