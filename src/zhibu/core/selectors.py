"""Reads of the audit log, scoped to the auditor's orgs."""

from django.db.models import Q

from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.core.models import AuditLog


def audit_entries(user, *, action: str = "", text: str = "", date_from=None, date_to=None):
    """Entries about orgs in the auditor's scope; entries tied to no org only for top-level auditors."""
    from zhibu.orgs.models import Organization

    paths = access.roots(user, Perm.AUDIT_VIEW)
    if not paths:
        return AuditLog.objects.none()
    org_ids = Organization.objects.filter(access.scope_q(user, Perm.AUDIT_VIEW)).values("id")
    q = Q(org_id__in=org_ids)
    if any(len(p) == Organization.steplen for p in paths):
        q |= Q(org_id__isnull=True)
    qs = AuditLog.objects.filter(q)
    if action:
        qs = qs.filter(action=action)
    if text:
        qs = qs.filter(
            Q(actor_name__icontains=text) | Q(object_repr__icontains=text) | Q(summary__icontains=text)
        )
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs.order_by("-created_at", "-id")
