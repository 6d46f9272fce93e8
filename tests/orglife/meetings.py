"""Meeting test helpers: local times, a branch roster in every status with a committee, and meetings
planned through the real service.

at(2026, 5, 12, 14)           -> aware datetime, Beijing time
hours_from_now(-3)            -> now shifted, to the second
build_roster(tree, users)     -> SimpleNamespace of members of 第一党支部 (A) and one of 第二党支部 (B)
plan(org, "theme_day", start) -> a planned meeting (2 hours, at 党员活动室), actor None unless given
"""

import datetime as dt
from types import SimpleNamespace

from django.utils import timezone

from tests.factories import MemberFactory, UserFactory, grant
from zhibu.accounts.models import Role
from zhibu.members.models import Category, MemberStatus
from zhibu.orglife import selectors, services
from zhibu.orglife.models import MeetingType
from zhibu.orgs import services as org_services
from zhibu.orgs.models import Position
from zhibu.points.rules import TZ


def at(year, month, day, hour=14, minute=0, second=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=TZ)


def hours_from_now(hours: float) -> dt.datetime:
    return (timezone.now() + dt.timedelta(hours=hours)).replace(microsecond=0)


def mtype(code: str) -> MeetingType:
    selectors.ensure_seeded()
    return MeetingType.objects.get(org__isnull=True, code=code)


def plan(org, code: str, start: dt.datetime | None = None, *, hours: float = 2, actor=None, **fields):
    start = start or hours_from_now(-3)
    data = {
        "topic": f"{org.name}{mtype(code).name}",
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=hours),
        "place": "党员活动室",
        **fields,
    }
    return services.plan_meeting(actor, org, mtype(code), **data)


def build_roster(tree, users) -> SimpleNamespace:
    """第一党支部 (A): 10 expected attendees, of whom 8 vote.

    sec (书记, account sec_a), me (account member_a, 第一党小组), a1b (第一党小组),
    a2a (组织委员, 第二党小组), p1 (former 委员, left the seat), p2 (委员 of the previous term), p3,
    mobile (流动), prob (预备党员, 第一党小组), upp (留党察看);
    not expected: lost (失联, 第一党小组), gone (已转出).
    第二党支部 (B): far (account far). Committee of A now: sec and a2a.
    """
    a, b = tree.a, tree.b
    r = SimpleNamespace(
        sec=MemberFactory(org=a, user=users.sec_a, name="甲书记"),
        me=MemberFactory(org=a, group=tree.a1, user=users.member_a, name="甲党员"),
        a1b=MemberFactory(org=a, group=tree.a1, name="甲一乙"),
        a2a=MemberFactory(org=a, group=tree.a2, name="甲二甲"),
        p1=MemberFactory(org=a, name="甲丙一"),
        p2=MemberFactory(org=a, name="甲丙二"),
        p3=MemberFactory(org=a, name="甲丙三"),
        mobile=MemberFactory(org=a, status=MemberStatus.MOBILE, name="甲流动"),
        prob=MemberFactory(org=a, group=tree.a1, category=Category.PROBATIONARY, name="甲预备"),
        upp=MemberFactory(org=a, under_party_probation=True, name="甲察看"),
        lost=MemberFactory(org=a, group=tree.a1, status=MemberStatus.LOST, name="甲失联"),
        gone=MemberFactory(org=a, status=MemberStatus.TRANSFERRED, name="甲转出"),
    )
    far_user = UserFactory(username="far", real_name="乙党员")
    grant(far_user, b, Role.MEMBER)
    r.far_user = far_user
    r.far = MemberFactory(org=b, user=far_user, name="乙党员")
    today = timezone.localdate()
    old = org_services.start_term(None, a, started_on=today - dt.timedelta(days=800))
    org_services.assign_holder(
        None, old.seats.get(position=Position.SECRETARY), member=r.p2, started_on=old.started_on
    )
    term = org_services.start_term(None, a, started_on=today - dt.timedelta(days=400))
    seats = {s.position: s for s in term.seats.all()}
    for position, member in (
        (Position.SECRETARY, r.sec),
        (Position.ORGANIZATION, r.a2a),
        (Position.PUBLICITY, r.p1),
    ):
        org_services.assign_holder(None, seats[position], member=member, started_on=term.started_on)
    holding = seats[Position.PUBLICITY].holdings.get()
    org_services.end_holding(None, holding, ended_on=today - dt.timedelta(days=30), reason="工作调动")
    r.expected = [r.sec, r.me, r.a1b, r.a2a, r.p1, r.p2, r.p3, r.mobile, r.prob, r.upp]
    r.voting = [r.sec, r.me, r.a1b, r.a2a, r.p1, r.p2, r.p3, r.mobile]
    r.committee = [r.sec, r.a2a]
    r.group_a1 = [r.me, r.a1b, r.prob]
    return r
