"""What the browser tests share: Debian's headless Chromium driven by Playwright, the
screens they open pages at, a local web server for a built site, and the checkout's site
built strictly (tests/browser/conftest.py makes fixtures of them).

A test module calls `require_browser()` before it imports Playwright: with no browser
(or no Playwright, or a module named in `extra`), the module is skipped with the
reason, and in CI (`CI` set) it fails instead, so CI never passes a browser test it
did not run.
"""

from __future__ import annotations

import functools
import importlib
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from site_builds import build_site, failing_cases

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

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

# The screens pages are opened at: a desktop's and a phone's.
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def require_browser(*extra: str) -> None:
    """Skip the calling module (fail it in CI) unless Chromium, Playwright and `extra` are there."""
    reason = None
    if not CHROMIUM.exists():
        reason = f"no browser at {CHROMIUM}: install Debian's package with `apt-get install -y chromium`"
    else:
        for module in ("playwright.sync_api", *extra):
            try:
                importlib.import_module(module)
            except ImportError:
                reason = f"`{module.split('.')[0]}` is not installed: pip install -e '.[docs]'"
                break
    if reason is None:
        return
    if os.environ.get("CI"):
        # In CI the browser tests must run: a missing browser is a failure, not a skip.
        pytest.fail(f"the browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """A local web server for `folder`; its address, ending in `/`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def chromium() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def open_page(browser: Browser, viewport: dict[str, int], **options: Any) -> Page:
    """A new page of `browser` at `viewport` (`options` as Playwright's `new_page` takes
    them), which waits at most ten seconds for what a test expects."""
    page = browser.new_page(viewport=viewport, **options)  # type: ignore[arg-type]
    page.set_default_timeout(10_000)
    return page


def checkout_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checkout's site, built strictly into a temporary folder. While a corpus case
    fails the build refuses (tests/site/test_site.py checks that refusal), so the calling
    tests are skipped and the failing cases report themselves."""
    failing = failing_cases()
    if failing:
        pytest.skip(f"the checkout's corpus fails ({len(failing)} cases), so its site is not built")
    target = tmp_path_factory.mktemp("site")
    built = build_site(target)
    assert built.returncode == 0, built.stderr
    return target


def screenshot(page: Page, folder: Path, name: str) -> Path:
    """The page's screen as a PNG in `folder`; also copied to the folder named by the
    environment variable BILLABILITY_SCREENSHOTS, when set, for a person to look at."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), animations="disabled")
    kept = os.environ.get("BILLABILITY_SCREENSHOTS")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(kept) / path.name)
    return path
