"""Roster (花名册), member record pages and statistics. Thin: parse, call a service or selector, render."""

from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Length, Substr
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError
from zhibu.core.forms import apply_errors
from zhibu.members import rules, selectors, services
from zhibu.members.forms import GroupForm, MemberCreateForm, MemberEditForm, PostForm, StatusForm
from zhibu.members.models import Category, Education, EventKind, Member, MemberStatus
from zhibu.orgs import selectors as org_selectors
from zhibu.orgs.models import Organization, OrgType

PAGE_SIZE = 50
TRANSFER_PANEL = "members/transfers/_member_panel.html"
# Sortable roster columns: (sort key, column label).
SORT_COLUMNS = {"name": "姓名", "birth_date": "出生日期", "joined_on": "入党日期", "org": "所在组织"}


def _require_view(user) -> None:
    if not access.has_perm(user, Perm.MEMBER_VIEW):
        raise PermissionDenied("您没有查看党员档案的权限")


def _require_manage(user, member) -> None:
    if not access.has_perm(user, Perm.MEMBER_MANAGE, member.org):
        raise PermissionDenied("您没有修改该党员档案的权限")


def _picked_org(request) -> Organization | None:
    """The org of ?org= (404 outside the user's member.view scope), else the only root of the scope."""
    pk = request.GET.get("org", "").strip()
    if pk:
        return org_selectors.get_org(request.user, pk, Perm.MEMBER_VIEW)
    roots = access.roots(request.user, Perm.MEMBER_VIEW)
    if len(roots) == 1:
        return Organization.objects.filter(path=roots[0]).first()
    return None


def _org_picker(user) -> list[Organization]:
    """Orgs to choose from (tree order, indented), when the user's scope spans more than one org."""
    orgs = list(selectors.member_orgs(user))
    if len(orgs) <= 1:
        return []
    top = min(o.depth for o in orgs)
    for o in orgs:
        o.indent = "\u3000" * (o.depth - top)
    return orgs


def _has_template(name: str) -> bool:
    try:
        select_template([name])
    except TemplateDoesNotExist:
        return False
    return True


def _sort_links(current: str) -> dict:
    """{column: {"next": sort value when clicked, "dir": "asc"/"desc"/""}} for the roster headers."""
    links = {}
    for key in SORT_COLUMNS:
        if current == key:
            links[key] = {"next": f"-{key}", "dir": "asc"}
        elif current == f"-{key}":
            links[key] = {"next": key, "dir": "desc"}
        else:
            links[key] = {"next": key, "dir": ""}
    return links


@login_required
def roster(request):
    user = request.user
    _require_view(user)
    org = _picked_org(request)
    get = request.GET
    groups = list(selectors.groups_of(org))
    group = next((g for g in groups if str(g.pk) == get.get("group", "")), None)
    if org is not None and org.org_type == OrgType.GROUP:
        group = None  # the org itself is the group
    sort = get.get("sort", "name")
    if sort.lstrip("-") not in SORT_COLUMNS:
        sort = "name"
    flags = [f for f in get.getlist("flag") if f in selectors.FLAGS]
    status = get.get("status") or "on_roll"
    qs = selectors.roster(
        user,
        org=org,
        status=status,
        category=get.get("category") or None,
        group=group,
        age_band=get.get("age_band") or None,
        education=get.get("education") or None,
        flags=flags,
        q=get.get("q", ""),
        sort=sort,
    )
    page = Paginator(qs, PAGE_SIZE).get_page(get.get("page"))
    today = timezone.localdate()
    for member in page:
        member.show_mobile = access.can_see_sensitive(user, member.org)
        member.age = rules.age_on(member.birth_date, today) if member.birth_date else None
    orgs = _org_picker(user)
    filtered = any(get.get(k) for k in ("category", "group", "age_band", "education", "q")) or bool(flags)
    context = {
        "page": page,
        "org": org,
        "orgs": orgs,
        "picker_all": len(access.roots(user, Perm.MEMBER_VIEW)) > 1,
        "groups": groups,
        "group": group,
        "status": status,
        "status_choices": [("on_roll", "在册（正常、流动、失联）"), ("all", "全部"), *MemberStatus.choices],
        "category_choices": Category.choices,
        "age_bands": [(k, label) for k, label, _lo, _hi in rules.AGE_BANDS],
        "education_choices": [*Education.choices, ("none", "未登记")],
        "flag_choices": [(k, v[0]) for k, v in selectors.FLAGS.items()],
        "flags": flags,
        "sort": sort,
        "sort_links": _sort_links(sort),
        "filtered": filtered or status != "on_roll",
        # one branch (or group) in view: its name is in the header, the table shows 党小组 instead
        "show_org": org is None or org.org_type not in (OrgType.BRANCH, OrgType.GROUP),
        "can_create": access.has_perm(user, Perm.MEMBER_MANAGE, org)
        if org is not None
        else access.has_perm(user, Perm.MEMBER_MANAGE),
    }
    return render(request, "members/roster.html", context)


DETAIL_LABELS = {
    "org": "所在组织",
    "from_org": "转出组织",
    "to_org": "接收组织",
    "user": "关联账户",
    "letter_no": "介绍信编号",
    "transfer": "转接记录",
}


def _label(key: str) -> str:
    try:
        return str(Member._meta.get_field(key).verbose_name)
    except FieldDoesNotExist:
        return DETAIL_LABELS.get(key, key)


def _shown(key: str, value):
    """A stored value as people read it: choice codes as their Chinese labels, flags as 是/否."""
    try:
        field = Member._meta.get_field(key)
    except FieldDoesNotExist:
        return value
    if field.choices and value is not None:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def _describe(event) -> None:
    """Split an event's data into field changes (label, before, after) and other details (label, value)."""
    event.changes, event.details = [], []
    for key, value in (event.data or {}).items():
        if isinstance(value, list) and len(value) == 2:
            event.changes.append((_label(key), _shown(key, value[0]), _shown(key, value[1])))
        elif key != "transfer" and value not in (None, "", True, False):
            event.details.append((_label(key), _shown(key, value)))


def _with_record_dates(member, events: list) -> list:
    """Add the join and conversion dates kept on the record (imported or older members have no such
    events) as plain timeline entries, so the timeline always shows them, newest first."""
    kinds = {e.kind for e in events}
    extra = []
    for kind, label, day in (
        (EventKind.JOINED, "入党", member.joined_on),
        (EventKind.CONVERTED, "转正", member.converted_on),
    ):
        if day and kind not in kinds:
            extra.append(
                SimpleNamespace(occurred_on=day, label=label, from_record=True, changes=[], details=[])
            )
    return sorted([*events, *extra], key=lambda e: e.occurred_on, reverse=True) if extra else events


def _detail_context(request, member, revealed=None) -> dict:
    user = request.user
    today = timezone.localdate()
    events = list(selectors.timeline(member))
    for event in events:
        _describe(event)
    events = _with_record_dates(member, events)
    return {
        "member": member,
        "age": rules.age_on(member.birth_date, today) if member.birth_date else None,
        "standing": rules.party_standing_years(member.converted_on, today)
        if member.category == Category.FULL
        else None,
        "can_manage": access.has_perm(user, Perm.MEMBER_MANAGE, member.org),
        "can_reveal": access.can_see_sensitive(user, member.org),
        "can_points": access.has_perm(user, Perm.POINTS_VIEW, member.org),
        "revealed": revealed,
        "events": events,
        "has_transfer_panel": _has_template(TRANSFER_PANEL),
    }


@login_required
def detail(request, pk: int):
    member = selectors.get_member(request.user, pk)
    return render(request, "members/detail.html", _detail_context(request, member))


@login_required
@require_POST
def reveal(request, pk: int):
    """Show the full ID and mobile numbers once (audited); 403 for roles that may not see them."""
    member = selectors.get_member(request.user, pk)
    revealed = services.reveal_sensitive(request.user, member)
    return render(request, "members/detail.html", _detail_context(request, member, revealed))


def _groups_with_branch(branches):
    """Active 党小组 of the given branches, each annotated with `branch_name` (one query)."""
    step = Organization.steplen
    parent_path = Substr("path", 1, Length("path") - step)
    parent = Organization.objects.filter(path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - step))
    return (
        Organization.objects.filter(org_type=OrgType.GROUP, status="active")
        .annotate(parent_path=parent_path, branch_name=Subquery(parent.values("name")[:1]))
        .filter(parent_path__in=branches.values("path"))
        .order_by("path")
    )


def _form_page(request, form, title, crumb, member=None, note=""):
    return render(
        request,
        "members/form.html",
        {"form": form, "title": title, "crumb": crumb, "member": member, "note": note},
    )


@login_required
def create(request):
    user = request.user
    branches = selectors.manageable_branches(user)
    if not access.has_perm(user, Perm.MEMBER_MANAGE):
        raise PermissionDenied("您没有新建党员档案的权限")
    initial = {"category": Category.FULL, "status": MemberStatus.NORMAL, "ethnicity": "01"}
    picked = request.GET.get("org", "")
    if picked.isdigit() and branches.filter(pk=picked).exists():
        initial["org"] = int(picked)
    elif len(only := list(branches[:2])) == 1:
        initial["org"] = only[0].pk  # a secretary of one branch need not pick it
    form = MemberCreateForm(
        request.POST or None, initial=initial, branches=branches, groups=_groups_with_branch(branches)
    )
    if request.method == "POST" and form.is_valid():
        try:
            member = services.create_member(user, org=form.cleaned_data["org"], **form.service_data())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已为{member.name}建立党员档案")
            return redirect("members:detail", pk=member.pk)
    return _form_page(request, form, "新建党员档案", "新建档案")


@login_required
def edit(request, pk: int):
    member = selectors.get_member(request.user, pk)
    _require_manage(request.user, member)
    form = MemberEditForm.from_member(member, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            services.update_member(request.user, member, reason=form.cleaned_data["reason"], **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("members:detail", pk=member.pk)
    return _form_page(request, form, f"编辑党员信息：{member.name}", "编辑信息", member)


def _action_page(request, member, form, title, crumb, action, note=""):
    if request.method == "POST" and form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("members:detail", pk=member.pk)
    return _form_page(request, form, title, crumb, member, note=note)


@login_required
def change_status(request, pk: int):
    member = selectors.get_member(request.user, pk)
    _require_manage(request.user, member)
    form = StatusForm(request.POST or None, initial={"on": timezone.localdate()})
    return _action_page(
        request,
        member,
        form,
        f"变更状态：{member.name}",
        "变更状态",
        lambda d: services.change_status(request.user, member, **d),
        note=f"当前状态：{member.get_status_display()}。组织关系转出请通过“组织关系转接”办理。",
    )


@login_required
def change_group(request, pk: int):
    member = selectors.get_member(request.user, pk)
    _require_manage(request.user, member)
    form = GroupForm(
        request.POST or None,
        initial={"on": timezone.localdate(), "group": member.group_id},
        groups=selectors.groups_of(member.org),
    )
    return _action_page(
        request,
        member,
        form,
        f"调整党小组：{member.name}",
        "调整党小组",
        lambda d: services.change_group(request.user, member, **d),
        note=f"当前党小组：{member.group.name if member.group else '未编入党小组'}",
    )


@login_required
def change_post(request, pk: int):
    member = selectors.get_member(request.user, pk)
    _require_manage(request.user, member)
    form = PostForm(
        request.POST or None, initial={"on": timezone.localdate(), "party_posts": member.party_posts}
    )
    return _action_page(
        request,
        member,
        form,
        f"党内职务变更：{member.name}",
        "职务变更",
        lambda d: services.change_post(request.user, member, **d),
    )


@login_required
def stats(request):
    user = request.user
    _require_view(user)
    org = _picked_org(request)
    data = selectors.stats(user, org)
    orgs = _org_picker(user)
    charts = [
        ("status", "按状态", "pie"),
        ("gender", "按性别", "pie"),
        ("category", "按党员类别", "pie"),
        ("age", "按年龄", "bar"),
        ("education", "按学历", "bar"),
        ("ethnicity", "按民族", "bar"),
        ("standing", "按党龄（正式党员）", "bar"),
    ]
    context = {
        "org": org,
        "orgs": orgs,
        "picker_all": len(access.roots(user, Perm.MEMBER_VIEW)) > 1,
        "stats": data,
        "charts": [
            {
                "key": key,
                "title": title,
                "kind": kind,
                "rows": data[key],
                "element_id": f"zb-chart-{key}",
            }
            for key, title, kind in charts
        ],
    }
    return render(request, "members/stats.html", context)


urlpatterns = [
    path("", roster, name="roster"),
    path("new/", create, name="create"),
    path("stats/", stats, name="stats"),
    path("<int:pk>/", detail, name="detail"),
    path("<int:pk>/edit/", edit, name="edit"),
    path("<int:pk>/status/", change_status, name="change_status"),
    path("<int:pk>/group/", change_group, name="change_group"),
    path("<int:pk>/post/", change_post, name="change_post"),
    path("<int:pk>/reveal/", reveal, name="reveal"),
]
