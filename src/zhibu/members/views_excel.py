"""Roster Excel pages: template download, upload → preview (all errors) → commit, and export.

The upload is kept under MEDIA_ROOT/imports/<random token>.xlsx between preview and commit; the token
lives in the session together with the user id, never in a path the browser could change.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError
from zhibu.core.forms import apply_errors
from zhibu.members import excel, selectors
from zhibu.members.models import MemberStatus
from zhibu.orgs import selectors as org_selectors
from zhibu.orgs.models import OrgType

SESSION_KEY = "members_import"
PREVIEW_ROWS = 50
SHOWN_ERRORS = 1000  # the page lists this many; the downloadable report has all of them


class UploadForm(forms.Form):
    file = forms.FileField(
        label="花名册文件",
        help_text=f".xlsx格式，不超过{excel.MAX_ROWS}行、{excel.MAX_BYTES // 1024 // 1024}MB",
        error_messages={"required": "请选择要上传的Excel文件", "empty": "上传的文件是空的"},
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + excel.XLSX_TYPE}),
    )


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=excel.XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _import_org(user, pk):
    """The org an import is limited to (?org=), 404 out of scope; None: the whole member.manage scope."""
    if pk not in (None, ""):
        return org_selectors.get_org(user, pk, Perm.MEMBER_MANAGE)
    if not access.has_perm(user, Perm.MEMBER_MANAGE):
        raise PermissionDenied("您没有导入党员档案的权限")
    return None


def _pending(request):
    """The session's pending import for this user: (token, filename, org) or None."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict) or data.get("user") != request.user.pk:
        return None
    try:
        excel.stash_path(data.get("token"))
    except ValidationError:
        return None
    org = _import_org(request.user, data.get("org"))
    return data["token"], data.get("name", ""), org


def _with_org(url: str, org) -> str:
    return f"{url}?org={org.pk}" if org is not None else url


@login_required
def import_upload(request):
    user = request.user
    org = _import_org(user, request.GET.get("org") or request.POST.get("org"))
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            excel.read_upload(upload)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            previous = request.session.get(SESSION_KEY)
            if isinstance(previous, dict) and previous.get("token"):
                try:
                    excel.discard_stash(excel.stash_path(previous["token"]))
                except ValidationError:
                    pass
            token = excel.stash_upload(upload)
            request.session[SESSION_KEY] = {
                "token": token,
                "user": user.pk,
                "name": upload.name,
                "org": org.pk if org else None,
            }
            return redirect("members:import_preview")
    pending = _pending(request)
    context = {
        "form": form,
        "org": org,
        "pending_name": pending[1] if pending else "",
        "max_rows": excel.MAX_ROWS,
        "max_mb": excel.MAX_BYTES // 1024 // 1024,
        "columns": excel.COLUMNS,
    }
    return render(request, "members/excel/import.html", context)


@login_required
def import_template(request):
    if not access.has_perm(request.user, Perm.MEMBER_MANAGE):
        raise PermissionDenied("您没有导入党员档案的权限")
    return _xlsx(excel.build_template(request.user), "党员花名册导入模板.xlsx")


def _validated(request):
    """(report, token, org) for the session's pending upload, or None after a message."""
    pending = _pending(request)
    if pending is None:
        messages.info(request, "请先上传要导入的花名册文件")
        return None
    token, name, org = pending
    try:
        sheet = excel.read_upload(str(excel.stash_path(token)), filename=name)
    except ValidationError as exc:
        request.session.pop(SESSION_KEY, None)
        messages.error(request, "；".join(exc.messages))
        return None
    return excel.validate_sheet(request.user, sheet, org=org), token, org


@login_required
def import_preview(request):
    found = _validated(request)
    if found is None:
        return redirect("members:import")
    report, token, org = found
    context = {
        "report": report,
        "token": token,
        "org": org,
        "valid_preview": report.valid_rows[:PREVIEW_ROWS],
        "errors": report.errors[:SHOWN_ERRORS],
        "errors_cut": len(report.errors) > SHOWN_ERRORS,
        "shown_errors": SHOWN_ERRORS,
        "preview_rows": PREVIEW_ROWS,
        "upload_url": _with_org(reverse("members:import"), org),
    }
    return render(request, "members/excel/preview.html", context)


@login_required
def import_errors(request):
    found = _validated(request)
    if found is None:
        return redirect("members:import")
    report = found[0]
    stem = report.filename.rsplit(".", 1)[0] or "花名册"
    return _xlsx(excel.error_report(report), f"{stem}-错误报告.xlsx")


@login_required
@require_POST
def import_commit(request):
    pending = _pending(request)
    if pending is None or request.POST.get("token") != pending[0]:
        messages.error(request, "该导入已经提交或已过期，请勿重复提交；如需导入请重新上传文件")
        return redirect("members:import")
    token, name, org = pending
    try:
        claimed = excel.claim_stash(token)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("members:import")
    try:
        sheet = excel.read_upload(str(claimed), filename=name)
        report = excel.validate_sheet(request.user, sheet, org=org)
        members = excel.commit_import(request.user, report)
    except ValidationError as exc:
        excel.release_stash(claimed, token)
        messages.error(request, "；".join(exc.messages))
        return redirect("members:import_preview")
    excel.discard_stash(claimed)
    request.session.pop(SESSION_KEY, None)
    messages.success(request, f"已成功导入{len(members)}名党员，每人的档案中记录了“批量导入”事项")
    return redirect(_with_org(reverse("members:roster"), org))


def roster_filters(user, params) -> dict:
    """The roster page's query parameters (?org=&status=&category=&group=…) as selectors.roster kwargs."""
    org = None
    if params.get("org"):
        org = org_selectors.get_org(user, params.get("org"), Perm.MEMBER_VIEW)
    group = None
    if org is not None and params.get("group"):
        group = next((g for g in selectors.groups_of(org) if str(g.pk) == params.get("group")), None)
    if org is not None and org.org_type == OrgType.GROUP:
        group = None
    status = params.get("status") or "on_roll"
    return {
        "org": org,
        "status": status if status in ("on_roll", "all", *MemberStatus.values) else "on_roll",
        "category": params.get("category") or None,
        "group": group,
        "age_band": params.get("age_band") or None,
        "education": params.get("education") or None,
        "flags": [f for f in params.getlist("flag") if f in selectors.FLAGS],
        "q": params.get("q", ""),
        "sort": params.get("sort") or "org",
    }


def export_response(user, params) -> HttpResponse:
    """The roster export for the given query parameters (also used by the API)."""
    if not access.has_perm(user, Perm.MEMBER_VIEW):
        raise PermissionDenied("您没有导出党员花名册的权限")
    filters = roster_filters(user, params)
    unmasked = params.get("unmasked") in ("1", "true", "on", "yes")
    data = excel.export_roster(user, selectors.roster(user, **filters), unmasked=unmasked)
    org = filters["org"]
    label = org.name if org is not None else "党员花名册"
    return _xlsx(data, f"{label}-花名册-{timezone.localdate():%Y%m%d}.xlsx")


@login_required
def export(request):
    return export_response(request.user, request.GET)


urlpatterns = [
    path("import/", import_upload, name="import"),
    path("import/template.xlsx", import_template, name="import_template"),
    path("import/preview/", import_preview, name="import_preview"),
    path("import/errors.xlsx", import_errors, name="import_errors"),
    path("import/commit/", import_commit, name="import_commit"),
    path("export.xlsx", export, name="export"),
]
