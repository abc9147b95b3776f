"""The printable pages in a real browser: Debian's headless Chromium driven by Playwright.

The one-page summary prints on one or two US Letter pages; the home page and a topic
page print as their content (answers, conditions, quotes), without the site's header,
navigation or search. The repository's site is built strictly from the checkout and
served from 127.0.0.1 once for the run (tests/browser/conftest.py).
In CI (`CI` set) a missing Chromium or Playwright fails the test; elsewhere it skips.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from billability.policy.compiled import Policy
from billability.site.pages import topic_path
from browsers import require_browser

require_browser()

from playwright.sync_api import Page, expect  # noqa: E402

PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def printed_pages(pdf: bytes) -> int:
    """The number of pages of a PDF: its `/Type /Page` objects (not the `/Pages` tree)."""
    return len(PAGE_OBJECT.findall(pdf))


def test_the_summary_prints_on_one_or_two_letter_pages(page: Page, site_url: str, tmp_path: Path) -> None:
    page.goto(site_url + "summary/")
    pdf = page.pdf(format="Letter", path=str(tmp_path / "summary.pdf"))
    count = printed_pages(pdf)
    print(f"\nthe one-page summary prints on {count} US Letter page(s)")
    assert 1 <= count <= 2, f"the summary prints on {count} pages"


def test_the_printed_summary_holds_every_rule_and_whom_to_ask(page: Page, site_url: str, policy: Policy) -> None:
    page.goto(site_url + "summary/")
    page.emulate_media(media="print")
    summary = page.locator("article .summary")
    for rule in policy.rules:
        expect(summary).to_contain_text(rule.title)
    expect(summary).to_contain_text(policy.review.team)
    expect(page.locator(".md-header")).to_be_hidden()
    expect(page.locator(".md-sidebar--primary")).to_be_hidden()


def test_counting_pages_counts_page_objects_only() -> None:
    assert printed_pages(b"<< /Type /Pages /Count 2 >> << /Type /Page >> << /Type/Page >>") == 2


@pytest.mark.parametrize("which", ["home", "topic"])
def test_a_page_prints_as_its_content(page: Page, site_url: str, policy: Policy, tmp_path: Path, which: str) -> None:
    rule = policy.rules[0]
    path = "" if which == "home" else topic_path(rule.topic).removesuffix(".md") + "/"
    page.goto(site_url + path)
    page.emulate_media(media="print")
    content = page.locator("article")
    expect(content).to_be_visible()
    expect(content.locator(".outcome").first).to_be_visible()
    expect(content).to_contain_text(rule.title)
    if which == "topic":
        expect(content.locator("blockquote").first).to_be_visible()
    for chrome in (".md-header", ".md-tabs", ".md-sidebar--primary", ".md-search"):
        expect(page.locator(chrome).first).to_be_hidden()
    # Links print as their words, never as bare addresses after them.
    after = page.evaluate("getComputedStyle(document.querySelector('article a'), '::after').content")
    assert after in ("none", "normal", '""'), after
    if which == "home":
        for rule in policy.rules:
            if content.get_by_role("link", name=rule.title, exact=True).count():
                expect(content.get_by_role("link", name=rule.title, exact=True).first).to_be_visible()
    assert printed_pages(page.pdf(format="Letter", path=str(tmp_path / f"{which}.pdf"))) >= 1
