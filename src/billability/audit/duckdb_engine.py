"""Audit an export inside DuckDB: the mapping and the policy's compiled query run over
the file as DuckDB reads it, and DuckDB writes the output.

In: an `Export`, a `Binding` of its columns to the facts, the `Policy`, and maybe the
output file's path.
Out: the same `Summary` and the same output as `python_audit.audit` with the Python engine:
CSV and JSON Lines files equal byte for byte, Parquet files with the same columns,
types and rows.

How: each mapped cell becomes its class (`duckdb_reading`: one CASE from the export's codes
to the position of the fact's class), and the policy's compiled walk of its decision
diagram (`sql_walk.leaf_number`) turns the classes into a leaf. Passes on every thread:

1. `_stage`: read and decide every row into a Parquet file beside the target, in order:
   the row's cells made one line of CSV or JSON text (its cells themselves for Parquet
   output), its leaf, its summary cells, and for a flagged row (below) its classes and
   the cells the SQL could not read;
2. `diagnose`: each distinct cell the SQL could not read, per fact, read once by the
   interpreter (`binding.Binding.facts`): the class it reads as, or its problem;
3. `_count`: the rows by result and minutes, and by outcome, staff and program;
4. `_write`: every row, numbered by Parquet's own row numbers, with the words of its
   result as the Python engine's writer words them (`results.rendered_tail`).

Numbering rows in the order of a CSV file would take DuckDB one thread; the staged
file's row numbers take none. Without an output file, the rows are diagnosed and
counted straight from the export.

A row the SQL reading cannot take exactly as `binding.Binding.facts` takes it is
flagged: a cell that is not a code of the mapping as SQL can match it (codes are
matched lowered when ASCII, `duckdb_reading`), a value out of range, a cell with other
whitespace around it than Python strips, a column of a type whose text Python writes
differently, a service or discharge date SQL cannot read (the pair of them is read
together), a scope cell SQL cannot place. A row out of the mapping's scope is never
flagged: it is `not_audited`. The interpreter's reading of each distinct unreadable
cell (or pair of dates, or scope cell) is joined back (`unreadable.resolved_sql`: a
map from the cell's text, as large as the distinct cells, not the rows): a cell it
reads gives its class, one it cannot counts as blank. The row's leaf then decides it,
and its problems are the interpreter's own, each an error when the leaf misses a fact
the cell feeds (the row is invalid) or else a warning, as `python_audit.with_problems` says;
so the results, diagnostics and hints are the Python engine's by construction, with no
Python call per row.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from billability.audit.binding import Binding
from billability.audit.dated_leaves import UNREAD, DateDiagnosis, classes_of_readings, date_cell, diagnose_dates
from billability.audit.duckdb_progress import run_statement, scaled
from billability.audit.duckdb_reading import (
    FLAGGED,
    ROW,
    SCOPE,
    VERSION,
    cell_text,
    cell_texts,
    class_column,
    decided_sql,
)
from billability.audit.engines import PythonEngine
from billability.audit.formats import Format
from billability.audit.outcomes import INVALID
from billability.audit.python_audit import FIRST_INVALID_ROWS, Results, with_problems
from billability.audit.reading_errors import located_error
from billability.audit.records import (
    Export,
    bounded_connection,
    cell_sql,
    line_sql,
    quoted,
    reader_parameters,
    text_literal,
)
from billability.audit.results import (
    BOM,
    OUTPUT_COLUMNS,
    OUTPUT_TYPES,
    RowResult,
    header_line,
    output_format,
    temporary_beside,
)
from billability.audit.summary import Counts, Summary, summarize
from billability.audit.unreadable import (
    DKEY,
    INVALID_ROW,
    LEAF,
    RESOLVED_LEAF,
    UNDATED,
    Diagnosis,
    Source,
    diagnose,
    resolved_sql,
    words_sql,
)
from billability.model.diagnostics import Diagnostic, Location, Problems
from billability.policy.compiled import Policy

MEMORY = "512MB"
STAGED_LINE = quoted("billability line")
STAGED_CELLS = quoted("billability cells")
STAGED_CLASSES = quoted("billability classes")
STAGED_SUMMARY = tuple(quoted(f"billability {role}") for role in ("minutes", "staff", "program"))
ENGINE_NAME = "duckdb"


def audit_in_duckdb(
    export: Export,
    binding: Binding,
    versions: Policy | Sequence[Policy],
    target: Path | None = None,
    progress: Callable[[float], None] | None = None,
    bom: bool = False,
) -> Summary:
    """Decide every row of the export inside DuckDB (see the module docstring);
    `progress` is told the share of the work done, from 0 to 1; with `bom` a CSV
    output starts with a byte order mark. With a service date, `versions` are the
    versions of the policy it picks from, oldest first (`dated_leaves`)."""
    versions = [versions] if isinstance(versions, Policy) else list(versions)
    policy = versions[-1]
    taken = [c for c in export.columns if c.startswith("billability ")]
    if taken:
        raise Problems(
            [
                Diagnostic(
                    "records.column-taken",
                    f"the export has a column `{taken[0]}`; the DuckDB engine names its own columns so",
                    Location(export.shown, 1),
                    hint="rename that column, or audit with `--engine python`",
                )
            ]
        )
    query, leaves = decided_sql(export, binding, versions, numbered_rows=False)
    classes = classes_of_readings(binding, versions)
    width = len(classes)
    known = Results(binding, [PythonEngine(policy)])
    dated = binding.dated is not None
    version_of = (VERSION, date_cell(binding, export)) if dated else ("0", "NULL")
    # Positional after the scope's two fields, which a source without a scope leaves as they are.
    dated_by = (*(() if binding.scope is not None else (None, "NULL")), *version_of)
    made: list[Path] = []
    texts = cell_texts(export, binding)
    summary = [cell_sql(export, i) if i is not None else "NULL" for i in binding.summary_indexes]
    direct = tuple(
        f"CASE WHEN {FLAGGED} AND {quoted(class_column(n))} = {UNREAD} THEN {text} END" for n, text in enumerate(texts)
    )
    class_columns = tuple(quoted(class_column(n)) for n in range(width))
    scoped = binding.scope is not None
    scope: tuple[str, str] | None = None
    if binding.scope is not None:
        scope = (SCOPE, f"CASE WHEN {SCOPE} = {UNREAD} THEN {cell_text(export, binding.scope.column)} END")
    scope_of = scope or ()
    try:
        with bounded_connection(MEMORY) as connection:
            if target is None:
                source = Source(
                    f"({query})", reader_parameters(export), class_columns, direct, FLAGGED, LEAF, *scope_of, *dated_by
                )
                diagnosis = diagnose(connection, source, binding, classes)
                dates = _dates(connection, source, binding)
                leaves = [*leaves, *dates.leaves()]
                resolved = resolved_sql(source, diagnosis, versions, binding, dates)
                table: tuple[str, list[Any], str | None] = (resolved, reader_parameters(export), None)
                counts, rows, invalid = _count(connection, table, summary, known, leaves, diagnosis, progress)
                first_invalid = []
                if invalid:
                    numbered, _ = decided_sql(export, binding, versions, numbered_rows=True)
                    at = Source(
                        f"({numbered})",
                        reader_parameters(export),
                        class_columns,
                        direct,
                        FLAGGED,
                        LEAF,
                        *scope_of,
                        *dated_by,
                    )
                    resolved_at = resolved_sql(at, diagnosis, versions, binding, dates)
                    first_invalid = _first_invalid(connection, resolved_at, at)
            else:
                file_format = output_format(target)
                staged = temporary_beside(target, ".parquet.part")
                made.append(staged)
                unread = (direct, scope, version_of if dated else None)
                _stage(connection, query, export, (unread, *summary), file_format, staged, scaled(progress, 0, 0.6))
                mapped = [name if sql != "NULL" else "NULL" for name, sql in zip(STAGED_SUMMARY, summary, strict=True)]
                source = Source(
                    "read_parquet(?, file_row_number = true)",
                    [str(staged)],
                    tuple(f"{STAGED_CLASSES}.c{n}" for n in range(width)),
                    tuple(f"{STAGED_CELLS}.k{n}" for n in range(width)),
                    f"{STAGED_CLASSES} IS NOT NULL",
                    LEAF,
                    scope=f"{STAGED_CLASSES}.scope" if scoped else None,
                    scope_unread=f"{STAGED_CELLS}.scope" if scoped else "NULL",
                    version=f"{STAGED_CLASSES}.version" if dated else "0",
                    version_cell=f"{STAGED_CELLS}.version" if dated else "NULL",
                )
                diagnosis = diagnose(connection, source, binding, classes)
                dates = _dates(connection, source, binding)
                leaves = [*leaves, *dates.leaves()]
                resolved = resolved_sql(source, diagnosis, versions, binding, dates)
                table = (resolved, [str(staged)], "file_row_number + 1")
                counts, rows, invalid = _count(connection, table, mapped, known, leaves, diagnosis, None)
                first_invalid = sorted(row for found in invalid.values() for row in found)
                part = temporary_beside(target, ".part")
                made.append(part)
                into = (resolved, staged, part, file_format)
                words = (leaves, diagnosis)
                _write(connection, into, export, policy, words, scaled(progress, 0.6, 0.4), bom)
                os.replace(part, target)
            invalid_rows = tuple(sorted(first_invalid)[:FIRST_INVALID_ROWS])
    except (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException):
        raise  # a mistake of the query built here, not of the export
    except duckdb.Error as error:
        raise Problems([located_error(error, export.shown, export.format)]) from None
    finally:
        for path in made:
            path.unlink(missing_ok=True)
    return summarize(export, binding, policy, ENGINE_NAME, known.results, counts, rows, invalid_rows)


def _flagged_ids(known: Results, leaves: list[RowResult], diagnosis: Diagnosis) -> Callable[[int, int], int]:
    """The result id of a flagged row from its resolved leaf and `DKEY`: the leaf's
    result with the problems of its unreadable cells (`python_audit.with_problems`), each
    made once."""
    found: dict[tuple[int, int], int] = {}

    def result_id(leaf: int, key: int) -> int:
        if (leaf, key) not in found:
            found[leaf, key] = known.id_of(with_problems(leaves[leaf], diagnosis.problems_of(key)))
        return found[leaf, key]

    return result_id


def _count(
    connection: duckdb.DuckDBPyConnection,
    table: tuple[str, list[Any], str | None],
    summary: list[str],
    known: Results,
    leaves: list[RowResult],
    diagnosis: Diagnosis,
    progress: Callable[[float], None] | None,
) -> tuple[Counts, int, dict[tuple[int, int], list[int]]]:
    """Rows by result and minutes cell, and by outcome, staff and program cells
    (`summary.Counts`), on every thread, from a resolved table (`resolved_sql`), its
    parameters and the SQL of its rows' numbers (None: not numbered). Also the
    invalid flagged rows' kinds (leaf and `DKEY`), each with its first row numbers
    when the rows are numbered; `flagged` is given each flagged kind's result id."""
    resolved, parameters, row = table
    minutes, staff, program = summary
    by_group = (staff, program) != ("NULL", "NULL")
    outcomes = "[" + ", ".join(text_literal(result.outcome) for result in leaves) + "]"
    first = f"CASE WHEN {DKEY} IS NOT NULL OR {UNDATED} THEN {row} END" if row else "NULL"
    outcome = (
        f"CASE WHEN {DKEY} IS NOT NULL AND {INVALID_ROW} THEN {text_literal(INVALID)} "
        f"ELSE {outcomes}[{RESOLVED_LEAF} + 1] END"
    )
    inner = f"SELECT {RESOLVED_LEAF}, {outcome}, {DKEY}, {minutes}, {staff}, {program}, {first} FROM {resolved}"
    firsts = f"min(r, {FIRST_INVALID_ROWS})" if row else "NULL"
    if by_group:
        chosen, sets = "leaf, o, k, m, s, p, GROUPING(m)", "GROUPING SETS ((leaf, k, m), (o, s, p))"
    else:
        chosen, sets = "leaf, NULL, k, m, NULL, NULL, 0", "leaf, k, m"
    sql = f"SELECT {chosen}, count(*), {firsts} FROM ({inner}) AS t(leaf, o, k, m, s, p, r) GROUP BY {sets}"
    found = run_statement(connection, sql, parameters, progress).fetchall()
    flagged_id = _flagged_ids(known, leaves, diagnosis)
    counts = Counts()
    ids: dict[int, int] = {}
    invalid: dict[tuple[int, int], list[int]] = {}
    rows = 0
    for leaf, outcome, key, minute, staff_cell, program_cell, in_groups, number, firsts in found:
        if in_groups:
            counts.groups[(outcome, staff_cell, program_cell)] += number
            continue
        if key is not None:
            found_id = flagged_id(leaf, key)
        else:
            if leaf not in ids:
                ids[leaf] = known.id_of(leaves[leaf])
            found_id = ids[leaf]
        if known.outcomes[found_id] == INVALID:
            invalid.setdefault((leaf, key), []).extend(r for r in firsts or () if r is not None)
        counts.rows[(found_id, minute if minutes != "NULL" else None)] += number
        rows += number
    return counts, rows, invalid


def _stage(
    connection: duckdb.DuckDBPyConnection,
    query: str,
    export: Export,
    columns: tuple[Any, ...],
    file_format: Format,
    staged: Path,
    progress: Callable[[float], None] | None,
) -> None:
    """Read and decide every row on every thread into a Parquet file that keeps their
    order: the row's own cells (made one line of CSV or JSON text when the output is
    text), its leaf, and when flagged its classes and the cells the SQL could not read,
    and its summary cells."""
    (unread, scope, version), minutes, staff, program = columns
    if file_format is Format.PARQUET:
        payload = ", ".join(quoted(c) for c in export.columns)
    else:
        line_format = Format.CSV if file_format is Format.CSV else Format.JSONL
        payload = f"{line_sql(export.columns, line_format)} AS {STAGED_LINE}"
    class_fields = [f"'c{n}': {quoted(class_column(n))}" for n in range(len(unread))]
    cell_fields = [f"'k{n}': {sql}" for n, sql in enumerate(unread)]
    if scope is not None:
        class_fields.append(f"'scope': {scope[0]}")
        cell_fields.append(f"'scope': {scope[1]}")
    if version is not None:
        class_fields.append(f"'version': {version[0]}")
        cell_fields.append(f"'version': CASE WHEN {version[0]} = {UNREAD} THEN {version[1]} END")
    classes = "{" + ", ".join(class_fields) + "}" if class_fields else "NULL"
    cells = "{" + ", ".join(cell_fields) + "}" if cell_fields else "NULL"
    select = (
        f"SELECT {payload}, CASE WHEN {FLAGGED} THEN NULL ELSE {LEAF} END AS {LEAF}, "
        f"CASE WHEN {FLAGGED} THEN {classes} END AS {STAGED_CLASSES}, "
        f"CASE WHEN {FLAGGED} THEN {cells} END AS {STAGED_CELLS}, "
        + ", ".join(f"{sql} AS {name}" for sql, name in zip((minutes, staff, program), STAGED_SUMMARY, strict=True))
        + f" FROM ({query})"
    )
    # Uncompressed, as the file lives for one run; small row groups, which DuckDB writes in
    # order while holding few of them in memory.
    options = "(FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 20000)"
    run_statement(
        connection, f"COPY ({select}) TO {text_literal(str(staged))} {options}", reader_parameters(export), progress
    )


def _write(
    connection: duckdb.DuckDBPyConnection,
    into: tuple[str, Path, Path, Format],
    export: Export,
    policy: Policy,
    words_from: tuple[list[RowResult], Diagnosis],
    progress: Callable[[float], None] | None,
    bom: bool = False,
) -> None:
    """Every staged row, in order and numbered (Parquet's own row numbers, so on every
    thread), into a file in a format, with the words of its result (`words_sql`). With
    `bom`, a CSV file starts with a byte order mark (the first character of its header)."""
    resolved, staged, part, file_format = into
    leaves, diagnosis = words_from
    line_format = Format.CSV if file_format is Format.CSV else Format.JSONL
    row = "(file_row_number + 1)"
    words = words_sql(policy, leaves, diagnosis, line_format)
    rows = resolved
    if file_format is Format.PARQUET:
        struct = "STRUCT(" + ", ".join(f"{quoted(name)} {OUTPUT_TYPES[name]}" for name in OUTPUT_COLUMNS[1:]) + ")"
        inputs = ", ".join(quoted(c) for c in export.columns)
        fields = ", ".join(f"w.{name}" for name in OUTPUT_COLUMNS[1:])
        decided = f"CAST(CAST('{{' || substr({words}, 2) AS JSON) AS {struct})"
        select = f"SELECT {inputs}, {row} AS row, {fields} FROM (SELECT *, {decided} AS w FROM {rows})"
        options = "(FORMAT parquet)"
    else:
        line = STAGED_LINE
        if line_format is Format.CSV:
            text = f"{line} || ',' || {row} || {words}"
            header = quoted((BOM if bom else "") + header_line(export.columns))
        else:
            text = f"""substr({line}, 1, length({line}) - 1) || ',"row":' || {row} || {words}"""
            header = quoted("line")
        select = f"SELECT {text} AS {header} FROM {rows}"
        options = f"(FORMAT csv, HEADER {'true' if line_format is Format.CSV else 'false'}, QUOTE '', ESCAPE '')"
    run_statement(connection, f"COPY ({select}) TO {text_literal(str(part))} {options}", [str(staged)], progress)


def _dates(connection: duckdb.DuckDBPyConnection, source: Source, binding: Binding) -> DateDiagnosis:
    """Each service date of the source the SQL could not place, read by the interpreter."""
    where = (source.version, source.version_cell, source.flagged)
    return diagnose_dates(connection, source.table, source.parameters, where, binding)


def _first_invalid(connection: duckdb.DuckDBPyConnection, resolved: str, source: Source) -> list[int]:
    """The numbers of the first invalid rows of a numbered, resolved export."""
    sql = (
        f"SELECT {ROW} FROM {resolved} WHERE ({DKEY} IS NOT NULL AND {INVALID_ROW}) OR {UNDATED} "
        f"ORDER BY {ROW} LIMIT {FIRST_INVALID_ROWS}"
    )
    return [row for (row,) in connection.execute(sql, source.parameters).fetchall()]
