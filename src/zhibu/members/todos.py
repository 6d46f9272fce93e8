"""Reads for transfers and the branch to-do list (domain-rules §6), always scoped to the user.

The to-do list proposes (停止党籍, 自行脱党, 转移组织关系, 回执) and never changes anything itself.
Everything is computed with a fixed handful of queries, whatever the number of members.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Max, Q
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.core.config import KEYS
from zhibu.core.models import OrgSetting
from zhibu.members import rules_transfers as rules
from zhibu.members.models import EventKind, Member, MemberStatus, Transfer, TransferDirection, TransferStatus
from zhibu.orgs.models import Organization

LEVELS = {"danger": 0, "warning": 1, "info": 2}
SOON_DAYS = 30  # how far ahead an approaching deadline shows
FOLLOW_UP_DAYS = 90  # a lost member with no follow-up for this long gets a reminder
WAITING_DAYS = 30  # an internal transfer unconfirmed this long gets a reminder to the sender

_TRANSFER_RELATED = ("member__org", "from_org", "to_org", "to_group")


@dataclass
class Todo:
    kind: str  # lost_suspend, lost_leave, lost_follow_up, mobile_transfer, mobile_report,
    # letter_expired, letter_expiring, transfer_incoming, transfer_waiting
    level: str  # danger / warning / info
    message: str
    due_on: dt.date | None
    url: str
    org_name: str = ""
    member: Member | None = None
    transfer: Transfer | None = None

    @property
    def rank(self):
        return (LEVELS.get(self.level, 9), self.due_on or dt.date.max, self.message)


@dataclass
class TransferLists:
    pending_out: list = field(default_factory=list)  # internal transfers I sent, awaiting the receiver
    pending_in: list = field(default_factory=list)  # internal transfers addressed to me
    letters: list = field(default_factory=list)  # unreturned introduction letters (each with .state)
    expired: list = field(default_factory=list)  # the letters among them past their validity


def member_url(member_id: int) -> str:
    """The member's record page (the roster's detail view), or the transfers page before it exists."""
    try:
        return reverse("members:detail", args=[member_id])
    except NoReverseMatch:
        return reverse("members:transfers")


def _transfers_url(tab: str) -> str:
    return f"{reverse('members:transfers')}?tab={tab}"


# --- configuration, resolved in bulk ----------------------------------------------------------------


class SettingsResolver:
    """core.config.get for many orgs at once: one query for all the keys, resolved by path in Python.

    Same precedence as core.config.get: the deepest org on the path wins, then the latest valid_from;
    else the deployment-wide value; else the default.
    """

    def __init__(self, keys: list[str], on: dt.date):
        self.rows: dict[str, list[tuple[str | None, dt.date, object]]] = {k: [] for k in keys}
        for key, value, valid_from, path in OrgSetting.objects.filter(
            key__in=keys, valid_from__lte=on
        ).values_list("key", "value", "valid_from", "org__path"):
            self.rows[key].append((path, valid_from, value))
        self._cache: dict[tuple[str, str], object] = {}

    def get(self, path: str, key: str):
        cached = self._cache.get((path, key))
        if cached is not None:
            return cached
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


# --- transfers --------------------------------------------------------------------------------------


def visible_transfers(user):
    """Transfers where either side is in the user's member.view scope."""
    return Transfer.objects.filter(
        access.scope_q(user, Perm.MEMBER_VIEW, prefix="from_org__")
        | access.scope_q(user, Perm.MEMBER_VIEW, prefix="to_org__")
    ).select_related(*_TRANSFER_RELATED)


def get_transfer(user, pk: int) -> Transfer:
    """One transfer visible to the user (404 otherwise)."""
    transfer = visible_transfers(user).filter(pk=pk).first()
    if transfer is None:
        raise Http404("未找到该转接记录，或您无权访问")
    return transfer


def annotate_sides(user, transfers) -> list:
    """Mark each transfer with what the user may do and see: can_send (sending side manages),
    can_receive (receiving side manages), full_view (the member's record, where it is now, is in the
    user's view scope: the receiving side sees only masked basics until it confirms)."""
    out = []
    for t in transfers:
        t.can_send = t.from_org_id is not None and access.has_perm(user, Perm.MEMBER_MANAGE, t.from_org)
        t.can_receive = t.to_org_id is not None and access.has_perm(user, Perm.MEMBER_MANAGE, t.to_org)
        t.full_view = access.has_perm(user, Perm.MEMBER_VIEW, t.member.org)
        t.member_url = member_url(t.member_id) if t.full_view else ""
        t.member_age = rules.age_on(t.member.birth_date, timezone.localdate())
        t.days_waiting = (timezone.localdate() - t.issued_on).days
        if t.direction == TransferDirection.OUT:
            t.state = rules.letter_state(t.valid_until, t.status, timezone.localdate())
            t.state_name = rules.LETTER_STATE_NAMES[t.state]
            t.days_over = (timezone.localdate() - t.valid_until).days if t.valid_until else 0
        out.append(t)
    return out


def transfer_lists(user, today: dt.date | None = None) -> TransferLists:
    """Pending internal transfers out and in, and unreturned letters (expired ones also on their own)."""
    today = today or timezone.localdate()
    pending = list(visible_transfers(user).filter(status=TransferStatus.PENDING).order_by("issued_on", "pk"))
    out_scope = [t for t in pending if t.from_org_id and access.has_perm(user, Perm.MEMBER_VIEW, t.from_org)]
    lists = TransferLists(
        pending_out=annotate_sides(user, [t for t in out_scope if t.direction == TransferDirection.INTERNAL]),
        pending_in=annotate_sides(
            user,
            [
                t
                for t in pending
                if t.direction == TransferDirection.INTERNAL
                and access.has_perm(user, Perm.MEMBER_VIEW, t.to_org)
            ],
        ),
        letters=annotate_sides(user, [t for t in out_scope if t.direction == TransferDirection.OUT]),
    )
    for letter in lists.letters:
        letter.state = rules.letter_state(letter.valid_until, letter.status, today)
        letter.days_over = (today - letter.valid_until).days if letter.valid_until else 0
    lists.expired = [t for t in lists.letters if t.state == rules.LETTER_EXPIRED]
    return lists


def finished_transfers(user):
    """Completed, rejected and cancelled transfers, newest first (paginate the result)."""
    return visible_transfers(user).exclude(status=TransferStatus.PENDING).order_by("-issued_on", "-pk")


def member_transfers(member: Member) -> list[Transfer]:
    return list(member.transfers.select_related(*_TRANSFER_RELATED).order_by("-issued_on", "-pk"))


def groups_of(branches) -> dict[int, list[Organization]]:
    """{branch id: its active 党小组} for several branches in one query."""
    branches = [b for b in branches if b is not None]
    if not branches:
        return {}
    q = Q()
    for b in branches:
        q |= Q(path__startswith=b.path, depth=b.depth + 1)
    by_path = {b.path: b.pk for b in branches}
    result: dict[int, list[Organization]] = {b.pk: [] for b in branches}
    for group in Organization.objects.filter(q, org_type="group", status="active").order_by("path"):
        result[by_path[group.path[: -Organization.steplen]]].append(group)
    return result


def target_branches(exclude: Organization | None = None):
    """Every active 党支部 in the system (a transfer may go anywhere; only names are shown)."""
    qs = Organization.objects.filter(org_type="branch", status="active").order_by("name")
    return qs.exclude(pk=exclude.pk) if exclude is not None else qs


# --- the to-do list ---------------------------------------------------------------------------------


def _d(day: dt.date) -> str:
    return f"{day:%Y-%m-%d}"


def _lost_todos(user, scope, today, settings) -> list[Todo]:
    todos = []
    lost = (
        Member.objects.filter(scope)
        .filter(
            Q(status=MemberStatus.LOST) | Q(status=MemberStatus.SUSPENDED, lost_since__isnull=False),
        )
        .select_related("org")
        .annotate(last_follow=Max("events__occurred_on", filter=Q(events__kind=EventKind.FOLLOW_UP)))
        .order_by("lost_since", "pk")
    )
    for m in lost:
        months = settings.get(m.org.path, "members.lost_suspend_months")
        years = settings.get(m.org.path, "members.lost_leave_years")
        params = rules.LostParams(suspend_months=months, leave_years=years)
        suspended_since = (m.status_since or m.lost_since) if m.status == MemberStatus.SUSPENDED else None
        deadlines = rules.lost_deadlines(m.lost_since, suspended_since, params)
        stage = rules.lost_stage(m.lost_since, suspended_since, today, params)
        url = member_url(m.pk)
        common = {"url": url, "org_name": m.org.name, "member": m}
        if stage == rules.LOST_SUSPEND_DUE:
            todos.append(
                Todo(
                    "lost_suspend",
                    "danger",
                    f"{m.name}失联已满{months}个月（{_d(m.lost_since)}起），可按规定提出停止党籍处理",
                    deadlines.suspend_from,
                    **common,
                )
            )
        elif stage == rules.LOST_WAITING and (deadlines.suspend_from - today).days <= SOON_DAYS:
            todos.append(
                Todo(
                    "lost_suspend",
                    "warning",
                    f"{m.name}失联将于{_d(deadlines.suspend_from)}满{months}个月（{_d(m.lost_since)}起），"
                    "请抓紧查找联系",
                    deadlines.suspend_from,
                    **common,
                )
            )
        elif stage == rules.LOST_LEAVE_DUE:
            todos.append(
                Todo(
                    "lost_leave",
                    "danger",
                    f"{m.name}停止党籍已满{years}年（{_d(suspended_since)}起）仍无联系，"
                    "可按规定提出按自行脱党予以除名",
                    deadlines.leave_from,
                    **common,
                )
            )
        elif stage == rules.LOST_LEAVE_WAITING and (deadlines.leave_from - today).days <= SOON_DAYS * 2:
            todos.append(
                Todo(
                    "lost_leave",
                    "warning",
                    f"{m.name}停止党籍将于{_d(deadlines.leave_from)}满{years}年，届时仍无联系的可按自行脱党处理",
                    deadlines.leave_from,
                    **common,
                )
            )
        last = m.last_follow
        if m.status == MemberStatus.LOST and (today - (last or m.lost_since)).days >= FOLLOW_UP_DAYS:
            since = f"上次跟进为{_d(last)}" if last else "尚无跟进记录"
            todos.append(
                Todo(
                    "lost_follow_up",
                    "info",
                    f"{m.name}失联中（{_d(m.lost_since)}起），{since}，请继续查找并记录跟进情况",
                    (last or m.lost_since) + dt.timedelta(days=FOLLOW_UP_DAYS),
                    **common,
                )
            )
    return todos


def _mobile_todos(user, scope, today, settings) -> list[Todo]:
    todos = []
    mobile = (
        Member.objects.filter(scope, status=MemberStatus.MOBILE, mobile_since__isnull=False)
        .select_related("org")
        .annotate(last_report=Max("events__occurred_on", filter=Q(events__kind=EventKind.FOLLOW_UP)))
        .order_by("mobile_since", "pk")
    )
    for m in mobile:
        report_months = settings.get(m.org.path, "members.mobile_report_months")
        flags = rules.mobile_flags(
            m.mobile_since, today, last_report=m.last_report, report_months=report_months
        )
        common = {"url": member_url(m.pk), "org_name": m.org.name, "member": m}
        if flags.transfer_advised:
            where = f"，去向：{m.mobile_destination}" if m.mobile_destination else ""
            todos.append(
                Todo(
                    "mobile_transfer",
                    "warning",
                    f"{m.name}外出流动已满{rules.MOBILE_TRANSFER_MONTHS}个月（{_d(m.mobile_since)}起{where}），"
                    "去向固定的应转移组织关系",
                    flags.transfer_from,
                    **common,
                )
            )
        if flags.report_overdue:
            days = (today - flags.report_due_on).days
            todos.append(
                Todo(
                    "mobile_report",
                    "warning",
                    f"流动党员{m.name}应于{_d(flags.report_due_on)}前向支部汇报，已逾期{days}天",
                    flags.report_due_on,
                    **common,
                )
            )
        elif flags.report_due_soon:
            todos.append(
                Todo(
                    "mobile_report",
                    "info",
                    f"流动党员{m.name}应于{_d(flags.report_due_on)}前向支部汇报",
                    flags.report_due_on,
                    **common,
                )
            )
    return todos


def _transfer_todos(user, today) -> list[Todo]:
    todos = []
    send_scope = access.scope_q(user, Perm.MEMBER_MANAGE, prefix="from_org__")
    receive_scope = access.scope_q(user, Perm.MEMBER_MANAGE, prefix="to_org__")
    pending = (
        Transfer.objects.filter(status=TransferStatus.PENDING)
        .filter(send_scope | receive_scope)
        .select_related(*_TRANSFER_RELATED)
        .order_by("issued_on", "pk")
    )
    for t in pending:
        name = t.member.name
        if t.direction == TransferDirection.OUT and access.has_perm(user, Perm.MEMBER_MANAGE, t.from_org):
            state = rules.letter_state(t.valid_until, t.status, today)
            if state == rules.LETTER_EXPIRED:
                days = (today - t.valid_until).days
                todos.append(
                    Todo(
                        "letter_expired",
                        "danger",
                        f"介绍信{t.letter_no}（{name}转往{t.external_org}）已过期{days}天未回执",
                        t.valid_until,
                        _transfers_url("letters"),
                        t.from_org.name,
                        t.member,
                        t,
                    )
                )
            elif state == rules.LETTER_EXPIRING:
                todos.append(
                    Todo(
                        "letter_expiring",
                        "warning",
                        f"介绍信{t.letter_no}（{name}转往{t.external_org}）将于{_d(t.valid_until)}到期，尚未回执",
                        t.valid_until,
                        _transfers_url("letters"),
                        t.from_org.name,
                        t.member,
                        t,
                    )
                )
        elif t.direction == TransferDirection.INTERNAL:
            if t.to_org_id and access.has_perm(user, Perm.MEMBER_MANAGE, t.to_org):
                todos.append(
                    Todo(
                        "transfer_incoming",
                        "warning",
                        f"{t.from_org.name}转来的{name}待{t.to_org.name}接收（{_d(t.issued_on)}申请）",
                        t.issued_on,
                        _transfers_url("in"),
                        t.to_org.name,
                        t.member,
                        t,
                    )
                )
            elif (today - t.issued_on).days >= WAITING_DAYS:
                todos.append(
                    Todo(
                        "transfer_waiting",
                        "info",
                        f"{name}转往{t.to_org.name}已申请{(today - t.issued_on).days}天，对方尚未接收",
                        t.issued_on,
                        _transfers_url("out"),
                        t.from_org.name,
                        t.member,
                        t,
                    )
                )
    return todos


def branch_todos(user, today: dt.date | None = None) -> list[Todo]:
    """Everything due in the user's member.manage scope (§6 deadlines, letters, transfers), urgent first."""
    today = today or timezone.localdate()
    if not access.roots(user, Perm.MEMBER_MANAGE):
        return []
    scope = access.scope_q(user, Perm.MEMBER_MANAGE, prefix="org__")
    settings = SettingsResolver(
        ["members.lost_suspend_months", "members.lost_leave_years", "members.mobile_report_months"], today
    )
    todos = _lost_todos(user, scope, today, settings)
    todos += _mobile_todos(user, scope, today, settings)
    todos += _transfer_todos(user, today)
    return sorted(todos, key=lambda t: t.rank)


def member_flags(member: Member, today: dt.date | None = None) -> dict:
    """Deadlines for one member's panel: lost (停止党籍 / 自行脱党) and mobile (转移 / 汇报) dates."""
    from zhibu.core import config

    today = today or timezone.localdate()
    flags: dict = {}
    if member.lost_since and member.status in (MemberStatus.LOST, MemberStatus.SUSPENDED):
        params = rules.LostParams(
            suspend_months=config.get(member.org, "members.lost_suspend_months", on=today),
            leave_years=config.get(member.org, "members.lost_leave_years", on=today),
        )
        suspended = (
            (member.status_since or member.lost_since) if member.status == MemberStatus.SUSPENDED else None
        )
        flags["lost"] = rules.lost_deadlines(member.lost_since, suspended, params)
        flags["lost_stage"] = rules.lost_stage(member.lost_since, suspended, today, params)
        flags["lost_params"] = params
        flags["lost_days"] = (today - member.lost_since).days
    if member.status == MemberStatus.MOBILE and member.mobile_since:
        last = (
            member.events.filter(kind=EventKind.FOLLOW_UP)
            .order_by("-occurred_on")
            .values_list("occurred_on", flat=True)
            .first()
        )
        flags["mobile"] = rules.mobile_flags(
            member.mobile_since,
            today,
            last_report=last,
            report_months=config.get(member.org, "members.mobile_report_months", on=today),
        )
        flags["last_report"] = last
    return flags
