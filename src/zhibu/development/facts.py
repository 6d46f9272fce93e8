"""From a development case in the database to the plain values the rules work on (development.rules).

Reads only. `PREFETCH` makes `facts_for`/`evaluate` free of extra queries per case; the org's
configured numbers (公示 working days, holidays, thought-report cadence) are read once per queryset:
see `_Settings` and `evaluate_many`.
"""

import datetime as dt

from django.db.models import Prefetch
from django.utils import timezone

from zhibu.core.config import KEYS
from zhibu.core.models import OrgSetting
from zhibu.development import rules
from zhibu.development.models import (
    Participant,
    ParticipantRole,
    RuleSet,
    Stage,
    StepDef,
    StepRecord,
)
from zhibu.development.seed import seed

# prefetch_related(*PREFETCH) on a Case queryset: everything facts_for/evaluate read, in 6 queries
# whatever the number of cases (rule_set must be prefetched, not select_related, for the settings
# cache to be shared: see _settings_for).
PREFETCH = (
    "rule_set__steps",
    Prefetch("records", queryset=StepRecord.objects.select_related("step")),
    Prefetch("participants", queryset=Participant.objects.select_related("member")),
    "assessments",
    "thought_reports",
)

CONFIG_KEYS = {
    "notice_working_days": "development.notice_working_days",
    "thought_report_months": "development.thought_report_months",
    "holidays": "development.holidays",
    "extra_workdays": "development.extra_workdays",
}


def current_rule_set() -> RuleSet:
    """The rule set new cases use (is_current); seeds 细则 2014 when the table is empty (a flushed test
    database loses the rows the migration seeded)."""
    rule_set = RuleSet.objects.filter(is_current=True).first()
    if rule_set is None:
        seed(RuleSet, StepDef)
        current = RuleSet.objects.filter(is_current=True).first()
        rule_set = current or RuleSet.objects.order_by("-effective_from").first()
    return rule_set


class _Settings:
    """core.config.get for the development keys and many orgs at once: one query, resolved by path in
    Python with the same precedence (deepest org on the path, then the latest valid_from; else the
    deployment-wide value; else the default)."""

    def __init__(self, on: dt.date):
        self.on = on
        self.rows: dict[str, list] = {key: [] for key in CONFIG_KEYS.values()}
        for key, value, valid_from, path in OrgSetting.objects.filter(
            key__in=list(CONFIG_KEYS.values()), valid_from__lte=on
        ).values_list("key", "value", "valid_from", "org__path"):
            self.rows[key].append((path, valid_from, value))
        self._cache: dict[tuple[str, str], object] = {}

    def get(self, path: str, key: str):
        if (path, key) in self._cache:
            return self._cache[(path, key)]
        best = None
        for org_path, valid_from, value in self.rows[key]:
            if org_path is None:
                rank = (-1, valid_from)
            elif path.startswith(org_path):
                rank = (len(org_path), valid_from)
            else:
                continue
            if best is None or rank > best[0]:
                best = (rank, value)
        value = best[1] if best is not None else KEYS[key].default
        self._cache[(path, key)] = value
        return value

    def params(self, rule_set: RuleSet, org) -> rules.Params:
        overrides = {name: self.get(org.path, key) for name, key in CONFIG_KEYS.items()}
        return rules.Params.from_dict(rule_set.params, **overrides)


def _settings_for(case, on: dt.date) -> _Settings:
    """A settings resolver shared by the cases of one queryset: kept on their (prefetched, therefore
    shared) RuleSet instance for the day asked about; a fresh one per request or service call."""
    holder = case.rule_set
    cached = getattr(holder, "_zhibu_dev_settings", None)
    if cached is None or cached.on != on:
        cached = _Settings(on)
        holder._zhibu_dev_settings = cached
    return cached


def params_for(case, on: dt.date | None = None) -> rules.Params:
    """The rule numbers for a case: its rule set's params plus the org's configured 公示 working days,
    holidays, 调休 working days and thought-report cadence (core.config)."""
    return _settings_for(case, on or timezone.localdate()).params(case.rule_set, case.org)


def fresh_params(case, on: dt.date | None = None) -> rules.Params:
    """params_for without any cached settings (services: always read the current configuration)."""
    return _Settings(on or timezone.localdate()).params(case.rule_set, case.org)


def _related(case, name: str, **select):
    cache = getattr(case, "_prefetched_objects_cache", {})
    if name in cache:
        return list(cache[name])
    qs = getattr(case, name).all()
    if select.get("select"):
        qs = qs.select_related(*select["select"])
    return list(qs)


def _date(value) -> dt.date | None:
    if not value:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _notice(record, params: rules.Params | None) -> tuple[dt.date, dt.date] | None:
    if record is None:
        return None
    start = _date(record.data.get("notice_start"))
    if start is None:
        return None
    end = _date(record.data.get("notice_end"))
    if end is None:
        end = rules.notice_window(start, params or rules.Params())[1]
    return start, end


def _float(value):
    return None if value is None else float(value)


def facts_for(case, params: rules.Params | None = None) -> rules.CaseFacts:
    """The plain facts of a case. Uses the prefetched relations of PREFETCH when present.

    `params` only matters for 公示 recorded without a stored end day (the end is stored when recorded)."""
    records = {r.step.number: r for r in _related(case, "records", select=("step",))}
    participants = [p for p in _related(case, "participants", select=("member",)) if p.ended_on is None]
    assessments = _related(case, "assessments")
    sponsors = tuple(
        rules.SponsorFacts(
            name=p.member.name,
            category=p.member.category,
            status=p.member.status,
            under_party_probation=p.member.under_party_probation,
        )
        for p in participants
        if p.role == ParticipantRole.SPONSOR
    )
    return rules.CaseFacts(
        birth_date=case.birth_date,
        applied_on=case.applied_on,
        talked_on=case.talked_on,
        activist_on=case.activist_on,
        assessments=tuple(sorted(a.assessed_on for a in assessments if a.stage == Stage.ACTIVIST)),
        mentors=sum(1 for p in participants if p.role == ParticipantRole.MENTOR),
        candidate_on=case.candidate_on,
        candidate_notice=_notice(records.get(7), params),
        sponsors=sponsors,
        training_days=_float(case.training_days),
        training_hours=_float(case.training_hours),
        admission_notice=_notice(records.get(14), params),
        admitted_on=case.admitted_on,
        approved_on=case.approved_on,
        extension_months=case.extension_months,
        extensions=1 if case.extension_months else 0,
        probation_assessments=tuple(sorted(a.assessed_on for a in assessments if a.stage == Stage.PROBATION)),
        conversion_vote_on=case.conversion_vote_on,
        conversion_approved_on=case.conversion_approved_on,
        thought_reports=tuple(sorted(r.submitted_on for r in _related(case, "thought_reports"))),
        last_step=case.last_step,
        status=case.status,
        steps={n: r.done_on for n, r in records.items()},
    )


def next_step(case, case_facts: rules.CaseFacts) -> StepDef | None:
    """The first step not yet recorded whose prerequisites are recorded (None when the case is over)."""
    if case.status not in ("active", "converted"):
        return None
    available = rules.available_steps(case_facts.done_steps())
    if not available:
        return None
    steps = {s.number: s for s in case.rule_set.steps.all()}
    return steps.get(available[0])


def evaluate(case, today: dt.date | None = None, params: rules.Params | None = None) -> dict:
    """{"deadlines": [Deadline], "findings": [Finding], "next_step": StepDef | None, "params": Params}.

    With a queryset prefetched with PREFETCH this runs no query per case (one for the settings)."""
    today = today or timezone.localdate()
    params = params or params_for(case, today)
    case_facts = facts_for(case, params)
    return {
        "deadlines": rules.deadlines(case_facts, params, today),
        "findings": rules.check(case_facts, params, today),
        "next_step": next_step(case, case_facts),
        "params": params,
        "facts": case_facts,
    }


def evaluate_many(cases, today: dt.date | None = None) -> list[dict]:
    """evaluate() for many cases with one settings query (whatever the rule-set instances)."""
    today = today or timezone.localdate()
    settings = _Settings(today)
    return [evaluate(c, today, settings.params(c.rule_set, c.org)) for c in cases]
