"""Form helpers shared by all apps."""

from django import forms
from django.core.exceptions import ValidationError


def errors_text(form: forms.Form) -> str:
    """A form's errors as one Chinese line, for pages that report them as a message."""
    parts = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        parts.append(f"{label}：{' '.join(errors)}" if label else " ".join(errors))
    return "；".join(parts)


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError onto the form: field messages on fields, the rest on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
