"""Decide every row of an export under two policies, with the audit's engines, and count
the pairs of results.

In: an `Export`, and for each side (before, after) the `Binding` of the export's columns
to that side's facts and its `Policy`; the engine's name (`duckdb` or `python`).
Out: `Pairs`: each side's distinct `RowResult`s, the rows by the pair of results they
get (and by their minutes cell), and the first rows of each pair; `example_cells`
gives the cells of a few rows by number.

DuckDB reads a CSV export once, keeping only the columns either side reads or an
example shows (as text, in a Parquet file), then decides each side as its audit does
(`duckdb_reading.decided_sql`, the unread cells left to the interpreter by
`unreadable`), staging each side's leaf in a Parquet file whose row numbers take no
thread; the two are joined by row number and grouped, so no row passes through Python. The Python engine reads the export once and decides
each distinct combination of cells of each side once (`python_audit.Results`).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from billability.audit.binding import Binding, bind
from billability.audit.dated_leaves import UNREAD, classes_of_readings
from billability.audit.duckdb_engine import MEMORY, STAGED_CELLS, STAGED_CLASSES
from billability.audit.duckdb_reading import FLAGGED, SCOPE, cell_text, cell_texts, class_column, decided_sql
from billability.audit.engines import PythonEngine
from billability.audit.export_text import TextCopy
from billability.audit.formats import Format
from billability.audit.python_audit import Results, with_problems
from billability.audit.reading_errors import located_error
from billability.audit.records import (
    Export,
    batches,
    bounded_connection,
    cell_sql,
    connect,
    quoted,
    reader_parameters,
    reader_sql,
    text_literal,
)
from billability.audit.results import RowResult
from billability.audit.unreadable import DKEY, LEAF, RESOLVED_LEAF, Source, diagnose, resolved_sql
from billability.model.diagnostics import Diagnostic, Location, Problems
from billability.policy.compiled import Policy

FIRST_ROWS = 5  # the example rows kept of each pair of results
STAGED_MINUTES = quoted("billability minutes")

Decider = tuple[Binding, Policy]


@dataclass(frozen=True, slots=True)
class Pairs:
    """Every row's result on each side: `results[side]` are the distinct results of a
    side (0 before, 1 after); `rows` counts the rows by (before id, after id, minutes
    cell, None without a minutes column); `first_rows` holds the first row numbers
    (from 1) of each (before id, after id), at most `FIRST_ROWS`; `cells` the cells of
    the first rows of each pair whose outcome changes, in the columns asked for."""

    results: tuple[tuple[RowResult, ...], tuple[RowResult, ...]]
    rows: dict[tuple[int, int, Any], int] = field(default_factory=dict)
    first_rows: dict[tuple[int, int], tuple[int, ...]] = field(default_factory=dict)
    cells: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def changed_rows(self) -> list[int]:
        """The first rows of the pairs whose outcome changes."""
        before, after = self.results
        return sorted(
            n
            for (old, new), numbers in self.first_rows.items()
            if before[old].outcome != after[new].outcome
            for n in numbers
        )


def decide_pairs(export: Export, sides: tuple[Decider, Decider], engine: str, columns: Sequence[str]) -> Pairs:
    """Every row of the export decided under both sides by `engine` (see the module
    docstring), with the cells in `columns` of the first rows that change outcome."""
    if engine == "duckdb":
        return _pairs_in_duckdb(export, sides, tuple(columns))
    pairs = _pairs_in_python(export, sides)
    return replace(pairs, cells=example_cells(export, pairs.changed_rows(), columns))


def _minutes_index(sides: tuple[Decider, Decider]) -> int | None:
    """The minutes column: the mapping is one file, read against each side's policy."""
    return sides[1][0].summary_indexes[0]


# --- the Python engine ----------------------------------------------------------------


def _pairs_in_python(export: Export, sides: tuple[Decider, Decider]) -> Pairs:
    known = [Results(binding, PythonEngine(policy)) for binding, policy in sides]
    keys_of = [_key_getter(binding.indexes) for binding, _ in sides]
    minutes_at = _minutes_index(sides)
    rows: Counter[tuple[int, int, Any]] = Counter()
    first_rows: dict[tuple[int, int], list[int]] = {}
    done = 0
    for batch in batches(export):
        ids: list[list[int]] = []
        for results, key_of in zip(known, keys_of, strict=True):
            keys = [key_of(row) for row in batch]
            results.forget_if_full()
            results.add(keys)
            ids.append([results.index[key] for key in keys])
        minutes = [row[minutes_at] for row in batch] if minutes_at is not None else [None] * len(batch)
        rows.update(zip(ids[0], ids[1], minutes, strict=True))
        for number, pair in enumerate(zip(ids[0], ids[1], strict=True), start=done + 1):
            found = first_rows.setdefault(pair, [])
            if len(found) < FIRST_ROWS:
                found.append(number)
        done += len(batch)
    return Pairs(
        (tuple(known[0].results), tuple(known[1].results)),
        dict(rows),
        {pair: tuple(numbers) for pair, numbers in first_rows.items()},
    )


def _key_getter(indexes: Sequence[int]) -> Any:
    """A function from a row to the tuple of its cells at `indexes` (always a tuple)."""
    return lambda row: tuple(row[i] for i in indexes)


# --- DuckDB ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _StagedSide:
    """One side staged and resolved: SQL giving each row's number (`r`), leaf, `DKEY`
    and, for the after side, minutes cell; its parameter; and what turns a (leaf, key)
    into a result."""

    sql: str
    parameter: str
    leaves: list[RowResult]
    diagnosis: Any
    known: Results


def _pairs_in_duckdb(export: Export, sides: tuple[Decider, Decider], columns: tuple[str, ...]) -> Pairs:
    taken = [c for c in export.columns if c.startswith("billability ")]
    if taken:
        raise Problems(
            [
                Diagnostic(
                    "records.column-taken",
                    f"the export has a column `{taken[0]}`; the DuckDB engine names its own columns so",
                    Location(export.shown, 1),
                    hint="rename that column, or decide with `--engine python`",
                )
            ]
        )
    try:
        with tempfile.TemporaryDirectory(prefix="billability-") as folder, bounded_connection(MEMORY) as connection:
            source, sides = _read_once(connection, export, sides, columns, Path(folder) / "cells.parquet")
            minutes_at = _minutes_index(sides)
            staged = [
                _staged_side(connection, source, decider, Path(folder) / f"side-{n}.parquet", minutes_at if n else None)
                for n, decider in enumerate(sides)
            ]
            before, after = staged
            sql = (
                f"SELECT a.leaf, a.k, b.leaf, b.k, b.m, count(*), min(r + 1, {FIRST_ROWS}) "
                f"FROM {before.sql} AS a JOIN {after.sql} AS b USING (r) GROUP BY ALL"
            )
            found = connection.execute(sql, [before.parameter, after.parameter]).fetchall()
            rows: Counter[tuple[int, int, Any]] = Counter()
            first_rows: dict[tuple[int, int], list[int]] = {}
            for leaf_before, key_before, leaf_after, key_after, minutes, count, firsts in found:
                pair = (_result_id(before, leaf_before, key_before), _result_id(after, leaf_after, key_after))
                rows[(*pair, minutes if minutes_at is not None else None)] += count
                first_rows.setdefault(pair, []).extend(firsts)
            pairs = Pairs(
                (tuple(before.known.results), tuple(after.known.results)),
                dict(rows),
                {pair: tuple(sorted(numbers)[:FIRST_ROWS]) for pair, numbers in first_rows.items()},
            )
            cells = _cells_in(connection, source, pairs.changed_rows(), columns)
    except (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException):
        raise  # a mistake of the query built here, not of the export
    except duckdb.Error as error:
        raise Problems([located_error(error, export.shown, export.format)]) from None
    return replace(pairs, cells=cells)


def _read_once(
    connection: duckdb.DuckDBPyConnection,
    export: Export,
    sides: tuple[Decider, Decider],
    columns: tuple[str, ...],
    narrow: Path,
) -> tuple[Export, tuple[Decider, Decider]]:
    """A CSV export's columns that either side reads or an example row shows, read once
    into a Parquet file (every cell text, as the CSV reading gives it), and each side
    bound to it: each side then reads only those columns, on every thread. Other
    formats are read as they are."""
    if export.format is not Format.CSV:
        return export, sides
    read = {*columns, *(c for binding, _ in sides for c in binding.mapping.columns)}
    needed = tuple(c for c in export.columns if c in read)
    cells = ", ".join(quoted(c) for c in needed) or "NULL"
    options = "(FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 20000)"
    connection.execute(
        f"COPY (SELECT {cells} FROM {reader_sql(export)}) TO {text_literal(str(narrow))} {options}",
        reader_parameters(export),
    )
    source = Export(export.path, Format.PARQUET, needed, ("VARCHAR",) * len(needed), copy=TextCopy(narrow))
    before, after = ((bind(binding.mapping, policy, needed), policy) for binding, policy in sides)
    return source, (before, after)


def _result_id(side: _StagedSide, leaf: int, key: int | None) -> int:
    """The id of a row's result from its resolved leaf and `DKEY` (None: no unread cell),
    as the audit's DuckDB engine counts it."""
    if key is None:
        return side.known.id_of(side.leaves[leaf])
    return side.known.id_of(with_problems(side.leaves[leaf], side.diagnosis.problems_of(key)))


def _staged_side(
    connection: duckdb.DuckDBPyConnection, export: Export, decider: Decider, staged: Path, minutes_at: int | None
) -> _StagedSide:
    """One side's rows read and decided on every thread into a Parquet file that keeps
    their order (as the audit stages them, without their cells), its unread cells read
    by the interpreter, and SQL resolving each row over the file."""
    binding, policy = decider
    query, leaves = decided_sql(export, binding, policy, numbered_rows=False)
    classes = classes_of_readings(binding, policy)
    width = len(classes)
    texts = cell_texts(export, binding)
    class_fields = [f"'c{n}': {quoted(class_column(n))}" for n in range(width)]
    cell_fields = [
        f"'k{n}': CASE WHEN {quoted(class_column(n))} = {UNREAD} THEN {text} END" for n, text in enumerate(texts)
    ]
    if binding.scope is not None:
        class_fields.append(f"'scope': {SCOPE}")
        cell_fields.append(f"'scope': CASE WHEN {SCOPE} = {UNREAD} THEN {cell_text(export, binding.scope.column)} END")
    class_struct = "{" + ", ".join(class_fields) + "}" if class_fields else "NULL"
    cell_struct = "{" + ", ".join(cell_fields) + "}" if cell_fields else "NULL"
    minutes = cell_sql(export, minutes_at) if minutes_at is not None else "NULL"
    select = (
        f"SELECT CASE WHEN {FLAGGED} THEN NULL ELSE {LEAF} END AS {LEAF}, "
        f"CASE WHEN {FLAGGED} THEN {class_struct} END AS {STAGED_CLASSES}, "
        f"CASE WHEN {FLAGGED} THEN {cell_struct} END AS {STAGED_CELLS}, "
        f"{minutes} AS {STAGED_MINUTES} FROM ({query})"
    )
    options = "(FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 20000)"
    connection.execute(f"COPY ({select}) TO {text_literal(str(staged))} {options}", reader_parameters(export))
    source = Source(
        "read_parquet(?, file_row_number = true)",
        [str(staged)],
        tuple(f"{STAGED_CLASSES}.c{n}" for n in range(width)),
        tuple(f"{STAGED_CELLS}.k{n}" for n in range(width)),
        f"{STAGED_CLASSES} IS NOT NULL",
        LEAF,
        *((f"{STAGED_CLASSES}.scope", f"{STAGED_CELLS}.scope") if binding.scope is not None else ()),
    )
    diagnosis = diagnose(connection, source, binding, classes)
    resolved = resolved_sql(source, diagnosis, policy, binding)
    sql = f"(SELECT file_row_number AS r, {RESOLVED_LEAF} AS leaf, {DKEY} AS k, {STAGED_MINUTES} AS m FROM {resolved})"
    return _StagedSide(sql, str(staged), leaves, diagnosis, Results(binding, PythonEngine(policy)))


# --- the cells of example rows --------------------------------------------------------


def example_cells(export: Export, numbers: Sequence[int], columns: Sequence[str]) -> dict[int, tuple[str, ...]]:
    """The cells in `columns` of the rows numbered `numbers` (from 1), as text ("" for a
    blank cell)."""
    connection = connect()
    try:
        return _cells_in(connection, export, numbers, columns)
    except duckdb.Error as error:
        raise Problems([located_error(error, export.shown, export.format)]) from None
    finally:
        connection.close()


def _cells_in(
    connection: duckdb.DuckDBPyConnection, export: Export, numbers: Sequence[int], columns: Sequence[str]
) -> dict[int, tuple[str, ...]]:
    if not numbers or not columns:
        return {n: () for n in numbers}
    cells = ", ".join(f"CAST({cell_sql(export, export.columns.index(c))} AS VARCHAR)" for c in columns)
    wanted = ", ".join(str(int(n)) for n in sorted(set(numbers)))
    if export.format is Format.PARQUET:
        # Parquet's own row numbers take every thread; numbering a text file's rows takes one.
        numbered = f"SELECT file_row_number + 1 AS r, {cells} FROM read_parquet(?, file_row_number = true)"
    else:
        numbered = f"SELECT row_number() OVER () AS r, {cells} FROM {reader_sql(export)}"
    sql = f"SELECT * FROM ({numbered}) WHERE r IN ({wanted}) ORDER BY r"
    found = connection.execute(sql, reader_parameters(export)).fetchall()
    by_number = {int(row[0]): tuple("" if cell is None else str(cell) for cell in row[1:]) for row in found}
    return {n: by_number.get(n, ()) for n in numbers}


def shown_columns(export: Export, mapped: Sequence[str]) -> tuple[str, ...]:
    """The columns an example row is shown by: those that name a row (an `id` column),
    then those the mapping reads, in the export's order."""
    ids = [c for c in export.columns if _names_a_row(c)]
    read = [c for c in export.columns if c in mapped and c not in ids]
    return (*ids, *read)


def _names_a_row(column: str) -> bool:
    words = column.lower().replace("-", "_").replace(" ", "_").split("_")
    return words[-1] in ("id", "number", "no") or column.lower() == "id"
