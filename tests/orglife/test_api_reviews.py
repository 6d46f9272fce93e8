"""API of 民主评议 and 谈心谈话: a review from start to confirmation (self-assessment, poll ballots
replaced on resubmission, the proposal within the quota, confirmation at a held meeting), the member's
own view, talks with their notes only for the parties and the secretary, coverage; scope (404 outside,
403 without the permission) and bad input (400/422, nothing written)."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.orglife.meetings import build_roster, hours_from_now, plan
from zhibu.members.models import Category
from zhibu.orglife import reviews, services, talks
from zhibu.orglife.models import Ballot, Review, ReviewStatus, Talk

pytestmark = pytest.mark.django_db

BASE = "/api/v1/orglife"
TODAY = timezone.localdate()
YEAR = TODAY.year
NOTES = "谈到孩子上学的困难"


def send(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def r(tree, users):
    return build_roster(tree, users)


@pytest.fixture
def sec_a(users, client_for):
    return client_for(users.sec_a)


@pytest.fixture
def mine(users, client_for):
    return client_for(users.member_a)


def graded(r):
    return [m for m in r.expected if m.category == Category.FULL]


def held_meeting(org, code="branch_meeting"):
    meeting = plan(org, code, hours_from_now(-3))
    services.notify(None, meeting)
    services.save_minutes(None, meeting, [{"title": "民主评议党员"}])
    return meeting


def ballots_for(r, voter, grade="qualified"):
    return {"ballots": [{"target": m.pk, "grade": grade} for m in graded(r) if m != voter]}


def test_a_review_from_start_to_confirmation(r, users, tree, sec_a, mine):
    started = send(sec_a, f"{BASE}/reviews", {"org": tree.a.pk, "year": YEAR})
    assert started.status_code == 201, started.content
    body = started.json()
    assert body["status"] == "self" and body["participants"] == 10 and body["graded"] == 9
    assert body["quota"] == {"ratio": "1/3", "cap": 3, "label": "优秀最多3人（1/3）"}
    pk = body["id"]
    assert send(sec_a, f"{BASE}/reviews", {"org": tree.a.pk, "year": YEAR}).status_code == 400

    own = send(mine, f"{BASE}/reviews/{pk}/self-assessment", {"text": "认真履行党员义务"})
    assert own.status_code == 200 and own.json()["self_assessment"] == "认真履行党员义务"
    early = send(mine, f"{BASE}/reviews/{pk}/ballots", ballots_for(r, r.me))
    assert early.status_code == 400 and "民主测评尚未开始" in early.json()["detail"]

    assert send(mine, f"{BASE}/reviews/{pk}/poll").status_code == 403
    assert send(sec_a, f"{BASE}/reviews/{pk}/poll").json()["status"] == "poll"
    voted = send(mine, f"{BASE}/reviews/{pk}/ballots", ballots_for(r, r.me))
    assert voted.status_code == 200 and voted.json()["voted"]
    assert {c["my_grade"] for c in voted.json()["colleagues"]} == {"qualified"}
    again = send(mine, f"{BASE}/reviews/{pk}/ballots", ballots_for(r, r.me, "excellent"))
    assert again.status_code == 200
    assert Ballot.objects.filter(voter=r.me).count() == 8
    assert set(Ballot.objects.filter(voter=r.me).values_list("grade", flat=True)) == {"excellent"}

    detail = sec_a.get(f"{BASE}/reviews/{pk}").json()
    assert detail["voters"] == 1 and detail["self_submitted"] == 1
    entries = {e["member_id"]: e for e in detail["entries"]}
    assert entries[r.sec.pk]["tally"] == {"excellent": 1, "qualified": 0, "basic": 0, "unqualified": 0}
    assert entries[r.me.pk]["voted"] and entries[r.me.pk]["self_assessment"] == "认真履行党员义务"
    assert not entries[r.prob.pk]["graded"]

    grades = [{"member": m.pk, "grade": "qualified"} for m in graded(r)]
    over = [
        {"member": g["member"], "grade": "excellent" if i < 4 else "qualified"} for i, g in enumerate(grades)
    ]
    refused = send(sec_a, f"{BASE}/reviews/{pk}/propose", {"grades": over})
    assert refused.status_code == 400 and "超过比例上限" in refused.json()["detail"]
    at_cap = [
        {"member": g["member"], "grade": "excellent" if i < 3 else "qualified"} for i, g in enumerate(grades)
    ]
    proposed = send(sec_a, f"{BASE}/reviews/{pk}/propose", {"grades": at_cap})
    assert proposed.status_code == 200 and proposed.json()["status"] == "proposed"

    planned = plan(tree.a, "branch_meeting", hours_from_now(-2))
    not_held = send(sec_a, f"{BASE}/reviews/{pk}/confirm", {"meeting": planned.pk})
    assert not_held.status_code == 400 and "会议召开后" in not_held.json()["detail"]
    other = held_meeting(tree.b)
    assert send(sec_a, f"{BASE}/reviews/{pk}/confirm", {"meeting": other.pk}).status_code == 400
    meeting = held_meeting(tree.a)
    confirmed = send(sec_a, f"{BASE}/reviews/{pk}/confirm", {"meeting": meeting.pk})
    assert confirmed.status_code == 200, confirmed.content
    body = confirmed.json()
    assert body["status"] == "confirmed" and body["meeting_id"] == meeting.pk
    assert sum(e["final_grade"] == "excellent" for e in body["entries"]) == 3

    me = mine.get(f"{BASE}/reviews/mine").json()
    assert me["status"] == "confirmed" and me["final_grade"] in ("excellent", "qualified")
    assert me["final_grade_name"] in ("优秀", "合格")


def test_the_member_view_before_confirmation_hides_grades(r, tree, mine):
    review = reviews.start_review(None, tree.a, YEAR)
    body = mine.get(f"{BASE}/reviews/mine").json()
    assert body["review_id"] == review.pk and body["graded"] and body["final_grade"] is None
    assert len(body["colleagues"]) == 8 and r.me.pk not in {c["member_id"] for c in body["colleagues"]}
    assert mine.get(f"{BASE}/reviews/mine", {"year": YEAR - 1}).status_code == 404


def test_ballots_not_for_self_and_bad_grades(r, tree, mine):
    review = reviews.start_review(None, tree.a, YEAR)
    reviews.open_poll(None, review)
    body = ballots_for(r, r.me)
    body["ballots"].append({"target": r.me.pk, "grade": "excellent"})
    refused = send(mine, f"{BASE}/reviews/{review.pk}/ballots", body)
    assert refused.status_code == 400 and "不能给自己测评" in refused.json()["detail"]
    bad = ballots_for(r, r.me)
    bad["ballots"][0]["grade"] = "best"
    assert send(mine, f"{BASE}/reviews/{review.pk}/ballots", bad).status_code == 422
    twice = ballots_for(r, r.me)
    twice["ballots"].append(dict(twice["ballots"][0]))
    assert send(mine, f"{BASE}/reviews/{review.pk}/ballots", twice).status_code == 400
    assert not Ballot.objects.exists()


def test_review_scope(r, users, tree, client_for, mine):
    review = reviews.start_review(None, tree.a, YEAR)
    sec_b = client_for(users.sec_b)
    assert sec_b.get(f"{BASE}/reviews/{review.pk}").status_code == 404
    assert send(sec_b, f"{BASE}/reviews/{review.pk}/poll").status_code == 404
    assert send(sec_b, f"{BASE}/reviews", {"org": tree.a.pk, "year": YEAR - 1}).status_code == 404
    assert sec_b.get(f"{BASE}/reviews").json() == []
    assert mine.get(f"{BASE}/reviews/{review.pk}").status_code == 403
    assert send(mine, f"{BASE}/reviews", {"org": tree.a.pk, "year": YEAR - 1}).status_code == 403
    far = client_for(r.far_user)
    assert send(far, f"{BASE}/reviews/{review.pk}/self-assessment", {"text": "x"}).status_code == 404
    assert client_for(users.org_admin).get(f"{BASE}/reviews", {"year": YEAR}).json()[0]["id"] == review.pk
    assert Review.objects.get().status == ReviewStatus.SELF


def test_talks_notes_are_private(r, users, tree, client_for, sec_a, mine):
    created = send(
        sec_a,
        f"{BASE}/talks",
        {
            "org": tree.a.pk,
            "initiator": r.sec.pk,
            "partner": r.me.pk,
            "held_on": str(TODAY),
            "topic": "谈心",
            "notes": NOTES,
        },
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["notes"] == NOTES
    committee = client_for(users.committee_a)
    seen = committee.get(f"{BASE}/talks/{pk}").json()
    assert seen["topic"] == "谈心" and seen["notes"] is None and not seen["notes_visible"]
    listed = committee.get(f"{BASE}/talks", {"org": tree.a.pk, "year": YEAR}).json()
    assert listed["count"] == 1 and listed["items"][0]["notes"] is None
    assert sec_a.get(f"{BASE}/talks/{pk}").json()["notes"] == NOTES
    own = mine.get(f"{BASE}/talks").json()
    assert own["count"] == 1 and own["items"][0]["notes"] == NOTES
    assert client_for(users.sec_b).get(f"{BASE}/talks/{pk}").status_code == 404
    assert client_for(users.sec_b).get(f"{BASE}/talks", {"org": tree.a.pk}).status_code == 404
    assert mine.get(f"{BASE}/talks", {"org": tree.a.pk}).status_code == 403


def test_a_member_records_their_own_talk(r, users, tree, mine):
    made = send(mine, f"{BASE}/talks", {"partner": r.p3.pk, "held_on": str(TODAY), "topic": "交流心得"})
    assert made.status_code == 201 and made.json()["initiator_id"] == r.me.pk
    bystander = send(
        mine,
        f"{BASE}/talks",
        {"initiator": r.p2.pk, "partner": r.p3.pk, "held_on": str(TODAY), "topic": "别人的谈话"},
    )
    assert bystander.status_code == 403
    future = send(
        mine,
        f"{BASE}/talks",
        {"partner": r.p3.pk, "held_on": str(TODAY + dt.timedelta(days=2)), "topic": "x"},
    )
    assert future.status_code == 400 and future.json()["errors"]["held_on"] == ["谈话日期不能晚于今天"]
    far = send(mine, f"{BASE}/talks", {"partner": r.far.pk, "held_on": str(TODAY), "topic": "x"})
    assert far.status_code == 400
    assert (
        send(mine, f"{BASE}/talks", {"partner": r.p3.pk, "held_on": "昨天", "topic": "x"}).status_code == 422
    )
    assert Talk.objects.count() == 1


def test_coverage(r, users, tree, client_for):
    talks.record_talk(None, tree.a, r.sec, r.me, TODAY, "谈心")
    talks.record_talk(None, tree.a, r.a2a, r.sec, TODAY, "支委之间")
    body = client_for(users.committee_a).get(f"{BASE}/talks/coverage", {"org": tree.a.pk}).json()
    assert (body["done"], body["required"], body["year"]) == (2, 45, YEAR)
    people = {m["member_id"]: m for m in body["members"]}
    assert people[r.sec.pk]["committee"] and set(people[r.sec.pk]["talked_with"]) == {r.me.pk, r.a2a.pk}
    assert people[r.me.pk]["count"] == 1 and not people[r.me.pk]["committee"]
    assert client_for(users.sec_b).get(f"{BASE}/talks/coverage", {"org": tree.a.pk}).status_code == 404
    assert client_for(users.member_a).get(f"{BASE}/talks/coverage", {"org": tree.a.pk}).status_code == 403
