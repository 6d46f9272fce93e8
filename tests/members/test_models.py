"""Member records: ID validation on the model, database constraints, roll and subtree queries."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.factories import MemberFactory, make_id_number
from zhibu.members.models import Category, Member, MemberStatus
from zhibu.members.rules import birth_date_from_id, gender_from_id, id_number_error

pytestmark = pytest.mark.django_db


def test_factory_builds_valid_id_numbers(tree):
    people = [MemberFactory(org=tree.a) for _ in range(5)]
    people.append(MemberFactory(org=tree.a, gender="female", birth_date=dt.date(1992, 2, 29)))
    for person in people:
        assert id_number_error(person.id_number) is None
        assert birth_date_from_id(person.id_number) == person.birth_date
        assert gender_from_id(person.id_number) == person.gender
        person.full_clean()


def test_full_clean_rejects_a_bad_id_number(tree):
    person = MemberFactory.build(org=tree.a, id_number="110105194912310021")
    with pytest.raises(ValidationError) as exc:
        person.full_clean()
    assert exc.value.message_dict["id_number"] == ["身份证号校验位错误，请核对"]


def test_id_number_is_unique(tree):
    number = make_id_number()
    MemberFactory(org=tree.a, id_number=number)
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberFactory(org=tree.b, id_number=number)


def test_probationary_member_cannot_have_a_conversion_date(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberFactory(org=tree.a, category=Category.PROBATIONARY, converted_on=dt.date(2024, 1, 1))


def test_roll_and_subtree_queries(tree):
    on_roll = [
        MemberFactory(org=tree.a, status=MemberStatus.NORMAL, group=tree.a1),
        MemberFactory(org=tree.a, status=MemberStatus.MOBILE),
        MemberFactory(org=tree.a, status=MemberStatus.LOST, category=Category.PROBATIONARY),
    ]
    for status in (
        MemberStatus.SUSPENDED,
        MemberStatus.LEFT,
        MemberStatus.DECEASED,
        MemberStatus.TRANSFERRED,
    ):
        MemberFactory(org=tree.a, status=status)
    b_member = MemberFactory(org=tree.b)
    assert set(Member.objects.on_roll().under(tree.a)) == set(on_roll)
    assert set(Member.objects.on_roll().full().under(tree.a)) == set(on_roll[:2])
    assert set(Member.objects.on_roll().under(tree.general)) == {*on_roll, b_member}
    assert list(Member.objects.under(tree.a1)) == [on_roll[0]]
    assert not Member.objects.under(tree.a2).exists()
