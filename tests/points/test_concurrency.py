"""Races against PostgreSQL: the same source scored from 8 threads at once scores once, caps hold
when 8 different facts of one member arrive together, and one claim approved twice scores once.

Each thread has its own database connection (closed at the end); the rows the threads use are
committed first (transactional test). SQLite serializes writers, so these run on PostgreSQL only:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhibu .venv/bin/pytest tests/points/test_concurrency.py
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from tests.factories import MemberFactory
from tests.points.factories import at, days_ago, give, key
from zhibu.accounts.models import User
from zhibu.core.errors import ValidationError
from zhibu.points import catalogue, services
from zhibu.points.models import Claim, Entry, Rule

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serializes writers, so there is no race to test",
    ),
    pytest.mark.django_db(transaction=True),
]
THREADS = 8


@pytest.fixture(autouse=True)
def _catalogue():
    """The flush after a transactional test empties the catalogue: seed it here, committed, so each test
    races only on what it is about (the lazy re-seed has its own test below)."""
    catalogue.seed(Rule)


def together(work, n: int = THREADS) -> list[tuple[str, object]]:
    """Run work(i) in n threads released at the same moment; [("ok", result) | ("error", exc)]."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = ("ok", work(i))
        except Exception as exc:
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def oks(results) -> list:
    errors = [value for status, value in results if status == "error"]
    assert not errors, errors
    return [value for _, value in results]


def test_the_same_source_from_eight_threads_scores_once(tree):
    m = MemberFactory(org=tree.a)
    when = at(2026, 5, 12, 9)
    got = oks(
        together(
            lambda i: services.award(
                m,
                "orglife.branch_meeting",
                source_type="meeting.attendance",
                source_id="42",
                occurred_at=when,
            )
        )
    )
    assert Entry.objects.filter(member=m).count() == 1
    entry = Entry.objects.get(member=m)
    assert {a.entry.pk for a in got} == {entry.pk}
    assert sum(a.created for a in got) == 1
    assert entry.points == 2


def test_a_cap_holds_when_eight_facts_arrive_together(tree):
    m = MemberFactory(org=tree.a)
    when = at(2026, 5, 12, 9)
    # learning.minutes: 1 point per 5 minutes, 6 a day; each fact of 20 minutes wants 4
    got = oks(
        together(
            lambda i: services.award(
                m,
                "learning.minutes",
                source_type="learning.session",
                source_id=i,
                occurred_at=when,
                quantity=20,
            )
        )
    )
    assert all(a.created for a in got)
    points = sorted((e.points for e in Entry.objects.filter(member=m)), reverse=True)
    assert points == [4, 2, 0, 0, 0, 0, 0, 0]
    assert sum(points) == Decimal(6)
    notes = [e.capped_note for e in Entry.objects.filter(member=m).order_by("id")]
    assert notes[0] == "" and notes[1] == "已接近每日上限6分，本次计2分（应计4分）"
    assert notes[2:] == ["已达每日上限6分，本次不计分"] * 6


def test_caps_of_several_members_do_not_block_each_other(tree):
    people = [MemberFactory(org=tree.a) for _ in range(4)]
    when = at(2026, 5, 12, 9)
    oks(
        together(
            lambda i: services.award(
                people[i % 4], "learning.item", source_type="course", source_id=i, occurred_at=when
            )
        )
    )
    assert [Entry.objects.filter(member=p).count() for p in people] == [2, 2, 2, 2]


def test_a_claim_approved_twice_at_once_scores_once(tree, users):
    m = MemberFactory(org=tree.a)
    claim = services.award_manually(
        users.sec_a,
        m,
        "volunteer.hours",
        occurred_at=days_ago(1),
        reason="社区服务",
        request_key=key(),
        evidence="照片",
        quantity=2,
    )
    approvers = [users.committee_a.pk, users.org_admin.pk]
    results = together(
        lambda i: services.approve_claim(User.objects.get(pk=approvers[i]), Claim.objects.get(pk=claim.pk)), 2
    )
    ok = [value for status, value in results if status == "ok"]
    failed = [value for status, value in results if status == "error"]
    assert len(ok) == 1 and len(failed) == 1
    assert isinstance(failed[0], ValidationError) and "不能重复审核" in failed[0].messages[0]
    claim.refresh_from_db()
    assert Entry.objects.filter(member=m).count() == 1
    assert claim.entry_id == ok[0].pk and ok[0].points == 2


def test_a_double_submitted_form_scores_once(tree, users):
    m = MemberFactory(org=tree.a)
    request_key = key()
    got = oks(
        together(
            lambda i: services.award_manually(
                User.objects.get(pk=users.sec_a.pk),
                m,
                "orglife.lecture_given",
                occurred_at=days_ago(1),
                reason="讲党课",
                request_key=request_key,
                evidence="课件",
            ),
            4,
        )
    )
    assert len({a.entry.pk for a in got}) == 1 and sum(a.created for a in got) == 1
    assert Entry.objects.filter(member=m).count() == 1


def test_a_double_submitted_report_makes_one_claim(tree, users):
    MemberFactory(org=tree.a, user=users.member_a)
    request_key = key()
    got = oks(
        together(
            lambda i: services.self_report(
                User.objects.get(pk=users.member_a.pk),
                "volunteer.hours",
                occurred_at=days_ago(1),
                reason="社区服务",
                request_key=request_key,
                evidence="照片",
            ),
            4,
        )
    )
    assert len({c.pk for c in got}) == 1 and Claim.objects.count() == 1


def test_an_entry_reversed_twice_at_once_is_reversed_once(tree, users):
    m = MemberFactory(org=tree.a)
    entry = give(m, "orglife.branch_meeting").entry
    results = together(
        lambda i: services.reverse_entry(
            User.objects.get(pk=users.sec_a.pk), Entry.objects.get(pk=entry.pk), "录错"
        ),
        4,
    )
    assert sum(status == "ok" for status, _ in results) == 1
    assert all(isinstance(value, ValidationError) for status, value in results if status == "error"), results
    assert Entry.objects.filter(reverses=entry).count() == 1


def test_the_default_catalogue_comes_back_once_when_threads_find_it_empty(tree):
    Rule.objects.filter(org__isnull=True).delete()
    people = [MemberFactory(org=tree.a) for _ in range(THREADS)]
    when = at(2026, 5, 12, 9)
    got = oks(
        together(
            lambda i: services.award(
                people[i], "orglife.branch_meeting", source_type="meeting", source_id="1", occurred_at=when
            )
        )
    )
    assert all(a.created and a.entry.points == 2 for a in got)
    assert Rule.objects.filter(org__isnull=True).count() == len(catalogue.DEFAULT_RULES)
