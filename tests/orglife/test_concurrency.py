"""Races against PostgreSQL: one member's QR code scanned from 8 threads at once (a double tap, a retry, two
phones) gives one attendance, one points entry and exactly one "created"; two notices sent at the same
moment give one row per attendee.

Each thread has its own database connection (closed at the end); the rows the threads use are committed
first (transactional test). SQLite serializes writers, so these run on PostgreSQL only:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhibu .venv/bin/pytest tests/orglife/test_concurrency.py
"""

import threading

import pytest
from django.db import connection

from tests.factories import MemberFactory, UserFactory
from tests.orglife.meetings import at, plan
from zhibu.orglife import seed, services
from zhibu.orglife.models import Attendance, MeetingType, Requirement
from zhibu.points import catalogue
from zhibu.points.models import Entry, Rule

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serializes writers, so there is no race to test",
    ),
    pytest.mark.django_db(transaction=True),
]
THREADS = 8


@pytest.fixture(autouse=True)
def _seeded():
    """The flush after a transactional test empties the seeded tables: put them back, committed."""
    catalogue.seed(Rule)
    seed.seed(MeetingType, Requirement)


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


@pytest.mark.parametrize("notified", [True, False], ids=["notified", "not-notified"])
def test_eight_simultaneous_check_ins_of_one_member(tree, notified):
    """Notified: the threads race on the existing row; not notified: they race to create it."""
    user = UserFactory()
    member = MemberFactory(org=tree.a, user=user)
    MemberFactory(org=tree.a)
    meeting = plan(tree.a, "theme_day", at(2026, 5, 12, 14))
    if notified:
        services.notify(None, meeting)
    now = at(2026, 5, 12, 14, 2)
    got = oks(together(lambda i: services.check_in(user, meeting.checkin_token, now=now)))
    rows = Attendance.objects.filter(meeting=meeting, member=member)
    assert rows.count() == 1
    att = rows.get()
    assert (att.status, att.via, att.scored_rule) == ("present", "qr", "orglife.theme_day")
    assert {a.pk for a, _ in got} == {att.pk}
    assert sum(created for _, created in got) == 1
    entries = Entry.objects.filter(member=member)
    assert entries.count() == 1
    assert (entries.get().source_type, entries.get().source_id) == ("orglife.attendance", str(att.pk))


def test_two_simultaneous_notices_write_one_row_per_attendee(tree):
    people = [MemberFactory(org=tree.a) for _ in range(6)]
    meeting = plan(tree.a, "branch_meeting", at(2026, 5, 12, 14))
    added = oks(together(lambda i: services.notify(None, meeting), n=2))
    assert sorted(added) == [0, 6]
    assert Attendance.objects.filter(meeting=meeting).count() == 6
    assert set(Attendance.objects.values_list("member_id", flat=True)) == {m.pk for m in people}
    meeting.refresh_from_db()
    assert meeting.status == "notified"


def test_notice_and_check_in_at_the_same_moment(tree):
    """A member scans before the notice is out while the secretary sends it: still one row, one entry."""
    user = UserFactory()
    member = MemberFactory(org=tree.a, user=user)
    others = [MemberFactory(org=tree.a) for _ in range(3)]
    meeting = plan(tree.a, "theme_day", at(2026, 5, 12, 14))
    now = at(2026, 5, 12, 14)

    def work(i):
        if i % 2:
            return services.notify(None, meeting)
        return services.check_in(user, meeting.checkin_token, now=now)

    oks(together(work, n=4))
    assert Attendance.objects.filter(meeting=meeting).count() == 1 + len(others)
    assert Attendance.objects.get(meeting=meeting, member=member).status == "present"
    assert Entry.objects.filter(member=member).count() == 1
