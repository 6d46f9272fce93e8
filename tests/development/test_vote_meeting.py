"""An admission vote taken at a 支部党员大会 recorded in 组织生活: the numbers come from its attendance."""

import datetime as dt

from django.urls import reverse

from tests.development.factories import make_case, schedule
from tests.factories import MemberFactory
from zhibu.development.models import BranchVote
from zhibu.members.models import Category
from zhibu.orglife import services as orglife
from zhibu.orglife.models import MeetingType
from zhibu.points.rules import TZ


def _held_meeting(org, day, present_ids, code="branch_meeting"):
    start = dt.datetime.combine(day, dt.time(15), tzinfo=TZ)
    meeting = orglife.plan_meeting(
        None,
        org,
        MeetingType.objects.get(code=code, org=None),
        topic="支部党员大会",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        place="会议室",
    )
    orglife.notify(None, meeting)
    marks = {
        a.member_id: {"status": "present"}
        if a.member_id in present_ids
        else {"status": "absent", "absence_reason": "sick"}
        for a in meeting.attendances.all()
    }
    orglife.mark_attendance(None, meeting, marks)
    return meeting


def test_vote_from_the_meeting_takes_its_numbers_and_links_it(tree, users, client_for):
    case = make_case(tree.a, 14, name="吴会议")  # the factory adds 2 full members to A
    extra = [MemberFactory(org=tree.a) for _ in range(3)]
    MemberFactory(org=tree.a, category=Category.PROBATIONARY)  # at the meeting, but no vote
    held_on = schedule()[15]
    present = {m.pk for m in extra} | {case.org.members.filter(category=Category.PROBATIONARY).first().pk}
    meeting = _held_meeting(tree.a, held_on, present)
    client = client_for(users.sec_a)
    url = reverse("development:vote", args=[case.pk])
    page = client.get(url, {"kind": "admission", "meeting": meeting.pk})
    initial = page.context["form"].initial
    assert (initial["expected"], initial["present"], initial["held_on"]) == (5, 3, held_on)
    data = {
        "kind": "admission",
        "held_on": held_on.isoformat(),
        "expected": 5,
        "present": 3,
        "in_favour": 3,
        "against": 0,
        "abstain": 0,
        "written_in_favour": 0,
        "meeting": meeting.pk,
    }
    assert client.post(url, data).status_code == 302
    assert BranchVote.objects.get(case=case).meeting_id == meeting.pk


def test_a_meeting_of_another_branch_or_without_votes_is_refused(tree, users, client_for):
    case = make_case(tree.a, 14, name="郑拒绝")
    MemberFactory(org=tree.b)
    other = _held_meeting(tree.b, schedule()[15], set())
    no_votes = _held_meeting(tree.a, schedule()[15], set(), code="theme_day")
    url = reverse("development:vote", args=[case.pk])
    assert client_for(users.sec_a).get(url, {"meeting": other.pk}).status_code == 404
    assert client_for(users.sec_a).get(url, {"meeting": no_votes.pk}).status_code == 404
