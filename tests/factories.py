"""Test data: users, orgs, members and role grants built through the real models and services."""

import datetime as dt
import itertools

import factory
from factory.django import DjangoModelFactory

from zhibu.accounts.models import RoleAssignment, User
from zhibu.members.models import Category, Gender, Member, MemberStatus
from zhibu.members.rules import id_check_digit
from zhibu.orgs import services as org_services
from zhibu.orgs.models import Organization

PASSWORD = "Zhibu-pass-2024"

_codes = itertools.count(1)
_id_serial = itertools.count(1)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n:04d}")
    real_name = factory.Sequence(lambda n: f"测试用户{n}")
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    password = factory.django.Password(PASSWORD)
    is_active = True


def make_id_number(birth: dt.date = dt.date(1985, 6, 15), male: bool = True, region: str = "110101") -> str:
    """A valid 18-digit ID number (unique per call) for the given birth date and gender."""
    serial = next(_id_serial) % 500
    seq = serial * 2 + (1 if male else 0)  # 17th digit: odd male, even female
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_digit(first17)


def make_org(
    parent: Organization | None, org_type: str, *, name: str | None = None, code: str | None = None, **fields
) -> Organization:
    """An org created through the real service (actor None: the system, as the CLI does)."""
    n = next(_codes)
    return org_services.create_org(
        None,
        parent=parent,
        name=name or f"测试组织{n}",
        code=code or f"T{n:05d}",
        org_type=org_type,
        **fields,
    )


class MemberFactory(DjangoModelFactory):
    class Meta:
        model = Member

    name = factory.Sequence(lambda n: f"党员{n}")
    gender = Gender.MALE
    birth_date = dt.date(1985, 6, 15)
    id_number = factory.LazyAttribute(lambda o: make_id_number(o.birth_date, o.gender == Gender.MALE))
    mobile = factory.Sequence(lambda n: f"138{n:08d}")
    category = Category.FULL
    status = MemberStatus.NORMAL
    joined_on = dt.date(2010, 7, 1)
    converted_on = factory.LazyAttribute(
        lambda o: dt.date(2011, 7, 1) if o.category == Category.FULL else None
    )
    lost_since = factory.LazyAttribute(
        lambda o: dt.date(2024, 1, 10) if o.status == MemberStatus.LOST else None
    )


def members(org: Organization, n: int, **fields) -> list[Member]:
    return [MemberFactory(org=org, **fields) for _ in range(n)]


def grant(user: User, org: Organization, role: str, position: str = "") -> RoleAssignment:
    """A role assignment written directly (no granter checks): test setup only."""
    assignment = RoleAssignment.objects.create(user=user, org=org, role=role, position=position)
    if hasattr(user, "_zhibu_grants"):
        del user._zhibu_grants
    return assignment
