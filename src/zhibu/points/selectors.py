"""Reads of the points catalogue, ledgers, queues and rankings, scoped to what the user may see.

Officers see members whose branch (or 党小组) is in their points.view scope; every member sees their own
ledger. Rankings are computed in the database in one query (a correlated SUM per member over the
period, ranked with RANK()), and only where the org has switched rankings on (off by default).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Rank
from django.http import Http404
from django.utils import timezone

from zhibu.core import access, config
from zhibu.core.access import Perm
from zhibu.members.models import Member
from zhibu.orgs.models import Organization
from zhibu.points import catalogue, rules
from zhibu.points.models import Appeal, AppealStatus, Category, Claim, ClaimStatus, Entry, Rule, Snapshot

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=12, decimal_places=2))


# --- Catalogue -------------------------------------------------------------------------------------


def _paths(org) -> list[str]:
    if org is None:
        return []
    steplen = Organization.steplen
    return [org.path[:i] for i in range(steplen, len(org.path) + 1, steplen)]


def _effective_rows(org, on: dt.date, code: str | None = None, *, _again: bool = False) -> dict[str, Rule]:
    """code → the effective Rule row for `org` on day `on` (deepest org, then latest valid_from)."""
    rows = Rule.objects.filter(valid_from__lte=on).filter(Q(org__isnull=True) | Q(org__path__in=_paths(org)))
    if code is not None:
        rows = rows.filter(code=code)
    best: dict[str, tuple] = {}
    for row in rows.select_related("org"):
        rank = (len(row.org.path) if row.org_id else -1, row.valid_from, row.version)
        if row.code not in best or rank > best[row.code][0]:
            best[row.code] = (rank, row)
    if not best and not _again and on >= catalogue.VALID_FROM and (code is None or code in catalogue.CODES):
        # The test database was flushed: the default catalogue comes back. Look again also when another
        # thread has just seeded it (its rows were not there for the first query).
        if not Rule.objects.filter(org__isnull=True).exists():
            catalogue.seed(Rule)
        return _effective_rows(org, on, code, _again=True)
    return {c: row for c, (_, row) in best.items()}


def _depth(rule: Rule) -> int:
    return len(rule.org.path) if rule.org_id else -1


def resolve_rule(org, code: str, on: dt.date | None = None) -> Rule | None:
    """The active rule version for `code` that applies to members of `org` on `on`, else None."""
    on = on or timezone.localdate()
    row = _effective_rows(org, on, code).get(code)
    return row if row is not None and row.active else None


@dataclass(frozen=True)
class RuleRow:
    rule: Rule
    origin: str  # "系统默认" or the name of the org that set this version
    own: bool  # set on the org being looked at (else inherited)
    upcoming: Rule | None  # a version set to start later, if any
    future: bool = False  # a new rule not yet in effect: `rule` is its first version


def effective_rules(org, on: dt.date | None = None, *, include_inactive: bool = True) -> list[RuleRow]:
    """The catalogue as it applies to `org` on `on`, with where each rule comes from (for the editor)."""
    on = on or timezone.localdate()
    current = _effective_rows(org, on)
    later: dict[str, Rule] = {}
    rows = Rule.objects.filter(valid_from__gt=on).filter(Q(org__isnull=True) | Q(org__path__in=_paths(org)))
    # The next change: the earliest date, and on that date the deepest org, then the latest version.
    for row in sorted(rows.select_related("org"), key=lambda r: (r.valid_from, -_depth(r), -r.version)):
        now = current.get(row.code)
        # A later version set higher up the tree never replaces one set deeper (see _effective_rows).
        if now is None or _depth(row) >= _depth(now):
            later.setdefault(row.code, row)
    order = {c: i for i, c in enumerate(Category.values)}
    result = []
    for code, rule in sorted(current.items(), key=lambda kv: (order.get(kv[1].category, 99), kv[0])):
        if not include_inactive and not rule.active:
            continue
        own = org is not None and rule.org_id == org.pk
        result.append(RuleRow(rule, _origin(rule), own, later.get(code)))
    if include_inactive:  # the editor also lists new rules that start later
        for code, rule in sorted(later.items(), key=lambda kv: (order.get(kv[1].category, 99), kv[0])):
            if code not in current:
                own = org is not None and rule.org_id == org.pk
                result.append(RuleRow(rule, _origin(rule), own, None, future=True))
    return result


def _origin(rule: Rule) -> str:
    return rule.org.name if rule.org_id else "系统默认"


def rule_history(org, code: str) -> QuerySet[Rule]:
    """Every version of `code` on the org's path (newest first), for explaining old entries."""
    return (
        Rule.objects.filter(code=code)
        .filter(Q(org__isnull=True) | Q(org__path__in=_paths(org)))
        .select_related("org", "created_by")
        .order_by("-valid_from", "-version")
    )


def manual_rules(org, on: dt.date | None = None) -> list[Rule]:
    """Rules an officer may pick on the award/deduct form (not system-only)."""
    return [r.rule for r in effective_rules(org, on, include_inactive=False) if r.rule.awarder != "system"]


def self_report_rules(org, on: dt.date | None = None) -> list[Rule]:
    """Rules a member of `org` may report themselves."""
    return [r.rule for r in effective_rules(org, on, include_inactive=False) if r.rule.self_report]


# --- Scope -----------------------------------------------------------------------------------------


def _member_scope_q(user, perm: Perm) -> Q:
    return access.scope_q(user, perm, prefix="org__") | access.scope_q(user, perm, prefix="group__")


def visible_members(user, perm: Perm = Perm.POINTS_VIEW) -> QuerySet[Member]:
    """Members whose points the user may see as an officer (points.view in their branch or 党小组)."""
    return Member.objects.filter(_member_scope_q(user, perm))


def own_member(user) -> Member | None:
    """The member record linked to the user's account, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Member.objects.select_related("org", "group").filter(user=user).first()


def get_member(user, pk, perm: Perm = Perm.POINTS_VIEW) -> Member:
    """A member the user may see points of (officer scope, or themselves), else 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("未找到该党员，或您无权查看") from None
    member = Member.objects.select_related("org", "group", "user").filter(pk=pk).first()
    if member is None:
        raise Http404("未找到该党员，或您无权查看")
    if perm == Perm.POINTS_VIEW and member.user_id is not None and member.user_id == user.pk:
        return member
    if not visible_members(user, perm).filter(pk=pk).exists():
        raise Http404("未找到该党员，或您无权查看")
    return member


def get_entry(user, pk) -> Entry:
    """An entry of the user's own ledger or in their points.view scope, else 404."""
    try:
        entry = Entry.objects.select_related(
            "member", "member__org", "rule", "awarded_by", "approved_by", "reverses"
        ).get(pk=int(pk))
    except (Entry.DoesNotExist, TypeError, ValueError):
        raise Http404("未找到该积分记录，或您无权查看") from None
    get_member(user, entry.member_id)
    return entry


def points_orgs(user, perm: Perm = Perm.POINTS_VIEW) -> QuerySet[Organization]:
    """Active orgs in the user's scope for `perm` (branch pickers, ranking scopes)."""
    return Organization.objects.filter(access.scope_q(user, perm), status="active").order_by("path")


def get_org(user, pk, perm: Perm = Perm.POINTS_VIEW) -> Organization:
    org = Organization.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    if org is None or not access.in_scope(user, org) or not access.has_perm(user, perm, org):
        raise Http404("未找到该组织，或您无权访问")
    return org


# --- Ledger and balances ---------------------------------------------------------------------------


def ledger(member: Member, start: dt.date | None = None, end: dt.date | None = None) -> QuerySet[Entry]:
    """A member's entries (newest first), each with its rule version, who awarded it, and its reversal."""
    qs = Entry.objects.filter(member=member)
    if start is not None and end is not None:
        begin, stop = rules.local_range(start, end)
        qs = qs.filter(occurred_at__gte=begin, occurred_at__lt=stop)
    return qs.select_related("rule", "awarded_by", "approved_by", "reverses", "reversed_by", "claim")


def balance(member: Member, start: dt.date, end: dt.date) -> Decimal:
    """The member's points for local days [start, end]."""
    begin, stop = rules.local_range(start, end)
    total = Entry.objects.filter(member=member, occurred_at__gte=begin, occurred_at__lt=stop).aggregate(
        total=Coalesce(Sum("points"), ZERO)
    )["total"]
    return total


def total_all_time(member: Member) -> Decimal:
    return Entry.objects.filter(member=member).aggregate(total=Coalesce(Sum("points"), ZERO))["total"]


def breakdown(member: Member, start: dt.date, end: dt.date) -> list[dict]:
    """Points per category in the period: [{"category", "label", "total", "count"}], one query."""
    from django.db.models import Count

    from zhibu.points.models import Category

    begin, stop = rules.local_range(start, end)
    rows = (
        Entry.objects.filter(member=member, occurred_at__gte=begin, occurred_at__lt=stop)
        .values("category")
        .annotate(total=Sum("points"), count=Count("id"))
        .order_by("category")
    )
    labels = dict(Category.choices)
    return [{**row, "label": labels.get(row["category"], row["category"])} for row in rows]


# --- Rankings --------------------------------------------------------------------------------------


def ranking_enabled(org) -> bool:
    """Rankings are opt-in per organization (off by default; domain-rules §8)."""
    return bool(config.get(org, "points.ranking_enabled"))


def publish_enabled(org) -> bool:
    return bool(config.get(org, "points.publish_enabled"))


def _period_total(begin: dt.datetime, stop: dt.datetime):
    per_member = (
        Entry.objects.filter(member=OuterRef("pk"), occurred_at__gte=begin, occurred_at__lt=stop)
        .order_by()
        .values("member")
        .annotate(s=Sum("points"))
        .values("s")
    )
    return Coalesce(Subquery(per_member, output_field=DecimalField(max_digits=12, decimal_places=2)), ZERO)


def ranked_members(org, start: dt.date, end: dt.date, q: str = "") -> QuerySet[Member]:
    """On-roll members of `org` and below (a 党小组: its members) with `total` for [start, end] and
    `rank` (RANK(): ties share a place), best first. One query; paginate it.

    `q` keeps members whose name contains it, each with the place they hold among everyone: a plain
    filter would rank the matches among themselves, so the match is a window expression, which Django
    filters in an outer query after RANK().
    """
    begin, stop = rules.local_range(start, end)
    rows = (
        Member.objects.under(org)
        .on_roll()
        .annotate(total=_period_total(begin, stop))
        .annotate(rank=Window(Rank(), order_by=F("total").desc()))
        .select_related("org", "group")
        .order_by("rank", "name", "pk")
    )
    if q:
        hit = Window(
            Max(Case(When(name__contains=q, then=Value(1)), default=Value(0), output_field=IntegerField())),
            partition_by=[F("pk")],
        )
        rows = rows.annotate(name_hit=hit).filter(name_hit=1)
    return rows


@dataclass(frozen=True)
class OwnRank:
    rank: int
    total: Decimal
    count: int


def member_rank(member: Member, org, start: dt.date, end: dt.date) -> OwnRank:
    """The member's place among on-roll members of `org` for the period: 1 + how many have more."""
    begin, stop = rules.local_range(start, end)
    total = balance(member, start, end)
    scope = Member.objects.under(org).on_roll().annotate(total=_period_total(begin, stop))
    agg = scope.aggregate(
        ahead=Coalesce(Sum(Value(1), filter=Q(total__gt=total)), 0),
        count=Coalesce(Sum(Value(1)), 0),
    )
    return OwnRank(rank=agg["ahead"] + 1, total=total, count=agg["count"])


# --- Queues ----------------------------------------------------------------------------------------


def claims(user, status: str | None = ClaimStatus.PENDING) -> QuerySet[Claim]:
    """Claims in the user's points.manage scope (the approval queue), oldest first when pending."""
    qs = Claim.objects.filter(access.scope_q(user, Perm.POINTS_MANAGE, prefix="org__"))
    if status:
        qs = qs.filter(status=status)
    order = ("submitted_at", "id") if status == ClaimStatus.PENDING else ("-submitted_at", "-id")
    return qs.select_related("member", "org", "rule", "submitted_by", "decided_by", "entry").order_by(*order)


def get_claim(user, pk, *, manage: bool = True) -> Claim:
    """A claim in the user's points.manage scope, or (manage=False) also one they submitted or own."""
    qs = Claim.objects.select_related("member", "org", "rule", "submitted_by", "decided_by", "entry")
    claim = qs.filter(pk=pk).first() if str(pk).isdigit() else None
    if claim is not None:
        if access.has_perm(user, Perm.POINTS_MANAGE, claim.org):
            return claim
        if not manage and (claim.submitted_by_id == user.pk or claim.member.user_id == user.pk):
            return claim
    raise Http404("未找到该申报，或您无权查看")


def my_claims(user) -> QuerySet[Claim]:
    return Claim.objects.filter(member__user=user).select_related("rule", "entry").order_by("-submitted_at")


def appeals(user, status: str | None = AppealStatus.OPEN) -> QuerySet[Appeal]:
    qs = Appeal.objects.filter(access.scope_q(user, Perm.POINTS_MANAGE, prefix="org__"))
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("entry", "entry__rule", "member", "org", "submitted_by", "resolved_by").order_by(
        "submitted_at" if status == AppealStatus.OPEN else "-submitted_at", "id"
    )


def get_appeal(user, pk, *, manage: bool = True) -> Appeal:
    qs = Appeal.objects.select_related("entry", "entry__rule", "member", "org", "resolved_by")
    appeal = qs.filter(pk=pk).first() if str(pk).isdigit() else None
    if appeal is not None:
        if access.has_perm(user, Perm.POINTS_MANAGE, appeal.org):
            return appeal
        if not manage and appeal.member.user_id == user.pk:
            return appeal
    raise Http404("未找到该申诉，或您无权查看")


def my_appeals(user) -> QuerySet[Appeal]:
    return (
        Appeal.objects.filter(member__user=user)
        .select_related("entry", "entry__rule")
        .order_by("-submitted_at")
    )


def queue_counts(user) -> dict:
    """Pending claims and open appeals in the user's points.manage scope (工作台 and nav badges)."""
    scope = access.scope_q(user, Perm.POINTS_MANAGE, prefix="org__")
    return {
        "claims": Claim.objects.filter(scope, status=ClaimStatus.PENDING).count(),
        "appeals": Appeal.objects.filter(scope, status=AppealStatus.OPEN).count(),
    }


# --- Published rankings (积分通报) -------------------------------------------------------------------


def visible_snapshots(user) -> QuerySet[Snapshot]:
    """Published rankings the user may read: in their points.view scope, or of an org they belong to."""
    q = access.scope_q(user, Perm.POINTS_VIEW, prefix="org__")
    member = own_member(user)
    if member is not None:
        paths = set(_paths(member.org)) | (set(_paths(member.group)) if member.group_id else set())
        q |= Q(org__path__in=paths)
    return Snapshot.objects.filter(q).select_related("org", "published_by")


def get_snapshot(user, pk) -> Snapshot:
    snap = visible_snapshots(user).filter(pk=pk).first() if str(pk).isdigit() else None
    if snap is None:
        raise Http404("未找到该积分通报，或您无权查看")
    return snap


# --- For 民主评议 and branch assessment ---------------------------------------------------------------


def year_totals(org, year: int) -> dict[int, Decimal]:
    """member id → points in `year` for on-roll members of `org` (a reference for 民主评议 and branch
    assessment, never a verdict). One query."""
    return {m.pk: m.total for m in ranked_members(org, dt.date(year, 1, 1), dt.date(year, 12, 31))}


def member_reference(member: Member, year: int) -> dict:
    """A member's points for `year`: total, per category, and (only where rankings are on) their place."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    result = {"year": year, "total": balance(member, start, end), "categories": breakdown(member, start, end)}
    if ranking_enabled(member.org):
        result["rank"] = member_rank(member, member.org, start, end)
    return result
