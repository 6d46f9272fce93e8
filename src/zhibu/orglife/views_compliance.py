"""组织生活合规 pages: a branch's year (every requirement × period, with the 台账 downloads), a committee's
matrix of all its branches (most behind first, "只看未完成", drill-down), and the requirement editor
(versions per org from a date). Thin: parse, call `orglife.compliance` / `orglife.ledger`, render."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header

from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError
from zhibu.core.forms import apply_errors
from zhibu.orglife import compliance, ledger, rules
from zhibu.orglife.models import AppliesTo, Frequency
from zhibu.orgs.models import OrgType

MATRIX_PAGE_SIZE = 50
FIRST_YEAR = 2000


def _need_view(user) -> None:
    if not access.has_perm(user, Perm.ORGLIFE_VIEW):
        raise PermissionDenied("您没有查看组织生活合规情况的权限")


def _year(params) -> int:
    """?year= (default this year), between 2000 and next year."""
    today = timezone.localdate()
    raw = str(params.get("year", "")).strip()
    year = int(raw) if raw.isdigit() else today.year
    return min(max(year, FIRST_YEAR), today.year + 1)


def _year_nav(year: int) -> dict:
    this = timezone.localdate().year
    return {
        "year": year,
        "prev_year": year - 1 if year > FIRST_YEAR else None,
        "next_year": year + 1 if year < this else None,
    }


def _indented(orgs) -> list:
    orgs = list(orgs[:500])
    top = min((o.depth for o in orgs), default=0)
    for o in orgs:
        o.indent = "\u3000" * (o.depth - top)
    return orgs


# --- Compliance ------------------------------------------------------------------------------------------


@login_required
def index(request):
    """Where compliance starts: the committee matrix for committee officers, the branch view otherwise."""
    user = request.user
    _need_view(user)
    org = compliance.home_org(user)
    if org is None:
        raise PermissionDenied("您没有可查看的组织")
    year = _year(request.GET)
    if org.org_type in compliance.OVERSIGHT_TYPES:
        return redirect(f"{reverse('orglife:compliance_committee', args=[org.pk])}?year={year}")
    if org.org_type in (OrgType.BRANCH, OrgType.GROUP):
        return redirect(f"{reverse('orglife:compliance_branch', args=[org.pk])}?year={year}")
    raise Http404("没有可查看合规情况的组织")


@login_required
def branch(request, pk: int):
    user = request.user
    org = compliance.get_org(user, pk)
    year = _year(request.GET)
    report = compliance.branch_report(user, org, year)
    up = compliance.oversight_parent(user, org)
    context = {
        "org": org,
        "report": report,
        "sections": [(row, _grid(lines)) for row, lines in report.groups],
        "months": report.months,
        "up": up,
        "can_export": org.org_type == OrgType.BRANCH,
        "can_edit": access.has_perm(user, Perm.ORGLIFE_MANAGE, org) and org.org_type == OrgType.BRANCH,
        **_year_nav(year),
    }
    return render(request, "orglife/compliance_branch.html", context)


def _grid(lines) -> list[dict]:
    """Each line as table cells over 12 month columns (a quarter spans 3, the year 12)."""
    span = {"month": 1, "quarter": 3, "year": 12}
    return [{"line": line, "span": span[line.frequency]} for line in lines]


@login_required
def committee(request, pk: int):
    user = request.user
    org = compliance.get_org(user, pk, kinds=compliance.OVERSIGHT_TYPES)
    year = _year(request.GET)
    matrix = compliance.committee_matrix(user, org, year)
    unfinished = request.GET.get("unfinished") == "1"
    rows = matrix.unfinished() if unfinished else matrix.rows
    page = Paginator(rows, MATRIX_PAGE_SIZE).get_page(request.GET.get("page"))
    orgs = compliance.compliance_orgs(user).filter(org_type__in=compliance.OVERSIGHT_TYPES)
    context = {
        "org": org,
        "orgs": _indented(orgs),
        "matrix": matrix,
        "page": page,
        "items": [(row, list(zip(matrix.columns, row.cells, strict=True))) for row in page],
        "unfinished": unfinished,
        "alerts": [c for c in matrix.columns if c.units_due or c.units_missed_last],
        "current_year": year == timezone.localdate().year,
        **_year_nav(year),
    }
    return render(request, "orglife/compliance_committee.html", context)


@login_required
def committee_pick(request):
    """The org picker of the committee page submits ?org=."""
    org = compliance.get_org(request.user, request.GET.get("org", ""), kinds=compliance.OVERSIGHT_TYPES)
    query = f"year={_year(request.GET)}" + ("&unfinished=1" if request.GET.get("unfinished") == "1" else "")
    return redirect(f"{reverse('orglife:compliance_committee', args=[org.pk])}?{query}")


# --- 台账 downloads ----------------------------------------------------------------------------------------


def _download(request, pk: int, kind: str) -> HttpResponse:
    user = request.user
    org = compliance.get_org(user, pk, kinds=(OrgType.BRANCH,))
    year = _year(request.GET)
    if kind == "pdf":
        data, content_type = ledger.ledger_pdf(user, org, year), "application/pdf"
    else:
        data, content_type = ledger.ledger_xlsx(user, org, year), ledger.XLSX_TYPE
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{org.name}{year}年组织生活台账.{kind}"
    )
    return response


@login_required
def ledger_pdf(request, pk: int):
    return _download(request, pk, "pdf")


@login_required
def ledger_xlsx(request, pk: int):
    return _download(request, pk, "xlsx")


# --- Requirement editor -------------------------------------------------------------------------------------


class RequirementForm(forms.Form):
    code = forms.CharField(
        label="要求代码",
        max_length=40,
        help_text="字母、数字、点、下划线，如 study_session；保存后不能修改",
    )
    type_code = forms.ChoiceField(label="会议类型")
    frequency = forms.ChoiceField(label="频次", choices=Frequency.choices)
    min_count = forms.IntegerField(
        label="每期最少次数", min_value=1, max_value=compliance.MAX_MIN_COUNT, initial=1
    )
    applies_to = forms.ChoiceField(label="适用于", choices=AppliesTo.choices)
    source = forms.CharField(
        label="依据",
        max_length=200,
        help_text="文件名称及条款，或本组织的规定",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    valid_from = forms.DateField(
        label="生效日期",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="自生效日期所在的周期起适用；不能早于今天（已过去的周期不改写）",
    )
    active = forms.BooleanField(label="启用（取消勾选则在本组织及下级停用该要求）", required=False)

    def __init__(self, *args, types=(), new=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type_code"].choices = [(t.code, t.name) for t in types]
        if not new:
            del self.fields["code"]

    def data_for_service(self) -> dict:
        return {k: self.cleaned_data[k] for k in compliance.REQUIREMENT_FIELDS}


def _editor_org(request, pk, *, manage=False):
    return compliance.get_editor_org(request.user, pk, manage=manage)


@login_required
def requirements(request):
    user = request.user
    _need_view(user)
    orgs = compliance.editor_orgs(user)
    raw = request.GET.get("org", "").strip()
    if raw:
        org = _editor_org(request, raw)
    else:
        org = compliance.default_editor_org(user)
        if org is None:
            raise PermissionDenied("您没有可查看的组织")
    context = {
        "org": org,
        "orgs": _indented(orgs),
        "rows": compliance.effective_requirements(org),
        "can_edit": access.has_perm(user, Perm.ORGLIFE_MANAGE, org),
        "is_branch": org.org_type == OrgType.BRANCH,
    }
    return render(request, "orglife/requirements_list.html", context)


def _save(request, org, form, code: str):
    try:
        req = compliance.save_requirement(
            request.user, org, code, form.data_for_service(), form.cleaned_data["valid_from"]
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return None
    state = "" if req.active else "（停用）"
    messages.success(
        request,
        f"已保存：{req.get_frequency_display()}{req.min_count}次{state}，自{req.valid_from:%Y-%m-%d}起适用",
    )
    return redirect(f"{reverse('orglife:requirements')}?org={org.pk}")


@login_required
def requirement_edit(request, pk: int, code: str):
    org = _editor_org(request, pk, manage=True)
    current = next((r for r in compliance.effective_requirements(org) if r.version.code == code), None)
    if current is None:
        raise Http404("没有这项组织生活要求")
    v = current.version
    initial = {f: getattr(v, f) for f in compliance.REQUIREMENT_FIELDS}
    initial["valid_from"] = timezone.localdate()
    form = RequirementForm(request.POST or None, initial=initial, types=compliance.requirement_types(org))
    if request.method == "POST" and form.is_valid():
        done = _save(request, org, form, code)
        if done:
            return done
    context = {"org": org, "form": form, "current": current, "code": code}
    return render(request, "orglife/requirements_form.html", context)


@login_required
def requirement_new(request, pk: int):
    org = _editor_org(request, pk, manage=True)
    initial = {"valid_from": timezone.localdate(), "active": True, "frequency": "month", "min_count": 1}
    form = RequirementForm(
        request.POST or None, initial=initial, types=compliance.requirement_types(org), new=True
    )
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].strip()
        if any(r.version.code == code for r in compliance.effective_requirements(org)):
            form.add_error("code", "该代码的要求已存在，请在列表中修改它")
        else:
            done = _save(request, org, form, code)
            if done:
                return done
    return render(request, "orglife/requirements_form.html", {"org": org, "form": form, "current": None})


@login_required
def requirement_history(request, pk: int, code: str):
    org = _editor_org(request, pk)
    versions = list(compliance.requirement_history(org, code))
    if not versions:
        raise Http404("没有这项组织生活要求")
    _, names = compliance._type_names()
    for v in versions:
        v.type_name = names.get(v.type_code, v.type_code)
    context = {
        "org": org,
        "code": code,
        "versions": versions,
        "can_edit": access.has_perm(request.user, Perm.ORGLIFE_MANAGE, org),
        "state_labels": rules.STATE_LABELS,
    }
    return render(request, "orglife/requirements_history.html", context)


urlpatterns = [
    path("compliance/", index, name="compliance"),
    path("compliance/committees/", committee_pick, name="compliance_pick"),
    path("compliance/committees/<int:pk>/", committee, name="compliance_committee"),
    path("compliance/branches/<int:pk>/", branch, name="compliance_branch"),
    path("compliance/branches/<int:pk>/ledger.pdf", ledger_pdf, name="ledger_pdf"),
    path("compliance/branches/<int:pk>/ledger.xlsx", ledger_xlsx, name="ledger_xlsx"),
    path("requirements/", requirements, name="requirements"),
    path("requirements/<int:pk>/new/", requirement_new, name="requirements_new"),
    path("requirements/<int:pk>/<str:code>/", requirement_edit, name="requirements_edit"),
    path("requirements/<int:pk>/<str:code>/history/", requirement_history, name="requirements_history"),
]
