"""Login, profile, password, tokens, role management, accounts, lockouts. Thin: logic is in services."""

from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from zhibu.accounts import selectors, services
from zhibu.accounts.forms import (
    GrantRoleForm,
    LoginForm,
    PasswordChangeForm,
    ResetPasswordForm,
    TokenForm,
    UserCreateForm,
)
from zhibu.accounts.models import ApiToken, RoleAssignment, User
from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError
from zhibu.core.forms import apply_errors
from zhibu.orgs.selectors import get_org, visible_orgs


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def lockout(request, credentials=None, *args, **kwargs):
    """Shown (HTTP 429) after too many failed logins (django-axes)."""
    return render(request, "accounts/lockout.html", status=429)


@require_POST
def logout_view(request):
    logout(request)
    return redirect("accounts:login")


@login_required
def profile(request):
    return render(
        request,
        "accounts/profile.html",
        {"roles": selectors.my_roles(request.user), "member": getattr(request.user, "member", None)},
    )


@login_required
def change_password(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_own_password(
                request.user, form.cleaned_data["old_password"], form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, "密码已修改")
            return redirect("accounts:profile")
    return render(request, "accounts/password.html", {"form": form})


@login_required
@require_POST
def toggle_large_text(request):
    services.set_large_text(request.user, not request.user.large_text)
    return redirect(request.POST.get("next") or "core:home")


@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _, new_key = services.create_token(
                request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            form = TokenForm()
    items = ApiToken.objects.filter(user=request.user)
    return render(request, "accounts/tokens.html", {"form": form, "tokens": items, "new_key": new_key})


@login_required
@require_POST
def revoke_token(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    try:
        services.revoke_token(request.user, token)
        messages.success(request, "令牌已撤销")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("accounts:tokens")


@login_required
def roles(request):
    user = request.user
    if not access.has_perm(user, Perm.ROLE_MANAGE):
        raise PermissionDenied("您没有管理角色的权限")
    manage_orgs = visible_orgs(user, Perm.ROLE_MANAGE).filter(status="active").order_by("path")
    initial_org = None
    if request.GET.get("org"):
        initial_org = get_org(user, request.GET["org"], Perm.ROLE_MANAGE)
    grant_org = initial_org
    if request.method == "POST" and request.POST.get("org"):
        grant_org = get_org(user, request.POST["org"], Perm.ROLE_MANAGE)
    roles_allowed = access.grantable_roles(user, grant_org) if grant_org else access.grantable_anywhere(user)
    form = GrantRoleForm(
        request.POST or None, orgs=manage_orgs, roles=roles_allowed, initial={"org": initial_org}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_role(
                user,
                user=form.cleaned_data["user"],
                org=form.cleaned_data["org"],
                role=form.cleaned_data["role"],
                position=form.cleaned_data["position"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "角色已授予")
            return redirect(request.get_full_path())
    qs = selectors.assignments_in_scope(
        user,
        org=initial_org,
        text=request.GET.get("q", "").strip(),
        include_revoked=bool(request.GET.get("all")),
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    grantable = {a.pk for a in page if a.role in access.grantable_roles(user, a.org)}
    return render(
        request,
        "accounts/roles.html",
        {"form": form, "page": page, "filter_org": initial_org, "revocable": grantable},
    )


@login_required
@require_POST
def revoke_role(request, pk: int):
    qs = selectors.assignments_in_scope(request.user, include_revoked=True)
    assignment = get_object_or_404(qs, pk=pk)
    try:
        services.revoke_role(request.user, assignment)
        messages.success(request, f"已撤销 {assignment}")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect(request.POST.get("next") or "accounts:roles")


def _require_accounts(user):
    if not access.has_perm(user, Perm.ACCOUNT_MANAGE):
        raise PermissionDenied("只有系统管理员可以管理账户")


@login_required
def users(request):
    _require_accounts(request.user)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_user(request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已创建账户 {created}")
            return redirect("accounts:users")
    page = Paginator(selectors.all_users(request.GET.get("q", "").strip()), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/users.html", {"form": form, "page": page})


@login_required
def user_detail(request, pk: int):
    _require_accounts(request.user)
    target = get_object_or_404(User, pk=pk)
    form = ResetPasswordForm(request.POST if request.POST.get("op") == "reset" else None)
    if request.method == "POST":
        try:
            if request.POST.get("op") == "reset" and form.is_valid():
                services.reset_password(request.user, target, form.cleaned_data["new_password"])
                messages.success(request, "密码已重置")
                return redirect("accounts:user_detail", pk=pk)
            if request.POST.get("op") in ("activate", "deactivate"):
                services.set_user_active(request.user, target, request.POST["op"] == "activate")
                messages.success(request, "账户状态已更新")
                return redirect("accounts:user_detail", pk=pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    assignments = RoleAssignment.objects.filter(user=target).select_related("org").order_by("-granted_at")
    return render(
        request, "accounts/user_detail.html", {"target": target, "form": form, "assignments": assignments}
    )


@login_required
def security(request):
    if not access.has_perm(request.user, Perm.ACCOUNT_UNLOCK):
        raise PermissionDenied("只有安全保密员可以管理登录锁定")
    if request.method == "POST" and request.POST.get("username"):
        services.unlock_account(request.user, request.POST["username"])
        messages.success(request, f"已解除 {request.POST['username']} 的登录锁定")
        return redirect("accounts:security")
    page = Paginator(selectors.lockouts(), 50).get_page(request.GET.get("page"))
    return render(request, "accounts/security.html", {"page": page})
