"""组织生活台账: a branch's organizational life for a year, generated from the records (no re-typing), as
a PDF in the style of a 会议记录本 (WeasyPrint with a CJK font) and as Excel (openpyxl: 汇总, 会议, 出席).

Both carry the same content: a summary per meeting type (held meetings per month, and how the
requirements were met per rules.period_state through `compliance`), then every held meeting of the
branch and its 党小组 in date order with its type, topic, time, place, host, recorder, 应到/实到, the
absentees with their reasons and 补学, the agenda, the minutes (discussion and resolution), the votes with
their computed results, and the summary. Every download is an EXPORT entry in the audit log.
"""

import datetime as dt
import io
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from zhibu.core import access, audit
from zhibu.core.access import Perm
from zhibu.core.models import AuditAction
from zhibu.members.models import Member
from zhibu.orglife import compliance, rules
from zhibu.orglife.models import HELD_STATUSES, Attendance, AttendanceStatus, Meeting
from zhibu.orgs.models import Organization
from zhibu.points.rules import TZ, local_range

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
WEEKDAYS = "一二三四五六日"


# --- The content, shared by both formats ------------------------------------------------------------------


@dataclass
class Absentee:
    name: str
    reason: str
    note: str
    makeup: str  # "2026-03-12 补学：…" or ""


@dataclass
class VoteLine:
    subject: str
    kind: str
    numbers: str  # 应到/实到/赞成/反对/弃权, or the candidates' votes
    result: str  # 通过 / 未通过 / 无效 …
    message: str


@dataclass
class MeetingRecord:
    meeting: Meeting
    number: int
    org_name: str
    type_name: str
    when: str  # 2026年3月31日（星期二）14:30—16:00
    date: dt.date
    place: str
    host: str
    recorder: str
    lecturer: str
    expected: int
    present: int
    late: int
    absentees: list[Absentee]
    attendees: list[str]
    agenda: list[str]
    minutes: list
    votes: list[VoteLine]
    summary: str

    @property
    def anchor(self) -> str:
        return f"m{self.meeting.pk}"


@dataclass
class SummaryRow:
    org_name: str
    type_name: str
    months: list[int]
    total: int
    requirement: str  # 每季度至少1次 / "" when not required
    compliance: str  # 已完成 / 未完成2期（5月、8月）；待召开1期 / "不作要求"
    behind: bool


@dataclass
class Ledger:
    org: Organization
    year: int
    today: dt.date
    parent_name: str
    members: int
    summary: list[SummaryRow]
    meetings: list[MeetingRecord]
    generated_at: dt.datetime
    report: compliance.BranchReport
    totals: list[int] = field(default_factory=list)


def _when(m: Meeting) -> str:
    start, end = timezone.localtime(m.starts_at, TZ), timezone.localtime(m.ends_at, TZ)
    day = f"{start.year}年{start.month}月{start.day}日（星期{WEEKDAYS[start.weekday()]}）"
    if end.date() == start.date():
        return f"{day}{start:%H:%M}—{end:%H:%M}"
    return f"{day}{start:%H:%M}—{end.month}月{end.day}日{end:%H:%M}"


def _vote_line(v) -> VoteLine:
    if v.kind == "election":
        numbers = f"应到{v.expected}人，实到{v.present}人；应选{v.seats}名；" + "，".join(
            f"{c.get('name')}{c.get('votes')}票" for c in (v.candidates or [])
        )
        result = "选举有效" if v.valid else "选举无效"
    else:
        numbers = (
            f"应到{v.expected}人，实到{v.present}人；"
            f"赞成{v.in_favour}票，反对{v.against}票，弃权{v.abstain}票"
        )
        result = "无效" if not v.valid else ("通过" if v.passed else "未通过")
    return VoteLine(v.subject, v.get_kind_display(), numbers, result, v.message)


def _dev_vote_line(v) -> VoteLine:
    written = f"，书面赞成{v.written_in_favour}票" if v.written_in_favour else ""
    numbers = (
        f"应到{v.expected}人，实到{v.present}人；赞成{v.in_favour}票，反对{v.against}票，"
        f"弃权{v.abstain}票{written}"
    )
    result = "无效" if not v.valid else ("通过" if v.passed else "未通过")
    return VoteLine(f"{v.case.name}：{v.get_kind_display()}", "发展党员表决", numbers, result, v.note)


def _dev_votes(meeting_ids: list[int]) -> dict[int, list[VoteLine]]:
    from zhibu.development.models import BranchVote

    out: dict[int, list[VoteLine]] = {}
    rows = (
        BranchVote.objects.filter(meeting_id__in=meeting_ids).select_related("case").order_by("recorded_at")
    )
    for v in rows:
        out.setdefault(v.meeting_id, []).append(_dev_vote_line(v))
    return out


def _record(number: int, m: Meeting, branch: Organization, dev_votes: dict) -> MeetingRecord:
    atts = list(m.attendances.all())
    absentees = []
    for a in atts:
        if a.status != AttendanceStatus.ABSENT:
            continue
        makeup = ""
        if a.makeup_on:
            makeup = f"{a.makeup_on:%Y-%m-%d} 补学" + (f"：{a.makeup_note}" if a.makeup_note else "")
        absentees.append(Absentee(a.member.name, a.get_absence_reason_display(), a.absence_note, makeup))
    votes = [_vote_line(v) for v in m.votes.all()] + dev_votes.get(m.pk, [])
    return MeetingRecord(
        meeting=m,
        number=number,
        org_name=m.org.name if m.org_id != branch.pk else "",
        type_name=m.type.name,
        when=_when(m),
        date=timezone.localtime(m.starts_at, TZ).date(),
        place="；".join(x for x in (m.place, m.online_link) if x),
        host=m.host.name if m.host_id else "",
        recorder=m.recorder.name if m.recorder_id else "",
        lecturer=m.lecturer,
        expected=len(atts),
        present=sum(1 for a in atts if a.status in ATTENDED),
        late=sum(1 for a in atts if a.status == AttendanceStatus.LATE),
        absentees=absentees,
        attendees=[a.member.name for a in atts if a.status in ATTENDED],
        agenda=[line.strip() for line in (m.agenda or "").splitlines() if line.strip()],
        minutes=list(m.minutes.all()),
        votes=votes,
        summary=m.summary,
    )


def held_meetings(branch: Organization, year: int):
    """The held meetings of the branch and its 党小组 in `year` (local), oldest first, with everything the
    台账 prints prefetched: a fixed number of queries."""
    begin, stop = local_range(dt.date(year, 1, 1), dt.date(year, 12, 31))
    return (
        Meeting.objects.filter(
            org__path__startswith=branch.path,
            status__in=HELD_STATUSES,
            starts_at__gte=begin,
            starts_at__lt=stop,
        )
        .select_related("org", "type", "host", "recorder")
        .prefetch_related(
            Prefetch(
                "attendances",
                queryset=Attendance.objects.select_related("member").order_by("member__name", "member_id"),
            ),
            "minutes",
            "votes",
        )
        .order_by("starts_at", "id")
    )


def _requirement_text(v: compliance.Version) -> str:
    unit = {"month": "每月", "quarter": "每季度", "year": "每年"}[v.frequency]
    return f"{unit}至少{v.min_count}次"


def _compliance_text(lines: list[compliance.Line]) -> tuple[str, bool]:
    missed = [
        c.period.label for line in lines for c in line.cells if c.state and c.state.state == rules.MISSED
    ]
    due = sum(line.due for line in lines)
    parts = []
    if missed:
        parts.append(f"未完成{len(missed)}期（{'、'.join(missed)}）")
    if due:
        parts.append(f"待召开{due}期")
    if not parts:
        applicable = sum(line.applicable for line in lines)
        return ("已完成" if applicable else "尚未开始"), False
    return "；".join(parts), bool(missed)


def build(branch: Organization, year: int, today: dt.date | None = None) -> Ledger:
    """The 台账's content (no scope check: callers check and audit)."""
    today = today or timezone.localdate()
    report = compliance.branch_report(None, branch, year, today=today)
    meetings = list(held_meetings(branch, year))
    dev = _dev_votes([m.pk for m in meetings])
    records = [_record(i, m, branch, dev) for i, m in enumerate(meetings, start=1)]
    # Held meetings per (org, type code) and local month, from the meetings already loaded.
    counts: dict[tuple[int, str], list[int]] = {}
    type_names: dict[str, str] = {}
    for r in records:
        m = r.meeting
        counts.setdefault((m.org_id, m.type.code), [0] * 12)[r.date.month - 1] += 1
        type_names.setdefault(m.type.code, m.type.name)
    lines: dict[tuple[int, str], list[compliance.Line]] = {}
    for line in report.lines:
        lines.setdefault((line.org.id, line.type_code), []).append(line)
        type_names.setdefault(line.type_code, line.type_name)
    tree = list(
        Organization.objects.filter(path__startswith=branch.path).order_by("path").values_list("id", "name")
    )
    order = {org_id: i for i, (org_id, _) in enumerate(tree)}
    names = dict(tree)
    keys = list(dict.fromkeys([*lines.keys(), *counts.keys()]))
    keys.sort(key=lambda k: (order.get(k[0], 999), compliance.CODE_ORDER.get(k[1], 999), k[1]))
    summary = []
    for org_id, code in keys:
        months = counts.get((org_id, code), [0] * 12)
        required = lines.get((org_id, code), [])
        text, behind = _compliance_text(required) if required else ("不作要求", False)
        summary.append(
            SummaryRow(
                org_name="" if org_id == branch.pk else names.get(org_id, ""),
                type_name=type_names.get(code, code),
                months=months,
                total=sum(months),
                requirement="；".join(dict.fromkeys(_requirement_text(x.version) for x in required)),
                compliance=text,
                behind=behind,
            )
        )
    parent = Organization.objects.filter(path=branch.path[: -Organization.steplen]).first()
    members = Member.objects.filter(org=branch).on_roll().aggregate(n=Count("id"))["n"]
    totals = [sum(r.months[i] for r in summary) for i in range(12)]
    return Ledger(
        org=branch,
        year=year,
        today=today,
        parent_name=parent.name if parent else "",
        members=members,
        summary=summary,
        meetings=records,
        generated_at=timezone.localtime(timezone.now(), TZ),
        report=report,
        totals=totals,
    )


def _record_export(actor, org: Organization, year: int, kind: str, data: Ledger) -> None:
    audit.record(
        actor,
        AuditAction.EXPORT,
        org,
        org_id=org.pk,
        summary=f"导出组织生活台账：{org.name}{year}年（{kind}，{len(data.meetings)}次会议）",
        after={"year": year, "format": kind, "meetings": len(data.meetings)},
    )


# --- PDF ---------------------------------------------------------------------------------------------------


def render_html(data: Ledger) -> str:
    """The HTML the PDF is rendered from (also what the tests read when no PDF text extractor is at hand)."""
    return render_to_string("orglife/ledger_pdf.html", {"ledger": data, "months": range(1, 13)})


def pdf_bytes(data: Ledger) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(data)).write_pdf()


def ledger_pdf(actor, org: Organization, year: int, today: dt.date | None = None) -> bytes:
    """The 台账 as a PDF: needs orglife.view on the branch; audited as an export."""
    access.require(actor, Perm.ORGLIFE_VIEW, org)
    data = build(org, year, today)
    pdf = pdf_bytes(data)
    _record_export(actor, org, year, "PDF", data)
    return pdf


# --- Excel -------------------------------------------------------------------------------------------------


def xlsx_bytes(data: Ledger) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="F3E3E3")
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    red = Font(color="C00000")

    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append([f"{data.org.name}{data.year}年组织生活台账"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(
        [
            f"上级组织：{data.parent_name}　党员人数：{data.members}　"
            f"生成时间：{data.generated_at:%Y-%m-%d %H:%M}"
        ]
    )
    ws.append([])
    header = ["组织", "会议类型", *[f"{m}月" for m in range(1, 13)], "合计", "要求", "落实情况"]
    ws.append(header)
    for row in data.summary:
        ws.append(
            [
                row.org_name or data.org.name,
                row.type_name,
                *row.months,
                row.total,
                row.requirement,
                row.compliance,
            ]
        )
        if row.behind:
            ws.cell(ws.max_row, len(header)).font = red
    ws.append(["合计", "", *data.totals, sum(data.totals), "", ""])
    _table_style(ws, 4, ws.max_row, len(header), bold, head_fill, border)
    widths = [16, 16] + [5] * 12 + [6, 16, 36]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "C5"

    ws = wb.create_sheet("会议")
    header = [
        "序号", "日期", "时间", "组织", "会议类型", "主题", "地点", "主持人", "记录人", "授课人",
        "应到", "实到", "迟到", "缺席", "缺席人员及原因", "补学情况", "议程", "会议记录", "表决情况",
        "会议小结",
    ]  # fmt: skip
    ws.append(header)
    for r in data.meetings:
        ws.append(
            [
                r.number,
                r.date,
                r.when.split("）")[-1],
                r.org_name or data.org.name,
                r.type_name,
                r.meeting.topic,
                r.place,
                r.host,
                r.recorder,
                r.lecturer,
                r.expected,
                r.present,
                r.late,
                len(r.absentees),
                "\n".join(f"{a.name}（{a.reason}{'：' + a.note if a.note else ''}）" for a in r.absentees),
                "\n".join(f"{a.name}：{a.makeup}" for a in r.absentees if a.makeup),
                "\n".join(f"{i}. {x}" for i, x in enumerate(r.agenda, start=1)),
                "\n".join(_minutes_text(i, item) for i, item in enumerate(r.minutes, start=1)),
                "\n".join(f"{v.subject}：{v.result}（{v.numbers}）{v.message}" for v in r.votes),
                r.summary,
            ]
        )
        ws.cell(ws.max_row, 2).number_format = "yyyy-mm-dd"
        for col in range(15, 21):
            ws.cell(ws.max_row, col).alignment = wrap
    _table_style(ws, 1, ws.max_row, len(header), bold, head_fill, border)
    widths = [5, 11, 12, 14, 13, 26, 16, 8, 8, 8, 5, 5, 5, 5, 24, 24, 28, 50, 40, 30]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(ws.max_row, 2)}"

    ws = wb.create_sheet("出席")
    header = [
        "序号",
        "日期",
        "会议类型",
        "主题",
        "党员",
        "出席情况",
        "签到方式",
        "签到时间",
        "缺席原因",
        "说明",
        "补学日期",
        "补学内容",
    ]
    ws.append(header)
    for r in data.meetings:
        for a in r.meeting.attendances.all():
            ws.append(
                [
                    r.number,
                    r.date,
                    r.type_name,
                    r.meeting.topic,
                    a.member.name,
                    a.get_status_display(),
                    a.get_via_display() if a.via else "",
                    timezone.localtime(a.checked_in_at, TZ).strftime("%H:%M") if a.checked_in_at else "",
                    a.get_absence_reason_display() if a.absence_reason else "",
                    a.absence_note,
                    a.makeup_on,
                    a.makeup_note,
                ]
            )
            ws.cell(ws.max_row, 2).number_format = "yyyy-mm-dd"
            ws.cell(ws.max_row, 11).number_format = "yyyy-mm-dd"
    _table_style(ws, 1, ws.max_row, len(header), bold, head_fill, border)
    widths = [5, 11, 13, 26, 10, 9, 11, 9, 10, 20, 11, 24]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(ws.max_row, 2)}"

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _minutes_text(i: int, item) -> str:
    text = f"{i}. {item.title}"
    if item.discussion:
        text += f"\n讨论情况：{item.discussion}"
    if item.resolution:
        text += f"\n决议/结论：{item.resolution}"
    return text


def _table_style(ws, first: int, last: int, width: int, bold, fill, border) -> None:
    for row in ws.iter_rows(min_row=first, max_row=last, max_col=width):
        for cell in row:
            cell.border = border
    for cell in ws[first][:width]:
        cell.font = bold
        cell.fill = fill


def ledger_xlsx(actor, org: Organization, year: int, today: dt.date | None = None) -> bytes:
    """The 台账 as Excel (汇总, 会议, 出席): needs orglife.view on the branch; audited as an export."""
    access.require(actor, Perm.ORGLIFE_VIEW, org)
    data = build(org, year, today)
    content = xlsx_bytes(data)
    _record_export(actor, org, year, "Excel", data)
    return content
