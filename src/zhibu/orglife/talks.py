"""谈心谈话: records of talks (who with whom, when, topic, brief notes) and the yearly coverage of the
required pairs of a branch (支委↔支委, 支委↔党员, 党员↔党员 at least once a year; 条例 第十九条).

Privacy: the notes are readable only by the two parties and holders of talk.view (the branch secretary);
other officers with orglife.view see that a talk happened (who, when, topic) but not its notes.
Services (scoped, in a transaction, audited — the audit log never carries the notes) and selectors.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from zhibu.core import access, audit
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError, fail
from zhibu.core.models import AuditAction
from zhibu.members.models import Member
from zhibu.orglife import rules, selectors
from zhibu.orglife.models import Talk
from zhibu.orgs.models import Organization, OrgType

TOPIC_MAX = 150
NOTES_MAX = 5000
NOTES_HIDDEN = "谈话要点仅谈话双方和支部书记可见"


def _actor(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# --- Selectors -----------------------------------------------------------------------------------------


def talk_branches(user) -> QuerySet[Organization]:
    """Active branches whose talks the user may see as an officer (orglife.view)."""
    return Organization.objects.filter(
        access.scope_q(user, Perm.ORGLIFE_VIEW), status="active", org_type=OrgType.BRANCH
    ).order_by("path")


def visible_talks(user) -> QuerySet[Talk]:
    """Talks the user may know of: officer scope (orglife.view) and their own (as either party)."""
    q = access.scope_q(user, Perm.ORGLIFE_VIEW, prefix="org__")
    member = selectors.own_member(user)
    if member is not None:
        q |= Q(initiator=member) | Q(partner=member)
    return Talk.objects.filter(q)


def _with_people(qs: QuerySet[Talk]) -> QuerySet[Talk]:
    return qs.select_related("org", "initiator", "partner", "recorded_by")


def get_talk(user, pk) -> Talk:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("未找到该谈话记录，或您无权查看") from None
    talk = _with_people(visible_talks(user)).filter(pk=pk).first()
    if talk is None:
        raise Http404("未找到该谈话记录，或您无权查看")
    return talk


def can_read_notes(user, talk: Talk, member: Member | None = None) -> bool:
    """The two parties and talk.view holders (the secretary) read the notes; nobody else."""
    if member is None:
        member = selectors.own_member(user)
    if member is not None and member.pk in (talk.initiator_id, talk.partner_id):
        return True
    return access.has_perm(user, Perm.TALK_VIEW, talk.org)


def mark_notes(user, talks) -> list[Talk]:
    """Set `notes_visible` on each talk (no query per talk); returns them as a list."""
    member = selectors.own_member(user)
    talks = list(talks)
    for talk in talks:
        talk.notes_visible = can_read_notes(user, talk, member)
    return talks


def talks_of(branch: Organization, year: int | None = None) -> QuerySet[Talk]:
    """A branch's talks (of `year`), newest first, with both parties."""
    qs = Talk.objects.filter(org=branch)
    if year is not None:
        qs = qs.filter(held_on__gte=dt.date(year, 1, 1), held_on__lte=dt.date(year, 12, 31))
    return _with_people(qs).order_by("-held_on", "-id")


def my_talks(member: Member | None) -> QuerySet[Talk]:
    if member is None:
        return Talk.objects.none()
    return _with_people(Talk.objects.filter(Q(initiator=member) | Q(partner=member))).order_by(
        "-held_on", "-id"
    )


def branch_members(branch: Organization) -> QuerySet[Member]:
    """The branch's members on the roll (normal and mobile): who should talk, and who can be chosen."""
    return (
        Member.objects.filter(org=branch, status__in=selectors.EXPECTED_STATUSES)
        .select_related("group")
        .order_by("name", "pk")
    )


@dataclass
class CoverageRow:
    member: Member
    committee: bool
    cells: list[bool | None]  # one per member of the matrix; None on the diagonal
    count: int  # colleagues talked with


@dataclass
class Coverage:
    branch: Organization
    year: int
    members: list[Member]
    rows: list[CoverageRow]
    done: int
    required: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.required) if self.required else 100


def coverage_of(branch: Organization, year: int) -> Coverage:
    """The members × members matrix of the year's talks (a mark where the pair talked), committee
    members first, and the totals of rules.coverage ("已谈 45/190 对"). A constant number of queries."""
    members = list(branch_members(branch))
    committee = set(selectors.committee_members(branch).values_list("pk", flat=True))
    members.sort(key=lambda m: (m.pk not in committee, m.name, m.pk))
    pairs = list(
        Talk.objects.filter(org=branch, held_on__gte=dt.date(year, 1, 1), held_on__lte=dt.date(year, 12, 31))
        .order_by()
        .values_list("initiator_id", "partner_id")
        .distinct()
    )
    ids = [m.pk for m in members]
    done, required = rules.coverage(ids, pairs)
    talked = {frozenset(p) for p in pairs}
    rows = []
    for m in members:
        cells = [None if o.pk == m.pk else frozenset((m.pk, o.pk)) in talked for o in members]
        rows.append(CoverageRow(m, m.pk in committee, cells, sum(1 for c in cells if c)))
    return Coverage(branch, year, members, rows, done, required)


# --- Services ------------------------------------------------------------------------------------------


def record_talk(
    actor,
    branch: Organization,
    initiator: Member | None,
    partner: Member | None,
    held_on: dt.date | None,
    topic: str,
    notes: str = "",
) -> Talk:
    """Record a talk of two members of a branch. Either party records their own talk; otherwise the
    actor needs orglife.manage on the branch (None = the system). No future dates."""
    if actor is not None:
        me = selectors.own_member(actor)
        party = (
            me is not None
            and me.org_id == branch.pk
            and me.pk in {getattr(initiator, "pk", None), getattr(partner, "pk", None)}
        )
        if not party:
            access.require(actor, Perm.ORGLIFE_MANAGE, branch)
    if branch.org_type != OrgType.BRANCH:
        fail("谈心谈话以党支部为单位记录", "org")
    errors: dict[str, list[str]] = {}
    for name, person, label in (("initiator", initiator, "谈话人"), ("partner", partner, "谈话对象")):
        if person is None:
            errors[name] = [f"请选择{label}"]
        elif person.org_id != branch.pk or person.status not in selectors.EXPECTED_STATUSES:
            errors[name] = [f"{label}应为本支部在册党员"]
    if initiator is not None and partner is not None and initiator.pk == partner.pk:
        errors["partner"] = ["谈话双方不能是同一人"]
    today = timezone.localdate()
    if held_on is None:
        errors["held_on"] = ["请填写谈话日期"]
    elif held_on > today:
        errors["held_on"] = ["谈话日期不能晚于今天"]
    elif held_on.year < 2000:
        errors["held_on"] = ["谈话日期无效"]
    topic = (topic or "").strip()
    notes = (notes or "").strip()
    if not topic:
        errors["topic"] = ["请填写谈话主题"]
    elif len(topic) > TOPIC_MAX:
        errors["topic"] = [f"谈话主题不超过{TOPIC_MAX}字"]
    if len(notes) > NOTES_MAX:
        errors["notes"] = [f"谈话要点不超过{NOTES_MAX}字"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        talk = Talk.objects.create(
            org=branch,
            held_on=held_on,
            initiator=initiator,
            partner=partner,
            topic=topic,
            notes=notes,
            recorded_by=_actor(actor),
        )
        audit.record(
            actor,
            AuditAction.CREATE,
            talk,
            org_id=branch.pk,
            summary=f"记录谈心谈话：{initiator.name}与{partner.name}（{held_on:%Y-%m-%d}）",
        )
    return talk
