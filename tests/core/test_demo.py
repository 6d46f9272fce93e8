"""The demo organization: built through the real services, with a year of points in one branch."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from zhibu.accounts.models import User
from zhibu.core.demo import build_demo
from zhibu.members.models import Member
from zhibu.orgs.models import Organization
from zhibu.points import rules, selectors
from zhibu.points.models import (
    Appeal,
    AppealStatus,
    Claim,
    ClaimStatus,
    Entry,
    EntryKind,
    Rule,
    Snapshot,
)


@pytest.fixture
def demo(db):
    return build_demo()


def test_demo_points_ledger_queues_appeals_and_published_ranking(demo):
    today = timezone.localdate()
    z1, z2 = Organization.objects.get(code="HK-Z1-01"), Organization.objects.get(code="HK-Z1-02")
    on_roll = list(Member.objects.filter(org=z1).on_roll())

    # A year of entries for every on-roll member of the pilot branch (lost members are not scored); the
    # second branch's learning and dues since this quarter. Meeting attendance scores wherever meetings are
    # recorded (core.demo.orglife).
    assert demo["point_entries"] == Entry.objects.count() > 1000
    scored = set(Entry.objects.filter(org=z1).values_list("member_id", flat=True))
    assert {m.pk for m in on_roll if m.status != "lost"} <= scored
    year_ago = rules.local_range(today - dt.timedelta(days=364), today)[0]
    assert Entry.objects.filter(org=z1).earliest("occurred_at").occurred_at >= year_ago
    assert Entry.objects.filter(org=z1, occurred_at__lt=year_ago + dt.timedelta(days=90)).exists()
    quarter_start = rules.local_range(*rules.period_bounds("quarter", today))[0]
    meetings = ("orglife.attendance", "orglife.absence", "points.reversal")
    assert Entry.objects.filter(org=z2).exclude(source_type__in=meetings).exists()
    assert (
        not Entry.objects.filter(org=z2, occurred_at__lt=quarter_start)
        .exclude(source_type__in=meetings)
        .exists()
    )
    assert not Entry.objects.filter(occurred_at__gt=timezone.now()).exists()
    assert not Entry.objects.exclude(org__in=[z1, z2]).exclude(source_type__in=meetings).exists()
    sources = set(Entry.objects.values_list("source_type", flat=True))
    assert {"orglife.attendance", "orglife.absence", "demo.learning", "demo.dues", "points.claim"} <= sources
    assert "points.reversal" in sources and "demo.meeting" not in sources
    assert Entry.objects.filter(source_label__regex=r"^\d{4}年\d{1,2}月\d{1,2}日支部党员大会$").exists()
    assert Entry.objects.filter(rule_code="orglife.absence", points__lt=0).exists()
    assert Entry.objects.exclude(capped_note="").exists()  # learning past the daily cap

    # Claims: approved self-reports and officers' reports, pending ones, one rejected, one deduction.
    secretary = User.objects.get(username="shuji")
    assert selectors.queue_counts(secretary) == {"claims": 3, "appeals": 1}
    approved = Claim.objects.filter(status=ClaimStatus.APPROVED)
    assert approved.filter(kind="self_report", rule__code="volunteer.hours", decided_by=secretary).exists()
    assert approved.filter(kind="manual", rule__code="negative.violation", entry__points__lt=0).exists()
    assert all(c.entry_id for c in approved)
    assert Claim.objects.filter(status=ClaimStatus.REJECTED).exclude(decision_note="").count() == 1

    # Appeals: one open, one resolved by a reversal that cancels the entry.
    assert Appeal.objects.filter(status=AppealStatus.OPEN).count() == 1
    reversed_appeal = Appeal.objects.get(status=AppealStatus.REVERSED)
    reversal = Entry.objects.get(kind=EntryKind.REVERSAL)
    assert reversal.reverses_id == reversed_appeal.entry_id
    assert reversal.points == -reversed_appeal.entry.points

    # The pilot branch's own volunteer rule since last quarter, and a change coming next month.
    last_quarter = rules.period_bounds("quarter", rules.period_bounds("quarter", today)[0] - dt.timedelta(1))
    assert selectors.resolve_rule(z1, "volunteer.hours", today).cap_month == 30
    assert selectors.resolve_rule(z1, "volunteer.hours", last_quarter[0] - dt.timedelta(1)).cap_month == 20
    assert selectors.resolve_rule(z2, "volunteer.hours", today).cap_month == 20
    assert Rule.objects.filter(org=z1, code="role.help", valid_from__gt=today).exists()

    # Rankings and publication on in the pilot branch only, with last quarter's 积分通报 published.
    assert selectors.ranking_enabled(z1) and selectors.publish_enabled(z1)
    assert not selectors.ranking_enabled(z2) and not selectors.publish_enabled(z2)
    snapshot = Snapshot.objects.get()
    assert (snapshot.org, snapshot.start, snapshot.end) == (z1, *last_quarter)
    assert rules.period_label("quarter", *last_quarter) in snapshot.title
    rows = list(snapshot.rows.order_by("rank", "id"))
    assert len(rows) == snapshot.member_count == len(on_roll)
    assert rows[0].rank == 1 and rows[0].total > 0
    best = rows[0].member
    begin, stop = rules.local_range(*last_quarter)
    total = Entry.objects.filter(member=best, occurred_at__gte=begin, occurred_at__lt=stop).aggregate(
        s=Sum("points")
    )["s"]
    assert total == rows[0].total
    assert rows[-1].total < rows[0].total
    assert all(isinstance(r.total, Decimal) for r in rows)
