"""Points test helpers: local (Asia/Shanghai) datetimes, members, and awards through the real service.

at(2026, 3, 31, 23, 59)        -> aware datetime, local time
days_ago(3)                    -> 10:00 local, 3 local days before today
give(member, "learning.item", when=..., source=...) -> services.Awarded (source made up if omitted)
switch_on(org, "points.publish_enabled") -> the org's switch set from 2020-01-01 (system actor)
"""

import datetime as dt
import itertools
import uuid

from django.utils import timezone

from zhibu.core import config
from zhibu.points import rules, services

_sources = itertools.count(1)


def at(year, month, day, hour=12, minute=0, second=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=rules.TZ)


def days_ago(n: int, hour: int = 10) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=n)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=rules.TZ)


def key() -> str:
    """A fresh request key, as a rendered form carries."""
    return uuid.uuid4().hex


def give(member, code: str = "learning.item", *, when=None, source=None, source_type="test.fact", **kw):
    return services.award(
        member,
        code,
        source_type=source_type,
        source_id=source if source is not None else next(_sources),
        occurred_at=when or days_ago(1),
        **kw,
    )


def switch_on(org, key_name: str, value: str = "开启"):
    return config.set_value(None, org, key_name, value, dt.date(2020, 1, 1))
