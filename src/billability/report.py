"""Render an audit's summary: tables for the terminal and one self-contained HTML page.

In: a `Summary` (audit.py).
Out: `summary_tables`, rich renderables the command prints; `report_html`, one HTML
page with inline CSS and inline SVG bar charts (no script, no network), headings in
order, tables with headers, and text dark enough on white to read (contrast above
4.5:1). Output is deterministic: no clock, no random ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from billability.audit import OUTCOMES, GroupTally, Summary
from billability.diagnostics import counted

LABELS = {
    "billable": "Billable",
    "not_billable": "Not billable",
    "needs_review": "Needs review",
    "undetermined": "Undetermined",
    "invalid": "Invalid",
}
# Bar fills; every label beside them is in the text colour, never on them.
COLOURS = {
    "billable": "#1b7a3a",
    "not_billable": "#b3261e",
    "needs_review": "#9a6700",
    "undetermined": "#5a5f66",
    "invalid": "#6f2dbd",
}
TOP_GROUPS = 25


def _rows(n: int) -> str:
    return counted(n, "row", thousands=True)


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


# --- the terminal --------------------------------------------------------------------


def summary_tables(summary: Summary) -> RenderableType:
    """What the terminal shows after an audit."""
    parts: list[RenderableType] = [
        Text(
            f"{summary.source}: {_rows(summary.rows)} audited under {summary.policy_id} {summary.policy_version}",
            style="bold",
        )
    ]
    minutes = summary.minutes_column is not None
    outcomes = Table(title="Rows by outcome", title_justify="left")
    outcomes.add_column("outcome")
    outcomes.add_column("rows", justify="right")
    outcomes.add_column("share", justify="right")
    if minutes:
        outcomes.add_column("minutes", justify="right")
    for outcome, tally in summary.by_outcome:
        cells = [outcome, f"{tally.rows:,}", _share(tally.rows, summary.rows)]
        outcomes.add_row(*cells, *([f"{tally.minutes:,}"] if minutes else []))
    parts.append(outcomes)
    if minutes and summary.rows_without_minutes:
        parts.append(
            Text(f"{_rows(summary.rows_without_minutes)} without readable minutes (`{summary.minutes_column}`)")
        )
    refused = [r for r in summary.rules if r.outcome == "not_billable"]
    if refused:
        rules = Table(title="Why rows are not billable (deciding rules)", title_justify="left")
        rules.add_column("rule")
        rules.add_column("reason")
        rules.add_column("rows", justify="right")
        for rule in refused:
            rules.add_row(rule.rule, rule.reason, f"{rule.rows:,}")
        parts.append(rules)
    if summary.missing:
        missing = Table(title="Facts most often missing (undetermined rows)", title_justify="left")
        missing.add_column("fact")
        missing.add_column("rows", justify="right")
        for fact in summary.missing[:10]:
            missing.add_row(f"{fact.fact} ({fact.label})", f"{fact.rows:,}")
        parts.append(missing)
    if summary.problems:
        problems = Table(title="Cells that cannot be read", title_justify="left")
        problems.add_column("column")
        problems.add_column("problem")
        problems.add_column("e.g.")
        problems.add_column("rows", justify="right")
        for problem in summary.problems[:10]:
            problems.add_row(
                problem.column, f"{problem.severity}[{problem.code}]", problem.example, f"{problem.rows:,}"
            )
        parts.append(problems)
        if summary.invalid_rows:
            first = ", ".join(str(n) for n in summary.invalid_rows)
            parts.append(Text(f"first invalid rows: {first}"))
    if summary.warned_rows:
        parts.append(
            Text(
                f"{_rows(summary.warned_rows)} decided with a warning: a cell that cannot be read "
                "does not bear on their answer"
            )
        )
    return Group(*parts)


# --- the HTML report -----------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; background: #ffffff;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
h1 { font-size: 1.6rem; margin-bottom: 0.25rem; }
h2 { font-size: 1.25rem; margin-top: 2.5rem; border-bottom: 1px solid #d0d7de; padding-bottom: 0.25rem; }
p.meta { color: #424a53; margin-top: 0; }
table { border-collapse: collapse; margin: 1rem 0; width: 100%; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.25rem; }
th, td { border: 1px solid #d0d7de; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
svg { display: block; max-width: 100%; height: auto; }
svg text { fill: #1f2328; font-size: 13px; font-family: inherit; }
.legend span { display: inline-block; margin-right: 1rem; }
.swatch { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem; vertical-align: -0.1rem; }
"""


def report_html(summary: Summary) -> str:
    """One self-contained HTML page with the summary's figures and a chart for each breakdown."""
    minutes = summary.minutes_column is not None
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Audit of {escape(summary.source)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>Audit of {escape(summary.source)}</h1>",
        f'<p class="meta">{_rows(summary.rows)} decided under the policy <strong>{escape(summary.policy_id)}</strong> '
        f"version {escape(summary.policy_version)}.</p>",
    ]
    # By outcome.
    parts.append("<h2>Rows by outcome</h2>")
    header = ["Outcome", "Rows", "Share"] + (["Minutes"] if minutes else [])
    body = [
        [LABELS[o], f"{t.rows:,}", _share(t.rows, summary.rows)] + ([f"{t.minutes:,}"] if minutes else [])
        for o, t in summary.by_outcome
    ]
    parts.append(_table("Rows by outcome", header, body, numeric_from=1))
    parts.append(_bars("Rows by outcome", [(LABELS[o], t.rows, COLOURS[o]) for o, t in summary.by_outcome]))
    if minutes and summary.rows_without_minutes:
        parts.append(
            f"<p>{_rows(summary.rows_without_minutes)} have no readable minutes in the column "
            f"<code>{escape(summary.minutes_column or '')}</code>; they count as 0 minutes.</p>"
        )
    # By deciding rule.
    parts.append("<h2>Rows by deciding rule</h2>")
    if summary.rules:
        parts.append(
            "<p>A row can have more than one deciding rule; it is counted under each. Rows decided by the "
            "policy's default, and undetermined or invalid rows, have none.</p>"
        )
        header = ["Rule", "Outcome", "Reason", "Rows"] + (["Minutes"] if minutes else [])
        body = [
            [r.rule, LABELS[r.outcome], r.reason, f"{r.rows:,}"] + ([f"{r.minutes:,}"] if minutes else [])
            for r in summary.rules
        ]
        parts.append(_table("Rows by deciding rule", header, body, numeric_from=3))
        parts.append(_bars("Rows by deciding rule", [(r.rule, r.rows, COLOURS[r.outcome]) for r in summary.rules]))
    else:
        parts.append("<p>No row was decided by a rule.</p>")
    # Missing facts.
    parts.append("<h2>Facts most often missing</h2>")
    if summary.missing:
        parts.append(
            "<p>An undetermined row lacks facts that would decide it; each is counted here.</p>"
            + _table(
                "Facts most often missing",
                ["Fact", "Question", "Rows"],
                [[m.fact, m.label, f"{m.rows:,}"] for m in summary.missing],
                numeric_from=2,
            )
        )
    else:
        parts.append("<p>No row lacks a fact that would decide it.</p>")
    # Invalid rows.
    parts.append("<h2>Invalid rows</h2>")
    if summary.problems:
        first = ", ".join(str(n) for n in summary.invalid_rows) or "none"
        parts.append(
            f"<p>{_rows(summary.count('invalid'))} depend on a cell the mapping cannot read. First rows: {first}. "
            f"{_rows(summary.warned_rows)} were decided with a warning: the cell they cannot read "
            "does not bear on their answer.</p>"
            + _table(
                "Cells that cannot be read",
                ["Column", "Severity", "Problem", "Example value", "Rows"],
                [[p.column, p.severity, p.code, p.example, f"{p.rows:,}"] for p in summary.problems],
                numeric_from=4,
            )
        )
    else:
        parts.append("<p>Every row could be read.</p>")
    for title, column, groups in (
        ("staff", summary.staff_column, summary.by_staff),
        ("program", summary.program_column, summary.by_program),
    ):
        if column is None:
            continue
        parts.append(f"<h2>Rows by {title}</h2>")
        parts.append(_group_section(title, column, groups))
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def _table(caption: str, header: Sequence[str], body: Sequence[Sequence[str]], numeric_from: int) -> str:
    def cell(tag: str, n: int, text: str) -> str:
        numeric = ' class="n"' if n >= numeric_from else ""
        scope = ' scope="col"' if tag == "th" else ""
        return f"<{tag}{scope}{numeric}>{escape(text)}</{tag}>"

    head = "".join(cell("th", n, h) for n, h in enumerate(header))
    rows = "\n".join("<tr>" + "".join(cell("td", n, c) for n, c in enumerate(row)) + "</tr>" for row in body)
    return f"<table>\n<caption>{escape(caption)}</caption>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>"


def _bars(title: str, bars: Sequence[tuple[str, int, str]]) -> str:
    """A horizontal bar chart: one labelled bar per entry, its count at its end."""
    label_width, bar_width, row_height = 230, 420, 26
    most = max((n for _, n, _ in bars), default=0) or 1
    height = row_height * len(bars) + 10
    width = label_width + bar_width + 90
    shapes = []
    for i, (label, n, colour) in enumerate(bars):
        y = 5 + i * row_height
        length = round(bar_width * n / most)
        shown = label if len(label) <= 32 else label[:31] + "\u2026"
        shapes.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end">{escape(shown)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{length}" height="{row_height - 8}" fill="{colour}"/>'
            f'<text x="{label_width + length + 6}" y="{y + 17}">{n:,}</text>'
        )
    return (
        f'<svg role="img" aria-label="{escape(title)}: bar chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">'
        f"<title>{escape(title)}</title>{''.join(shapes)}</svg>"
    )


def _stacked(title: str, groups: Sequence[GroupTally]) -> str:
    """One bar per group, split by outcome in `OUTCOMES` order."""
    label_width, bar_width, row_height = 230, 420, 26
    most = max((g.total for g in groups), default=0) or 1
    height = row_height * len(groups) + 10
    width = label_width + bar_width + 90
    shapes = []
    for i, group in enumerate(groups):
        y = 5 + i * row_height
        x = float(label_width)
        shown = group.name if len(group.name) <= 32 else group.name[:31] + "\u2026"
        shapes.append(f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end">{escape(shown)}</text>')
        for outcome, n in zip(OUTCOMES, group.rows, strict=True):
            if not n:
                continue
            length = bar_width * n / most
            shapes.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{length:.1f}" height="{row_height - 8}" '
                f'fill="{COLOURS[outcome]}"><title>{escape(LABELS[outcome])}: {n:,}</title></rect>'
            )
            x += length
        shapes.append(f'<text x="{x + 6:.1f}" y="{y + 17}">{group.total:,}</text>')
    legend = "".join(
        f'<span><span class="swatch" style="background:{COLOURS[o]}"></span>{escape(LABELS[o])}</span>'
        for o in OUTCOMES
    )
    return (
        f'<p class="legend" aria-hidden="true">{legend}</p>'
        f'<svg role="img" aria-label="{escape(title)}: stacked bar chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">'
        f"<title>{escape(title)}</title>{''.join(shapes)}</svg>"
    )


def _group_section(role: str, column: str, groups: Sequence[GroupTally]) -> str:
    shown = groups[:TOP_GROUPS]
    note = (
        f"<p>The {len(shown)} with the most rows of {len(groups)}, from the column <code>{escape(column)}</code>.</p>"
        if len(groups) > len(shown)
        else f"<p>From the column <code>{escape(column)}</code>.</p>"
    )
    header = [role.capitalize(), *(LABELS[o] for o in OUTCOMES), "Rows"]
    body = [[g.name, *(f"{n:,}" for n in g.rows), f"{g.total:,}"] for g in shown]
    return (
        note
        + _table(f"Rows by {role} and outcome", header, body, numeric_from=1)
        + _stacked(f"Rows by {role} and outcome", shown)
    )
