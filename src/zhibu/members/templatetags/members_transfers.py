"""Template tags of the transfers work: the member panel shown on the member record page."""

from django import template
from django.utils import timezone

from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.members import todos
from zhibu.members.models import EventKind, TransferStatus

register = template.Library()


@register.inclusion_tag("members/transfers/_member_panel_body.html", takes_context=True)
def transfer_panel(context, member):
    """Transfers, 流动 and 失联 state of one member, with the deadlines of §6 and the actions allowed."""
    request = context.get("request")
    user = getattr(request, "user", None)
    history = todos.annotate_sides(user, todos.member_transfers(member)) if user else []
    pending = next((t for t in history if t.status == TransferStatus.PENDING), None)
    follow_ups = list(member.events.filter(kind=EventKind.FOLLOW_UP).order_by("-occurred_on", "-pk")[:5])
    return {
        "member": member,
        "history": history,
        "pending": pending,
        "flags": todos.member_flags(member),
        "follow_ups": follow_ups,
        "can_manage": bool(user) and access.has_perm(user, Perm.MEMBER_MANAGE, member.org),
        "today": timezone.localdate(),
        "csrf_token": context.get("csrf_token"),
    }
