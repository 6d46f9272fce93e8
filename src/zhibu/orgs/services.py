"""Writes to the org tree and committees: one function per use case, each in a transaction, audited."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from zhibu.core import access, audit
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError, fail
from zhibu.core.models import AuditAction
from zhibu.members.models import Category, Member
from zhibu.orgs import rules
from zhibu.orgs.models import (
    BranchKind,
    CommitteeSeat,
    CommitteeTerm,
    Organization,
    OrgStatus,
    OrgType,
    Position,
    SeatHolding,
    Sector,
)

ORG_FIELDS = ["name", "short_name", "code", "org_type", "branch_kind", "founded_on", "host_unit", "sector"]


def _clean_org_fields(data: dict, instance: Organization | None = None) -> dict:
    data = {k: v for k, v in data.items() if k in ORG_FIELDS}
    for key in ("name", "short_name", "code", "host_unit"):
        if key in data and data[key] is not None:
            data[key] = str(data[key]).strip()
    if "name" in data and not data["name"]:
        fail("请填写组织名称", "name")
    if "code" in data:
        if not data["code"]:
            fail("请填写组织代码", "code")
        clash = Organization.objects.filter(code=data["code"])
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            fail(f"组织代码“{data['code']}”已被使用", "code")
    if "org_type" in data and data["org_type"] not in OrgType.values:
        fail("组织类型无效", "org_type")
    if "sector" in data and data["sector"] not in Sector.values:
        fail("单位类别无效", "sector")
    if "branch_kind" in data and data["branch_kind"] not in BranchKind.values:
        fail("支部类别无效", "branch_kind")
    org_type = data.get("org_type", instance.org_type if instance else None)
    if org_type != OrgType.BRANCH:
        data["branch_kind"] = BranchKind.REGULAR
    founded = data.get("founded_on")
    if founded and founded > timezone.localdate():
        fail("成立日期不能晚于今天", "founded_on")
    return data


def _check_parent(parent: Organization | None, child_type: str) -> None:
    if parent is not None and not parent.is_active:
        fail(f"“{parent.name}”已撤销，不能在其下设立或移入组织", "parent")
    error = rules.child_type_error(parent.org_type if parent else None, child_type)
    if error:
        fail(error, "org_type")


@transaction.atomic
def create_org(actor, *, parent: Organization | None, **fields) -> Organization:
    """Create an org under `parent` (the actor needs org.manage there); a root only from the CLI."""
    if parent is None and actor is not None:
        raise PermissionDenied("顶层组织只能由系统初始化命令创建")
    if parent is not None and actor is not None:
        access.require(actor, Perm.ORG_MANAGE, parent)
    data = _clean_org_fields(fields)
    for required in ("name", "code", "org_type"):
        if not data.get(required):
            fail("此项为必填项", required)
    _check_parent(parent, data["org_type"])
    try:
        with transaction.atomic():
            org = (
                Organization.objects.add_root(data)
                if parent is None
                else Organization.objects.add_child(parent, data)
            )
    except IntegrityError:
        fail(f"组织代码“{data['code']}”已被使用", "code")
    audit.record(actor, AuditAction.CREATE, org, org_id=org.pk, after=audit.snapshot(org, ORG_FIELDS))
    return org


@transaction.atomic
def update_org(actor, org: Organization, **fields) -> Organization:
    """Edit an org's attributes; a type change must still fit its parent and its children."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    access.require(actor, Perm.ORG_MANAGE, org)
    if not org.is_active:
        fail("已撤销的组织不能修改")
    data = _clean_org_fields(fields, instance=org)
    before = audit.snapshot(org, ORG_FIELDS)
    new_type = data.get("org_type", org.org_type)
    if new_type != org.org_type:
        parent = Organization.objects.get_parent(org)
        _check_parent(parent, new_type) if parent else None
        if parent is None:
            error = rules.child_type_error(None, new_type)
            if error:
                fail(error, "org_type")
        for child_type in set(Organization.objects.get_children(org).values_list("org_type", flat=True)):
            error = rules.child_type_error(new_type, child_type)
            if error:
                fail(f"现有下级组织与新类型不符：{error}", "org_type")
        if Member.objects.filter(org=org).exists() and new_type != OrgType.BRANCH:
            fail("该组织下直接登记有党员，只有党支部可以直接管理党员", "org_type")
    for key, value in data.items():
        setattr(org, key, value)
    org.save()
    after = audit.snapshot(org, ORG_FIELDS)
    if before != after:
        audit.record(actor, AuditAction.UPDATE, org, org_id=org.pk, before=before, after=after)
    return org


@transaction.atomic
def move_org(actor, org: Organization, new_parent: Organization) -> Organization:
    """Move an org (with everything below it) under another parent, both in the actor's manage scope."""
    org = Organization.objects.get(pk=org.pk)
    new_parent = Organization.objects.get(pk=new_parent.pk)
    access.require(actor, Perm.ORG_MANAGE, org)
    access.require(actor, Perm.ORG_MANAGE, new_parent)
    old_parent = Organization.objects.get_parent(org)
    if old_parent is None:
        fail("顶层组织不能移动")
    access.require(actor, Perm.ORG_MANAGE, old_parent)
    if new_parent.path.startswith(org.path):
        fail("不能把组织移到它自己或它的下级组织之下", "parent")
    if new_parent.pk == old_parent.pk:
        fail("新的上级组织与原上级组织相同", "parent")
    if not org.is_active:
        fail("已撤销的组织不能移动")
    _check_parent(new_parent, org.org_type)
    before = {"parent": old_parent.name, "parent_id": old_parent.pk}
    Organization.objects.move(org, new_parent, pos="sorted-child")
    org.refresh_from_db()
    audit.record(
        actor,
        AuditAction.UPDATE,
        org,
        org_id=org.pk,
        summary="调整上级组织",
        before=before,
        after={"parent": new_parent.name, "parent_id": new_parent.pk},
    )
    access.clear_cache(actor)
    return org


@transaction.atomic
def dissolve_org(actor, org: Organization, *, dissolved_on: dt.date, reason: str) -> Organization:
    """Dissolve (撤销) an org: kept with its history; it must have no active sub-orgs or members on roll."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    access.require(actor, Perm.ORG_MANAGE, org)
    if not org.is_active:
        fail("该组织已经撤销")
    reason = (reason or "").strip()
    if not reason:
        fail("请填写撤销原因", "reason")
    if dissolved_on is None:
        fail("请填写撤销日期", "dissolved_on")
    if dissolved_on > timezone.localdate():
        fail("撤销日期不能晚于今天", "dissolved_on")
    if org.founded_on and dissolved_on < org.founded_on:
        fail("撤销日期不能早于成立日期", "dissolved_on")
    if Organization.objects.get_children(org).filter(status=OrgStatus.ACTIVE).exists():
        fail("该组织下还有未撤销的下级组织，请先撤销或调整它们")
    on_roll = Member.objects.on_roll().filter(org__path__startswith=org.path).count()
    if on_roll:
        fail(f"该组织还有{on_roll}名党员，请先办理组织关系转接")
    before = audit.snapshot(org, ["status", "dissolved_on", "dissolved_reason"])
    org.status, org.dissolved_on, org.dissolved_reason = OrgStatus.DISSOLVED, dissolved_on, reason
    org.save()
    audit.record(
        actor,
        AuditAction.UPDATE,
        org,
        org_id=org.pk,
        summary="撤销组织",
        before=before,
        after=audit.snapshot(org, ["status", "dissolved_on", "dissolved_reason"]),
    )
    return org


@transaction.atomic
def delete_org(actor, org: Organization) -> None:
    """Delete an org created by mistake. Anything with members, roles, terms or sub-orgs is refused."""
    org = Organization.objects.get(pk=org.pk)
    access.require(actor, Perm.ORG_MANAGE, org)
    parent = Organization.objects.get_parent(org)
    if parent is None:
        fail("顶层组织不能删除")
    access.require(actor, Perm.ORG_MANAGE, parent)
    if Organization.objects.get_children_count(org):
        fail("该组织下还有下级组织，不能删除")
    before = audit.snapshot(org, ORG_FIELDS)
    pk, name = org.pk, str(org)
    try:
        with transaction.atomic():
            org.delete()
    except ProtectedError:
        fail("该组织已有党员、角色或历史记录，不能删除，只能撤销")
    audit.record(
        actor,
        AuditAction.DELETE,
        object_type="orgs.organization",
        object_id=str(pk),
        object_repr=name,
        org_id=parent.pk,
        before=before,
    )


# --- Committees -----------------------------------------------------------------------------------

TERM_FIELDS = ["number", "kind", "started_on", "ends_on", "ended_on", "note"]
DEFAULT_SEATS = {
    CommitteeTerm.Kind.COMMITTEE: [
        Position.SECRETARY,
        Position.ORGANIZATION,
        Position.PUBLICITY,
        Position.DISCIPLINE,
    ],
    CommitteeTerm.Kind.SECRETARY_ONLY: [Position.SECRETARY],
}


@transaction.atomic
def start_term(
    actor,
    org: Organization,
    *,
    started_on: dt.date,
    kind: str = CommitteeTerm.Kind.COMMITTEE,
    ends_on: dt.date | None = None,
    positions: list[str] | None = None,
    note: str = "",
) -> CommitteeTerm:
    """Record an election: a new term (届) starts; the current one ends that day with its holders."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    access.require(actor, Perm.COMMITTEE_MANAGE, org)
    if not org.is_active:
        fail("已撤销的组织不能换届")
    if org.org_type == OrgType.GROUP:
        fail("党小组不设委员会，设党小组长即可")
    if kind not in CommitteeTerm.Kind.values:
        fail("委员会形式无效", "kind")
    if started_on is None:
        fail("请填写选举日期", "started_on")
    if started_on > timezone.localdate():
        fail("选举日期不能晚于今天", "started_on")
    if ends_on is None:
        ends_on = rules.term_end(started_on, rules.default_term_years(org.org_type, org.sector))
    error = rules.term_dates_error(started_on, ends_on)
    if error:
        fail(error, "ends_on")
    current = CommitteeTerm.objects.filter(org=org, ended_on__isnull=True).first()
    if current is not None:
        if started_on < current.started_on:
            fail("新一届的选举日期不能早于上一届的开始日期", "started_on")
        open_holdings = SeatHolding.objects.filter(seat__term=current, ended_on__isnull=True)
        if open_holdings.filter(started_on__gt=started_on).exists():
            fail("新一届的选举日期不能早于现任委员的任职日期", "started_on")
        open_holdings.update(ended_on=started_on, end_reason="换届")
        current.ended_on = started_on
        current.save(update_fields=["ended_on"])
    last = CommitteeTerm.objects.filter(org=org).order_by("-number").values_list("number", flat=True).first()
    term = CommitteeTerm.objects.create(
        org=org,
        number=(last or 0) + 1,
        kind=kind,
        started_on=started_on,
        ends_on=ends_on,
        note=note.strip(),
        created_by=actor,
    )
    for order, position in enumerate(positions or DEFAULT_SEATS[kind]):
        if position not in Position.values:
            fail("职务无效", "positions")
        CommitteeSeat.objects.create(term=term, position=position, order=order)
    audit.record(actor, AuditAction.CREATE, term, org_id=org.pk, after=audit.snapshot(term, TERM_FIELDS))
    return term


@transaction.atomic
def update_term_end(actor, term: CommitteeTerm, *, ends_on: dt.date) -> CommitteeTerm:
    """Correct the due end of a term (e.g. an approved extension of at most one year)."""
    term = CommitteeTerm.objects.select_for_update().select_related("org").get(pk=term.pk)
    access.require(actor, Perm.COMMITTEE_MANAGE, term.org)
    error = rules.term_dates_error(term.started_on, ends_on)
    if error:
        fail(error, "ends_on")
    before = audit.snapshot(term, TERM_FIELDS)
    term.ends_on = ends_on
    term.save(update_fields=["ends_on"])
    audit.record(
        actor,
        AuditAction.UPDATE,
        term,
        org_id=term.org_id,
        before=before,
        after=audit.snapshot(term, TERM_FIELDS),
    )
    return term


@transaction.atomic
def add_seat(actor, term: CommitteeTerm, *, position: str, title: str = "") -> CommitteeSeat:
    term = CommitteeTerm.objects.select_related("org").get(pk=term.pk)
    access.require(actor, Perm.COMMITTEE_MANAGE, term.org)
    if not term.is_current:
        fail("往届委员会不能再增设职位")
    if position not in Position.values:
        fail("职务无效", "position")
    if position == Position.SECRETARY and term.seats.filter(position=Position.SECRETARY).exists():
        fail("每届只设一名书记", "position")
    if term.kind == CommitteeTerm.Kind.SECRETARY_ONLY and position not in (
        Position.SECRETARY,
        Position.DEPUTY,
    ):
        fail("不设委员会的组织只设书记和副书记", "position")
    order = (term.seats.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    seat = CommitteeSeat.objects.create(term=term, position=position, title=title.strip(), order=order)
    audit.record(actor, AuditAction.CREATE, seat, org_id=term.org_id, after=audit.snapshot(seat))
    return seat


@transaction.atomic
def assign_holder(actor, seat: CommitteeSeat, *, member: Member, started_on: dt.date) -> SeatHolding:
    """Put a member in a vacant seat from a date."""
    seat = CommitteeSeat.objects.select_for_update().select_related("term__org").get(pk=seat.pk)
    org = seat.term.org
    access.require(actor, Perm.COMMITTEE_MANAGE, org)
    if not seat.term.is_current:
        fail("往届委员会的任职不能再变更")
    if started_on is None:
        fail("请填写任职日期", "started_on")
    if started_on < seat.term.started_on:
        fail("任职日期不能早于本届任期开始日期", "started_on")
    if started_on > timezone.localdate():
        fail("任职日期不能晚于今天", "started_on")
    if not Member.objects.on_roll().filter(pk=member.pk, org__path__startswith=org.path).exists():
        fail("只能由本组织的在册党员任职", "member")
    if member.category != Category.FULL:
        fail("预备党员不能担任委员会职务", "member")
    if seat.holdings.filter(ended_on__isnull=True).exists():
        fail("该职位已有在任人员，请先办理离任", "seat")
    if SeatHolding.objects.filter(seat__term=seat.term, member=member, ended_on__isnull=True).exists():
        fail(f"{member.name}已在本届委员会任职", "member")
    try:
        with transaction.atomic():
            holding = SeatHolding.objects.create(
                seat=seat, member=member, started_on=started_on, recorded_by=actor
            )
    except IntegrityError:
        fail("该职位已有在任人员，请先办理离任", "seat")
    audit.record(
        actor,
        AuditAction.CREATE,
        holding,
        org_id=org.pk,
        summary=f"{member.name}任{seat.display_title}",
        after=audit.snapshot(holding),
    )
    return holding


@transaction.atomic
def end_holding(actor, holding: SeatHolding, *, ended_on: dt.date, reason: str) -> SeatHolding:
    """A holder leaves the seat; the seat becomes vacant from that day."""
    holding = (
        SeatHolding.objects.select_for_update().select_related("seat__term__org", "member").get(pk=holding.pk)
    )
    org = holding.seat.term.org
    access.require(actor, Perm.COMMITTEE_MANAGE, org)
    if holding.ended_on is not None:
        fail("该任职已经结束")
    if ended_on is None:
        fail("请填写离任日期", "ended_on")
    if ended_on < holding.started_on:
        fail("离任日期不能早于任职日期", "ended_on")
    if ended_on > timezone.localdate():
        fail("离任日期不能晚于今天", "ended_on")
    reason = (reason or "").strip()
    if not reason:
        fail("请填写离任原因", "reason")
    before = audit.snapshot(holding)
    holding.ended_on, holding.end_reason = ended_on, reason
    holding.save(update_fields=["ended_on", "end_reason"])
    audit.record(
        actor,
        AuditAction.UPDATE,
        holding,
        org_id=org.pk,
        summary=f"{holding.member.name}离任{holding.seat.display_title}",
        before=before,
        after=audit.snapshot(holding),
    )
    return holding


__all__ = [
    "ValidationError",
    "add_seat",
    "assign_holder",
    "create_org",
    "delete_org",
    "dissolve_org",
    "end_holding",
    "move_org",
    "start_term",
    "update_org",
    "update_term_end",
]
