"""The dashboard's navigation: one entry per module, in menu order.

A module's entry lights up by itself once its URL name resolves (the module's issue adds its
`urls.py` to `config/urls_tenant.py`); until then it is shown disabled with a "coming soon"
hint, and its overview widget is a placeholder card. Later issues add gating (entitlements)
here, in one place, rather than in each template.
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

    def url(self) -> str | None:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return None


NAV_ENTRIES: tuple[NavEntry, ...] = (
    NavEntry("overview", _("Overview"), "dashboard:overview", "home"),
    NavEntry("crm", _("CRM"), "crm:index", "users", _("Contacts, companies and deals in one pipeline.")),
    NavEntry("inbox", _("Inbox"), "inbox:index", "inbox", _("WhatsApp, email and web chat in one place.")),
    NavEntry("site", _("Site"), "site:index", "globe", _("Your website's pages, articles and FAQs.")),
    NavEntry("finance", _("Finance"), "finance:index", "wallet", _("Bank accounts, spending and subscriptions.")),
    NavEntry("help", _("Help"), "help:index", "help", _("Answers from the help center, with sources.")),
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


def nav_items(*, active: str = "") -> list[NavItem]:
    return [
        NavItem(key=e.key, label=str(e.label), icon=e.icon, url=e.url(), active=e.key == active, summary=str(e.summary))
        for e in NAV_ENTRIES
    ]


def widget_items() -> list[NavItem]:
    """Modules that put a card on the overview page."""
    return [item for item in nav_items() if item.summary]
