"""zhibu.members.rules: 18-digit ID numbers (GB 11643-1999, domain-rules §9), age, party standing."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhibu.members.rules import (
    AGE_BANDS,
    STANDING_BANDS,
    age_band,
    age_band_key,
    age_on,
    birth_date_from_id,
    birth_range_for_band,
    gender_from_id,
    id_check_digit,
    id_consistency_error,
    id_number_error,
    id_number_validator,
    latest_birth_for_age,
    party_standing_years,
    standing_band,
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


# --- Age, bands, consistency with the ID number, party standing ------------------------------------


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (dt.date(1990, 6, 15), dt.date(2020, 6, 14), 29),  # the day before the birthday
        (dt.date(1990, 6, 15), dt.date(2020, 6, 15), 30),  # the birthday itself
        (dt.date(1990, 6, 15), dt.date(2020, 6, 16), 30),
        (dt.date(1990, 12, 31), dt.date(2021, 1, 1), 30),
        (dt.date(1990, 1, 1), dt.date(2020, 12, 31), 30),
        (dt.date(2000, 2, 29), dt.date(2018, 2, 28), 17),  # common year: not yet on 28 February
        (dt.date(2000, 2, 29), dt.date(2018, 3, 1), 18),  # … but on 1 March
        (dt.date(2000, 2, 29), dt.date(2020, 2, 28), 19),
        (dt.date(2000, 2, 29), dt.date(2020, 2, 29), 20),  # leap year: on the day
        (dt.date(2000, 3, 1), dt.date(2020, 2, 29), 19),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 1), 0),
    ],
)
def test_age_on(birth, day, age):
    assert age_on(birth, day) == age


@pytest.mark.parametrize(
    ("age", "label", "key"),
    [
        (0, "30岁及以下", "le30"),
        (18, "30岁及以下", "le30"),
        (30, "30岁及以下", "le30"),
        (31, "31–40岁", "31_40"),
        (40, "31–40岁", "31_40"),
        (41, "41–50岁", "41_50"),
        (50, "41–50岁", "41_50"),
        (51, "51–60岁", "51_60"),
        (60, "51–60岁", "51_60"),
        (61, "61–70岁", "61_70"),
        (70, "61–70岁", "61_70"),
        (71, "70岁以上", "gt70"),
        (105, "70岁以上", "gt70"),
    ],
)
def test_age_bands(age, label, key):
    assert age_band(age) == label
    assert age_band_key(age) == key


def test_age_band_labels_in_order():
    assert [b[1] for b in AGE_BANDS] == ["30岁及以下", "31–40岁", "41–50岁", "51–60岁", "61–70岁", "70岁以上"]


def test_latest_birth_for_age_on_29_february():
    # On 29 Feb 2024, someone born 28 Feb 1993 (a common year) is 31; born 1 Mar 1993, 30.
    assert latest_birth_for_age(dt.date(2024, 2, 29), 31) == dt.date(1993, 2, 28)
    assert latest_birth_for_age(dt.date(2024, 2, 29), 4) == dt.date(2020, 2, 29)
    assert latest_birth_for_age(dt.date(2025, 3, 1), 25) == dt.date(2000, 3, 1)


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)),
    day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)),
    years=st.integers(0, 110),
)
def test_property_latest_birth_matches_age_on(birth, day, years):
    if years > day.year - 1900:
        return
    assert (age_on(birth, day) >= years) == (birth <= latest_birth_for_age(day, years))


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 1, 1)),
    day=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2030, 12, 31)),
)
def test_property_birth_range_of_a_band_holds_exactly_its_ages(birth, day):
    key = age_band_key(age_on(birth, day))
    for band_key, *_ in AGE_BANDS:
        earliest, latest = birth_range_for_band(band_key, day)
        inside = (earliest is None or birth >= earliest) and (latest is None or birth <= latest)
        assert inside == (band_key == key)


def test_unknown_band_key():
    with pytest.raises(KeyError):
        birth_range_for_band("99", TODAY)


def test_id_consistency():
    assert id_consistency_error(VALID_X, dt.date(1949, 12, 31), "female") is None
    assert id_consistency_error(VALID_X, None, None) is None
    assert id_consistency_error(VALID_X.lower(), None, "") is None
    assert (
        id_consistency_error(VALID_X, dt.date(1949, 12, 30), None)
        == "出生日期与身份证号不一致：身份证号中的出生日期为1949-12-31"
    )
    assert id_consistency_error(VALID_X, None, "male") == "性别与身份证号不一致：身份证号显示为女性"
    assert id_consistency_error("110105194912310021", None, None) == "身份证号校验位错误，请核对"


def test_id_consistency_on_29_february():
    number = with_check("11010119880229001")
    assert id_consistency_error(number, dt.date(1988, 2, 29), "male") is None
    assert "1988-02-29" in id_consistency_error(number, dt.date(1988, 3, 1), None)


@pytest.mark.parametrize(
    ("converted", "today", "years"),
    [
        (None, TODAY, None),
        (dt.date(2020, 7, 1), dt.date(2025, 6, 30), 4),  # the day before the 5th anniversary
        (dt.date(2020, 7, 1), dt.date(2025, 7, 1), 5),
        (dt.date(2024, 2, 29), dt.date(2025, 2, 28), 0),
        (dt.date(2024, 2, 29), dt.date(2025, 3, 1), 1),
        (dt.date(2026, 5, 1), dt.date(2026, 1, 1), 0),  # a future date counts as 0, never negative
    ],
)
def test_party_standing_years(converted, today, years):
    assert party_standing_years(converted, today) == years


@pytest.mark.parametrize(
    ("years", "label"),
    [
        (0, "不满5年"),
        (4, "不满5年"),
        (5, "5–9年"),
        (9, "5–9年"),
        (10, "10–19年"),
        (19, "10–19年"),
        (20, "20–29年"),
        (29, "20–29年"),
        (30, "30–49年"),
        (49, "30–49年"),
        (50, "50年及以上"),
        (75, "50年及以上"),
    ],
)
def test_standing_bands(years, label):
    assert standing_band(years) == label
    assert label in [b[1] for b in STANDING_BANDS]
