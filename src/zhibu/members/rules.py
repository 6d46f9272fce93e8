"""Member rules as pure functions."""

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
