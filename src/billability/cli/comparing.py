"""The `diff` command: what a policy change does, to the scenarios or to an export's rows.

In: BASE and HEAD (git revisions or folders), `--format`, `--folder`, `--corpus`; with
`--records`, an export, its mapping, how the export is written, the engine and an HTML
report's path.
Out: the scenarios whose outcome changes (`history.diff`), or with `--records` the rows
and minutes that change outcome (`audit.impact_run`), as text or Markdown; exit 1 when
any outcome changes, 0 when none, 2 for invalid input, 130 or 143 when a signal stops
the rows' decision (nothing written).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from billability.audit.impact_report import impact_markdown, impact_text
from billability.audit.impact_run import impact_of_change
from billability.audit.run import ENGINE_NAMES
from billability.cli.options import EXIT_INVALID, EXIT_PROBLEMS, fail
from billability.cli.records import stopped_by_signals
from billability.decide.explain import diagnostics_text
from billability.history.diff import diff_sides
from billability.history.diff_report import diff_markdown, diff_text
from billability.history.revisions import read_sides
from billability.model.diagnostics import Diagnostic, Location, Problems, counted


@click.command("diff")
@click.argument("base")
@click.argument("head", required=False)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown"]),
    default="text",
    show_default=True,
    help="`markdown` prints a pull-request comment.",
)
@click.option(
    "--folder",
    default=None,
    metavar="PATH",
    help="The policy folder inside the repository, for revisions (default: the checkout's, else `policy`).",
)
@click.option(
    "--corpus",
    "corpus_paths",
    multiple=True,
    metavar="PATH",
    help="Corpus file or folder to run with HEAD instead of HEAD's own `corpus/` (repeatable).",
)
@click.option(
    "--records",
    metavar="EXPORT",
    default=None,
    help="Decide every row of this export (CSV, JSON Lines or Parquet) under both sides, and count what changes.",
)
@click.option("--map", "mapping_path", metavar="MAPPING", help="With --records: the export's mapping (YAML).")
@click.option(
    "--records-format",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    default=None,
    help="With --records: the export's format (default: from its extension).",
)
@click.option("--encoding", metavar="CODEC", help="With --records: the export's text encoding (default: UTF-8).")
@click.option("--delimiter", metavar="CHAR", help="With --records: the character between a CSV file's cells.")
@click.option(
    "--engine",
    type=click.Choice(ENGINE_NAMES),
    default=None,
    help="With --records: what decides the rows, as in `billability audit` (default: duckdb).",
)
@click.option(
    "--report", "report_path", metavar="REPORT.html", help="With --records: write a self-contained HTML page."
)
def diff_command(
    base: str,
    head: str | None,
    output_format: str,
    folder: str | None,
    corpus_paths: tuple[str, ...],
    records: str | None,
    mapping_path: str | None,
    records_format: str | None,
    encoding: str | None,
    delimiter: str | None,
    engine: str | None,
    report_path: str | None,
) -> None:
    """Show what a policy change does: the scenarios whose outcome changes, or with
    `--records` the services of an export whose outcome changes.

    BASE and HEAD are folders, versions of the policy or git revisions. A version
    names a released version (`1.0`: `policy/releases/1.0/` with the corpus as it
    stood for it, `corpus/releases/1.0/`) or the current version's number (the
    checkout on disk); it is read as a version when no file or folder of that name
    exists, and a version wins over a git revision of the same name (name a tag
    `tags/1.0` to compare the revision). A revision is the policy and corpus at that
    revision. Without HEAD, BASE is compared with the checkout as it is on disk,
    edits not yet committed included. Each group of scenarios is worded with the
    labels staff read, the facts and values as the policy files name them beneath,
    and counts the combinations of answers it holds (a fact counts where it is
    asked). Groups of partial scenarios, some answer not known, that go to or from
    undetermined follow. Also lists the facts and values renamed
    (breaking for callers and data mappings; outcomes are compared under the new
    names), the rules and facts added, removed or changed, the cases of HEAD's
    corpus that fail with HEAD, and the cases removed from the corpus or added to
    it (by name, BASE's corpus against HEAD's; not with `--corpus`).

    With `--records EXPORT --map MAPPING`, every row of the export is decided under
    BASE's policy and under HEAD's, as `billability audit` decides it, and the report
    gives the rows and minutes (the mapping's `summary: minutes`) by outcome before
    and after, then each change of outcome with its rows, minutes, what decided it on
    each side and its first rows; rows whose outcome stays are only counted. Each
    side's current policy decides every row, whatever its service date: the question
    is what the change would do to these services. `--report` writes the same as one
    HTML page naming both versions, the export and the mapping with their SHA-256.

    \b
    Examples:
      billability diff main
      billability diff origin/main HEAD
      billability diff origin/main HEAD --format markdown > policy-diff.md
      billability diff old-policy/ policy/
      billability diff 1.0
      billability diff 1.0 1.1
      billability diff HEAD --corpus corpus/boundaries.yaml
      billability diff main --records docs/audit/ehr-export.csv --map docs/audit/mapping.yaml
      billability diff main --records export.csv --map mapping.yaml --report impact.html

    Exit status: 0 when no outcome changes (a pure rename included), 1 when some
    do (with `--records`: when any row's does), 2 for invalid input or when either
    side's corpus does not load. Cases removed or added are listed, and change no
    exit status: 1 means outcomes change. With `--records`, 130 or 143 when stopped
    by SIGINT or SIGTERM, and no report written.
    """
    given = {
        "--map": mapping_path,
        "--records-format": records_format,
        "--encoding": encoding,
        "--delimiter": delimiter,
        "--engine": engine,
        "--report": report_path,
    }
    if records is None:
        _without_records(given)
    else:
        if corpus_paths:
            where = Location(f"option --corpus `{corpus_paths[0]}`")
            hint = "leave out `--corpus`: the export's rows are decided, not the corpus's cases"
            fail([Diagnostic("cli.records-option", "the impact on an export runs no corpus", where, hint)])
        _impact(base, head, folder, records, output_format, given)
        return
    try:
        sides = read_sides(base, head, folder, [Path(p) for p in corpus_paths])
        result = diff_sides(*sides, compare_corpora=not corpus_paths)
    except Problems as error:
        fail(error.diagnostics)
    click.echo(diff_markdown(result) if output_format == "markdown" else diff_text(result))
    if not result.corpus_loads:
        # The text report lists them already; a Markdown report usually goes to a file.
        if output_format == "markdown":
            click.echo(diagnostics_text(result.corpus_problems), err=True)
        count = len(result.corpus_problems)
        click.echo(f"{counted(count, 'error')}: the corpus does not load", err=True)
        sys.exit(EXIT_INVALID)
    if result.outcomes_change:
        sys.exit(EXIT_PROBLEMS)


def _without_records(given: dict[str, str | None]) -> None:
    """Exit with a problem for each option that reads an export when none is given."""
    stray = [
        Diagnostic(
            "cli.records-option",
            f"`{option}` is about the export's rows, and no `--records` is given",
            Location(f"option {option} `{value}`"),
            "add `--records EXPORT --map MAPPING`, or leave out " + f"`{option}`",
        )
        for option, value in given.items()
        if value is not None
    ]
    if stray:
        fail(stray)


def _impact(
    base: str, head: str | None, folder: str | None, records: str, output_format: str, given: dict[str, str | None]
) -> None:
    try:
        with stopped_by_signals():
            impact = impact_of_change(
                base,
                head,
                records,
                mapping=given["--map"],
                folder=folder,
                engine=given["--engine"] or "duckdb",
                input_format=given["--records-format"],
                encoding=given["--encoding"],
                delimiter=given["--delimiter"],
                report=given["--report"],
            )
    except Problems as error:
        fail(error.diagnostics)
    click.echo(impact_markdown(impact) if output_format == "markdown" else impact_text(impact), nl=False)
    if output_format != "markdown":
        click.echo()
    if given["--report"] is not None and output_format != "markdown":
        click.echo(f"wrote the report to {given['--report']}")
    if impact.transitions:
        sys.exit(EXIT_PROBLEMS)
