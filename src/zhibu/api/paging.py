"""What every list endpoint shares: limit/offset (or page) pagination and Chinese 422 field errors."""

from ninja import Field, Schema
from ninja.errors import ValidationError as InputError

MAX_LIMIT = 200


class PageQuery(Schema):
    limit: int = Field(50, description=f"每页条数（1–{MAX_LIMIT}）")
    offset: int = Field(0, description="起始位置")
    page: int | None = Field(None, description="页码（从1开始）；给出时按 limit 计算起始位置")


def page_slice(paging: PageQuery) -> tuple[int, int]:
    """(limit, offset): limit clamped to 1..MAX_LIMIT; `page` (from 1) wins over `offset`."""
    limit = max(1, min(paging.limit, MAX_LIMIT))
    offset = (max(1, paging.page) - 1) * limit if paging.page is not None else max(0, paging.offset)
    return limit, offset


def invalid(field: str, message: str, where: str = "query"):
    """A 422 with a Chinese field message, shaped like schema errors."""
    raise InputError([{"loc": (where, field), "msg": message, "type": "value_error"}])
