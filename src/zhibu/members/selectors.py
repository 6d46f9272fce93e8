"""Reads of member records, always scoped to what the user may see (member.view, masked by default)."""

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.members import rules
from zhibu.members.models import (
    ETHNICITIES,
    ON_ROLL,
    Category,
    Education,
    Gender,
    Member,
    MemberEvent,
    MemberStatus,
)
from zhibu.orgs.models import OrgType

# Roster filters for flags: ?flag=hardship etc.
FLAGS = {
    "hardship": ("困难党员", Q(hardship=True)),
    "veteran": ("老党员", Q(veteran=True)),
    "mobile": ("流动党员", Q(status=MemberStatus.MOBILE)),
    "lost": ("失联党员", Q(status=MemberStatus.LOST)),
    "probation": ("留党察看", Q(under_party_probation=True)),
}
# Sort keys of the roster: ?sort=name, ?sort=-joined_on …
SORTS = {
    "name": ("name", "id"),
    "joined_on": ("joined_on", "id"),
    "birth_date": ("birth_date", "id"),
    "org": ("org__path", "name", "id"),
}
STATUS_FILTERS = ("on_roll", "all", *MemberStatus.values)
TOP_ETHNICITIES = 5


def _scope_q(user) -> Q:
    """Members whose branch is in the user's member.view scope, or whose 党小组 is (group leaders)."""
    return access.scope_q(user, Perm.MEMBER_VIEW, prefix="org__") | access.scope_q(
        user, Perm.MEMBER_VIEW, prefix="group__"
    )


def visible_members(user) -> QuerySet[Member]:
    """All member records the user may see (any status)."""
    return Member.objects.filter(_scope_q(user))


def get_member(user, pk) -> Member:
    """One member record in the user's scope, else 404 (its existence is not revealed)."""
    try:
        return visible_members(user).select_related("org", "group", "user").get(pk=int(pk))
    except (Member.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该党员，或您无权查看") from None


def _under(qs: QuerySet[Member], org) -> QuerySet[Member]:
    return qs.under(org) if org is not None else qs


def roster(
    user,
    *,
    org=None,
    status: str | None = "on_roll",
    category: str | None = None,
    group=None,
    age_band: str | None = None,
    education: str | None = None,
    flags: list[str] | tuple[str, ...] = (),
    q: str = "",
    sort: str = "name",
    today: dt.date | None = None,
) -> QuerySet[Member]:
    """The roster (花名册): members in the user's scope, below `org` when given, filtered and sorted.

    status: "on_roll" (default: 正常/流动/失联), "all", or one status value. Unknown filter values are
    ignored rather than answered with an empty list.
    """
    today = today or timezone.localdate()
    qs = _under(visible_members(user), org)
    if status not in STATUS_FILTERS:
        status = "on_roll"
    if status == "on_roll":
        qs = qs.filter(status__in=ON_ROLL)
    elif status in MemberStatus.values:
        qs = qs.filter(status=status)
    if category in Category.values:
        qs = qs.filter(category=category)
    if group is not None:
        qs = qs.filter(group=group)
    if age_band and age_band in {b[0] for b in rules.AGE_BANDS}:
        earliest, latest = rules.birth_range_for_band(age_band, today)
        if earliest:
            qs = qs.filter(birth_date__gte=earliest)
        if latest:
            qs = qs.filter(birth_date__lte=latest)
        qs = qs.filter(birth_date__isnull=False)
    if education == "none":
        qs = qs.filter(education="")
    elif education in Education.values:
        qs = qs.filter(education=education)
    for flag in flags or ():
        if flag in FLAGS:
            qs = qs.filter(FLAGS[flag][1])
    text = (q or "").strip()
    if text:
        match = Q(name__icontains=text)
        if text.isdigit():
            match |= Q(mobile__contains=text)
        if len(text) >= 4 and (text[:-1].isdigit() and (text[-1].isdigit() or text[-1] in "xX")):
            match |= Q(id_number__iendswith=text)
        qs = qs.filter(match)
    descending = (sort or "").startswith("-")
    key = (sort or "name").lstrip("-")
    order = SORTS.get(key, SORTS["name"])
    if descending:
        order = tuple(f"-{f}" for f in order)
    return qs.select_related("org", "group").order_by(*order)


def member_orgs(user, perm: Perm = Perm.MEMBER_VIEW):
    """Active orgs above and at branch level where the user may see (or manage) members, in tree order."""
    from zhibu.orgs.models import Organization

    return (
        Organization.objects.filter(access.scope_q(user, perm))
        .filter(status="active")
        .exclude(org_type=OrgType.GROUP)
        .order_by("path")
    )


def manageable_branches(user):
    """Active branches where the user may create and change member records."""
    return member_orgs(user, Perm.MEMBER_MANAGE).filter(org_type=OrgType.BRANCH)


def groups_of(org):
    """Active 党小组 directly under a branch."""
    from zhibu.orgs.models import Organization

    if org is None or org.org_type != OrgType.BRANCH:
        return Organization.objects.none()
    return Organization.objects.get_children(org).filter(org_type=OrgType.GROUP, status="active")


# --- Statistics -------------------------------------------------------------------------------------


def _rows(labels: list[tuple[str, str]], counts: dict) -> list[dict]:
    return [{"key": key, "label": label, "value": counts.get(key, 0)} for key, label in labels]


def _by(qs: QuerySet[Member], field: str) -> dict:
    return {row[field]: row["n"] for row in qs.values(field).annotate(n=Count("id")).order_by()}


def _band_counts(qs: QuerySet[Member], field: str, bands, today: dt.date, extra: dict) -> dict:
    """{band key: count} in one aggregate query, banding a date field by full years before `today`."""
    aggregates = dict(extra)
    for key, _label, low, high in bands:
        cond = Q(**{f"{field}__isnull": False})
        if low > 0:
            cond &= Q(**{f"{field}__lte": rules.latest_birth_for_age(today, low)})
        if high is not None:
            cond &= Q(**{f"{field}__gt": rules.latest_birth_for_age(today, high + 1)})
        aggregates[key] = Count("id", filter=cond)
    return qs.aggregate(**aggregates)


def stats(user, org=None, today: dt.date | None = None) -> dict:
    """Counts for the statistics page, by DB aggregates (one query per dimension, 7 in all).

    Status counts every record registered below `org`; all other dimensions count members on the roll.
    """
    today = today or timezone.localdate()
    everyone = _under(visible_members(user), org)
    on_roll = everyone.filter(status__in=ON_ROLL)

    status = _by(everyone, "status")
    gender = _by(on_roll, "gender")
    category = _by(on_roll, "category")
    education = _by(on_roll, "education")

    ethnic = sorted(_by(on_roll, "ethnicity").items(), key=lambda kv: (-kv[1], kv[0]))
    names = dict(ETHNICITIES)
    ethnicity = [
        {"key": code, "label": names.get(code, code), "value": n} for code, n in ethnic[:TOP_ETHNICITIES]
    ]
    rest = sum(n for _, n in ethnic[TOP_ETHNICITIES:])
    if rest:
        ethnicity.append({"key": "other", "label": "其他", "value": rest})

    ages = _band_counts(
        on_roll,
        "birth_date",
        rules.AGE_BANDS,
        today,
        {"unknown": Count("id", filter=Q(birth_date__isnull=True))},
    )
    age_rows = [{"key": k, "label": label, "value": ages[k]} for k, label, _lo, _hi in rules.AGE_BANDS]
    if ages["unknown"]:
        age_rows.append({"key": "unknown", "label": "出生日期未登记", "value": ages["unknown"]})

    full = on_roll.filter(category=Category.FULL)
    standing = _band_counts(
        full,
        "converted_on",
        rules.STANDING_BANDS,
        today,
        {"unknown": Count("id", filter=Q(converted_on__isnull=True))},
    )
    standing_rows = [
        {"key": k, "label": label, "value": standing[k]} for k, label, _lo, _hi in rules.STANDING_BANDS
    ]
    if standing["unknown"]:
        standing_rows.append({"key": "unknown", "label": "转正日期未登记", "value": standing["unknown"]})

    education_rows = _rows(list(Education.choices), education)
    if education.get(""):
        education_rows.append({"key": "none", "label": "未登记", "value": education[""]})

    total = sum(category.values())
    return {
        "total": total,
        "all_records": sum(status.values()),
        "status": _rows(list(MemberStatus.choices), status),
        "gender": _rows(list(Gender.choices), gender),
        "category": _rows(list(Category.choices), category),
        "ethnicity": ethnicity,
        "age": age_rows,
        "education": education_rows,
        "standing": standing_rows,
    }


def timeline(member: Member) -> QuerySet[MemberEvent]:
    """A member's history, newest first, with who recorded each event and the org at the time."""
    return member.events.select_related("recorded_by", "org").order_by("-occurred_on", "-id")
