"""Roster Excel: template, every import error kind, all-or-nothing commit, scope, export and audit."""

import datetime as dt
import io
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from tests.factories import MemberFactory
from zhibu.core.errors import ValidationError
from zhibu.core.models import AuditAction, AuditLog
from zhibu.members import excel
from zhibu.members.models import Category, EventKind, Member, MemberEvent
from zhibu.members.rules import id_check_digit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


_serial = itertools.count(1)


def id_for(birth: dt.date, male: bool = True, region: str = "110101", last: str | None = None) -> str:
    """A valid ID number, unique per call; `last="X"` searches for one whose check character is X."""
    while True:
        n = next(_serial) % 500
        first17 = f"{region}{birth:%Y%m%d}{n * 2 + (1 if male else 0):03d}"
        if last is None or id_check_digit(first17) == last:
            return first17 + id_check_digit(first17)


def unique_ids(count: int, start: dt.date = dt.date(1960, 1, 1)) -> list[str]:
    """`count` distinct valid ID numbers (one birth day each)."""
    out = []
    for i in range(count):
        first17 = f"320102{start + dt.timedelta(days=i):%Y%m%d}{(i % 400) * 2 + 1:03d}"
        out.append(first17 + id_check_digit(first17))
    return out


def good_row(**fields) -> dict:
    row = {
        "name": "王小明",
        "id_number": id_for(dt.date(1990, 3, 7)),
        "joined_on": "2015-07-01",
        "converted_on": "2016-07-01",
        "category": "正式党员",
        "org_code": "R-G-A",
    }
    row.update(fields)
    return row


def xlsx(rows: list[dict], headers: list[str] | None = None) -> bytes:
    """An upload laid out like the template: a header row, then one row per dict (keys as in COLUMNS)."""
    wb = Workbook()
    ws = wb.active
    ws.title = excel.SHEET_TITLE
    ws.append(headers or [c.header for c in excel.COLUMNS])
    for row in rows:
        ws.append([row.get(c.key) for c in excel.COLUMNS])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(data: bytes, name: str = "花名册.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=excel.XLSX_TYPE)


def check(user, rows, org=None) -> excel.ImportReport:
    return excel.validate_sheet(user, excel.read_upload(io.BytesIO(xlsx(rows)), "t.xlsx"), org=org)


def messages_of(report, row: int, column: str) -> list[str]:
    return [e.message for e in report.errors if e.row == row and e.column == column]


# --- Template ---------------------------------------------------------------------------------------


def test_template_opens_with_dropdowns_example_and_guide(users, client_for):
    response = client_for(users.sec_a).get(reverse("members:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_TYPE
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["党员花名册", "选项", "说明"]
    ws = wb["党员花名册"]
    headers = [c.value for c in ws[1]]
    assert headers[:5] == ["姓名*", "身份证号*", "性别", "民族", "出生日期"]
    assert {"入党日期*", "党员类别*", "所在支部(组织代码)*", "困难党员", "老党员"} <= set(headers)
    assert (
        ws["A2"].value.startswith("示例") and ws["A2"].font.i and ws["A2"].font.color.rgb.endswith("808080")
    )
    options = wb["选项"]
    assert options.sheet_state == "hidden"
    by_column = {}
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "list"
        sheet_ref, cells = dv.formula1.split("!")
        assert sheet_ref == "'选项'"
        start, end = cells.replace("$", "").split(":")
        values = [c.value for (c,) in options[f"{start}:{end}"]]
        by_column[str(dv.sqref).split(":")[0].rstrip("0123456789")] = values
    letter = {h.rstrip("*"): chr(ord("A") + i) for i, h in enumerate(headers)}
    assert len(by_column[letter["民族"]]) == 56 and by_column[letter["民族"]][0] == "汉族"
    assert by_column[letter["党员类别"]] == ["正式党员", "预备党员"]
    assert by_column[letter["困难党员"]] == ["是", "否"]
    assert "大学本科" in by_column[letter["学历"]] and "博士" in by_column[letter["学位"]]
    assert "离退休" in by_column[letter["人员类别"]]
    assert by_column[letter["所在支部(组织代码)"]] == ["R-G-A"]  # the branches sec_a may import into
    assert ws.column_dimensions[letter["身份证号"]].number_format == "@"
    guide = [c for row in wb["说明"].iter_rows(values_only=True) for c in row if c]
    assert "R-G-A-1" in guide and "R-G-B" not in guide
    assert any("入党日期" in str(c) for c in guide)
    # The untouched template is a file without data, not a member named 示例.
    with pytest.raises(ValidationError) as exc:
        excel.read_upload(io.BytesIO(response.content), "模板.xlsx")
    assert "没有党员数据" in exc.value.messages[0]


def test_template_example_id_is_valid():
    from zhibu.members.rules import id_number_error

    assert id_number_error(excel.EXAMPLE["id_number"]) is None


def test_template_needs_member_manage(users, client_for):
    assert client_for(users.member_a).get(reverse("members:import_template")).status_code == 403


# --- Every error kind: message and Excel row number -------------------------------------------------


def test_valid_row_passes_with_fields_from_the_id(users):
    report = check(users.sec_a, [good_row(gender=None, birth_date=None, mobile="13912345678")])
    assert report.ok, report.errors
    row = report.rows[0]
    assert row.number == 2
    assert row.fields["birth_date"] == dt.date(1990, 3, 7) and row.fields["gender"] == "male"
    assert row.fields["ethnicity"] == "01" and row.fields["employment"] == "employed"


def test_missing_required_fields(users):
    report = check(users.sec_a, [good_row(), good_row(name=None, joined_on="", category=None)])
    assert messages_of(report, 3, "姓名*") == ["必填，不能为空"]
    assert messages_of(report, 3, "入党日期*") == ["必填，不能为空"]
    assert messages_of(report, 3, "党员类别*") == ["必填，不能为空"]
    assert not report.ok and report.rows[0].ok


def test_bad_id_checksum(users):
    good = id_for(dt.date(1990, 3, 7))
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    report = check(users.sec_a, [good_row(id_number=wrong)])
    assert messages_of(report, 2, "身份证号*") == ["身份证号校验位错误，请核对"]


def test_impossible_birth_date_in_id(users):
    first17 = "11010119900230001"
    report = check(users.sec_a, [good_row(id_number=first17 + id_check_digit(first17))])
    assert messages_of(report, 2, "身份证号*") == ["身份证号中的出生日期不存在"]


def test_id_too_short(users):
    report = check(users.sec_a, [good_row(id_number="11010119900307")])
    assert messages_of(report, 2, "身份证号*") == ["身份证号应为18位：前17位数字，最后一位为数字或X"]


def test_id_inconsistent_with_birth_date_and_gender(users):
    report = check(
        users.sec_a,
        [good_row(id_number=id_for(dt.date(1990, 3, 7), male=True), birth_date="1990-03-08", gender="女")],
    )
    assert messages_of(report, 2, "出生日期") == ["与身份证号中的出生日期（1990-03-07）不一致"]
    assert messages_of(report, 2, "性别") == ["与身份证号不一致（身份证号显示为男）"]


def test_impossible_date(users):
    report = check(users.sec_a, [good_row(joined_on="2023-02-30", converted_on=None)])
    assert messages_of(report, 2, "入党日期*") == ["“2023-02-30”不是有效日期（该日不存在）"]


def test_unreadable_date(users):
    report = check(users.sec_a, [good_row(converted_on="去年七月")])
    assert messages_of(report, 2, "转正日期") == ["“去年七月”不是日期，请按YYYY-MM-DD填写，如2021-07-01"]


def test_join_date_before_eighteen(users):
    born = dt.date(2000, 6, 15)
    rows = [
        good_row(id_number=id_for(born), joined_on="2018-06-14", converted_on=None),
        good_row(id_number=id_for(born), joined_on="2018-06-15", converted_on=None),  # the 18th birthday
    ]
    report = check(users.sec_a, rows)
    assert messages_of(report, 2, "入党日期*") == ["入党日期早于年满18周岁的日期（2018-06-15）"]
    assert report.rows[1].ok


def test_join_date_in_future(users):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    report = check(users.sec_a, [good_row(joined_on=tomorrow.isoformat(), converted_on=None)])
    assert messages_of(report, 2, "入党日期*") == ["入党日期不能晚于今天"]


def test_conversion_date_for_probationary_member(users):
    report = check(users.sec_a, [good_row(category="预备党员", converted_on="2016-07-01")])
    assert messages_of(report, 2, "转正日期") == ["党员类别为预备党员时不能填写转正日期"]


def test_conversion_before_joining(users):
    report = check(users.sec_a, [good_row(joined_on="2016-07-01", converted_on="2015-07-01")])
    assert messages_of(report, 2, "转正日期") == ["转正日期不能早于入党日期"]


def test_unknown_branch_code(users):
    report = check(users.sec_a, [good_row(org_code="NO-SUCH")])
    assert messages_of(report, 2, "所在支部(组织代码)*") == ["所在支部代码不存在或不在您的管理范围内"]


def test_branch_outside_scope_reads_like_an_unknown_code(users):
    report = check(users.sec_a, [good_row(org_code="R-G-B"), good_row(org_code="NO-SUCH")])
    assert messages_of(report, 2, "所在支部(组织代码)*") == messages_of(report, 3, "所在支部(组织代码)*")
    assert messages_of(report, 2, "所在支部(组织代码)*") == [excel.UNKNOWN_BRANCH]


def test_code_of_a_non_branch_in_scope(users):
    report = check(users.org_admin, [good_row(org_code="R-G")])
    assert messages_of(report, 2, "所在支部(组织代码)*") == [
        "“机关党总支”不是党支部：党员须登记在党支部（党小组填在“党小组”列）"
    ]


def test_group_not_under_the_branch(users):
    report = check(users.org_admin, [good_row(group_code="R-G-B-1"), good_row(group_code="R-G-A-2")])
    assert messages_of(report, 2, "党小组(组织代码)") == ["党小组代码不存在或不属于所在支部“第一党支部”"]
    assert report.rows[1].ok and report.rows[1].group.code == "R-G-A-2"


def test_duplicate_id_within_file_names_both_rows(users):
    same = id_for(dt.date(1990, 3, 7))
    report = check(users.sec_a, [good_row(id_number=same), good_row(), good_row(id_number=same.lower())])
    assert messages_of(report, 2, "身份证号*") == ["身份证号与第4行重复"]
    assert messages_of(report, 4, "身份证号*") == ["身份证号与第2行重复"]
    assert report.rows[1].ok


def test_duplicate_id_already_in_database(users, tree):
    existing = MemberFactory(org=tree.b)  # in another branch: still a duplicate, without saying where
    report = check(users.sec_a, [good_row(id_number=existing.id_number)])
    assert messages_of(report, 2, "身份证号*") == ["该身份证号已登记在系统中，不能重复导入"]


def test_unknown_choice_values(users):
    report = check(users.sec_a, [good_row(ethnicity="火星族", education="大学", hardship="也许")])
    assert messages_of(report, 2, "民族") == ["“火星族”不在可选范围内，请从下拉列表中选择"]
    assert messages_of(report, 2, "困难党员") == ["“也许”无效，请填写“是”或“否”"]
    assert report.rows[0].fields["education"] == "bachelor"  # a common short spelling is understood


def test_bad_mobile(users):
    report = check(users.sec_a, [good_row(mobile="1381234567")])
    assert messages_of(report, 2, "手机号") == ["“1381234567”不是有效的11位手机号码"]


def test_all_errors_of_a_row_are_collected(users):
    report = check(
        users.sec_a,
        [
            good_row(
                name="", id_number="123", org_code="X", mobile="1", ethnicity="火星族", joined_on="2023-02-30"
            )
        ],
    )
    assert {e.column for e in report.errors} == {
        "姓名*",
        "身份证号*",
        "所在支部(组织代码)*",
        "手机号",
        "民族",
        "入党日期*",
    }
    assert str(report.errors[0]).startswith("第2行 姓名*：")


# --- Cell formats -----------------------------------------------------------------------------------


def test_dates_as_excel_dates_and_text_formats(users):
    rows = [
        good_row(joined_on=dt.datetime(2015, 7, 1), converted_on=dt.date(2016, 7, 1)),
        good_row(joined_on="2015/07/01", converted_on="2016.7.1"),
        good_row(joined_on="2015年7月1日", converted_on=" 2016-07-01 "),
    ]
    report = check(users.sec_a, rows)
    assert report.ok, report.errors
    assert {r.fields["joined_on"] for r in report.rows} == {dt.date(2015, 7, 1)}
    assert {r.fields["converted_on"] for r in report.rows} == {dt.date(2016, 7, 1)}


def test_id_with_apostrophe_lowercase_x_and_spaces(users):
    number = id_for(dt.date(1988, 1, 2), last="X")
    report = check(users.sec_a, [good_row(id_number=f"'{number[:6]} {number[6:].lower()}")])
    assert report.ok, report.errors
    assert report.rows[0].fields["id_number"] == number


def test_numeric_id_cell_gets_a_hint(users):
    number = id_for(dt.date(1990, 3, 7), last="5")
    report = check(users.sec_a, [good_row(id_number=float(number))])  # Excel keeps 15 significant digits
    (message,) = messages_of(report, 2, "身份证号*")
    assert "数字格式" in message and "设为文本" in message


def test_numeric_mobile_cell_is_read_as_text(users):
    report = check(users.sec_a, [good_row(mobile=13912345678)])
    assert report.ok and report.rows[0].fields["mobile"] == "13912345678"


def test_flags_from_text_and_boolean_cells(users):
    rows = [good_row(hardship="是", veteran=False), good_row(hardship=True, veteran="否")]
    report = check(users.sec_a, rows)
    assert report.ok, report.errors
    flags = [(r.fields["hardship"], r.fields["veteran"]) for r in report.rows]
    assert flags == [(True, False), (True, False)]


def test_empty_rows_and_the_example_row_are_skipped(users):
    data = xlsx([dict(excel.EXAMPLE, org_code="R-G-A"), {}, good_row()])
    sheet = excel.read_upload(io.BytesIO(data), "t.xlsx")
    assert [n for n, _ in sheet.rows] == [4]


# --- File-level problems ----------------------------------------------------------------------------


def file_error(data: bytes, name: str = "t.xlsx") -> str:
    with pytest.raises(ValidationError) as exc:
        excel.read_upload(upload(data, name))
    return exc.value.messages[0]


def test_not_an_xlsx_file():
    assert "请上传 .xlsx 格式" in file_error(b"a,b\n1,2\n", "名单.csv")


def test_corrupt_xlsx_file():
    assert file_error(b"PK\x03\x04 this is not really a workbook").startswith("文件无法读取")
    assert file_error(b"plain text pretending").startswith("文件无法读取")


def test_missing_required_column():
    data = xlsx([good_row()], headers=["姓名*", "身份证号*", "性别"])
    assert file_error(data).startswith("第1行表头缺少必填列：入党日期*、党员类别*、所在支部(组织代码)*")


def test_too_many_rows(monkeypatch):
    monkeypatch.setattr(excel, "MAX_ROWS", 2)
    assert file_error(xlsx([good_row(), good_row(), good_row()])) == "数据超过2行：请分成多个文件导入"


def test_too_large(monkeypatch):
    monkeypatch.setattr(excel, "MAX_BYTES", 1024)
    assert file_error(xlsx([good_row()])).startswith("文件过大")


def test_file_without_data():
    assert file_error(xlsx([])).startswith("文件中没有党员数据")


# --- Pages: upload → preview → commit ---------------------------------------------------------------


@pytest.fixture
def sec_a(users, client_for):
    return client_for(users.sec_a)


def post_file(client, data: bytes, org=None, name="花名册.xlsx"):
    url = reverse("members:import") + (f"?org={org.pk}" if org else "")
    return client.post(url, {"file": upload(data, name)})


def commit(client):
    token = client.session[excel_session_key()]["token"]
    return client.post(reverse("members:import_commit"), {"token": token})


def excel_session_key():
    from zhibu.members.views_excel import SESSION_KEY

    return SESSION_KEY


def test_import_page_renders(sec_a):
    response = sec_a.get(reverse("members:import"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "批量导入党员" in html and reverse("members:import_template") in html
    assert 'enctype="multipart/form-data"' in html


def test_bad_file_is_answered_on_the_upload_page(sec_a):
    response = post_file(sec_a, b"not excel", name="名单.xls")
    assert response.status_code == 200
    assert "请上传 .xlsx 格式" in response.content.decode()
    assert excel_session_key() not in sec_a.session


def test_all_or_nothing_then_a_clean_file_imports_everything(sec_a, users, tree):
    bad = good_row(org_code="R-G-B")
    response = post_file(sec_a, xlsx([good_row(), bad, good_row(group_code="R-G-A-1")]))
    assert response.status_code == 302 and response["Location"] == reverse("members:import_preview")
    preview = sec_a.get(reverse("members:import_preview"))
    html = preview.content.decode()
    assert "第3行" in html and excel.UNKNOWN_BRANCH in html
    assert "确认导入" not in html and reverse("members:import_errors") in html
    # The error report: the bad row as uploaded, with its row number and the message.
    report = load_workbook(io.BytesIO(sec_a.get(reverse("members:import_errors")).content))
    rows = list(report.active.iter_rows(values_only=True))
    assert rows[0][0] == "原行号" and rows[0][-1] == "错误"
    assert len(rows) == 2 and rows[1][0] == 3 and excel.UNKNOWN_BRANCH in rows[1][-1]
    # Forcing the commit writes nothing.
    response = commit(sec_a)
    assert response.status_code == 302
    assert Member.objects.count() == 0 and MemberEvent.objects.count() == 0
    assert not AuditLog.objects.filter(object_type="members.member").exists()

    good = [good_row(name=f"党员{i}", id_number=id_for(dt.date(1991, 1, 1))) for i in range(3)]
    good[1]["group_code"] = "R-G-A-1"
    post_file(sec_a, xlsx(good))
    preview = sec_a.get(reverse("members:import_preview")).content.decode()
    assert "确认导入3名党员" in preview
    assert good[0]["id_number"] not in preview  # IDs are masked in the preview
    response = commit(sec_a)
    assert response.status_code == 302 and response["Location"].startswith(reverse("members:roster"))
    members = Member.objects.order_by("name")
    assert [m.name for m in members] == ["党员0", "党员1", "党员2"]
    assert {m.org_id for m in members} == {tree.a.pk}
    assert members[1].group_id == tree.a1.pk
    assert members[0].category == Category.FULL and members[0].birth_date == dt.date(1991, 1, 1)
    events = MemberEvent.objects.filter(kind=EventKind.IMPORTED)
    assert events.count() == 3 and {e.recorded_by_id for e in events} == {users.sec_a.pk}
    assert {e.data["row"] for e in events} == {2, 3, 4}
    entry = AuditLog.objects.get(object_type="members.member", action=AuditAction.CREATE)
    assert entry.actor == users.sec_a and entry.after["count"] == 3 and entry.after["org_ids"] == [tree.a.pk]
    assert entry.org_id == tree.a.pk
    assert excel_session_key() not in sec_a.session
    assert not list(excel.stash_dir().glob("*"))  # the stored upload is gone


def test_double_commit_imports_once(sec_a):
    post_file(sec_a, xlsx([good_row()]))
    token = sec_a.session[excel_session_key()]["token"]
    first = sec_a.post(reverse("members:import_commit"), {"token": token})
    second = sec_a.post(reverse("members:import_commit"), {"token": token})
    assert first.status_code == second.status_code == 302
    assert Member.objects.count() == 1 and MemberEvent.objects.count() == 1
    assert AuditLog.objects.filter(object_type="members.member").count() == 1


def test_a_token_can_be_claimed_only_once():
    token = excel.stash_upload(io.BytesIO(xlsx([good_row()])))
    claimed = excel.claim_stash(token)
    with pytest.raises(ValidationError) as exc:
        excel.claim_stash(token)
    assert exc.value.messages == ["该导入已经提交或已过期，请勿重复提交；如需导入请重新上传文件"]
    excel.discard_stash(claimed)


def test_token_from_the_form_must_match_the_session(sec_a):
    post_file(sec_a, xlsx([good_row()]))
    response = sec_a.post(reverse("members:import_commit"), {"token": "A" * 32})
    assert response.status_code == 302 and Member.objects.count() == 0


@pytest.mark.parametrize("token", ["../../secret_key", "a/b", "", "x" * 200])
def test_stash_paths_are_never_taken_from_outside(token):
    with pytest.raises(ValidationError):
        excel.stash_path(token)


def test_concurrent_import_of_the_same_people_is_stopped_by_the_database(users):
    rows = [good_row(), good_row()]
    first, second = check(users.sec_a, rows), check(users.sec_a, rows)
    assert first.ok and second.ok
    excel.commit_import(users.sec_a, first)
    with pytest.raises(ValidationError) as exc:
        excel.commit_import(users.sec_a, second)
    assert "未导入任何数据" in exc.value.messages[0]
    assert Member.objects.count() == 2 and MemberEvent.objects.count() == 2
    assert AuditLog.objects.filter(object_type="members.member").count() == 1


def test_import_into_another_branch_writes_nothing(sec_a):
    post_file(sec_a, xlsx([good_row(org_code="R-G-B"), good_row()]))
    html = sec_a.get(reverse("members:import_preview")).content.decode()
    assert "第2行" in html and excel.UNKNOWN_BRANCH in html and "第二党支部" not in html
    commit(sec_a)
    assert Member.objects.count() == 0


@pytest.mark.parametrize("name", ["import", "import_preview"])
def test_import_pages_for_an_org_out_of_scope_are_404(sec_a, tree, name):
    assert sec_a.get(reverse("members:import") + f"?org={tree.b.pk}").status_code == 404
    assert sec_a.post(reverse("members:import") + f"?org={tree.b.pk}", {}).status_code == 404


def test_import_limited_to_an_org_rejects_rows_elsewhere(users, client_for, tree):
    client = client_for(users.org_admin)
    post_file(client, xlsx([good_row(org_code="R-G-B"), good_row()]), org=tree.a)
    html = client.get(reverse("members:import_preview")).content.decode()
    assert "第2行" in html and excel.UNKNOWN_BRANCH in html


def test_member_role_cannot_import(users, client_for):
    client = client_for(users.member_a)
    assert client.get(reverse("members:import")).status_code == 403
    assert client.post(reverse("members:import"), {"file": upload(xlsx([good_row()]))}).status_code == 403


def test_preview_without_an_upload_goes_back_to_the_upload_page(sec_a):
    response = sec_a.get(reverse("members:import_preview"))
    assert response.status_code == 302 and response["Location"] == reverse("members:import")


def test_another_users_session_data_is_ignored(users, client_for):
    client = client_for(users.sec_a)
    post_file(client, xlsx([good_row()]))
    session = client.session
    data = session[excel_session_key()]
    data["user"] = users.sec_b.pk
    session[excel_session_key()] = data
    session.save()
    assert client.get(reverse("members:import_preview")).status_code == 302


# --- Performance: no per-row queries ----------------------------------------------------------------


def test_thousand_rows_validate_and_commit_in_a_bounded_number_of_queries(
    users, tree, django_assert_max_num_queries
):
    rows = [
        good_row(name=f"党员{i}", id_number=number, group_code="R-G-A-1" if i % 2 else None)
        for i, number in enumerate(unique_ids(1000))
    ]
    sheet = excel.read_upload(io.BytesIO(xlsx(rows)), "big.xlsx")
    # Validation: scope (1) + org codes (1) + existing IDs (chunks of 500; IDs ending in X are also looked
    # up with a lower-case x) = 5 queries for 1,000 rows.
    with django_assert_max_num_queries(5):
        report = excel.validate_sheet(users.sec_a, sheet)
    assert report.ok, report.errors[:3]
    # Commit: bulk inserts in batches (SQLite allows 999 parameters per statement: ~28 members each),
    # ~9 event batches, one audit entry: 46 on SQLite. One query per row would be over 2,000.
    with django_assert_max_num_queries(50):
        excel.commit_import(users.sec_a, report)
    assert Member.objects.count() == 1000 and MemberEvent.objects.count() == 1000


# --- Export -----------------------------------------------------------------------------------------


def read_export(response) -> list[tuple]:
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == excel.XLSX_TYPE
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


@pytest.fixture
def roll(tree):
    return [
        MemberFactory(org=tree.a, name="甲一", group=tree.a1, hardship=True),
        MemberFactory(org=tree.a, name="甲二", category=Category.PROBATIONARY),
        MemberFactory(org=tree.b, name="乙一"),
    ]


def test_export_is_masked_by_default_and_audited(sec_a, users, roll):
    rows = read_export(sec_a.get(reverse("members:export")))
    header = rows[0]
    assert list(header[: len(excel.COLUMNS)]) == [c.header for c in excel.COLUMNS]
    data = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert set(data) == {"甲一", "甲二"}  # not 乙一 of the other branch
    first = data["甲一"]
    assert first["身份证号*"] == roll[0].id_number[:6] + "********" + roll[0].id_number[-4:]
    assert first["手机号"] == roll[0].mobile[:3] + "****" + roll[0].mobile[-4:]
    assert first["所在支部(组织代码)*"] == "R-G-A" and first["党小组(组织代码)"] == "R-G-A-1"
    assert first["困难党员"] == "是" and first["党员类别*"] == "正式党员"
    assert isinstance(first["入党日期*"], dt.datetime)
    assert data["甲二"]["党员类别*"] == "预备党员"
    entry = AuditLog.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == users.sec_a and entry.after == {"count": 2, "unmasked": False, "orgs": 1}
    assert "脱敏" in entry.summary and entry.org_id == roll[0].org_id


def test_export_sheet_is_styled(sec_a, roll):
    wb = load_workbook(io.BytesIO(sec_a.get(reverse("members:export")).content))
    ws = wb.active
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{chr(ord('A') + len(excel.COLUMNS))}3"
    assert ws["A1"].font.b and ws.column_dimensions["B"].width == 22


def test_unmasked_export_for_permitted_roles(sec_a, users, roll):
    rows = read_export(sec_a.get(reverse("members:export") + "?unmasked=1"))
    assert {r[1] for r in rows[1:]} == {roll[0].id_number, roll[1].id_number}
    entry = AuditLog.objects.get(action=AuditAction.EXPORT)
    assert entry.after["unmasked"] is True and "未脱敏" in entry.summary


def test_unmasked_export_is_refused_to_roles_without_the_right(users, client_for, roll):
    client = client_for(users.committee_a)  # keeps the roster, sees masked numbers only
    assert client.get(reverse("members:export") + "?unmasked=1").status_code == 403
    assert not AuditLog.objects.filter(action=AuditAction.EXPORT).exists()
    rows = read_export(client.get(reverse("members:export")))
    assert len(rows) == 3 and "*" in rows[1][1]


def test_export_takes_the_roster_filters(users, client_for, tree, roll):
    client = client_for(users.org_admin)
    rows = read_export(client.get(reverse("members:export") + f"?org={tree.root.pk}&category=probationary"))
    assert [r[0] for r in rows[1:]] == ["甲二"]
    rows = read_export(client.get(reverse("members:export") + f"?org={tree.b.pk}"))
    assert [r[0] for r in rows[1:]] == ["乙一"]


def test_export_by_member_role_and_out_of_scope(users, client_for, sec_a, tree, roll):
    assert client_for(users.member_a).get(reverse("members:export")).status_code == 403
    assert sec_a.get(reverse("members:export") + f"?org={tree.b.pk}").status_code == 404
    assert not AuditLog.objects.filter(action=AuditAction.EXPORT).exists()


def test_export_roster_function_refuses_unmasked_across_orgs(users, roll):
    from django.core.exceptions import PermissionDenied

    from tests.factories import grant
    from zhibu.accounts.models import Role

    grant(users.committee_a, roll[2].org, Role.SECRETARY)  # sensitive in B, not in A
    with pytest.raises(PermissionDenied):
        excel.export_roster(users.committee_a, Member.objects.all(), unmasked=True)
    data = excel.export_roster(users.committee_a, Member.objects.filter(org=roll[2].org), unmasked=True)
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[1][1] == roll[2].id_number
