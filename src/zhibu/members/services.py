"""Writes to member records: one function per use case, in a transaction, audited, with history events."""

import datetime as dt

from zhibu.members.models import EventKind, Member, MemberEvent


def record_event(
    member: Member,
    kind: str | EventKind,
    occurred_on: dt.date,
    actor=None,
    *,
    reason: str = "",
    data: dict | None = None,
    org=None,
) -> MemberEvent:
    """Append one dated event to a member's history (call inside the service's transaction).

    `data` holds field changes as {"field": [before, after]} and any details; `org` defaults to the
    member's current branch (the org responsible when it was recorded).
    """
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return MemberEvent.objects.create(
        member=member,
        kind=kind,
        occurred_on=occurred_on,
        reason=reason[:300],
        data=data or {},
        org_id=org.pk if org is not None else member.org_id,
        recorded_by=actor if is_user else None,
    )
