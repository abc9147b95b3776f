"""Write audited records: every input column unchanged, then what the audit decided.

In: the export's columns and types, the output path (its format from the extension),
and batches of input rows with the `RowResult` of each.
Out: one CSV, JSON Lines or Parquet file with the columns `OUTPUT_COLUMNS` after the
input's, one row per input row in input order. Lists are `;`-joined text in CSV and
arrays in JSON Lines and Parquet (problems there are objects with severity, code,
column, value, message and hint). The file is written beside the target under a hidden temporary
name and renamed when complete (`ResultsWriter.commit`), so that an interrupted run
never leaves a file that looks finished; `discard` removes the temporary file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import duckdb

from billability.audit.binding import RowProblem
from billability.audit.formats import Format, format_of
from billability.audit.records import Export, bounded_connection, text_literal
from billability.model.diagnostics import Diagnostic, Location, Problems
from billability.model.resources import shown_path

OUTPUT_COLUMNS = ("row", "outcome", "rules", "reasons", "missing", "problems", "policy_id", "policy_version")
LIST_SEPARATOR = ";"
# The byte order mark a CSV output starts with on request: Excel reads a CSV file as
# UTF-8 only when it starts so, and as the computer's own code page otherwise.
BOM = "\ufeff"
FORMAT_NAMES = {Format.CSV: "CSV", Format.JSONL: "JSON Lines", Format.PARQUET: "Parquet"}
PARQUET_MEMORY = "256MB"

PROBLEM_TYPE = (
    'STRUCT(severity VARCHAR, code VARCHAR, "column" VARCHAR, value VARCHAR, message VARCHAR, hint VARCHAR)[]'
)
OUTPUT_TYPES = {
    "row": "BIGINT",
    "outcome": "VARCHAR",
    "rules": "VARCHAR[]",
    "reasons": "VARCHAR[]",
    "missing": "VARCHAR[]",
    "problems": PROBLEM_TYPE,
    "policy_id": "VARCHAR",
    "policy_version": "VARCHAR",
}


@dataclass(frozen=True, slots=True)
class RowResult:
    """What the audit says about one record: an outcome of the policy, or `invalid`; a
    decided record's problems are warnings about cells its answer does not depend on.
    `version` is the version of the policy that decided it when the export's service
    dates pick one (empty when none could: a date that is blank, no date, or before the
    first version); None when the policy the audit was given decides every record."""

    outcome: str
    rules: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    problems: tuple[RowProblem, ...] = ()
    version: str | None = None


def temporary_beside(target: Path, suffix: str) -> Path:
    """A new hidden file beside `target`, with the permissions a file made there would have."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.resolve().parent)
    os.close(handle)
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(name, 0o666 & ~mask)
    return Path(name)


def write_aside(target: Path, text: str) -> None:
    """Write a text file beside `target` under a temporary name, then move it into place."""
    part = temporary_beside(target, ".part")
    try:
        part.write_text(text, encoding="utf-8")
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)


class ResultsWriter:
    """Writes batches to a temporary file beside the target; `commit` moves it into place."""

    def __init__(self, target: Path, export: Export, stamp: tuple[str, str], bom: bool = False) -> None:
        self.target = target
        self.export = export
        self.stamp = stamp
        self.format = output_format(target)
        if not target.parent.is_dir():
            raise Problems(
                [Diagnostic("file.unwritable", "the folder to write into does not exist", Location(shown_path(target)))]
            )
        self._cells: list[Any] = []
        try:
            # Parquet is written by DuckDB from JSON Lines once every row is in.
            self.part = temporary_beside(target, ".part")
            self.lines = temporary_beside(target, ".jsonl.part") if self.format is Format.PARQUET else None
            self._file: IO[str] = open(self.lines or self.part, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as error:
            self.discard()
            raise Problems(
                [Diagnostic("file.unwritable", f"cannot write here: {error.strerror}", Location(shown_path(target)))]
            ) from None
        if self.format is Format.CSV:
            self._file.write((BOM if bom else "") + header_line(export.columns) + "\n")

    @property
    def line_format(self) -> Format:
        """`write` takes each row as its input cells made one line of text in this format
        (`records.batches(as_line=..., line_format=...)`), then the cells it reads."""
        return Format.CSV if self.format is Format.CSV else Format.JSONL

    def write(
        self, rows: Sequence[tuple[Any, ...]], first: int, ids: Sequence[int], results: Sequence[RowResult]
    ) -> None:
        """Write rows numbered from `first`; `ids` gives each row's result among `results`.
        Each row starts with its input cells as one line of text (see `line_format`)."""
        cells = self._cells
        while len(cells) < len(results):
            cells.append(rendered_tail(results[len(cells)], self.line_format, self.stamp) + "\n")
        numbers = range(first, first + len(rows))
        if self.line_format is Format.CSV:
            self._file.writelines(
                f"{row[0]},{number}{cells[i]}" for row, number, i in zip(rows, numbers, ids, strict=True)
            )
        else:
            self._file.writelines(
                f'{row[0][:-1]},"row":{number}{cells[i]}' for row, number, i in zip(rows, numbers, ids, strict=True)
            )

    def commit(self) -> None:
        """Finish the file and move it into place."""
        self._file.close()
        if self.lines is not None:
            self._parquet(self.lines, self.part)
        os.replace(self.part, self.target)
        self.discard()

    def discard(self) -> None:
        """Remove what is left of the temporary files (nothing after `commit`)."""
        handle = getattr(self, "_file", None)
        if handle is not None and not handle.closed:
            handle.close()
        for path in (getattr(self, "part", None), getattr(self, "lines", None)):
            if path is not None:
                path.unlink(missing_ok=True)

    def _parquet(self, lines: Path, part: Path) -> None:
        types = dict(zip(self.export.columns, self.export.types, strict=True)) | OUTPUT_TYPES
        try:
            with bounded_connection(PARQUET_MEMORY) as connection:
                connection.execute(
                    f"COPY (SELECT * FROM read_json(?, format = 'newline_delimited', columns = ?)) "
                    f"TO {text_literal(str(part))} (FORMAT parquet)",
                    [str(lines), types],
                )
        except duckdb.Error as error:
            message = str(error).splitlines()[0] if str(error) else "cannot write Parquet"
            raise Problems(
                [
                    Diagnostic(
                        "file.unwritable",
                        f"cannot write the Parquet file: {message}",
                        Location(shown_path(self.target)),
                    )
                ]
            ) from None


def header_line(columns: Sequence[str]) -> str:
    """The CSV output's first line (without its end): the input's columns, then `OUTPUT_COLUMNS`."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([*columns, *OUTPUT_COLUMNS])
    return buffer.getvalue()


def rendered_tail(result: RowResult, line_format: Format, stamp: tuple[str, str]) -> str:
    """What follows `row` on an output line (without the line's end): the CSV cells from
    `outcome` on, each after a comma; or the rest of a JSON object from `"outcome"` on,
    after a comma and closing it. Every engine writes a result with these words. `stamp`
    is the policy's id and version, the version the result's own when it names one."""
    if result.version is not None:
        stamp = (stamp[0], result.version)
    if line_format is Format.CSV:
        values = (
            result.outcome,
            LIST_SEPARATOR.join(result.rules),
            LIST_SEPARATOR.join(result.reasons),
            LIST_SEPARATOR.join(result.missing),
            LIST_SEPARATOR.join(str(p) for p in result.problems),
            *stamp,
        )
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(("", *values))
        return buffer.getvalue()
    return "," + json.dumps(tail_object(result, stamp), ensure_ascii=False, separators=(",", ":"))[1:]


def render_problem(problem: RowProblem, line_format: Format) -> str:
    """One problem as `rendered_tail` writes it among a row's problems: in a CSV cell
    (before the cell is quoted), or as a JSON object."""
    if line_format is Format.CSV:
        return str(problem)
    return json.dumps(_problem_object(problem), ensure_ascii=False, separators=(",", ":"))


def csv_quoted_characters() -> str:
    """The characters for which `rendered_tail` quotes a CSV cell, as Python's csv module
    quotes without a line end."""
    found = ""
    for character in ',"\r\n':
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(("", character))
        found += character if buffer.getvalue() != "," + character else ""
    return found


def _problem_object(p: RowProblem) -> dict[str, Any]:
    return {
        "severity": p.severity,
        "code": p.code,
        "column": p.column,
        "value": p.value,
        "message": p.message,
        "hint": p.hint,
    }


def tail_object(result: RowResult, stamp: tuple[str, str]) -> dict[str, Any]:
    """A result's output columns from `outcome` on, as JSON Lines and Parquet hold them."""
    if result.version is not None:
        stamp = (stamp[0], result.version)
    return {
        "outcome": result.outcome,
        "rules": list(result.rules),
        "reasons": list(result.reasons),
        "missing": list(result.missing),
        "problems": [_problem_object(p) for p in result.problems],
        "policy_id": stamp[0],
        "policy_version": stamp[1],
    }


def output_format(target: Path) -> Format:
    return format_of(target, role="output")


def check_bom(target: Path | None, bom: bool) -> list[Diagnostic]:
    """Why the output cannot start with a byte order mark, if it cannot: only a CSV file takes one."""
    if not bom:
        return []
    where = Location("option --bom")
    if target is None:
        return [
            Diagnostic("cli.bom", "there is no output file to start with a byte order mark", where, "add `-o OUT.csv`")
        ]
    try:
        written = output_format(target)
    except Problems:
        return []  # `check_target` says why the name does not do
    if written is Format.CSV:
        return []
    return [
        Diagnostic(
            "cli.bom",
            f"a byte order mark is for CSV output, and `{shown_path(target)}` is {FORMAT_NAMES[written]}",
            where,
            "write the output to a `.csv` file, or leave out `--bom`",
        )
    ]


def check_target(target: Path, export: Export) -> list[Diagnostic]:
    """Why the results cannot go to `target`, if they cannot (see also `check_places`)."""
    problems: list[Diagnostic] = []
    try:
        output_format(target)
    except Problems as error:
        problems += error.diagnostics
    taken = [name for name in OUTPUT_COLUMNS if name in export.columns]
    for name in taken:
        problems.append(
            Diagnostic(
                "records.column-taken",
                f"the export already has a column `{name}`, which the audit adds",
                Location(export.shown, 1),
                hint="rename that column in the export",
            )
        )
    return problems


def same_file(one: Path, other: Path) -> bool:
    """Whether two paths name one file: by the file itself where both exist (a symbolic
    or hard link is the file it links to), else by their resolved paths."""
    try:
        return os.path.samefile(one, other)
    except OSError:
        return one.resolve() == other.resolve()


def check_places(outputs: Sequence[tuple[str, str, str]], inputs: Sequence[tuple[str, Path]]) -> list[Diagnostic]:
    """Why files cannot be written where `outputs` say (each the option naming it, what
    it holds, and its path as given), if they cannot: over one of `inputs` (each what it
    is, and its path) or another output, whatever the spelling or link; over a folder;
    into a folder that does not exist."""
    problems = []
    for place, (option, _, given) in enumerate(outputs):
        where, target = Location(f"option {option} `{given}`"), Path(given)
        taken = [what for what, path in inputs if same_file(target, path)]
        taken += [
            f"{what} written by `{other}`" for other, what, path in outputs[:place] if same_file(target, Path(path))
        ]
        if taken:
            problems.append(Diagnostic("file.same", f"this would overwrite {taken[0]}", where, "name another file"))
        elif target.is_dir():
            problems.append(Diagnostic("file.unwritable", "this is a folder, not a file", where, "name a file in it"))
        elif not target.resolve().parent.is_dir():
            problems.append(
                Diagnostic("file.unwritable", "the folder to write into does not exist", Location(shown_path(target)))
            )
    return problems
