"""One way to run a query on each database the policy's SQL is written for: DuckDB,
SQLite (Python's sqlite3), PostgreSQL and Spark.

In: a table's name and its rows of text cells (None for SQL NULL), or a CSV export read
as text (every cell text, an empty cell NULL); then a query.
Out: the query's rows as dicts, column by column in the query's order, a list column
(`rules`, `reasons`, `missing`, `problems`) as a Python list: an array in DuckDB,
PostgreSQL and Spark, JSON text in SQLite (a JSON array of strings).

Every table's columns are text, so that a cell reaches the query exactly as the export
wrote it: padded, in any case, with tabs or non-breaking spaces, or blank.

Also the one way the query's words differ from the audit's: a database cannot guess a
close code or value (`did you mean ...?`), so the query gives the hint the audit gives
when none is close (`query_hint` for a problem, `query_words` for a CSV cell of them).
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import duckdb

from billability.audit.binding import RowProblem
from billability.audit.results import LIST_SEPARATOR
from billability.model.diagnostics import one_of
from billability.policy.compiled import Policy

LIST_COLUMNS = frozenset({"rules", "reasons", "missing", "problems"})
ENGINES = ("duckdb", "sqlite", "postgres", "spark")

Cells = Sequence[str | None]


def query_hint(problem: RowProblem, policy: Policy) -> RowProblem:
    """The problem as the query words it: the audit's "did you mean" hint, which a
    database cannot compute, becomes the hint the audit gives when nothing is close."""
    if not (problem.hint or "").startswith("did you mean"):
        return problem
    fact = problem.facts[0]
    if problem.code == "record.unknown-code":
        return replace(problem, hint=f"add it under `codes:` of `{fact}` in the mapping")
    return replace(problem, hint=one_of(policy.fact_index[fact].value_names))


_HINT = re.compile(r" \(did you mean `[^`]*`\?\)\Z")
_CODE_OF = re.compile(r"is not a code the mapping gives for `([^`]*)`\Z")
_VALUE_OF = re.compile(r"is not a value of `([^`]*)`\Z")
_PROBLEM_START = re.compile(r";(?=(?:error|warning)\[)")


def _query_words(problem: str, policy: Policy) -> str:
    found = _HINT.search(problem)
    if found is None:
        return problem
    said = problem[: found.start()]
    code = _CODE_OF.search(said)
    if code is not None:
        return f"{said} (add it under `codes:` of `{code.group(1)}` in the mapping)"
    value = _VALUE_OF.search(said)
    assert value is not None, problem
    return f"{said} ({one_of(policy.fact_index[value.group(1)].value_names)})"


def query_words(problems: str, policy: Policy) -> str:
    """An audit CSV's `problems` cell with each problem as the query words it (`query_hint`)."""
    items = _PROBLEM_START.split(problems) if problems else []
    return LIST_SEPARATOR.join(_query_words(item, policy) for item in items)


def quoted(name: str) -> str:
    """A column or table name quoted as DuckDB, SQLite and PostgreSQL read it."""
    return '"' + name.replace('"', '""') + '"'


def read_csv_text(path: Path) -> tuple[list[str], list[list[str | None]]]:
    """A CSV export's columns and rows, every cell text as written, an empty cell None
    (as `billability audit` reads an empty cell: no value)."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file)
        columns = next(reader)
        rows = [[cell if cell != "" else None for cell in row] for row in reader]
    return columns, rows


def csv_cell(value: Any) -> str:
    """A cell of the query's result as the audit's CSV writes it: a list joined with `;`,
    NULL as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    return str(value)


class SqlEngine(Protocol):
    """A database the policy's query runs on, by its dialect's name."""

    dialect: str

    def load(self, table: str, columns: Sequence[str], rows: Sequence[Cells]) -> None:
        """Make (or replace) a table of text columns holding the rows."""
        ...

    def run(self, query: str) -> list[dict[str, Any]]:
        """The query's rows, list columns as Python lists."""
        ...


def load_csv(engine: SqlEngine, table: str, path: Path) -> list[str]:
    """A CSV export as a table of text columns (see `read_csv_text`); its columns."""
    columns, rows = read_csv_text(path)
    engine.load(table, columns, rows)
    return columns


def _lists(row: dict[str, Any]) -> dict[str, Any]:
    return {name: list(value) if name in LIST_COLUMNS and value is not None else value for name, value in row.items()}


def _write_json_lines(path: Path, columns: Sequence[str], rows: Sequence[Cells]) -> None:
    with path.open("w", encoding="utf-8") as lines:
        for row in rows:
            lines.write(json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False) + "\n")


class DuckDB:
    dialect = "duckdb"

    def __init__(self) -> None:
        self.connection = duckdb.connect()

    def load(self, table: str, columns: Sequence[str], rows: Sequence[Cells]) -> None:
        types = {name: "VARCHAR" for name in columns}
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "rows.jsonl"
            _write_json_lines(path, columns, rows)
            self.connection.execute(
                f"CREATE OR REPLACE TABLE {quoted(table)} AS "
                "SELECT * FROM read_json(?, format = 'newline_delimited', columns = ?)",
                [str(path), types],
            )

    def run(self, query: str) -> list[dict[str, Any]]:
        found = self.connection.execute(query)
        names = [column[0] for column in found.description or ()]
        return [_lists(dict(zip(names, row, strict=True))) for row in found.fetchall()]

    def close(self) -> None:
        self.connection.close()


class SQLite:
    dialect = "sqlite"

    def __init__(self) -> None:
        self.connection = sqlite3.connect(":memory:")

    def load(self, table: str, columns: Sequence[str], rows: Sequence[Cells]) -> None:
        self.connection.execute(f"DROP TABLE IF EXISTS {quoted(table)}")
        self.connection.execute(f"CREATE TABLE {quoted(table)} ({', '.join(f'{quoted(c)} TEXT' for c in columns)})")
        marks = ", ".join("?" for _ in columns)
        self.connection.executemany(f"INSERT INTO {quoted(table)} VALUES ({marks})", rows)

    def run(self, query: str) -> list[dict[str, Any]]:
        found = self.connection.execute(query)
        names = [column[0] for column in found.description or ()]
        made = []
        for row in found.fetchall():
            cells = dict(zip(names, row, strict=True))
            for name in LIST_COLUMNS & cells.keys():
                if isinstance(cells[name], str):
                    cells[name] = json.loads(cells[name])
            made.append(cells)
        return made

    def close(self) -> None:
        self.connection.close()


class PostgreSQL:
    dialect = "postgres"

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def load(self, table: str, columns: Sequence[str], rows: Sequence[Cells]) -> None:
        # Made and filled in one transaction, the table is written page after page in the
        # rows' order (PostgreSQL then puts no row in the room an earlier page has left),
        # so that a scan reads the rows in their order, as the export lists them.
        with self.connection.transaction(), self.connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {quoted(table)}")
            cursor.execute(f"CREATE TABLE {quoted(table)} ({', '.join(f'{quoted(c)} TEXT' for c in columns)})")
            with cursor.copy(f"COPY {quoted(table)} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def run(self, query: str) -> list[dict[str, Any]]:
        with self.connection.cursor() as cursor:
            cursor.execute(query)
            names = [column.name for column in cursor.description or ()]
            return [_lists(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]

    def close(self) -> None:
        pass  # the session's connection stays open for the next test


class Spark:
    dialect = "spark"

    def __init__(self, session: Any, folder: Path) -> None:
        self.session = session
        self.folder = folder
        self.loaded = 0

    def load(self, table: str, columns: Sequence[str], rows: Sequence[Cells]) -> None:
        self.loaded += 1
        path = self.folder / f"{table}-{self.loaded}.jsonl"
        _write_json_lines(path, columns, rows)
        schema = ", ".join(f"`{name.replace('`', '``')}` STRING" for name in columns)
        frame = self.session.read.schema(schema).option("mode", "FAILFAST").json(str(path))
        frame.createOrReplaceTempView(table)

    def run(self, query: str) -> list[dict[str, Any]]:
        return [_lists(row.asDict()) for row in self.session.sql(query).collect()]

    def close(self) -> None:
        pass
