"""Render an audit's summary: tables for the terminal and one self-contained HTML page.

In: a `Summary` (`summary`) and, for the page, the `Provenance` of the audit's inputs
(`provenance`).
Out: `summary_tables`, rich renderables the command prints; `report_html`, one HTML
page to file as evidence: when the audit ran (UTC), the export's and the mapping's
file names and SHA-256, the rows, the engine and the policy's id, version and date in
effect, then the figures, with inline CSS and inline SVG bar charts (no script, no
network; charts.py draws them), headings in order, tables with headers, and text
dark enough on white to read (contrast above 4.5:1). The page is made of its inputs alone: no clock (the run
time comes in the provenance), no random ids.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from billability.audit.charts import bar_chart, stacked_bar_chart
from billability.audit.outcomes import NOT_AUDITED, OUTCOMES
from billability.audit.provenance import Provenance
from billability.audit.summary import GroupTally, ProblemTally, Summary, Tally
from billability.model.diagnostics import counted

LABELS = {
    "billable": "Billable",
    "not_billable": "Not billable",
    "needs_review": "Needs review",
    "undetermined": "Undetermined",
    "invalid": "Invalid",
    "not_audited": "Not audited (out of scope)",
}
# Bar fills; every label beside them is in the text colour, never on them.
COLOURS = {
    "billable": "#1b7a3a",
    "not_billable": "#b3261e",
    "needs_review": "#9a6700",
    "undetermined": "#5a5f66",
    "invalid": "#6f2dbd",
    "not_audited": "#8c959f",
}
TOP_GROUPS = 25


def _rows(n: int) -> str:
    return counted(n, "row", thousands=True)


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def versions_sentence(summary: Summary) -> str:
    """Which versions of the policy decided the rows, by service date, and how many each:
    `Decided by version 1.0 (120 rows) and 2.0 (80 rows)`."""
    said = [f"{version} ({_rows(rows)})" for version, rows in summary.by_version if rows]
    decided = sum(rows for _, rows in summary.by_version)
    if not said:
        return "Decided by no version of the policy: no row's service date picks one"
    listed = ", ".join(said[:-1]) + " and " + said[-1] if len(said) > 1 else said[0]
    rest = summary.rows - decided
    left = f"; {_rows(rest)} by none (out of scope, or no service date a version was in force on)" if rest else ""
    return f"Decided by version {listed}, by service date{left}"


# --- the terminal --------------------------------------------------------------------


def summary_tables(summary: Summary) -> RenderableType:
    """What the terminal shows after an audit."""
    audited = _rows(summary.rows)
    if summary.scope_column is not None:
        audited = f"{audited}, {summary.rows - summary.count(NOT_AUDITED):,}"
    parts: list[RenderableType] = [
        Text(f"{summary.source}: {audited} audited under {summary.policy_id} {summary.policy_version}", style="bold")
    ]
    if summary.by_version:
        parts.append(Text(versions_sentence(summary)))
    minutes = summary.minutes_column is not None
    outcomes = Table(title="Rows by outcome", title_justify="left")
    outcomes.add_column("outcome")
    outcomes.add_column("rows", justify="right")
    outcomes.add_column("share", justify="right")
    if minutes:
        outcomes.add_column("minutes", justify="right")
    for outcome, tally in _by_outcome(summary):
        cells = [outcome, f"{tally.rows:,}", _share(tally.rows, summary.rows)]
        outcomes.add_row(*cells, *([f"{tally.minutes:,}"] if minutes else []))
    parts.append(outcomes)
    if minutes and summary.rows_without_minutes:
        parts.append(Text(f"{_rows(summary.rows_without_minutes)} without minutes (`{summary.minutes_column}`)"))
    if summary.unreadable_minutes is not None:
        parts.append(Text(_unreadable_minutes(summary)))
    if summary.scope_column is not None:
        parts.append(Text(_not_audited(summary)))
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


def _sentence(text: str) -> str:
    """A line of the terminal's summary as HTML: its `quoted` words as code, and a full stop."""
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", escape(text)) + "."


def _by_outcome(summary: Summary) -> list[tuple[str, Tally]]:
    """The outcomes to show: `not_audited` only when the mapping has a scope."""
    return [(o, t) for o, t in summary.by_outcome if o != NOT_AUDITED or summary.scope_column is not None]


def _unreadable_minutes(summary: Summary) -> str:
    tally = summary.unreadable_minutes
    assert tally is not None
    return (
        f"minutes that cannot be read in `{tally.column}`: {_rows(tally.rows)}, such as `{tally.example}`, "
        "not counted (write a number of minutes, or hours and minutes such as `1:15`)"
    )


def _not_audited(summary: Summary) -> str:
    left = summary.count(NOT_AUDITED)
    return f"{_rows(left)} out of the mapping's scope (`{summary.scope_column}`): not audited, never decided"


# --- the HTML report -----------------------------------------------------------------

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; background: #ffffff;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
h1 { font-size: 1.6rem; margin-bottom: 0.5rem; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin-top: 2.5rem; border-bottom: 1px solid #d0d7de; padding-bottom: 0.25rem; }
dl.provenance { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.2rem 1rem; margin: 0; }
dl.provenance dt { font-weight: 600; }
dl.provenance dd { margin: 0; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.9em; }
.digest { overflow-wrap: anywhere; }
small.code { color: #424a53; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.75rem; white-space: nowrap; margin-left: 0.5rem; }
table { border-collapse: collapse; margin: 1rem 0; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
svg { display: block; max-width: 100%; height: auto; }
svg text { fill: #1f2328; font-size: 13px; font-family: inherit; }
.legend span { display: inline-block; margin-right: 1rem; }
.swatch { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem; vertical-align: -0.1rem; }
"""


class Markup(str):
    """A table cell that is HTML already, the user's text in it escaped."""


def report_html(summary: Summary, provenance: Provenance) -> str:
    """One self-contained HTML page: what was audited, when and under which policy, then
    the summary's figures with a chart for each breakdown. The same summary and
    provenance always give the same page."""
    minutes = summary.minutes_column is not None
    title = f"Audit of {provenance.records}"
    parts = [*page_start(title), _provenance_list(summary, provenance)]
    # By outcome.
    parts.append(html_heading("Rows by outcome", "outcomes"))
    header = ["Outcome", "Rows", "Share"] + (["Minutes"] if minutes else [])
    body = [
        [LABELS[o], f"{t.rows:,}", _share(t.rows, summary.rows)] + ([f"{t.minutes:,}"] if minutes else [])
        for o, t in _by_outcome(summary)
    ]
    parts.append(html_table("outcomes", header, body, numeric_from=1))
    parts.append(bar_chart("Rows by outcome", [(LABELS[o], t.rows, COLOURS[o]) for o, t in _by_outcome(summary)]))
    if minutes and summary.rows_without_minutes:
        parts.append(
            f"<p>{_rows(summary.rows_without_minutes)} have no minutes in the column "
            f"<code>{escape(summary.minutes_column or '')}</code>; they count as 0 minutes.</p>"
        )
    if summary.unreadable_minutes is not None:
        said = _sentence(_unreadable_minutes(summary))
        parts.append(f"<p>{said[:1].upper()}{said[1:]}</p>")
    if summary.scope_column is not None:
        parts.append(f"<p>{_sentence(_not_audited(summary))}</p>")
    # By deciding rule.
    parts.append(html_heading("Rows by deciding rule", "rules"))
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
        parts.append(html_table("rules", header, body, numeric_from=3))
        parts.append(bar_chart("Rows by deciding rule", [(r.rule, r.rows, COLOURS[r.outcome]) for r in summary.rules]))
    else:
        parts.append("<p>No row was decided by a rule.</p>")
    # Missing facts.
    parts.append(html_heading("Facts most often missing", "missing"))
    if summary.missing:
        parts.append(
            "<p>An undetermined row lacks facts that would decide it; each is counted here.</p>"
            + html_table(
                "missing",
                ["Fact", "Name in the mapping", "Rows"],
                [[m.label, Markup(f"<code>{escape(m.fact)}</code>"), f"{m.rows:,}"] for m in summary.missing],
                numeric_from=2,
            )
        )
    else:
        parts.append("<p>No row lacks a fact that would decide it.</p>")
    # Invalid rows.
    parts.append(html_heading("Invalid rows", "invalid"))
    if summary.problems:
        first = ", ".join(str(n) for n in summary.invalid_rows) or "none"
        parts.append(
            f"<p>{_rows(summary.count('invalid'))} depend on a cell the mapping cannot read. First rows: {first}. "
            f"{_rows(summary.warned_rows)} were decided with a warning: the cell they cannot read "
            "does not bear on their answer.</p>"
            + html_table(
                "invalid",
                ["Column", "Severity", "Problem", "Rows"],
                [
                    [Markup(f"<code>{escape(p.column)}</code>"), p.severity, _problem(p), f"{p.rows:,}"]
                    for p in summary.problems
                ],
                numeric_from=3,
            )
        )
    else:
        parts.append("<p>Every row could be read.</p>")
    for title_word, column, groups in (
        ("staff", summary.staff_column, summary.by_staff),
        ("program", summary.program_column, summary.by_program),
    ):
        if column is None:
            continue
        parts.append(html_heading(f"Rows by {title_word}", title_word))
        parts.append(_group_section(title_word, column, groups))
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def _provenance_list(summary: Summary, provenance: Provenance) -> str:
    """When the audit ran, what it read and what decided, as a list of terms."""
    run_at = (
        f'<time datetime="{escape(provenance.run_at)}">{escape(provenance.run_at)}</time> (UTC)'
        if provenance.run_at is not None
        else "not recorded"
    )
    records = (
        f"<code>{escape(provenance.records)}</code>, {_rows(summary.rows)}<br>"
        f'SHA-256 <code class="digest">{escape(provenance.records_sha256)}</code>'
    )
    if provenance.mapping is not None:
        mapping = (
            f"<code>{escape(provenance.mapping)}</code><br>"
            f'SHA-256 <code class="digest">{escape(provenance.mapping_sha256 or "")}</code>'
        )
    else:
        mapping = "none: the columns named like the facts hold them"
    policy = f"<code>{escape(summary.policy_id)}</code>, version {escape(summary.policy_version)}"
    if summary.policy_effective_from:
        policy += f", in effect from {escape(summary.policy_effective_from)}"
    if summary.by_version:
        policy += f"<br>{escape(versions_sentence(summary))}"
    terms = (
        ("Run at", run_at),
        ("Records", records),
        ("Mapping", mapping),
        ("Engine", f"<code>{escape(summary.engine)}</code>"),
        ("Policy", policy),
    )
    items = "\n".join(f"<dt>{term}</dt><dd>{text}</dd>" for term, text in terms)
    return f'<dl class="provenance">\n{items}\n</dl>'


def html_heading(text: str, name: str) -> str:
    return f'<h2 id="{name}">{escape(text)}</h2>'


def with_code(message: str) -> str:
    """A message with its backticked words as code, the rest escaped."""
    pieces = message.split("`")
    if len(pieces) % 2 == 0:  # an unmatched backtick: the message as it is
        return escape(message)
    return "".join(f"<code>{escape(piece)}</code>" if n % 2 else escape(piece) for n, piece in enumerate(pieces))


def _problem(problem: ProblemTally) -> Markup:
    """A kind of problem in words, the most common value's message first, its code small beside."""
    others = problem.values - 1
    more = f" (and {counted(others, 'other value')})" if others else ""
    return Markup(
        f'{with_code(problem.message or problem.code)}{more} <small class="code">{escape(problem.code)}</small>'
    )


def html_table(section: str, header: Sequence[str], body: Sequence[Sequence[str]], numeric_from: int) -> str:
    """A table named by its section's heading (`aria-labelledby`), which it does not repeat."""

    def cell(tag: str, n: int, text: str) -> str:
        numeric = ' class="n"' if n >= numeric_from else ""
        scope = ' scope="col"' if tag == "th" else ""
        shown = text if isinstance(text, Markup) else escape(text)
        return f"<{tag}{scope}{numeric}>{shown}</{tag}>"

    head = "".join(cell("th", n, h) for n, h in enumerate(header))
    rows = "\n".join("<tr>" + "".join(cell("td", n, c) for n, c in enumerate(row)) + "</tr>" for row in body)
    return f'<table aria-labelledby="{section}">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>'


def _group_section(role: str, column: str, groups: Sequence[GroupTally]) -> str:
    shown = groups[:TOP_GROUPS]
    note = (
        f"<p>The {len(shown)} with the most rows of {len(groups)}, from the column <code>{escape(column)}</code>.</p>"
        if len(groups) > len(shown)
        else f"<p>From the column <code>{escape(column)}</code>.</p>"
    )
    header = [role.capitalize(), *(LABELS[o] for o in OUTCOMES), "Rows"]
    body = [[g.name, *(f"{n:,}" for n in g.rows), f"{g.total:,}"] for g in shown]
    legend = "".join(
        f'<span><span class="swatch" style="background:{COLOURS[o]}"></span>{escape(LABELS[o])}</span>'
        for o in OUTCOMES
    )
    segments = [(g.name, [(n, COLOURS[o], LABELS[o]) for o, n in zip(OUTCOMES, g.rows, strict=True)]) for g in shown]
    return (
        note
        + html_table(role, header, body, numeric_from=1)
        + f'<p class="legend" aria-hidden="true">{legend}</p>'
        + stacked_bar_chart(f"Rows by {role} and outcome", segments)
    )


def page_start(title: str) -> list[str]:
    """The opening of a self-contained report page, up to its title: the style inline."""
    return [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{escape(title)}</h1>",
    ]
