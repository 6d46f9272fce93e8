"""学习作弊清分: clearing a category's points over a period by reversals (domain-rules §8)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from tests.factories import MemberFactory
from tests.points.factories import days_ago, give
from zhibu.points import selectors, services
from zhibu.points.models import Entry, EntryKind


@pytest.fixture
def m(tree):
    return MemberFactory(org=tree.a)


def _period():
    today = timezone.localdate()
    return today - dt.timedelta(days=10), today


def test_clear_reverses_each_learning_entry_in_the_period_and_nothing_else(m, users):
    learned = [give(m, "learning.item", when=days_ago(n)).entry for n in (1, 2, 3)]
    give(m, "learning.item", when=days_ago(40))  # outside the period
    give(m, "dues.on_time", when=days_ago(2))  # another category
    start, end = _period()
    reversals = services.clear_points(users.sec_a, m, start, end, "learning", "经查实测验作弊")
    assert sorted(r.reverses_id for r in reversals) == sorted(e.pk for e in learned)
    assert all(r.kind == EntryKind.REVERSAL and r.reason.startswith("清除积分") for r in reversals)
    assert selectors.balance(m, start, end) == Decimal("2")  # only the dues entry is left
    with pytest.raises(ValidationError, match="没有可清除的积分"):  # a second clear finds nothing
        services.clear_points(users.sec_a, m, start, end, "learning", "再次清除")


def test_clear_refuses_bad_input_and_writes_nothing(m, users):
    give(m, "learning.item", when=days_ago(1))
    start, end = _period()
    before = Entry.objects.count()
    for args, field in [
        ((start, end, "negative", "x"), "category"),
        ((start, end, "nonsense", "x"), "category"),
        ((end, start, "learning", "x"), "end"),
        ((start, end, "learning", "  "), "reason"),
    ]:
        with pytest.raises(ValidationError) as exc:
            services.clear_points(users.sec_a, m, *args)
        assert field in exc.value.message_dict
    assert Entry.objects.count() == before


def test_clear_is_scoped(m, users):
    give(m, "learning.item", when=days_ago(1))
    with pytest.raises(Http404):
        services.clear_points(users.sec_b, m, *_period(), "learning", "越权")


def test_clear_page_and_api(m, users, client_for):
    give(m, "learning.item", when=days_ago(1))
    give(m, "learning.item", when=days_ago(2))
    start, end = _period()
    page = client_for(users.sec_a).get(f"/points/members/{m.pk}/")
    assert "学习作弊清分" in page.content.decode()
    done = client_for(users.sec_a).post(
        f"/points/members/{m.pk}/clear/",
        {"category": "learning", "start": start.isoformat(), "end": end.isoformat(), "reason": "作弊"},
    )
    assert done.status_code == 302
    assert Entry.objects.filter(member=m, kind=EntryKind.REVERSAL).count() == 2
    refused = client_for(users.sec_a).post(f"/points/members/{m.pk}/clear/", {"category": "learning"})
    assert refused.status_code == 200 and "未清除" in refused.content.decode()
    assert client_for(users.sec_b).post(f"/points/members/{m.pk}/clear/", {}).status_code == 404

    give(m, "learning.item", when=days_ago(3))
    body = {"category": "learning", "start": start.isoformat(), "end": end.isoformat(), "reason": "作弊"}
    api = client_for(users.sec_a).post(
        f"/api/v1/points/members/{m.pk}/clear", body, content_type="application/json"
    )
    assert api.status_code == 201 and len(api.json()) == 1 and api.json()[0]["kind"] == "reversal"
    again = client_for(users.sec_a).post(
        f"/api/v1/points/members/{m.pk}/clear", body, content_type="application/json"
    )
    assert again.status_code == 400 and "没有可清除" in again.json()["detail"]
    outside = client_for(users.sec_b).post(
        f"/api/v1/points/members/{m.pk}/clear", body, content_type="application/json"
    )
    assert outside.status_code == 404
