"""Render a policy change's impact on an export: text for the terminal, Markdown for a
pull request, and one self-contained HTML page in the audit report's style.

In: an `Impact` (`impact`).
Out: `impact_text`, `impact_markdown` (its first line marks it, so a workflow can
update its comment) and `impact_html` (inline CSS, no script, no network; the same
impact always gives the same page). Outcomes are worded as staff read them
(`policy.wording.OUTCOME_WORDS`, as What changed words them), a transition as
`Not billable → Needs review`.
"""

from __future__ import annotations

from html import escape

from billability.audit.impact import ExampleRow, Impact, PolicySide, Transition
from billability.audit.outcomes import INVALID, NOT_AUDITED
from billability.audit.report import LABELS, Markup, html_heading, html_table, page_start, with_code
from billability.model.diagnostics import counted
from billability.model.policy import Outcome
from billability.policy.wording import OUTCOME_WORDS

STAFF_WORDS = {str(o): OUTCOME_WORDS[o] for o in Outcome} | {INVALID: LABELS[INVALID], NOT_AUDITED: LABELS[NOT_AUDITED]}
WHATEVER_THE_DATE = "each side's current policy decides every row, whatever its service date"
MARK = "<!-- billability-impact -->"


def outcome_words(outcome: str) -> str:
    """An outcome of the audit as staff read it."""
    return STAFF_WORDS[outcome]


def transition_words(transition: Transition, arrow: str = "→") -> str:
    return f"{outcome_words(transition.before)} {arrow} {outcome_words(transition.after)}"


def _rows(n: int) -> str:
    return counted(n, "row", thousands=True)


def _minutes(impact: Impact, n: int) -> str:
    return f", {counted(n, 'minute', thousands=True)}" if impact.minutes_column is not None else ""


def _side(side: PolicySide) -> str:
    effective = f", in effect from {side.effective_from}" if side.effective_from else ""
    return f"{side.label} ({side.policy_id} version {side.version}{effective})"


def _why(told: tuple[tuple[str, int], ...]) -> str:
    return "; ".join(f"{why} ({_rows(rows)})" for why, rows in told)


def _example(impact: Impact, example: ExampleRow, code: str = "") -> str:
    cells = ", ".join(
        f"{column} {code}{cell}{code}" if cell.strip() else f"{column} (blank)"
        for column, cell in zip(impact.columns, example.cells, strict=False)
    )
    return f"row {example.row}: {cells}" if cells else f"row {example.row}"


def _changed_line(impact: Impact) -> str:
    if not impact.transitions:
        return (
            f"no row changes outcome: {'the' if impact.rows == 1 else 'all'} {_rows(impact.rows)} "
            f"{_keep(impact.rows)}{_minutes(impact, impact.unchanged_minutes)}"
        )
    changed_minutes = sum(t.minutes for t in impact.transitions)
    return (
        f"{impact.changed_rows:,} of {_rows(impact.rows)} change outcome{_minutes(impact, changed_minutes)}; "
        f"{_rows(impact.unchanged_rows)} {_keep(impact.unchanged_rows)}{_minutes(impact, impact.unchanged_minutes)}"
    )


def _keep(rows: int) -> str:
    return "keeps its" if rows == 1 else "keep theirs"


def _unreadable_note(impact: Impact) -> str:
    return (
        f"{_rows(impact.unreadable_minutes)} hold no minutes in `{impact.minutes_column}` that can be read: "
        "counted as 0 minutes"
    )


# --- text -----------------------------------------------------------------------------


def impact_text(impact: Impact) -> str:
    """The impact for the terminal: both sides, the inputs, the outcomes before and
    after, then each transition with what decided it and its first rows."""
    mapping = (
        f" through {impact.mapping.name} (SHA-256 {impact.mapping.sha256})"
        if impact.mapping is not None
        else " (columns named like the facts)"
    )
    lines = [
        f"impact of {_side(impact.before)} -> {_side(impact.after)}",
        f"on {impact.export.name} ({_rows(impact.rows)}, SHA-256 {impact.export.sha256}){mapping}",
        f"decided by the {impact.engine} engine; {WHATEVER_THE_DATE}",
        "",
    ]
    minutes = impact.minutes_column is not None
    header = ["outcome", "rows before", "rows after"] + (["minutes before", "minutes after"] if minutes else [])
    body = [
        [outcome_words(o.outcome), f"{o.rows_before:,}", f"{o.rows_after:,}"]
        + ([f"{o.minutes_before:,}", f"{o.minutes_after:,}"] if minutes else [])
        for o in impact.by_outcome
    ]
    widths = [max(len(row[n]) for row in (header, *body)) for n in range(len(header))]
    for row in (header, *body):
        lines.append(
            "  "
            + "  ".join(c.ljust(w) if n == 0 else c.rjust(w) for n, (c, w) in enumerate(zip(row, widths, strict=True)))
        )
    if impact.unreadable_minutes:
        lines.append(_unreadable_note(impact))
    lines += ["", _changed_line(impact) + (":" if impact.transitions else "")]
    for transition in impact.transitions:
        lines += [
            f"  {transition_words(transition, '->')}: {_rows(transition.rows)}{_minutes(impact, transition.minutes)}",
            f"    before: {_why(transition.why_before)}",
            f"    after: {_why(transition.why_after)}",
            *(f"    {_example(impact, example)}" for example in transition.examples),
        ]
    return "\n".join(lines)


# --- Markdown -------------------------------------------------------------------------


def impact_markdown(impact: Impact) -> str:
    """The impact as a pull-request comment: a table of outcomes, then one of transitions."""
    lines = [
        MARK,
        f"### Impact on `{impact.export.name}`: `{impact.before.label}` → `{impact.after.label}`",
        "",
        f"{_rows(impact.rows)} (SHA-256 `{impact.export.sha256[:12]}`), decided under "
        f"{_side(impact.before)} and {_side(impact.after)}; {WHATEVER_THE_DATE}.",
        "",
    ]
    minutes = impact.minutes_column is not None
    header = ["Outcome", "Rows before", "Rows after"] + (["Minutes before", "Minutes after"] if minutes else [])
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" + "---:|" * (len(header) - 1)]
    for o in impact.by_outcome:
        cells = [outcome_words(o.outcome), f"{o.rows_before:,}", f"{o.rows_after:,}"]
        cells += [f"{o.minutes_before:,}", f"{o.minutes_after:,}"] if minutes else []
        lines.append("| " + " | ".join(cells) + " |")
    if impact.unreadable_minutes:
        lines += ["", _unreadable_note(impact) + "."]
    said = _changed_line(impact)
    lines += ["", f"**{said[0].upper()}{said[1:]}**" + ("." if not impact.transitions else ":"), ""]
    if impact.transitions:
        header = ["Change", "Decided before by", "Decided after by", "Rows"] + (["Minutes"] if minutes else [])
        rule = "|---|---|---|" + "---:|" * (len(header) - 3) + "---|"
        lines += ["| " + " | ".join([*header, "First rows"]) + " |", rule]
        for t in impact.transitions:
            cells = [transition_words(t), _md(_why(t.why_before)), _md(_why(t.why_after)), f"{t.rows:,}"]
            cells += [f"{t.minutes:,}"] if minutes else []
            cells.append(", ".join(str(e.row) for e in t.examples))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


# --- HTML -----------------------------------------------------------------------------


def impact_html(impact: Impact) -> str:
    """One self-contained page: both versions and the inputs, the outcomes before and
    after, and each transition with its first rows."""
    title = f"Impact of {impact.before.label} → {impact.after.label} on {impact.export.name}"
    minutes = impact.minutes_column is not None
    parts = [
        *page_start(title),
        _provenance(impact),
        f"<p>{escape(WHATEVER_THE_DATE[0].upper() + WHATEVER_THE_DATE[1:])}.</p>",
        html_heading("Rows by outcome", "outcomes"),
    ]
    header = ["Outcome", "Rows before", "Rows after"] + (["Minutes before", "Minutes after"] if minutes else [])
    body = [
        [outcome_words(o.outcome), f"{o.rows_before:,}", f"{o.rows_after:,}"]
        + ([f"{o.minutes_before:,}", f"{o.minutes_after:,}"] if minutes else [])
        for o in impact.by_outcome
    ]
    parts.append(html_table("outcomes", header, body, numeric_from=1))
    if impact.unreadable_minutes:
        parts.append(f"<p>{with_code(_unreadable_note(impact))}.</p>")
    parts.append(html_heading("Rows that change outcome", "changes"))
    said = _changed_line(impact)
    parts.append(f"<p>{escape(said[0].upper() + said[1:])}.</p>")
    if impact.transitions:
        header = ["Change", "Decided before by", "Decided after by", "Rows"] + (["Minutes"] if minutes else [])
        body = [
            [transition_words(t), Markup(with_code(_why(t.why_before))), Markup(with_code(_why(t.why_after)))]
            + [f"{t.rows:,}"]
            + ([f"{t.minutes:,}"] if minutes else [])
            for t in impact.transitions
        ]
        parts.append(html_table("changes", header, body, numeric_from=3))
        parts.append(html_heading("First rows of each change", "examples"))
        for n, transition in enumerate(impact.transitions):
            section = f"examples-{n}"
            parts.append(f'<h3 id="{section}">{escape(transition_words(transition))}</h3>')
            # One column per row, one line per cell: a few rows of many columns fit the page.
            header = ["Column", *(f"Row {e.row}" for e in transition.examples)]
            cells = [
                [Markup(f"<code>{escape(column)}</code>"), *(e.cells[n] or "(blank)" for e in transition.examples)]
                for n, column in enumerate(impact.columns)
            ]
            parts.append(html_table(section, header, cells, numeric_from=len(header)))
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def _provenance(impact: Impact) -> str:
    """What was compared and read, as a list of terms."""
    export = (
        f"<code>{escape(impact.export.name)}</code>, {_rows(impact.rows)}<br>"
        f'SHA-256 <code class="digest">{escape(impact.export.sha256)}</code>'
    )
    if impact.mapping is not None:
        mapping = (
            f"<code>{escape(impact.mapping.name)}</code><br>"
            f'SHA-256 <code class="digest">{escape(impact.mapping.sha256)}</code>'
        )
    else:
        mapping = "none: the columns named like the facts hold them"
    terms = (
        ("Before", _side_html(impact.before)),
        ("After", _side_html(impact.after)),
        ("Records", export),
        ("Mapping", mapping),
        ("Engine", f"<code>{escape(impact.engine)}</code>"),
    )
    items = "\n".join(f"<dt>{term}</dt><dd>{text}</dd>" for term, text in terms)
    return f'<dl class="provenance">\n{items}\n</dl>'


def _side_html(side: PolicySide) -> str:
    effective = f", in effect from {escape(side.effective_from)}" if side.effective_from else ""
    return (
        f"<code>{escape(side.label)}</code>: <code>{escape(side.policy_id)}</code>, "
        f"version {escape(side.version)}{effective}"
    )
