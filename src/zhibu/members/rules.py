"""Member rules as pure functions: ID numbers, age, party standing and their statistics bands."""

import calendar
import datetime as dt

from django.core.exceptions import ValidationError

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """Check character of an 18-digit ID number: ISO 7064 MOD 11-2 (GB 11643-1999 §8.2; X = 10)."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_error(value: str, today: dt.date | None = None) -> str | None:
    """Why an 18-digit ID number is invalid (GB 11643-1999: digits 7–14 birth date, last a check), or None."""
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] in "Xx"):
        return "身份证号应为18位：前17位数字，最后一位为数字或X"
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "身份证号中的出生日期不存在"
    if birth > (today or dt.date.today()) or birth.year < 1900:
        return "身份证号中的出生日期不合理"
    if id_check_digit(value[:17]) != value[17].upper():
        return "身份证号校验位错误，请核对"
    return None


def id_number_validator(value: str) -> None:
    error = id_number_error(value)
    if error:
        raise ValidationError(error)


def birth_date_from_id(value: str) -> dt.date:
    """Birth date encoded in digits 7–14 of a valid ID number (GB 11643-1999)."""
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def gender_from_id(value: str) -> str:
    """Gender from the 17th digit: odd male, even female (GB 11643-1999 §5.2.3)."""
    return "male" if int(value[16]) % 2 else "female"


# --- Age, party standing and consistency of a record -----------------------------------------------


def latest_birth_for_age(day: dt.date, years: int) -> dt.date:
    """The latest birth date of someone at least `years` full years (周岁) old on `day`.

    `age_on(birth, day) >= years` exactly when `birth <= latest_birth_for_age(day, years)`: the bound for
    database filters. On 29 February of a leap year the bound in a common year is 28 February.
    """
    year = day.year - years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def age_on(birth: dt.date, day: dt.date) -> int:
    """Full years of age (周岁, counted by the Gregorian year, month and day; domain-rules §4 age ≥ 18).

    Someone born 29 February turns a year older on 1 March in common years.
    """
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# Age bands of the roster statistics (issue 3; ten-year bands, coarser than the 党内统计公报's 年龄构成):
# (key, label, lowest age, highest age or None).
AGE_BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("le30", "30岁及以下", 0, 30),
    ("31_40", "31–40岁", 31, 40),
    ("41_50", "41–50岁", 41, 50),
    ("51_60", "51–60岁", 51, 60),
    ("61_70", "61–70岁", 61, 70),
    ("gt70", "70岁以上", 71, None),
)


def age_band(age: int) -> str:
    """The statistics label of an age in full years (issue 3 bands: 30岁及以下 … 70岁以上)."""
    for _key, label, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return label
    return AGE_BANDS[0][1]  # negative ages cannot occur for a valid birth date


def age_band_key(age: int) -> str:
    """The filter key (e.g. "31_40") of an age's band; see `age_band`."""
    for key, _label, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return key
    return AGE_BANDS[0][0]


def birth_range_for_band(key: str, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """(earliest, latest) birth dates, inclusive, of people whose age on `today` falls in the band `key`.

    None means unbounded. Raises KeyError for an unknown key.
    """
    band = {b[0]: b for b in AGE_BANDS}[key]
    _key, _label, low, high = band
    latest = latest_birth_for_age(today, low) if low > 0 else None
    earliest = None
    if high is not None:
        # age <= high  ⇔  not (age >= high + 1)  ⇔  birth > latest_birth_for_age(today, high + 1)
        earliest = latest_birth_for_age(today, high + 1) + dt.timedelta(days=1)
    return earliest, latest


def id_consistency_error(id_number: str, birth_date: dt.date | None, gender: str | None) -> str | None:
    """Why a record's birth date or gender contradicts its ID number (GB 11643-1999: digits 7–14 are the
    birth date, the 17th odd for men and even for women), or None. A missing value is not a contradiction.
    """
    error = id_number_error(id_number)
    if error:
        return error
    derived_birth = birth_date_from_id(id_number)
    if birth_date is not None and birth_date != derived_birth:
        return f"出生日期与身份证号不一致：身份证号中的出生日期为{derived_birth:%Y-%m-%d}"
    derived_gender = gender_from_id(id_number)
    if gender and gender != derived_gender:
        shown = "男" if derived_gender == "male" else "女"
        return f"性别与身份证号不一致：身份证号显示为{shown}性"
    return None


def party_standing_years(converted_on: dt.date | None, today: dt.date) -> int | None:
    """党龄 in full years, counted from the day probation ends and the member becomes a full member
    (党章 第七条; domain-rules §4). None for probationary members or an unknown date; 0 before the date."""
    if converted_on is None:
        return None
    return max(0, age_on(converted_on, today))


# Party standing bands of the statistics (党龄构成): (key, label, lowest years, highest years or None).
STANDING_BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("lt5", "不满5年", 0, 4),
    ("5_10", "5–9年", 5, 9),
    ("10_20", "10–19年", 10, 19),
    ("20_30", "20–29年", 20, 29),
    ("30_50", "30–49年", 30, 49),
    ("ge50", "50年及以上", 50, None),
)


def standing_band(years: int) -> str:
    """The statistics label of a party standing in full years (<5, 5–10, 10–20, 20–30, 30–50, ≥50)."""
    for _key, label, low, high in STANDING_BANDS:
        if years >= low and (high is None or years <= high):
            return label
    return STANDING_BANDS[0][1]
