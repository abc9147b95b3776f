"""The examples of the site's audit page, as they are at each build.

In: a page's Markdown, the checkout it is built from and that checkout's policy.
Out: the same Markdown with each marker line replaced:

- `<!-- file: docs/audit/mapping.yaml -->`: the file's text, as it is, in a fenced block;
- `<!-- audit summary: docs/audit/ehr-export.csv docs/audit/mapping.yaml -->`: what
  `billability audit` prints for that export and mapping under the policy, in a
  fenced block;
- `<!-- audit report: docs/audit/ehr-export.csv docs/audit/mapping.yaml -->`: a frame
  showing, and a link opening, the report `billability audit --report` writes for
  them; `example_reports` gives that report's HTML by its path in the site
  (`report_path`, as `audit/ehr-export-report.html`), for the build to write there.
  The example report names no run time ("not recorded"), so that a build makes the
  same page as the last one from the same files.

So the page never shows a mapping, a summary or a report that differs from the files
and the policy beside it: a new version of the policy, or new counts, show on the next
build. A marker naming a file that is missing, or a mapping the policy refuses, raises
`Problems` (the build stops). The output is deterministic.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
from dataclasses import replace
from pathlib import Path, PurePosixPath

from rich.console import Console

from billability.audit.binding import bind
from billability.audit.duckdb_engine import audit_in_duckdb
from billability.audit.mapping import load_mapping
from billability.audit.provenance import record_provenance
from billability.audit.records import open_export
from billability.audit.report import report_html, summary_tables
from billability.audit.summary import Summary
from billability.model.diagnostics import Diagnostic, Problems
from billability.policy.compiled import Policy

MARKER = re.compile(r"^<!-- (file|audit summary|audit report): (.+?) -->$", flags=re.M)
# Where the site holds the example reports, from its root.
REPORTS = "audit"
# Wide enough for the summary's tables, narrow enough for the page's code blocks.
WIDTH = 80
# The tables' heavy lines as light ones, which every monospace font of a browser draws
# aligned (the terminal draws either).
LIGHT_LINES = str.maketrans("┏┓┗┛━┃┳┻╋┡┩╇┢┪╈", "┌┐└┘─│┬┴┼├┤┼├┤┼")
LANGUAGES = {".yaml": "yaml", ".yml": "yaml", ".csv": "text", ".py": "python"}


def fill_examples(markdown: str, root: Path, policy: Policy, page_url: str = "") -> str:
    """The page with every marker replaced (see the module docstring). `page_url` is
    the page's address in the site (`audit/`), from which the frame and the link reach
    the report."""
    problems: list[Diagnostic] = []

    def filled(found: re.Match[str]) -> str:
        kind, names = found.group(1), found.group(2).split()
        if not _usable(found, root, problems):
            return found.group(0)
        if kind == "file":
            path = root / names[0]
            return _fenced(path.read_text(encoding="utf-8"), LANGUAGES.get(path.suffix, "text"))
        if kind == "audit report":
            return _report_frame(names[0], page_url)
        try:
            return _fenced(audit_summary(root, names[0], names[1], policy), "text")
        except Problems as error:
            problems.extend(error.diagnostics)
            return found.group(0)

    page = MARKER.sub(filled, markdown)
    if problems:
        raise Problems(problems)
    return page


def example_reports(markdown: str, root: Path, policy: Policy) -> dict[str, str]:
    """The HTML report of each `audit report` marker of a page, by its path in the site."""
    problems: list[Diagnostic] = []
    reports: dict[str, str] = {}
    for found in MARKER.finditer(markdown):
        if found.group(1) != "audit report" or not _usable(found, root, problems):
            continue
        records, mapping = found.group(2).split()
        try:
            summary = example_summary(root, records, mapping, policy)
            # No run time: the site makes the report again at each build, and the same
            # files under the same policy give the same page.
            provenance = record_provenance(root / records, root / mapping, run_at=None)
            reports[report_path(records)] = report_html(summary, provenance)
        except Problems as error:
            problems.extend(error.diagnostics)
    if problems:
        raise Problems(problems)
    return reports


def report_path(records: str) -> str:
    """Where the site holds the report of an example export (`audit/ehr-export-report.html`)."""
    return f"{REPORTS}/{PurePosixPath(records).stem}-report.html"


def example_summary(root: Path, records: str, mapping: str, policy: Policy) -> Summary:
    """The audit of `records` through `mapping` under the policy, as `billability audit
    RECORDS --map MAPPING` run from `root` makes it (with its default engine)."""
    export = open_export(root / records)
    binding = bind(load_mapping(root / mapping, policy, export.columns), policy, export.columns)
    return replace(audit_in_duckdb(export, binding, policy), source=records)


def audit_summary(root: Path, records: str, mapping: str, policy: Policy) -> str:
    """What `billability audit RECORDS --map MAPPING` prints, run from `root`, as plain text."""
    summary = example_summary(root, records, mapping, policy)
    console = Console(width=WIDTH, record=True, color_system=None, highlight=False, file=io.StringIO())
    console.print(summary_tables(summary), soft_wrap=True)
    return console.export_text().translate(LIGHT_LINES)


def _usable(found: re.Match[str], root: Path, problems: list[Diagnostic]) -> bool:
    """Whether a marker names as many files as its kind takes, each in the checkout;
    when not, why, added to `problems`."""
    marker, kind, names = found.group(0), found.group(1), found.group(2).split()
    expected = 1 if kind == "file" else 2
    if len(names) != expected:
        what = "a path" if kind == "file" else "the export's path, then the mapping's"
        problems.append(
            Diagnostic("site.example", f"`{marker}` names {len(names)} files, not {expected}", hint=f"give {what}")
        )
        return False
    missing = [name for name in names if not (root / name).is_file()]
    if missing:
        problems.append(
            Diagnostic(
                "site.example",
                f"`{marker}` names `{missing[0]}`, which the checkout does not have",
                hint="paths are relative to the checkout, as `docs/audit/mapping.yaml`",
            )
        )
        return False
    return True


def _report_frame(records: str, page_url: str) -> str:
    """The report in a frame the width of the page, and a link opening it on its own.

    The frame is a preview that a pointer scrolls; it is kept out of the Tab order
    (`tabindex="-1"`), where a browser would focus the frame's page without showing
    any outline, and the keyboard reaches the whole report through the link under it."""
    address = html.escape(posixpath.relpath(report_path(records), posixpath.dirname(page_url) or "."))
    title = html.escape(f"The audit report of the example export, {records}")
    return (
        '<div class="audit-report">\n'
        f'<iframe src="{address}" title="{title}" tabindex="-1"></iframe>\n'
        f'<p><a href="{address}">Open the report of the example export on its own page</a></p>\n'
        "</div>"
    )


def _fenced(text: str, language: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"
