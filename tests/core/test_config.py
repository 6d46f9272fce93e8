"""Configurable rule numbers: defaults, inheritance down the tree, versions by date, the settings page."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from zhibu.core import config
from zhibu.core.models import AuditLog, OrgSetting

KEY = "members.letter_validity_months"


def test_default_when_nothing_set(tree):
    assert config.get(tree.a, KEY) == 3
    assert config.get(None, KEY) == 3


def test_unknown_key_is_a_programming_error(tree):
    with pytest.raises(KeyError):
        config.get(tree.a, "no.such.key")


def test_inherited_down_the_tree_and_deepest_wins(tree):
    OrgSetting.objects.create(org=None, key=KEY, value=2, valid_from=dt.date(2020, 1, 1))
    assert config.get(tree.a, KEY) == 2
    OrgSetting.objects.create(org=tree.root, key=KEY, value=4, valid_from=dt.date(2020, 1, 1))
    assert config.get(tree.a, KEY) == 4
    OrgSetting.objects.create(org=tree.a, key=KEY, value=6, valid_from=dt.date(2020, 1, 1))
    assert config.get(tree.a, KEY) == 6
    assert config.get(tree.b, KEY) == 4  # a sibling keeps the committee's value
    assert config.get(tree.a1, KEY) == 6  # a group under A inherits A's


def test_versions_apply_from_their_date(tree):
    OrgSetting.objects.create(org=tree.a, key=KEY, value=4, valid_from=dt.date(2025, 1, 1))
    OrgSetting.objects.create(org=tree.a, key=KEY, value=5, valid_from=dt.date(2026, 1, 1))
    assert config.get(tree.a, KEY, on=dt.date(2024, 12, 31)) == 3
    assert config.get(tree.a, KEY, on=dt.date(2025, 12, 31)) == 4
    assert config.get(tree.a, KEY, on=dt.date(2026, 1, 1)) == 5


def test_set_value_parses_audits_and_keeps_history(tree, users):
    config.set_value(users.org_admin, tree.a, KEY, "6", dt.date(2026, 1, 1), "本单位规定")
    config.set_value(users.org_admin, tree.a, KEY, "4", dt.date(2026, 6, 1))
    assert OrgSetting.objects.filter(org=tree.a, key=KEY).count() == 2
    assert config.get(tree.a, KEY, on=dt.date(2026, 3, 1)) == 6
    assert AuditLog.objects.filter(object_type="core.orgsetting").count() == 2
    config.set_value(
        users.org_admin,
        tree.a,
        "development.holidays",
        "2026-10-01，2026-10-02\n2026-10-01",
        dt.date(2026, 1, 1),
    )
    assert config.get(tree.a, "development.holidays") == ["2026-10-01", "2026-10-02"]


@pytest.mark.parametrize(
    "key,raw,message",
    [
        (KEY, "三", "请填写整数"),
        (KEY, "0", "数值应在1到120之间"),
        ("development.holidays", "2026-02-30", "不是有效日期"),
    ],
)
def test_bad_values_are_refused_with_chinese_message(tree, users, key, raw, message):
    with pytest.raises(ValidationError) as exc:
        config.set_value(users.org_admin, tree.a, key, raw, dt.date(2026, 1, 1))
    assert message in str(exc.value)
    assert not OrgSetting.objects.exists()


def test_only_org_managers_in_scope_may_set(tree, users):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(PermissionDenied):
        config.set_value(users.sec_a, tree.a, KEY, "4", dt.date(2026, 1, 1))
    with pytest.raises(Http404):
        config.set_value(users.sec_b, tree.a, KEY, "4", dt.date(2026, 1, 1))


def test_settings_page(tree, users, client_for):
    page = client_for(users.sec_a).get(f"/orgs/{tree.a.pk}/settings/")
    assert page.status_code == 200
    assert "介绍信有效期" in page.content.decode()
    # A secretary sets the points switches (points.rules) but not the regulation numbers (org.manage).
    sec = client_for(users.sec_a)
    refused = sec.post(f"/orgs/{tree.a.pk}/settings/", {"key": KEY, "value": "5", "valid_from": "2026-01-01"})
    assert refused.status_code == 200 and "有效的选项" in refused.content.decode()
    assert config.get(tree.a, KEY, on=dt.date(2026, 2, 1)) == 3
    assert client_for(users.member_a).post(f"/orgs/{tree.a.pk}/settings/", {}).status_code == 403
    assert client_for(users.sec_b).get(f"/orgs/{tree.a.pk}/settings/").status_code == 404
    admin = client_for(users.org_admin)
    bad = admin.post(f"/orgs/{tree.a.pk}/settings/", {"key": KEY, "value": "x", "valid_from": "2026-01-01"})
    assert bad.status_code == 200 and "请填写整数" in bad.content.decode()
    ok = admin.post(f"/orgs/{tree.a.pk}/settings/", {"key": KEY, "value": "5", "valid_from": "2026-01-01"})
    assert ok.status_code == 302
    assert config.get(tree.a, KEY, on=dt.date(2026, 2, 1)) == 5


def test_settings_api(tree, users, client_for):
    admin = client_for(users.org_admin)
    got = admin.get(f"/api/v1/orgs/{tree.a.pk}/settings")
    assert got.status_code == 200
    assert {"key": KEY, "value": 3, "origin": "默认"}.items() <= next(
        r for r in got.json() if r["key"] == KEY
    ).items()
    bad = admin.post(
        f"/api/v1/orgs/{tree.a.pk}/settings",
        {"key": KEY, "value": "abc", "valid_from": "2026-01-01"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["errors"]["value"] == ["请填写整数"]
    ok = admin.post(
        f"/api/v1/orgs/{tree.a.pk}/settings",
        {"key": KEY, "value": "4", "valid_from": "2020-01-01"},
        content_type="application/json",
    )
    assert ok.status_code == 201
    assert next(r for r in ok.json() if r["key"] == KEY)["value"] == 4
    assert client_for(users.sec_b).get(f"/api/v1/orgs/{tree.a.pk}/settings").status_code == 404
