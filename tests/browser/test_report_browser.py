"""The audit report as a browser lays it out: Debian's headless Chromium driven by
Playwright, on a report of labels as long and as wide as exports hold (rule ids,
program names in capitals, names with accents), at a desktop's and a phone's width.

Every chart label is drawn whole inside its chart, and the list of what was audited
(the files' SHA-256 included) fits the screen. In CI (`CI` set) a missing Chromium or
Playwright fails the module; elsewhere it skips with the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from billability.audit.outcomes import NOT_AUDITED, OUTCOMES
from billability.audit.provenance import Provenance
from billability.audit.report import LABELS as OUTCOME_LABELS
from billability.audit.report import report_html
from billability.audit.summary import GroupTally, RuleTally, Summary, Tally
from browsers import require_browser

require_browser()

LABELS = [
    "arm-handoff-not-medically-necessary",
    "warm-handoff-not-medically-necessary-within-thirty-days",
    "OUTPATIENT SERVICES NORTH COUNTY ADOLESCENT PROGRAM",
    "Françoise Lefèvre-Østergård (Intensive Outpatient \u2013 Escondido)",
    "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW",
    "Staff 01",
]

SHOWN_OUTCOMES = [label for outcome, label in OUTCOME_LABELS.items() if outcome != NOT_AUDITED]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    summary = Summary(
        source="export.csv",
        policy_id="clinic",
        policy_version="1.0",
        engine="duckdb",
        rows=len(LABELS),
        by_outcome=tuple((o, Tally(len(LABELS) if o == "not_billable" else 0)) for o in OUTCOMES),
        rules=tuple(RuleTally(label, "not_billable", "a reason", n + 1, 0) for n, label in enumerate(LABELS)),
        missing=(),
        invalid_rows=(),
        problems=(),
        staff_column="staff",
        by_staff=tuple(
            GroupTally(label, tuple(n + 1 if o == "not_billable" else 0 for o in OUTCOMES))
            for n, label in enumerate(LABELS)
        ),
        policy_effective_from="2026-01-01",
    )
    provenance = Provenance("2026-12-05T19:53:06Z", "export.csv", "0123456789abcdef" * 4, "mapping.yaml", "f" * 64)
    path = tmp_path_factory.mktemp("report") / "audit.html"
    path.write_text(report_html(summary, provenance), encoding="utf-8")
    return path


# Each chart label's box in its chart's own units, and the chart's drawing area.
LABEL_BOXES = """() => [...document.querySelectorAll('svg')].flatMap(svg => {
  const view = svg.viewBox.baseVal;
  return [...svg.querySelectorAll('text[text-anchor="end"]')].map(text => {
    const box = text.getBBox();
    return {label: text.textContent, left: box.x, right: box.x + box.width, width: view.width};
  });
})"""


@pytest.mark.parametrize("width", [1366, 390])
def test_every_chart_label_is_drawn_whole_inside_its_chart(browser: Any, report: Path, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(report.as_uri())
        boxes = page.evaluate(LABEL_BOXES)
        # Three charts: by outcome (without `not_audited`: the audit had no scope), by rule
        # and by staff; every label in each.
        assert sorted(box["label"].replace(" ", "") for box in boxes) == sorted(
            label.replace(" ", "") for label in [*SHOWN_OUTCOMES, *LABELS, *LABELS]
        )
        outside = [box for box in boxes if box["left"] < 0 or box["right"] > box["width"]]
        assert outside == []
    finally:
        page.close()


@pytest.mark.parametrize("width", [1366, 390])
def test_what_was_audited_fits_the_screen(browser: Any, report: Path, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(report.as_uri())
        wider = page.evaluate(
            """() => [...document.querySelectorAll('h1, dl.provenance, dl.provenance *')]
                .filter(element => element.getBoundingClientRect().right > window.innerWidth)
                .map(element => element.outerHTML.slice(0, 80))"""
        )
        assert wider == []
    finally:
        page.close()
