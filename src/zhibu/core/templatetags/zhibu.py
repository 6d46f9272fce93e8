"""Template helpers shared by all apps: masking, Bootstrap form widgets, status badges, navigation."""

from django import forms, template
from django.utils.html import format_html

from zhibu.core import masking

register = template.Library()


# --- Personal data ---------------------------------------------------------------------------------


@register.filter
def mask_phone(value):
    """138****8000"""
    return masking.mask_phone(value)


@register.filter
def mask_id(value):
    """110101********1234"""
    return masking.mask_id_number(value)


# --- Forms -----------------------------------------------------------------------------------------


def _kind(widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "check"
    if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
        return "choices"
    if isinstance(widget, (forms.Select, forms.SelectMultiple)):
        return "select"
    if isinstance(widget, forms.HiddenInput):
        return "hidden"
    return "input"


@register.filter
def widget_kind(bound_field) -> str:
    """'check', 'choices', 'select', 'hidden' or 'input' for a bound field's widget."""
    return _kind(bound_field.field.widget)


@register.filter
def bs(bound_field, id_prefix=""):
    """Render a bound field's widget with Bootstrap classes (and is-invalid when it has errors).

    An optional id prefix keeps ids unique when one form class appears several times on a page;
    the matching label uses ``{{ prefix }}{{ field.id_for_label }}``.
    """
    widget = bound_field.field.widget
    css = {
        "check": "form-check-input",
        "choices": "",
        "select": "form-select",
        "hidden": "",
        "input": "form-control",
    }[_kind(widget)]
    existing = widget.attrs.get("class", "")
    classes = " ".join(c for c in (existing, css, "is-invalid" if bound_field.errors else "") if c)
    attrs = {"class": classes} if classes else {}
    if id_prefix and bound_field.auto_id:
        attrs["id"] = f"{id_prefix}{bound_field.auto_id}"
    return bound_field.as_widget(attrs=attrs)


# --- Badges ----------------------------------------------------------------------------------------

TERM_FLAGS = {
    "ok": ("正常", "text-bg-success"),
    "ending_soon": ("即将届满", "text-bg-warning"),
    "overdue": ("已超期", "text-bg-danger"),
    "ended": ("已换届", "text-bg-secondary"),
    "none": ("未建立", "text-bg-secondary"),
}


@register.filter
def flag_badge(flag):
    """A Bootstrap badge for a committee term flag (ok / ending_soon / overdue / ended / none)."""
    label, css = TERM_FLAGS.get(flag, (flag or "—", "text-bg-secondary"))
    return format_html('<span class="badge {}">{}</span>', css, label)


@register.filter
def flag_label(flag):
    return TERM_FLAGS.get(flag, (flag or "—", ""))[0]


# --- Navigation ------------------------------------------------------------------------------------

# Pages that belong under a navigation entry besides the entry's own URL name.
NAV_SECTIONS = {
    "orgs:tree": ("orgs:",),
    "members:roster": (
        "members:roster",
        "members:detail",
        "members:create",
        "members:edit",
        "members:change_status",
        "members:change_post",
        "members:stats",
        "members:import",
        "members:import_preview",
        "members:mobile",
        "members:lost",
        "members:follow_up",
        "members:found",
    ),
    "members:transfers": ("members:transfer",),
    "development:board": ("development:",),
    "orglife:meetings": ("orglife:",),
    "orglife:mine": (
        "orglife:mine",
        "orglife:meeting",
        "orglife:checkin",
        "orglife:review_mine",
        "orglife:review_self",
        "orglife:review_ballots",
        "orglife:talk_mine",
        "orglife:talk_new",
        "orglife:talk_detail",
    ),
    "points:overview": ("points:",),
    "points:mine": ("points:",),
    "accounts:profile": ("accounts:profile", "accounts:password", "accounts:tokens"),
    "accounts:roles": ("accounts:roles", "accounts:revoke_role"),
    "accounts:users": ("accounts:users", "accounts:user_detail"),
    "core:audit": ("core:audit", "core:audit_detail"),
}


@register.simple_tag(takes_context=True)
def nav_active(context, url_name) -> bool:
    """True when the current page belongs to the navigation entry `url_name`."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    current = getattr(match, "view_name", "") or ""
    if current == url_name:
        return True
    return any(
        current == p or (p.endswith(":") and current.startswith(p)) for p in NAV_SECTIONS.get(url_name, ())
    )


# What a phone user reaches for first when not everything fits the bottom bar (the sidebar menu has all).
BOTTOM_FIRST = (
    "core:home",
    "orglife:meetings",
    "orglife:mine",
    "members:roster",
    "points:overview",
    "points:mine",
    "development:my_reports",
    "development:board",
)


@register.simple_tag
def bottom_nav(nav_items, size=5):
    """The phone bottom bar, at most `size` entries in menu order with 我的 always last: the entries of
    BOTTOM_FIRST first, then the rest of the menu."""
    items = list(nav_items or [])
    if len(items) <= size:
        return items
    mine = [i for i in items if i[0] == "accounts:profile"]
    rest = [i for i in items if i[0] != "accounts:profile"]
    rank = {name: n for n, name in enumerate(BOTTOM_FIRST)}
    keep = sorted(range(len(rest)), key=lambda n: (rank.get(rest[n][0], len(rank)), n))[: size - len(mine)]
    return [rest[n] for n in sorted(keep)] + mine


@register.filter(name="abs")
def abs_filter(value):
    """Absolute value (e.g. days overdue from a negative days-left)."""
    try:
        return abs(value)
    except TypeError:
        return value


@register.simple_tag
def site_title():
    """The configured site name (views such as LoginView put the host name into `site_name`)."""
    from django.conf import settings

    return getattr(settings, "ZHIBU_SITE_NAME", "") or "智慧党建"
