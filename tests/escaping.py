"""Proving that a page shows what residents typed as text, never as markup.

Residents' words are stored verbatim (see docs/escaping.md): any page that shows them must escape
them. Send ``PAYLOADS`` through the webhook as a resident would, render the page that shows them,
and hand its HTML (for a page built by script, the browser's DOM: ``page.content()``) to
``assert_escaped``. The page is read with ``html.parser`` as a browser would tokenize it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Each payload carries a marker of its own, so what it would run is recognised wherever it lands.
MARKERS = ("minyi-xss-script", "minyi-xss-link", "minyi-xss-url", "minyi-xss-img")
PAYLOADS = (
    "<script>alert('minyi-xss-script')</script>",
    "<a href=\"javascript:alert('minyi-xss-link')\">点这里看详情</a>",
    "javascript:alert('minyi-xss-url')",
    "<img src=x onerror=\"alert('minyi-xss-img')\">",
)

# Attributes a browser follows or loads as a URL.
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc"})
# What a browser ignores before a URL's scheme (leading spaces and control characters).
_URL_LEAD = re.compile(r"^[\x00-\x20]+")


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]


@dataclass
class ParsedPage:
    elements: list[Element] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)  # the bodies of <script> elements
    text: str = ""  # every text node outside scripts and styles, as the reader sees it


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()
        self._raw: str | None = None  # inside <script> or <style>: its body so far
        self._texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.page.elements.append(Element(tag, {name: value or "" for name, value in attrs}))
        if tag in ("script", "style"):
            self._raw = ""

    def handle_startendtag(self, tag, attrs):
        self.page.elements.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._raw is not None:
            if tag == "script":
                self.page.scripts.append(self._raw)
            self._raw = None

    def handle_data(self, data):
        if self._raw is not None:
            self._raw += data
        else:
            self._texts.append(data)

    def close(self):
        super().close()
        self.page.text = "".join(self._texts)


def parse_page(html: str) -> ParsedPage:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page


def unescaped(html: str, markers: tuple[str, ...] = MARKERS) -> list[str]:
    """What in ``html`` a browser would run or follow: a <script> carrying a marker, a
    ``javascript:`` URL in a link or source, an event handler carrying a marker. Empty when the
    page is safe."""
    page = parse_page(html)
    found = [f"<script> runs {marker}" for body in page.scripts for marker in markers if marker in body]
    for element in page.elements:
        for name, value in element.attrs.items():
            if name in URL_ATTRIBUTES and _URL_LEAD.sub("", value).lower().startswith("javascript:"):
                found.append(f"<{element.tag} {name}> is a javascript: URL")
            elif name.startswith("on") and any(marker in value for marker in markers):
                found.append(f"<{element.tag} {name}> runs a payload")
    return found


def assert_escaped(html: str, payloads: tuple[str, ...] = PAYLOADS, markers: tuple[str, ...] = MARKERS) -> None:
    """``html`` shows each payload as text (so the page really had them to show) and runs or
    follows none of them."""
    problems = unescaped(html, markers)
    assert not problems, problems
    text = parse_page(html).text
    missing = [payload for payload in payloads if payload not in text]
    assert not missing, f"the page does not show {missing} as text"
