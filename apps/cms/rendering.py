"""Markdown and rich text to safe HTML: Python-Markdown renders, nh3 (the Ammonia sanitiser)
keeps only an allow-list of tags, attributes and URL schemes. Used on every save and again
when a snapshot is built, so nothing unsanitised ever reaches a visitor."""

from __future__ import annotations

import markdown as md
import nh3

from apps.cms.models import BodyFormat

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details",
        "div", "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
        "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "summary",
        "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
    }
)  # fmt: skip
# h1 is the page title's: body headings start at h2 (a body "# Heading" is shifted down one level).
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

MARKDOWN_EXTENSIONS = ["extra", "sane_lists"]


def sanitize_html(html: str) -> str:
    """Strip everything not on the allow-list: scripts (with their content), event handlers,
    style attributes, javascript: and data: URLs, iframes, forms."""
    return nh3.clean(
        html or "",
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        clean_content_tags={"script", "style"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


def _shift_h1(html: str) -> str:
    return html.replace("<h1>", "<h2>").replace("<h1 ", "<h2 ").replace("</h1>", "</h2>")


def render_markdown(text: str) -> str:
    # A new converter per call: a Markdown instance keeps state and is not thread-safe.
    return md.markdown(text or "", extensions=MARKDOWN_EXTENSIONS, output_format="html")


def render_body(body: str, body_format: str = BodyFormat.MARKDOWN) -> str:
    """The sanitised HTML of a body written in Markdown or as rich text (HTML)."""
    if body_format not in BodyFormat.values:
        raise ValueError(f"Unknown body format {body_format!r}.")
    html = render_markdown(body) if body_format == BodyFormat.MARKDOWN else (body or "")
    return sanitize_html(_shift_h1(html))
