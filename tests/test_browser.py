"""The built staff site in a real browser: Debian's headless Chromium driven by Playwright.

The site is built strictly into a temporary folder and served from 127.0.0.1. In CI
(`CI` set) a missing Chromium or Playwright fails the test; elsewhere it skips with the reason.
Screenshots go to pytest's temporary folder, and also to `$BILLABILITY_SCREENSHOTS` when set.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CONFIG = Path(__file__).resolve().parent.parent / "docs" / "mkdocs.yml"


def _unavailable() -> str | None:
    if not CHROMIUM.exists():
        return f"no browser at {CHROMIUM}: install Debian's package with `apt-get install -y chromium`"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed: pip install -e '.[docs]'"
    return None


_REASON = _unavailable()
if _REASON is not None:
    if os.environ.get("CI"):
        # In CI the browser test must run: a missing browser is a failure, not a skip.
        pytest.fail(f"the browser test cannot run in CI: {_REASON}", pytrace=False)
    pytest.skip(_REASON, allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    target = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(CONFIG), "-d", str(target)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert built.returncode == 0, built.stderr
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(target)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    opened = browser.new_page(viewport={"width": 1280, "height": 900})
    opened.set_default_timeout(10_000)
    try:
        yield opened
    finally:
        opened.close()


def _screenshot(page: Page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), animations="disabled")
    kept = os.environ.get("BILLABILITY_SCREENSHOTS")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(kept) / path.name)
    return path


def _search(page: Page, site_url: str, words: str) -> None:
    page.goto(site_url)
    box = page.get_by_placeholder("Search")
    box.click()
    # Typed key by key, as a person would: the theme searches on key events.
    box.press_sequentially(words, delay=10)
    expect(page.locator(".md-search-result__item").first).to_be_visible()


def test_home_page_shows_the_three_topics_and_who_may_bill(page: Page, site_url: str, tmp_path: Path) -> None:
    page.goto(site_url)
    expect(page.locator("h1")).to_contain_text("Can I bill this as case management?")
    expect(page.locator(".grid.cards h3")).to_contain_text(["Connection", "Coordination", "Communication"])
    for heading in page.locator(".grid.cards h3").all():
        expect(heading).to_be_in_viewport()
    expect(page.locator(".admonition-title", has_text="Who may bill")).to_be_in_viewport()
    assert _screenshot(page, tmp_path, "home").stat().st_size > 0


def test_searching_voicemail_lands_on_the_section_saying_it_is_not_billable(
    page: Page, site_url: str, tmp_path: Path
) -> None:
    _search(page, site_url, "voicemail")
    page.locator(".md-search-result__item h2", has_text="voicemail").first.click()
    section = page.locator("h3:target")
    expect(section).to_contain_text("voicemail")
    expect(section).to_be_in_viewport()
    expect(page.locator("h3:target + p .outcome")).to_have_text("Not billable")
    assert "/topics/communication/" in page.url
    assert _screenshot(page, tmp_path, "search-voicemail").stat().st_size > 0


@pytest.mark.parametrize(
    ("words", "page_path"),
    [
        ("DMV", "/topics/not-billable/"),
        ("email", "/topics/communication/"),
        ("Medi-Cal", "/topics/connection/"),
    ],
)
def test_search_finds_pages_by_the_words_staff_use(page: Page, site_url: str, words: str, page_path: str) -> None:
    _search(page, site_url, words)
    # Results re-render while the theme's search settles; wait for the link rather than
    # reading a snapshot of a list that may be replaced under us.
    expect(page.locator(f'.md-search-result__link[href*="{page_path}"]').first).to_be_attached()
