"""Reads of the org tree and committees, always scoped to what the user may see."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max, Prefetch, Q
from django.db.models.functions import Coalesce, Substr
from django.http import Http404
from django.utils import timezone

from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.members.models import Category, Member
from zhibu.orgs import rules
from zhibu.orgs.models import CommitteeSeat, CommitteeTerm, Organization, OrgType, SeatHolding

STEP = Organization.steplen
# Where a member sits in the tree: their 党小组 if they are in one, else their branch. Members are
# registered at the branch (`org`) with an optional `group`, so counting by `org__path` alone would
# give every 党小组 zero members.
MEMBER_PLACE = Coalesce("group__path", "org__path")


def visible_orgs(user, perm: Perm = Perm.ORG_VIEW):
    return Organization.objects.filter(access.scope_q(user, perm))


def get_org(user, pk, perm: Perm = Perm.ORG_VIEW) -> Organization:
    """The org if the user may `perm` it: 404 out of scope, 403 in scope without the permission."""
    try:
        org = Organization.objects.get(pk=int(pk))
    except (Organization.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该组织，或您无权访问") from None
    access.require(user, perm, org)
    return org


def scope_roots(user) -> list[Organization]:
    """The top orgs of the user's view scope, in tree order."""
    paths = access.roots(user, Perm.ORG_VIEW)
    return list(Organization.objects.filter(path__in=paths).order_by("path"))


def subtree_member_counts(parent_path: str, depth: int) -> dict[str, tuple[int, int]]:
    """{child path prefix: (members on roll, full members)} for every child of a node, in one query."""
    rows = (
        Member.objects.on_roll()
        .filter(org__path__startswith=parent_path)
        .annotate(prefix=Substr(MEMBER_PLACE, 1, (depth + 1) * STEP))
        .values("prefix")
        .annotate(n=Count("id"), full=Count("id", filter=Q(category=Category.FULL)))
    )
    return {row["prefix"]: (row["n"], row["full"]) for row in rows}


def children_with_counts(org: Organization, include_dissolved: bool = False) -> list[Organization]:
    """Direct children, each with `.member_count` and `.full_count` of its whole subtree (2 queries)."""
    children = Organization.objects.get_children(org)
    if not include_dissolved:
        children = children.filter(status="active")
    children = list(children)
    counts = subtree_member_counts(org.path, org.depth)
    for child in children:
        child.member_count, child.full_count = counts.get(child.path, (0, 0))
    return children


def annotate_counts(orgs: list[Organization]) -> list[Organization]:
    """Attach subtree member counts to arbitrary orgs (one query per distinct depth)."""
    by_depth: dict[int, list[Organization]] = {}
    for org in orgs:
        by_depth.setdefault(org.depth, []).append(org)
    for depth, group in by_depth.items():
        q = Q()
        for org in group:
            q |= Q(org__path__startswith=org.path)
            if org.org_type == OrgType.GROUP:
                q |= Q(group=org)
        rows = (
            Member.objects.on_roll()
            .filter(q)
            .annotate(prefix=Substr(MEMBER_PLACE, 1, depth * STEP))
            .values("prefix")
            .annotate(n=Count("id"), full=Count("id", filter=Q(category=Category.FULL)))
        )
        counts = {row["prefix"]: (row["n"], row["full"]) for row in rows}
        for org in group:
            org.member_count, org.full_count = counts.get(org.path, (0, 0))
    return orgs


def member_counts(org: Organization) -> tuple[int, int]:
    """(members on roll, full members) in the org's whole subtree."""
    agg = (
        Member.objects.on_roll()
        .under(org)
        .aggregate(n=Count("id"), full=Count("id", filter=Q(category=Category.FULL)))
    )
    return agg["n"], agg["full"]


def search_orgs(user, text: str, limit: int = 50):
    text = (text or "").strip()
    qs = visible_orgs(user).filter(
        Q(name__icontains=text) | Q(code__icontains=text) | Q(short_name__icontains=text)
    )
    return list(qs.order_by("path")[:limit])


# --- Committees -----------------------------------------------------------------------------------


@dataclass
class SeatView:
    seat: CommitteeSeat
    holder: SeatHolding | None
    vacant_since: dt.date | None = None
    vacant_days: int | None = None


@dataclass
class CommitteeView:
    term: CommitteeTerm | None
    flag: str = "none"  # none | ok | ending_soon | overdue
    seats: list[SeatView] = field(default_factory=list)
    days_left: int | None = None

    @property
    def vacancies(self) -> list[SeatView]:
        return [s for s in self.seats if s.holder is None]

    @property
    def seat_count(self) -> int:
        return len(self.seats)


def committee_view(org: Organization, today: dt.date | None = None) -> CommitteeView:
    """The current term with its seats, holders, vacancies (since when) and the term flag (3 queries)."""
    today = today or timezone.localdate()
    term = CommitteeTerm.objects.filter(org=org, ended_on__isnull=True).first()
    if term is None:
        return CommitteeView(term=None)
    seats = (
        CommitteeSeat.objects.filter(term=term)
        .annotate(last_end=Max("holdings__ended_on"))
        .prefetch_related(
            Prefetch(
                "holdings",
                queryset=SeatHolding.objects.filter(ended_on__isnull=True).select_related("member"),
                to_attr="current",
            )
        )
    )
    views = []
    for seat in seats:
        holder = seat.current[0] if seat.current else None
        since = None if holder else (seat.last_end or term.started_on)
        views.append(SeatView(seat, holder, since, (today - since).days if since else None))
    return CommitteeView(
        term=term,
        flag=rules.term_flag(term.ends_on, today),
        seats=views,
        days_left=(term.ends_on - today).days,
    )


def term_history(org: Organization):
    """All terms, newest first, with every holding (current and past)."""
    return CommitteeTerm.objects.filter(org=org).prefetch_related(
        Prefetch(
            "seats",
            queryset=CommitteeSeat.objects.prefetch_related(
                Prefetch(
                    "holdings", queryset=SeatHolding.objects.select_related("member").order_by("started_on")
                )
            ),
        )
    )


def setup_advice(org: Organization, committee: CommitteeView | None = None) -> list[rules.Advice]:
    """Setup advice for one org from its counts (domain-rules §3)."""
    members, full = member_counts(org)
    committee = committee or committee_view(org)
    group_count = small_groups = 0
    if org.org_type == OrgType.BRANCH:
        groups = (
            Organization.objects.get_children(org)
            .filter(org_type=OrgType.GROUP, status="active")
            .annotate(
                n=Count("group_members", filter=Q(group_members__status__in=["normal", "mobile", "lost"]))
            )
        )
        sizes = [g.n for g in groups]
        group_count, small_groups = len(sizes), sum(1 for n in sizes if n < rules.GROUP_MIN_MEMBERS)
    return rules.setup_advice(
        org_type=org.org_type,
        branch_kind=org.branch_kind,
        full_members=full,
        members=members,
        has_committee=committee.term is not None and committee.term.kind == CommitteeTerm.Kind.COMMITTEE,
        committee_seats=committee.seat_count,
        group_count=group_count,
        small_groups=small_groups,
    )


def members_for_seat(org: Organization):
    """Full members on the roll who may hold a seat of this org."""
    return Member.objects.on_roll().full().under(org).order_by("name")


def terms_due(user, today: dt.date | None = None, limit: int = 20):
    """Current terms the user manages that end within 6 months or are overdue (工作台 to-dos)."""
    today = today or timezone.localdate()
    soon = rules.add_months(today, rules.TERM_REMINDER_MONTHS)
    return list(
        CommitteeTerm.objects.filter(access.scope_q(user, Perm.COMMITTEE_MANAGE, prefix="org__"))
        .filter(ended_on__isnull=True, ends_on__lte=soon, org__status="active")
        .select_related("org")
        .order_by("ends_on")[:limit]
    )
