"""API: the current user, role assignments."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from zhibu.accounts import selectors, services
from zhibu.accounts.models import Role, User
from zhibu.core import access
from zhibu.core.errors import fail
from zhibu.orgs.selectors import get_org

router = Router(tags=["账户与角色"])


class RoleOut(Schema):
    id: int
    org_id: int
    org_name: str
    role: str
    role_name: str
    position: str
    granted_at: datetime
    revoked_at: datetime | None = None

    @staticmethod
    def from_assignment(a) -> "RoleOut":
        return RoleOut(
            id=a.pk,
            org_id=a.org_id,
            org_name=a.org.name,
            role=a.role,
            role_name=a.get_role_display(),
            position=a.position,
            granted_at=a.granted_at,
            revoked_at=a.revoked_at,
        )


class MeOut(Schema):
    id: int
    username: str
    real_name: str
    mobile_masked: str
    large_text: bool
    roles: list[RoleOut]
    permissions: list[str]


class AssignmentOut(RoleOut):
    user_id: int
    username: str
    real_name: str


class GrantIn(Schema):
    username: str
    org_id: int
    role: Role
    position: str = ""
    note: str = ""


def _assignment_out(a) -> AssignmentOut:
    return AssignmentOut(
        **RoleOut.from_assignment(a).dict(),
        user_id=a.user_id,
        username=a.user.username,
        real_name=a.user.real_name,
    )


@router.get("/me", response=MeOut, summary="当前用户、角色和权限")
def me(request):
    from zhibu.core.masking import mask_phone

    user = request.user
    perms = sorted({p for p in access.Perm if access.has_perm(user, p)})
    return MeOut(
        id=user.pk,
        username=user.username,
        real_name=user.real_name,
        mobile_masked=mask_phone(user.mobile),
        large_text=user.large_text,
        roles=[RoleOut.from_assignment(a) for a in selectors.my_roles(user)],
        permissions=perms,
    )


@router.get("/roles", response=list[AssignmentOut], summary="可管理范围内的角色分配")
def list_roles(
    request, org_id: int | None = None, include_revoked: bool = False, limit: int = 100, offset: int = 0
):
    org = get_org(request.user, org_id, access.Perm.ROLE_MANAGE) if org_id else None
    limit = max(1, min(limit, 500))
    qs = selectors.assignments_in_scope(request.user, org=org, include_revoked=include_revoked)
    return [_assignment_out(a) for a in qs[offset : offset + limit]]


@router.post("/roles", response={201: AssignmentOut}, summary="授予角色")
def grant(request, payload: GrantIn):
    org = get_org(request.user, payload.org_id, access.Perm.ROLE_MANAGE)
    user = User.objects.filter(username=payload.username).first()
    if user is None:
        fail("找不到该用户", "username")
    a = services.grant_role(
        request.user, user=user, org=org, role=payload.role, position=payload.position, note=payload.note
    )
    return Status(201, _assignment_out(a))


@router.delete("/roles/{assignment_id}", response=AssignmentOut, summary="撤销角色")
def revoke(request, assignment_id: int):
    a = get_object_or_404(
        selectors.assignments_in_scope(request.user, include_revoked=True), pk=assignment_id
    )
    return _assignment_out(services.revoke_role(request.user, a))
