"""Masking of personal data (domain-rules §9): ID like 110101********1234, phone like 138****8000."""


def mask_id_number(value: str | None) -> str:
    """Keep the 6-digit region code and the last 4 characters of an ID number."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """Keep the first 3 and last 4 digits of a mobile number."""
    if not value:
        return ""
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
