"""Configurable rule numbers: defaults from domain-rules, overridable per org (inherited down the tree)
and versioned by the date they apply from. Every number a regulation sets and a locality may change
is read through `get`, never hard-coded in a service."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from zhibu.core.errors import fail


@dataclass(frozen=True)
class Key:
    default: object
    label: str
    source: str
    high: int = 120  # whole numbers: the largest value accepted (the smallest is 1)
    kind: str = ""  # "date": one YYYY-MM-DD date, stored as text ("" = not set)


def _ratio(raw: str) -> str:
    """A share such as "1/3" or "30%", or "0" for no quota; kept as text, e.g. "1/3"."""
    from fractions import Fraction

    text = raw.strip().replace("％", "%")
    if text in ("0", "不限", "关闭", "off"):
        return "0"
    try:
        value = Fraction(text[:-1]) / 100 if text.endswith("%") else Fraction(text)
    except (ValueError, ZeroDivisionError):
        fail("请填写比例，如 1/3 或 30%；不设比例填 0", "value")
    if not 0 < value <= 1:
        fail("比例应大于0且不超过1", "value")
    return str(value)


SRC_EDU = "《中国共产党党员教育管理工作条例》（2019）"
SRC_DEV = "《中国共产党发展党员工作细则》（2014）"
SRC_REVIEW = "民主评议党员：优秀一般不超过三分之一（domain-rules §1），可按本地规定调整或不设比例"
SRC_POINTS = "本组织积分管理办法；排名默认关闭（2023年关于不得强制排名、打卡的要求，domain-rules §8）"

KEYS: dict[str, Key] = {
    "members.letter_validity_months": Key(3, "组织关系介绍信有效期（月）", SRC_EDU),
    "members.lost_suspend_months": Key(6, "失联多久后提出停止党籍（月）", SRC_EDU),
    "members.lost_leave_years": Key(2, "停止党籍后仍失联多久按自行脱党处理（年）", SRC_EDU),
    "members.mobile_report_months": Key(12, "流动党员向原支部汇报间隔（月）", SRC_EDU),
    "development.notice_working_days": Key(5, "公示期（工作日）", SRC_DEV + "及本地规定"),
    "development.holidays": Key([], "法定节假日（公示期不计）", "国务院办公厅节假日安排，按年配置"),
    "development.extra_workdays": Key([], "调休上班日（计入工作日）", "国务院办公厅节假日安排，按年配置"),
    "development.thought_report_months": Key(3, "思想汇报间隔（月）", "本单位规定，常见为每季度一次"),
    "orglife.checkin_before_minutes": Key(30, "会前多少分钟开放扫码签到", "本单位规定", high=1440),
    "orglife.checkin_after_minutes": Key(60, "会后多少分钟内仍可签到", "本单位规定", high=1440),
    "orglife.late_grace_minutes": Key(10, "开会后多少分钟内签到不计迟到", "本单位规定"),
    "orglife.records_from": Key(
        "", "组织生活台账起始日期（此前的周期不计未完成）", "本组织启用本系统记录组织生活的日期", kind="date"
    ),
    "orglife.excellent_ratio": Key("1/3", "民主评议优秀比例上限（如1/3、30%，0为不设比例）", SRC_REVIEW),
    "points.ranking_enabled": Key(False, "启用积分排名", SRC_POINTS),
    "points.publish_enabled": Key(False, "允许发布积分通报", SRC_POINTS),
    "points.claim_window_days": Key(90, "积分申报、补记时限（天）", "本组织积分管理办法"),
}


def perm_for(key: str):
    """The permission that sets `key`: points switches belong to whoever keeps the points catalogue, the
    check-in times to whoever runs the meetings; the rest (regulation numbers, quotas) to org managers."""
    from zhibu.core.access import Perm

    if key.startswith("points."):
        return Perm.POINTS_RULES
    if key.startswith("orglife.") and key not in ("orglife.excellent_ratio", "orglife.records_from"):
        return Perm.ORGLIFE_MANAGE
    return Perm.ORG_MANAGE


def editable_keys(user, org) -> list[str]:
    """The keys `user` may set on `org`."""
    from zhibu.core import access

    return [key for key in KEYS if access.has_perm(user, perm_for(key), org)]


def get(org, key: str, on: dt.date | None = None):
    """The value of `key` for `org` on day `on`: deepest org on its path wins, then the latest version."""
    from zhibu.core.models import OrgSetting

    if key not in KEYS:
        raise KeyError(key)
    on = on or timezone.localdate()
    paths = []
    if org is not None:
        steplen = type(org).steplen
        paths = [org.path[:i] for i in range(steplen, len(org.path) + 1, steplen)]
    rows = list(
        OrgSetting.objects.filter(key=key, valid_from__lte=on)
        .filter(org__isnull=True)
        .values_list("value", "valid_from")
        .order_by("-valid_from")[:1]
    )
    best = (-1, rows[0][1], rows[0][0]) if rows else None
    if paths:
        for value, valid_from, path in OrgSetting.objects.filter(
            key=key, valid_from__lte=on, org__path__in=paths
        ).values_list("value", "valid_from", "org__path"):
            rank = (len(path), valid_from, value)
            if best is None or rank[:2] > best[:2]:
                best = rank
    return best[2] if best is not None else KEYS[key].default


def resolver(root, key: str, on: dt.date | None = None):
    """`path -> value` of `key` for many orgs at or under `root`, from one query (same rule as `get`:
    the deepest org on the path wins, then its latest version on `on`)."""
    from zhibu.core.models import OrgSetting

    on = on or timezone.localdate()
    steplen = type(root).steplen
    ancestors = [root.path[:i] for i in range(steplen, len(root.path), steplen)]
    rows = (
        OrgSetting.objects.filter(key=key, valid_from__lte=on)
        .filter(Q(org__isnull=True) | Q(org__path__in=ancestors) | Q(org__path__startswith=root.path))
        .values_list("org__path", "valid_from", "value")
    )
    latest: dict[str, tuple] = {}
    for path, valid_from, value in rows:
        path = path or ""
        if path not in latest or valid_from > latest[path][0]:
            latest[path] = (valid_from, value)
    default = KEYS[key].default

    def value(path: str):
        best = max((p for p in latest if path.startswith(p)), key=len, default=None)
        return latest[best][1] if best is not None else default

    return value


@dataclass(frozen=True)
class Effective:
    key: str
    label: str
    source: str
    value: object
    default: object
    origin: str  # "默认" | the org name the value was set on
    valid_from: dt.date | None

    @property
    def display(self) -> str:
        if isinstance(self.value, list):
            return "、".join(self.value) or "（未设置）"
        if isinstance(self.value, bool):
            return "开启" if self.value else "关闭"
        if self.value == "":
            return "（未设置）"
        return str(self.value)


def effective(org, on: dt.date | None = None) -> list[Effective]:
    """Every key's value for `org` on `on`, with where it comes from (for the settings page)."""
    from zhibu.core.models import OrgSetting

    on = on or timezone.localdate()
    steplen = type(org).steplen
    paths = [org.path[:i] for i in range(steplen, len(org.path) + 1, steplen)]
    rows = (
        OrgSetting.objects.filter(valid_from__lte=on)
        .filter(Q(org__isnull=True) | Q(org__path__in=paths))
        .select_related("org")
    )
    best: dict[str, tuple] = {}
    for row in rows:
        rank = (len(row.org.path) if row.org else -1, row.valid_from)
        if row.key not in best or rank > best[row.key][0]:
            best[row.key] = (rank, row)
    result = []
    for key, spec in KEYS.items():
        row = best.get(key, (None, None))[1]
        result.append(
            Effective(
                key=key,
                label=spec.label,
                source=spec.source,
                value=row.value if row else spec.default,
                default=spec.default,
                origin=(row.org.name if row.org else "全系统") if row else "默认",
                valid_from=row.valid_from if row else None,
            )
        )
    return result


def parse_value(key: str, raw: str):
    """Turn form/API text into the key's type: a whole number, a switch, or a list of YYYY-MM-DD dates."""
    default = KEYS[key].default
    raw = (raw or "").strip()
    if KEYS[key].kind == "date":
        try:
            return dt.date.fromisoformat(raw).isoformat()
        except ValueError:
            fail("请按YYYY-MM-DD填写日期", "value")
    if isinstance(default, str):
        return _ratio(raw)
    if isinstance(default, bool):
        lowered = raw.lower()
        if lowered in ("1", "true", "yes", "on", "是", "开启", "启用", "开"):
            return True
        if lowered in ("0", "false", "no", "off", "否", "关闭", "停用", "关"):
            return False
        fail("请填写“开启”或“关闭”", "value")
    if isinstance(default, list):
        days = []
        for part in raw.replace("，", ",").replace("\n", ",").split(","):
            part = part.strip()
            if not part:
                continue
            try:
                days.append(dt.date.fromisoformat(part).isoformat())
            except ValueError:
                fail(f"“{part}”不是有效日期，请按YYYY-MM-DD填写，多个日期用逗号或换行分隔", "value")
        return sorted(set(days))
    try:
        number = int(raw)
    except ValueError:
        fail("请填写整数", "value")
    high = KEYS[key].high
    if not 0 < number <= high:
        fail(f"数值应在1到{high}之间", "value")
    return number


@transaction.atomic
def set_value(actor, org, key: str, raw: str, valid_from: dt.date, note: str = ""):
    """Set a rule number for `org` and below from `valid_from` (needs `perm_for(key)` there); audited.

    Earlier versions stay, so records made under them can still be explained.
    """
    from zhibu.core import access, audit
    from zhibu.core.models import AuditAction, OrgSetting

    if key not in KEYS:
        fail("未知的配置项", "key")
    access.require(actor, perm_for(key), org)
    value = parse_value(key, raw)
    if valid_from is None:
        fail("请填写生效日期", "valid_from")
    before = get(org, key, valid_from)
    setting, _ = OrgSetting.objects.update_or_create(
        org=org,
        key=key,
        valid_from=valid_from,
        defaults={"value": value, "note": note[:200], "created_by": actor if actor else None},
    )
    audit.record(
        actor,
        AuditAction.UPDATE,
        setting,
        org_id=org.pk,
        summary=f"规则配置 {KEYS[key].label}：{before} → {value}（{valid_from}起）",
        before={"value": before},
        after={"value": value, "valid_from": valid_from.isoformat()},
    )
    return setting
