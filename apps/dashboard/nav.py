"""The dashboard's navigation: one entry per module, in menu order.

A module's entry lights up by itself once its URL name resolves (the module's issue adds its
`urls.py` to `config/urls_tenant.py`); until then it is shown disabled with a "coming soon"
hint, and its overview widget is a placeholder card. An entry with a `feature` key is shown
only when that feature is ON in the request's entitlements (apps.entitlements), so a gated
module disappears from the menu and the overview in one place rather than in each template.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str | Promise
    url_name: str
    icon: str
    summary: str | Promise = ""  # one line for the overview's widget card; empty: no widget
    feature: str | None = None  # entitlement key gating this module; None: always shown

    def url(self) -> str | None:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return None


NAV_ENTRIES: tuple[NavEntry, ...] = (
    NavEntry("overview", _("Overview"), "dashboard:overview", "home"),
    NavEntry("crm", _("CRM"), "crm:index", "users", _("Contacts, companies and deals in one pipeline."), feature="crm"),
    NavEntry(
        "catalog", _("Catalogue"), "catalog:index", "archive", _("Products, prices and visibility."), feature="catalog"
    ),
    NavEntry("inbox", _("Inbox"), "inbox:index", "inbox", _("WhatsApp, email and web chat in one place.")),
    NavEntry("site", _("Site"), "site:index", "globe", _("Your website's pages, articles and FAQs."), feature="site"),
    NavEntry("finance", _("Finance"), "finance:index", "wallet", _("Bank accounts, spending and subscriptions.")),
    NavEntry("help", _("Help"), "help:index", "help", _("Answers from the help center, with sources.")),
    NavEntry("health", _("Health"), "monitoring:health", "check", _("Uptime, response times and automatic repairs.")),
    NavEntry("settings", _("Settings"), "dashboard:settings", "settings"),
)


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    icon: str
    url: str | None
    active: bool
    summary: str

    @property
    def available(self) -> bool:
        return self.url is not None


def _visible(entry: NavEntry, entitlements) -> bool:
    return entry.feature is None or (entitlements is not None and entitlements.is_on(entry.feature))


def nav_items(*, active: str = "", entitlements=None) -> list[NavItem]:
    """Entries whose feature is ON; `entitlements` defaults to the current request's."""
    if entitlements is None:
        from apps.entitlements.context import current_entitlements

        entitlements = current_entitlements()
    return [
        NavItem(key=e.key, label=str(e.label), icon=e.icon, url=e.url(), active=e.key == active, summary=str(e.summary))
        for e in NAV_ENTRIES
        if _visible(e, entitlements)
    ]


def widget_items(*, entitlements=None) -> list[NavItem]:
    """Modules that put a card on the overview page."""
    return [item for item in nav_items(entitlements=entitlements) if item.summary]
