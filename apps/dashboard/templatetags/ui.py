"""Template helpers of the design system: `{% icon "name" %}` and `{% dashboard_nav active %}`."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from apps.dashboard.nav import nav_items

register = template.Library()

# 24x24 stroke icons drawn for this project (stroke = currentColor, so they follow the theme).
_ICONS: dict[str, str] = {
    "home": '<path d="M3 10.5 12 3l9 7.5"/><path d="M5 9.5V20h5v-6h4v6h5V9.5"/>',
    "users": '<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20c.8-3.6 3.4-5.5 6.5-5.5s5.7 1.9 6.5 5.5"/>'
    '<path d="M16 4.6a3.5 3.5 0 0 1 0 6.8"/><path d="M18 14.8c1.9.7 3.1 2.4 3.5 5.2"/>',
    "inbox": '<path d="M3 13h5l1.5 3h5l1.5-3h5"/><path d="M5.5 5h13L21 13v6H3v-6z"/>',
    "globe": '<circle cx="12" cy="12" r="9"/><path d="M3 12h18"/>'
    '<path d="M12 3c2.5 2.6 3.8 5.6 3.8 9s-1.3 6.4-3.8 9c-2.5-2.6-3.8-5.6-3.8-9S9.5 5.6 12 3z"/>',
    "wallet": '<path d="M4 7h15a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2h12v3"/>'
    '<path d="M16.5 13.5h.01"/>',
    "help": '<circle cx="12" cy="12" r="9"/><path d="M9.5 9.2a2.6 2.6 0 0 1 5 .8c0 1.7-2.5 2.3-2.5 4"/>'
    '<path d="M12 17.3h.01"/>',
    "settings": '<path d="M4 7h9"/><path d="M19 7h1"/><circle cx="16" cy="7" r="2.5"/><path d="M4 17h3"/>'
    '<path d="M13 17h7"/><circle cx="10" cy="17" r="2.5"/>',
    "sun": '<circle cx="12" cy="12" r="4"/><path d="M12 2.5v2M12 19.5v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4'
    'M2.5 12h2M19.5 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"/>',
    "moon": '<path d="M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z"/>',
    "monitor": '<rect x="3" y="4" width="18" height="12" rx="2"/><path d="M8 20h8M12 16v4"/>',
    "menu": '<path d="M4 6h16M4 12h16M4 18h16"/>',
    "logout": '<path d="M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3"/><path d="M10 17l5-5-5-5"/><path d="M15 12H4"/>',
    "shield": '<path d="M12 3l7 3v6c0 4.5-3 7.7-7 9-4-1.3-7-4.5-7-9V6z"/><path d="M9 12l2 2 4-4"/>',
    "alert": '<circle cx="12" cy="12" r="9"/><path d="M12 7.5v5"/><path d="M12 16.3h.01"/>',
    "check": '<circle cx="12" cy="12" r="9"/><path d="M8.5 12.5l2.5 2.5 4.5-5"/>',
    "info": '<circle cx="12" cy="12" r="9"/><path d="M12 11v5"/><path d="M12 7.7h.01"/>',
    "lock": '<rect x="5" y="11" width="14" height="10" rx="2"/><path d="M8 11V8a4 4 0 0 1 8 0v3"/>',
    "pause": '<circle cx="12" cy="12" r="9"/><path d="M10 9v6M14 9v6"/>',
    "archive": '<rect x="3" y="4" width="18" height="4" rx="1"/><path d="M5 8v11a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8"/>'
    '<path d="M10 12h4"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 21c1-4 4.2-6 8-6s7 2 8 6"/>',
    "language": '<path d="M4 5h8M8 3v2M10.5 5c-.8 3.5-3.2 6.3-6.5 8M6 9c1.2 1.8 2.9 3.2 5 4"/>'
    '<path d="M12.5 21l4-9 4 9M14 18h5"/>',
    "palette": '<path d="M12 3a9 9 0 1 0 0 18c1.1 0 1.5-.8 1.5-1.5 0-1.3-1-1.6-1-2.8 0-1 .8-1.7 1.8-1.7H17'
    'a4 4 0 0 0 4-4C21 6.6 17 3 12 3z"/><path d="M7.5 11.5h.01M10 7.5h.01M14.5 7.5h.01"/>',
    "search-x": '<circle cx="11" cy="11" r="7"/><path d="M20 20l-4-4"/><path d="M9 9l4 4M13 9l-4 4"/>',
}


@register.simple_tag
def icon(name: str, css: str = "icon") -> str:
    body = _ICONS.get(name)
    if body is None:
        raise template.TemplateSyntaxError(f"Unknown icon {name!r}.")
    markup = mark_safe(body)  # noqa: S308 -- constant markup defined above, never user input
    return format_html('<svg class="{}" viewBox="0 0 24 24" aria-hidden="true" focusable="false">{}</svg>', css, markup)


@register.inclusion_tag("dashboard/partials/nav.html", takes_context=True)
def dashboard_nav(context, active: str = ""):
    request = context.get("request")
    return {"items": nav_items(active=active, entitlements=getattr(request, "entitlements", None))}


THEME_CHOICES = (
    ("light", _("Light"), "sun"),
    ("dark", _("Dark"), "moon"),
    ("system", _("System"), "monitor"),
)


@register.inclusion_tag("dashboard/partials/theme_toggle.html", takes_context=True)
def theme_toggle(context, large: bool = False):
    request = context["request"]
    return {
        "choices": THEME_CHOICES,
        "current": context.get("current_theme", "system"),
        "large": large,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
