"""API: /api/v1/roster/import/validate, /roster/import and /roster/export.xlsx."""

import io

import pytest
from openpyxl import load_workbook

from tests.factories import MemberFactory
from tests.members.test_excel import good_row, upload, xlsx
from zhibu.core.models import AuditAction, AuditLog
from zhibu.members import excel
from zhibu.members.models import EventKind, Member, MemberEvent

pytestmark = pytest.mark.django_db

VALIDATE, IMPORT, EXPORT = (
    "/api/v1/roster/import/validate",
    "/api/v1/roster/import",
    "/api/v1/roster/export.xlsx",
)


@pytest.fixture
def sec_a(users, client_for):
    return client_for(users.sec_a)


def send(client, url, rows=None, data: bytes | None = None, name="花名册.xlsx", **fields):
    return client.post(url, {"file": upload(data if data is not None else xlsx(rows), name), **fields})


def test_validate_lists_every_row_error_and_writes_nothing(sec_a, tree):
    response = send(sec_a, VALIDATE, [good_row(), good_row(org_code="R-G-B", mobile="123"), good_row()])
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False and body["total"] == 3 and body["valid"] == 2 and body["error_rows"] == 1
    assert body["errors"] == [
        {"row": 3, "column": "所在支部(组织代码)*", "message": excel.UNKNOWN_BRANCH},
        {"row": 3, "column": "手机号", "message": "“123”不是有效的11位手机号码"},
    ]
    assert Member.objects.count() == 0


def test_validate_a_clean_file(sec_a, tree):
    body = send(sec_a, VALIDATE, [good_row()], org=str(tree.a.pk)).json()
    assert body == {
        "filename": "花名册.xlsx",
        "ok": True,
        "total": 1,
        "valid": 1,
        "error_rows": 0,
        "errors": [],
    }


def test_corrupt_file_is_400_in_chinese(sec_a):
    response = send(sec_a, VALIDATE, data=b"PK\x03\x04garbage")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("文件无法读取") and "file" in body["errors"]
    response = send(sec_a, IMPORT, data=b"a,b", name="x.csv")
    assert response.status_code == 400 and "请上传 .xlsx 格式" in response.json()["detail"]


def test_import_is_all_or_nothing(sec_a, users, tree):
    response = send(sec_a, IMPORT, [good_row(), good_row(joined_on="2023-02-30", converted_on=None)])
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "导入文件中有1处错误，已全部取消导入，请修改后重新上传"
    assert body["errors"] == [
        {"row": 3, "column": "入党日期*", "message": "“2023-02-30”不是有效日期（该日不存在）"}
    ]
    assert Member.objects.count() == 0

    rows = [good_row(), good_row(group_code="R-G-A-2")]
    response = send(sec_a, IMPORT, rows)
    assert response.status_code == 201
    body = response.json()
    assert body["created"] == 2
    assert set(Member.objects.values_list("pk", flat=True)) == set(body["member_ids"])
    assert MemberEvent.objects.filter(kind=EventKind.IMPORTED).count() == 2
    entry = AuditLog.objects.get(object_type="members.member")
    assert entry.after["count"] == 2 and entry.actor == users.sec_a

    again = send(sec_a, IMPORT, data=xlsx(rows))  # the same file twice: harmless
    assert again.status_code == 400
    assert {e["message"] for e in again.json()["errors"]} == {"该身份证号已登记在系统中，不能重复导入"}
    assert Member.objects.count() == 2 and AuditLog.objects.filter(object_type="members.member").count() == 1


def test_org_out_of_scope_is_404(sec_a, tree):
    for url in (VALIDATE, IMPORT):
        response = send(sec_a, url, [good_row(org_code="R-G-B")], org=str(tree.b.pk))
        assert response.status_code == 404
        assert response.json() == {"detail": "未找到，或您无权访问"}
    assert Member.objects.count() == 0


def test_import_into_another_branch_is_a_row_error(sec_a):
    response = send(sec_a, IMPORT, [good_row(org_code="R-G-B")])
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == excel.UNKNOWN_BRANCH
    assert Member.objects.count() == 0


def test_member_role_cannot_import_or_export(users, client_for, tree):
    client = client_for(users.member_a)
    assert send(client, VALIDATE, [good_row()]).status_code == 403
    assert send(client, IMPORT, [good_row()]).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert Member.objects.count() == 0


def test_unauthenticated_is_401(client):
    assert client.get(EXPORT).status_code == 401


def test_export_masked_and_unmasked(sec_a, users, client_for, tree):
    member = MemberFactory(org=tree.a, name="甲一")
    MemberFactory(org=tree.b, name="乙一")
    response = sec_a.get(EXPORT)
    assert response.status_code == 200 and response["Content-Type"] == excel.XLSX_TYPE
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["甲一"] and rows[1][1] != member.id_number and "*" in rows[1][1]
    rows = list(
        load_workbook(io.BytesIO(sec_a.get(EXPORT + "?unmasked=1").content)).active.iter_rows(
            values_only=True
        )
    )
    assert rows[1][1] == member.id_number
    assert [
        e.after["unmasked"] for e in AuditLog.objects.filter(action=AuditAction.EXPORT).order_by("id")
    ] == [
        False,
        True,
    ]
    committee = client_for(users.committee_a)
    assert committee.get(EXPORT + "?unmasked=1").status_code == 403
    assert sec_a.get(EXPORT + f"?org={tree.b.pk}").status_code == 404


def test_endpoints_are_in_the_schema(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {VALIDATE, IMPORT, EXPORT} <= {p for p in paths}
