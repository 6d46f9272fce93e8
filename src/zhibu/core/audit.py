"""The one way to write the audit log."""

from django.db import models
from django.forms.models import model_to_dict

from zhibu.core.middleware import current_context
from zhibu.core.models import AuditAction, AuditLog


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict:
    """A JSON-ready dict of an object's concrete fields (FKs as ids), for before/after."""
    data = model_to_dict(obj, fields=fields)
    for field in obj._meta.concrete_fields:
        if field.name in data or (fields and field.name not in fields):
            continue
        data[field.name] = getattr(obj, field.attname)
    return {
        k: (v if isinstance(v, str | int | float | bool | type(None)) else str(v)) for k, v in data.items()
    }


def record(
    actor,
    action: str | AuditAction,
    obj: models.Model | None = None,
    *,
    org_id: int | None = None,
    summary: str = "",
    before: dict | None = None,
    after: dict | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditLog:
    ctx = current_context()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditLog.objects.create(
        actor=actor if is_user else None,
        actor_name=(actor.display_name if is_user else "系统")[:150],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        org_id=org_id,
        summary=summary[:300],
        before=before,
        after=after,
        ip=ctx.ip,
        user_agent=ctx.user_agent,
    )
