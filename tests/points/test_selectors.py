"""points.selectors: rankings in one query (RANK() with ties, zero-point and on-roll members, scopes),
a member's own rank, balances and breakdowns, the effective catalogue, and who sees what."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.paginator import Paginator
from django.http import Http404
from django.utils import timezone

from tests.factories import MemberFactory, UserFactory, grant
from tests.points.factories import at, days_ago, give, key, switch_on
from zhibu.accounts.models import Role
from zhibu.core.access import Perm
from zhibu.members.models import Member, MemberStatus
from zhibu.points import selectors, services
from zhibu.points.models import AppealStatus, ClaimStatus, Rule

pytestmark = pytest.mark.django_db
D = dt.date
DEC = Decimal
Q1 = (D(2026, 1, 1), D(2026, 3, 31))


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def board(tree):
    """Members of branch A (groups A1, A2) and B with Q1 totals; ties, zeros and people off the roll."""
    a1_top = MemberFactory(org=tree.a, group=tree.a1, name="赵一")
    a1_tie = MemberFactory(org=tree.a, group=tree.a1, name="钱二")
    a2_mid = MemberFactory(org=tree.a, group=tree.a2, name="孙三")
    a_zero = MemberFactory(org=tree.a, name="李四")
    a_lost = MemberFactory(org=tree.a, group=tree.a2, name="周五", status=MemberStatus.LOST)
    a_gone = MemberFactory(org=tree.a, group=tree.a1, name="吴六")
    b_top = MemberFactory(org=tree.b, group=tree.b1, name="郑七")
    b_neg = MemberFactory(org=tree.b, name="王八")
    # Q1 totals: 赵一 5, 钱二 5, 孙三 2, 周五 2, 郑七 6, 王八 -3, 李四 0
    give(a1_top, "orglife.life_meeting", when=at(2026, 1, 1, 0, 0))
    give(a1_top, "orglife.branch_meeting", when=at(2026, 3, 31, 23, 59))
    give(a1_tie, "orglife.lecture_given", when=at(2026, 2, 10), evidence="课件")
    give(a2_mid, "orglife.branch_meeting", when=at(2026, 2, 1))
    give(a_lost, "orglife.party_lecture", when=at(2026, 2, 2))
    give(b_top, "orglife.life_meeting", when=at(2026, 3, 1))
    give(b_top, "orglife.life_meeting", when=at(2026, 3, 2))
    give(b_neg, "orglife.absence", when=at(2026, 3, 3))
    # outside Q1: never counted
    give(a_zero, "orglife.life_meeting", when=at(2026, 4, 1, 0, 0))
    give(a2_mid, "orglife.life_meeting", when=at(2025, 12, 31, 23, 59))
    # 吴六 scored while on the roll, then was suspended: no longer ranked
    give(a_gone, "orglife.life_meeting", when=at(2026, 1, 5))
    Member.objects.filter(pk=a_gone.pk).update(status=MemberStatus.SUSPENDED)
    return {
        "a1_top": a1_top,
        "a1_tie": a1_tie,
        "a2_mid": a2_mid,
        "a_zero": a_zero,
        "a_lost": a_lost,
        "a_gone": a_gone,
        "b_top": b_top,
        "b_neg": b_neg,
    }


def table(qs) -> list[tuple]:
    return [(m.name, m.rank, m.total) for m in qs]


# --- rankings -----------------------------------------------------------------------------------------


def test_ranked_members_of_a_branch(tree, board):
    rows = table(selectors.ranked_members(tree.a, *Q1))
    names = [r[0] for r in rows]
    assert "吴六" not in names  # not on the roll
    assert set(rows[:2]) == {("赵一", 1, 5), ("钱二", 1, 5)}  # a tie shares the place
    assert set(rows[2:4]) == {("周五", 3, 2), ("孙三", 3, 2)}  # the next place is 3, and 失联 counts
    assert rows[4:] == [("李四", 5, 0)]  # zero points: ranked too
    assert all(isinstance(total, Decimal) for _, _, total in rows)


def test_ranked_members_of_the_committee_and_a_group(tree, board):
    everyone = table(selectors.ranked_members(tree.root, *Q1))
    assert everyone[0] == ("郑七", 1, 6)
    assert everyone[-1] == ("王八", len(everyone), -3)
    assert len(everyone) == 7
    group = table(selectors.ranked_members(tree.a1, *Q1))
    assert set(group) == {("赵一", 1, 5), ("钱二", 1, 5)} and len(group) == 2  # 吴六 is off the roll
    assert set(table(selectors.ranked_members(tree.a2, *Q1))) == {("周五", 1, 2), ("孙三", 1, 2)}
    assert table(selectors.ranked_members(tree.b1, *Q1)) == [("郑七", 1, 6)]


def test_ranked_members_follow_the_local_period(tree, board):
    april = table(selectors.ranked_members(tree.a, D(2026, 4, 1), D(2026, 4, 1)))
    assert april[0] == ("李四", 1, 3)
    assert {r[1] for r in april[1:]} == {2}
    last_day = dict(
        (r[0], r[2]) for r in table(selectors.ranked_members(tree.a, D(2026, 3, 31), D(2026, 3, 31)))
    )
    assert last_day["赵一"] == 2 and last_day["李四"] == 0


def test_ranked_members_is_one_query(tree, board, django_assert_num_queries):
    qs = selectors.ranked_members(tree.root, *Q1)
    with django_assert_num_queries(1):
        page = list(qs[:20])
        shown = [(m.name, m.org.name, m.group.name if m.group_id else "", m.rank, m.total) for m in page]
    assert len(shown) == 7
    with django_assert_num_queries(1):
        rows = list(qs[3:6])
    assert [m.rank for m in rows] == [m.rank for m in list(qs)[3:6]]  # ranks do not restart on a page


def test_ranked_members_paginates(tree, board, django_assert_num_queries):
    paginator = Paginator(selectors.ranked_members(tree.root, *Q1), 3)
    with django_assert_num_queries(2):  # the count, then the page
        page = paginator.page(2)
        ranks = [m.rank for m in page]
    assert paginator.count == 7 and len(ranks) == 3
    assert ranks == sorted(ranks)


def test_member_rank_matches_the_ranking(tree, board):
    for org in (tree.root, tree.a, tree.a1, tree.b):
        ranked = list(selectors.ranked_members(org, *Q1))
        for m in ranked:
            own = selectors.member_rank(m, org, *Q1)
            assert (own.rank, own.total, own.count) == (m.rank, m.total, len(ranked)), (org.name, m.name)


def test_member_rank_with_ties_and_zero(tree, board):
    assert selectors.member_rank(board["a1_tie"], tree.a, *Q1).rank == 1
    assert selectors.member_rank(board["a2_mid"], tree.a, *Q1).rank == 3
    zero = selectors.member_rank(board["a_zero"], tree.a, *Q1)
    assert (zero.rank, zero.total, zero.count) == (5, 0, 5)
    neg = selectors.member_rank(board["b_neg"], tree.root, *Q1)
    assert (neg.rank, neg.total, neg.count) == (7, -3, 7)


def test_a_ranking_with_nobody(tree):
    assert list(selectors.ranked_members(tree.b, *Q1)) == []
    alone = MemberFactory(org=tree.b)
    assert table(selectors.ranked_members(tree.b, *Q1)) == [(alone.name, 1, 0)]
    assert selectors.member_rank(alone, tree.b, *Q1).count == 1


# --- balances and breakdowns ----------------------------------------------------------------------------


def test_balance_breakdown_and_year_reference(tree, board, users):
    m = board["a1_top"]
    give(m, "learning.item", when=at(2026, 2, 1))
    give(m, "orglife.absence", when=at(2026, 2, 2))
    assert selectors.balance(m, *Q1) == DEC("2.5")
    assert selectors.balance(m, D(2026, 4, 1), D(2026, 6, 30)) == 0
    assert selectors.total_all_time(m) == DEC("2.5")
    rows = selectors.breakdown(m, *Q1)
    assert rows == [
        {"category": "learning", "total": DEC("0.5"), "count": 1, "label": "学习教育"},
        {"category": "negative", "total": DEC(-3), "count": 1, "label": "负面扣分"},
        {"category": "orglife", "total": DEC(5), "count": 2, "label": "组织生活"},
    ]
    ref = selectors.member_reference(m, 2026)
    assert ref["total"] == DEC("2.5") and "rank" not in ref  # rankings are off
    switch_on(tree.a, "points.ranking_enabled")
    # 2026 in branch A: 钱二 5, 李四 3 (April), then 赵一 2.5
    assert selectors.member_reference(m, 2026)["rank"] == selectors.OwnRank(3, DEC("2.5"), 5)
    totals = selectors.year_totals(tree.a, 2026)
    assert totals[m.pk] == DEC("2.5") and totals[board["a_zero"].pk] == 3
    assert board["a_gone"].pk not in totals


def test_ledger_is_newest_first_and_filters_by_period(tree, board, users):
    m = board["a1_top"]
    entries = list(selectors.ledger(m))
    assert [e.occurred_at for e in entries] == sorted((e.occurred_at for e in entries), reverse=True)
    assert [e.rule_code for e in selectors.ledger(m, D(2026, 1, 1), D(2026, 1, 1))] == [
        "orglife.life_meeting"
    ]
    reversal = services.reverse_entry(users.sec_a, entries[0], "录错")
    got = {e.pk: e for e in selectors.ledger(m)}
    assert got[entries[0].pk].reversed_by == reversal and got[reversal.pk].reverses == entries[0]


# --- the catalogue -------------------------------------------------------------------------------------


def test_effective_rules_origin_own_and_upcoming(tree, users):
    rows = {r.rule.code: r for r in selectors.effective_rules(tree.a)}
    assert len(rows) == len({r.code for r in Rule.objects.filter(org__isnull=True)})
    assert rows["learning.item"].origin == "系统默认" and not rows["learning.item"].own
    assert rows["learning.item"].upcoming is None

    tomorrow = today() + dt.timedelta(days=1)
    now_top = services.save_rule(users.org_admin, tree.root, "learning.item", {"points": "1"}, today())
    soon = services.save_rule(users.sec_a, tree.a, "learning.item", {"points": "2"}, tomorrow)
    rows = {r.rule.code: r for r in selectors.effective_rules(tree.a)}
    row = rows["learning.item"]
    assert (row.rule, row.origin, row.own, row.upcoming) == (now_top, "某集团党委", False, soon)
    at_root = {r.rule.code: r for r in selectors.effective_rules(tree.root)}["learning.item"]
    assert (at_root.rule, at_root.own, at_root.upcoming) == (now_top, True, None)
    later = {r.rule.code: r for r in selectors.effective_rules(tree.a, tomorrow)}["learning.item"]
    assert (later.rule, later.origin, later.own) == (soon, "第一党支部", True)
    assert {r.rule.code: r for r in selectors.effective_rules(tree.b)}["learning.item"].upcoming is None


def test_a_later_default_does_not_show_as_upcoming_where_a_branch_overrides(tree, users):
    services.save_rule(users.sec_a, tree.a, "learning.item", {"points": "2"}, today())
    default_v2 = Rule.objects.create(
        org=None,
        code="learning.item",
        version=9,
        valid_from=today() + dt.timedelta(days=30),
        name="完成学习内容",
        category="learning",
        points=DEC(1),
    )
    assert {r.rule.code: r for r in selectors.effective_rules(tree.a)}["learning.item"].upcoming is None
    assert {r.rule.code: r for r in selectors.effective_rules(tree.b)}["learning.item"].upcoming == default_v2


def test_effective_rules_inactive_and_the_pick_lists(tree, users):
    services.save_rule(users.sec_a, tree.a, "role.help", {"active": False}, today())
    codes = {r.rule.code for r in selectors.effective_rules(tree.a, include_inactive=False)}
    assert "role.help" not in codes
    assert any(r.rule.code == "role.help" and not r.rule.active for r in selectors.effective_rules(tree.a))
    manual = {r.code for r in selectors.manual_rules(tree.a)}
    assert "orglife.lecture_given" in manual and "negative.discipline" in manual
    assert not any(r.awarder == "system" for r in selectors.manual_rules(tree.a))
    assert "role.help" not in manual and "role.help" in {r.code for r in selectors.manual_rules(tree.b)}
    report = {r.code for r in selectors.self_report_rules(tree.a)}
    assert report and all(r.self_report for r in selectors.self_report_rules(tree.a))
    assert "volunteer.hours" in report and "role.help" not in report and "learning.item" not in report


def test_rule_history_lists_every_version_on_the_path(tree, users):
    services.save_rule(users.sec_a, tree.a, "learning.item", {"points": "2"}, today())
    assert [r.version for r in selectors.rule_history(tree.a, "learning.item")] == [2, 1]
    assert [r.version for r in selectors.rule_history(tree.b, "learning.item")] == [1]


# --- scope ---------------------------------------------------------------------------------------------


def test_get_member_scope_and_own_access(tree, users, board):
    m = board["a1_top"]
    assert selectors.get_member(users.sec_a, m.pk) == m
    assert selectors.get_member(users.org_admin, str(m.pk)) == m
    assert selectors.get_member(users.leader_a1, m.pk) == m  # in the leader's group
    for user, pk in (
        (users.sec_b, m.pk),
        (users.leader_a1, board["a2_mid"].pk),  # another group of the branch
        (users.member_a, m.pk),
        (users.nobody, m.pk),
        (users.sec_a, board["b_top"].pk),
        (users.sec_a, 999999),
        (users.sec_a, "abc"),
        (users.sec_a, None),
    ):
        with pytest.raises(Http404):
            selectors.get_member(user, pk)
    own = MemberFactory(org=tree.b, user=users.member_a)
    assert selectors.get_member(users.member_a, own.pk) == own
    with pytest.raises(Http404):  # seeing oneself is not managing oneself
        selectors.get_member(users.member_a, own.pk, Perm.POINTS_MANAGE)
    with pytest.raises(Http404):
        selectors.get_member(users.leader_a1, m.pk, Perm.POINTS_MANAGE)
    assert selectors.own_member(users.member_a) == own
    assert selectors.own_member(users.nobody) is None


def test_visible_members(tree, users, board):
    assert set(selectors.visible_members(users.leader_a1)) == {
        board["a1_top"],
        board["a1_tie"],
        board["a_gone"],
    }
    assert board["b_top"] not in selectors.visible_members(users.sec_a)
    assert not selectors.visible_members(users.member_a).exists()


def test_get_entry_scope_and_own_access(tree, users, board):
    own = MemberFactory(org=tree.a, user=users.member_a)
    mine = give(own).entry
    other = give(board["b_top"]).entry
    assert selectors.get_entry(users.member_a, mine.pk) == mine
    assert selectors.get_entry(users.sec_a, mine.pk) == mine
    for user, pk in ((users.member_a, other.pk), (users.sec_a, other.pk), (users.sec_b, mine.pk)):
        with pytest.raises(Http404):
            selectors.get_entry(user, pk)
    for pk in (999999, "x", None):
        with pytest.raises(Http404):
            selectors.get_entry(users.sec_a, pk)


def test_points_orgs_and_get_org(tree, users):
    assert list(selectors.points_orgs(users.sec_a)) == [tree.a, tree.a1, tree.a2]
    assert list(selectors.points_orgs(users.leader_a1)) == [tree.a1]
    assert not selectors.points_orgs(users.member_a).exists()
    assert selectors.get_org(users.sec_a, tree.a.pk) == tree.a
    with pytest.raises(Http404):
        selectors.get_org(users.sec_a, tree.b.pk)
    with pytest.raises(Http404):
        selectors.get_org(users.member_a, tree.a.pk)
    with pytest.raises(Http404):
        selectors.get_org(users.committee_a, tree.a.pk, Perm.POINTS_RULES)
    with pytest.raises(Http404):
        selectors.get_org(users.sec_a, "x")


# --- queues --------------------------------------------------------------------------------------------


def _claim(user):
    return services.self_report(
        user, "role.help", occurred_at=days_ago(1), reason="帮扶", request_key=key(), evidence="记录"
    )


def test_claims_and_appeals_are_scoped(tree, users):
    mine = MemberFactory(org=tree.a, user=users.member_a)
    b_user = UserFactory()
    b_member = MemberFactory(org=tree.b, user=b_user)
    claim_a = _claim(users.member_a)
    claim_b = _claim(b_user)
    assert list(selectors.claims(users.sec_a)) == [claim_a]
    assert list(selectors.claims(users.sec_b)) == [claim_b]
    assert list(selectors.claims(users.org_admin)) == [claim_a, claim_b]  # oldest first
    assert not selectors.claims(users.leader_a1).exists() and not selectors.claims(users.member_a).exists()
    assert selectors.queue_counts(users.sec_a) == {"claims": 1, "appeals": 0}

    assert selectors.get_claim(users.sec_a, claim_a.pk) == claim_a
    with pytest.raises(Http404):
        selectors.get_claim(users.sec_a, claim_b.pk)
    with pytest.raises(Http404):
        selectors.get_claim(users.member_a, claim_a.pk)  # the queue is for officers
    assert selectors.get_claim(users.member_a, claim_a.pk, manage=False) == claim_a
    with pytest.raises(Http404):
        selectors.get_claim(users.member_a, claim_b.pk, manage=False)
    assert list(selectors.my_claims(users.member_a)) == [claim_a]

    services.approve_claim(users.sec_a, claim_a)
    assert not selectors.claims(users.sec_a).exists()
    assert list(selectors.claims(users.sec_a, ClaimStatus.APPROVED)) == [claim_a]
    assert list(selectors.claims(users.org_admin, None)) == [claim_b, claim_a]  # newest first

    appeal_a = services.file_appeal(users.member_a, give(mine).entry, "有误")
    appeal_b = services.file_appeal(b_user, give(b_member).entry, "有误")
    assert list(selectors.appeals(users.sec_a)) == [appeal_a]
    assert list(selectors.appeals(users.org_admin)) == [appeal_a, appeal_b]
    assert selectors.queue_counts(users.sec_b) == {"claims": 1, "appeals": 1}
    assert selectors.get_appeal(users.sec_a, appeal_a.pk) == appeal_a
    with pytest.raises(Http404):
        selectors.get_appeal(users.sec_a, appeal_b.pk)
    with pytest.raises(Http404):
        selectors.get_appeal(users.member_a, appeal_a.pk)
    assert selectors.get_appeal(users.member_a, appeal_a.pk, manage=False) == appeal_a
    assert list(selectors.my_appeals(users.member_a)) == [appeal_a]
    services.resolve_appeal(users.sec_a, appeal_a, "uphold", "维持")
    assert list(selectors.appeals(users.sec_a, AppealStatus.UPHELD)) == [appeal_a]
    assert not selectors.appeals(users.sec_a).exists()


# --- published rankings --------------------------------------------------------------------------------


def test_visible_snapshots(tree, users, board):
    switch_on(tree.root, "points.publish_enabled")
    snap_a = services.publish_snapshot(users.sec_a, tree.a, "quarter", *Q1)
    snap_root = services.publish_snapshot(users.org_admin, tree.root, "quarter", *Q1)
    snap_b = services.publish_snapshot(users.sec_b, tree.b, "quarter", *Q1)
    snap_group = services.publish_snapshot(users.sec_a, tree.a2, "quarter", *Q1)

    def seen(user):
        return set(selectors.visible_snapshots(user))

    assert seen(users.org_admin) == {snap_a, snap_root, snap_b, snap_group}
    assert seen(users.sec_a) == {snap_a, snap_group}
    assert seen(users.leader_a1) == set()
    # a member reads what their branch, the orgs above it and their own group published
    member_user = UserFactory()
    MemberFactory(org=tree.a, group=tree.a1, user=member_user)
    assert seen(member_user) == {snap_a, snap_root}
    a2_user = UserFactory()
    MemberFactory(org=tree.a, group=tree.a2, user=a2_user)
    assert seen(a2_user) == {snap_a, snap_root, snap_group}
    assert seen(users.nobody) == set()
    assert selectors.get_snapshot(member_user, snap_a.pk) == snap_a
    with pytest.raises(Http404):
        selectors.get_snapshot(member_user, snap_b.pk)
    with pytest.raises(Http404):
        selectors.get_snapshot(member_user, "x")
    officer_b = UserFactory()
    grant(officer_b, tree.b, Role.COMMITTEE)
    assert seen(officer_b) == {snap_b}
