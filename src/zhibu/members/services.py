"""Writes to member records: one function per use case, in a transaction, audited, with history events."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhibu.accounts.models import mobile_validator
from zhibu.core import access, audit, masking
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError, fail
from zhibu.core.models import AuditAction
from zhibu.members.models import (
    ETHNICITIES,
    Category,
    Degree,
    Education,
    Employment,
    EventKind,
    Gender,
    Member,
    MemberEvent,
    MemberStatus,
)
from zhibu.members.rules import birth_date_from_id, gender_from_id, id_consistency_error, id_number_error
from zhibu.orgs.models import OrgType


def record_event(
    member: Member,
    kind: str | EventKind,
    occurred_on: dt.date,
    actor=None,
    *,
    reason: str = "",
    data: dict | None = None,
    org=None,
) -> MemberEvent:
    """Append one dated event to a member's history (call inside the service's transaction).

    `data` holds field changes as {"field": [before, after]} and any details; `org` defaults to the
    member's current branch (the org responsible when it was recorded).
    """
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return MemberEvent.objects.create(
        member=member,
        kind=kind,
        occurred_on=occurred_on,
        reason=reason[:300],
        data=data or {},
        org_id=org.pk if org is not None else member.org_id,
        recorded_by=actor if is_user else None,
    )


# --- Member records ---------------------------------------------------------------------------------

# Fields a record keeps about the person (editable through `update_member`); status, category, org,
# group and party posts change through their own services so that each change is a dated event.
INFO_FIELDS = [
    "name",
    "gender",
    "birth_date",
    "id_number",
    "ethnicity",
    "native_place",
    "mobile",
    "address",
    "education",
    "degree",
    "work_unit",
    "work_post",
    "employment",
    "joined_on",
    "converted_on",
    "dues_start_on",
    "hardship",
    "veteran",
    "under_party_probation",
    "mobile_destination",
    "mobile_since",
    "mobile_certificate_no",
]
CREATE_FIELDS = [*INFO_FIELDS, "category", "status", "status_since", "lost_since", "party_posts"]
# Personal data that history and the audit log keep only masked (domain-rules §9).
SENSITIVE_FIELDS = {"id_number": masking.mask_id_number, "mobile": masking.mask_phone}
OWN_SERVICE = {
    "status": "状态请通过“变更状态”办理",
    "lost_since": "失联日期随状态变更登记",
    "category": "党员类别随转正等发展程序变更",
    "org": "所在支部请通过组织关系转接办理",
    "group": "党小组请通过“调整党小组”办理",
    "party_posts": "党内职务请通过“职务变更”办理",
    "status_since": "状态起始日期随状态变更登记",
    "user": "账户请通过“关联账户”办理",
}
# Status changes that need a written reason (停止党籍, 出党, 去世 end or suspend membership).
REASON_REQUIRED = {MemberStatus.SUSPENDED, MemberStatus.LEFT, MemberStatus.DECEASED}
BOOLEAN_FIELDS = {"hardship", "veteran", "under_party_probation"}
TEXT_FIELDS = {
    "name",
    "native_place",
    "mobile",
    "address",
    "work_unit",
    "work_post",
    "mobile_destination",
    "mobile_certificate_no",
    "party_posts",
    "gender",
    "ethnicity",
    "education",
    "degree",
    "employment",
    "category",
    "status",
}


def _masked(field: str, value):
    mask = SENSITIVE_FIELDS.get(field)
    return mask(value) if mask and value else value


def _audit_snapshot(member: Member, fields: list[str]) -> dict:
    data = audit.snapshot(member, fields)
    return {k: _masked(k, v) for k, v in data.items()}


def _normalize(data: dict) -> dict:
    out = {}
    for key, value in data.items():
        if key in TEXT_FIELDS:
            value = "" if value is None else str(value).strip()
        elif key in BOOLEAN_FIELDS:
            value = bool(value)
        out[key] = value
    if "id_number" in out:
        number = "" if out["id_number"] is None else str(out["id_number"]).strip().upper()
        out["id_number"] = number or None
    return out


def _check_choices(data: dict) -> None:
    choices = {
        "gender": (["", *Gender.values], "性别"),  # blank: derived from the ID number
        "category": (Category.values, "党员类别"),
        "status": (MemberStatus.values, "状态"),
        "education": (["", *Education.values], "学历"),
        "degree": (Degree.values, "学位"),
        "employment": (Employment.values, "人员类别"),
        "ethnicity": ([code for code, _ in ETHNICITIES], "民族"),
    }
    for field, (allowed, label) in choices.items():
        if field in data and data[field] not in allowed:
            fail(f"{label}取值无效", field)


def _check_person(member: Member, changed: set[str], today: dt.date) -> None:
    """Validate the merged record: ID number, derived birth date and gender, dates, lengths."""
    if not member.name:
        fail("请填写姓名", "name")
    if member.id_number:
        error = id_number_error(member.id_number, today)
        if error:
            fail(error, "id_number")
        # Derive what was not given; a value given that contradicts the ID number is an error.
        if member.birth_date is None or ("id_number" in changed and "birth_date" not in changed):
            member.birth_date = birth_date_from_id(member.id_number)
        if not member.gender or ("id_number" in changed and "gender" not in changed):
            member.gender = gender_from_id(member.id_number)
        error = id_consistency_error(member.id_number, member.birth_date, None)
        if error:
            fail(error, "birth_date")
        error = id_consistency_error(member.id_number, None, member.gender)
        if error:
            fail(error, "gender")
        clash = Member.objects.filter(id_number=member.id_number).exclude(pk=member.pk)
        if clash.exists():
            fail(
                "该身份证号已有党员档案，一人只能建一份档案；如党员转入，请通过组织关系转接办理",
                "id_number",
            )
    if not member.gender:
        fail("请选择性别（填写身份证号可自动识别）", "gender")
    if member.mobile:
        try:
            mobile_validator(member.mobile)
        except ValidationError:
            fail("请输入11位手机号码", "mobile")
    dates = {
        "birth_date": "出生日期",
        "joined_on": "入党日期",
        "converted_on": "转正日期",
        "dues_start_on": "党费起缴日期",
        "mobile_since": "外出流动日期",
        "lost_since": "失联日期",
        "status_since": "状态起始日期",
    }
    for field, label in dates.items():
        value = getattr(member, field)
        if value is not None and value > today:
            fail(f"{label}不能晚于今天", field)
    if member.birth_date and member.joined_on and member.joined_on <= member.birth_date:
        fail("入党日期应晚于出生日期", "joined_on")
    if member.category == Category.PROBATIONARY and member.converted_on:
        fail("预备党员尚未转正，不能填写转正日期", "converted_on")
    if member.converted_on and member.joined_on and member.converted_on < member.joined_on:
        fail("转正日期不能早于入党日期", "converted_on")
    if member.status == MemberStatus.LOST and member.lost_since is None:
        fail("失联党员须填写失联日期", "lost_since")
    if member.status != MemberStatus.LOST and member.lost_since is not None:
        fail("只有状态为失联的党员才登记失联日期", "lost_since")
    try:
        member.full_clean(exclude=["org", "group", "user", "id_number"], validate_unique=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


def _check_group(org, group) -> None:
    if group is None:
        return
    if group.org_type != OrgType.GROUP or not group.path.startswith(org.path) or group.depth != org.depth + 1:
        fail(f"“{group.name}”不是“{org.name}”的党小组", "group")
    if not group.is_active:
        fail(f"党小组“{group.name}”已撤销", "group")


def _lock(member: Member) -> Member:
    return Member.objects.select_for_update(of=("self",)).select_related("org", "group").get(pk=member.pk)


def _display(field: str, value):
    """A value as history shows it: choice labels, masked personal data, ISO dates."""
    if value is None or value == "":
        return value
    if field in SENSITIVE_FIELDS:
        return _masked(field, value)
    model_field = Member._meta.get_field(field)
    if model_field.choices:
        return dict(model_field.flatchoices).get(value, value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@transaction.atomic
def create_member(actor, *, org, backfill_events: bool = True, **fields) -> Member:
    """Open a member record in a branch (党支部); the actor needs member.manage there.

    Birth date and gender are derived from the ID number when missing, and must agree with it when
    given. With `backfill_events`, the join and conversion dates also go into the history as events.
    """
    unknown = set(fields) - set(CREATE_FIELDS) - {"group"}
    if unknown:
        fail(f"不支持的字段：{'、'.join(sorted(unknown))}")
    if org is None:
        fail("请选择所在党支部", "org")
    access.require(actor, Perm.MEMBER_MANAGE, org)
    if org.org_type != OrgType.BRANCH:
        fail(f"“{org.name}”不是党支部：党员档案只能建在党支部", "org")
    if not org.is_active:
        fail(f"“{org.name}”已撤销，不能新建党员档案", "org")
    group = fields.pop("group", None)
    _check_group(org, group)
    data = _normalize(fields)
    _check_choices(data)
    today = timezone.localdate()
    if data.get("status") == MemberStatus.TRANSFERRED:
        fail("新建档案的状态不能是“已转出”", "status")
    member = Member(org=org, group=group, **data)
    if not member.dues_start_on and member.joined_on:
        member.dues_start_on = member.joined_on  # dues start from the admission vote day (§4)
    if member.status == MemberStatus.MOBILE and member.mobile_since is None:
        fail("流动党员须填写外出流动日期", "mobile_since")
    if member.status != MemberStatus.NORMAL and member.status_since is None:
        member.status_since = member.lost_since if member.status == MemberStatus.LOST else member.mobile_since
    _check_person(member, set(data), today)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        fail("该身份证号已有党员档案，一人只能建一份档案", "id_number")
    record_event(member, EventKind.CREATED, today, actor, data={"org": org.name})
    if backfill_events and member.joined_on:
        record_event(member, EventKind.JOINED, member.joined_on, actor, reason="建档时登记")
    if backfill_events and member.converted_on:
        record_event(member, EventKind.CONVERTED, member.converted_on, actor, reason="建档时登记")
    audit.record(
        actor,
        AuditAction.CREATE,
        member,
        org_id=org.pk,
        summary=f"新建党员档案：{member.name}（{org.name}）",
        after=_audit_snapshot(member, [*CREATE_FIELDS, "org", "group"]),
    )
    return member


@transaction.atomic
def update_member(actor, member: Member, *, reason: str = "", **fields) -> Member:
    """Correct or update a record's personal, contact, work, education and flag fields.

    Changed fields go into the history as one INFO event {"field": [before, after]}; status, category,
    org, group and party posts are refused here (they have their own services).
    """
    member = _lock(member)
    access.require(actor, Perm.MEMBER_MANAGE, member.org)
    for field in fields:
        if field in OWN_SERVICE:
            fail(OWN_SERVICE[field], field)
        if field not in INFO_FIELDS:
            fail(f"不支持的字段：{field}")
    data = _normalize(fields)
    _check_choices(data)
    before = {f: getattr(member, f) for f in INFO_FIELDS}
    for key, value in data.items():
        setattr(member, key, value)
    changed_input = {k for k, v in data.items() if before[k] != v}
    _check_person(member, changed_input, timezone.localdate())
    changes = {
        f: [_display(f, before[f]), _display(f, getattr(member, f))]
        for f in INFO_FIELDS
        if before[f] != getattr(member, f)
    }
    if not changes:
        return member
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        fail("该身份证号已有党员档案，一人只能建一份档案", "id_number")
    record_event(member, EventKind.INFO, timezone.localdate(), actor, reason=reason, data=changes)
    audit.record(
        actor,
        AuditAction.UPDATE,
        member,
        org_id=member.org_id,
        summary=f"修改党员信息：{'、'.join(Member._meta.get_field(f).verbose_name for f in changes)}",
        before={f: v[0] for f, v in changes.items()},
        after={f: v[1] for f, v in changes.items()},
    )
    return member


def _check_on(on: dt.date | None, field: str = "on") -> dt.date:
    if on is None:
        fail("请填写日期", field)
    if on > timezone.localdate():
        fail("日期不能晚于今天", field)
    return on


@transaction.atomic
def change_status(actor, member: Member, *, status: str, on: dt.date, reason: str = "") -> Member:
    """Change a member's status (正常/流动/失联/停止党籍/出党/去世) from a date, with the reason.

    失联 records the day contact was lost (教育管理条例 2019, domain-rules §6); leaving 失联 clears it.
    停止党籍, 出党 and 去世 need a reason. Transfers (已转出) go through the transfer services.
    """
    member = _lock(member)
    access.require(actor, Perm.MEMBER_MANAGE, member.org)
    reason = (reason or "").strip()
    if status not in MemberStatus.values:
        fail("状态取值无效", "status")
    if status == MemberStatus.TRANSFERRED:
        fail("组织关系转出请通过“组织关系转接”办理", "status")
    if member.status == MemberStatus.TRANSFERRED:
        fail("该党员组织关系已转出，不能在此变更状态", "status")
    if status == member.status:
        fail(f"该党员当前状态已是“{member.get_status_display()}”", "status")
    on = _check_on(on)
    if status in REASON_REQUIRED and not reason:
        fail(f"变更为“{MemberStatus(status).label}”须填写原因", "reason")
    old = member.status
    status_fields = ["status", "status_since", "lost_since", "mobile_since"]
    before = _audit_snapshot(member, status_fields)
    data = {"status": [_display("status", old), _display("status", status)]}
    if old == MemberStatus.LOST:
        data["lost_since"] = [_display("lost_since", member.lost_since), None]
        member.lost_since = None
    if old == MemberStatus.MOBILE:
        for field in ("mobile_since", "mobile_destination", "mobile_certificate_no"):
            if getattr(member, field):
                data[field] = [_display(field, getattr(member, field)), None]
        member.mobile_since, member.mobile_destination, member.mobile_certificate_no = None, "", ""
    if status == MemberStatus.LOST:
        member.lost_since = on
        data["lost_since"] = [data.get("lost_since", [None])[0], on.isoformat()]
    if status == MemberStatus.MOBILE:
        member.mobile_since = on
        data["mobile_since"] = [data.get("mobile_since", [None])[0], on.isoformat()]
    member.status = status
    member.status_since = on
    member.save()
    record_event(member, EventKind.STATUS, on, actor, reason=reason, data=data)
    audit.record(
        actor,
        AuditAction.UPDATE,
        member,
        org_id=member.org_id,
        summary=f"变更党员状态：{data['status'][0]} → {data['status'][1]}",
        before=before,
        after=_audit_snapshot(member, status_fields),
    )
    return member


@transaction.atomic
def change_group(actor, member: Member, *, group, on: dt.date, reason: str = "") -> Member:
    """Move a member to another 党小组 of the same branch (None: no group), as a dated event."""
    member = _lock(member)
    access.require(actor, Perm.MEMBER_MANAGE, member.org)
    _check_group(member.org, group)
    on = _check_on(on)
    if (group.pk if group else None) == member.group_id:
        fail("党小组没有变化", "group")
    old = member.group
    member.group = group
    member.save(update_fields=["group", "updated_at"])
    data = {"group": [old.name if old else None, group.name if group else None]}
    record_event(member, EventKind.GROUP, on, actor, reason=(reason or "").strip(), data=data)
    audit.record(
        actor,
        AuditAction.UPDATE,
        member,
        org_id=member.org_id,
        summary=f"调整党小组：{data['group'][0] or '无'} → {data['group'][1] or '无'}",
        before={"group": old.pk if old else None},
        after={"group": group.pk if group else None},
    )
    return member


@transaction.atomic
def change_post(actor, member: Member, *, party_posts: str, on: dt.date, reason: str = "") -> Member:
    """Record a change of a member's party posts (党内职务) from a date."""
    member = _lock(member)
    access.require(actor, Perm.MEMBER_MANAGE, member.org)
    posts = (party_posts or "").strip()
    if len(posts) > Member._meta.get_field("party_posts").max_length:
        fail("党内职务过长（最多100字）", "party_posts")
    on = _check_on(on)
    if posts == member.party_posts:
        fail("党内职务没有变化", "party_posts")
    old = member.party_posts
    member.party_posts = posts
    member.save(update_fields=["party_posts", "updated_at"])
    data = {"party_posts": [old, posts]}
    record_event(member, EventKind.POST, on, actor, reason=(reason or "").strip(), data=data)
    audit.record(
        actor,
        AuditAction.UPDATE,
        member,
        org_id=member.org_id,
        summary=f"党内职务变更：{old or '无'} → {posts or '无'}",
        before={"party_posts": old},
        after={"party_posts": posts},
    )
    return member


@transaction.atomic
def link_account(actor, member: Member, user) -> Member:
    """Link a member record to a user account (one person, one record); `user=None` unlinks."""
    member = _lock(member)
    access.require(actor, Perm.MEMBER_MANAGE, member.org)
    if user is not None:
        other = Member.objects.filter(user=user).exclude(pk=member.pk).first()
        if other is not None:
            fail("该账户已关联其他党员档案：一人只能有一份档案", "user")
        if member.user_id and member.user_id != user.pk:
            fail("该党员已关联其他账户，请先解除关联", "user")
        if member.user_id == user.pk:
            return member
    elif member.user_id is None:
        return member
    old_id = member.user_id
    old_name = member.user.display_name if member.user_id else None
    member.user = user
    member.save(update_fields=["user", "updated_at"])
    new_name = user.display_name if user else None
    record_event(member, EventKind.INFO, timezone.localdate(), actor, data={"user": [old_name, new_name]})
    audit.record(
        actor,
        AuditAction.UPDATE,
        member,
        org_id=member.org_id,
        summary=f"关联账户：{new_name}" if user else f"解除账户关联：{old_name}",
        before={"user": old_id},
        after={"user": user.pk if user else None},
    )
    return member


def reveal_sensitive(actor, member: Member) -> dict:
    """The unmasked ID and mobile numbers of a member the actor can already see; audited.

    Only roles allowed to see personal data get them (domain-rules §9); others get 403.
    """
    if actor is not None and not access.can_see_sensitive(actor, member.org):
        raise PermissionDenied("您没有查看完整身份证号和手机号的权限")
    audit.record(
        actor,
        AuditAction.VIEW_SENSITIVE,
        member,
        org_id=member.org_id,
        summary=f"查看党员完整身份证号和手机号：{member.name}",
    )
    return {"id_number": member.id_number or "", "mobile": member.mobile or ""}
