"""Values every page needs: site name, navigation by the user's permissions, large-text mode."""

from django.conf import settings

from zhibu.core import access
from zhibu.core.access import Perm


def shell(request):
    user = getattr(request, "user", None)
    nav = []
    if user is not None and user.is_authenticated:
        nav.append(("core:home", "工作台", "house-door"))
        if access.has_perm(user, Perm.ORG_VIEW):
            nav.append(("orgs:tree", "组织", "diagram-3"))
        if access.has_perm(user, Perm.MEMBER_VIEW):
            nav.append(("members:roster", "花名册", "person-lines-fill"))
            nav.append(("members:transfers", "组织关系转接", "arrow-left-right"))
            nav.append(("development:board", "发展党员", "signpost-split"))
        elif user.dev_cases.filter(status="active").exists():
            # applicants, activists and probationary members hand in 思想汇报 from their phones
            nav.append(("development:my_reports", "思想汇报", "journal-text"))
        if access.has_perm(user, Perm.ORGLIFE_VIEW):
            nav.append(("orglife:meetings", "组织生活", "calendar-check"))
        elif hasattr(user, "member"):  # members check in and see their meetings from their phones
            nav.append(("orglife:mine", "我的会议", "calendar-check"))
        if access.has_perm(user, Perm.POINTS_VIEW):
            nav.append(("points:overview", "积分", "award"))
        elif hasattr(user, "member"):  # a linked member record: one query, cached on the user
            nav.append(("points:mine", "我的积分", "award"))
        if access.has_perm(user, Perm.ROLE_MANAGE):
            nav.append(("accounts:roles", "角色管理", "person-badge"))
        if access.has_perm(user, Perm.ACCOUNT_MANAGE):
            nav.append(("accounts:users", "账户管理", "people"))
        if access.has_perm(user, Perm.ACCOUNT_UNLOCK):
            nav.append(("accounts:security", "登录安全", "shield-lock"))
        if access.has_perm(user, Perm.AUDIT_VIEW):
            nav.append(("core:audit", "审计日志", "journal-text"))
        nav.append(("accounts:profile", "我的", "person-circle"))
    large = bool(user and user.is_authenticated and user.large_text) or request.COOKIES.get("zb_large") == "1"
    return {"site_name": settings.ZHIBU_SITE_NAME, "nav_items": nav, "large_text": large}
