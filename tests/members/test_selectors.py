"""members.selectors: scope, roster filters and sorting, statistics by aggregates, timeline."""

import datetime as dt

import pytest
from django.http import Http404

from tests.factories import MemberFactory
from zhibu.core import access
from zhibu.members import selectors, services
from zhibu.members.models import Category, MemberStatus

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 1)


def names(qs) -> list[str]:
    return [m.name for m in qs]


@pytest.fixture
def people(tree):
    """Branch A: five on the roll in different shapes, two off it; branch B: one."""
    return {
        "young": MemberFactory(
            org=tree.a,
            group=tree.a1,
            name="甲",
            birth_date=dt.date(1996, 3, 1),  # 30 on TODAY: the band's upper edge
            education="bachelor",
            joined_on=dt.date(2018, 7, 1),
            converted_on=dt.date(2019, 7, 1),
            mobile="13800000001",
        ),
        "thirty_one": MemberFactory(
            org=tree.a,
            group=tree.a2,
            name="乙",
            birth_date=dt.date(1995, 3, 1),  # 31 on TODAY
            gender="female",
            education="postgraduate",
            joined_on=dt.date(2020, 1, 1),
            category=Category.PROBATIONARY,
            hardship=True,
        ),
        "old": MemberFactory(
            org=tree.a,
            name="丙",
            birth_date=dt.date(1950, 1, 1),
            joined_on=dt.date(1970, 1, 1),
            converted_on=dt.date(1971, 1, 1),
            veteran=True,
            ethnicity="03",
        ),
        "mobile": MemberFactory(
            org=tree.a,
            name="丁",
            status=MemberStatus.MOBILE,
            birth_date=dt.date(1980, 5, 5),
            mobile_since=TODAY,
        ),
        "lost": MemberFactory(
            org=tree.a,
            name="戊",
            status=MemberStatus.LOST,
            birth_date=dt.date(1970, 5, 5),
            under_party_probation=True,
        ),
        "left": MemberFactory(org=tree.a, name="己", status=MemberStatus.LEFT),
        "dead": MemberFactory(org=tree.a, name="庚", status=MemberStatus.DECEASED),
        "b": MemberFactory(org=tree.b, group=tree.b1, name="辛"),
    }


def test_visible_members_follow_the_scope(tree, users, people):
    assert set(selectors.visible_members(users.sec_a)) == {m for k, m in people.items() if k != "b"}
    assert set(selectors.visible_members(users.sec_b)) == {people["b"]}
    assert selectors.visible_members(users.org_admin).count() == len(people)
    # a group leader sees the members of their 党小组 (registered at the branch with `group` set)
    assert set(selectors.visible_members(users.leader_a1)) == {people["young"]}
    for nobody in (users.member_a, users.nobody, users.sysadmin, users.auditor):
        assert not selectors.visible_members(nobody).exists()


def test_get_member_404_out_of_scope(users, people):
    assert selectors.get_member(users.sec_a, people["young"].pk) == people["young"]
    for user, key in [
        (users.sec_b, "young"),
        (users.member_a, "young"),
        (users.leader_a1, "old"),
        (users.sec_a, "b"),
    ]:
        with pytest.raises(Http404):
            selectors.get_member(user, people[key].pk)
    with pytest.raises(Http404):
        selectors.get_member(users.sec_a, "abc")


def test_roster_defaults_to_members_on_the_roll_sorted_by_name(tree, users, people):
    roll = selectors.roster(users.sec_a, today=TODAY)
    assert set(roll) == {people[k] for k in ("young", "thirty_one", "old", "mobile", "lost")}
    assert names(roll) == sorted(names(roll))
    assert selectors.roster(users.sec_a, status="all").count() == 7
    assert names(selectors.roster(users.sec_a, status="left")) == ["己"]
    assert selectors.roster(users.sec_a, status="nonsense").count() == 5  # unknown: the default


def test_roster_for_a_committee_spans_the_tree_and_narrows_by_org(tree, users, people):
    assert selectors.roster(users.org_admin).count() == 6
    assert selectors.roster(users.org_admin, org=tree.b).count() == 1
    assert names(selectors.roster(users.org_admin, org=tree.a1)) == ["甲"]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"category": "probationary"}, {"乙"}),
        ({"category": "full"}, {"甲", "丙", "丁", "戊"}),
        ({"age_band": "le30"}, {"甲"}),
        ({"age_band": "31_40"}, {"乙"}),
        ({"age_band": "41_50"}, {"丁"}),
        ({"age_band": "51_60"}, {"戊"}),
        ({"age_band": "gt70"}, {"丙"}),
        ({"education": "postgraduate"}, {"乙"}),
        ({"education": "none"}, {"丙", "丁", "戊"}),
        ({"flags": ["hardship"]}, {"乙"}),
        ({"flags": ["veteran"]}, {"丙"}),
        ({"flags": ["mobile"]}, {"丁"}),
        ({"flags": ["lost"]}, {"戊"}),
        ({"flags": ["probation"]}, {"戊"}),
        ({"flags": ["lost", "veteran"]}, set()),
        ({"q": "丙"}, {"丙"}),
        ({"q": "13800000001"}, {"甲"}),
    ],
)
def test_roster_filters(tree, users, people, kwargs, expected):
    assert set(names(selectors.roster(users.sec_a, today=TODAY, **kwargs))) == expected


def test_roster_group_filter_and_id_suffix(tree, users, people):
    assert names(selectors.roster(users.sec_a, group=tree.a2)) == ["乙"]
    suffix = people["old"].id_number[-6:]
    assert "丙" in names(selectors.roster(users.sec_a, q=suffix))


def test_roster_sorting(tree, users, people):
    by_birth = names(selectors.roster(users.sec_a, sort="birth_date"))
    assert by_birth[0] == "丙" and by_birth[-1] == "甲"
    assert names(selectors.roster(users.sec_a, sort="-birth_date"))[0] == "甲"
    assert names(selectors.roster(users.sec_a, sort="-joined_on"))[0] == "乙"
    assert names(selectors.roster(users.org_admin, sort="org"))[-1] == "辛"
    assert names(selectors.roster(users.sec_a, sort="bogus")) == names(selectors.roster(users.sec_a))


def rows(data, dimension) -> dict:
    return {row["key"]: row["value"] for row in data[dimension]}


def test_stats_numbers(tree, users, people, django_assert_max_num_queries):
    access.roots(users.sec_a)  # load the user's roles once, as every request does
    with django_assert_max_num_queries(7):  # one aggregate query per dimension
        data = selectors.stats(users.sec_a, tree.a, today=TODAY)
    assert data["total"] == 5 and data["all_records"] == 7
    assert rows(data, "status") == {
        "normal": 3,
        "mobile": 1,
        "lost": 1,
        "suspended": 0,
        "left": 1,
        "deceased": 1,
        "transferred": 0,
    }
    assert rows(data, "gender") == {"male": 4, "female": 1}
    assert rows(data, "category") == {"full": 4, "probationary": 1}
    assert rows(data, "age") == {"le30": 1, "31_40": 1, "41_50": 1, "51_60": 1, "61_70": 0, "gt70": 1}
    assert rows(data, "education")["bachelor"] == 1 and rows(data, "education")["none"] == 3
    assert rows(data, "ethnicity") == {"01": 4, "03": 1}
    # full members: 甲 converted 2019 (6 years), 丙 1971 (55), 丁 and 戊 2011 (factory: 14)
    assert rows(data, "standing") == {"lt5": 0, "5_10": 1, "10_20": 2, "20_30": 0, "30_50": 0, "ge50": 1}
    assert [r["label"] for r in data["status"]][:3] == ["正常", "流动", "失联"]


def test_stats_scope(tree, users, people):
    assert selectors.stats(users.sec_b, None, today=TODAY)["total"] == 1
    assert selectors.stats(users.org_admin, tree.general, today=TODAY)["total"] == 6
    assert selectors.stats(users.member_a, None, today=TODAY)["total"] == 0


def test_stats_groups_rare_ethnicities_as_other(tree, users):
    for code in ("01", "01", "02", "03", "04", "05", "06", "07"):
        MemberFactory(org=tree.a, ethnicity=code)
    data = selectors.stats(users.sec_a, tree.a, today=TODAY)
    eth = data["ethnicity"]
    assert eth[0] == {"key": "01", "label": "汉族", "value": 2}
    assert len(eth) == 6 and eth[-1] == {"key": "other", "label": "其他", "value": 2}


def test_timeline_newest_first_with_recorder(tree, users, people):
    person = people["young"]
    services.change_status(users.sec_a, person, status="lost", on=dt.date(2025, 1, 1), reason="失联")
    services.change_post(users.sec_a, person, party_posts="宣传委员", on=dt.date(2025, 6, 1))
    events = list(selectors.timeline(person))
    assert [e.kind for e in events] == ["post", "status"]
    assert events[0].recorded_by == users.sec_a
