"""Writes for transfers of party membership (组织关系转接), 流动党员 and 失联党员.

One function per use case, each in a transaction, checking the actor's scope, audited, with history
events. The old org stays responsible for a member until the transfer completes (domain-rules §6);
nothing here changes a status on its own initiative: the to-do list proposes, the branch decides.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from zhibu.core import access, audit, config
from zhibu.core.access import Perm
from zhibu.core.errors import fail
from zhibu.core.models import AuditAction
from zhibu.members import rules_transfers as rules
from zhibu.members.models import (
    Category,
    EventKind,
    Member,
    MemberStatus,
    Transfer,
    TransferDirection,
    TransferStatus,
)
from zhibu.members.rules import birth_date_from_id, gender_from_id, id_number_error
from zhibu.members.services import record_event
from zhibu.orgs.models import Organization, OrgStatus, OrgType

TRANSFER_FIELDS = [
    "member",
    "direction",
    "status",
    "from_org",
    "to_org",
    "to_group",
    "external_org",
    "reason",
    "letter_no",
    "issued_on",
    "valid_until",
    "receipt_on",
    "decision_note",
]
PENDING_EXISTS = "该党员已有一项正在办理的组织关系转接，请先办结或撤销后再申请"
# Statuses from which a member may be transferred or have a letter issued.
TRANSFERABLE = (MemberStatus.NORMAL, MemberStatus.MOBILE)


# --- helpers ----------------------------------------------------------------------------------------


def _text(value, field: str, message: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        fail(message, field)
    if len(value) > max_length:
        fail(f"不能超过{max_length}个字", field)
    return value


def _date(value, field: str, label: str, *, not_before: dt.date | None = None, before_label: str = ""):
    if value is None:
        fail(f"请填写{label}", field)
    if value > timezone.localdate():
        fail(f"{label}不能晚于今天", field)
    if not_before is not None and value < not_before:
        fail(f"{label}不能早于{before_label}（{not_before:%Y-%m-%d}）", field)
    return value


def _lock_member(member: Member) -> Member:
    return Member.objects.select_for_update(of=("self",)).select_related("org", "group").get(pk=member.pk)


def _lock_transfer(transfer: Transfer) -> Transfer:
    return (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("member", "from_org", "to_org", "to_group")
        .get(pk=transfer.pk)
    )


def _member_snapshot(member: Member) -> dict:
    return audit.snapshot(
        member,
        [
            "org",
            "group",
            "status",
            "status_since",
            "mobile_destination",
            "mobile_since",
            "mobile_certificate_no",
            "lost_since",
        ],
    )


def _changes(before: dict, after: dict) -> dict:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _check_branch(org: Organization | None, field: str) -> Organization:
    if org is None:
        fail("请选择接收党支部", field)
    if org.org_type != OrgType.BRANCH:
        fail("组织关系只能转入党支部", field)
    if org.status != OrgStatus.ACTIVE:
        fail(f"“{org.name}”已撤销，不能接收党员", field)
    return org


def _check_group(group: Organization | None, branch: Organization, field: str = "group"):
    if group is None:
        return None
    if (
        group.org_type != OrgType.GROUP
        or not group.path.startswith(branch.path)
        or group.depth != branch.depth + 1
    ):
        fail(f"党小组不属于“{branch.name}”", field)
    if group.status != OrgStatus.ACTIVE:
        fail(f"“{group.name}”已撤销", field)
    return group


def _pending_guard(member: Member) -> None:
    if Transfer.objects.filter(member=member, status=TransferStatus.PENDING).exists():
        fail(PENDING_EXISTS, "member")


def _transferable(member: Member) -> None:
    if member.status not in TRANSFERABLE:
        fail(f"{member.name}当前状态为“{member.get_status_display()}”，不能办理组织关系转出", "member")


def _decide(transfer: Transfer, actor, status: str, note: str = "") -> None:
    transfer.status = status
    transfer.decision_note = note
    transfer.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    transfer.decided_at = timezone.now()


def _audit_transfer(actor, action, transfer: Transfer, org_id: int, summary: str, before=None) -> None:
    audit.record(
        actor,
        action,
        transfer,
        org_id=org_id,
        summary=summary,
        before=before,
        after=audit.snapshot(transfer, TRANSFER_FIELDS),
    )


# --- internal transfers -----------------------------------------------------------------------------


@transaction.atomic
def request_transfer(
    actor,
    member: Member,
    *,
    to_org: Organization,
    to_group: Organization | None = None,
    issued_on: dt.date,
    reason: str,
) -> Transfer:
    """Start a transfer to another branch in the system; the member stays in the old org until confirmed."""
    member = _lock_member(member)
    access.require(actor, Perm.MEMBER_MANAGE, member.org)
    _transferable(member)
    to_org = _check_branch(to_org, "to_org")
    if to_org.pk == member.org_id:
        fail("接收党支部不能是党员当前所在的党支部", "to_org")
    to_group = _check_group(to_group, to_org, "to_group")
    issued_on = _date(issued_on, "issued_on", "申请日期")
    reason = _text(reason, "reason", "请填写转接原因", 200)
    _pending_guard(member)
    try:
        with transaction.atomic():
            transfer = Transfer.objects.create(
                member=member,
                direction=TransferDirection.INTERNAL,
                from_org=member.org,
                to_org=to_org,
                to_group=to_group,
                reason=reason,
                issued_on=issued_on,
                requested_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        fail(PENDING_EXISTS, "member")
    _audit_transfer(
        actor, AuditAction.CREATE, transfer, member.org_id, f"申请将{member.name}的组织关系转往{to_org.name}"
    )
    return transfer


@transaction.atomic
def confirm_transfer(
    actor, transfer: Transfer, *, received_on: dt.date, group: Organization | None = None
) -> Transfer:
    """The receiving branch confirms: the member moves to it (history: 转出 at the old, 转入 at the new)."""
    transfer = _lock_transfer(transfer)
    access.require(actor, Perm.MEMBER_MANAGE, transfer.to_org)
    if transfer.direction != TransferDirection.INTERNAL or transfer.status != TransferStatus.PENDING:
        fail("该转接不是待接收状态，不能确认接收")
    to_org = _check_branch(transfer.to_org, "to_org")
    group = _check_group(group or transfer.to_group, to_org)
    received_on = _date(
        received_on, "received_on", "接收日期", not_before=transfer.issued_on, before_label="申请日期"
    )
    member = _lock_member(transfer.member)
    old_org = member.org
    before_t = audit.snapshot(transfer, TRANSFER_FIELDS)
    before_m = _member_snapshot(member)
    member.org, member.group = to_org, group
    if member.status == MemberStatus.MOBILE:  # the membership now sits where the member is
        member.status, member.status_since = MemberStatus.NORMAL, received_on
        member.mobile_destination, member.mobile_since, member.mobile_certificate_no = "", None, ""
    member.save()
    changes = _changes(before_m, _member_snapshot(member))
    transfer.receipt_on = received_on
    transfer.to_group = group
    _decide(transfer, actor, TransferStatus.COMPLETED)
    transfer.save()
    data = {"transfer": transfer.pk, "from_org": old_org.name, "to_org": to_org.name, **changes}
    record_event(
        member, EventKind.TRANSFER_OUT, received_on, actor, reason=transfer.reason, data=data, org=old_org
    )
    record_event(
        member, EventKind.TRANSFER_IN, received_on, actor, reason=transfer.reason, data=data, org=to_org
    )
    _audit_transfer(
        actor, AuditAction.UPDATE, transfer, to_org.pk, f"接收{member.name}的组织关系", before=before_t
    )
    audit.record(
        actor,
        AuditAction.UPDATE,
        member,
        org_id=to_org.pk,
        summary=f"组织关系由{old_org.name}转入{to_org.name}",
        before=before_m,
        after=_member_snapshot(member),
    )
    return transfer


@transaction.atomic
def reject_transfer(actor, transfer: Transfer, *, note: str) -> Transfer:
    """The receiving branch sends a pending transfer back with a reason; the member stays where they are."""
    transfer = _lock_transfer(transfer)
    access.require(actor, Perm.MEMBER_MANAGE, transfer.to_org)
    if transfer.direction != TransferDirection.INTERNAL or transfer.status != TransferStatus.PENDING:
        fail("该转接不是待接收状态，不能退回")
    note = _text(note, "note", "请填写退回原因", 200)
    before = audit.snapshot(transfer, TRANSFER_FIELDS)
    _decide(transfer, actor, TransferStatus.REJECTED, note)
    transfer.save()
    _audit_transfer(
        actor, AuditAction.UPDATE, transfer, transfer.to_org_id, f"退回{transfer.member.name}的转接", before
    )
    return transfer


@transaction.atomic
def cancel_transfer(actor, transfer: Transfer, *, note: str) -> Transfer:
    """The sending branch withdraws a pending transfer or an unreturned introduction letter."""
    transfer = _lock_transfer(transfer)
    access.require(actor, Perm.MEMBER_MANAGE, transfer.from_org)
    if transfer.status != TransferStatus.PENDING or transfer.direction == TransferDirection.IN:
        fail("只有正在办理的转出才能撤销")
    note = _text(note, "note", "请填写撤销原因", 200)
    before = audit.snapshot(transfer, TRANSFER_FIELDS)
    _decide(transfer, actor, TransferStatus.CANCELLED, note)
    transfer.save()
    what = f"介绍信{transfer.letter_no}" if transfer.letter_no else "转接申请"
    _audit_transfer(
        actor,
        AuditAction.UPDATE,
        transfer,
        transfer.from_org_id,
        f"撤销{transfer.member.name}的{what}",
        before,
    )
    return transfer


# --- introduction letters (out of the system) -------------------------------------------------------


def _next_letter_no(org: Organization, year: int) -> str:
    prefix = rules.letter_prefix(org.code, year)
    last = (
        Transfer.objects.filter(letter_no__startswith=prefix)
        .order_by("-letter_no")
        .values_list("letter_no", flat=True)
        .first()
    )
    return rules.letter_number(org.code, year, rules.next_letter_serial(last, prefix))


@transaction.atomic
def issue_letter(
    actor,
    member: Member,
    *,
    external_org: str,
    issued_on: dt.date,
    reason: str,
    validity_months: int | None = None,
) -> Transfer:
    """Issue an introduction letter (介绍信) to an org outside the system; pending until its 回执."""
    member = _lock_member(member)
    access.require(actor, Perm.MEMBER_MANAGE, member.org)
    _transferable(member)
    external_org = _text(external_org, "external_org", "请填写接收党组织名称", 150)
    issued_on = _date(issued_on, "issued_on", "开具日期")
    reason = _text(reason, "reason", "请填写转接原因", 200)
    if validity_months is None:
        validity_months = config.get(member.org, "members.letter_validity_months", on=issued_on)
    error = rules.letter_validity_error(validity_months)
    if error:
        fail(error, "validity_months")
    _pending_guard(member)
    fields = dict(
        member=member,
        direction=TransferDirection.OUT,
        from_org=member.org,
        external_org=external_org,
        reason=reason,
        issued_on=issued_on,
        valid_until=rules.letter_valid_until(issued_on, validity_months),
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    for _attempt in range(5):  # a concurrent letter may take the same serial: the unique key decides
        try:
            with transaction.atomic():
                transfer = Transfer.objects.create(
                    letter_no=_next_letter_no(member.org, issued_on.year), **fields
                )
            break
        except IntegrityError:
            if Transfer.objects.filter(member=member, status=TransferStatus.PENDING).exists():
                fail(PENDING_EXISTS, "member")
    else:
        fail("介绍信编号生成冲突，请稍后重试")
    _audit_transfer(
        actor,
        AuditAction.CREATE,
        transfer,
        member.org_id,
        f"为{member.name}开具介绍信{transfer.letter_no}（转往{external_org}）",
    )
    return transfer


@transaction.atomic
def confirm_receipt(actor, transfer: Transfer, *, receipt_on: dt.date) -> Transfer:
    """The receipt (回执) of a letter came back: the transfer completes and the member leaves the roll."""
    transfer = _lock_transfer(transfer)
    access.require(actor, Perm.MEMBER_MANAGE, transfer.from_org)
    if transfer.direction != TransferDirection.OUT or transfer.status != TransferStatus.PENDING:
        fail("只有未回执的介绍信才能登记回执")
    receipt_on = _date(
        receipt_on, "receipt_on", "回执日期", not_before=transfer.issued_on, before_label="开具日期"
    )
    member = _lock_member(transfer.member)
    before_t = audit.snapshot(transfer, TRANSFER_FIELDS)
    before_m = _member_snapshot(member)
    member.status, member.status_since = MemberStatus.TRANSFERRED, receipt_on
    member.mobile_destination, member.mobile_since, member.mobile_certificate_no = "", None, ""
    member.save()
    transfer.receipt_on = receipt_on
    _decide(transfer, actor, TransferStatus.COMPLETED)
    transfer.save()
    data = {
        "transfer": transfer.pk,
        "letter_no": transfer.letter_no,
        "from_org": transfer.from_org.name,
        "to_org": transfer.external_org,
        **_changes(before_m, _member_snapshot(member)),
    }
    record_event(member, EventKind.TRANSFER_OUT, receipt_on, actor, reason=transfer.reason, data=data)
    _audit_transfer(
        actor,
        AuditAction.UPDATE,
        transfer,
        transfer.from_org_id,
        f"登记介绍信{transfer.letter_no}回执，{member.name}组织关系转出",
        before_t,
    )
    audit.record(
        actor,
        AuditAction.UPDATE,
        member,
        org_id=member.org_id,
        summary=f"组织关系转出至{transfer.external_org}",
        before=before_m,
        after=_member_snapshot(member),
    )
    return transfer


def letter_context(transfer: Transfer) -> dict:
    member = transfer.member
    return {
        "transfer": transfer,
        "member": member,
        "age": rules.age_on(member.birth_date, transfer.issued_on),
        "category": Category(member.category).label if member.category else "",
        "gender": member.get_gender_display(),
        "validity_days": (transfer.valid_until - transfer.issued_on).days if transfer.valid_until else None,
    }


def letter_pdf(transfer: Transfer) -> bytes:
    """The introduction letter as a PDF (存根, 介绍信 and 回执 on one A4 page), rendered by WeasyPrint."""
    from weasyprint import HTML

    html = render_to_string("members/transfers/letter_pdf.html", letter_context(transfer))
    return HTML(string=html).write_pdf()


def record_letter_export(actor, transfer: Transfer) -> None:
    """Downloading a letter exposes the full ID number: always an EXPORT entry in the audit log."""
    access.require(actor, Perm.MEMBER_MANAGE, transfer.from_org)
    audit.record(
        actor,
        AuditAction.EXPORT,
        transfer,
        org_id=transfer.from_org_id,
        summary=f"下载介绍信{transfer.letter_no}（{transfer.member.name}，含完整身份证号）",
    )


# --- in from outside the system ---------------------------------------------------------------------

INCOMING_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "id_number",
    "mobile",
    "category",
    "joined_on",
    "converted_on",
    "work_unit",
    "ethnicity",
    "native_place",
    "education",
    "degree",
    "work_post",
    "employment",
    "address",
    "party_posts",
    "dues_start_on",
)


def _clean_incoming(data: dict) -> dict:
    unknown = set(data) - set(INCOMING_FIELDS)
    if unknown:
        fail(f"未知字段：{'、'.join(sorted(unknown))}")
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items() if v is not None}
    if not clean.get("name"):
        fail("请填写姓名", "name")
    number = (clean.get("id_number") or "").upper()
    if number:
        error = id_number_error(number)
        if error:
            fail(error, "id_number")
        clean["id_number"] = number
        birth, gender = birth_date_from_id(number), gender_from_id(number)
        if clean.get("birth_date") and clean["birth_date"] != birth:
            fail("出生日期与身份证号不一致", "birth_date")
        if clean.get("gender") and clean["gender"] != gender:
            fail("性别与身份证号不一致", "gender")
        clean["birth_date"], clean["gender"] = birth, gender
    else:
        clean["id_number"] = None
    if not clean.get("gender"):
        fail("请选择性别", "gender")
    if clean.get("category") == Category.PROBATIONARY:
        clean["converted_on"] = None
    return clean


@transaction.atomic
def register_incoming(
    actor,
    *,
    to_org: Organization,
    letter_no: str,
    from_external: str,
    received_on: dt.date,
    group: Organization | None = None,
    letter_issued_on: dt.date | None = None,
    **member_fields,
) -> Transfer:
    """Register a member arriving from outside the system with their introduction letter.

    A record left behind by an earlier transfer out (same ID number) is re-activated in the new branch
    rather than duplicated; anyone else with that ID number is already on a roll here: refused.
    """
    access.require(actor, Perm.MEMBER_MANAGE, to_org)
    to_org = _check_branch(to_org, "to_org")
    group = _check_group(group, to_org)
    letter_no = _text(letter_no, "letter_no", "请填写介绍信编号", 40)
    from_external = _text(from_external, "from_external", "请填写转出党组织名称", 150)
    received_on = _date(received_on, "received_on", "报到日期")
    if letter_issued_on is not None and letter_issued_on > received_on:
        fail("介绍信开具日期不能晚于报到日期", "letter_issued_on")
    if Transfer.objects.filter(letter_no=letter_no).exists():
        fail(f"介绍信编号“{letter_no}”已经登记过", "letter_no")
    data = _clean_incoming(member_fields)
    existing = None
    if data["id_number"]:
        existing = Member.objects.select_for_update().filter(id_number=data["id_number"]).first()
        if existing is not None and existing.status != MemberStatus.TRANSFERRED:
            fail("该身份证号已登记在系统内的党员档案中，请由其所在党支部办理系统内转接", "id_number")
    reactivated = existing is not None
    member = existing or Member(org=to_org)
    before = _member_snapshot(member) if reactivated else None
    for key, value in data.items():
        setattr(member, key, value)
    member.org, member.group = to_org, group
    member.status, member.status_since, member.lost_since = MemberStatus.NORMAL, received_on, None
    member.full_clean(validate_unique=False, validate_constraints=False)  # field validators, choices
    member.save()
    try:
        with transaction.atomic():
            transfer = Transfer.objects.create(
                member=member,
                direction=TransferDirection.IN,
                status=TransferStatus.COMPLETED,
                to_org=to_org,
                to_group=group,
                external_org=from_external,
                letter_no=letter_no,
                issued_on=letter_issued_on or received_on,
                receipt_on=received_on,
                requested_by=actor if getattr(actor, "is_authenticated", False) else None,
                decided_by=actor if getattr(actor, "is_authenticated", False) else None,
                decided_at=timezone.now(),
            )
    except IntegrityError:
        fail(f"介绍信编号“{letter_no}”已经登记过", "letter_no")
    event_data = {
        "transfer": transfer.pk,
        "letter_no": letter_no,
        "from_org": from_external,
        "to_org": to_org.name,
    }
    if reactivated:
        event_data.update(_changes(before, _member_snapshot(member)))
    else:
        event_data["created"] = True
    record_event(
        member, EventKind.TRANSFER_IN, received_on, actor, reason=f"凭介绍信{letter_no}转入", data=event_data
    )
    audit.record(
        actor,
        AuditAction.UPDATE if reactivated else AuditAction.CREATE,
        member,
        org_id=to_org.pk,
        summary=f"从{from_external}转入（介绍信{letter_no}）" + ("，恢复原有档案" if reactivated else ""),
        before=before,
        after=_member_snapshot(member),
    )
    _audit_transfer(actor, AuditAction.CREATE, transfer, to_org.pk, f"登记{member.name}从系统外转入")
    return transfer


# --- 流动党员 -----------------------------------------------------------------------------------------


def _status_write(actor, member: Member, before: dict, kind, on, reason: str, summary: str, extra=None):
    after = _member_snapshot(member)
    data = {**_changes(before, after), **(extra or {})}
    event = record_event(member, kind, on, actor, reason=reason, data=data)
    audit.record(
        actor, AuditAction.UPDATE, member, org_id=member.org_id, summary=summary, before=before, after=after
    )
    return event


@transaction.atomic
def register_mobile(
    actor,
    member: Member,
    *,
    destination: str,
    since: dt.date,
    certificate_no: str = "",
    reason: str = "",
) -> Member:
    """Record a member going away (流动党员) with destination, date and 流动党员活动证 number."""
    member = _lock_member(member)
    access.require(actor, Perm.MEMBER_MANAGE, member.org)
    if member.status != MemberStatus.NORMAL:
        fail(f"{member.name}当前状态为“{member.get_status_display()}”，只有状态正常的党员才能登记流动")
    destination = _text(destination, "destination", "请填写流动去向", 100)
    since = _date(since, "since", "外出日期")
    certificate_no = (certificate_no or "").strip()
    if len(certificate_no) > 40:
        fail("活动证号不能超过40个字", "certificate_no")
    before = _member_snapshot(member)
    member.status, member.status_since = MemberStatus.MOBILE, since
    member.mobile_destination, member.mobile_since, member.mobile_certificate_no = (
        destination,
        since,
        certificate_no,
    )
    member.save()
    _status_write(
        actor, member, before, EventKind.MOBILE, since, (reason or "").strip(), f"登记流动：{destination}"
    )
    return member


@transaction.atomic
def end_mobile(actor, member: Member, *, on: dt.date, note: str) -> Member:
    """A mobile member is back: status normal again; the event keeps where they had been."""
    member = _lock_member(member)
    access.require(actor, Perm.MEMBER_MANAGE, member.org)
    if member.status != MemberStatus.MOBILE:
        fail(f"{member.name}不是流动党员")
    on = _date(on, "on", "结束日期", not_before=member.mobile_since, before_label="外出日期")
    note = _text(note, "note", "请填写说明", 300)
    before = _member_snapshot(member)
    member.status, member.status_since = MemberStatus.NORMAL, on
    member.mobile_destination, member.mobile_since, member.mobile_certificate_no = "", None, ""
    member.save()
    _status_write(actor, member, before, EventKind.STATUS, on, note, "结束流动")
    return member


# --- 失联党员 -----------------------------------------------------------------------------------------


@transaction.atomic
def register_lost(actor, member: Member, *, since: dt.date, note: str) -> Member:
    """Record that contact with a member was lost (失联) from a date; the deadlines of §6 run from it."""
    member = _lock_member(member)
    access.require(actor, Perm.MEMBER_MANAGE, member.org)
    if member.status not in (MemberStatus.NORMAL, MemberStatus.MOBILE):
        fail(f"{member.name}当前状态为“{member.get_status_display()}”，不能登记失联")
    since = _date(since, "since", "失联日期")
    note = _text(note, "note", "请填写失联情况说明", 300)
    before = _member_snapshot(member)
    member.status, member.status_since, member.lost_since = MemberStatus.LOST, since, since
    member.mobile_destination, member.mobile_since, member.mobile_certificate_no = "", None, ""
    member.save()
    _status_write(actor, member, before, EventKind.LOST, since, note, "登记失联")
    return member


@transaction.atomic
def add_follow_up(actor, member: Member, *, on: dt.date, note: str):
    """Note an attempt to reach a lost member (or a mobile member's report home) in the history."""
    member = _lock_member(member)
    access.require(actor, Perm.MEMBER_MANAGE, member.org)
    lost = member.status in (MemberStatus.LOST, MemberStatus.SUSPENDED) and member.lost_since
    if not lost and member.status != MemberStatus.MOBILE:
        fail("只有失联或流动党员才能记录跟进情况")
    since = member.lost_since if lost else member.mobile_since
    on = _date(on, "on", "跟进日期", not_before=since, before_label="失联日期" if lost else "外出日期")
    note = _text(note, "note", "请填写跟进情况", 300)
    event = record_event(member, EventKind.FOLLOW_UP, on, actor, reason=note, data={"status": member.status})
    audit.record(
        actor,
        AuditAction.CREATE,
        event,
        org_id=member.org_id,
        summary=f"{member.name}{'失联跟进' if lost else '流动党员汇报'}",
        after={"occurred_on": str(on), "reason": note},
    )
    return event


@transaction.atomic
def found(actor, member: Member, *, on: dt.date, note: str) -> Member:
    """Contact with a lost member is restored: status normal again (history keeps the lost period)."""
    member = _lock_member(member)
    access.require(actor, Perm.MEMBER_MANAGE, member.org)
    if member.status != MemberStatus.LOST:
        fail(f"{member.name}不是失联党员")
    on = _date(on, "on", "恢复联系日期", not_before=member.lost_since, before_label="失联日期")
    note = _text(note, "note", "请填写恢复联系情况", 300)
    before = _member_snapshot(member)
    member.status, member.status_since, member.lost_since = MemberStatus.NORMAL, on, None
    member.save()
    _status_write(actor, member, before, EventKind.STATUS, on, note, "恢复联系")
    return member
