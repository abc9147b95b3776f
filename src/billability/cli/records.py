"""The commands on service records: `audit` (an export decided row by row) and `sql` (the
policy as one query over a table of records).

In: an export's path, a mapping, output paths and options; a dialect and a table's name.
Out: the audit's summary tables on stdout (a progress bar on stderr for a long run at a
terminal), or the query's text; SIGINT and SIGTERM stop an audit with 130 or 143, and
nothing written.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from billability.audit.fail_on import failing_outcomes
from billability.audit.query_file import checked_query, write_query
from billability.audit.report import summary_tables
from billability.audit.run import ENGINE_NAMES, audit_file
from billability.audit.summary import Summary
from billability.cli.options import EXIT_PROBLEMS, fail, loaded_policy, policy_given, policy_option
from billability.model.diagnostics import Problems
from billability.model.resources import policy_folder


@click.command()
@click.argument("records", metavar="RECORDS")
@click.option(
    "--map", "mapping_path", metavar="MAPPING", help="YAML mapping of the export's columns and codes to facts."
)
@click.option("-o", "--output", metavar="OUT", help="Write every row with its decision (.csv, .jsonl or .parquet).")
@click.option(
    "--format",
    "input_format",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    default=None,
    help="The format of RECORDS (default: from its extension).",
)
@click.option("--encoding", metavar="CODEC", help="The text's encoding, e.g. cp1252, latin-1, utf-16 (default: UTF-8).")
@click.option(
    "--delimiter", metavar="CHAR", help="The character between a CSV file's cells, e.g. ';' or tab (default: ,)."
)
@click.option("--report", "report_path", metavar="REPORT.html", help="Write a self-contained HTML report.")
@click.option(
    "--bom",
    is_flag=True,
    help="Start the CSV output with a UTF-8 byte order mark, so that Excel shows its accented letters as written.",
)
@click.option(
    "--fail-on",
    metavar="OUTCOMES",
    default=None,
    help="Exit 1 when any row has one of these outcomes (comma list, e.g. `not_billable,invalid`).",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINE_NAMES),
    default="duckdb",
    show_default=True,
    help="What decides the rows: `duckdb` runs the mapping and the policy's compiled query inside DuckDB; "
    "`python` reads each row and decides it with the policy's own evaluator. Both write the same output.",
)
@policy_option
def audit(
    records: str,
    mapping_path: str | None,
    output: str | None,
    input_format: str | None,
    encoding: str | None,
    delimiter: str | None,
    report_path: str | None,
    bom: bool,
    fail_on: str | None,
    engine: str,
    policy_path: str | None,
) -> None:
    """Decide every service record of an export and sum up what may be billed.

    RECORDS is a CSV, JSON Lines or Parquet file, one service a row. Without
    `--map`, columns named like the facts hold the facts. A blank cell is an unknown
    fact; a row with a cell the mapping cannot read is `invalid`, a row outside the
    mapping's `scope:` is `not_audited`. With the mapping's `service_date:`, each
    row is decided by the version of the policy in force on its date (a blank date,
    no date or one before the first version: `invalid`). Every row comes
    out, in order, with `row`, `outcome`, `rules`, `reasons`, `missing`, `problems`,
    `policy_id` and `policy_version` (the version that decided it) after its own columns.

    \b
    Examples:
      billability audit docs/audit/ehr-export.csv --map docs/audit/mapping.yaml
      billability audit export.csv --map mapping.yaml -o audited.csv --report audit.html
      billability audit export.csv --map mapping.yaml -o for-excel.csv --bom
      billability audit export.csv --map mapping.yaml --policy origin/main
      billability audit export.parquet --map mapping.yaml -o audited.parquet --fail-on not_billable,invalid

    Exit status: 0 when every row was read and written, whatever the outcomes; 1 when
    a `--fail-on` outcome occurred; 2 when the input or mapping cannot be used or an
    output would overwrite an input or the other output; 130 when stopped by Ctrl-C
    (SIGINT), 143 by SIGTERM. Nothing is written unless the audit completes.
    """
    try:
        failing = failing_outcomes(fail_on)
    except Problems as error:
        fail(error.diagnostics)
    with policy_given(policy_path) as named:
        try:
            with stopped_by_signals(), _progress_bar() as progress:
                summary = audit_file(
                    records,
                    mapping=mapping_path,
                    output=output,
                    report=report_path,
                    policy=named.policy,
                    engine=engine,
                    input_format=input_format,
                    encoding=encoding,
                    delimiter=delimiter,
                    bom=bom,
                    progress=progress,
                )
        except Problems as error:
            fail(error.diagnostics)
        _print_summary(summary, output, report_path)
        occurred = [o for o in failing if summary.count(o)]
        if occurred:
            click.echo(
                "failing because of --fail-on: " + ", ".join(f"{summary.count(o):,} {o}" for o in occurred), err=True
            )
            sys.exit(EXIT_PROBLEMS)


@click.command()
@click.option(
    "--dialect",
    default="duckdb",
    show_default=True,
    metavar="DIALECT",
    help="The database's SQL dialect: duckdb, postgres, spark (also Databricks) or sqlite.",
)
@click.option(
    "--table",
    default="records",
    show_default=True,
    metavar="NAME",
    help="The table (or view) of records; may be qualified (`db.schema.table`).",
)
@click.option(
    "--map",
    "mapping_path",
    metavar="MAPPING",
    help="A mapping of the table's columns and codes to the facts (YAML), as `billability audit --map` takes.",
)
@click.option("-o", "--output", metavar="FILE", help="Write the query to FILE instead of printing it.")
@policy_option
def sql(dialect: str, table: str, mapping_path: str | None, output: str | None, policy_path: str | None) -> None:
    """Print the policy as one SQL query over a table of service records.

    The query decides every record of the table as `billability audit` does and
    returns its columns, then `row`, `outcome`, `rules`, `reasons`, `missing`,
    `problems`, `policy_id` and `policy_version`, with the audit's words (lists are
    arrays, and JSON text in SQLite). With `--map`, the table is the export itself:
    its own columns and codes, read as the mapping says (codes matched ignoring case
    and the whitespace around them, facts derived from dates, rows outside `scope:`
    `not_audited`; with `service_date:`, each record decided by the version of the
    policy in force on its date). Without it, a column named like each fact holds the fact's values:
    a value's name, `true`/`false`, a whole number. A blank cell is an unknown fact.
    The one difference from the audit: a problem's hint never guesses a close code
    (`did you mean ...?`), which a database cannot work out.

    \b
    Examples:
      billability sql > policy.sql
      billability sql --map docs/audit/mapping.yaml --table ehr_export
      billability sql --dialect spark --map mapping.yaml --table claims.ehr_export -o policy.sql
      billability sql --dialect postgres
      billability sql --dialect sqlite --table records

    Exit status: 0 when the query is written; 2 when the dialect, the table's name or
    the mapping cannot be used.
    """
    with policy_given(policy_path) as named:
        folder = policy_folder(named.policy)
        policy = loaded_policy(folder)
        query = checked_query(policy, table, dialect, mapping_path, output, folder)
        if query.problems:
            fail(query.problems)
        if output is None:
            click.echo(query.text, nl=False)
            return
        try:
            write_query(Path(output), query.text)
        except Problems as error:
            fail(error.diagnostics)


PROGRESS_FROM_ROWS = 50_000


@contextmanager
def _progress_bar() -> Iterator[Callable[[int, int], None] | None]:
    """What to tell the rows done and the rows in all: a progress bar on stderr, shown
    for a long run only when stderr is a terminal (else nothing, None)."""
    if not sys.stderr.isatty():
        yield None
        return
    bar = Progress(
        TextColumn("auditing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: list[Any] = []

    def told(done: int, total: int) -> None:
        if total < PROGRESS_FROM_ROWS:
            return
        if not tasks:
            bar.start()
            tasks.append(bar.add_task("rows", total=total))
        bar.update(tasks[0], completed=done)

    try:
        yield told
    finally:
        bar.stop()


@contextmanager
def stopped_by_signals() -> Iterator[None]:
    """While an audit (or `diff --records`) runs, SIGINT (Ctrl-C) and SIGTERM stop it: its files are removed,
    one line says so, and the exit status is 128 plus the signal's number (130, 143).
    Signals the command was started to ignore stay ignored; a second one is ignored
    while the first one's files are being removed. (Run in another thread than the
    main one, the command leaves signals as they are.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[signal.Signals] = []
    stopping = (signal.SIGINT, signal.SIGTERM)

    def stop(number: int, frame: object) -> None:
        received.append(signal.Signals(number))
        for each in stopping:
            signal.signal(each, signal.SIG_IGN)
        raise KeyboardInterrupt

    before = {each: signal.getsignal(each) for each in stopping}
    for each, handler in before.items():
        if handler is not signal.SIG_IGN and handler is not None:
            signal.signal(each, stop)
    try:
        yield
    except BaseException:
        if not received:
            raise
        click.echo(f"stopped by {received[0].name}: nothing was written", err=True)
        sys.exit(128 + received[0].value)
    finally:
        for each, handler in before.items():
            if handler is not None:
                signal.signal(each, handler)


def _print_summary(summary: Summary, output: str | None, report_path: str | None) -> None:
    console = Console(file=sys.stdout, highlight=False)
    console.print(summary_tables(summary), soft_wrap=True)
    for what, path in (("rows", output), ("report", report_path)):
        if path is not None:
            console.print(f"wrote the {what} to {path}", markup=False)
