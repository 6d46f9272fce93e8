"""Errors services raise: always a clear Chinese message, never a half-done change."""

from django.core.exceptions import ValidationError

__all__ = ["ValidationError", "fail"]


def fail(message: str, field: str | None = None) -> None:
    """Raise a ValidationError with one Chinese message, optionally tied to a form/API field."""
    if field:
        raise ValidationError({field: [message]})
    raise ValidationError(message)
