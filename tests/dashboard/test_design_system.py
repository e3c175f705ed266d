"""The design system's promises, checked on the files themselves: solid colours, AA contrast
in every theme, no third-party hosts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CSS = (ROOT / "static" / "css" / "app.css").read_text()
ALL_FILES = [
    p
    for base in ("static", "templates")
    for p in (ROOT / base).rglob("*")
    if p.suffix in {".css", ".html", ".js"} and "vendor" not in p.parts
]
# The shell's own files: here not even the word may appear (nothing to flatten, nothing to explain).
SHELL_FILES = [
    p
    for p in ALL_FILES
    if p.is_relative_to(ROOT / "static" / "css")
    or p.is_relative_to(ROOT / "static" / "js")
    or p == ROOT / "templates" / "base.html"
    or any(p.is_relative_to(ROOT / "templates" / d) for d in ("dashboard", "accounts", "tenancy", "core"))
]
GRADIENT_VALUE = re.compile(r"(?:repeating-)?(?:linear|radial|conic)-gradient\s*\(", re.I)

# (foreground, background) pairs that carry text somewhere in the components.
TEXT_PAIRS = [
    ("--text", "--bg"),
    ("--text", "--surface"),
    ("--text", "--surface-hover"),
    ("--muted", "--bg"),
    ("--muted", "--surface"),
    ("--muted", "--surface-2"),
    ("--muted", "--surface-hover"),
    ("--link", "--bg"),
    ("--link", "--surface"),
    ("--primary-contrast", "--primary"),
    ("--primary-contrast", "--primary-hover"),
    ("--primary-soft-text", "--primary-soft"),
    ("--danger", "--danger-soft"),
    ("--danger", "--surface"),
    ("--warning", "--warning-soft"),
    ("--success", "--success-soft"),
    ("--info", "--info-soft"),
]


def _block(selector_pattern: str) -> dict[str, str]:
    match = re.search(selector_pattern + r"\s*\{(.*?)\n\s*\}", CSS, re.S)
    assert match, selector_pattern
    return dict(re.findall(r"(--[\w-]+):\s*([^;]+);", match.group(1)))


THEMES = {
    "light": _block(r':root,\s*\[data-theme="light"\]'),
    "dark": _block(r'\n\[data-theme="dark"\]'),
    "system-dark": _block(r'@media \(prefers-color-scheme: dark\) \{\s*\[data-theme="system"\]'),
}


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_palette__every_text_pair__meets_wcag_aa(theme):
    values = THEMES[theme]
    failures = {
        f"{fg} on {bg}": round(_contrast(values[fg], values[bg]), 2)
        for fg, bg in TEXT_PAIRS
        if _contrast(values[fg], values[bg]) < 4.5
    }
    assert not failures, failures


def test_palette__brand_values__as_the_design_principles_say():
    assert THEMES["light"]["--primary"] == THEMES["dark"]["--primary"] == "#2563eb"
    assert THEMES["light"]["--bg"] == "#f8fafc"
    assert THEMES["dark"]["--bg"] == "#0f172a"


def test_palette__system_theme_in_dark_mode__same_values_as_dark():
    assert THEMES["system-dark"] == THEMES["dark"]


def test_palette__light_and_dark__define_the_same_variables():
    assert set(THEMES["light"]) >= set(THEMES["dark"])


def test_styles__shell_files__never_mention_gradient():
    offenders = [str(p.relative_to(ROOT)) for p in SHELL_FILES if "gradient" in p.read_text().lower()]
    assert SHELL_FILES
    assert not offenders


def test_styles__every_page_and_stylesheet__no_gradient_backgrounds():
    offenders = [str(p.relative_to(ROOT)) for p in ALL_FILES if GRADIENT_VALUE.search(p.read_text())]
    assert not offenders


def test_templates__assets__never_from_another_host():
    pattern = re.compile(r'(?:src|href)="(?:https?:)?//', re.I)
    offenders = [str(p.relative_to(ROOT)) for p in ALL_FILES if pattern.search(p.read_text())]
    assert not offenders


def test_vendor__htmx__pinned_with_licence():
    folder = ROOT / "static" / "vendor" / "htmx"
    assert (folder / "LICENSE").read_text().strip()
    assert re.match(r"htmx\.org 2\.\d+\.\d+", (folder / "VERSION").read_text())
    assert (folder / "htmx.min.js").stat().st_size > 10_000
