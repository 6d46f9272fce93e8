"""Org reads: scoped lists, subtree counts (one query, not a loop), committee view, setup advice."""

import datetime as dt

import pytest
from django.http import Http404

from tests.factories import MemberFactory, make_org, members
from zhibu.core.access import Perm
from zhibu.members.models import Category, MemberStatus
from zhibu.orgs import selectors, services
from zhibu.orgs.models import Organization

pytestmark = pytest.mark.django_db

D = dt.date


def fresh(org):
    return Organization.objects.get(pk=org.pk)


@pytest.fixture
def roll(tree):
    """A: 3 full + 1 probationary (2 in A1) + 1 transferred; B: 2 full (1 in B1) + 1 deceased."""
    members(tree.a, 2, group=tree.a1)
    MemberFactory(org=tree.a)
    MemberFactory(org=tree.a, category=Category.PROBATIONARY)
    MemberFactory(org=tree.a, status=MemberStatus.TRANSFERRED)
    MemberFactory(org=tree.b, group=tree.b1)
    MemberFactory(org=tree.b, status=MemberStatus.MOBILE)
    MemberFactory(org=tree.b, status=MemberStatus.DECEASED)
    return tree


def test_children_with_counts_counts_whole_subtrees(roll):
    tree = roll
    (general,) = selectors.children_with_counts(fresh(tree.root))
    assert (general.pk, general.member_count, general.full_count) == (tree.general.pk, 6, 5)
    kids = {c.pk: (c.member_count, c.full_count) for c in selectors.children_with_counts(fresh(tree.general))}
    assert kids == {tree.a.pk: (4, 3), tree.b.pk: (2, 2)}
    assert selectors.member_counts(fresh(tree.root)) == (6, 5)
    assert selectors.member_counts(fresh(tree.a)) == (4, 3)


def test_group_counts_follow_group_membership(roll):
    tree = roll
    kids = {c.pk: (c.member_count, c.full_count) for c in selectors.children_with_counts(fresh(tree.a))}
    assert kids == {tree.a1.pk: (2, 2), tree.a2.pk: (0, 0)}
    assert selectors.member_counts(fresh(tree.a1)) == (2, 2)
    annotated = selectors.annotate_counts([fresh(tree.a1), fresh(tree.b1), fresh(tree.a), fresh(tree.root)])
    assert [(o.member_count, o.full_count) for o in annotated] == [(2, 2), (1, 1), (4, 3), (6, 5)]


def test_children_with_counts_hides_dissolved_unless_asked(roll, users):
    tree = roll
    services.dissolve_org(users.org_admin, tree.a2, dissolved_on=D(2024, 1, 1), reason="合并")
    assert [c.pk for c in selectors.children_with_counts(fresh(tree.a))] == [tree.a1.pk]
    assert {c.pk for c in selectors.children_with_counts(fresh(tree.a), include_dissolved=True)} == {
        tree.a1.pk,
        tree.a2.pk,
    }


def test_children_with_counts_query_count_does_not_grow(tree, django_assert_num_queries):
    members(tree.b, 3)
    general = fresh(tree.general)
    with django_assert_num_queries(2):
        assert len(selectors.children_with_counts(general)) == 2
    for i in range(10):
        branch = make_org(tree.general, "branch", code=f"R-G-X{i:02d}")
        members(branch, 2)
    general = fresh(tree.general)
    with django_assert_num_queries(2):
        kids = selectors.children_with_counts(general)
    assert len(kids) == 12
    assert sum(k.member_count for k in kids) == 23


def test_committee_view_query_count_does_not_grow(tree, users, django_assert_num_queries):
    term = services.start_term(users.org_admin, tree.a, started_on=D(2024, 1, 1))
    a = fresh(tree.a)
    with django_assert_num_queries(3):
        assert len(selectors.committee_view(a).seats) == 4
    for seat in term.seats.all():
        services.assign_holder(
            users.org_admin, seat, member=MemberFactory(org=tree.a), started_on=D(2024, 1, 2)
        )
    for _ in range(4):
        services.add_seat(users.org_admin, term, position="other")
    with django_assert_num_queries(3):
        view = selectors.committee_view(a)
        names = [s.holder.member.name for s in view.seats if s.holder]  # holders come prefetched
    assert len(view.seats) == 8 and len(names) == 4


def test_committee_view_without_term_is_one_query(tree, django_assert_num_queries):
    a = fresh(tree.a)
    with django_assert_num_queries(1):
        view = selectors.committee_view(a)
    assert view.term is None and view.seats == [] and view.flag == "none"


# --- setup advice from real counts --------------------------------------------------------------------


def messages(org):
    return " | ".join(a.message for a in selectors.setup_advice(fresh(org)))


def test_setup_advice_small_branch(tree):
    branch = make_org(tree.general, "branch", code="R-G-S")
    members(branch, 2)
    MemberFactory(org=branch, category=Category.PROBATIONARY)
    assert "正式党员2人，不足3人" in messages(branch)


def test_setup_advice_committee_needed_then_satisfied(tree, users):
    members(tree.b, 7)
    assert "应设立支部委员会" in messages(tree.b)
    services.start_term(users.org_admin, tree.b, started_on=D(2024, 1, 1))
    assert "应设立支部委员会" not in messages(tree.b)


def test_setup_advice_secretary_only_term_still_needs_committee(tree, users):
    members(tree.b, 7)
    services.start_term(users.org_admin, tree.b, started_on=D(2024, 1, 1), kind="secretary_only")
    assert "应设立支部委员会" in messages(tree.b)


def test_setup_advice_committee_too_big_for_six(tree, users):
    members(tree.b, 6)
    services.start_term(users.org_admin, tree.b, started_on=D(2024, 1, 1))
    assert "不足7人：一般不设支部委员会" in messages(tree.b)


def test_setup_advice_groups_and_small_groups(tree, users):
    branch = make_org(tree.general, "branch", code="R-G-L")
    members(branch, 20)
    assert "宜划分党小组" in messages(branch)
    g1 = make_org(branch, "group", code="R-G-L-1")
    g2 = make_org(branch, "group", code="R-G-L-2")
    for member in branch.members.all()[:3]:
        member.group = g1
        member.save()
    MemberFactory(org=branch, group=g2)
    text = messages(branch)
    assert "宜划分党小组" not in text
    assert "1个党小组不足3人" in text


def test_setup_advice_branch_over_50(tree):
    members(tree.b, 51, category=Category.PROBATIONARY)
    assert "党员51人，超过50人" in messages(tree.b)


def test_setup_advice_general_branch_and_committee(roll):
    tree = roll
    assert "党员6人，不足50人" in messages(tree.general)
    assert "党员6人，不足100人" in messages(tree.root)
    assert messages(tree.a1) == ""


# --- scoped reads -------------------------------------------------------------------------------------


def test_visible_orgs_and_get_org(tree, users):
    ids = set(selectors.visible_orgs(users.sec_a).values_list("pk", flat=True))
    assert ids == {tree.a.pk, tree.a1.pk, tree.a2.pk}
    assert selectors.visible_orgs(users.nobody).count() == 0
    assert selectors.visible_orgs(users.org_admin).count() == 7
    assert selectors.get_org(users.sec_a, tree.a1.pk) == tree.a1
    for bad in (tree.b.pk, tree.general.pk, 999999, "x", None):
        with pytest.raises(Http404):
            selectors.get_org(users.sec_a, bad)
    assert [o.pk for o in selectors.scope_roots(users.leader_a1)] == [tree.a1.pk]
    assert [o.pk for o in selectors.scope_roots(users.org_admin)] == [tree.root.pk]
    assert selectors.visible_orgs(users.sec_a, Perm.ORG_MANAGE).count() == 0


def test_search_is_scoped(tree, users):
    assert {o.pk for o in selectors.search_orgs(users.sec_a, "党小组")} == {tree.a1.pk, tree.a2.pk}
    assert {o.pk for o in selectors.search_orgs(users.org_admin, "党小组")} == {
        tree.a1.pk,
        tree.a2.pk,
        tree.b1.pk,
    }
    assert selectors.search_orgs(users.sec_a, "R-G-B") == []


def test_members_for_seat(roll):
    tree = roll
    names = {m.pk for m in selectors.members_for_seat(fresh(tree.a))}
    assert len(names) == 3  # full members on the roll only
