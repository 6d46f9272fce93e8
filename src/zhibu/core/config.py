"""Configurable rule numbers: defaults from domain-rules, overridable per org (inherited down the tree)
and versioned by the date they apply from. Every number a regulation sets and a locality may change
is read through `get`, never hard-coded in a service."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone


@dataclass(frozen=True)
class Key:
    default: object
    label: str
    source: str


KEYS: dict[str, Key] = {
    "members.letter_validity_months": Key(
        3, "组织关系介绍信有效期（月）", "教育管理条例 2019；domain-rules §6"
    ),
    "members.lost_suspend_months": Key(6, "失联多久后提出停止党籍（月）", "教育管理条例 2019 第三十条；§6"),
    "members.lost_leave_years": Key(2, "停止党籍后仍失联多久按自行脱党处理（年）", "教育管理条例 2019；§6"),
    "members.mobile_report_months": Key(12, "流动党员向原支部汇报间隔（月）", "教育管理条例 2019；§6"),
    "development.notice_working_days": Key(5, "公示期（工作日）", "细则 2014；domain-rules §4 [local]"),
    "development.holidays": Key([], "法定节假日（公示期不计）", "国务院办公厅节假日安排，按年配置"),
    "development.extra_workdays": Key([], "调休上班日（计入工作日）", "国务院办公厅节假日安排，按年配置"),
    "development.thought_report_months": Key(3, "思想汇报间隔（月）", "本地要求，常见为每季度一次"),
}


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
