"""development.facts: from the database to the rules' plain facts, the org's configured numbers, the
evaluation a board shows, and its query count."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.development.factories import make_case, schedule
from zhibu.core.models import OrgSetting
from zhibu.development import facts, rules, services
from zhibu.development.models import Case, RuleSet, StepDef

pytestmark = pytest.mark.django_db
D = dt.date


def setting(org, key, value):
    return OrgSetting.objects.create(org=org, key=key, value=value, valid_from=D(2000, 1, 1))


def test_current_rule_set_seeds_when_missing(db):
    StepDef.objects.all().delete()
    RuleSet.objects.all().delete()
    rule_set = facts.current_rule_set()
    assert rule_set.is_current and rule_set.code == "cpc-2014"
    assert list(rule_set.steps.values_list("number", flat=True)) == list(range(1, 26))
    assert facts.current_rule_set().pk == rule_set.pk


def test_params_from_rule_set_and_org_config(tree):
    case = make_case(tree.a, 1)
    assert facts.params_for(case) == rules.Params()
    setting(None, "development.notice_working_days", 6)
    setting(tree.general, "development.notice_working_days", 7)
    setting(tree.a, "development.holidays", ["2024-10-01", "2024-10-02"])
    setting(tree.a, "development.extra_workdays", ["2024-09-29"])
    setting(tree.b, "development.thought_report_months", 1)
    RuleSet.objects.filter(pk=case.rule_set_id).update(params={**case.rule_set.params, "approval_months": 2})
    case = Case.objects.select_related("org", "rule_set").get(pk=case.pk)
    params = facts.params_for(case)
    assert params.notice_working_days == 7  # the deepest org on the path wins
    assert params.holidays == frozenset({D(2024, 10, 1), D(2024, 10, 2)})
    assert params.extra_workdays == frozenset({D(2024, 9, 29)})
    assert (params.thought_report_months, params.approval_months) == (3, 2)
    other = make_case(tree.b, 1, name="乙")
    other = Case.objects.select_related("org", "rule_set").get(pk=other.pk)
    assert facts.params_for(other).thought_report_months == 1
    assert facts.fresh_params(other) == facts.params_for(other)


def test_configured_notice_days_are_used_when_recording(tree):
    setting(tree.a, "development.notice_working_days", 7)
    case = make_case(tree.a, 6)
    s = schedule()
    start = s[7] - dt.timedelta(days=11)
    services.record_step(None, case, 7, done_on=s[7], data={"notice_start": start.isoformat()})
    record = case.records.get(step__number=7)
    assert record.data["notice_end"] == rules.notice_end(start, 7).isoformat()
    assert record.data["notice_working_days"] == 7


def test_facts_for_a_case(tree):
    case = make_case(tree.a, 11)
    s = schedule()
    f = facts.facts_for(case)
    assert (f.applied_on, f.talked_on, f.activist_on, f.candidate_on) == (s[1], s[2], s[3], s[7])
    assert f.steps == {n: s[n] for n in range(1, 12)} and f.last_step == 11
    assert f.mentors == 1 and len(f.sponsors) == 2 and all(sp.category == "full" for sp in f.sponsors)
    assert f.assessments == (s[3] + dt.timedelta(150), s[3] + dt.timedelta(300))
    assert (f.training_days, f.training_hours) == (3.0, 24.0)
    start = s[7] - dt.timedelta(11)
    assert f.candidate_notice == (start, rules.notice_end(start, 5))
    assert f.admission_notice is None and f.status == "active"


def test_evaluate_a_clean_case_and_an_overdue_one(tree):
    case = make_case(tree.a, 11, reports=True)
    assert case.thought_reports.count() == 6
    result = facts.evaluate(case, today=D(2022, 9, 1))
    assert result["next_step"].number == 12
    assert result["findings"] == []
    codes = {d.code: d.state for d in result["deadlines"]}
    assert codes["talk"] == "done" and codes["candidate"] == "done"
    late = make_case(tree.a, 1, name="逾期", applied_on=D(2024, 1, 5))
    result = facts.evaluate(late, today=D(2024, 6, 1))
    assert result["next_step"].number == 2
    assert {f.code for f in result["findings"]} == {"talk_overdue", "thought_report_overdue"}
    done = make_case(tree.a, 25, name="已转正")
    assert facts.evaluate(done)["next_step"] is None


def _board(org):
    return list(Case.objects.filter(org=org).select_related("org").prefetch_related(*facts.PREFETCH))


def test_evaluating_a_board_takes_constant_queries(tree):
    setting(tree.a, "development.holidays", ["2024-10-01"])
    make_case(tree.a, 3, name="一")
    make_case(tree.a, 9, name="二")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            for case in _board(tree.a):
                facts.evaluate(case, today=D(2024, 6, 1))
        return len(ctx.captured_queries)

    small = count()
    for n, step in enumerate((1, 7, 16, 20)):
        make_case(tree.a, step, name=f"多{n}")
    assert count() == small
    with CaptureQueriesContext(connection) as ctx:
        results = facts.evaluate_many(_board(tree.a), today=D(2024, 6, 1))
    assert len(results) == 6 and len(ctx.captured_queries) == small
