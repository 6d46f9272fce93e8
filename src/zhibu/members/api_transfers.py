"""API: transfers of party membership, introduction letters, 流动党员, 失联党员 and the branch to-do list."""

from datetime import date

from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Router, Schema, Status

from zhibu.core import access, masking
from zhibu.core.access import Perm
from zhibu.members import todos, transfers
from zhibu.members.models import (
    Category,
    Education,
    Employment,
    Gender,
    Member,
    Transfer,
    TransferDirection,
    TransferStatus,
)
from zhibu.orgs.models import Organization

router = Router(tags=["组织关系转接"])


class Error(Schema):
    detail: str


class TransferMemberOut(Schema):
    id: int
    name: str
    gender: str
    age: int | None
    category: str
    id_number_masked: str
    org_id: int
    full_view: bool  # false: the receiving side before it confirms (masked basics only)


class TransferOut(Schema):
    id: int
    direction: TransferDirection
    status: TransferStatus
    member: TransferMemberOut
    from_org_id: int | None
    from_org_name: str
    to_org_id: int | None
    to_org_name: str
    to_group_id: int | None
    external_org: str
    reason: str
    letter_no: str | None
    issued_on: date
    valid_until: date | None
    letter_state: str | None  # valid / expiring / expired / done for letters
    receipt_on: date | None
    decision_note: str
    can_send: bool  # the user manages the sending side (cancel, receipt, letter)
    can_receive: bool  # the user manages the receiving side (confirm, reject)


class TransferListsOut(Schema):
    pending_out: list[TransferOut]
    pending_in: list[TransferOut]
    letters: list[TransferOut]
    expired: list[TransferOut]


class TodoOut(Schema):
    kind: str
    level: str
    message: str
    due_on: date | None
    url: str
    org_name: str
    member_id: int | None
    transfer_id: int | None


class InternalIn(Schema):
    member_id: int
    to_org_id: int
    to_group_id: int | None = None
    issued_on: date
    reason: str


class ConfirmIn(Schema):
    received_on: date
    group_id: int | None = None


class NoteIn(Schema):
    note: str


class LetterIn(Schema):
    member_id: int
    external_org: str
    issued_on: date
    reason: str
    validity_months: int | None = None


class ReceiptIn(Schema):
    receipt_on: date


class IncomingIn(Schema):
    to_org_id: int
    group_id: int | None = None
    letter_no: str
    from_external: str
    received_on: date
    letter_issued_on: date | None = None
    name: str
    id_number: str | None = None
    gender: Gender | None = None
    birth_date: date | None = None
    ethnicity: str | None = None
    category: Category = Category.FULL
    joined_on: date | None = None
    converted_on: date | None = None
    mobile: str | None = None
    education: Education | None = None
    employment: Employment | None = None
    work_unit: str | None = None
    native_place: str | None = None
    address: str | None = None


class MobileIn(Schema):
    destination: str
    since: date
    certificate_no: str = ""
    reason: str = ""


class DatedNoteIn(Schema):
    on: date
    note: str


class LostIn(Schema):
    since: date
    note: str


class LostDeadlinesOut(Schema):
    suspend_from: date
    leave_from: date
    stage: str


class MobileFlagsOut(Schema):
    transfer_from: date
    transfer_advised: bool
    report_due_on: date
    report_overdue: bool
    last_report: date | None


class MemberTransfersOut(Schema):
    member_id: int
    name: str
    status: str
    status_name: str
    mobile_destination: str
    mobile_since: date | None
    mobile_certificate_no: str
    lost_since: date | None
    lost: LostDeadlinesOut | None
    mobile: MobileFlagsOut | None
    transfers: list[TransferOut]


# --- helpers ----------------------------------------------------------------------------------------


def transfer_out(t: Transfer) -> TransferOut:
    m = t.member
    return TransferOut(
        id=t.pk,
        direction=t.direction,
        status=t.status,
        member=TransferMemberOut(
            id=m.pk,
            name=m.name,
            gender=m.gender,
            age=t.member_age,
            category=m.category,
            id_number_masked=masking.mask_id_number(m.id_number),
            org_id=m.org_id,
            full_view=t.full_view,
        ),
        from_org_id=t.from_org_id,
        from_org_name=t.from_org.name if t.from_org else "",
        to_org_id=t.to_org_id,
        to_org_name=t.to_org.name if t.to_org else "",
        to_group_id=t.to_group_id,
        external_org=t.external_org,
        reason=t.reason,
        letter_no=t.letter_no,
        issued_on=t.issued_on,
        valid_until=t.valid_until,
        letter_state=getattr(t, "state", None),
        receipt_on=t.receipt_on,
        decision_note=t.decision_note,
        can_send=t.can_send,
        can_receive=t.can_receive,
    )


def _one(request, transfer_id: int) -> TransferOut:
    transfer = todos.get_transfer(request.user, transfer_id)
    return transfer_out(todos.annotate_sides(request.user, [transfer])[0])


def _member(request, member_id: int) -> Member:
    """A member in the user's view scope (else 404); the services check member.manage (403)."""
    member = (
        Member.objects.filter(access.scope_q(request.user, Perm.MEMBER_VIEW, prefix="org__"))
        .select_related("org", "group")
        .filter(pk=member_id)
        .first()
    )
    if member is None:
        raise Http404("未找到该党员，或您无权访问")
    return member


def _org(org_id: int | None, org_type: str) -> Organization | None:
    if org_id is None:
        return None
    org = Organization.objects.filter(pk=org_id, org_type=org_type).first()
    if org is None:
        raise Http404("未找到该组织")
    return org


def _member_state(request, member: Member) -> MemberTransfersOut:
    member.refresh_from_db()
    flags = todos.member_flags(member)
    lost = flags.get("lost")
    mobile = flags.get("mobile")
    history = todos.annotate_sides(request.user, todos.member_transfers(member))
    return MemberTransfersOut(
        member_id=member.pk,
        name=member.name,
        status=member.status,
        status_name=member.get_status_display(),
        mobile_destination=member.mobile_destination,
        mobile_since=member.mobile_since,
        mobile_certificate_no=member.mobile_certificate_no,
        lost_since=member.lost_since,
        lost=LostDeadlinesOut(
            suspend_from=lost.suspend_from, leave_from=lost.leave_from, stage=flags["lost_stage"]
        )
        if lost
        else None,
        mobile=MobileFlagsOut(
            transfer_from=mobile.transfer_from,
            transfer_advised=mobile.transfer_advised,
            report_due_on=mobile.report_due_on,
            report_overdue=mobile.report_overdue,
            last_report=flags.get("last_report"),
        )
        if mobile
        else None,
        transfers=[transfer_out(t) for t in history],
    )


# --- lists ------------------------------------------------------------------------------------------


@router.get("", response=TransferListsOut, summary="正在办理的转接：转出中、待我接收、介绍信（含已过期）")
def lists(request):
    data = todos.transfer_lists(request.user)
    return TransferListsOut(
        pending_out=[transfer_out(t) for t in data.pending_out],
        pending_in=[transfer_out(t) for t in data.pending_in],
        letters=[transfer_out(t) for t in data.letters],
        expired=[transfer_out(t) for t in data.expired],
    )


@router.get("/finished", response=list[TransferOut], summary="已办结（完成、退回、撤销）的转接，最新在前")
def finished(request, limit: int = 50, offset: int = 0):
    limit = max(1, min(limit, 500))
    rows = list(todos.finished_transfers(request.user)[offset : offset + limit])
    return [transfer_out(t) for t in todos.annotate_sides(request.user, rows)]


@router.get(
    "/todos",
    response=list[TodoOut],
    summary="支部待办：失联、流动、介绍信、待接收（§6 期限），按紧急程度排序",
)
def todo_list(request):
    return [
        TodoOut(
            kind=t.kind,
            level=t.level,
            message=t.message,
            due_on=t.due_on,
            url=t.url,
            org_name=t.org_name,
            member_id=t.member.pk if t.member else None,
            transfer_id=t.transfer.pk if t.transfer else None,
        )
        for t in todos.branch_todos(request.user)
    ]


@router.get(
    "/{int:transfer_id}",
    response=TransferOut,
    summary="一项转接（双方均可查看；接收方确认前只见脱敏基本信息）",
)
def get_transfer(request, transfer_id: int):
    return _one(request, transfer_id)


# --- internal transfers -----------------------------------------------------------------------------


@router.post("/internal", response={201: TransferOut}, summary="发起系统内转接（由转出党支部办理）")
def request_internal(request, payload: InternalIn):
    member = _member(request, payload.member_id)
    to_org = _org(payload.to_org_id, "branch")
    to_group = _org(payload.to_group_id, "group")
    transfer = transfers.request_transfer(
        request.user,
        member,
        to_org=to_org,
        to_group=to_group,
        issued_on=payload.issued_on,
        reason=payload.reason,
    )
    return Status(201, _one(request, transfer.pk))


@router.post("/{int:transfer_id}/confirm", response=TransferOut, summary="确认接收（由接收党支部办理）")
def confirm(request, transfer_id: int, payload: ConfirmIn):
    transfer = todos.get_transfer(request.user, transfer_id)
    group = _org(payload.group_id, "group")
    transfers.confirm_transfer(request.user, transfer, received_on=payload.received_on, group=group)
    return _one(request, transfer_id)


@router.post(
    "/{int:transfer_id}/reject", response=TransferOut, summary="退回（由接收党支部办理，须填写原因）"
)
def reject(request, transfer_id: int, payload: NoteIn):
    transfer = todos.get_transfer(request.user, transfer_id)
    transfers.reject_transfer(request.user, transfer, note=payload.note)
    return _one(request, transfer_id)


@router.post(
    "/{int:transfer_id}/cancel", response=TransferOut, summary="撤销转接或介绍信（由转出党支部办理）"
)
def cancel(request, transfer_id: int, payload: NoteIn):
    transfer = todos.get_transfer(request.user, transfer_id)
    transfers.cancel_transfer(request.user, transfer, note=payload.note)
    return _one(request, transfer_id)


# --- letters ----------------------------------------------------------------------------------------


@router.post("/letters", response={201: TransferOut}, summary="开具介绍信（转往系统外党组织）")
def issue_letter(request, payload: LetterIn):
    member = _member(request, payload.member_id)
    transfer = transfers.issue_letter(
        request.user,
        member,
        external_org=payload.external_org,
        issued_on=payload.issued_on,
        reason=payload.reason,
        validity_months=payload.validity_months,
    )
    return Status(201, _one(request, transfer.pk))


@router.post("/{int:transfer_id}/receipt", response=TransferOut, summary="登记介绍信回执：转接完成，党员转出")
def receipt(request, transfer_id: int, payload: ReceiptIn):
    transfer = todos.get_transfer(request.user, transfer_id)
    transfers.confirm_receipt(request.user, transfer, receipt_on=payload.receipt_on)
    return _one(request, transfer_id)


@router.get(
    "/{int:transfer_id}/letter.pdf",
    response={200: None, 404: Error},
    summary="下载介绍信PDF（含完整身份证号，记入审计日志）",
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}, "description": "PDF"}}},
)
def letter(request, transfer_id: int):
    transfer = todos.get_transfer(request.user, transfer_id)
    if transfer.direction != TransferDirection.OUT:
        raise Http404("该转接没有介绍信")
    transfers.record_letter_export(request.user, transfer)
    response = HttpResponse(transfers.letter_pdf(transfer), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, f"介绍信{transfer.letter_no}.pdf")
    return response


# --- in from outside --------------------------------------------------------------------------------


@router.post(
    "/incoming", response={201: TransferOut}, summary="登记系统外转入（凭介绍信报到；曾转出的党员恢复原档案）"
)
def incoming(request, payload: IncomingIn):
    data = payload.dict(exclude_none=True)
    to_org = _org(data.pop("to_org_id"), "branch")
    group = _org(data.pop("group_id", None), "group")
    transfer = transfers.register_incoming(
        request.user,
        to_org=to_org,
        group=group,
        letter_no=data.pop("letter_no"),
        from_external=data.pop("from_external"),
        received_on=data.pop("received_on"),
        letter_issued_on=data.pop("letter_issued_on", None),
        **data,
    )
    return Status(201, _one(request, transfer.pk))


# --- one member: state, 流动, 失联 -------------------------------------------------------------------


@router.get(
    "/members/{int:member_id}",
    response=MemberTransfersOut,
    summary="一名党员的转接记录、流动和失联情况及期限",
)
def member_state(request, member_id: int):
    return _member_state(request, _member(request, member_id))


@router.post("/members/{int:member_id}/mobile", response=MemberTransfersOut, summary="登记流动党员")
def register_mobile(request, member_id: int, payload: MobileIn):
    member = _member(request, member_id)
    transfers.register_mobile(request.user, member, **payload.dict())
    return _member_state(request, member)


@router.post("/members/{int:member_id}/mobile/end", response=MemberTransfersOut, summary="结束流动")
def end_mobile(request, member_id: int, payload: DatedNoteIn):
    member = _member(request, member_id)
    transfers.end_mobile(request.user, member, **payload.dict())
    return _member_state(request, member)


@router.post("/members/{int:member_id}/lost", response=MemberTransfersOut, summary="登记失联")
def register_lost(request, member_id: int, payload: LostIn):
    member = _member(request, member_id)
    transfers.register_lost(request.user, member, **payload.dict())
    return _member_state(request, member)


@router.post(
    "/members/{int:member_id}/follow-ups", response=MemberTransfersOut, summary="记录失联跟进或流动党员汇报"
)
def follow_up(request, member_id: int, payload: DatedNoteIn):
    member = _member(request, member_id)
    transfers.add_follow_up(request.user, member, **payload.dict())
    return _member_state(request, member)


@router.post("/members/{int:member_id}/found", response=MemberTransfersOut, summary="恢复联系")
def found(request, member_id: int, payload: DatedNoteIn):
    member = _member(request, member_id)
    transfers.found(request.user, member, **payload.dict())
    return _member_state(request, member)
