"""What "inert" means for text shown on a page: rendered as Markdown, nothing becomes active."""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt

# What remark-gfm's transform-time autolink literal finds in a text node (mdast-util-gfm-
# autolink-literal): www. and http(s):// URLs, and e-mail addresses.
AUTOLINK_LITERALS = re.compile(
    r"(https?://|www(?=\.))[-.\w]+|[-.\w+]+@[-\w]+(\.[-\w]+)+", re.IGNORECASE
)


def render(markdown: str) -> str:
    """``markdown`` rendered as CommonMark with the extensions Streamlit enables."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)


def rendered_text(markup: str) -> str:
    """The text of ``markup`` without its tags."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def assert_inert(markdown: str) -> str:
    """Render ``markdown``; nothing in it may be a link, image, raw HTML or autolink literal."""
    markup = render(markdown)
    for tag in ("<a ", "<img", "<script", "<code", "<pre", "<em>", "<del>", "<blockquote"):
        assert tag not in markup, (tag, markdown, markup)
    text = rendered_text(markup)
    assert not AUTOLINK_LITERALS.search(text), text
    return text
