"""Committees: terms (届), seats, holders; defaults from the rules; history, not overwrites."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from tests.factories import MemberFactory, make_org
from zhibu.core.errors import ValidationError
from zhibu.core.models import AuditAction, AuditLog
from zhibu.members.models import Category, MemberStatus
from zhibu.orgs import selectors, services
from zhibu.orgs.models import CommitteeSeat, CommitteeTerm, Position, SeatHolding

pytestmark = pytest.mark.django_db

D = dt.date
START = D(2024, 2, 29)


def counts():
    return (
        CommitteeTerm.objects.count(),
        CommitteeSeat.objects.count(),
        SeatHolding.objects.count(),
        AuditLog.objects.count(),
    )


@pytest.mark.parametrize(
    "org_key,sector,expected_end",
    [
        ("a", "other", D(2027, 2, 28)),  # 支部: 3 years (29 Feb → 28 Feb)
        ("general", "other", D(2027, 2, 28)),  # 总支: 3 years
        ("root", "enterprise", D(2029, 2, 28)),  # 基层党委: 5 years
        ("a", "village", D(2029, 2, 28)),  # village branch: 5 years
        ("a", "community", D(2029, 2, 28)),  # community branch: 5 years
    ],
)
def test_start_term_default_end(tree, users, org_key, sector, expected_end):
    org = getattr(tree, org_key)
    if sector != org.sector:
        services.update_org(users.org_admin, org, sector=sector)
    term = services.start_term(users.org_admin, org, started_on=START)
    assert (term.number, term.started_on, term.ends_on, term.ended_on) == (1, START, expected_end, None)
    assert [s.position for s in term.seats.order_by("order")] == [
        Position.SECRETARY,
        Position.ORGANIZATION,
        Position.PUBLICITY,
        Position.DISCIPLINE,
    ]
    entry = AuditLog.objects.latest("id")
    assert (entry.action, entry.org_id, entry.object_type) == (
        AuditAction.CREATE,
        org.pk,
        "orgs.committeeterm",
    )
    assert entry.after["ends_on"] == expected_end.isoformat()


def test_secretary_only_term_and_explicit_positions(tree, users):
    term = services.start_term(users.org_admin, tree.b, started_on=START, kind="secretary_only")
    assert [s.position for s in term.seats.all()] == [Position.SECRETARY]
    term = services.start_term(
        users.org_admin, tree.a, started_on=START, ends_on=D(2026, 12, 31), positions=["secretary", "deputy"]
    )
    assert term.ends_on == D(2026, 12, 31)
    assert [s.position for s in term.seats.order_by("order")] == ["secretary", "deputy"]


@pytest.mark.parametrize(
    "kwargs,field,message",
    [
        ({"ends_on": START}, "ends_on", "任期届满日期必须晚于任期开始日期"),
        ({"ends_on": D(2023, 1, 1)}, "ends_on", "任期届满日期必须晚于任期开始日期"),
        ({"kind": "council"}, "kind", "委员会形式无效"),
        ({"started_on": D(2999, 1, 1)}, "started_on", "选举日期不能晚于今天"),
        ({"positions": ["secretary", "king"]}, "positions", "职务无效"),
    ],
)
def test_start_term_bad_input_changes_nothing(tree, users, kwargs, field, message):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.start_term(users.org_admin, tree.a, **{"started_on": START, **kwargs})
    assert exc.value.message_dict == {field: [message]}
    assert counts() == before


def test_groups_have_no_committee(tree, users):
    with pytest.raises(ValidationError, match="党小组不设委员会"):
        services.start_term(users.org_admin, tree.a1, started_on=START)


def test_start_term_permissions(tree, users):
    services.start_term(users.sec_a, tree.a, started_on=START)  # secretary: committee.manage in A
    with pytest.raises(Http404):
        services.start_term(users.sec_a, tree.b, started_on=START)
    with pytest.raises(PermissionDenied):
        services.start_term(users.committee_a, tree.a, started_on=START)
    with pytest.raises(PermissionDenied):
        services.start_term(users.auditor, tree.a, started_on=START)


def _term_with_holders(tree, users):
    term = services.start_term(users.org_admin, tree.a, started_on=D(2021, 3, 1))
    seats = list(term.seats.order_by("order"))
    people = [MemberFactory(org=tree.a, name=f"委员{i}") for i in range(3)]
    holdings = [
        services.assign_holder(users.org_admin, seat, member=person, started_on=D(2021, 3, 1))
        for seat, person in zip(seats[:3], people, strict=True)
    ]
    return term, seats, people, holdings


def test_new_term_ends_the_old_one_and_keeps_history(tree, users):
    old, _, _, holdings = _term_with_holders(tree, users)
    services.end_holding(users.org_admin, holdings[2], ended_on=D(2022, 5, 1), reason="调离")
    new = services.start_term(users.org_admin, tree.a, started_on=D(2024, 3, 1))
    old.refresh_from_db()
    assert (new.number, new.ended_on) == (2, None)
    assert old.ended_on == D(2024, 3, 1) and not old.is_current
    ended = {h.pk: h for h in SeatHolding.objects.filter(seat__term=old)}
    assert len(ended) == 3  # nothing deleted
    assert all(ended[h.pk].ended_on is not None for h in holdings)
    assert (ended[holdings[0].pk].ended_on, ended[holdings[0].pk].end_reason) == (D(2024, 3, 1), "换届")
    assert (ended[holdings[2].pk].ended_on, ended[holdings[2].pk].end_reason) == (D(2022, 5, 1), "调离")
    assert CommitteeSeat.objects.filter(term=old).count() == 4
    history = list(selectors.term_history(tree.a))
    assert [t.number for t in history] == [2, 1]
    view = selectors.committee_view(tree.a, today=D(2024, 3, 11))
    assert view.term == new
    assert all(
        s.holder is None and s.vacant_since == D(2024, 3, 1) and s.vacant_days == 10 for s in view.seats
    )


def test_new_term_cannot_start_before_the_current_one(tree, users):
    services.start_term(users.org_admin, tree.a, started_on=D(2023, 3, 1))
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.start_term(users.org_admin, tree.a, started_on=D(2023, 2, 28))
    assert exc.value.message_dict == {"started_on": ["新一届的选举日期不能早于上一届的开始日期"]}
    assert counts() == before


def test_new_term_before_a_current_holding_started_is_refused_cleanly(tree, users):
    term = services.start_term(users.org_admin, tree.a, started_on=D(2021, 3, 1))
    person = MemberFactory(org=tree.a)
    seat = term.seats.first()
    services.assign_holder(users.org_admin, seat, member=person, started_on=D(2023, 6, 1))
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.start_term(users.org_admin, tree.a, started_on=D(2023, 5, 1))
    assert exc.value.message_dict == {"started_on": ["新一届的选举日期不能早于现任委员的任职日期"]}
    assert counts() == before


def test_assign_holder_records_and_audits(tree, users):
    term = services.start_term(users.org_admin, tree.a, started_on=START)
    seat = term.seats.get(position=Position.SECRETARY)
    person = MemberFactory(org=tree.a, group=tree.a1, name="张三")
    holding = services.assign_holder(users.sec_a, seat, member=person, started_on=D(2024, 3, 5))
    assert (holding.member, holding.started_on, holding.ended_on, holding.recorded_by) == (
        person,
        D(2024, 3, 5),
        None,
        users.sec_a,
    )
    entry = AuditLog.objects.latest("id")
    assert (entry.action, entry.summary, entry.org_id) == (AuditAction.CREATE, "张三任书记", tree.a.pk)
    assert entry.after["member"] == person.pk


def _assign_error(users, seat, member, started_on=None):
    started_on = started_on or D(2024, 3, 5)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.assign_holder(users.org_admin, seat, member=member, started_on=started_on)
    assert counts() == before
    return exc.value.message_dict


def test_assign_holder_refusals(tree, users):
    term = services.start_term(users.org_admin, tree.a, started_on=START)
    secretary, organization = term.seats.order_by("order")[:2]
    prob = MemberFactory(org=tree.a, category=Category.PROBATIONARY)
    other_branch = MemberFactory(org=tree.b)
    transferred = MemberFactory(org=tree.a, status=MemberStatus.TRANSFERRED)
    first, second = MemberFactory(org=tree.a), MemberFactory(org=tree.a)

    assert _assign_error(users, secretary, prob) == {"member": ["预备党员不能担任委员会职务"]}
    assert _assign_error(users, secretary, other_branch) == {"member": ["只能由本组织的在册党员任职"]}
    assert _assign_error(users, secretary, transferred) == {"member": ["只能由本组织的在册党员任职"]}
    assert _assign_error(users, secretary, first, D(2024, 2, 28)) == {
        "started_on": ["任职日期不能早于本届任期开始日期"]
    }
    assert _assign_error(users, secretary, first, D(2999, 1, 1)) == {"started_on": ["任职日期不能晚于今天"]}

    services.assign_holder(users.org_admin, secretary, member=first, started_on=D(2024, 3, 5))
    assert _assign_error(users, secretary, second) == {"seat": ["该职位已有在任人员，请先办理离任"]}
    assert _assign_error(users, organization, first) == {"member": [f"{first.name}已在本届委员会任职"]}


def test_holders_of_a_general_branch_may_come_from_its_branches(tree, users):
    term = services.start_term(users.org_admin, tree.general, started_on=START)
    person = MemberFactory(org=tree.b)
    holding = services.assign_holder(users.org_admin, term.seats.first(), member=person, started_on=START)
    assert holding.member == person


def test_old_terms_are_frozen(tree, users):
    old, seats, people, _ = _term_with_holders(tree, users)
    services.start_term(users.org_admin, tree.a, started_on=D(2024, 3, 1))
    with pytest.raises(ValidationError, match="往届委员会的任职不能再变更"):
        services.assign_holder(users.org_admin, seats[3], member=people[0], started_on=D(2024, 3, 1))
    with pytest.raises(ValidationError, match="往届委员会不能再增设职位"):
        services.add_seat(users.org_admin, old, position=Position.DEPUTY)


def test_end_holding_makes_the_seat_vacant(tree, users):
    _, seats, people, holdings = _term_with_holders(tree, users)
    ended = services.end_holding(users.org_admin, holdings[1], ended_on=D(2024, 6, 30), reason=" 退休 ")
    assert (ended.ended_on, ended.end_reason) == (D(2024, 6, 30), "退休")
    entry = AuditLog.objects.latest("id")
    assert entry.action == AuditAction.UPDATE
    assert entry.before["ended_on"] is None and entry.after["ended_on"] == "2024-06-30"
    assert entry.summary == f"{people[1].name}离任组织委员"

    view = selectors.committee_view(tree.a, today=D(2024, 7, 10))
    by_position = {s.seat.position: s for s in view.seats}
    assert by_position["secretary"].holder == holdings[0] and by_position["secretary"].vacant_since is None
    assert by_position["organization"].holder is None
    assert (by_position["organization"].vacant_since, by_position["organization"].vacant_days) == (
        D(2024, 6, 30),
        10,
    )
    # never filled: vacant since the term started
    assert (by_position["discipline"].vacant_since, by_position["discipline"].vacant_days) == (
        D(2021, 3, 1),
        (D(2024, 7, 10) - D(2021, 3, 1)).days,
    )
    assert [s.seat.position for s in view.vacancies] == ["organization", "discipline"]

    # the seat can be filled again; history keeps both holdings
    services.assign_holder(users.org_admin, seats[1], member=people[1], started_on=D(2024, 7, 1))
    assert SeatHolding.objects.filter(seat=seats[1]).count() == 2


def test_end_holding_refusals(tree, users):
    *_, holdings = _term_with_holders(tree, users)
    before = counts()
    with pytest.raises(ValidationError, match="离任日期不能早于任职日期"):
        services.end_holding(users.org_admin, holdings[0], ended_on=D(2021, 2, 28), reason="调离")
    with pytest.raises(ValidationError, match="请填写离任原因"):
        services.end_holding(users.org_admin, holdings[0], ended_on=D(2022, 1, 1), reason=" ")
    with pytest.raises(ValidationError, match="离任日期不能晚于今天"):
        services.end_holding(users.org_admin, holdings[0], ended_on=D(2999, 1, 1), reason="调离")
    assert counts() == before
    services.end_holding(users.org_admin, holdings[0], ended_on=D(2022, 1, 1), reason="调离")
    with pytest.raises(ValidationError, match="该任职已经结束"):
        services.end_holding(users.org_admin, holdings[0], ended_on=D(2022, 1, 2), reason="调离")


def test_committee_view_flags_and_days_left(tree, users):
    assert selectors.committee_view(tree.a).term is None
    assert selectors.committee_view(tree.a).flag == "none"
    term = services.start_term(users.org_admin, tree.a, started_on=D(2023, 9, 30))  # ends 2026-09-30
    assert term.ends_on == D(2026, 9, 30)
    cases = [(D(2026, 3, 29), "ok"), (D(2026, 3, 30), "ending_soon"), (D(2026, 9, 30), "ending_soon")]
    cases.append((D(2026, 10, 1), "overdue"))
    for today, flag in cases:
        view = selectors.committee_view(tree.a, today=today)
        assert view.flag == flag
        assert view.days_left == (D(2026, 9, 30) - today).days


def test_update_term_end(tree, users):
    term = services.start_term(users.org_admin, tree.a, started_on=START)
    services.update_term_end(users.org_admin, term, ends_on=D(2028, 2, 28))
    term.refresh_from_db()
    assert term.ends_on == D(2028, 2, 28)
    entry = AuditLog.objects.latest("id")
    assert (entry.before["ends_on"], entry.after["ends_on"]) == ("2027-02-28", "2028-02-28")
    with pytest.raises(ValidationError, match="任期届满日期必须晚于任期开始日期"):
        services.update_term_end(users.org_admin, term, ends_on=START)
    term.refresh_from_db()
    assert term.ends_on == D(2028, 2, 28)


def test_add_seat_rules(tree, users):
    term = services.start_term(users.org_admin, tree.a, started_on=START)
    seat = services.add_seat(users.org_admin, term, position=Position.DEPUTY, title="专职副书记")
    assert seat.display_title == "专职副书记" and seat.order == 4
    with pytest.raises(ValidationError, match="每届只设一名书记"):
        services.add_seat(users.org_admin, term, position=Position.SECRETARY)
    only = services.start_term(users.org_admin, tree.b, started_on=START, kind="secretary_only")
    services.add_seat(users.org_admin, only, position=Position.DEPUTY)
    with pytest.raises(ValidationError, match="不设委员会的组织只设书记和副书记"):
        services.add_seat(users.org_admin, only, position=Position.PUBLICITY)


def test_terms_due_is_scoped(tree, users):
    today = timezone.localdate()
    services.start_term(
        users.org_admin, tree.a, started_on=D(2021, 1, 1), ends_on=today + dt.timedelta(days=30)
    )
    services.start_term(
        users.org_admin, tree.b, started_on=D(2021, 1, 1), ends_on=today - dt.timedelta(days=1)
    )
    far = make_org(tree.general, "branch", code="R-G-Z")
    services.start_term(
        users.org_admin, far, started_on=D(2024, 1, 1), ends_on=today + dt.timedelta(days=400)
    )
    assert {t.org_id for t in selectors.terms_due(users.org_admin)} == {tree.a.pk, tree.b.pk}
    assert {t.org_id for t in selectors.terms_due(users.sec_a)} == {tree.a.pk}
    assert selectors.terms_due(users.nobody) == []
