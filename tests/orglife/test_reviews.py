"""民主评议党员: starting a branch's yearly review (on-roll members, probationary members take part but are
not graded), self-assessments, the poll (ballots for others only, resubmitting replaces them), the phase
order, the 优秀 quota exactly at the cap / one over / turned off, confirmation at a held 党员大会 only,
scope (404 outside, 403 without the permission), the officer page and the member's phone page, and a
constant number of queries on the review page."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import MemberFactory, UserFactory, grant
from tests.orglife.meetings import build_roster, hours_from_now, plan
from tests.points.factories import give
from zhibu.accounts.models import Role
from zhibu.core import config
from zhibu.core.errors import ValidationError
from zhibu.core.models import AuditLog
from zhibu.members.models import Category
from zhibu.orglife import reviews, services
from zhibu.orglife.models import Ballot, Review, ReviewEntry, ReviewStatus

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


def url(name, *args):
    return reverse(f"orglife:{name}", args=args)


def messages_of(exc) -> str:
    return "；".join(exc.value.messages)


@pytest.fixture
def r(tree, users):
    return build_roster(tree, users)


@pytest.fixture
def review(r, tree):
    return reviews.start_review(None, tree.a, YEAR)


def graded(r) -> list:
    """The 9 graded members of branch A (everyone expected but the probationary member)."""
    return [m for m in r.expected if m.category == Category.FULL]


def held_meeting(org, code="branch_meeting"):
    """A meeting held 3 hours ago: planned, notified, minutes saved (→ held), through the services."""
    meeting = plan(org, code, hours_from_now(-3))
    services.notify(None, meeting)
    services.save_minutes(None, meeting, [{"title": "民主评议党员", "resolution": "确定评议等次"}])
    meeting.refresh_from_db()
    return meeting


def all_qualified(r) -> dict:
    return {m.pk: "qualified" for m in graded(r)}


def vote_all(review, voter, grade="qualified", comment=""):
    targets = [e.member_id for e in review.entries.filter(graded=True).exclude(member=voter)]
    return reviews.submit_ballots(None, review, {t: (grade, comment) for t in targets}, member=voter)


# --- Starting a review -----------------------------------------------------------------------------


def test_start_review_lists_members_on_the_roll_and_probationary_members_are_not_graded(r, users, tree):
    review = reviews.start_review(users.sec_a, tree.a, YEAR)
    entries = {e.member_id: e for e in review.entries.all()}
    assert set(entries) == {m.pk for m in r.expected}  # lost and transferred members are not listed
    assert entries[r.mobile.pk].graded  # 流动党员 take part and are graded
    assert not entries[r.prob.pk].graded
    assert "不评定等次" in entries[r.prob.pk].note
    assert sum(e.graded for e in entries.values()) == 9
    assert review.status == ReviewStatus.SELF and review.created_by == users.sec_a
    log = AuditLog.objects.get(object_type="orglife.review", object_id=str(review.pk))
    assert "10人参加，9人评定等次" in log.summary and log.actor == users.sec_a


def test_one_review_per_branch_and_year_and_only_for_branches(r, users, tree, review):
    with pytest.raises(ValidationError) as exc:
        reviews.start_review(users.sec_a, tree.a, YEAR)
    assert f"{YEAR}年度的民主评议已经发起" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        reviews.start_review(users.sec_a, tree.a, YEAR + 1)
    assert "评议年度应在" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        reviews.start_review(None, tree.a1, YEAR)
    assert "以党支部为单位" in messages_of(exc)
    assert reviews.start_review(users.sec_a, tree.a, YEAR - 1).year == YEAR - 1
    assert Review.objects.count() == 2


def test_start_review_scope(r, users, tree):
    with pytest.raises(Http404):
        reviews.start_review(users.sec_b, tree.a, YEAR)
    with pytest.raises(PermissionDenied):
        reviews.start_review(users.member_a, tree.a, YEAR)
    with pytest.raises(Http404):
        reviews.start_review(users.leader_a1, tree.a, YEAR)  # a 党小组长's scope is the group
    assert not Review.objects.exists()


# --- Self-assessment and phases --------------------------------------------------------------------


def test_self_assessment_by_the_member_while_self_or_poll(r, users, review):
    entry = reviews.submit_self_assessment(users.member_a, review, "  认真学习，按时参加组织生活。 ")
    assert entry.member == r.me and entry.self_assessment == "认真学习，按时参加组织生活。"
    assert entry.submitted_at is not None
    reviews.open_poll(users.sec_a, review)
    entry = reviews.submit_self_assessment(users.member_a, review, "修改后的自评")
    assert ReviewEntry.objects.get(pk=entry.pk).self_assessment == "修改后的自评"
    with pytest.raises(ValidationError) as exc:
        reviews.submit_self_assessment(users.member_a, review, "   ")
    assert "请填写个人自评" in messages_of(exc)
    for voter in graded(r):
        vote_all(review, voter)
    reviews.propose_grades(users.sec_a, review, all_qualified(r))
    with pytest.raises(ValidationError) as exc:
        reviews.submit_self_assessment(users.member_a, review, "再改一次")
    assert "不能再修改个人自评" in messages_of(exc)
    assert ReviewEntry.objects.get(pk=entry.pk).self_assessment == "修改后的自评"


def test_self_assessment_needs_a_member_in_the_review(r, users, review):
    with pytest.raises(ValidationError) as exc:
        reviews.submit_self_assessment(r.far_user, review, "我是第二党支部的")
    assert "不在本次民主评议名单中" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        reviews.submit_self_assessment(users.committee_a, review, "没有党员档案")
    assert "未关联党员档案" in messages_of(exc)


def test_phase_order_is_enforced(r, users, review):
    with pytest.raises(ValidationError) as exc:
        vote_all(review, r.me)
    assert "民主测评尚未开始" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        reviews.propose_grades(users.sec_a, review, all_qualified(r))
    assert "请先开展民主测评" in messages_of(exc)
    meeting = held_meeting(r.sec.org)
    with pytest.raises(ValidationError) as exc:
        reviews.confirm_grades(users.sec_a, review, meeting)
    assert "支委会提出等次后" in messages_of(exc)
    reviews.open_poll(users.sec_a, review)
    with pytest.raises(ValidationError) as exc:
        reviews.open_poll(users.sec_a, review)
    assert "不能再开始民主测评" in messages_of(exc)
    with pytest.raises(ValidationError):
        reviews.confirm_grades(users.sec_a, review, meeting)
    reviews.propose_grades(users.sec_a, review, all_qualified(r))
    reviews.confirm_grades(users.sec_a, review, meeting)
    with pytest.raises(ValidationError) as exc:
        vote_all(review, r.me)
    assert "民主测评已结束" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        reviews.propose_grades(users.sec_a, review, all_qualified(r))
    assert "不能再修改" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        reviews.confirm_grades(users.sec_a, review, meeting)
    assert "已由党员大会确定" in messages_of(exc)


def test_open_poll_needs_orglife_manage(r, users, review):
    with pytest.raises(PermissionDenied):
        reviews.open_poll(users.member_a, review)
    with pytest.raises(Http404):
        reviews.open_poll(users.sec_b, review)
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.SELF


# --- The poll --------------------------------------------------------------------------------------


def test_ballots_replace_the_voters_own_and_are_tallied(r, users, review):
    reviews.open_poll(users.sec_a, review)
    targets = [m for m in graded(r) if m != r.me]
    first = {m.pk: ("qualified", "") for m in targets}
    first[r.sec.pk] = ("excellent", "带头作用突出")
    assert reviews.submit_ballots(users.member_a, review, first) == 8
    assert reviews.submit_ballots(users.member_a, review, first) == 8  # the same again: nothing added
    assert Ballot.objects.filter(review=review, voter=r.me).count() == 8
    second = {m.pk: ("qualified", "") for m in targets}
    second[r.p3.pk] = ("basic", "学习不够主动")
    reviews.submit_ballots(users.member_a, review, second)
    mine = {b.target_id: b for b in Ballot.objects.filter(review=review, voter=r.me)}
    assert len(mine) == 8 and mine[r.sec.pk].grade == "qualified" and mine[r.sec.pk].comment == ""
    assert mine[r.p3.pk].grade == "basic"
    vote_all(review, r.a1b, "excellent", "")
    tally = reviews.tally_of(review)
    assert tally[r.p3.pk] == {"basic": 1, "excellent": 1}
    assert tally[r.me.pk] == {"excellent": 1}  # the voter's own ballots never include themself
    assert reviews.voter_ids(review) == {r.me.pk, r.a1b.pk}
    logs = list(
        AuditLog.objects.filter(summary__startswith="提交民主测评票").values_list("summary", flat=True)
    )
    assert "提交民主测评票：甲党员（8人）" in logs  # who voted, never what they voted
    assert not any(g in text for text in logs for g in ("basic", "基本合格", "优秀", "excellent"))


def test_ballots_not_for_self_nor_probationary_and_complete(r, users, review):
    reviews.open_poll(users.sec_a, review)
    full = {m.pk: ("qualified", "") for m in graded(r) if m != r.me}
    with pytest.raises(ValidationError) as exc:
        reviews.submit_ballots(users.member_a, review, {**full, r.me.pk: ("excellent", "")})
    assert "不能给自己测评" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        reviews.submit_ballots(users.member_a, review, {**full, r.prob.pk: ("qualified", "")})
    assert "不评定等次" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        reviews.submit_ballots(users.member_a, review, {**full, r.far.pk: ("qualified", "")})
    assert "不在本次评议名单中" in messages_of(exc)
    partial = dict(list(full.items())[:5])
    with pytest.raises(ValidationError) as exc:
        reviews.submit_ballots(users.member_a, review, partial)
    assert "还有3名党员未选择测评等次" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        reviews.submit_ballots(users.member_a, review, {**full, r.sec.pk: ("best", "")})
    assert "请选择测评等次" in messages_of(exc)
    assert not Ballot.objects.exists()


def test_probationary_members_take_part_in_the_poll(r, review, users):
    reviews.open_poll(users.sec_a, review)
    assert vote_all(review, r.prob) == 9  # they grade every graded member, and nobody grades them
    assert r.prob.pk not in reviews.tally_of(review)


# --- Proposal and quota ----------------------------------------------------------------------------


def polled(users, review):
    reviews.open_poll(users.sec_a, review)
    return review


def test_quota_exactly_at_the_cap_passes_and_one_over_fails(r, users, review):
    polled(users, review)
    assert reviews.quota(review).cap == 3 and reviews.quota(review).label == "优秀最多3人（1/3）"
    over = all_qualified(r)
    for m in (r.sec, r.a2a, r.p1, r.p2):
        over[m.pk] = "excellent"
    with pytest.raises(ValidationError) as exc:
        reviews.propose_grades(users.sec_a, review, over)
    assert "评为优秀的4人超过比例上限（1/3，最多3人）" in messages_of(exc)
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.POLL
    assert not ReviewEntry.objects.exclude(proposed_grade="").exists()
    at_cap = dict(over)
    at_cap[r.p2.pk] = "qualified"
    reviews.propose_grades(users.sec_a, review, at_cap)
    proposed = dict(review.entries.values_list("member_id", "proposed_grade"))
    assert proposed[r.sec.pk] == "excellent" and proposed[r.p2.pk] == "qualified"
    assert proposed[r.prob.pk] == ""
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.PROPOSED
    log = AuditLog.objects.filter(summary__startswith="支委会提出评议等次").get()
    assert "优秀3人、合格6人" in log.summary


def test_quota_off_allows_any_number_of_excellent(r, users, review, tree):
    config.set_value(None, tree.root, "orglife.excellent_ratio", "0", dt.date(2020, 1, 1))
    polled(users, review)
    assert reviews.quota(review).label == "本组织不设优秀比例" and reviews.quota(review).cap is None
    grades = {m.pk: "excellent" for m in graded(r)}
    reviews.propose_grades(users.sec_a, review, grades)
    assert review.entries.filter(proposed_grade="excellent").count() == 9


def test_quota_from_a_local_ratio(r, users, review, tree):
    config.set_value(None, tree.a, "orglife.excellent_ratio", "20%", dt.date(2020, 1, 1))
    assert reviews.quota(review).label == "优秀最多1人（1/5）"


def test_every_graded_member_needs_a_grade_and_probationary_members_none(r, users, review):
    polled(users, review)
    grades = all_qualified(r)
    del grades[r.p3.pk]
    with pytest.raises(ValidationError) as exc:
        reviews.propose_grades(users.sec_a, review, grades)
    assert "还有1名党员未评定等次" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        reviews.propose_grades(users.sec_a, review, {**all_qualified(r), r.prob.pk: "qualified"})
    assert "预备党员参加评议但不评定等次" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        reviews.propose_grades(users.sec_a, review, {**all_qualified(r), r.far.pk: "qualified"})
    assert "不在本次评议名单中" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        reviews.propose_grades(users.sec_a, review, {**all_qualified(r), r.p3.pk: "top"})
    assert "等次无效" in messages_of(exc)


def test_proposing_needs_orglife_manage_in_scope(r, users, review):
    polled(users, review)
    with pytest.raises(PermissionDenied):
        reviews.propose_grades(users.member_a, review, all_qualified(r))
    with pytest.raises(Http404):
        reviews.propose_grades(users.sec_b, review, all_qualified(r))
    reviews.propose_grades(users.committee_a, review, all_qualified(r))  # a 支委 may


# --- Confirmation ----------------------------------------------------------------------------------


def test_confirm_needs_a_held_branch_meeting_of_the_branch(r, users, review, tree):
    polled(users, review)
    reviews.propose_grades(users.sec_a, review, all_qualified(r))
    planned = plan(tree.a, "branch_meeting", hours_from_now(-3))
    with pytest.raises(ValidationError) as exc:
        reviews.confirm_grades(users.sec_a, review, planned)
    assert "会议召开后才能确定评议等次" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        reviews.confirm_grades(users.sec_a, review, held_meeting(tree.a, "theme_day"))
    assert "应由支部党员大会" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        reviews.confirm_grades(users.sec_a, review, held_meeting(tree.b))
    assert "本支部的党员大会" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        reviews.confirm_grades(users.sec_a, review, None)
    assert "请选择" in messages_of(exc)
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.PROPOSED
    meeting = held_meeting(tree.a, "democratic_review")
    done = reviews.confirm_grades(users.sec_a, review, meeting)
    assert done.status == ReviewStatus.CONFIRMED and done.meeting == meeting and done.confirmed_at
    finals = dict(review.entries.values_list("member_id", "final_grade"))
    assert finals[r.me.pk] == "qualified" and finals[r.prob.pk] == ""


def test_the_meeting_may_change_grades_within_the_quota(r, users, review, tree):
    polled(users, review)
    reviews.propose_grades(users.sec_a, review, all_qualified(r))
    meeting = held_meeting(tree.a)
    four = all_qualified(r)
    for m in (r.sec, r.a2a, r.p1, r.p2):
        four[m.pk] = "excellent"
    with pytest.raises(ValidationError) as exc:
        reviews.confirm_grades(users.sec_a, review, meeting, four)
    assert "超过比例上限" in messages_of(exc)
    reviews.confirm_grades(users.sec_a, review, meeting, all_qualified(r) | {r.sec.pk: "excellent"})
    entry = review.entries.get(member=r.sec)
    assert entry.final_grade == "excellent" and entry.proposed_grade == "qualified"
    log = AuditLog.objects.filter(summary__startswith="党员大会确定评议等次").get()
    assert "1人与支委会建议不同" in log.summary


def test_a_meeting_before_the_review_year_does_not_count(r, users, tree):
    review = reviews.start_review(None, tree.a, YEAR - 1)
    reviews.open_poll(None, review)
    reviews.propose_grades(None, review, all_qualified(r))
    old = plan(tree.a, "branch_meeting", timezone.now() - dt.timedelta(days=800))
    services.notify(None, old)
    services.save_minutes(None, old, [{"title": "民主评议"}])
    with pytest.raises(ValidationError) as exc:
        reviews.confirm_grades(None, review, old)
    assert f"早于{YEAR - 1}年度" in messages_of(exc)
    assert reviews.eligible_meetings(review).count() == 0


# --- Pages -----------------------------------------------------------------------------------------


def test_officer_list_starts_a_review(r, users, client_for, tree):
    client = client_for(users.sec_a)
    page = client.get(url("review_list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "第一党支部" in html and f"发起{YEAR}年度评议" in html and "第二党支部" not in html
    response = client.post(url("review_start"), {"org": tree.a.pk, "year": YEAR})
    review = Review.objects.get(org=tree.a, year=YEAR)
    assert response.status_code == 302 and response.url == url("review_detail", review.pk)
    again = client.post(url("review_start"), {"org": tree.a.pk, "year": YEAR}, follow=True)
    assert "已经发起" in again.content.decode()
    assert (
        client_for(users.sec_b).post(url("review_start"), {"org": tree.a.pk, "year": YEAR}).status_code == 404
    )
    assert (
        client_for(users.member_a).post(url("review_start"), {"org": tree.a.pk, "year": YEAR}).status_code
        == 403
    )


def test_a_member_is_sent_to_their_own_review(r, users, client_for):
    response = client_for(users.member_a).get(url("review_list"))
    assert response.status_code == 302 and response.url == url("review_mine")
    assert client_for(users.nobody).get(url("review_list")).status_code == 403


def test_review_page_shows_progress_tally_points_and_quota(r, users, client_for, review):
    give(r.me, "orglife.branch_meeting", source_label="支部党员大会")
    reviews.submit_self_assessment(users.member_a, review, "我的自评内容")
    polled(users, review)
    vote_all(review, r.me, "excellent", "表现突出")
    client = client_for(users.sec_a)
    response = client.get(url("review_detail", review.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "已有1/10人提交测评" in html
    assert "优秀最多3人（1/3）" in html
    assert "我的自评内容" in html and "表现突出" in html
    assert "预备党员" in html and "积分仅作参考" in html
    rows = {row.member.pk: row for row in response.context["rows"]}
    assert rows[r.me.pk].points == 2 and rows[r.me.pk].voted
    assert rows[r.sec.pk].votes == 1 and rows[r.sec.pk].suggested == "excellent"
    assert f'name="grade_{r.sec.pk}"' in html  # the proposal form
    assert f'name="grade_{r.prob.pk}"' not in html


def test_review_page_scope(r, users, client_for, review):
    assert client_for(users.sec_b).get(url("review_detail", review.pk)).status_code == 404
    assert client_for(users.member_a).get(url("review_detail", review.pk)).status_code == 403
    assert client_for(users.org_admin).get(url("review_detail", review.pk)).status_code == 200
    assert client_for(users.committee_a).get(url("review_detail", review.pk)).status_code == 200
    assert client_for(users.member_a).post(url("review_poll", review.pk)).status_code == 403


def test_quota_off_is_shown(r, users, client_for, review, tree):
    config.set_value(None, tree.a, "orglife.excellent_ratio", "0", dt.date(2020, 1, 1))
    html = client_for(users.sec_a).get(url("review_detail", review.pk)).content.decode()
    assert "本组织不设优秀比例" in html


def test_propose_and_confirm_through_the_page(r, users, client_for, review, tree):
    client = client_for(users.sec_a)
    assert client.post(url("review_poll", review.pk)).status_code == 302
    form = {f"grade_{m.pk}": "qualified" for m in graded(r)}
    for m in (r.sec, r.a2a, r.p1, r.p2):
        form[f"grade_{m.pk}"] = "excellent"
    refused = client.post(url("review_propose", review.pk), form)
    assert refused.status_code == 400
    assert "超过比例上限" in refused.content.decode()
    assert refused.context["rows"][0].choice in ("excellent", "qualified")  # the posted choices come back
    form[f"grade_{r.p2.pk}"] = "qualified"
    assert client.post(url("review_propose", review.pk), form).status_code == 302
    page = client.get(url("review_detail", review.pk)).content.decode()
    assert "党员大会确定" in page and "还没有已召开的支部党员大会" in page
    meeting = held_meeting(tree.a)
    no_meeting = client.post(url("review_confirm", review.pk), form)
    assert no_meeting.status_code == 400 and "请选择" in no_meeting.content.decode()
    done = client.post(url("review_confirm", review.pk), {**form, "meeting": meeting.pk})
    assert done.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.CONFIRMED and review.meeting == meeting
    html = client.get(url("review_detail", review.pk)).content.decode()
    assert "由党员大会确定" in html and "优秀3人、合格6人" in html


def test_member_phone_page_self_assessment_poll_and_result(r, users, client_for, review, tree):
    client = client_for(users.member_a)
    page = client.get(url("review_mine"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "个人自评" in html and "民主测评尚未开始" in html
    assert client.post(url("review_self", review.pk), {"text": "按时参加组织生活"}).status_code == 302
    assert review.entries.get(member=r.me).self_assessment == "按时参加组织生活"
    polled(users, review)
    html = client.get(url("review_mine")).content.decode()
    assert html.count('data-testid="ballot-card"') == 8  # every graded colleague, not themself
    assert f'name="grade_{r.me.pk}"' not in html and f'name="grade_{r.prob.pk}"' not in html
    partial = {f"grade_{r.sec.pk}": "excellent", f"comment_{r.sec.pk}": "带头作用好"}
    refused = client.post(url("review_ballots", review.pk), partial)
    assert refused.status_code == 400
    assert "还有7名党员未选择测评等次" in refused.content.decode()
    assert "带头作用好" in refused.content.decode()  # what was typed stays
    full = {f"grade_{m.pk}": "qualified" for m in graded(r) if m != r.me}
    full[f"grade_{r.sec.pk}"] = "excellent"
    full[f"comment_{r.sec.pk}"] = "带头作用好"
    assert client.post(url("review_ballots", review.pk), full).status_code == 302
    assert client.post(url("review_ballots", review.pk), full).status_code == 302  # resubmitting
    assert Ballot.objects.filter(voter=r.me).count() == 8
    assert Ballot.objects.get(voter=r.me, target=r.sec).comment == "带头作用好"
    reviews.propose_grades(users.sec_a, review, all_qualified(r))
    reviews.confirm_grades(users.sec_a, review, held_meeting(tree.a))
    html = client.get(url("review_mine")).content.decode()
    assert 'data-testid="my-result"' in html and "合格" in html


def test_member_pages_for_others(r, users, client_for, review):
    assert client_for(r.far_user).post(url("review_self", review.pk), {"text": "x"}).status_code == 404
    html = client_for(r.far_user).get(url("review_mine")).content.decode()
    assert "尚未发起民主评议" in html
    assert "还没有关联党员档案" in client_for(users.nobody).get(url("review_mine")).content.decode()
    prob_user = UserFactory(username="prob")
    grant(prob_user, r.prob.org, Role.MEMBER)
    r.prob.user = prob_user
    r.prob.save()
    polled(users, review)
    html = client_for(prob_user).get(url("review_mine")).content.decode()
    assert html.count('data-testid="ballot-card"') == 9


def test_review_page_queries_do_not_grow_with_members(r, users, client_for, review, tree):
    """The same officer opens a review of 10 members with one voter and one of 13 members with six
    voters, comments and points: the same number of queries."""
    polled(users, review)
    vote_all(review, r.me, "qualified", "好")
    people = [MemberFactory(org=tree.b, group=tree.b1) for _ in range(12)]
    people.append(MemberFactory(org=tree.b, category=Category.PROBATIONARY))
    other = reviews.start_review(None, tree.b, YEAR)
    reviews.open_poll(None, other)
    for voter in people[:6]:
        vote_all(other, voter, "excellent", "意见")
    for m in people[:4]:
        give(m, "orglife.branch_meeting")
    client = client_for(users.org_admin)

    def count(pk):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url("review_detail", pk)).status_code == 200
        return len(ctx.captured_queries)

    count(review.pk)  # warm caches (seeded types, session)
    assert count(review.pk) == count(other.pk)


def test_member_todo_for_the_workbench(r, users, review):
    assert reviews.member_todo(r.me) == [f"{YEAR}年度民主评议：请填写个人自评"]
    reviews.submit_self_assessment(users.member_a, review, "自评")
    assert reviews.member_todo(r.me) == []
    polled(users, review)
    assert reviews.member_todo(r.me) == [f"{YEAR}年度民主评议：民主测评进行中，请完成测评"]
    vote_all(review, r.me)
    assert reviews.member_todo(r.me) == [] and reviews.member_todo(None) == []
    assert reviews.member_todo(r.far) == []
