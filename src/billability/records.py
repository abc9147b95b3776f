"""Read an export of service records, one service a row, in batches.

In: the path of a CSV, JSON Lines or Parquet file (the format from its extension, or
given), read with DuckDB.
Out: an `Export`: its columns in file order with their types, and `batches(export)`,
an iterator of lists of row tuples in file order, so that memory does not grow with
the file. A CSV file is read with every column as text, so that codes such as `007`
are never reinterpreted. An unreadable file, an unknown format or a malformed line
raises `Problems` located at `file:line`.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import duckdb

from billability.diagnostics import Diagnostic, Location, Problems, one_of
from billability.resources import shown_path

BATCH_ROWS = 20_000


class Format(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    PARQUET = "parquet"


EXTENSIONS = {
    ".csv": Format.CSV,
    ".jsonl": Format.JSONL,
    ".ndjson": Format.JSONL,
    ".json": Format.JSONL,
    ".parquet": Format.PARQUET,
    ".pq": Format.PARQUET,
}


def connect() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection in memory that prints nothing (its own progress bar included)."""
    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    return connection


@contextmanager
def bounded_connection(memory: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection (`connect`) that holds at most `memory` and spills the rest to a
    temporary folder, removed with the connection: DuckDB keeping a large file's rows
    in order would otherwise hold much of it."""
    connection = connect()
    spill = tempfile.TemporaryDirectory(prefix="billability-")
    try:
        connection.execute(f"SET memory_limit = {text_literal(memory)}")
        connection.execute(f"SET temp_directory = {text_literal(spill.name)}")
        yield connection
    finally:
        connection.close()
        spill.cleanup()


@dataclass(frozen=True, slots=True)
class Export:
    """A file of service records: where it is, how it is read, and its columns in order."""

    path: Path
    format: Format
    columns: tuple[str, ...]
    types: tuple[str, ...]

    @property
    def shown(self) -> str:
        return shown_path(self.path)


def format_of(path: Path, given: str | None = None, role: str = "input") -> Format:
    """The format of a file: `given`, else its extension."""
    if given is not None:
        return Format(given)
    suffix = path.suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    raise Problems(
        [
            Diagnostic(
                "records.format",
                f"cannot tell the {role} format from the name `{path.name}`",
                Location(shown_path(path)),
                hint=f"name the file with {one_of(sorted(EXTENSIONS))}"
                + (", or give `--format`" if role == "input" else ""),
            )
        ]
    )


def open_export(path: Path, given_format: str | None = None) -> Export:
    """The export at `path`, its columns read; raises `Problems` when it cannot be read."""
    shown = shown_path(path)
    file_format = format_of(path, given_format)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise Problems([Diagnostic("file.unreadable", f"the file {what}", Location(shown))])
    if file_format is Format.CSV:
        columns = _csv_header(path, shown)
        return Export(path, file_format, columns, ("VARCHAR",) * len(columns))
    connection = connect()
    try:
        cursor = connection.execute(f"DESCRIBE SELECT * FROM {_reader(file_format)}", [str(path)])
        described = cursor.fetchall()
    except duckdb.Error as error:
        raise Problems([located_error(error, shown, file_format)]) from None
    finally:
        connection.close()
    return Export(path, file_format, tuple(str(r[0]) for r in described), tuple(str(r[1]) for r in described))


def _csv_header(path: Path, shown: str) -> tuple[str, ...]:
    """The header of a CSV file, read by Python's csv module: DuckDB would rename
    duplicate or blank names, and the output must repeat the columns as they are."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            header = next(csv.reader(file), None)
    except UnicodeDecodeError:
        raise Problems(
            [Diagnostic("file.encoding", "the header is not UTF-8 text", Location(shown, 1), "save the file as UTF-8")]
        ) from None
    except (OSError, csv.Error) as error:
        raise Problems([Diagnostic("file.unreadable", f"cannot read the file: {error}", Location(shown))]) from None
    if not header:
        raise Problems(
            [
                Diagnostic(
                    "records.empty",
                    "the file has no header line",
                    Location(shown, 1),
                    "the first line names the columns",
                )
            ]
        )
    problems = []
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name.strip():
            problems.append(
                Diagnostic("records.header", f"column {position} has no name", Location(shown, 1), "name every column")
            )
        elif name in seen:
            problems.append(
                Diagnostic(
                    "records.header",
                    f"the column `{name}` appears twice in the header",
                    Location(shown, 1),
                    "give each column its own name",
                )
            )
        seen.add(name)
    if problems:
        raise Problems(problems)
    return tuple(header)


def _reader(file_format: Format) -> str:
    """The DuckDB table function that reads a format; its path is the first parameter."""
    if file_format is Format.CSV:
        # No sniffing: the dialect is fixed and every column is text.
        return (
            "read_csv(?, columns = ?, header = true, auto_detect = false, delim = ',', quote = '\"', "
            "escape = '\"', strict_mode = true, encoding = 'utf-8')"
        )
    if file_format is Format.JSONL:
        return "read_json(?, format = 'auto')"
    return "read_parquet(?)"


def batches(
    export: Export, size: int = BATCH_ROWS, as_line: Sequence[int] | None = None, line_format: Format = Format.CSV
) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of the export in file order, `size` at a time; a malformed line raises
    `Problems` located at `file:line` when the reading reaches it.

    With `as_line`, each row is instead its cells as one line of text (`line_sql`), then
    the cells at those positions: DuckDB writes the text, so the cells no other stage
    reads never become Python values."""
    connection = connect()
    names = ", ".join(quoted(name) for name in export.columns)
    if as_line is not None:
        names = ", ".join([line_sql(export.columns, line_format), *(quoted(export.columns[i]) for i in as_line)])
    try:
        try:
            cursor = connection.execute(f"SELECT {names} FROM {reader_sql(export)}", reader_parameters(export))
            while True:
                rows = cursor.fetchmany(size)
                if not rows:
                    return
                yield rows
        except duckdb.Error as error:
            raise Problems([located_error(error, export.shown, export.format)]) from None
    finally:
        connection.close()


def count_rows(export: Export) -> int:
    """How many rows the export holds (one quick pass, or the Parquet metadata)."""
    connection = connect()
    try:
        found = connection.execute(f"SELECT count(*) FROM {reader_sql(export)}", reader_parameters(export)).fetchone()
    except duckdb.Error as error:
        raise Problems([located_error(error, export.shown, export.format)]) from None
    finally:
        connection.close()
    return int(found[0]) if found else 0


def reader_sql(export: Export) -> str:
    """The table function reading the export; its parameters are `reader_parameters`."""
    return _reader(export.format)


def reader_parameters(export: Export) -> list[Any]:
    parameters: list[Any] = [str(export.path)]
    if export.format is Format.CSV:
        parameters.append(dict.fromkeys(export.columns, "VARCHAR"))
    return parameters


def line_sql(columns: Sequence[str], line_format: Format) -> str:
    """SQL for a row's cells as one line of text, without the line's end: CSV quoted as
    Python's csv module quotes, or a JSON object (DuckDB's `to_json`, keys in column order)."""
    if line_format is Format.CSV:
        # Most lines hold no cell to quote: one look at all their text, then the plain join.
        texts = [f"coalesce(CAST({quoted(name)} AS VARCHAR), '')" for name in columns]
        quoting = " || ',' || ".join(_csv_cell(quoted(name)) for name in columns)
        every = f"concat({', '.join(texts)})"
        special = " OR ".join(f"contains({every}, {char})" for char in ("','", "'\"'", "chr(10)", "chr(13)"))
        return f"CASE WHEN {special} THEN {quoting} ELSE concat_ws(',', {', '.join(texts)}) END"
    pairs = ", ".join(f"{text_literal(name)}: {quoted(name)}" for name in columns)
    return f"CAST(to_json({{{pairs}}}) AS VARCHAR)"


def quoted(name: str) -> str:
    """A column's name as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def text_literal(text: str) -> str:
    """Text as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _csv_cell(column: str) -> str:
    """SQL for a cell as CSV text: quoted when it holds a comma, a quote or a line break."""
    text = f"CAST({column} AS VARCHAR)"
    return (
        f"CASE WHEN {column} IS NULL THEN '' "
        f"WHEN regexp_matches({text}, '[,\"\r\n]') THEN '\"' || replace({text}, '\"', '\"\"') || '\"' "
        f"ELSE {text} END"
    )


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_JSON_LINE = re.compile(r"in line (\d+)")


def located_error(error: duckdb.Error, shown: str, file_format: Format) -> Diagnostic:
    """A DuckDB reading error as a diagnostic at the line it names, in the user's words."""
    text = str(error)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    pattern = _CSV_LINE if file_format is Format.CSV else _JSON_LINE
    found = pattern.search(text)
    line = int(found.group(1)) if found else 0
    if file_format is Format.CSV and found:
        what = next((item for item in lines[1:] if not item.startswith(("Original Line", "Possible"))), "")
        if "Expected Number of Columns" in what:
            counts = re.findall(r"\d+", what)
            what = f"this line has {counts[1]} cells; the header has {counts[0]}" if len(counts) == 2 else what
            hint = "quote a cell that holds a comma; every line needs one cell per column"
        elif "unterminated quote" in what:
            what, hint = "a quoted cell is never closed", 'close the quote, or write `""` for a quote inside a cell'
        elif "unicode" in what.lower():
            what, hint = "this line is not UTF-8 text", "save the file as UTF-8"
        else:
            hint = None
        return Diagnostic(
            "records.malformed", what.rstrip(".").lower() or "malformed line", Location(shown, line), hint
        )
    message = lines[0] if lines else "cannot read the file"
    message = re.sub(r"^[A-Za-z ]*Error: ", "", message)
    message = re.sub(r' in file "[^"]*"', "", message).rstrip(". ")
    message = message[:1].lower() + message[1:]
    return Diagnostic(
        "records.unreadable",
        f"cannot read the file as {file_format}: {message}",
        Location(shown, line),
        hint=None if found else "check that the file is complete and in the format its name says",
    )
