"""What every browser test module shares: one headless Chromium, the checkout's site built
strictly and served once for the whole run, and a fresh page at a desktop's or a phone's
screen for each test.

In: the checkout (its site, built by tests/site_builds.py) and Debian's Chromium, driven by
Playwright (tests/browsers.py). Out: the fixtures `browser`, `built_site`, `site_url`,
`page` (1366x900) and `phone_page` (390x844, a phone's touch screen). A page fails its test
when the page's own scripts fail.

Each test module calls `browsers.require_browser()` before it imports Playwright, so these
fixtures run only where a browser can; while a corpus case fails, the site is not built
and the tests that ask for it are skipped (tests/site/test_site.py checks that refusal).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from browsers import DESKTOP, PHONE, checkout_site, chromium, open_page, served

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium, launched once for every browser test module of the run."""
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checkout's site, built strictly once for the run into a temporary folder."""
    return checkout_site(tmp_path_factory)


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    """The built site's address on 127.0.0.1, ending in `/`."""
    with served(built_site) as url:
        yield url


def _watched(opened: Page) -> Iterator[Page]:
    """Yield the page, close it, then fail the test if the page's scripts failed meanwhile."""
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        opened.close()
    assert not errors, f"the page's scripts failed: {errors}"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A new page at a desktop's screen, 1366x900."""
    yield from _watched(open_page(browser, DESKTOP))


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    """A new page at a phone's touch screen, 390x844."""
    yield from _watched(open_page(browser, PHONE, is_mobile=True, has_touch=True))
