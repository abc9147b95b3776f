"""Read an export of service records, one service a row, in batches.

In: the path of a CSV, JSON Lines or Parquet file (the format from its extension, or
given), read with DuckDB; for a text file, maybe its encoding (any Python knows; UTF-8
by default, a byte order mark accepted) and, for CSV, the character between cells.
Out: an `Export`: its columns in file order with their types, and `batches(export)`,
an iterator of lists of row tuples in file order, so that memory does not grow with
the file. A CSV file is read with every column as text, so that codes such as `007`
are never reinterpreted; a JSON Lines column whose values differ in kind anywhere in
the file (`true` and `"true"`, `12` and `""`) is read as JSON, and its cells as the
text they hold (`cell_sql`), so that a value means the same as text or as a literal.
An unreadable file, an unknown format, a malformed line or a
byte that is not text in the file's encoding raises `Problems` located at `file:line`.

DuckDB reads UTF-8 alone: a file in another encoding is copied as UTF-8 into a
temporary file first (streamed, so memory does not grow with it), removed when the
export is closed, or at the latest when the program ends.
"""

from __future__ import annotations

import codecs
import csv
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from billability.audit.export_text import (
    UTF8,
    TextCopy,
    copied_as_utf8,
    header_lines,
)
from billability.audit.formats import Format, format_of
from billability.audit.reading_errors import located_error
from billability.model.diagnostics import Diagnostic, Location, Problems
from billability.model.resources import shown_path

BATCH_ROWS = 20_000


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
    """A file of service records: where it is, how it is read, and its columns in order.

    `copy` is the file copied as UTF-8 when it is in another encoding: DuckDB reads it
    instead (`reader_parameters`); the diagnostics name `path`. `close` removes it."""

    path: Path
    format: Format
    columns: tuple[str, ...]
    types: tuple[str, ...]
    delimiter: str = ","
    encoding: str = UTF8
    copy: TextCopy | None = field(default=None, compare=False, repr=False)

    @property
    def shown(self) -> str:
        return shown_path(self.path)

    @property
    def read_from(self) -> Path:
        """The file DuckDB reads: the export, or its UTF-8 copy."""
        return self.copy.path if self.copy is not None else self.path

    def close(self) -> None:
        """Remove the UTF-8 copy, if any; the export cannot be read after."""
        if self.copy is not None:
            self.copy.remove()

    def __enter__(self) -> Export:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()


def open_export(
    path: Path, given_format: str | None = None, encoding: str | None = None, delimiter: str | None = None
) -> Export:
    """The export at `path`, its columns read; raises `Problems` when it cannot be read.
    `encoding` is the text's (default UTF-8), `delimiter` the character between the
    cells of a CSV file (default a comma; `tab` or `\\t` for a tab)."""
    shown = shown_path(path)
    file_format = format_of(path, given_format)
    codec = codec_of(encoding, file_format)
    separator = delimiter_of(delimiter, file_format)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise Problems([Diagnostic("file.unreadable", f"the file {what}", Location(shown))])
    copy = copied_as_utf8(path, codec) if codec not in (UTF8, "utf-8-sig") else None
    try:
        read_from = copy.path if copy is not None else path
        if file_format is Format.CSV:
            columns = _csv_header(read_from, shown, separator, codec)
            return Export(path, file_format, columns, ("VARCHAR",) * len(columns), separator, codec, copy)
        connection = connect()
        try:
            sampled = "read_json(?, format = 'auto')" if file_format is Format.JSONL else _reader(file_format)
            described = connection.execute(f"DESCRIBE SELECT * FROM {sampled}", [str(read_from)]).fetchall()
            columns, types = tuple(str(r[0]) for r in described), tuple(str(r[1]) for r in described)
            if file_format is Format.JSONL:
                types = _json_types(connection, read_from, columns, types)
        except duckdb.Error as error:
            raise Problems([located_error(error, shown, file_format)]) from None
        finally:
            connection.close()
    except BaseException:
        if copy is not None:
            copy.remove()
        raise
    return Export(path, file_format, columns, types, separator, codec, copy)


# The kinds DuckDB may give a JSON Lines column from its first lines, that a later value
# of another kind (`""` among numbers, say) would make it fail to read.
_JSON_SCALARS = frozenset(
    {"BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UBIGINT", "HUGEINT", "DOUBLE", "FLOAT", "DATE", "TIME",
     "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "UUID"}
)  # fmt: skip


def _json_types(
    connection: duckdb.DuckDBPyConnection, read_from: Path, columns: tuple[str, ...], types: tuple[str, ...]
) -> tuple[str, ...]:
    """The types of a JSON Lines file's columns, every line considered: DuckDB types a
    column from its first lines, and a column that holds a later value of another kind
    (one its type cannot take) is JSON instead, read as `cell_sql` reads it. One pass
    over the file, only when a column has such a type."""
    checked = [i for i, kind in enumerate(types) if kind in _JSON_SCALARS]
    if not checked:
        return types
    tests = []
    for i in checked:
        column = quoted(columns[i])
        text = f"CASE json_type({column}) WHEN 'VARCHAR' THEN {column} ->> '$' ELSE CAST({column} AS VARCHAR) END"
        tests.append(
            f"coalesce(bool_or(json_type({column}) <> 'NULL' AND TRY_CAST({text} AS {types[i]}) IS NULL), false)"
        )
    raw = {columns[i]: "JSON" for i in checked}  # the other keys are not read
    found = connection.execute(f"SELECT {', '.join(tests)} FROM {_reader(Format.JSONL)}", [str(read_from), raw])
    mixed = {i for i, other in zip(checked, found.fetchone() or (), strict=True) if other}
    return tuple("JSON" if i in mixed else kind for i, kind in enumerate(types))


def codec_of(encoding: str | None, file_format: Format) -> str:
    """Python's name of an encoding given by the user (UTF-8 when none is given)."""
    if encoding is None:
        return UTF8
    where = Location(f"option --encoding `{encoding}`")
    if file_format is Format.PARQUET:
        raise Problems(
            [
                Diagnostic(
                    "records.encoding", "a Parquet file has no text encoding to give", where, "leave out `--encoding`"
                )
            ]
        )
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise Problems(
            [
                Diagnostic(
                    "records.encoding",
                    f"`{encoding}` is not a text encoding",
                    where,
                    "give one such as `utf-8`, `cp1252`, `latin-1` or `utf-16`",
                )
            ]
        )
    return info.name


def delimiter_of(delimiter: str | None, file_format: Format) -> str:
    """The character between the cells of a CSV file, as the user gives it."""
    if delimiter is None:
        return ","
    where = Location(f"option --delimiter `{delimiter}`")
    if file_format is not Format.CSV:
        raise Problems(
            [
                Diagnostic(
                    "records.delimiter",
                    f"a {file_format} file has no delimiter to give",
                    where,
                    "leave out `--delimiter`",
                )
            ]
        )
    character = "\t" if delimiter in ("tab", "\\t") else delimiter
    if len(character) != 1 or character in '"\r\n':
        raise Problems(
            [
                Diagnostic(
                    "records.delimiter",
                    "the delimiter is one character, not a quote or a line break",
                    where,
                    "give one such as `;`, `|` or `tab`",
                )
            ]
        )
    return character


def _csv_header(path: Path, shown: str, delimiter: str = ",", codec: str = UTF8) -> tuple[str, ...]:
    """The header of a CSV file, read by Python's csv module: DuckDB would rename
    duplicate or blank names, and the output must repeat the columns as they are."""
    try:
        header = next(csv.reader(header_lines(path, shown, codec), delimiter=delimiter), None)
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
    """The DuckDB table function that reads a format; its path is the first parameter
    (for CSV, the columns' types and the delimiter follow; for JSON Lines, the types)."""
    if file_format is Format.CSV:
        # No sniffing: the dialect is fixed and every column is text.
        return (
            "read_csv(?, columns = ?, header = true, auto_detect = false, delim = ?, quote = '\"', "
            "escape = '\"', strict_mode = true, encoding = 'utf-8')"
        )
    if file_format is Format.JSONL:
        return "read_json(?, format = 'auto', columns = ?)"
    return "read_parquet(?)"


def batches(
    export: Export, size: int = BATCH_ROWS, as_line: Sequence[int] | None = None, line_format: Format = Format.CSV
) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of the export in file order, `size` at a time; a malformed line raises
    `Problems` located at `file:line` when the reading reaches it.

    With `as_line`, each row is instead its cells as one line of text (`line_sql`), then
    the cells at those positions: DuckDB writes the text, so the cells no other stage
    reads never become Python values. The cells are read as the mapping reads them
    (`cell_sql`)."""
    connection = connect()
    names = ", ".join(cell_sql(export, i) for i in range(len(export.columns)))
    if as_line is not None:
        names = ", ".join([line_sql(export.columns, line_format), *(cell_sql(export, i) for i in as_line)])
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
    parameters: list[Any] = [str(export.read_from)]
    if export.format is Format.CSV:
        parameters += [dict.fromkeys(export.columns, "VARCHAR"), export.delimiter]
    elif export.format is Format.JSONL:
        parameters.append(dict(zip(export.columns, export.types, strict=True)))
    return parameters


def cell_sql(export: Export, index: int) -> str:
    """SQL for a cell as the mapping reads it: the column's own value, or for a JSON
    column (JSON Lines whose values in one column differ in kind) the value as text,
    so that `"true"` reads as `true` and `"12"` as `12`, and a whole number as its digits."""
    column = quoted(export.columns[index])
    if export.types[index] != "JSON":
        return column
    return (
        f"CASE json_type({column}) WHEN 'VARCHAR' THEN {column} ->> '$' "
        f"WHEN 'DOUBLE' THEN CASE WHEN CAST({column} AS DOUBLE) = trunc(CAST({column} AS DOUBLE)) "
        f"AND abs(CAST({column} AS DOUBLE)) < 1e15 THEN CAST(CAST(CAST({column} AS DOUBLE) AS BIGINT) AS VARCHAR) "
        f"ELSE CAST({column} AS VARCHAR) END "
        f"ELSE CAST({column} AS VARCHAR) END"
    )


def cell_type(export: Export, index: int) -> str:
    """The type of a cell as `cell_sql` reads it."""
    kind = export.types[index]
    return "VARCHAR" if kind == "JSON" else kind


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
