"""points.services: the award service (idempotent per source, caps over real entries, periods in
Asia/Shanghai), rule versions, manual awards and their scope, the approval queue, reversals, appeals,
the append-only ledger and published rankings. Everything through the real services."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.http import Http404
from django.utils import timezone

from tests.factories import MemberFactory, UserFactory, grant
from tests.points.factories import at, days_ago, give, key, switch_on
from zhibu.accounts.models import Role
from zhibu.core import config
from zhibu.core.errors import ValidationError
from zhibu.core.models import AppendOnlyError, AuditLog
from zhibu.members.models import MemberStatus
from zhibu.points import rules, selectors, services
from zhibu.points.models import (
    Appeal,
    AppealStatus,
    Claim,
    ClaimKind,
    ClaimStatus,
    Entry,
    EntryKind,
    Rule,
    Snapshot,
    SnapshotRow,
)

pytestmark = pytest.mark.django_db
D = dt.date
DEC = Decimal
UTC = dt.UTC


def today() -> dt.date:
    return timezone.localdate()


def on(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=rules.TZ)


def errors(exc) -> dict:
    return exc.value.message_dict if hasattr(exc.value, "error_dict") else {"__all__": exc.value.messages}


def text(exc) -> str:
    return " ".join(exc.value.messages)


@pytest.fixture
def m(tree):
    return MemberFactory(org=tree.a, group=tree.a1, name="张积分")


@pytest.fixture
def own(tree, users):
    """The member record of `member_a` (an account with the plain member role)."""
    return MemberFactory(org=tree.a, group=tree.a1, user=users.member_a, name="甲党员")


# --- award: idempotency and what an entry records -------------------------------------------------


def test_award_writes_one_explained_entry(m, tree, users):
    got = give(m, "learning.item", source="course-7", source_label="第7课", reason="学习", actor=users.sec_a)
    e = got.entry
    assert got.created is True
    default = Rule.objects.get(org__isnull=True, code="learning.item")
    assert (e.rule, e.rule_code, e.category, e.kind) == (
        default,
        "learning.item",
        "learning",
        EntryKind.AWARD,
    )
    assert (e.base_points, e.points, e.capped_note, e.quantity) == (DEC("0.5"), DEC("0.5"), "", DEC(1))
    assert (e.source_type, e.source_id, e.source_label, e.reason) == (
        "test.fact",
        "course-7",
        "第7课",
        "学习",
    )
    assert (e.org, e.awarded_by, e.approved_by) == (tree.a, users.sec_a, None)


def test_award_is_idempotent_per_source(m):
    first = give(m, "orglife.branch_meeting", source="meeting-1")
    second = give(m, "orglife.branch_meeting", source="meeting-1", quantity=3, reason="again")
    assert first.created is True and second.created is False
    assert second.entry.pk == first.entry.pk and second.entry.points == DEC(2)
    assert Entry.objects.count() == 1
    # the source id is compared as text; another source type or another member is another fact
    assert give(m, "orglife.branch_meeting", source=1, source_type="meeting").created
    assert not give(m, "orglife.branch_meeting", source="1", source_type="meeting").created
    other = MemberFactory(org=m.org)
    assert give(other, "orglife.branch_meeting", source="meeting-1").created
    assert Entry.objects.count() == 3


def test_award_without_an_actor_is_the_system(m):
    e = give(m, "orglife.absence").entry
    assert e.awarded_by is None and e.points == DEC(-3)


@pytest.mark.parametrize(
    "kw,field,message",
    [
        ({"when": dt.datetime(2026, 1, 1, 12, 0)}, "occurred_at", "发生时间须带时区"),
        ({"quantity": 0}, "quantity", "数量应大于0"),
        ({"quantity": "-1"}, "quantity", "数量应大于0"),
        ({"quantity": "abc"}, "quantity", "数量应为数字"),
        ({"quantity": "NaN"}, "quantity", "数量应为数字"),
        ({"quantity": None}, "quantity", "数量应为数字"),
        ({"code": "no.such.rule"}, "rule", "积分规则“no.such.rule”不存在"),
    ],
)
def test_award_refuses_bad_input_and_writes_nothing(m, kw, field, message):
    code = kw.pop("code", "learning.item")
    with pytest.raises(ValidationError) as exc:
        give(m, code, **kw)
    assert message in errors(exc)[field][0]
    assert not Entry.objects.exists()


@pytest.mark.parametrize("source", [None, ""])
def test_award_needs_a_source(m, source):
    with pytest.raises(ValidationError) as exc:
        services.award(m, "learning.item", source_type="x", source_id=source, occurred_at=days_ago(1))
    assert "缺少积分来源" in text(exc)
    with pytest.raises(ValidationError):
        services.award(m, "learning.item", source_type="", source_id="1", occurred_at=days_ago(1))


@pytest.mark.parametrize(
    "status", [MemberStatus.SUSPENDED, MemberStatus.LEFT, MemberStatus.DECEASED, MemberStatus.TRANSFERRED]
)
def test_members_not_on_roll_are_refused(tree, status):
    gone = MemberFactory(org=tree.a, status=status)
    with pytest.raises(ValidationError) as exc:
        give(gone)
    assert "不能记分" in errors(exc)["member"][0]
    assert not Entry.objects.exists()


@pytest.mark.parametrize("status", [MemberStatus.NORMAL, MemberStatus.MOBILE, MemberStatus.LOST])
def test_members_on_roll_score(tree, status):
    assert give(MemberFactory(org=tree.a, status=status)).created


def test_needs_evidence_is_refused_without_evidence(m):
    for evidence in ("", "   "):
        with pytest.raises(ValidationError) as exc:
            give(m, "orglife.lecture_given", evidence=evidence)
        assert errors(exc)["evidence"] == ["“讲授党课”需要佐证材料"]
    assert not Entry.objects.exists()
    assert give(m, "orglife.lecture_given", evidence="课件").entry.points == DEC(5)


def test_partial_units_score_whole_units_only(m):
    e = give(m, "learning.minutes", quantity=14).entry
    assert (e.base_points, e.points, e.capped_note) == (DEC(2), DEC(2), "")
    short = give(m, "learning.minutes", quantity=4).entry
    assert short.points == DEC(0)
    assert short.capped_note == "不足1分钟计分单位（每5分钟计分），本次不计分"


# --- caps over real entries ---------------------------------------------------------------------------


def test_day_cap_the_tenth_item_reaches_it_exactly_and_the_eleventh_scores_zero(m):
    when = at(2026, 5, 12, 9)
    got = [give(m, "learning.item", when=when + dt.timedelta(minutes=i)).entry for i in range(11)]
    assert [e.points for e in got[:10]] == [DEC("0.5")] * 10
    assert all(e.capped_note == "" for e in got[:10])
    assert got[10].points == DEC(0) and got[10].base_points == DEC("0.5")
    assert got[10].capped_note == "已达每日上限5分，本次不计分"
    assert selectors.balance(m, D(2026, 5, 12), D(2026, 5, 12)) == DEC(5)
    # the next local day starts afresh
    assert give(m, "learning.item", when=at(2026, 5, 13, 0, 0, 1)).entry.points == DEC("0.5")


def test_partial_room_under_a_day_cap(m):
    when = at(2026, 5, 12, 9)
    assert give(m, "learning.minutes", when=when, quantity=25).entry.points == DEC(5)
    e = give(m, "learning.minutes", when=when, quantity=25).entry
    assert (e.base_points, e.points) == (DEC(5), DEC(1))
    assert e.capped_note == "已接近每日上限6分，本次计1分（应计5分）"


def test_caps_count_only_the_same_rule(m):
    when = at(2026, 5, 12, 9)
    for _ in range(10):
        give(m, "learning.item", when=when)
    assert give(m, "learning.minutes", when=when, quantity=30).entry.points == DEC(6)
    assert give(m, "learning.quiz", when=when, quantity=100).entry.points == DEC(5)


def test_month_cap_across_days_and_months(m, users):
    # volunteer.hours: 1 per hour, 8 a day, 20 a month
    for day in (3, 10):
        assert give(m, "volunteer.hours", when=at(2026, 6, day), quantity=8, evidence="x").entry.points == 8
    e = give(m, "volunteer.hours", when=at(2026, 6, 30, 23, 59), quantity=8, evidence="x").entry
    assert e.points == DEC(4) and "每月上限20分" in e.capped_note
    full = give(m, "volunteer.hours", when=at(2026, 6, 15), quantity=1, evidence="x").entry
    assert full.points == 0 and full.capped_note == "已达每月上限20分，本次不计分"
    # 1 July 00:01 local is a new month
    assert give(m, "volunteer.hours", when=at(2026, 7, 1, 0, 1), quantity=8, evidence="x").entry.points == 8


def test_deduction_caps_limit_the_total_deducted(m):
    first = give(m, "dues.late", when=at(2026, 5, 3)).entry
    again = give(m, "dues.late", when=at(2026, 5, 20)).entry
    assert (first.points, again.points) == (DEC(-2), DEC(0))
    assert again.capped_note == "已达每月上限2分，本次不计分"
    assert give(m, "dues.late", when=at(2026, 6, 3)).entry.points == DEC(-2)


def test_year_cap(m):
    # orglife.lecture_given: 5 points, 20 a year
    got = [
        give(m, "orglife.lecture_given", when=at(2026, mo, 1), evidence="课件").entry for mo in range(1, 6)
    ]
    assert [e.points for e in got] == [5, 5, 5, 5, 0]
    assert got[4].capped_note == "已达每年上限20分，本次不计分"
    assert give(m, "orglife.lecture_given", when=at(2027, 1, 1, 0, 0), evidence="课件").entry.points == 5


# --- periods in Asia/Shanghai -------------------------------------------------------------------------


def test_quarter_boundary_at_local_midnight(m):
    late = give(m, "orglife.branch_meeting", when=at(2026, 3, 31, 23, 59)).entry
    early = give(m, "orglife.party_lecture", when=at(2026, 4, 1, 0, 1)).entry
    q1 = selectors.balance(m, D(2026, 1, 1), D(2026, 3, 31))
    q2 = selectors.balance(m, D(2026, 4, 1), D(2026, 6, 30))
    assert (q1, q2) == (DEC(2), DEC(2))
    assert [e.pk for e in selectors.ledger(m, D(2026, 1, 1), D(2026, 3, 31))] == [late.pk]
    assert [e.pk for e in selectors.ledger(m, D(2026, 4, 1), D(2026, 6, 30))] == [early.pk]
    # stored in UTC: the 00:01 entry is still 31 March there
    assert early.occurred_at.astimezone(UTC).date() == D(2026, 3, 31)
    assert selectors.balance(m, D(2026, 3, 31), D(2026, 3, 31)) == DEC(2)


def test_utc_input_is_counted_on_its_local_day(m):
    # 2026-03-31T16:30Z is 00:30 on 1 April in Shanghai: the second quarter
    give(m, "orglife.branch_meeting", when=dt.datetime(2026, 3, 31, 16, 30, tzinfo=UTC))
    assert selectors.balance(m, D(2026, 1, 1), D(2026, 3, 31)) == 0
    assert selectors.balance(m, D(2026, 4, 1), D(2026, 6, 30)) == 2


def test_day_caps_reset_at_local_midnight_not_utc_midnight(m):
    # fill the cap on 31 March, local time; the last one at 23:59 local (15:59 UTC)
    for minute in range(50, 60):
        give(m, "learning.item", when=at(2026, 3, 31, 23, minute))
    assert give(m, "learning.item", when=at(2026, 3, 31, 23, 59, 30)).entry.points == 0
    # 00:01 local on 1 April (16:01 UTC on 31 March, the same UTC day): a new day
    assert give(m, "learning.item", when=at(2026, 4, 1, 0, 1)).entry.points == DEC("0.5")
    # 07:30 local on 31 March is 23:30 UTC on 30 March: another UTC day, but the same local day: capped
    assert give(m, "learning.item", when=at(2026, 3, 31, 7, 30)).entry.points == 0


def test_week_cap_runs_monday_to_sunday(m, users):
    rule = services.save_rule(
        None, m.org, "learning.item", {"cap_day": None, "cap_week": "1"}, today() + dt.timedelta(days=1)
    )
    assert rule.cap_week == 1
    monday = today() + dt.timedelta(days=7 - today().weekday())  # next Monday, after valid_from
    sunday = monday + dt.timedelta(days=6)
    when = on(monday, 8)
    assert give(m, "learning.item", when=when).entry.points == DEC("0.5")
    assert give(m, "learning.item", when=on(sunday, 23, 59)).entry.points == DEC("0.5")
    capped = give(m, "learning.item", when=when + dt.timedelta(days=3))
    assert capped.entry.points == 0 and capped.entry.capped_note == "已达每周上限1分，本次不计分"
    assert give(m, "learning.item", when=when + dt.timedelta(days=7)).entry.points == DEC("0.5")


# --- rule versions ------------------------------------------------------------------------------------


def test_save_rule_overrides_the_default_from_a_date_and_keeps_history(m, tree, users):
    start = today() + dt.timedelta(days=1)
    v1 = Rule.objects.get(org__isnull=True, code="orglife.branch_meeting")
    v2 = services.save_rule(users.sec_a, tree.a, "orglife.branch_meeting", {"points": "3"}, start)
    assert (v2.org, v2.version, v2.valid_from, v2.points, v2.name) == (tree.a, 2, start, 3, v1.name)
    assert (v2.category, v2.awarder, v2.created_by) == (v1.category, v1.awarder, users.sec_a)
    before = give(m, "orglife.branch_meeting", when=days_ago(1)).entry
    on_day = give(m, "orglife.branch_meeting", when=on(start, 0, 0)).entry
    assert (before.rule_id, before.points) == (v1.pk, 2)
    assert (on_day.rule_id, on_day.points) == (v2.pk, 3)
    # a member of another branch keeps the default
    other = MemberFactory(org=tree.b)
    assert give(other, "orglife.branch_meeting", when=on_day.occurred_at).entry.rule_id == v1.pk
    # the old entry still explains itself with version 1
    before.refresh_from_db()
    assert before.rule.version == 1 and before.rule.points == 2
    log = AuditLog.objects.get(object_type="points.rule", object_id=str(v2.pk))
    assert log.action == "update" and "积分规则修改" in log.summary and log.before["points"] == "2.00"


def test_save_rule_versions_increase_and_the_latest_wins(tree, users):
    start = today()
    v2 = services.save_rule(users.sec_a, tree.a, "learning.item", {"points": "1"}, start)
    v3 = services.save_rule(users.sec_a, tree.a, "learning.item", {"points": "2"}, start)
    assert (v2.version, v3.version) == (2, 3)
    assert selectors.resolve_rule(tree.a, "learning.item", start) == v3
    assert selectors.resolve_rule(tree.a1, "learning.item", start) == v3  # a group follows its branch
    assert selectors.resolve_rule(tree.b, "learning.item", start).org_id is None


def test_a_committee_rule_applies_below_and_the_branch_can_override_it(tree, users):
    start = today()
    top = services.save_rule(users.org_admin, tree.root, "learning.item", {"points": "1"}, start)
    assert selectors.resolve_rule(tree.a, "learning.item", start) == top
    assert selectors.resolve_rule(tree.b, "learning.item", start) == top
    own = services.save_rule(users.sec_a, tree.a, "learning.item", {"points": "2"}, start)
    assert selectors.resolve_rule(tree.a, "learning.item", start) == own
    assert selectors.resolve_rule(tree.b, "learning.item", start) == top
    assert own.version > 1 and own.cap_day == 5  # the rest comes from the committee's version


def test_switching_a_rule_off_and_on_again(m, tree, users):
    start = today() + dt.timedelta(days=1)
    services.save_rule(users.sec_a, tree.a, "learning.item", {"active": False}, start)
    later = on(start)
    assert give(m, "learning.item", when=days_ago(0)).created  # still on today
    with pytest.raises(ValidationError) as exc:
        give(m, "learning.item", when=later)
    assert "不存在或在" in errors(exc)["rule"][0] and "未启用" in errors(exc)["rule"][0]
    assert selectors.resolve_rule(tree.a, "learning.item", start) is None
    assert selectors.resolve_rule(tree.b, "learning.item", start) is not None
    services.save_rule(users.sec_a, tree.a, "learning.item", {"active": True}, start + dt.timedelta(days=1))
    assert give(m, "learning.item", when=later + dt.timedelta(days=1)).created


def test_save_rule_a_new_rule_of_the_branch(m, tree, users):
    data = {
        "name": "参加义务植树",
        "category": "volunteer",
        "points": "1.5",
        "unit": "次",
        "cap_year": "3",
        "awarder": "branch",
    }
    rule = services.save_rule(users.sec_a, tree.a, "local.trees", data, today())
    assert (rule.version, rule.org, rule.points, rule.cap_year, rule.cap_day) == (
        1,
        tree.a,
        DEC("1.5"),
        3,
        None,
    )
    assert AuditLog.objects.get(object_type="points.rule").action == "create"
    assert give(m, "local.trees", when=days_ago(0)).entry.points == DEC("1.5")
    assert selectors.resolve_rule(tree.b, "local.trees") is None


def test_save_rule_refuses_a_past_date(tree, users):
    with pytest.raises(ValidationError) as exc:
        services.save_rule(
            users.sec_a, tree.a, "learning.item", {"points": "1"}, today() - dt.timedelta(days=1)
        )
    assert errors(exc)["valid_from"] == ["生效日期不能早于今天：规则修改不改写历史记分"]
    with pytest.raises(ValidationError) as exc:
        services.save_rule(users.sec_a, tree.a, "learning.item", {"points": "1"}, None)
    assert "valid_from" in errors(exc)
    assert not Rule.objects.filter(org__isnull=False).exists()


@pytest.mark.parametrize("code", ["学习", "learning item", "", "a" * 41, "x/y", "ｌｅａｒｎ"])
def test_save_rule_refuses_bad_codes(tree, users, code):
    with pytest.raises(ValidationError) as exc:
        services.save_rule(
            users.sec_a, tree.a, code, {"name": "x", "category": "other", "points": "1"}, today()
        )
    assert "规则代码只能由" in errors(exc)["code"][0]


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"cap_day": "0"}, "cap_day", "上限应大于0；不设上限请留空"),
        ({"cap_day": "-1"}, "cap_day", "上限应大于0；不设上限请留空"),
        ({"cap_day": "abc"}, "cap_day", "上限应为数字"),
        ({"cap_day": "6", "cap_week": "5"}, "cap_day", "每日上限不能大于每周上限"),
        ({"cap_day": "NaN"}, "cap_day", "上限应为数字"),
        ({"cap_month": "Infinity"}, "cap_month", "上限应为数字"),
        ({"cap_year": "1000000"}, "cap_year", "上限不能超过999999.99"),
        ({"cap_day": "0.005"}, "cap_day", "上限最多保留两位小数"),
        ({"points": "0"}, "points", "分值不能为0"),
        ({"points": ""}, "points", "分值应为数字"),
        ({"points": "NaN"}, "points", "分值应为数字"),
        ({"points": "-Infinity"}, "points", "分值应为数字"),
        ({"points": "1.005"}, "points", "分值最多保留两位小数"),
        ({"points": "1001"}, "points", "分值绝对值不能超过1000"),
        ({"unit_size": "0"}, "unit_size", "每计分单位数量应大于0"),
        ({"unit_size": "sNaN"}, "unit_size", "每计分单位数量应为数字"),
        ({"unit_size": "100000"}, "unit_size", "每计分单位数量不能超过99999.99"),
        ({"name": " "}, "name", "请填写名称"),
        ({"category": "sports"}, "category", "请选择类别"),
        ({"awarder": "anyone"}, "awarder", "请选择记分权限"),
        ({"self_report": True, "needs_approval": False}, "needs_approval", "党员申报的规则须经支部审核"),
        ({"awarder": "system", "needs_approval": True}, "needs_approval", "仅系统自动记分的规则无需审核"),
    ],
)
def test_save_rule_refuses_unsound_rules_with_field_errors(tree, users, data, field, message):
    with pytest.raises(ValidationError) as exc:
        services.save_rule(users.sec_a, tree.a, "learning.item", data, today())
    assert errors(exc)[field] == [message]
    assert not Rule.objects.filter(org__isnull=False).exists()
    assert not AuditLog.objects.filter(object_type="points.rule").exists()


def test_save_rule_needs_points_rules_in_scope(tree, users):
    data = {"points": "1"}
    with pytest.raises(PermissionDenied):
        services.save_rule(users.committee_a, tree.a, "learning.item", data, today())
    with pytest.raises(PermissionDenied):
        services.save_rule(users.member_a, tree.a, "learning.item", data, today())
    with pytest.raises(Http404):
        services.save_rule(users.sec_b, tree.a, "learning.item", data, today())
    with pytest.raises(Http404):
        services.save_rule(users.sec_a, tree.general, "learning.item", data, today())
    assert not Rule.objects.filter(org__isnull=False).exists()


def test_save_rule_not_on_a_party_group(tree, users):
    with pytest.raises(ValidationError) as exc:
        services.save_rule(users.sec_a, tree.a1, "learning.item", {"points": "1"}, today())
    assert "党小组" in text(exc)


# --- manual awards ------------------------------------------------------------------------------------


def manual(actor, member, code="orglife.lecture_given", **kw):
    kw.setdefault("occurred_at", days_ago(2))
    kw.setdefault("reason", "讲授专题党课")
    kw.setdefault("request_key", key())
    kw.setdefault("evidence", "党课课件")
    return services.award_manually(actor, member, code, **kw)


def test_award_manually_scores_at_once_and_is_audited(m, users):
    got = manual(users.committee_a, m)
    assert got.created and got.entry.points == 5 and got.entry.awarded_by == users.committee_a
    assert (got.entry.source_type, got.entry.source_label) == ("points.manual", "手工记分")
    log = AuditLog.objects.get(object_type="points.entry")
    assert log.actor == users.committee_a and log.summary.startswith("手工记分：张积分 讲授党课 +5")


def test_award_manually_double_submit_scores_once(m, users):
    request_key = key()
    first = manual(users.sec_a, m, request_key=request_key)
    second = manual(users.sec_a, m, request_key=request_key)
    assert second.created is False and second.entry.pk == first.entry.pk
    assert Entry.objects.count() == 1
    assert AuditLog.objects.filter(object_type="points.entry").count() == 1


def test_award_manually_is_scoped(m, tree, users):
    with pytest.raises(Http404):
        manual(users.sec_b, m)
    with pytest.raises(Http404):
        manual(users.leader_a1, m)  # a group leader's scope is the group, not the branch
    with pytest.raises(PermissionDenied):
        manual(users.member_a, m)
    with pytest.raises(Http404):
        manual(users.nobody, m)
    assert not Entry.objects.exists()
    # officers above the branch may
    assert manual(users.org_admin, m).created


@pytest.mark.parametrize("actor", ["sec_a", "org_admin"])
def test_system_rules_cannot_be_awarded_by_hand(m, users, actor):
    with pytest.raises(ValidationError) as exc:
        manual(getattr(users, actor), m, "orglife.branch_meeting")
    assert errors(exc)["rule"] == ["“参加支部党员大会”由系统根据业务记录自动记分，不能手工录入"]


def test_superior_rules_only_from_above_the_branch(m, tree, users):
    with pytest.raises(ValidationError) as exc:
        manual(users.sec_a, m, "negative.discipline", reason="处分决定")
    assert errors(exc)["rule"] == ["“受到党纪处分”只能由上级党组织记分"]
    got = manual(users.org_admin, m, "negative.discipline", reason="处分决定", evidence="处分决定书")
    assert got.entry.points == -20
    general_sec = UserFactory()
    grant(general_sec, tree.general, Role.SECRETARY)
    other = MemberFactory(org=tree.a)
    assert manual(general_sec, other, "negative.discipline", reason="处分决定").entry.points == -20


def test_award_manually_checks_reason_key_date_and_evidence(m, users):
    with pytest.raises(ValidationError) as exc:
        manual(users.sec_a, m, reason="  ")
    assert errors(exc)["reason"] == ["请填写记分事由"]
    with pytest.raises(ValidationError) as exc:
        manual(users.sec_a, m, request_key="")
    assert "缺少请求标识" in text(exc)
    with pytest.raises(ValidationError) as exc:
        manual(users.sec_a, m, occurred_at=timezone.now() + dt.timedelta(hours=1))
    assert errors(exc)["occurred_at"] == ["发生时间不能晚于当前时间"]
    with pytest.raises(ValidationError) as exc:
        manual(users.sec_a, m, occurred_at=days_ago(91))
    assert errors(exc)["occurred_at"] == ["只能申报或记录90天内发生的事项"]
    assert manual(users.sec_a, m, occurred_at=days_ago(90, hour=0)).created
    with pytest.raises(ValidationError) as exc:
        manual(users.sec_a, m, evidence="")
    assert errors(exc)["evidence"] == ["“讲授党课”需要佐证材料"]
    with pytest.raises(ValidationError) as exc:
        manual(users.sec_a, m, "no.such")
    assert "rule" in errors(exc)
    assert Entry.objects.count() == 1


def test_award_manually_with_a_file_as_evidence(m, users):
    upload = SimpleUploadedFile("课件.pdf", b"%PDF-1.4 lecture", content_type="application/pdf")
    got = manual(users.sec_a, m, evidence="", evidence_file=upload)
    assert got.created and got.entry.evidence.startswith("points/")


def test_award_manually_refuses_members_not_on_roll_and_short_quantities(tree, users):
    gone = MemberFactory(org=tree.a, status=MemberStatus.SUSPENDED)
    for code in ("orglife.lecture_given", "volunteer.hours"):
        with pytest.raises(ValidationError):
            manual(users.sec_a, gone, code)
    assert not Claim.objects.exists() and not Entry.objects.exists()
    m = MemberFactory(org=tree.a)
    with pytest.raises(ValidationError) as exc:
        manual(users.sec_a, m, "volunteer.hours", quantity="0.5")
    assert "数量不足1个计分单位" in errors(exc)["quantity"][0]


def test_claim_window_is_configurable(m, tree, users):
    config.set_value(users.sec_a, tree.a, "points.claim_window_days", "7", D(2020, 1, 1))
    with pytest.raises(ValidationError) as exc:
        manual(users.sec_a, m, occurred_at=days_ago(8))
    assert errors(exc)["occurred_at"] == ["只能申报或记录7天内发生的事项"]
    assert manual(users.sec_a, m, occurred_at=days_ago(7)).created


# --- the approval queue -------------------------------------------------------------------------------


def test_manual_award_needing_approval_goes_to_the_queue(m, users):
    request_key = key()
    claim = manual(users.sec_a, m, "volunteer.hours", quantity=3, request_key=request_key, evidence="照片")
    again = manual(users.sec_a, m, "volunteer.hours", quantity=3, request_key=request_key, evidence="照片")
    assert isinstance(claim, Claim) and again.pk == claim.pk
    assert (claim.kind, claim.status, claim.entry, claim.submitted_by) == (
        ClaimKind.MANUAL,
        ClaimStatus.PENDING,
        None,
        users.sec_a,
    )
    assert Claim.objects.count() == 1 and not Entry.objects.exists()
    assert AuditLog.objects.filter(object_type="points.claim").count() == 1
    # the same key for another member is a stale form, not a second claim
    with pytest.raises(ValidationError):
        manual(users.sec_a, MemberFactory(org=m.org), "volunteer.hours", request_key=request_key)

    entry = services.approve_claim(users.committee_a, claim, "属实")
    claim.refresh_from_db()
    assert (entry.points, entry.approved_by, entry.awarded_by) == (3, users.committee_a, users.sec_a)
    assert (entry.source_type, entry.source_id, entry.source_label) == (
        "points.claim",
        str(claim.pk),
        "手工记分",
    )
    assert (claim.status, claim.entry, claim.decided_by, claim.decision_note) == (
        ClaimStatus.APPROVED,
        entry,
        users.committee_a,
        "属实",
    )
    assert claim.decided_at is not None
    log = AuditLog.objects.filter(object_type="points.claim", action="update").get()
    assert log.summary == "审核通过：张积分 参加志愿服务 +3.00分" and log.actor == users.committee_a
    with pytest.raises(ValidationError) as exc:
        services.approve_claim(users.sec_a, claim)
    assert text(exc) == "该申报已通过，不能重复审核"
    assert Entry.objects.count() == 1


def test_the_submitter_cannot_approve_their_own_award(m, users):
    claim = manual(users.sec_a, m, "volunteer.hours", evidence="照片")
    with pytest.raises(ValidationError) as exc:
        services.approve_claim(users.sec_a, claim)
    assert text(exc) == "不能审核自己提交的记分，请由其他支委审核"
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING and not Entry.objects.exists()


def test_an_officer_cannot_approve_a_claim_about_themselves(tree, users):
    officer_member = MemberFactory(org=tree.a, user=users.sec_a)
    claim = manual(users.committee_a, officer_member, "volunteer.hours", evidence="照片")
    with pytest.raises(ValidationError) as exc:
        services.approve_claim(users.sec_a, claim)
    assert text(exc) == "不能审核本人的积分申报"
    # nor their own self-report
    report = services.self_report(
        users.sec_a, "role.help", occurred_at=days_ago(1), reason="帮扶", request_key=key(), evidence="记录"
    )
    with pytest.raises(ValidationError):
        services.approve_claim(users.sec_a, report)
    assert services.approve_claim(users.committee_a, report).points == 2


def test_approval_needs_points_manage_in_scope(m, users):
    claim = manual(users.sec_a, m, "volunteer.hours", evidence="照片")
    with pytest.raises(Http404):
        services.approve_claim(users.sec_b, claim)
    with pytest.raises(PermissionDenied):
        services.approve_claim(users.member_a, claim)
    with pytest.raises(PermissionDenied):
        services.reject_claim(users.member_a, claim, "不属实")
    assert services.approve_claim(users.org_admin, claim).approved_by == users.org_admin


def test_a_superior_award_needing_approval_is_approved_above_the_branch(m, tree, users):
    start = today()
    services.save_rule(users.org_admin, tree.root, "negative.discipline", {"needs_approval": True}, start)
    claim = manual(
        users.org_admin, m, "negative.discipline", reason="处分决定", occurred_at=days_ago(0, hour=0)
    )
    with pytest.raises(ValidationError) as exc:
        services.approve_claim(users.sec_a, claim)
    assert "上级党组织" in text(exc)
    general_sec = UserFactory()
    grant(general_sec, tree.general, Role.SECRETARY)
    assert services.approve_claim(general_sec, claim).points == -20


def test_approval_caps_apply_when_approved(m, users):
    give(m, "volunteer.hours", when=days_ago(1), quantity=8, evidence="x")
    claim = manual(users.sec_a, m, "volunteer.hours", quantity=5, evidence="照片", occurred_at=days_ago(1))
    entry = services.approve_claim(users.committee_a, claim)
    assert entry.points == 0 and entry.capped_note == "已达每日上限8分，本次不计分"


def test_reject_needs_a_note_and_is_final(m, users):
    claim = manual(users.sec_a, m, "volunteer.hours", evidence="照片")
    with pytest.raises(ValidationError) as exc:
        services.reject_claim(users.committee_a, claim, " ")
    assert errors(exc)["note"] == ["请填写不予通过的理由"]
    rejected = services.reject_claim(users.committee_a, claim, "时长不符")
    assert (rejected.status, rejected.decided_by, rejected.decision_note) == (
        ClaimStatus.REJECTED,
        users.committee_a,
        "时长不符",
    )
    assert AuditLog.objects.filter(summary__startswith="审核未通过").count() == 1
    with pytest.raises(ValidationError) as exc:
        services.approve_claim(users.committee_a, claim)
    assert text(exc) == "该申报未通过，不能重复审核"
    with pytest.raises(ValidationError):
        services.reject_claim(users.committee_a, claim, "再次")
    assert not Entry.objects.exists()


def test_withdraw_a_pending_claim(m, own, users):
    claim = services.self_report(
        users.member_a,
        "role.help",
        occurred_at=days_ago(3),
        reason="帮扶",
        request_key=key(),
        evidence="记录",
    )
    with pytest.raises(ValidationError) as exc:
        services.withdraw_claim(users.sec_a, claim)
    assert text(exc) == "只能撤回自己提交的申报"
    withdrawn = services.withdraw_claim(users.member_a, claim)
    assert withdrawn.status == ClaimStatus.WITHDRAWN
    with pytest.raises(ValidationError) as exc:
        services.withdraw_claim(users.member_a, claim)
    assert text(exc) == "该申报已撤回，不能撤回"
    with pytest.raises(ValidationError) as exc:
        services.approve_claim(users.sec_a, claim)
    assert text(exc) == "该申报已撤回，不能重复审核"
    assert not Entry.objects.exists()


# --- self-reports -------------------------------------------------------------------------------------


def report(user, code="volunteer.hours", **kw):
    kw.setdefault("occurred_at", days_ago(2))
    kw.setdefault("reason", "社区志愿服务")
    kw.setdefault("request_key", key())
    kw.setdefault("evidence", "活动照片")
    return services.self_report(user, code, **kw)


def test_self_report_waits_for_approval(own, users):
    request_key = key()
    claim = report(users.member_a, quantity=2, request_key=request_key)
    assert report(users.member_a, quantity=2, request_key=request_key).pk == claim.pk
    assert (claim.kind, claim.member, claim.submitted_by, claim.org) == (
        ClaimKind.SELF_REPORT,
        own,
        users.member_a,
        own.org,
    )
    assert Claim.objects.count() == 1 and not Entry.objects.exists()
    entry = services.approve_claim(users.sec_a, claim)
    assert (entry.points, entry.awarded_by, entry.approved_by, entry.source_label) == (
        2,
        users.member_a,
        users.sec_a,
        "党员申报",
    )


def test_self_report_refusals(tree, own, users):
    with pytest.raises(ValidationError) as exc:
        report(users.member_a, "learning.item")
    assert errors(exc)["rule"] == ["该积分项目不能由党员申报"]
    with pytest.raises(ValidationError) as exc:
        report(users.member_a, "negative.violation")
    assert errors(exc)["rule"] == ["该积分项目不能由党员申报"]
    with pytest.raises(ValidationError) as exc:
        report(users.member_a, evidence="")
    assert "需要佐证材料" in errors(exc)["evidence"][0]
    with pytest.raises(ValidationError) as exc:
        report(users.member_a, quantity="0.5")
    assert "数量不足1个计分单位" in errors(exc)["quantity"][0]
    with pytest.raises(ValidationError) as exc:
        report(users.member_a, occurred_at=days_ago(-1))
    assert errors(exc)["occurred_at"] == ["发生时间不能晚于当前时间"]
    with pytest.raises(ValidationError) as exc:
        report(users.member_a, reason="")
    assert errors(exc)["reason"] == ["请填写申报事由"]
    with pytest.raises(ValidationError) as exc:
        report(users.nobody)
    assert "未关联党员档案" in text(exc)
    gone_user = UserFactory()
    MemberFactory(org=tree.a, user=gone_user, status=MemberStatus.SUSPENDED)
    with pytest.raises(ValidationError) as exc:
        report(gone_user)
    assert "当前党籍状态不能申报积分" in text(exc)
    assert not Claim.objects.exists()


def test_self_report_with_a_file_only(own, users):
    upload = SimpleUploadedFile("照片.jpg", b"\xff\xd8\xff jpeg", content_type="image/jpeg")
    claim = report(users.member_a, evidence="", evidence_file=upload)
    assert claim.evidence_file.name.startswith("points/")
    entry = services.approve_claim(users.sec_a, claim)
    assert entry.evidence == claim.evidence_file.name


# --- reversals ----------------------------------------------------------------------------------------


def test_reverse_entry(m, users):
    e = give(m, "orglife.branch_meeting", when=at(2026, 3, 31, 23, 59)).entry
    r = services.reverse_entry(users.sec_a, e, "考勤录错")
    assert (r.kind, r.points, r.base_points, r.occurred_at, r.reverses) == (
        EntryKind.REVERSAL,
        DEC(-2),
        DEC(-2),
        e.occurred_at,
        e,
    )
    assert (r.rule_id, r.rule_code, r.source_type, r.source_id) == (
        e.rule_id,
        e.rule_code,
        "points.reversal",
        str(e.pk),
    )
    assert (r.reason, r.awarded_by) == ("考勤录错", users.sec_a)
    e.refresh_from_db()
    assert e.reversed_by == r
    assert selectors.balance(m, D(2026, 1, 1), D(2026, 3, 31)) == 0
    log = AuditLog.objects.get(object_type="points.entry", object_id=str(r.pk))
    assert "积分冲正" in log.summary and log.before == {"entry": e.pk, "points": "2.00"}
    with pytest.raises(ValidationError) as exc:
        services.reverse_entry(users.sec_a, e, "再次")
    assert text(exc) == "该记录已冲正"
    with pytest.raises(ValidationError) as exc:
        services.reverse_entry(users.sec_a, r, "冲正冲正")
    assert "冲正记录不能再冲正" in text(exc)
    assert Entry.objects.count() == 2


def test_reverse_entry_needs_a_reason_and_scope(m, users):
    e = give(m).entry
    with pytest.raises(ValidationError) as exc:
        services.reverse_entry(users.sec_a, e, "")
    assert errors(exc)["reason"] == ["请填写冲正理由"]
    with pytest.raises(Http404):
        services.reverse_entry(users.sec_b, e, "错")
    with pytest.raises(PermissionDenied):
        services.reverse_entry(users.member_a, e, "错")
    assert Entry.objects.count() == 1


def test_a_reversal_frees_room_under_the_cap(m, users):
    when = at(2026, 5, 12, 9)
    got = [give(m, "learning.item", when=when).entry for _ in range(10)]
    assert give(m, "learning.item", when=when).entry.points == 0
    services.reverse_entry(users.sec_a, got[0], "重复学习")
    assert give(m, "learning.item", when=when).entry.points == DEC("0.5")
    assert selectors.balance(m, D(2026, 5, 12), D(2026, 5, 12)) == 5


def test_a_superior_deduction_is_reversed_only_from_above(m, users):
    e = manual(users.org_admin, m, "negative.discipline", reason="处分决定").entry
    with pytest.raises(ValidationError) as exc:
        services.reverse_entry(users.sec_a, e, "撤销处分")
    assert "上级党组织" in text(exc)
    assert services.reverse_entry(users.org_admin, e, "撤销处分").points == 20


# --- append-only ----------------------------------------------------------------------------------------


def test_entries_cannot_be_updated_or_deleted(m):
    e = give(m).entry
    e.points = DEC(100)
    with pytest.raises(AppendOnlyError):
        e.save()
    with pytest.raises(AppendOnlyError):
        e.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(pk=e.pk).update(points=DEC(100))
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE points_entry SET points = 100 WHERE id = %s", [e.pk])
    e.refresh_from_db()
    assert e.points == DEC("0.5")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite leaves DELETE to the models")
def test_raw_delete_of_an_entry_fails_on_postgresql(m):
    e = give(m).entry
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM points_entry WHERE id = %s", [e.pk])
    assert Entry.objects.filter(pk=e.pk).exists()


# --- appeals ------------------------------------------------------------------------------------------


def test_appeal_uphold(own, users):
    e = give(own, "orglife.absence").entry
    appeal = services.file_appeal(users.member_a, e, "当天请过假")
    assert (appeal.status, appeal.member, appeal.org, appeal.submitted_by) == (
        AppealStatus.OPEN,
        own,
        own.org,
        users.member_a,
    )
    with pytest.raises(ValidationError) as exc:
        services.file_appeal(users.member_a, e, "再次申诉")
    assert text(exc) == "该记录已有待处理的申诉"
    with pytest.raises(ValidationError) as exc:
        services.resolve_appeal(users.sec_a, appeal, "uphold", "")
    assert errors(exc)["resolution"] == ["请填写处理意见"]
    with pytest.raises(ValidationError) as exc:
        services.resolve_appeal(users.sec_a, appeal, "maybe", "x")
    assert errors(exc)["decision"] == ["请选择处理结果"]
    done = services.resolve_appeal(users.sec_a, appeal, "uphold", "请假未获批准")
    assert (done.status, done.resolved_by, done.resolution) == (
        AppealStatus.UPHELD,
        users.sec_a,
        "请假未获批准",
    )
    assert Entry.objects.count() == 1
    summaries = list(AuditLog.objects.filter(object_type="points.appeal").values_list("summary", flat=True))
    assert "积分申诉：无故缺席组织生活 -3.00分" in summaries
    assert "申诉处理：维持原记分（请假未获批准）" in summaries
    with pytest.raises(ValidationError) as exc:
        services.resolve_appeal(users.sec_a, appeal, "reverse", "改判")
    assert "维持原记分" in text(exc)
    # once resolved, a new appeal may be filed
    assert services.file_appeal(users.member_a, e, "补充材料").status == AppealStatus.OPEN


def test_appeal_reverse(own, users):
    e = give(own, "orglife.absence", when=at(2026, 5, 5)).entry
    appeal = services.file_appeal(users.member_a, e, "当天请过假")
    done = services.resolve_appeal(users.committee_a, appeal, "reverse", "请假属实")
    assert done.status == AppealStatus.REVERSED
    reversal = Entry.objects.get(reverses=e)
    assert reversal.points == 3 and reversal.reason == "申诉成立：请假属实"
    assert selectors.balance(own, D(2026, 5, 1), D(2026, 5, 31)) == 0
    assert AuditLog.objects.filter(object_type="points.entry", summary__startswith="积分冲正").count() == 1
    assert AuditLog.objects.filter(summary="申诉处理：已冲正（请假属实）").count() == 1
    with pytest.raises(ValidationError) as exc:
        services.file_appeal(users.member_a, e, "再来")
    assert text(exc) == "该记录已冲正，无需申诉"
    with pytest.raises(ValidationError) as exc:
        services.file_appeal(users.member_a, reversal, "再来")
    assert text(exc) == "冲正记录不能申诉"


def test_appeals_only_on_own_entries(own, m, users):
    with pytest.raises(ValidationError) as exc:
        services.file_appeal(users.member_a, give(m).entry, "不是我的")
    assert text(exc) == "只能对本人的积分记录提出申诉"
    with pytest.raises(ValidationError):
        services.file_appeal(users.sec_a, give(own).entry, "书记代申诉")
    with pytest.raises(ValidationError) as exc:
        services.file_appeal(users.member_a, give(own).entry, " ")
    assert errors(exc)["reason"] == ["请填写申诉理由"]
    assert not Appeal.objects.exists()


def test_appeal_resolution_is_scoped_and_not_by_the_appellant(tree, users):
    officer_member = MemberFactory(org=tree.a, user=users.sec_a)
    appeal = services.file_appeal(users.sec_a, give(officer_member, "orglife.absence").entry, "有误")
    with pytest.raises(Http404):
        services.resolve_appeal(users.sec_b, appeal, "reverse", "x")
    with pytest.raises(PermissionDenied):
        services.resolve_appeal(users.member_a, appeal, "reverse", "x")
    with pytest.raises(ValidationError) as exc:
        services.resolve_appeal(users.sec_a, appeal, "reverse", "自己改自己")
    assert "本人" in text(exc)
    assert (
        services.resolve_appeal(users.committee_a, appeal, "reverse", "属实").status == AppealStatus.REVERSED
    )


def test_withdraw_appeal(own, users):
    appeal = services.file_appeal(users.member_a, give(own).entry, "有误")
    with pytest.raises(ValidationError) as exc:
        services.withdraw_appeal(users.sec_a, appeal)
    assert text(exc) == "只能撤回自己的申诉"
    assert services.withdraw_appeal(users.member_a, appeal).status == AppealStatus.WITHDRAWN
    with pytest.raises(ValidationError) as exc:
        services.resolve_appeal(users.sec_a, appeal, "uphold", "x")
    assert text(exc) == "该申诉已撤回"
    with pytest.raises(ValidationError):
        services.withdraw_appeal(users.member_a, appeal)


# --- rankings switch and published snapshots -----------------------------------------------------------

Q4 = (D(2025, 10, 1), D(2025, 12, 31))


def test_ranking_and_publication_are_off_by_default(tree, users):
    assert selectors.ranking_enabled(tree.a) is False
    assert selectors.publish_enabled(tree.a) is False
    config.set_value(users.sec_a, tree.a, "points.ranking_enabled", "开启", D(2020, 1, 1))
    assert selectors.ranking_enabled(tree.a) is True
    assert selectors.ranking_enabled(tree.a1) is True  # inherited by its groups
    assert selectors.ranking_enabled(tree.b) is False
    assert selectors.publish_enabled(tree.a) is False
    config.set_value(users.sec_a, tree.a, "points.ranking_enabled", "关闭", today())
    assert selectors.ranking_enabled(tree.a) is False


def test_publish_is_refused_while_switched_off(tree, users):
    with pytest.raises(ValidationError) as exc:
        services.publish_snapshot(users.sec_a, tree.a, "quarter", *Q4)
    assert "未开启积分通报" in text(exc)
    assert not Snapshot.objects.exists()


def _ranked(tree):
    people = [MemberFactory(org=tree.a, name=n) for n in ("甲", "乙", "丙", "丁")]
    give(people[0], "orglife.life_meeting", when=at(2025, 12, 31, 23, 59))  # 3
    give(people[1], "orglife.life_meeting", when=at(2025, 11, 5))  # 3
    give(people[2], "orglife.branch_meeting", when=at(2025, 10, 1, 0, 0))  # 2
    give(people[3], "orglife.branch_meeting", when=at(2026, 1, 1, 0, 0))  # next year: 0 in Q4
    return people


def test_publish_a_snapshot(tree, users):
    people = _ranked(tree)
    switch_on(tree.a, "points.publish_enabled")
    snap = services.publish_snapshot(users.sec_a, tree.a, "quarter", *Q4, note="第四季度")
    assert snap.title == "第一党支部2025年第4季度积分通报"
    assert (snap.member_count, snap.published_by, snap.note) == (4, users.sec_a, "第四季度")
    rows = list(
        SnapshotRow.objects.filter(snapshot=snap).values_list("member_id", "rank", "total", "org_name")
    )
    expected = list(selectors.ranked_members(tree.a, *Q4).values_list("pk", "rank", "total", "org__name"))
    assert rows == expected
    assert [(r[1], r[2]) for r in rows] == [(1, 3), (1, 3), (3, 2), (4, 0)]
    assert rows[-1][0] == people[3].pk
    assert AuditLog.objects.get(object_type="points.snapshot").summary == f"发布积分通报：{snap.title}"
    # later entries in that period do not change what was published
    give(people[3], "orglife.life_meeting", when=at(2025, 11, 1))
    assert SnapshotRow.objects.get(snapshot=snap, member=people[3]).total == 0
    with pytest.raises(ValidationError) as exc:
        services.publish_snapshot(users.sec_a, tree.a, "quarter", *Q4)
    assert "已发布" in text(exc)
    assert Snapshot.objects.count() == 1


def test_publish_is_refused_for_an_open_period_and_bad_input(tree, users):
    switch_on(tree.a, "points.publish_enabled")
    start, end = rules.period_bounds("quarter", today())
    with pytest.raises(ValidationError) as exc:
        services.publish_snapshot(users.sec_a, tree.a, "quarter", start, end)
    assert errors(exc)["end"] == ["只能发布已结束周期的积分通报"]
    yesterday = today() - dt.timedelta(days=1)
    with pytest.raises(ValidationError):
        services.publish_snapshot(users.sec_a, tree.a, "custom", yesterday, today())
    with pytest.raises(ValidationError) as exc:
        services.publish_snapshot(users.sec_a, tree.a, "decade", *Q4)
    assert "period_kind" in errors(exc)
    with pytest.raises(ValidationError) as exc:
        services.publish_snapshot(users.sec_a, tree.a, "custom", Q4[1], Q4[0])
    assert "end" in errors(exc)
    with pytest.raises(ValidationError) as exc:
        services.publish_snapshot(users.sec_a, tree.a, "quarter", D(2025, 10, 1), D(2025, 11, 30))
    assert errors(exc)["start"] == ["起止日期与所选周期（季度）不一致"]
    with pytest.raises(ValidationError) as exc:
        services.publish_snapshot(users.sec_a, tree.a, "month", D(2025, 10, 2), D(2025, 10, 31))
    assert "start" in errors(exc)
    with pytest.raises(Http404):
        services.publish_snapshot(users.sec_b, tree.a, "quarter", *Q4)
    with pytest.raises(PermissionDenied):
        services.publish_snapshot(users.member_a, tree.a, "quarter", *Q4)
    assert services.publish_snapshot(users.sec_a, tree.a, "custom", yesterday, yesterday).member_count == 0
    assert Snapshot.objects.count() == 1


def test_a_committee_publishes_for_everything_below(tree, users):
    _ranked(tree)
    MemberFactory(org=tree.b, name="戊")
    switch_on(tree.root, "points.publish_enabled")
    snap = services.publish_snapshot(users.org_admin, tree.root, "quarter", *Q4)
    assert snap.member_count == 5
    # the branch may publish its own, separately
    assert services.publish_snapshot(users.sec_a, tree.a, "quarter", *Q4).member_count == 4


def test_published_snapshots_are_immutable(tree, users):
    _ranked(tree)
    switch_on(tree.a, "points.publish_enabled")
    snap = services.publish_snapshot(users.sec_a, tree.a, "quarter", *Q4)
    row = snap.rows.first()
    snap.title = "改"
    row.total = DEC(99)
    for obj in (snap, row):
        with pytest.raises(AppendOnlyError):
            obj.save()
        with pytest.raises(AppendOnlyError):
            obj.delete()
    for table, column in (("points_snapshot", "title"), ("points_snapshotrow", "name")):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {column} = 'x'")
    with pytest.raises(DatabaseError), transaction.atomic():
        SnapshotRow.objects.filter(snapshot=snap).update(rank=1)
    snap.refresh_from_db()
    assert snap.title == "第一党支部2025年第4季度积分通报"
    assert SnapshotRow.objects.get(pk=row.pk).total == 3
