"""Remake docs/pages/audit-report.png, the picture of the audit report on the page
"Audit service records": the report of the example export, its first section (the
title and the rows by outcome, as a table and a chart), 1000 pixels wide.

Run from the checkout, after a policy change that changes the example's outcomes:

    python docs/audit/report_screenshot.py

It needs Debian's chromium and Playwright (the `docs` extra), as the browser tests do.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

CHECKOUT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(CHECKOUT / "tests"))
from browsers import CHROMIUM, LAUNCH_ARGS  # noqa: E402

PICTURE = CHECKOUT / "docs" / "pages" / "audit-report.png"
WIDTH = 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "audit.html"
        subprocess.run(
            [str(Path(sys.executable).with_name("billability")), "audit", "docs/audit/ehr-export.csv",
             "--map", "docs/audit/mapping.yaml", "--report", str(report)],
            cwd=CHECKOUT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            page = browser.new_page(viewport={"width": WIDTH, "height": 800})
            page.goto(report.as_uri())
            # Down to the end of the first section: the heading of the second one.
            second = page.locator("h2").nth(1).bounding_box()
            assert second is not None
            page.screenshot(path=str(PICTURE), clip={"x": 0, "y": 0, "width": WIDTH, "height": second["y"] - 16})
            browser.close()
    print(f"wrote {PICTURE.relative_to(CHECKOUT)}")


if __name__ == "__main__":
    main()
