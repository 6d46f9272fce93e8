"""What an entry's source is and where it lives, so every entry can explain itself with a link.

Apps that score points register their source types once (in their AppConfig.ready), e.g. the meetings
app: `register("orglife.attendance", "组织生活考勤", lambda source_id: reverse(...))`. An unregistered
type still shows the entry's own `source_label`; it just has no link.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Source:
    label: str
    link: Callable[[str], str | None] | None = None


_SOURCES: dict[str, Source] = {}


def register(source_type: str, label: str, link: Callable[[str], str | None] | None = None) -> None:
    _SOURCES[source_type] = Source(label, link)


def type_label(source_type: str) -> str:
    source = _SOURCES.get(source_type)
    return source.label if source else source_type


def url_for(source_type: str, source_id: str) -> str | None:
    """The page of the source, when its app registered one (None otherwise, or when it can't be built)."""
    source = _SOURCES.get(source_type)
    if source is None or source.link is None:
        return None
    try:
        return source.link(source_id)
    except (NoReverseMatch, ValueError):
        return None


def register_defaults() -> None:
    """The points app's own sources (called from PointsConfig.ready)."""
    register("points.manual", "手工记分")
    register("points.claim", "申报/审核", lambda pk: reverse("points:claim", args=[int(pk)]))
    register("points.reversal", "冲正", lambda pk: reverse("points:entry", args=[int(pk)]))
