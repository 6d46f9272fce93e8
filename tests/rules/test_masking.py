"""zhibu.core.masking (domain-rules §9)."""

import pytest

from zhibu.core.masking import mask_id_number, mask_phone


@pytest.mark.parametrize(
    "value,expected",
    [
        ("110101199003070018", "110101********0018"),
        ("11010519491231002X", "110105********002X"),
        ("", ""),
        (None, ""),
        ("1234567890", "**********"),
        ("12345678901", "123456*8901"),
    ],
)
def test_mask_id_number(value, expected):
    assert mask_id_number(value) == expected


def test_masked_id_hides_birth_date():
    masked = mask_id_number("110101199003070018")
    assert "19900307" not in masked
    assert len(masked) == 18


@pytest.mark.parametrize(
    "value,expected",
    [
        ("13812348000", "138****8000"),
        ("", ""),
        (None, ""),
        ("1234567", "*******"),
        ("12345678", "123*5678"),
    ],
)
def test_mask_phone(value, expected):
    assert mask_phone(value) == expected
