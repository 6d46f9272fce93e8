"""core.config for the points keys: the switches (off by default) and the reporting window, who may
set them (points.rules for points.*, org.manage for the rest), and how the settings page shows them."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from zhibu.core import config
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError
from zhibu.core.models import AuditLog, OrgSetting

pytestmark = pytest.mark.django_db
SWITCHES = ("points.ranking_enabled", "points.publish_enabled")
POINTS_KEYS = [k for k in config.KEYS if k.startswith("points.")]
# Check-in times belong to whoever runs the meetings (orglife.manage); the rest to org managers.
MANAGERS_ONLY = ("orglife.excellent_ratio", "orglife.records_from")  # a branch can't loosen its own checks
ORGLIFE_KEYS = [k for k in config.KEYS if k.startswith("orglife.") and k not in MANAGERS_ONLY]
OTHER_KEYS = [k for k in config.KEYS if k not in POINTS_KEYS and k not in ORGLIFE_KEYS]
FROM = dt.date(2020, 1, 1)


def test_points_keys_and_defaults(tree):
    assert set(POINTS_KEYS) == {*SWITCHES, "points.claim_window_days"}
    for key in SWITCHES:
        assert config.KEYS[key].default is False
        assert config.get(tree.a, key) is False
        assert config.get(None, key) is False
    assert config.get(tree.a, "points.claim_window_days") == 90


@pytest.mark.parametrize(
    "raw", ["开启", "启用", "开", "是", "true", "TRUE", " True ", "1", "yes", "on", "ON"]
)
def test_switch_on_spellings(raw):
    for key in SWITCHES:
        assert config.parse_value(key, raw) is True


@pytest.mark.parametrize("raw", ["关闭", "停用", "关", "否", "false", "False", "0", "no", "off", " OFF "])
def test_switch_off_spellings(raw):
    for key in SWITCHES:
        assert config.parse_value(key, raw) is False


@pytest.mark.parametrize("raw", ["", "  ", "maybe", "2", "-1", "开启吧", "打开?", "truee", "null"])
def test_switch_garbage_is_refused(raw):
    with pytest.raises(ValidationError) as exc:
        config.parse_value("points.ranking_enabled", raw)
    assert exc.value.message_dict == {"value": ["请填写“开启”或“关闭”"]}


@pytest.mark.parametrize("raw,expected", [("1", 1), ("7", 7), ("120", 120), (" 30 ", 30)])
def test_claim_window_is_a_whole_number(raw, expected):
    assert config.parse_value("points.claim_window_days", raw) == expected


@pytest.mark.parametrize(
    "raw,message",
    [
        ("0", "数值应在1到120之间"),
        ("121", "数值应在1到120之间"),
        ("七", "请填写整数"),
        ("开启", "请填写整数"),
    ],
)
def test_claim_window_refuses(raw, message):
    with pytest.raises(ValidationError) as exc:
        config.parse_value("points.claim_window_days", raw)
    assert exc.value.message_dict == {"value": [message]}


def test_perm_for():
    for key in POINTS_KEYS:
        assert config.perm_for(key) == Perm.POINTS_RULES
    for key in ORGLIFE_KEYS:
        assert config.perm_for(key) == Perm.ORGLIFE_MANAGE
    for key in OTHER_KEYS:
        assert config.perm_for(key) == Perm.ORG_MANAGE


def test_editable_keys(tree, users):
    assert config.editable_keys(users.org_admin, tree.a) == list(config.KEYS)
    secretary_keys = [k for k in config.KEYS if k in POINTS_KEYS or k in ORGLIFE_KEYS]
    assert config.editable_keys(users.sec_a, tree.a) == secretary_keys
    assert config.editable_keys(users.sec_a, tree.a1) == secretary_keys  # below the branch too
    assert config.editable_keys(users.sec_a, tree.b) == []
    assert config.editable_keys(users.sec_a, tree.general) == []
    assert config.editable_keys(users.committee_a, tree.a) == ORGLIFE_KEYS  # 支委 run the meetings
    for user in (users.leader_a1, users.member_a, users.nobody, users.sec_b):
        assert config.editable_keys(user, tree.a) == []
    # the system admin runs the structure (org.manage), not the points catalogue
    assert config.editable_keys(users.sysadmin, tree.a) == OTHER_KEYS


def test_a_secretary_sets_points_switches_on_their_branch(tree, users):
    config.set_value(users.sec_a, tree.a, "points.ranking_enabled", "开启", FROM, "支委会决定")
    assert config.get(tree.a, "points.ranking_enabled") is True
    assert config.get(tree.a1, "points.ranking_enabled") is True
    assert config.get(tree.b, "points.ranking_enabled") is False
    config.set_value(users.sec_a, tree.a, "points.claim_window_days", "30", FROM)
    assert config.get(tree.a, "points.claim_window_days") == 30
    log = AuditLog.objects.filter(object_type="core.orgsetting").order_by("id").first()
    assert log.actor == users.sec_a and log.summary == "规则配置 启用积分排名：False → True（2020-01-01起）"


def test_a_secretary_may_not_set_org_manage_keys(tree, users):
    for key in OTHER_KEYS:
        with pytest.raises(PermissionDenied):
            config.set_value(users.sec_a, tree.a, key, "4", FROM)
    assert not OrgSetting.objects.exists()


def test_who_else_may_not_set_points_keys(tree, users):
    with pytest.raises(PermissionDenied):
        config.set_value(users.committee_a, tree.a, "points.ranking_enabled", "开启", FROM)
    with pytest.raises(PermissionDenied):
        config.set_value(users.sysadmin, tree.a, "points.ranking_enabled", "开启", FROM)
    with pytest.raises(Http404):
        config.set_value(users.sec_b, tree.a, "points.ranking_enabled", "开启", FROM)
    with pytest.raises(Http404):
        config.set_value(users.sec_a, tree.general, "points.publish_enabled", "开启", FROM)
    config.set_value(users.org_admin, tree.root, "points.publish_enabled", "开启", FROM)
    assert config.get(tree.b, "points.publish_enabled") is True
    # a branch may switch off what its committee switched on
    config.set_value(users.sec_b, tree.b, "points.publish_enabled", "关闭", FROM)
    assert config.get(tree.b, "points.publish_enabled") is False
    assert config.get(tree.a, "points.publish_enabled") is True


def test_a_bad_switch_value_changes_nothing(tree, users):
    with pytest.raises(ValidationError):
        config.set_value(users.sec_a, tree.a, "points.ranking_enabled", "也许", FROM)
    assert not OrgSetting.objects.exists()
    assert not AuditLog.objects.filter(object_type="core.orgsetting").exists()


def test_effective_display_of_switches(tree, users):
    rows = {r.key: r for r in config.effective(tree.a)}
    assert rows["points.ranking_enabled"].display == "关闭"
    assert rows["points.ranking_enabled"].origin == "默认"
    config.set_value(users.sec_a, tree.a, "points.ranking_enabled", "true", FROM)
    row = {r.key: r for r in config.effective(tree.a)}["points.ranking_enabled"]
    assert (row.display, row.origin, row.valid_from, row.value) == ("开启", "第一党支部", FROM, True)
    assert {r.key: r for r in config.effective(tree.a)}["points.claim_window_days"].display == "90"


def _row(html: str, label: str) -> str:
    start = html.index(label)
    return html[start : html.index("</tr>", start)]


def test_settings_page_shows_switches_and_lets_a_secretary_set_them(tree, users, client_for):
    url = f"/orgs/{tree.a.pk}/settings/"
    sec = client_for(users.sec_a)
    page = sec.get(url).content.decode()
    assert "关闭" in _row(page, "启用积分排名") and "关闭" in _row(page, "允许发布积分通报")
    assert "默认值" in _row(page, "启用积分排名")
    # the form offers the secretary the points keys only
    form = page[page.index('<form method="post" novalidate>') :]
    assert "启用积分排名" in form and "积分申报、补记时限" in form
    assert "介绍信有效期" not in form
    done = sec.post(url, {"key": "points.ranking_enabled", "value": "开启", "valid_from": "2020-01-01"})
    assert done.status_code == 302
    page = sec.get(url).content.decode()
    row = _row(page, "启用积分排名")
    assert "开启" in row and "第一党支部" in row and "2020-01-01起" in row
    assert "关闭" in _row(page, "允许发布积分通报")
    bad = sec.post(url, {"key": "points.publish_enabled", "value": "也许", "valid_from": "2020-01-01"})
    assert bad.status_code == 200 and "请填写“开启”或“关闭”" in bad.content.decode()
    refused = sec.post(url, {"key": "members.lost_suspend_months", "value": "5", "valid_from": "2020-01-01"})
    assert refused.status_code == 200 and config.get(tree.a, "members.lost_suspend_months") == 6
    # a plain member sees the values, without a form
    page = client_for(users.member_a).get(url).content.decode()
    assert "开启" in _row(page, "启用积分排名") and "设置新值" not in page
    assert client_for(users.member_a).post(url, {}).status_code == 403
