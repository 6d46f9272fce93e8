"""The 组织生活台账 (PDF and Excel) generated from a year of records: what it contains, what it leaves out,
the downloads' scope and their audit entries.

PDF text: the venv has no PDF library (no pypdf) and the machine no `pdftotext`, so the tests read the
PDF with the small reader at the end of this file (inflate the streams, map the glyph ids of the text
operators through the fonts' ToUnicode maps) and also check the HTML the PDF is rendered from
(ledger.render_html)."""

import datetime as dt
import io
import re
import zlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import members
from tests.orglife.test_compliance import Y, at, held
from zhibu.core.models import AuditAction, AuditLog
from zhibu.orglife import ledger, services
from zhibu.orglife.models import MeetingType

MINUTES = "与会党员结合岗位谈体会，一致认为要把学习成果转化为工作动力"
RESOLUTION = "各党小组本月内完成专题学习"


def _type(code):
    return MeetingType.objects.get(org__isnull=True, code=code)


@pytest.fixture
def records(tree, users):
    """A recorded 支部党员大会 with attendance, minutes and a vote; a theme day; a group meeting; a
    cancelled and a planned meeting (neither in the 台账)."""
    sec = users.sec_a
    people = members(tree.a, 5)
    people[4].group = tree.a1
    people[4].save()
    meeting = services.plan_meeting(
        sec,
        tree.a,
        _type("branch_meeting"),
        topic="学习贯彻党的二十届三中全会精神",
        starts_at=at(Y, 3, 31, 14, 30),
        ends_at=at(Y, 3, 31, 16, 0),
        place="三楼党员活动室",
        host=people[0],
        recorder=people[1],
        agenda="传达学习全会精神\n表决年度工作计划",
    )
    services.notify(sec, meeting)
    marks = {p.pk: {"status": "present"} for p in people[:3]}
    marks[people[3].pk] = {
        "status": "absent",
        "absence_reason": "sick",
        "absence_note": "住院治疗",
        "makeup_on": dt.date(Y, 4, 3),
        "makeup_note": "自学会议精神并提交心得",
    }
    marks[people[4].pk] = {"status": "late"}
    services.mark_attendance(sec, meeting, marks)
    services.save_minutes(
        sec,
        meeting,
        [{"title": "传达学习全会精神", "discussion": MINUTES, "resolution": RESOLUTION}],
        summary="会议达到预期效果",
    )
    vote = services.record_vote(sec, meeting, kind="resolution", subject="通过支部年度工作计划", in_favour=4)
    services.complete_record(sec, meeting)
    theme = held(tree.a, "theme_day", at(Y, 1, 20), topic="重温入党誓词主题党日")
    group = held(tree.a1, "group_meeting", at(Y, 2, 5), topic="小组学习交流")
    held(tree.a, "party_lecture", at(Y, 5, 5), topic="取消的党课", status="cancelled")
    held(tree.a, "party_lecture", at(Y, 6, 5), topic="计划中的党课", status="planned")
    held(tree.a, "theme_day", at(Y - 1, 12, 31, 23, 59), topic="上一年的主题党日")
    return {"meeting": meeting, "vote": vote, "theme": theme, "group": group, "people": people}


# --- Content -------------------------------------------------------------------------------------------


def test_content_of_the_year(tree, records):
    data = ledger.build(tree.a, Y, today=dt.date(Y, 7, 1))
    assert [r.meeting.topic for r in data.meetings] == [
        "重温入党誓词主题党日",
        "小组学习交流",
        "学习贯彻党的二十届三中全会精神",
    ]
    r = data.meetings[2]
    assert (r.expected, r.present, r.late, r.host, r.recorder) == (
        5,
        4,
        1,
        records["people"][0].name,
        records["people"][1].name,
    )
    assert r.when == "2026年3月31日（星期二）14:30—16:00"
    assert [(a.name, a.reason, a.note) for a in r.absentees] == [
        (records["people"][3].name, "病假", "住院治疗")
    ]
    assert r.absentees[0].makeup == "2026-04-03 补学：自学会议精神并提交心得"
    assert r.agenda == ["传达学习全会精神", "表决年度工作计划"]
    assert [(m.title, m.discussion, m.resolution) for m in r.minutes] == [
        ("传达学习全会精神", MINUTES, RESOLUTION)
    ]
    assert [(v.subject, v.result, v.message) for v in r.votes] == [
        ("通过支部年度工作计划", "通过", records["vote"].message)
    ]
    assert data.meetings[1].org_name == tree.a1.name and r.org_name == ""


def test_summary_counts_by_month_with_compliance(tree, records):
    data = ledger.build(tree.a, Y, today=dt.date(Y, 7, 1))
    rows = {(row.org_name, row.type_name): row for row in data.summary}
    branch_meeting = rows[("", "支部党员大会")]
    assert branch_meeting.months[2] == 1 and branch_meeting.total == 1
    assert branch_meeting.requirement == "每季度至少1次"
    assert branch_meeting.compliance == "未完成1期（第二季度）；待召开1期" and branch_meeting.behind
    theme = rows[("", "主题党日")]
    assert theme.months[0] == 1 and theme.total == 1  # last year's 31 Dec 23:59 stays in last year
    assert theme.compliance.startswith("未完成5期（2月、3月、4月、5月、6月）")
    group = rows[(tree.a1.name, "党小组会")]
    assert group.months[1] == 1
    assert (tree.a2.name, "党小组会") in rows
    assert data.totals[:3] == [1, 1, 1] and sum(data.totals) == 3


def test_pdf_is_produced_and_contains_the_minutes(tree, users, records):
    data = ledger.build(tree.a, Y, today=dt.date(Y, 7, 1))
    html = ledger.render_html(data)
    for text in (
        MINUTES,
        RESOLUTION,
        "住院治疗",
        "自学会议精神并提交心得",
        records["vote"].message,
        "会议达到预期效果",
    ):
        assert text in html
    assert "取消的党课" not in html and "计划中的党课" not in html and "上一年的主题党日" not in html
    pdf = ledger.ledger_pdf(users.sec_a, tree.a, Y, today=dt.date(Y, 7, 1))
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 20_000
    assert "Noto-Sans-CJK-SC" in pdf_fonts(pdf)  # the CJK font is embedded
    assert pdf_pages(pdf) >= 6  # cover, summary, index, three meetings
    text = pdf_text(pdf)
    assert MINUTES in text and RESOLUTION in text and "学习贯彻党的二十届三中全会精神" in text


def test_pdf_of_an_empty_year(tree, users):
    pdf = ledger.ledger_pdf(users.sec_a, tree.a, Y - 3)
    assert pdf.startswith(b"%PDF") and pdf_pages(pdf) == 3
    assert "暂无已召开的会议记录" in pdf_text(pdf)


def test_xlsx_has_the_sheets_and_rows(tree, users, records):
    content = ledger.ledger_xlsx(users.sec_a, tree.a, Y, today=dt.date(Y, 7, 1))
    wb = load_workbook(io.BytesIO(content))
    assert wb.sheetnames == ["汇总", "会议", "出席"]
    summary = list(wb["汇总"].iter_rows(values_only=True))
    assert summary[0][0] == f"{tree.a.name}{Y}年组织生活台账"
    assert summary[3][:3] == ("组织", "会议类型", "1月")
    bm = next(r for r in summary if r[1] == "支部党员大会")
    assert bm[2:15] == (0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)
    assert bm[16] == "未完成1期（第二季度）；待召开1期"
    meetings = list(wb["会议"].iter_rows(values_only=True))
    assert len(meetings) == 1 + 3
    header = meetings[0]
    row = dict(zip(header, meetings[3], strict=True))
    assert row["主题"] == "学习贯彻党的二十届三中全会精神"
    assert (row["应到"], row["实到"], row["迟到"], row["缺席"]) == (5, 4, 1, 1)
    assert MINUTES in row["会议记录"] and RESOLUTION in row["会议记录"]
    assert "住院治疗" in row["缺席人员及原因"] and "2026-04-03 补学" in row["补学情况"]
    assert "通过支部年度工作计划：通过" in row["表决情况"]
    assert row["日期"].date() == dt.date(Y, 3, 31)
    attendance = list(wb["出席"].iter_rows(values_only=True))
    assert len(attendance) == 1 + 5  # the directly written meetings have no attendance rows
    absent = next(r for r in attendance if r[5] == "缺席")
    assert (absent[8], absent[9], absent[11]) == ("病假", "住院治疗", "自学会议精神并提交心得")


def test_build_takes_a_fixed_number_of_queries(tree, records, django_assert_num_queries):
    ledger.build(tree.a, Y, today=dt.date(Y, 7, 1))
    with CaptureQueriesContext(connection) as ctx:
        ledger.build(tree.a, Y, today=dt.date(Y, 7, 1))
    few = len(ctx.captured_queries)
    for day in range(1, 6):
        held(tree.a, "theme_day", at(Y, 8, day))
    with django_assert_num_queries(few):
        ledger.build(tree.a, Y, today=dt.date(Y, 7, 1))


# --- Downloads: scope and audit ----------------------------------------------------------------------


def test_downloads_are_audited_exports(tree, users, records, client_for):
    client = client_for(users.sec_a)
    pdf = client.get(reverse("orglife:ledger_pdf", args=[tree.a.pk]), {"year": Y})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"] and ".pdf" in pdf["Content-Disposition"]
    xlsx = client.get(reverse("orglife:ledger_xlsx", args=[tree.a.pk]), {"year": Y})
    assert xlsx.status_code == 200 and xlsx["Content-Type"] == ledger.XLSX_TYPE
    load_workbook(io.BytesIO(xlsx.content))
    logs = AuditLog.objects.filter(action=AuditAction.EXPORT, org_id=tree.a.pk).order_by("id")
    assert [(log.after["format"], log.after["year"], log.after["meetings"]) for log in logs] == [
        ("PDF", Y, 3),
        ("Excel", Y, 3),
    ]
    assert all(log.actor == users.sec_a for log in logs)


def test_download_scope(tree, users, client_for):
    url = reverse("orglife:ledger_pdf", args=[tree.a.pk])
    assert client_for(users.sec_b).get(url).status_code == 404
    assert client_for(users.member_a).get(url).status_code == 403
    # the 台账 is the branch's: a 党小组 has none
    assert (
        client_for(users.leader_a1).get(reverse("orglife:ledger_xlsx", args=[tree.a1.pk])).status_code == 404
    )
    assert (
        client_for(users.org_admin).get(reverse("orglife:ledger_xlsx", args=[tree.a.pk])).status_code == 200
    )
    assert not AuditLog.objects.filter(
        action=AuditAction.EXPORT, actor__in=[users.sec_b, users.member_a]
    ).exists()


# --- A small PDF reader (the venv has no PDF library) -----------------------------------------------------

_STREAM = re.compile(rb"<<(.*?)>>\s*stream\r?\n(.*?)\r?\nendstream", re.S)


def _streams(pdf: bytes) -> list[bytes]:
    out = []
    for head, body in _STREAM.findall(pdf):
        if b"/FlateDecode" in head:
            try:
                body = zlib.decompress(body)
            except zlib.error:
                continue
        out.append(body)
    return out


def _objects(pdf: bytes) -> bytes:
    """The file with its compressed streams (object streams included) inflated."""
    return pdf + b"".join(_streams(pdf))


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", _objects(pdf)))


def pdf_fonts(pdf: bytes) -> set[str]:
    """Embedded font names without the subset prefix (ABCDEF+)."""
    return {f.decode().split("+")[-1] for f in re.findall(rb"/BaseFont\s*/([\w+\-]+)", _objects(pdf))}


def pdf_text(pdf: bytes) -> str:
    """The text of the PDF's content streams, decoded through every ToUnicode map (each font's glyph ids
    are tried against each map; WeasyPrint writes text as hex glyph ids in TJ arrays)."""
    streams = _streams(pdf)
    maps = []
    for s in streams:
        if b"begincmap" not in s:
            continue
        cmap: dict[str, str] = {}
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", s, re.S):
            for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                cmap[src.decode().upper()] = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", s, re.S):
            for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                width, start = len(lo), int(dst, 16)
                for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                    cmap[f"{code:0{width}X}"] = chr(start + i)
        maps.append(cmap)
    texts = []
    for s in streams:
        if b"TJ" not in s and b"Tj" not in s:
            continue
        for cmap in maps:
            width = len(next(iter(cmap), "0000")) or 4
            parts = []
            for run in re.findall(rb"\[(.*?)\]\s*TJ|<([0-9A-Fa-f]*)>\s*Tj", s, re.S):
                data = run[0] or b"<" + run[1] + b">"
                for hexes in re.findall(rb"<([0-9A-Fa-f]*)>", data):
                    h = hexes.decode().upper()
                    parts.append("".join(cmap.get(h[i : i + width], "") for i in range(0, len(h), width)))
            texts.append("".join(parts))
    return "\n".join(texts)
