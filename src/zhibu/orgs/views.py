"""Org tree, org detail and committee pages. Thin: parse, call a service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhibu.core import access, config
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError
from zhibu.core.forms import apply_errors, errors_text
from zhibu.orgs import selectors, services
from zhibu.orgs.forms import (
    DissolveForm,
    EndHoldingForm,
    HolderForm,
    MoveForm,
    OrgForm,
    SeatForm,
    SettingForm,
    TermEndForm,
    TermForm,
)
from zhibu.orgs.models import CommitteeSeat, Organization, SeatHolding


@login_required
def tree(request):
    query = request.GET.get("q", "").strip()
    if query:
        results = selectors.annotate_counts(selectors.search_orgs(request.user, query))
        return render(request, "orgs/tree.html", {"results": results, "q": query})
    roots = selectors.annotate_counts(selectors.scope_roots(request.user))
    if not roots and not access.has_perm(request.user, Perm.ORG_VIEW):
        raise Http404("您没有可查看的组织")
    return render(request, "orgs/tree.html", {"roots": roots})


@login_required
def children(request, pk: int):
    org = selectors.get_org(request.user, pk)
    kids = selectors.children_with_counts(org, include_dissolved=bool(request.GET.get("all")))
    return render(request, "orgs/_children.html", {"nodes": kids})


@login_required
def detail(request, pk: int):
    user = request.user
    org = selectors.get_org(user, pk)
    committee = selectors.committee_view(org)
    members, full = selectors.member_counts(org)
    context = {
        "org": org,
        "ancestors": [a for a in Organization.objects.get_ancestors(org) if access.in_scope(user, a)],
        "committee": committee,
        "member_count": members,
        "full_count": full,
        "sub_orgs": selectors.children_with_counts(org, include_dissolved=True),
        "advice": selectors.setup_advice(org, committee) if org.is_active else [],
        "can_manage": access.has_perm(user, Perm.ORG_MANAGE, org) and org.is_active,
        "can_manage_roles": access.has_perm(user, Perm.ROLE_MANAGE, org),
        "can_manage_committee": access.has_perm(user, Perm.COMMITTEE_MANAGE, org),
    }
    return render(request, "orgs/detail.html", context)


def _org_form_view(request, org, form, on_valid, title, cancel):
    if request.method == "POST" and form.is_valid():
        try:
            result = on_valid(form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("orgs:detail", pk=result.pk)
    return render(request, "orgs/form.html", {"org": org, "form": form, "title": title, "cancel": cancel})


@login_required
def create_child(request, pk: int):
    parent = selectors.get_org(request.user, pk, Perm.ORG_MANAGE)
    form = OrgForm(request.POST or None, initial={"sector": parent.sector, "host_unit": parent.host_unit})
    return _org_form_view(
        request,
        parent,
        form,
        lambda data: services.create_org(request.user, parent=parent, **data),
        f"在“{parent.name}”下新建组织",
        parent,
    )


@login_required
def edit(request, pk: int):
    org = selectors.get_org(request.user, pk, Perm.ORG_MANAGE)
    form = OrgForm.from_org(org, request.POST or None)
    return _org_form_view(
        request,
        org,
        form,
        lambda data: services.update_org(request.user, org, **data),
        f"编辑“{org.name}”",
        org,
    )


@login_required
def move(request, pk: int):
    org = selectors.get_org(request.user, pk, Perm.ORG_MANAGE)
    parents = (
        selectors.visible_orgs(request.user, Perm.ORG_MANAGE)
        .filter(status="active")
        .exclude(path__startswith=org.path)
        .order_by("path")
    )
    form = MoveForm(request.POST or None, parents=parents)
    return _org_form_view(
        request,
        org,
        form,
        lambda data: services.move_org(request.user, org, data["parent"]),
        f"调整“{org.name}”的上级组织",
        org,
    )


@login_required
def dissolve(request, pk: int):
    org = selectors.get_org(request.user, pk, Perm.ORG_MANAGE)
    form = DissolveForm(request.POST or None, initial={"dissolved_on": timezone.localdate()})
    return _org_form_view(
        request,
        org,
        form,
        lambda data: services.dissolve_org(request.user, org, **data),
        f"撤销“{org.name}”",
        org,
    )


@login_required
@require_POST
def delete(request, pk: int):
    org = selectors.get_org(request.user, pk, Perm.ORG_MANAGE)
    parent = Organization.objects.get_parent(org)
    try:
        services.delete_org(request.user, org)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("orgs:detail", pk=org.pk)
    messages.success(request, f"已删除“{org.name}”")
    return redirect("orgs:detail", pk=parent.pk) if parent else redirect("orgs:tree")


@login_required
def committee(request, pk: int):
    org = selectors.get_org(request.user, pk)
    view = selectors.committee_view(org)
    can_manage = access.has_perm(request.user, Perm.COMMITTEE_MANAGE, org) and org.is_active
    context = {
        "org": org,
        "committee": view,
        "history": [t for t in selectors.term_history(org) if not t.is_current],
        "can_manage": can_manage,
    }
    if can_manage:
        context.update(
            term_form=TermForm(initial={"started_on": timezone.localdate()}),
            term_end_form=TermEndForm(initial={"ends_on": view.term.ends_on} if view.term else None),
            seat_form=SeatForm(),
            holder_form=HolderForm(
                members=selectors.members_for_seat(org), initial={"started_on": timezone.localdate()}
            ),
            end_form=EndHoldingForm(initial={"ended_on": timezone.localdate()}),
        )
    return render(request, "orgs/committee.html", context)


@login_required
@require_POST
def committee_action(request, pk: int, op: str):
    """One POST endpoint per committee operation; errors come back as messages on the committee page."""
    org = selectors.get_org(request.user, pk, Perm.COMMITTEE_MANAGE)
    view = selectors.committee_view(org)
    user, post = request.user, request.POST
    try:
        if op == "term":
            form = TermForm(post)
            if form.is_valid():
                services.start_term(user, org, **form.cleaned_data)
        elif op == "term-end" and view.term:
            form = TermEndForm(post)
            if form.is_valid():
                services.update_term_end(user, view.term, **form.cleaned_data)
        elif op == "seat" and view.term:
            form = SeatForm(post)
            if form.is_valid():
                services.add_seat(user, view.term, **form.cleaned_data)
        elif op == "assign" and view.term:
            seat = get_object_or_404(CommitteeSeat, pk=post.get("seat"), term=view.term)
            form = HolderForm(post, members=selectors.members_for_seat(org))
            if form.is_valid():
                services.assign_holder(user, seat, **form.cleaned_data)
        elif op == "end" and view.term:
            holding = get_object_or_404(SeatHolding, pk=post.get("holding"), seat__term=view.term)
            form = EndHoldingForm(post)
            if form.is_valid():
                services.end_holding(user, holding, **form.cleaned_data)
        else:
            raise Http404("未知操作")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("orgs:committee", pk=org.pk)
    if form.is_valid():
        messages.success(request, "已保存")
    else:
        messages.error(request, errors_text(form))
    return redirect("orgs:committee", pk=org.pk)


@login_required
def rule_settings(request, pk: int):
    """规则配置: the configurable rule numbers in effect for this org, and (for org managers) new values."""
    org = selectors.get_org(request.user, pk)
    keys = config.editable_keys(request.user, org)
    can_manage = bool(keys)
    form = SettingForm(request.POST or None, keys=keys, initial={"valid_from": timezone.localdate()})
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("您没有修改规则配置的权限")
        if form.is_valid():
            data = form.cleaned_data
            try:
                config.set_value(
                    request.user, org, data["key"], data["value"], data["valid_from"], data["note"]
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "规则配置已保存，之前的版本仍保留")
                return redirect("orgs:settings", pk=org.pk)
    context = {"org": org, "rows": config.effective(org), "form": form, "can_manage": can_manage}
    return render(request, "orgs/settings.html", context)
