"""Reads of meetings, attendance, votes, reviews and talks, scoped to what the user may see.

Officers see meetings of orgs in their orglife.view scope (a 党小组长: their group's); a member sees the
meetings they are expected at (an Attendance row) and any meeting of their own branch or group.
"""

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.members.models import Member, MemberStatus
from zhibu.orglife import rules, seed
from zhibu.orglife.models import (
    Attendance,
    Attendees,
    Meeting,
    MeetingType,
    Requirement,
    VoteExclusion,
)
from zhibu.orgs.models import CommitteeTerm, Organization, OrgType

EXPECTED_STATUSES = (MemberStatus.NORMAL, MemberStatus.MOBILE)


def ensure_seeded() -> None:
    """The system types and requirements come back after a test-database flush."""
    if not MeetingType.objects.filter(org__isnull=True).exists():
        seed.seed(MeetingType, Requirement)


def _paths(org) -> list[str]:
    steplen = Organization.steplen
    return [org.path[:i] for i in range(steplen, len(org.path) + 1, steplen)]


def meeting_types(org) -> list[MeetingType]:
    """Active types usable by `org`: the system ones and those defined on its path (a 党小组 gets the
    group types, a branch the others)."""
    ensure_seeded()
    qs = MeetingType.objects.filter(active=True).filter(Q(org__isnull=True) | Q(org__path__in=_paths(org)))
    if org.org_type == OrgType.GROUP:
        qs = qs.filter(attendees=Attendees.GROUP)
    else:
        qs = qs.exclude(attendees=Attendees.GROUP)
    return list(qs.order_by("order", "id"))


def own_member(user) -> Member | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Member.objects.select_related("org", "group").filter(user=user).first()


def visible_meetings(user) -> QuerySet[Meeting]:
    """Meetings the user may read: officer scope, or their own branch/group, or where they are expected."""
    q = access.scope_q(user, Perm.ORGLIFE_VIEW, prefix="org__")
    member = own_member(user)
    if member is not None:
        q |= Q(org=member.org) | Q(attendances__member=member)
        if member.group_id:
            q |= Q(org=member.group)
    return Meeting.objects.filter(q).distinct()


def get_meeting(user, pk) -> Meeting:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("未找到该会议，或您无权查看") from None
    meeting = visible_meetings(user).select_related("org", "type", "host", "recorder").filter(pk=pk).first()
    if meeting is None:
        raise Http404("未找到该会议，或您无权查看")
    return meeting


def can_manage(user, meeting_or_org) -> bool:
    org = getattr(meeting_or_org, "org", meeting_or_org)
    return access.has_perm(user, Perm.ORGLIFE_MANAGE, org)


def meetings_of(org, start: dt.date | None = None, end: dt.date | None = None) -> QuerySet[Meeting]:
    """Meetings of a branch and its 党小组 (or of one group), optionally within local dates [start, end]."""
    qs = Meeting.objects.filter(org__path__startswith=org.path)
    if start is not None and end is not None:
        from zhibu.points.rules import local_range

        begin, stop = local_range(start, end)
        qs = qs.filter(starts_at__gte=begin, starts_at__lt=stop)
    return qs.select_related("org", "type", "host", "recorder")


def manageable_orgs(user) -> QuerySet[Organization]:
    """Active branches and 党小组 where the user may plan meetings."""
    return Organization.objects.filter(
        access.scope_q(user, Perm.ORGLIFE_MANAGE),
        status="active",
        org_type__in=(OrgType.BRANCH, OrgType.GROUP),
    ).order_by("path")


def branch_of(org) -> Organization:
    return Organization.objects.get_parent(org) if org.org_type == OrgType.GROUP else org


def committee_members(branch) -> QuerySet[Member]:
    """Members holding a seat of the branch's current committee term."""
    term = CommitteeTerm.objects.filter(org=branch, ended_on__isnull=True).first()
    if term is None:
        return Member.objects.none()
    return Member.objects.filter(
        seat_holdings__seat__term=term, seat_holdings__ended_on__isnull=True
    ).distinct()


def expected_attendees(org, meeting_type: MeetingType) -> QuerySet[Member]:
    """Who is expected: the branch's members, its committee, or the group's members (normal and mobile
    members on the roll; lost members are followed up elsewhere)."""
    if meeting_type.attendees == Attendees.GROUP:
        qs = Member.objects.filter(group=org)
    elif meeting_type.attendees == Attendees.COMMITTEE:
        qs = committee_members(branch_of(org))
    else:
        qs = Member.objects.filter(org=branch_of(org))
    return qs.filter(status__in=EXPECTED_STATUSES).order_by("name", "pk")


def attendances(meeting: Meeting) -> QuerySet[Attendance]:
    return meeting.attendances.select_related("member").order_by("member__name", "member_id")


def voters(meeting: Meeting) -> dict:
    """Expected and present voting members of a meeting: full members on the roll, not under 留党察看,
    among its expected attendees, less approved exclusions (domain-rules §2)."""
    excluded = set(VoteExclusion.objects.filter(meeting=meeting).values_list("member_id", flat=True))
    rows = list(
        meeting.attendances.select_related("member").values_list(
            "member_id", "status", "member__category", "member__status", "member__under_party_probation"
        )
    )
    expected = [
        (mid, st)
        for mid, st, cat, mst, upp in rows
        if mid not in excluded and rules.voting_member(cat, mst, upp)
    ]
    present = [mid for mid, st in expected if st in ("present", "late")]
    return {"expected": len(expected), "present": len(present), "excluded": len(excluded)}


def my_meetings(user, *, upcoming: bool | None = None) -> QuerySet[Attendance]:
    """The user's own attendance rows (one per meeting they are expected at), newest first."""
    member = own_member(user)
    if member is None:
        return Attendance.objects.none()
    qs = Attendance.objects.filter(member=member).exclude(meeting__status="cancelled")
    now = timezone.now()
    if upcoming is True:
        qs = qs.filter(meeting__ends_at__gte=now)
    elif upcoming is False:
        qs = qs.filter(meeting__ends_at__lt=now)
    return qs.select_related("meeting", "meeting__type", "meeting__org").order_by("-meeting__starts_at")


def meeting_of_attendance(source_id: str) -> int | None:
    """The meeting id of a points source "<attendance id>" or "<attendance id>-<revision>"."""
    head = str(source_id).split("-")[0]
    if not head.isdigit():
        return None
    return Attendance.objects.filter(pk=int(head)).values_list("meeting_id", flat=True).first()
