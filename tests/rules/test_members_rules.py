"""zhibu.members.rules: 18-digit ID numbers (GB 11643-1999, domain-rules §9)."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhibu.members.rules import (
    birth_date_from_id,
    gender_from_id,
    id_check_digit,
    id_number_error,
    id_number_validator,
)

TODAY = dt.date(2026, 1, 1)
VALID_X = "11010519491231002X"  # GB 11643-1999 example, check character X
VALID_4 = "440524188001010014"  # GB 11643-1999 example


def with_check(first17: str) -> str:
    return first17 + id_check_digit(first17)


def test_check_digit_examples():
    assert id_check_digit("11010519491231002") == "X"
    assert id_check_digit("44052418800101001") == "4"


def test_check_digit_needs_17_digits():
    with pytest.raises(ValueError):
        id_check_digit("1101051949123100")


@pytest.mark.parametrize("value", [VALID_X, VALID_X.lower(), with_check("11010119900307001")])
def test_valid_numbers(value):
    assert id_number_error(value, TODAY) is None
    id_number_validator(value)  # does not raise


def test_old_example_before_1900_is_refused():
    # 1880 is a valid calendar date, but not a plausible birth date for a living member
    assert id_number_error(VALID_4, TODAY) == "身份证号中的出生日期不合理"


@pytest.mark.parametrize(
    "value",
    [
        "",
        VALID_X[:17],
        VALID_X + "1",
        "1101051949123100",
        "11010519491231A02X",
        "A1010519491231002X",
        "11010519491231002Y",
        "1101051949 231002X",
    ],
)
def test_wrong_length_or_characters(value):
    assert id_number_error(value, TODAY) == "身份证号应为18位：前17位数字，最后一位为数字或X"


@pytest.mark.parametrize("date_part", ["19900230", "19890229", "19901301", "19900000", "19900431"])
def test_impossible_birth_date(date_part):
    value = with_check(f"110101{date_part}001")
    assert id_number_error(value, TODAY) == "身份证号中的出生日期不存在"


def test_29_february_in_a_leap_year_is_fine():
    assert id_number_error(with_check("11010119880229001"), TODAY) is None


def test_future_birth_date():
    value = with_check("11010120260102001")
    assert id_number_error(value, TODAY) == "身份证号中的出生日期不合理"
    assert id_number_error(value, dt.date(2026, 1, 2)) is None


def test_birth_year_before_1900():
    assert id_number_error(with_check("11010118991231001"), TODAY) == "身份证号中的出生日期不合理"
    assert id_number_error(with_check("11010119000101001"), TODAY) is None


def test_bad_checksum():
    assert id_number_error("110105194912310021", TODAY) == "身份证号校验位错误，请核对"
    first17 = "44052419800101001"
    wrong = "0" if id_check_digit(first17) != "0" else "1"
    assert id_number_error(first17 + wrong, TODAY) == "身份证号校验位错误，请核对"


def test_validator_raises_with_message():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        id_number_validator("110105194912310021")
    assert exc.value.messages == ["身份证号校验位错误，请核对"]


def test_birth_date_and_gender():
    assert birth_date_from_id(VALID_X) == dt.date(1949, 12, 31)
    assert gender_from_id(VALID_X) == "female"  # 17th digit 2: even
    assert gender_from_id(with_check("11010119900307001")) == "male"
    assert gender_from_id(with_check("11010119900307019")) == "male"
    assert gender_from_id(with_check("11010119900307010")) == "female"
    assert gender_from_id(with_check("11010119900307008")) == "female"


CHECK_CHARS = "0123456789X"


@given(
    region=st.from_regex(r"[1-9]\d{5}", fullmatch=True),
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
    serial=st.integers(0, 999),
    other=st.sampled_from(CHECK_CHARS),
)
def test_property_check_digit_makes_valid_and_any_other_last_char_invalid(region, birth, serial, other):
    first17 = f"{region}{birth:%Y%m%d}{serial:03d}"
    value = first17 + id_check_digit(first17)
    assert id_number_error(value, TODAY) is None
    assert birth_date_from_id(value) == birth
    assert gender_from_id(value) == ("male" if serial % 2 else "female")
    if other != value[-1]:
        assert id_number_error(first17 + other, TODAY) == "身份证号校验位错误，请核对"


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
    position=st.integers(0, 16),
    delta=st.integers(1, 9),
)
def test_property_single_digit_error_is_detected(birth, position, delta):
    first17 = f"110101{birth:%Y%m%d}123"
    value = first17 + id_check_digit(first17)
    digits = list(value)
    digits[position] = str((int(digits[position]) + delta) % 10)
    changed = "".join(digits)
    # MOD 11-2 detects every single-digit substitution; a changed date may also be refused as a date
    assert id_number_error(changed, TODAY) is not None
