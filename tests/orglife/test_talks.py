"""谈心谈话: who may record a talk (either party, or an officer with orglife.manage; never a bystander),
both parties members of the branch, no future dates; privacy of the notes (the parties and the
secretary read them; a 支委 sees that the talk happened but not its notes; the audit log never carries
them); the coverage matrix and its totals; the pages, and a constant number of queries on the matrix."""

import datetime as dt
import itertools

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import MemberFactory, UserFactory, grant
from tests.orglife.meetings import build_roster
from zhibu.accounts.models import Role
from zhibu.core.errors import ValidationError
from zhibu.core.models import AuditLog
from zhibu.orglife import talks
from zhibu.orglife.models import Talk
from zhibu.orgs import services as org_services

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
YEAR = TODAY.year
NOTES = "谈到工作压力和家庭困难，支部将协调帮扶"


def url(name, *args):
    return reverse(f"orglife:{name}", args=args)


def messages_of(exc) -> str:
    return "；".join(exc.value.messages)


@pytest.fixture
def r(tree, users):
    roster = build_roster(tree, users)
    # a bystander with an account: a member of branch A who is in none of the talks below
    roster.bystander_user = UserFactory(username="bystander", real_name="甲一乙")
    grant(roster.bystander_user, tree.a, Role.MEMBER)
    roster.a1b.user = roster.bystander_user
    roster.a1b.save()
    return roster


@pytest.fixture
def talk(r, users, tree):
    """The secretary talked with member_a (recorded by the secretary)."""
    return talks.record_talk(users.sec_a, tree.a, r.sec, r.me, TODAY, "思想和工作情况", NOTES)


# --- Recording ---------------------------------------------------------------------------------------


def test_an_officer_records_a_talk_audited_without_the_notes(r, users, tree, talk):
    assert talk.org == tree.a and talk.recorded_by == users.sec_a and talk.notes == NOTES
    log = AuditLog.objects.get(object_type="orglife.talk", object_id=str(talk.pk))
    assert log.actor == users.sec_a and "甲书记与甲党员" in log.summary
    assert "压力" not in log.summary and "压力" not in log.object_repr and not log.after
    talk2 = talks.record_talk(users.committee_a, tree.a, r.a2a, r.p3, TODAY, "谈心", "")
    assert talk2.recorded_by == users.committee_a


def test_a_member_records_their_own_talk_either_side(r, users, tree):
    mine = talks.record_talk(users.member_a, tree.a, r.me, r.p3, TODAY, "交流学习体会", "互相提醒")
    theirs = talks.record_talk(users.member_a, tree.a, r.a2a, r.me, TODAY, "组织委员谈话")
    assert mine.initiator == r.me and theirs.partner == r.me and theirs.recorded_by == users.member_a


def test_a_bystander_or_another_branch_may_not_record(r, users, tree):
    with pytest.raises(PermissionDenied):
        talks.record_talk(users.member_a, tree.a, r.p2, r.p3, TODAY, "别人的谈话")
    with pytest.raises(Http404):
        talks.record_talk(users.sec_b, tree.a, r.sec, r.me, TODAY, "越权")
    with pytest.raises(Http404):
        talks.record_talk(users.leader_a1, tree.a, r.sec, r.me, TODAY, "党小组长不记录支部谈话")
    with pytest.raises(Http404):  # a member of B naming themself cannot reach into branch A
        talks.record_talk(r.far_user, tree.a, r.far, r.me, TODAY, "跨支部")
    assert not Talk.objects.exists()


@pytest.mark.parametrize(
    "case, field, message",
    [
        ("future", "held_on", "谈话日期不能晚于今天"),
        ("same", "partner", "谈话双方不能是同一人"),
        ("far", "partner", "谈话对象应为本支部在册党员"),
        ("lost", "initiator", "谈话人应为本支部在册党员"),
        ("topic", "topic", "请填写谈话主题"),
        ("none", "partner", "请选择谈话对象"),
    ],
)
def test_bad_input_is_refused_with_a_field_message(r, users, tree, case, field, message):
    initiator, partner, held_on, topic = r.sec, r.me, TODAY, "谈心"
    if case == "future":
        held_on = TODAY + dt.timedelta(days=1)
    elif case == "same":
        partner = r.sec
    elif case == "far":
        partner = r.far
    elif case == "lost":
        initiator = r.lost
    elif case == "topic":
        topic = "  "
    elif case == "none":
        partner = None
    with pytest.raises(ValidationError) as exc:
        talks.record_talk(users.sec_a, tree.a, initiator, partner, held_on, topic)
    assert message in exc.value.message_dict[field]
    assert not Talk.objects.exists()


def test_talks_are_recorded_per_branch(r, users, tree):
    with pytest.raises(ValidationError) as exc:
        talks.record_talk(None, tree.a1, r.me, r.a1b, TODAY, "党小组")
    assert "以党支部为单位" in messages_of(exc)


# --- Privacy -----------------------------------------------------------------------------------------


def test_who_reads_the_notes(r, users, tree, talk):
    assert talks.can_read_notes(users.sec_a, talk)  # the secretary (talk.view) and a party
    assert talks.can_read_notes(users.member_a, talk)  # the other party
    assert not talks.can_read_notes(users.committee_a, talk)  # orglife.view but not talk.view
    assert not talks.can_read_notes(users.org_admin, talk)
    committee = talks.mark_notes(users.committee_a, talks.talks_of(tree.a, YEAR))
    assert [t.pk for t in committee] == [talk.pk] and not committee[0].notes_visible
    assert talks.get_talk(users.committee_a, talk.pk) == talk  # they see that it happened
    for outsider in (users.sec_b, r.bystander_user, users.nobody):
        with pytest.raises(Http404):
            talks.get_talk(outsider, talk.pk)
    assert not talks.visible_talks(r.bystander_user).exists()


def test_notes_on_the_pages(r, users, client_for, tree, talk):
    for user in (users.sec_a, users.member_a):
        html = client_for(user).get(url("talk_detail", talk.pk)).content.decode()
        assert NOTES in html
    committee = client_for(users.committee_a)
    html = committee.get(url("talk_detail", talk.pk)).content.decode()
    assert "思想和工作情况" in html and "甲书记" in html and NOTES not in html
    assert "仅谈话双方和支部书记可见" in html
    listing = committee.get(url("talk_list"), {"org": tree.a.pk, "year": YEAR}).content.decode()
    assert "思想和工作情况" in listing and NOTES[:10] not in listing and "不公开" in listing
    secretary = client_for(users.sec_a).get(url("talk_list"), {"org": tree.a.pk}).content.decode()
    assert NOTES[:10] in secretary
    assert client_for(users.sec_b).get(url("talk_detail", talk.pk)).status_code == 404
    assert client_for(r.bystander_user).get(url("talk_detail", talk.pk)).status_code == 404
    assert client_for(users.sec_b).get(url("talk_list"), {"org": tree.a.pk}).status_code == 404


# --- Coverage ----------------------------------------------------------------------------------------


def test_coverage_counts_pairs_once_in_the_year(r, users, tree, talk):
    talks.record_talk(None, tree.a, r.me, r.sec, TODAY, "再谈一次")  # the same pair, the other way round
    talks.record_talk(None, tree.a, r.a2a, r.p3, TODAY, "谈心")
    last_year = dt.date(YEAR - 1, 12, 31)
    talks.record_talk(None, tree.a, r.p1, r.p2, last_year, "去年的谈话")
    cov = talks.coverage_of(tree.a, YEAR)
    assert (cov.done, cov.required) == (2, 45)  # 10 members on the roll: 45 pairs
    committee_rows = [row for row in cov.rows if row.committee]
    assert {row.member.pk for row in committee_rows} == {r.sec.pk, r.a2a.pk}
    assert cov.rows[0].committee and cov.rows[1].committee  # committee members first
    rows = {row.member.pk: row for row in cov.rows}
    assert rows[r.sec.pk].count == 1 and rows[r.me.pk].count == 1 and rows[r.p1.pk].count == 0
    i_me = [m.pk for m in cov.members].index(r.me.pk)
    i_sec = [m.pk for m in cov.members].index(r.sec.pk)
    assert rows[r.sec.pk].cells[i_me] is True and rows[r.me.pk].cells[i_sec] is True
    assert rows[r.sec.pk].cells[i_sec] is None  # the diagonal
    assert talks.coverage_of(tree.a, YEAR - 1).done == 1


def test_a_member_who_left_no_longer_counts(r, users, tree, talk):
    r.me.status = "transferred"
    r.me.save()
    cov = talks.coverage_of(tree.a, YEAR)
    assert (cov.done, cov.required) == (0, 36)


def test_coverage_page(r, users, client_for, tree, talk):
    response = client_for(users.committee_a).get(url("talk_coverage"), {"org": tree.a.pk, "year": YEAR})
    assert response.status_code == 200
    html = response.content.decode()
    assert "已谈 1/45 对" in html
    assert html.count('data-testid="committee-row"') == 2
    assert client_for(users.sec_b).get(url("talk_coverage"), {"org": tree.a.pk}).status_code == 404
    member = client_for(users.member_a).get(url("talk_coverage"))
    assert member.status_code == 302 and member.url == url("talk_mine")


def test_coverage_page_queries_do_not_grow_with_members(r, users, client_for, tree, talk):
    client = client_for(users.org_admin)

    def count(org):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url("talk_coverage"), {"org": org.pk, "year": YEAR}).status_code == 200
        return len(ctx.captured_queries)

    people = [MemberFactory(org=tree.b) for _ in range(15)]
    term = org_services.start_term(None, tree.b, started_on=TODAY - dt.timedelta(days=100))
    for seat, holder in zip(term.seats.order_by("order"), people[:3], strict=False):
        org_services.assign_holder(None, seat, member=holder, started_on=term.started_on)
    for a, b in itertools.pairwise(people):
        talks.record_talk(None, tree.b, a, b, TODAY, "谈心")
    count(tree.a)
    assert count(tree.a) == count(tree.b)


# --- Pages -------------------------------------------------------------------------------------------


def test_officer_records_a_talk_on_the_page(r, users, client_for, tree):
    client = client_for(users.sec_a)
    page = client.get(url("talk_new"), {"org": tree.a.pk})
    assert page.status_code == 200 and "甲党员" in page.content.decode()
    data = {
        "org": tree.a.pk,
        "initiator": r.sec.pk,
        "partner": r.p3.pk,
        "held_on": TODAY.isoformat(),
        "topic": "了解思想动态",
        "notes": "情绪稳定",
    }
    future = client.post(url("talk_new") + f"?org={tree.a.pk}", {**data, "held_on": "2999-01-01"})
    assert future.status_code == 200 and "谈话日期不能晚于今天" in future.content.decode()
    done = client.post(url("talk_new") + f"?org={tree.a.pk}", data)
    assert done.status_code == 302
    assert Talk.objects.get().topic == "了解思想动态"
    assert client_for(users.member_a).get(url("talk_new"), {"org": tree.a.pk}).status_code == 403
    assert client_for(users.sec_b).get(url("talk_new"), {"org": tree.a.pk}).status_code == 404


def test_member_phone_page_lists_and_records_own_talks(r, users, client_for, tree, talk):
    client = client_for(users.member_a)
    page = client.get(url("talk_mine"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "与甲书记：思想和工作情况" in html and NOTES in html
    assert page.context["talked"] == 1 and page.context["colleague_count"] == 9
    data = {"partner": r.a2a.pk, "role": "partner", "held_on": TODAY.isoformat(), "topic": "组织委员找我谈话"}
    assert client.post(url("talk_mine"), data).status_code == 302
    made = Talk.objects.get(topic="组织委员找我谈话")
    assert made.initiator == r.a2a and made.partner == r.me and made.recorded_by == users.member_a
    bad = client.post(url("talk_mine"), {**data, "partner": r.far.pk})
    assert bad.status_code == 400  # not a colleague: not in the choices
    assert client.get(url("talk_list")).url == url("talk_mine")
    assert "还没有关联党员档案" in client_for(users.nobody).get(url("talk_mine")).content.decode()
