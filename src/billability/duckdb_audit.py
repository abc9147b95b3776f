"""Audit an export inside DuckDB: the mapping and the policy's compiled query run over
the file as DuckDB reads it, and DuckDB writes the output.

In: an `Export`, a `Binding` of its columns to the facts, the `Policy`, and maybe the
output file's path.
Out: the same `Summary` and the same output as `audit.audit` with the Python engine:
CSV and JSON Lines files equal byte for byte, Parquet files with the same columns,
types and rows.

How: the mapping becomes SQL (a CASE per column: codes to values, blank to NULL), the
policy becomes the decision of `sql.decision_parts` over those values, and two passes
read the export. The first counts the rows by diagram leaf and by the cells the
summary breaks down (minutes, staff, program); the second writes every row, its number
and the words of its leaf, as the Python engine's writer words them (`results.rendered_tail`).

A row the SQL reading cannot take exactly as `mapping.Binding.facts` takes it is flagged
and read by the interpreter instead: a cell that is not a code of the mapping, a value
out of range, a cell with other whitespace around it than Python strips, a column of a
type whose text Python writes differently. Those rows (the invalid ones, and any other
the SQL declines) get their results from `audit.Results`, the Python engine's own
reading, through a Python function DuckDB calls for them alone, so that their
diagnostics and hints are the Python engine's by construction.
"""

from __future__ import annotations

import inspect
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from duckdb.func import SPECIAL

from billability.audit import FIRST_INVALID_ROWS, INVALID, Counts, Results, Summary, summarize
from billability.diagnostics import Diagnostic, Location, Problems
from billability.engines import PythonEngine
from billability.mapping import Binding
from billability.model import FactType, Policy
from billability.records import (
    Export,
    Format,
    connect,
    line_sql,
    located_error,
    quoted,
    reader_parameters,
    reader_sql,
    text_literal,
)
from billability.results import (
    OUTPUT_COLUMNS,
    PROBLEM_TYPE,
    RowResult,
    header_line,
    output_format,
    rendered_tail,
    temporary_beside,
)
from billability.sql import DecisionParts, decision_parts

# Python's `str.strip()` removes these; the SQL reading trims the same.
WHITESPACE = "".join(ch for ch in map(chr, range(0x110000)) if ch.isspace())
# Column types whose text (`CAST(... AS VARCHAR)`) is the text `mapping._text` makes of the cell.
SQL_READABLE = frozenset(
    {"VARCHAR", "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
)
ROW = quoted("billability row")
LEAF = quoted("billability leaf")
FLAGGED = quoted("billability flagged")
MEMORY = "512MB"
_FACT_TYPE = {FactType.ENUM: "VARCHAR", FactType.BOOLEAN: "BOOLEAN", FactType.INTEGER: "BIGINT"}


ENGINE_NAME = "duckdb"


def _value_sql(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return text_literal(str(value))


def _reading_sql(binding: Binding, export: Export, index: int) -> tuple[str, str]:
    """SQL for one mapped column: the fact's value (NULL when unknown) and whether the
    cell must be left to the interpreter's reading."""
    reading = binding.readings[index]
    raw = quoted(reading.column)
    kind = export.types[binding.indexes[index]]
    if kind not in SQL_READABLE:
        return f"CAST(NULL AS {_FACT_TYPE[reading.fact.type]})", f"({raw} IS NOT NULL)"
    text = f"trim(CAST({raw} AS VARCHAR), {text_literal(WHITESPACE)})"
    if reading.codes is not None:
        codes = {code: value for code, value in reading.codes.items() if code != ""}
        whens = " ".join(f"WHEN {text_literal(code)} THEN {_value_sql(value)}" for code, value in codes.items())
        value = f"CASE {text} {whens} END" if whens else "NULL"
        known = ", ".join(text_literal(code) for code in codes) or "NULL"
        unread = f"{text} NOT IN ({known})" if codes else "TRUE"
    elif reading.fact.type is FactType.ENUM:
        names = ", ".join(text_literal(v) for v in reading.fact.value_names)
        value, unread = f"CASE WHEN {text} IN ({names}) THEN {text} END", f"{text} NOT IN ({names})"
    elif reading.fact.type is FactType.BOOLEAN:
        value = f"CASE {text} WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END"
        unread = f"{text} NOT IN ('true', 'false')"
    else:
        value = f"CASE WHEN regexp_full_match({text}, '[-+]?[0-9]+') THEN TRY_CAST({text} AS BIGINT) END"
        unread = f"({value}) IS NULL"
    typed = f"CAST(CASE WHEN {raw} IS NULL THEN NULL ELSE {value} END AS {_FACT_TYPE[reading.fact.type]})"
    return typed, f"({raw} IS NOT NULL AND {text} <> '' AND {unread})"


def _decided_sql(export: Export, binding: Binding, policy: Policy) -> tuple[str, Any]:
    """The export as a query with every input column, then its number (`ROW`), whether it
    is flagged (`FLAGGED`) and its diagram leaf (`LEAF`); and the compiled decision."""
    facts = {}
    unread = []
    for index, reading in enumerate(binding.readings):
        value, flag = _reading_sql(binding, export, index)
        facts[reading.fact.name] = value
        unread.append(flag)
    alias = {name: quoted(f"billability fact {name}") for name in facts}

    def column(name: str) -> Any:
        import sqlglot

        if name in alias:
            return sqlglot.exp.column(f"billability fact {name}", quoted=True)
        fact = policy.fact_index[name]
        return sqlglot.exp.Cast(this=sqlglot.exp.Null(), to=sqlglot.exp.DataType.build(_FACT_TYPE[fact.type]))

    parts = decision_parts(policy, column, reasons=True)
    values = "".join(f", {value} AS {alias[name]}" for name, value in facts.items())
    unread_sql = " OR ".join(unread) or "FALSE"
    inputs = ", ".join(quoted(c) for c in export.columns)
    query = (
        f"WITH source AS (SELECT row_number() OVER () AS {ROW}, {inputs} FROM {reader_sql(export)}), "
        f"mapped AS (SELECT *{values}, ({unread_sql}) AS {quoted('billability unread')} FROM source) "
        f"SELECT {ROW}, {inputs}, ({quoted('billability unread')} OR ({parts.invalid.sql('duckdb')})) AS {FLAGGED}, "
        f"{parts.leaf.sql('duckdb')} AS {LEAF}, "
        + ", ".join(f"{alias[name]}" for name in facts)
        + (", " if facts else "")
        + '0 AS "billability end" FROM mapped'
    )
    return query, parts


def _leaf_results(parts: DecisionParts) -> list[RowResult]:
    return [
        RowResult(outcome, rules, reasons, missing)
        for (outcome, rules, missing), reasons in zip(parts.leaves, parts.reasons, strict=True)
    ]


def audit_in_duckdb(
    export: Export,
    binding: Binding,
    policy: Policy,
    target: Path | None = None,
    progress: Callable[[float], None] | None = None,
) -> Summary:
    """Decide every row of the export inside DuckDB (see the module docstring);
    `progress` is told the share of the work done, from 0 to 1."""
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
    query, parts = _decided_sql(export, binding, policy)
    leaves = _leaf_results(parts)
    known = Results(binding, PythonEngine(policy))
    connection = connect()
    spill = tempfile.TemporaryDirectory(prefix="billability-")
    part: Path | None = None
    try:
        connection.execute(f"SET memory_limit = '{MEMORY}'")
        connection.execute(f"SET temp_directory = {text_literal(spill.name)}")
        share = 1.0 if target is None else 0.4
        counts, rows, invalid_rows = _count(
            connection, query, export, binding, known, leaves, _scaled(progress, 0, share)
        )
        if target is not None:
            part = temporary_beside(target, ".part")
            written = _scaled(progress, share, 1 - share)
            _write(connection, query, export, binding, policy, (part, output_format(target)), known, leaves, written)
            os.replace(part, target)
    except (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException):
        raise  # a mistake of the query built here, not of the export
    except duckdb.Error as error:
        raise Problems([located_error(error, export.shown, export.format)]) from None
    finally:
        connection.close()
        spill.cleanup()
        if part is not None:
            part.unlink(missing_ok=True)
    return summarize(export, binding, policy, ENGINE_NAME, known.results, counts, rows, invalid_rows)


def _scaled(progress: Callable[[float], None] | None, start: float, span: float) -> Callable[[float], None] | None:
    if progress is None:
        return None
    return lambda done: progress(start + span * done)


def _run(
    connection: duckdb.DuckDBPyConnection, sql: str, parameters: list[Any], progress: Callable[[float], None] | None
) -> duckdb.DuckDBPyConnection:
    """Run a statement; with `progress`, tell it DuckDB's progress while it runs."""
    if progress is None:
        return connection.execute(sql, parameters)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            connection.execute(sql, parameters)
        except BaseException as error:
            failure.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.2)
        done = connection.query_progress()
        if done >= 0:
            progress(min(done, 100.0) / 100)
    if failure:
        raise failure[0]
    progress(1.0)
    return connection


def _count(
    connection: duckdb.DuckDBPyConnection,
    query: str,
    export: Export,
    binding: Binding,
    known: Results,
    leaves: list[RowResult],
    progress: Callable[[float], None] | None,
) -> tuple[Counts, int, tuple[int, ...]]:
    """The first pass: rows by result and minutes cell, and by result, staff and program
    cells (`audit.Counts`); a result is a leaf, or for a flagged row its fact cells."""
    keys = [quoted(export.columns[i]) for i in binding.indexes]
    minutes, staff, program = (quoted(export.columns[i]) if i is not None else "NULL" for i in binding.summary_indexes)
    by_group = binding.summary_indexes[1:] != (None, None)
    result = ", ".join(
        [
            FLAGGED,
            f"CASE WHEN {FLAGGED} THEN NULL ELSE {LEAF} END",
            *(f"CASE WHEN {FLAGGED} THEN {k} END" for k in keys),
        ]
    )
    names = ", ".join(["flagged", "leaf", *(f"k{n}" for n in range(len(keys)))])
    inner = f"SELECT {result}, {minutes}, {staff}, {program}, {ROW} FROM ({query})"
    sets = f"GROUPING SETS (({names}, m), ({names}, s, p))" if by_group else f"{names}, m"
    sql = (
        f"SELECT {names}, m, {'s, p, GROUPING(m)' if by_group else 'NULL, NULL, 0'}, count(*), "
        f"CASE WHEN flagged THEN min(r, {FIRST_INVALID_ROWS}) END "
        f"FROM ({inner}) AS t({names}, m, s, p, r) GROUP BY {sets}"
    )
    found = _run(connection, sql, reader_parameters(export), progress).fetchall()
    width = len(keys)
    known.add(tuple(record[2 : 2 + width]) for record in found if record[0])
    counts = Counts()
    ids: dict[int, int] = {}
    rows = 0
    firsts: list[int] = []
    minutes_mapped = binding.summary_indexes[0] is not None
    for record in found:
        flagged, leaf = record[0], record[1]
        minute, staff_cell, program_cell, in_groups, number, first = record[2 + width :]
        if flagged:
            found_id = known.index[tuple(record[2 : 2 + width])]
        else:
            if leaf not in ids:
                ids[leaf] = known.id_of(leaves[leaf])
            found_id = ids[leaf]
        if in_groups:
            counts.groups[(known.outcomes[found_id], staff_cell, program_cell)] += number
            continue
        counts.rows[(found_id, minute if minutes_mapped else None)] += number
        rows += number
        if flagged and known.outcomes[found_id] == INVALID:
            firsts += first
    return counts, rows, tuple(sorted(firsts)[:FIRST_INVALID_ROWS])


def _write(
    connection: duckdb.DuckDBPyConnection,
    query: str,
    export: Export,
    binding: Binding,
    policy: Policy,
    into: tuple[Path, Format],
    known: Results,
    leaves: list[RowResult],
    progress: Callable[[float], None] | None,
) -> None:
    """The second pass: every row, in order, into a file in a format."""
    stamp = (policy.id, policy.version)
    part, file_format = into
    keys = [quoted(export.columns[i]) for i in binding.indexes]
    line_format = Format.CSV if file_format is Format.CSV else Format.JSONL
    rendered: dict[int, str] = {}

    def tail(*cells: Any) -> str:
        """The words of a flagged row's result, read by the interpreter."""
        found = known.index.get(cells)
        if found is None:
            known.add([cells])
            found = known.index[cells]
        if found not in rendered:
            result = known.results[found]
            rendered[found] = (
                json.dumps(_tail_object(result, stamp), ensure_ascii=False)
                if file_format is Format.PARQUET
                else rendered_tail(result, line_format, stamp)
            )
        return rendered[found]

    # DuckDB calls the function with one argument per fact cell, as its signature says.
    tail.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(f"cell{n}", inspect.Parameter.POSITIONAL_ONLY) for n in range(len(keys))]
    )
    types: list[Any] = [duckdb.sqltype(export.types[i]) for i in binding.indexes]
    connection.create_function(
        "billability_tail", tail, types, duckdb.sqltype("VARCHAR"), null_handling=SPECIAL, side_effects=False
    )
    flagged_tail = f"billability_tail({', '.join(keys)})"
    if file_format is Format.PARQUET:
        struct = (
            "STRUCT(outcome VARCHAR, rules VARCHAR[], reasons VARCHAR[], missing VARCHAR[], "
            f"problems {PROBLEM_TYPE}, policy_id VARCHAR, policy_version VARCHAR)"
        )
        constants = f"CAST({text_literal(json.dumps([_tail_object(r, stamp) for r in leaves]))} AS JSON)"
        words = (
            f"CASE WHEN {FLAGGED} THEN CAST(CAST({flagged_tail} AS JSON) AS {struct}) "
            f"ELSE CAST({constants} AS {struct}[])[{LEAF} + 1] END"
        )
        inputs = ", ".join(quoted(c) for c in export.columns)
        fields = ", ".join(f"w.{name}" for name in OUTPUT_COLUMNS[1:])
        select = f"SELECT {inputs}, {ROW} AS row, {fields} FROM (SELECT *, {words} AS w FROM ({query}))"
        options = "(FORMAT parquet)"
    else:
        constants = "[" + ", ".join(text_literal(rendered_tail(r, line_format, stamp)) for r in leaves) + "]"
        words = f"CASE WHEN {FLAGGED} THEN {flagged_tail} ELSE {constants}[{LEAF} + 1] END"
        line = line_sql(export.columns, line_format)
        if line_format is Format.CSV:
            text = f"{line} || ',' || {ROW} || {words}"
            header = quoted(header_line(export.columns))
        else:
            text = f"""substr({line}, 1, length({line}) - 1) || ',"row":' || {ROW} || {words}"""
            header = quoted("line")
        select = f"SELECT {text} AS {header} FROM ({query})"
        options = f"(FORMAT csv, HEADER {'true' if line_format is Format.CSV else 'false'}, QUOTE '', ESCAPE '')"
    _run(connection, f"COPY ({select}) TO {text_literal(str(part))} {options}", reader_parameters(export), progress)


def _tail_object(result: RowResult, stamp: tuple[str, str]) -> Any:
    return json.loads("{" + rendered_tail(result, Format.JSONL, stamp)[1:])
