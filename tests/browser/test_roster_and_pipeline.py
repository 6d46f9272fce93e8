"""A branch secretary imports a small roster from Excel and walks one applicant through the 发展党员
pipeline (steps ① to ⑰) in a real browser, ending with a 预备党员 on the roster."""

import datetime as dt
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_id_number
from zhibu.development.models import Case
from zhibu.development.walk import schedule
from zhibu.members.models import Category, Member, MemberStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
ROSTER = [  # name, birth date, female, joined, converted, group
    ("王建国", dt.date(1978, 3, 12), False, dt.date(2001, 7, 1), dt.date(2002, 7, 1), "R-G-A-1"),
    ("李秀英", dt.date(1982, 9, 5), True, dt.date(2006, 6, 20), dt.date(2007, 6, 20), "R-G-A-1"),
    ("张志强", dt.date(1986, 11, 30), False, dt.date(2010, 5, 4), dt.date(2011, 5, 4), "R-G-A-2"),
    ("刘晓燕", dt.date(1990, 1, 18), True, dt.date(2013, 12, 1), dt.date(2014, 12, 1), "R-G-A-2"),
    ("陈立新", dt.date(1975, 4, 2), False, dt.date(1998, 7, 1), dt.date(1999, 7, 1), ""),
]
APPLICANT = "赵晓梅"
BIRTH = dt.date(2000, 1, 15)
APPLIED = dt.date(2023, 1, 10)


def login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def fill_roster(template, target, branch_code, *, break_row=None):
    """The downloaded template with the ROSTER rows written over the example row (row 2 on).
    `break_row` (0-based) gets an ID number with a wrong check digit."""
    wb = load_workbook(template)
    ws = wb["党员花名册"]
    col = {cell.value.rstrip("*"): cell.column for cell in ws[1] if cell.value}
    for i, (name, birth, female, joined, converted, group) in enumerate(ROSTER):
        row = i + 2
        id_number = make_id_number(birth, male=not female)
        if i == break_row:
            id_number = id_number[:17] + ("0" if id_number[17] != "0" else "1")
        values = {
            "姓名": name,
            "身份证号": id_number,
            "入党日期": joined,
            "转正日期": converted,
            "党员类别": "正式党员",
            "所在支部(组织代码)": branch_code,
            "党小组(组织代码)": group,
            "学历": "大学本科",
            "手机号": f"1390000{i:04d}",
        }
        for column in range(1, ws.max_column + 1):  # clear the example row's other cells
            ws.cell(row=row, column=column).value = None
        for title, value in values.items():
            ws.cell(row=row, column=col[title]).value = value or None
    wb.save(target)
    return target


def upload(page, base, path):
    page.goto(f"{base}/members/import/")
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_url(f"{base}/members/import/preview/")


def stat(page, label):
    """The number on a preview stat card (数据行, 检查通过, 有错误的行, 错误)."""
    title = page.locator(".zb-stat-label", has_text=re.compile(f"^{label}$"))
    card = page.locator(".zb-stat").filter(has=title)
    return int(card.locator(".zb-stat-num").inner_text())


def fill_date(page, selector, day):
    page.fill(selector, day.isoformat())


def record_next_step(page, case_url, number, done_on, **extra):
    """From the case page, follow 记录下一步 (it must be step `number`), fill the date (and the step's
    own fields) and submit; the rules must accept it without warnings."""
    page.goto(case_url)
    page.locator("a", has_text="记录下一步").click()
    expect(page.locator("h1")).to_contain_text(f"第{number}步")
    fill_date(page, "#id_done_on", done_on)
    if "notice_start" in extra:
        fill_date(page, "#id_notice_start", extra["notice_start"])
    if "training_days" in extra:
        page.fill("#id_training_days", str(extra["training_days"]))
        page.fill("#id_training_hours", str(extra["training_hours"]))
    page.get_by_role("button", name="记录", exact=True).click()
    page.wait_for_url(case_url)
    expect(page.locator(".alert-success")).to_contain_text(f"已记录：第{number}步")


def record_admission_vote(page, case_url, held_on, expected):
    """⑮ through 记录下一步 (which opens the vote form): every member present and in favour."""
    page.goto(case_url)
    page.locator("a", has_text="记录下一步").click()
    expect(page.locator("h1")).to_have_text("支部党员大会表决")
    expect(page.locator("#id_kind")).to_have_value("admission")
    expect(page.locator("#id_expected")).to_have_value(str(expected))  # counted from the roster
    fill_date(page, "#id_held_on", held_on)
    page.fill("#id_present", str(expected))
    result = page.locator("#vote-result .zb-vote-result")  # the htmx preview, nothing saved yet
    page.fill("#id_in_favour", str(expected // 2))
    expect(result).to_have_attribute("data-state", "failed")
    page.fill("#id_in_favour", str(expected))
    expect(result).to_have_attribute("data-state", "passed")
    page.get_by_role("button", name="保存表决结果").click()
    page.wait_for_url(case_url)
    expect(page.locator(".alert-success")).to_contain_text("表决通过")


def add_person(page, case_url, role_label, name, on):
    page.goto(case_url)
    page.select_option("#id_role", label=role_label)
    page.select_option("#id_member", label=name)
    fill_date(page, "#id_assigned_on", on)
    page.locator("#people").get_by_role("button", name="添加").click()
    page.wait_for_url(f"{case_url}#people")
    expect(page.locator(".alert-success")).to_contain_text(f"已确定{role_label}：{name}")


def add_assessment(page, case_url, on):
    page.goto(case_url)
    fill_date(page, "#id_assessed_on", on)
    page.fill("#id_result", "表现良好，积极参加支部活动")
    page.get_by_role("button", name="记录考察").click()
    page.wait_for_url(f"{case_url}#assessments")
    expect(page.locator(".alert-success")).to_contain_text("已记录考察意见")


def test_import_roster_then_develop_a_probationary_member(
    live_server, browser, tree, users, artifacts, tmp_path
):
    base = live_server.url
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, base, users.sec_a.username)

    # --- Import: the template from the import page, filled with openpyxl ---------------------------
    page.goto(f"{base}/members/import/")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载导入模板").click()
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)

    # A file with one bad ID check digit: every error listed, nothing can be imported.
    bad = fill_roster(template, tmp_path / "bad.xlsx", tree.a.code, break_row=2)
    upload(page, base, bad)
    assert stat(page, "数据行") == 5
    assert stat(page, "检查通过") == 4
    assert stat(page, "有错误的行") == 1
    expect(page.locator(".alert-danger")).to_contain_text("本次不能导入")
    errors = page.locator("table").filter(has_text="错误说明")
    expect(errors).to_contain_text("第4行")
    expect(errors).to_contain_text("身份证号校验位错误，请核对")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    assert Member.objects.count() == 0

    good = fill_roster(template, tmp_path / "good.xlsx", tree.a.code)
    upload(page, base, good)
    assert stat(page, "数据行") == 5
    assert stat(page, "检查通过") == 5
    assert stat(page, "错误") == 0
    expect(page.locator(".alert-danger")).to_have_count(0)
    page.get_by_role("button", name="确认导入5名党员").click()
    page.wait_for_url(f"{base}/members/**")
    expect(page.locator(".alert-success")).to_contain_text("已成功导入5名党员")
    table = page.locator("table.zb-table")
    for name, *_ in ROSTER:
        expect(table.get_by_role("link", name=name, exact=True)).to_be_visible()
    assert Member.objects.filter(org=tree.a, category=Category.FULL).count() == 5
    page.screenshot(path=artifacts / "roster-after-import-desktop.png", full_page=True)

    # --- Development: open a case on the board ---------------------------------------------------
    s = schedule(applied_on=APPLIED)
    id_number = make_id_number(BIRTH, male=False)
    page.goto(f"{base}/development/")
    page.get_by_role("link", name="新建发展档案").first.click()
    page.wait_for_url(f"{base}/development/new/**")
    expect(page.locator("#id_org")).to_have_value(str(tree.a.pk))  # the only branch sec_a manages
    page.fill("#id_name", APPLICANT)
    page.fill("#id_id_number", id_number)
    fill_date(page, "#id_birth_date", BIRTH)
    page.select_option("#id_gender", label="女")
    fill_date(page, "#id_applied_on", s[1])
    page.get_by_role("button", name="建立档案").click()
    page.wait_for_url(re.compile(r"/development/\d+/$"))
    expect(page.locator(".alert-success")).to_contain_text(f"已建立“{APPLICANT}”的发展档案")
    case = Case.objects.get(name=APPLICANT)
    case_url = f"{base}/development/{case.pk}/"
    assert case.birth_date == BIRTH and case.applied_on == APPLIED

    day = dt.timedelta(days=1)
    mentors, sponsors = ROSTER[0][0], (ROSTER[1][0], ROSTER[2][0])
    record_next_step(page, case_url, 2, s[2])
    record_next_step(page, case_url, 3, s[3])
    record_next_step(page, case_url, 4, s[4])
    add_person(page, case_url, "培养联系人", mentors, s[3] + 10 * day)
    record_next_step(page, case_url, 5, s[5])
    record_next_step(page, case_url, 6, s[6])
    for offset in (150, 300):  # half-yearly assessments while an activist
        add_assessment(page, case_url, s[3] + offset * day)
    record_next_step(page, case_url, 7, s[7], notice_start=s[7] - 11 * day)
    record_next_step(page, case_url, 8, s[8])
    for name in sponsors:
        add_person(page, case_url, "入党介绍人", name, s[7] + 5 * day)
    record_next_step(page, case_url, 9, s[9])
    record_next_step(page, case_url, 10, s[10])
    record_next_step(page, case_url, 11, s[11], training_days=3, training_hours=24)
    record_next_step(page, case_url, 12, s[12])
    record_next_step(page, case_url, 13, s[13])
    record_next_step(page, case_url, 14, s[14], notice_start=s[15] - 14 * day)
    record_admission_vote(page, case_url, s[15], expected=len(ROSTER))
    record_next_step(page, case_url, 16, s[16])
    record_next_step(page, case_url, 17, s[17])

    # No step was recorded with a rule warning.
    case.refresh_from_db()
    assert case.last_step == 17 and case.admitted_on == s[15] and case.approved_on == s[17]
    records = case.records.select_related("step").order_by("step__number")
    assert [(r.step.number, r.warnings) for r in records] == [(n, []) for n in range(1, 18)]
    expect(page.locator("#info")).to_contain_text("预备党员")
    page.screenshot(path=artifacts / "case-after-approval-desktop.png", full_page=True)

    # The person is now on the roster as a 预备党员, member since the admission vote.
    member = Member.objects.get(id_number=id_number)
    assert case.member_id == member.pk
    assert member.org_id == tree.a.pk
    assert member.category == Category.PROBATIONARY and member.status == MemberStatus.NORMAL
    assert member.joined_on == s[15] and member.dues_start_on == s[15]
    assert member.converted_on is None
    page.goto(f"{base}/members/")
    row = page.locator("table.zb-table tbody tr").filter(has_text=APPLICANT)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("预备党员")
    expect(row).to_contain_text(s[15].isoformat())

    # The case page on a phone.
    phone = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, storage_state=context.storage_state()
    )
    phone_page = phone.new_page()
    phone_page.goto(case_url)
    expect(phone_page.locator("h1")).to_have_text(APPLICANT)
    phone_page.screenshot(path=artifacts / "case-after-approval-phone.png", full_page=True)
    phone.close()
    context.close()
