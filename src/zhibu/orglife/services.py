"""Writes to organizational life: one function per use case, in a transaction, audited.

Lifecycle: planned → notified (expected attendees get an Attendance row: the in-app notice) → held →
recorded (attendance complete, minutes written) → archived (locked). Cancelled from planned/notified.
Attendance scores points through points.services.award with the attendance as the source, so a
repeated or concurrent check-in scores once; a correction reverses the earlier entry.
"""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from zhibu.core import access, audit, config
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError, fail
from zhibu.core.models import AuditAction
from zhibu.members.models import Member
from zhibu.orglife import rules, selectors
from zhibu.orglife.models import (
    AbsenceReason,
    Attachment,
    Attendance,
    AttendanceStatus,
    Attendees,
    CheckinVia,
    Meeting,
    MeetingStatus,
    MeetingType,
    MinutesItem,
    Vote,
    VoteExclusion,
    VoteKind,
)
from zhibu.orgs.models import OrgType
from zhibu.points import services as points

log = logging.getLogger(__name__)
ABSENCE_RULE = "orglife.absence"
MEETING_FIELDS = [
    "topic",
    "starts_at",
    "ends_at",
    "place",
    "online_link",
    "host",
    "recorder",
    "lecturer",
    "agenda",
]


def _actor(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _lock(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update(of=("self",)).select_related("org", "type").get(pk=meeting.pk)


def _editable(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.ARCHIVED:
        fail("会议已归档，不能修改")
    if meeting.status == MeetingStatus.CANCELLED:
        fail("会议已取消，不能修改")


def _check_fields(org, meeting_type: MeetingType, data: dict) -> None:
    errors: dict[str, list[str]] = {}
    if not (data.get("topic") or "").strip():
        errors["topic"] = ["请填写会议主题"]
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if starts is None:
        errors["starts_at"] = ["请填写开始时间"]
    if ends is None:
        errors["ends_at"] = ["请填写结束时间"]
    if starts and ends and ends <= starts:
        errors["ends_at"] = ["结束时间应晚于开始时间"]
    if starts and ends and ends - starts > dt.timedelta(days=3):
        errors["ends_at"] = ["一次会议不应超过3天，请分次记录"]
    if not (data.get("place") or "").strip() and not (data.get("online_link") or "").strip():
        errors["place"] = ["请填写地点或线上会议链接"]
    branch = selectors.branch_of(org)
    for field in ("host", "recorder"):
        person = data.get(field)
        if person is not None and person.org_id != branch.pk:
            errors[field] = ["应为本支部党员"]
    if meeting_type.attendees == Attendees.GROUP and org.org_type != OrgType.GROUP:
        errors["type"] = ["党小组会应在党小组下召开"]
    if meeting_type.attendees != Attendees.GROUP and org.org_type != OrgType.BRANCH:
        errors["type"] = ["该类会议应由党支部召开"]
    if meeting_type not in selectors.meeting_types(org):
        errors.setdefault("type", ["该组织不能使用此会议类型"])
    if errors:
        raise ValidationError(errors)


def plan_meeting(actor, org, meeting_type: MeetingType, **data) -> Meeting:
    """Plan a meeting (date, place or link, topic, host, recorder, agenda). Needs orglife.manage."""
    access.require(actor, Perm.ORGLIFE_MANAGE, org)
    _check_fields(org, meeting_type, data)
    if not (data.get("agenda") or "").strip():
        data["agenda"] = meeting_type.minutes_template
    with transaction.atomic():
        meeting = Meeting.objects.create(
            org=org,
            type=meeting_type,
            created_by=_actor(actor),
            **{k: v for k, v in data.items() if k in MEETING_FIELDS and v is not None},
        )
        audit.record(actor, AuditAction.CREATE, meeting, org_id=org.pk, summary=f"计划会议：{meeting}")
    return meeting


def update_meeting(actor, meeting: Meeting, **data) -> Meeting:
    access.require(actor, Perm.ORGLIFE_MANAGE, meeting.org)
    with transaction.atomic():
        meeting = _lock(meeting)
        _editable(meeting)
        merged = {f: getattr(meeting, f) for f in MEETING_FIELDS}
        merged.update({k: v for k, v in data.items() if k in MEETING_FIELDS})
        _check_fields(meeting.org, meeting.type, merged)
        before = audit.snapshot(meeting, MEETING_FIELDS)
        for k, v in merged.items():
            setattr(meeting, k, v if v is not None else ("" if k not in ("host", "recorder") else None))
        meeting.save()
        audit.record(
            actor,
            AuditAction.UPDATE,
            meeting,
            org_id=meeting.org_id,
            summary=f"修改会议：{meeting}",
            before=before,
            after=audit.snapshot(meeting, MEETING_FIELDS),
        )
    return meeting


def notify(actor, meeting: Meeting) -> int:
    """Notify the expected attendees (in-app: each gets an Attendance row to see and check in with).
    Repeating it adds people who joined since; returns how many were added."""
    access.require(actor, Perm.ORGLIFE_MANAGE, meeting.org)
    with transaction.atomic():
        meeting = _lock(meeting)
        _editable(meeting)
        if meeting.status in (MeetingStatus.RECORDED,):
            fail("会议记录已完成，不能再通知")
        expected = selectors.expected_attendees(meeting.org, meeting.type)
        have = set(meeting.attendances.values_list("member_id", flat=True))
        rows = [Attendance(meeting=meeting, member=m) for m in expected if m.pk not in have]
        Attendance.objects.bulk_create(rows, ignore_conflicts=True)
        if not have and not rows:
            fail("没有应参会人员：请先维护花名册（或支委会成员、党小组成员）")
        if meeting.status == MeetingStatus.PLANNED:
            meeting.status = MeetingStatus.NOTIFIED
            meeting.notified_at = timezone.now()
            meeting.save(update_fields=["status", "notified_at", "updated_at"])
        audit.record(
            actor, AuditAction.UPDATE, meeting, org_id=meeting.org_id, summary=f"发出会议通知：{len(rows)}人"
        )
    return len(rows)


def cancel(actor, meeting: Meeting, reason: str) -> Meeting:
    access.require(actor, Perm.ORGLIFE_MANAGE, meeting.org)
    if not (reason or "").strip():
        fail("请填写取消原因", "reason")
    with transaction.atomic():
        meeting = _lock(meeting)
        if meeting.status not in (MeetingStatus.PLANNED, MeetingStatus.NOTIFIED):
            fail(f"会议{meeting.get_status_display()}，不能取消")
        meeting.status = MeetingStatus.CANCELLED
        meeting.cancel_reason = reason[:200]
        meeting.save(update_fields=["status", "cancel_reason", "updated_at"])
        audit.record(
            actor, AuditAction.UPDATE, meeting, org_id=meeting.org_id, summary=f"取消会议：{reason[:60]}"
        )
    return meeting


# --- Attendance and points ---------------------------------------------------------------------------


def _day_label(moment: dt.datetime) -> str:
    day = timezone.localtime(moment).date()
    return f"{day.year}年{day.month}月{day.day}日"


def _source_id(att: Attendance) -> str:
    return str(att.pk) if att.points_rev == 0 else f"{att.pk}-{att.points_rev}"


def _source_type(rule_code: str) -> str:
    return "orglife.absence" if rule_code == ABSENCE_RULE else "orglife.attendance"


def _sync_points(att: Attendance, meeting: Meeting) -> None:
    """Score what the attendance now says (the type's rule, the absence deduction or nothing), reversing
    what was scored before if it changed. Called with the attendance row locked; the caller saves the
    row afterwards (scored_rule and points_rev change here)."""
    from zhibu.points.models import Entry

    wanted = rules.attendance_rule(att.status, att.absence_reason, meeting.type.points_rule, ABSENCE_RULE)
    if wanted == att.scored_rule:
        return
    if att.scored_rule:
        old = Entry.objects.filter(
            member_id=att.member_id, source_type=_source_type(att.scored_rule), source_id=_source_id(att)
        ).first()
        if old is not None and not Entry.objects.filter(reverses=old).exists():
            points.reverse_entry(None, old, "考勤更正")
        att.points_rev += 1
        att.scored_rule = ""
    if wanted:
        try:
            with transaction.atomic():
                points.award(
                    att.member,
                    wanted,
                    source_type=_source_type(wanted),
                    source_id=_source_id(att),
                    occurred_at=meeting.starts_at,
                    source_label=f"{_day_label(meeting.starts_at)}{meeting.type.name}",
                )
            att.scored_rule = wanted
        except ValidationError as exc:  # the rule is switched off for this org, the member left the roll…
            log.info("attendance %s not scored: %s", att.pk, exc.messages)


def check_in(user, token: str, now: dt.datetime | None = None) -> tuple[Attendance, bool]:
    """A member checks in by the meeting's QR token. Returns (attendance, True) the first time and
    (attendance, False) when already checked in: repeats and concurrent scans are harmless."""
    now = now or timezone.now()
    meeting = Meeting.objects.select_related("org", "type").filter(checkin_token=token or "").first()
    if meeting is None:
        fail("签到码无效")
    member = selectors.own_member(user)
    if member is None:
        fail("您的账户未关联党员档案，请联系会议记录人登记出席")
    if meeting.status in (MeetingStatus.CANCELLED, MeetingStatus.RECORDED, MeetingStatus.ARCHIVED):
        fail(f"会议{meeting.get_status_display()}，不能签到")
    opens, closes = rules.checkin_window(
        meeting.starts_at,
        meeting.ends_at,
        config.get(meeting.org, "orglife.checkin_before_minutes"),
        config.get(meeting.org, "orglife.checkin_after_minutes"),
    )
    problem = rules.checkin_problem(now, opens, closes)
    if problem:
        fail(problem)
    with transaction.atomic():
        att = Attendance.objects.select_for_update().filter(meeting=meeting, member=member).first()
        if att is None:
            if not selectors.expected_attendees(meeting.org, meeting.type).filter(pk=member.pk).exists():
                fail("您不在本次会议的应到人员名单中，请联系会议记录人")
            try:
                with transaction.atomic():
                    Attendance.objects.create(meeting=meeting, member=member)
            except IntegrityError:
                pass  # a concurrent scan created it
            att = Attendance.objects.select_for_update().get(meeting=meeting, member=member)
        if att.status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE):
            return att, False
        grace = config.get(meeting.org, "orglife.late_grace_minutes")
        att.status = rules.arrival_status(now, meeting.starts_at, grace)
        att.absence_reason = ""
        att.absence_note = ""
        att.checked_in_at = now
        att.via = CheckinVia.QR
        att.recorded_by = _actor(user)
        att.member = member
        _sync_points(att, meeting)
        att.save()
    return att, True


def mark_attendance(actor, meeting: Meeting, marks: dict[int, dict]) -> int:
    """The recorder records attendance: member id → {"status", "absence_reason", "absence_note",
    "makeup_on", "makeup_note"}. All or nothing; returns how many rows changed."""
    access.require(actor, Perm.ORGLIFE_MANAGE, meeting.org)
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    with transaction.atomic():
        meeting = _lock(meeting)
        _editable(meeting)
        opens = meeting.starts_at - dt.timedelta(
            minutes=config.get(meeting.org, "orglife.checkin_before_minutes")
        )
        rows = {
            a.member_id: a
            for a in Attendance.objects.select_for_update().filter(meeting=meeting).select_related("member")
        }
        changed = 0
        for member_id, mark in marks.items():
            att = rows.get(int(member_id))
            if att is None:
                errors.setdefault("attendance", []).append(f"党员（{member_id}）不在本次会议名单中")
                continue
            status = mark.get("status", att.status)
            absent = status == AttendanceStatus.ABSENT
            # Fields not sent keep what was recorded (adding 补学 later need not repeat the reason);
            # a reason and 补学 only go with an absence.
            reason = mark.get("absence_reason", att.absence_reason) if absent else ""
            name = att.member.name
            if status not in AttendanceStatus.values:
                errors.setdefault("attendance", []).append(f"{name}：出席情况无效")
                continue
            if status == AttendanceStatus.ABSENT and reason not in AbsenceReason.values:
                errors.setdefault("attendance", []).append(f"{name}：请选择缺席原因")
                continue
            if status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE) and now < opens:
                errors.setdefault("attendance", []).append("会议尚未开始，不能登记出席")
                break
            makeup_on = mark.get("makeup_on", att.makeup_on if absent else None)
            if makeup_on and status != AttendanceStatus.ABSENT:
                errors.setdefault("attendance", []).append(f"{name}：只有缺席人员需要补学")
                continue
            if makeup_on and makeup_on < timezone.localtime(meeting.starts_at).date():
                errors.setdefault("attendance", []).append(f"{name}：补学日期不能早于会议日期")
                continue
            new = {
                "status": status,
                "absence_reason": reason,
                "absence_note": (mark.get("absence_note", att.absence_note) or "")[:200] if reason else "",
                "makeup_on": makeup_on if status == AttendanceStatus.ABSENT else None,
                "makeup_note": (mark.get("makeup_note", att.makeup_note) or "")[:200] if makeup_on else "",
            }
            if all(getattr(att, k) == v for k, v in new.items()):
                continue
            for k, v in new.items():
                setattr(att, k, v)
            if status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE) and not att.via:
                att.via = CheckinVia.RECORDER
            att.recorded_by = _actor(actor)
            _sync_points(att, meeting)
            att.save()
            changed += 1
        if errors:
            raise ValidationError(errors)
        if changed:
            audit.record(
                actor,
                AuditAction.UPDATE,
                meeting,
                org_id=meeting.org_id,
                summary=f"登记出席情况：{changed}人",
            )
    return changed


def add_attendee(actor, meeting: Meeting, member: Member) -> Attendance:
    """Add someone to the list (e.g. a member who joined the branch after the notice)."""
    access.require(actor, Perm.ORGLIFE_MANAGE, meeting.org)
    if member.org_id != selectors.branch_of(meeting.org).pk:
        fail("只能添加本支部党员", "member")
    with transaction.atomic():
        meeting = _lock(meeting)
        _editable(meeting)
        att, _ = Attendance.objects.get_or_create(meeting=meeting, member=member)
    return att


# --- Holding, minutes, recording, archiving ------------------------------------------------------------


def mark_held(actor, meeting: Meeting) -> Meeting:
    access.require(actor, Perm.ORGLIFE_MANAGE, meeting.org)
    with transaction.atomic():
        meeting = _lock(meeting)
        _editable(meeting)
        if meeting.status in (MeetingStatus.HELD, MeetingStatus.RECORDED):
            return meeting
        if timezone.now() < meeting.starts_at:
            fail("会议尚未开始，不能确认召开")
        meeting.status = MeetingStatus.HELD
        meeting.held_at = timezone.now()
        meeting.save(update_fields=["status", "held_at", "updated_at"])
        audit.record(actor, AuditAction.UPDATE, meeting, org_id=meeting.org_id, summary="确认会议已召开")
    return meeting


def save_minutes(actor, meeting: Meeting, items: list[dict], summary: str = "") -> list[MinutesItem]:
    """Replace the minutes: [{"title", "discussion", "resolution"}...] in order (the 会议记录)."""
    access.require(actor, Perm.ORGLIFE_MANAGE, meeting.org)
    clean = []
    for i, item in enumerate(items):
        title = (item.get("title") or "").strip()
        discussion = (item.get("discussion") or "").strip()
        resolution = (item.get("resolution") or "").strip()
        if not (title or discussion or resolution):
            continue
        if not title:
            fail(f"第{i + 1}项请填写议题", "minutes")
        clean.append(
            MinutesItem(order=len(clean), title=title[:150], discussion=discussion, resolution=resolution)
        )
    with transaction.atomic():
        meeting = _lock(meeting)
        _editable(meeting)
        if timezone.now() < meeting.starts_at:
            fail("会议尚未开始，不能填写会议记录")
        meeting.minutes.all().delete()
        for item in clean:
            item.meeting = meeting
        MinutesItem.objects.bulk_create(clean)
        meeting.summary = summary or ""
        if meeting.status in (MeetingStatus.PLANNED, MeetingStatus.NOTIFIED):
            meeting.status = MeetingStatus.HELD
            meeting.held_at = timezone.now()
        meeting.save()
        audit.record(
            actor, AuditAction.UPDATE, meeting, org_id=meeting.org_id, summary=f"保存会议记录：{len(clean)}项"
        )
    return clean


def complete_record(actor, meeting: Meeting) -> Meeting:
    """The record is complete: everyone's attendance is known and the minutes have at least one item."""
    access.require(actor, Perm.ORGLIFE_MANAGE, meeting.org)
    with transaction.atomic():
        meeting = _lock(meeting)
        _editable(meeting)
        problems = []
        if timezone.now() < meeting.starts_at:
            problems.append("会议尚未开始")
        if not meeting.attendances.exists():
            problems.append("还没有出席名单，请先发出通知或添加参会人员")
        pending = meeting.attendances.filter(status=AttendanceStatus.PENDING).count()
        if pending:
            problems.append(f"还有{pending}人的出席情况未登记")
        if not meeting.minutes.exists():
            problems.append("请先填写会议记录")
        if problems:
            fail("；".join(problems))
        meeting.status = MeetingStatus.RECORDED
        meeting.held_at = meeting.held_at or timezone.now()
        meeting.recorded_at = timezone.now()
        meeting.save(update_fields=["status", "held_at", "recorded_at", "updated_at"])
        audit.record(actor, AuditAction.UPDATE, meeting, org_id=meeting.org_id, summary="会议记录完成")
    return meeting


def archive(actor, meeting: Meeting) -> Meeting:
    access.require(actor, Perm.ORGLIFE_MANAGE, meeting.org)
    with transaction.atomic():
        meeting = _lock(meeting)
        if meeting.status != MeetingStatus.RECORDED:
            fail("会议记录完成后才能归档")
        meeting.status = MeetingStatus.ARCHIVED
        meeting.archived_at = timezone.now()
        meeting.save(update_fields=["status", "archived_at", "updated_at"])
        audit.record(actor, AuditAction.UPDATE, meeting, org_id=meeting.org_id, summary="会议归档")
    return meeting


def add_attachment(actor, meeting: Meeting, title: str, file) -> Attachment:
    access.require(actor, Perm.ORGLIFE_MANAGE, meeting.org)
    if file is None:
        fail("请选择文件", "file")
    with transaction.atomic():
        meeting = _lock(meeting)
        _editable(meeting)
        att = Attachment.objects.create(
            meeting=meeting, title=(title or file.name)[:100], file=file, uploaded_by=_actor(actor)
        )
        audit.record(
            actor, AuditAction.CREATE, att, org_id=meeting.org_id, summary=f"上传会议附件：{att.title}"
        )
    return att


# --- Votes -----------------------------------------------------------------------------------------------


def exclude_voter(actor, meeting: Meeting, member: Member, reason: str, approved_by: str) -> VoteExclusion:
    """Leave an absent voting member out of "expected", with the approval (domain-rules §2)."""
    from zhibu.orglife.models import ExclusionReason

    access.require(actor, Perm.ORGLIFE_MANAGE, meeting.org)
    if reason not in ExclusionReason.values:
        fail("请选择原因", "reason")
    if not (approved_by or "").strip():
        fail("请填写批准的组织或负责人", "approved_by")
    with transaction.atomic():
        meeting = _lock(meeting)
        _editable(meeting)
        att = meeting.attendances.filter(member=member).select_related("member").first()
        if att is None:
            fail("该党员不在本次会议名单中", "member")
        voter = att.member
        if not rules.voting_member(voter.category, voter.status, voter.under_party_probation):
            fail("该党员没有表决权（预备党员、留党察看期间或已不在册），本就不计入应到人数", "member")
        if att.status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE):
            fail("已到会的党员不能不计入应到人数", "member")
        try:
            with transaction.atomic():
                ex = VoteExclusion.objects.create(
                    meeting=meeting,
                    member=member,
                    reason=reason,
                    approved_by=approved_by[:100],
                    recorded_by=_actor(actor),
                )
        except IntegrityError:
            fail("该党员已不计入应到人数", "member")
        audit.record(
            actor, AuditAction.CREATE, ex, org_id=meeting.org_id, summary=f"不计入应到人数：{member.name}"
        )
    return ex


def record_vote(
    actor,
    meeting: Meeting,
    *,
    kind: str,
    subject: str,
    in_favour: int = 0,
    against: int = 0,
    abstain: int = 0,
    candidates: dict[str, int] | None = None,
    seats: int = 0,
) -> Vote:
    """A resolution or an election at a meeting that can carry votes. Expected and present voting
    members come from the attendance records (never typed in); the result is computed by the rules."""
    access.require(actor, Perm.ORGLIFE_MANAGE, meeting.org)
    if kind not in VoteKind.values:
        fail("请选择表决类型", "kind")
    if not (subject or "").strip():
        fail("请填写表决事项", "subject")
    with transaction.atomic():
        meeting = _lock(meeting)
        _editable(meeting)
        if not meeting.type.can_vote:
            fail(f"{meeting.type.name}不进行表决")
        if timezone.now() < meeting.starts_at:
            fail("会议尚未开始，不能记录表决")
        numbers = selectors.voters(meeting)
        expected, present = numbers["expected"], numbers["present"]
        if kind == VoteKind.ELECTION:
            result = rules.election_result(expected, present, dict(candidates or {}), seats)
            if result.errors:
                raise ValidationError({"candidates": result.errors})
            valid, passed, message = (
                result.valid,
                result.valid and len(result.elected) == seats,
                result.message,
            )
        else:
            result = rules.resolution_result(expected, present, in_favour, against, abstain)
            if result.errors:
                raise ValidationError({"in_favour": result.errors})
            valid, passed, message = result.valid, result.passed, result.message
        vote = Vote.objects.create(
            meeting=meeting,
            kind=kind,
            subject=subject[:200],
            expected=expected,
            present=present,
            in_favour=in_favour if kind == VoteKind.RESOLUTION else 0,
            against=against if kind == VoteKind.RESOLUTION else 0,
            abstain=abstain if kind == VoteKind.RESOLUTION else 0,
            candidates=[{"name": n, "votes": v} for n, v in (candidates or {}).items()],
            seats=seats if kind == VoteKind.ELECTION else 0,
            valid=valid,
            passed=passed,
            message=message[:400],
            recorded_by=_actor(actor),
        )
        audit.record(
            actor,
            AuditAction.CREATE,
            vote,
            org_id=meeting.org_id,
            summary=f"表决：{subject[:60]}：{message[:120]}",
        )
    return vote
