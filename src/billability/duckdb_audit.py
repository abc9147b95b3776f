"""Audit an export inside DuckDB: the mapping and the policy's compiled query run over
the file as DuckDB reads it, and DuckDB writes the output.

In: an `Export`, a `Binding` of its columns to the facts, the `Policy`, and maybe the
output file's path.
Out: the same `Summary` and the same output as `audit.audit` with the Python engine:
CSV and JSON Lines files equal byte for byte, Parquet files with the same columns,
types and rows.

How: each mapped cell becomes its class (`_class_sql`: one CASE from the export's codes
to the position of the fact's class), and the policy's compiled walk of its decision
diagram (`sql.leaf_number`) turns the classes into a leaf. Passes on every thread:

1. `_stage`: read and decide every row into a Parquet file beside the target, in order:
   the row's cells made one line of CSV or JSON text (its cells themselves for Parquet
   output), its leaf, its summary cells, and for a flagged row (below) its classes and
   the cells the SQL could not read;
2. `_diagnose`: each distinct cell the SQL could not read, per fact, read once by the
   interpreter (`mapping.Binding.facts`): the class it reads as, or its problem;
3. `_count`: the rows by result and minutes, and by outcome, staff and program;
4. `_write`: every row, numbered by Parquet's own row numbers, with the words of its
   result as the Python engine's writer words them (`results.rendered_tail`).

Numbering rows in the order of a CSV file would take DuckDB one thread; the staged
file's row numbers take none. Without an output file, the rows are diagnosed and
counted straight from the export.

A row the SQL reading cannot take exactly as `mapping.Binding.facts` takes it is
flagged: a cell that is not a code of the mapping, a value out of range, a cell with
other whitespace around it than Python strips, a column of a type whose text Python
writes differently. The interpreter's reading of each of its unreadable cells is joined
back (`_resolved`: a map from the cell's text, as large as the distinct cells, not the
rows): a cell it reads gives its class, one it cannot counts as blank. The row's leaf
then decides it, and its problems are the interpreter's own, each an error when the
leaf misses the cell's fact (the row is invalid) or else a warning, as
`audit.with_problems` says; so the results, diagnostics and hints are the Python
engine's by construction, with no Python call per row.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

from billability.audit import FIRST_INVALID_ROWS, INVALID, Counts, Results, Summary, summarize, with_problems
from billability.diagnostics import Diagnostic, Location, Problems
from billability.diagram import FactClasses, diagram_of, fact_classes
from billability.engines import PythonEngine
from billability.mapping import ERROR, WARNING, Binding, RowProblem
from billability.model import FactType, Policy
from billability.records import (
    Export,
    Format,
    bounded_connection,
    line_sql,
    located_error,
    quoted,
    reader_parameters,
    reader_sql,
    text_literal,
)
from billability.results import (
    LIST_SEPARATOR,
    OUTPUT_COLUMNS,
    OUTPUT_TYPES,
    RowResult,
    csv_quoted_characters,
    header_line,
    output_format,
    render_problem,
    rendered_tail,
    temporary_beside,
)
from billability.sql import leaf_number

# Column types whose text (`CAST(... AS VARCHAR)`) is the text `mapping._text` makes of the cell.
SQL_READABLE = frozenset(
    {"VARCHAR", "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
)
ROW = quoted("billability row")
LEAF = quoted("billability leaf")
FLAGGED = quoted("billability flagged")
MEMORY = "512MB"
STAGED_LINE = quoted("billability line")
STAGED_CELLS = quoted("billability cells")
STAGED_CLASSES = quoted("billability classes")
STAGED_SUMMARY = tuple(quoted(f"billability {role}") for role in ("minutes", "staff", "program"))
UNREAD = -1  # the class of a cell the SQL reading leaves to the interpreter
ENGINE_NAME = "duckdb"


def _class_sql(binding: Binding, export: Export, index: int, classes: FactClasses) -> str:
    """SQL for the class of one mapped column's cell: its position among the fact's
    classes, their count when the cell is blank or means unknown, or `UNREAD` when the
    interpreter must read it (a cell no code or value matches exactly, a number out of
    range or too long, a column whose type Python writes as other text)."""
    reading = binding.readings[index]
    fact = reading.fact
    raw = quoted(reading.column)
    unknown = len(classes.values)
    if export.types[binding.indexes[index]] not in SQL_READABLE:
        return f"CASE WHEN {raw} IS NULL THEN {unknown} ELSE {UNREAD} END"
    # Spaces are trimmed; a cell with other whitespace around it matches no code or value,
    # so the interpreter reads it and strips it as Python strips.
    text = f"trim(CAST({raw} AS VARCHAR))"
    if reading.codes is not None:
        # A code Python's strip would change is left to the interpreter too.
        table = {code: value for code, value in reading.codes.items() if code and code == code.strip()}
    elif fact.type is FactType.ENUM:
        table = {name: name for name in fact.value_names}
    elif fact.type is FactType.BOOLEAN:
        table = {"true": True, "false": False}
    else:
        table = None
    if table is not None:
        whens = " ".join(
            f"WHEN {text_literal(code)} THEN {unknown if value is None else classes.class_of(value)}"
            for code, value in table.items()
        )
        # One CASE on the text, which DuckDB runs as a lookup; NULL falls to the ELSE.
        return (
            f"CASE {text} WHEN '' THEN {unknown} {whens} "
            f"ELSE CASE WHEN {raw} IS NULL THEN {unknown} ELSE {UNREAD} END END"
        )
    number = f"TRY_CAST({text} AS BIGINT)"
    bounds = [f"{number} IS NULL"]
    if fact.minimum is not None:
        bounds.append(f"{number} < {fact.minimum}")
    if fact.maximum is not None:
        bounds.append(f"{number} > {fact.maximum}")
    ranges = " ".join(f"WHEN {number} <= {high} THEN {n}" for n, (_, high) in enumerate(classes.ranges[:-1]))
    return (
        f"CASE WHEN {raw} IS NULL OR {text} = '' THEN {unknown} "
        f"WHEN NOT regexp_full_match({text}, '[-+]?[0-9]+') OR {' OR '.join(bounds)} THEN {UNREAD} "
        f"{ranges} ELSE {unknown - 1} END"
    )


def _classes_of_readings(binding: Binding, policy: Policy) -> list[FactClasses]:
    """The classes of each mapped fact, in binding order."""
    by_name = {classes.name: classes for classes in diagram_of(policy).facts}
    return [by_name.get(r.fact.name) or fact_classes(policy, r.fact) for r in binding.readings]


def _leaf_sql(policy: Policy, binding: Binding, column: Callable[[int], str]) -> tuple[str, list[RowResult]]:
    """SQL for the diagram leaf of a row whose class of the nth mapped fact is in the
    column named `column(n)`, and the leaves' results."""
    import sqlglot

    position = {reading.fact.name: n for n, reading in enumerate(binding.readings)}

    def class_of(classes: dict[str, Any]) -> Any:
        name = classes["name"]
        if name not in position:
            return sqlglot.exp.Literal.number(len(classes["classes"]))
        return sqlglot.exp.column(column(position[name]), quoted=True)

    leaf, _, leaves = leaf_number(policy, class_of, "duckdb")
    results = [
        RowResult(item["outcome"], tuple(item["rules"]), tuple(item["reasons"]), tuple(item["missing"]))
        for item in leaves
    ]
    return leaf.sql("duckdb"), results


def _decided_sql(export: Export, binding: Binding, policy: Policy, numbered_rows: bool) -> tuple[str, list[RowResult]]:
    """The export as a query with every input column, each mapped fact's class
    (`_class_column`, `UNREAD` when the SQL cannot read the cell), whether the row has
    such a cell (`FLAGGED`) and its diagram leaf (`LEAF`, meaningful when not flagged),
    and with `numbered_rows` its number (`ROW`) first; and the leaves' results.
    Numbering rows in order takes DuckDB one thread; without it, reading and deciding
    take all."""
    classes = _classes_of_readings(binding, policy)
    # Every mapped fact is read, also one the diagram never asks: its cell may be unread.
    computed = "".join(
        f", {_class_sql(binding, export, n, found)} AS {quoted(_class_column(n))}" for n, found in enumerate(classes)
    )
    leaf, results = _leaf_sql(policy, binding, _class_column)
    numbered = f"row_number() OVER () AS {ROW}, " if numbered_rows else ""
    inputs = ", ".join(quoted(c) for c in export.columns)
    class_columns = "".join(f", {quoted(_class_column(n))}" for n in range(len(classes)))
    unread = " OR ".join(f"{quoted(_class_column(n))} = {UNREAD}" for n in range(len(classes))) or "FALSE"
    # The classes are computed once, in the first projection (under the row numbers'
    # window when there is one): every later use reads them instead of the cells again.
    query = (
        f"WITH mapped AS (SELECT {numbered}{inputs}{computed} FROM {reader_sql(export)}) "
        f"SELECT {ROW + ', ' if numbered_rows else ''}{inputs}{class_columns}, ({unread}) AS {FLAGGED}, "
        f"{leaf} AS {LEAF} FROM mapped"
    )
    return query, results


def _class_column(n: int) -> str:
    return f"billability class {n}"


def _cell_texts(export: Export, binding: Binding) -> list[str]:
    """SQL for each mapped fact's cell as the interpreter takes it: as text where DuckDB
    writes the text Python would make of it (so it passes a Parquet file unchanged),
    else as it is."""
    keys = [quoted(export.columns[i]) for i in binding.indexes]
    return [
        f"CAST({key} AS VARCHAR)" if export.types[i] in SQL_READABLE | {"HUGEINT", "UHUGEINT"} else key
        for key, i in zip(keys, binding.indexes, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class Source:
    """Rows to resolve: a table and its parameters, and SQL over its columns for the
    class of the nth mapped fact (`classes[n]`), the cell when the SQL could not read it
    (`unread[n]`, else NULL), whether the row is flagged, and the leaf of a row that is
    not (`leaf`)."""

    table: str
    parameters: list[Any]
    classes: tuple[str, ...]
    unread: tuple[str, ...]
    flagged: str
    leaf: str


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Each distinct cell the SQL could not read, of each mapped fact (binding order),
    read once by the interpreter: numbered from 1 by DuckDB's text of it (`numbers`),
    with the class it reads as (`classes`, the unknown class when it cannot be read)
    and its problem (`problems`, None when the interpreter reads it)."""

    numbers: tuple[dict[str, int], ...]
    classes: tuple[tuple[int, ...], ...]
    problems: tuple[tuple[RowProblem | None, ...], ...]

    radixes: tuple[int, ...] = ()  # what each fact's cell number is multiplied by in a row's `DKEY`
    span: int = 1  # one more than the largest `DKEY`

    @staticmethod
    def of(
        numbers: tuple[dict[str, int], ...],
        classes: tuple[tuple[int, ...], ...],
        problems: tuple[tuple[RowProblem | None, ...], ...],
    ) -> Diagnosis:
        radixes, span = [], 1
        for found in numbers:
            radixes.append(span)
            span *= len(found) + 1
        return Diagnosis(numbers, classes, problems, tuple(radixes), span)

    @property
    def key_type(self) -> str:
        """The SQL type of a `DKEY`."""
        return "HUGEINT" if self.span > 2**62 else "BIGINT"

    def problems_of(self, key: int) -> tuple[RowProblem, ...]:
        """The problems of a row's unreadable cells, in binding order, from its `DKEY`."""
        found: list[RowProblem] = []
        for radix, numbers, problems in zip(self.radixes, self.numbers, self.problems, strict=True):
            number = key // radix % (len(numbers) + 1)
            problem = problems[number - 1] if number else None
            if problem is not None:
                found.append(problem)
        return tuple(found)


def _diagnose(
    connection: duckdb.DuckDBPyConnection, source: Source, binding: Binding, classes: list[FactClasses]
) -> Diagnosis:
    """Read each distinct unreadable cell of each mapped fact once, in one pass."""
    width = len(classes)
    cells = ", ".join(f"{sql} AS u{n}" for n, sql in enumerate(source.unread))
    texts = ", ".join(f"u{n}, CAST(u{n} AS VARCHAR)" for n in range(width))
    sets = ", ".join(f"(u{n})" for n in range(width))
    sql = (
        f"SELECT {texts} FROM (SELECT {cells} FROM {source.table} WHERE {source.flagged}) "
        f"GROUP BY GROUPING SETS ({sets})"
    )
    numbers: list[dict[str, int]] = [{} for _ in range(width)]
    read_as: list[list[int]] = [[] for _ in range(width)]
    problems: list[list[RowProblem | None]] = [[] for _ in range(width)]
    cursor = connection.execute(sql, source.parameters)
    while rows := cursor.fetchmany(10_000):
        for row in rows:
            for n in range(width):
                cell, text = row[2 * n], row[2 * n + 1]
                if text is None or text in numbers[n]:
                    continue
                given: list[Any] = [None] * width
                given[n] = cell
                facts, found = binding.facts(given)
                value = facts.get(binding.readings[n].fact.name)
                unknown = len(classes[n].values)
                numbers[n][text] = len(numbers[n]) + 1
                read_as[n].append(unknown if found or value is None else classes[n].class_of(value))
                problems[n].append(found[0] if found else None)
    return Diagnosis.of(tuple(numbers), tuple(tuple(c) for c in read_as), tuple(tuple(p) for p in problems))


RESOLVED_LEAF = quoted("billability resolved leaf")
DKEY = quoted("billability unread")
INVALID_ROW = quoted("billability invalid")


def _resolved(source: Source, diagnosis: Diagnosis, policy: Policy, binding: Binding) -> str:
    """The source's rows with the leaf of every row (`RESOLVED_LEAF`: a flagged row's
    unreadable cells read as the interpreter read them, or as blank when it could not)
    and, for a flagged row, the numbers of its unreadable cells in one key (`DKEY`, see
    `Diagnosis.problems_of`; NULL when not flagged). Each lookup is one map from the
    cell's text, built from the distinct cells alone."""
    width = len(diagnosis.numbers)
    numbered = []
    for n, numbers in enumerate(diagnosis.numbers):
        if not numbers:
            numbered.append("0")
            continue
        lookup = "MAP {" + ", ".join(f"{text_literal(t)}: {d}" for t, d in numbers.items()) + "}"
        numbered.append(
            f"CASE WHEN {source.unread[n]} IS NULL THEN 0 ELSE {lookup}[CAST({source.unread[n]} AS VARCHAR)] END"
        )
    kind = diagnosis.key_type
    number = [quoted(f"billability number {n}") for n in range(width)]
    key = " + ".join(
        f"CAST({number[n]} AS {kind}) * {radix}" for n, radix in enumerate(diagnosis.radixes) if diagnosis.numbers[n]
    )
    read = "".join(
        f", CASE WHEN {source.classes[n]} = {UNREAD} THEN {list(diagnosis.classes[n]) or [0]}[{number[n]}] "
        f"ELSE {source.classes[n]} END AS {quoted(f'billability read {n}')}"
        for n in range(width)
    )
    leaf, leaves = _leaf_sql(policy, binding, lambda n: f"billability read {n}")
    numbers_sql = "".join(f", {sql} AS {number[n]}" for n, sql in enumerate(numbered))
    errors = _errors_sql(policy, leaves, diagnosis)
    invalid = " OR ".join(quoted(f"billability error {n}") for n in errors) or "false"
    errors_sql = "".join(f", {sql} AS {quoted(f'billability error {n}')}" for n, sql in errors.items())
    return (
        f"(SELECT *, {invalid} AS {INVALID_ROW} FROM (SELECT *{errors_sql} FROM "
        f"(SELECT *, CASE WHEN {source.flagged} THEN {leaf} ELSE {source.leaf} END AS {RESOLVED_LEAF}, "
        f"CASE WHEN {source.flagged} THEN {key or f'CAST(0 AS {kind})'} END AS {DKEY} "
        f"FROM (SELECT *{read} FROM (SELECT *{numbers_sql} FROM {source.table})))))"
    )


def _errors_sql(policy: Policy, leaves: list[RowResult], diagnosis: Diagnosis) -> dict[int, str]:
    """For each mapped fact with cells the interpreter cannot read, SQL for whether a
    resolved row's cell is such a cell and its answer depends on it: its fact is among
    the resolved leaf's missing facts (a problem of no known fact always is)."""
    facts = [fact.name for fact in policy.facts]
    found: dict[int, str] = {}
    for n, problems in enumerate(diagnosis.problems):
        if not any(problems):
            continue
        number = quoted(f"billability number {n}")
        # 0: the interpreter read the cell; -1: a problem of no known fact; else the fact's place.
        fact_of = [0 if p is None else facts.index(p.fact) + 1 if p.fact in facts else -1 for p in problems]
        whens = "".join(
            f" WHEN {place} THEN [{', '.join('true' if facts[place - 1] in r.missing else 'false' for r in leaves)}]"
            f"[{RESOLVED_LEAF} + 1]"
            for place in sorted(set(fact_of) - {0, -1})
        )
        found[n] = (
            f"CASE WHEN {DKEY} IS NULL OR {number} = 0 THEN false "
            f"ELSE CASE {fact_of}[{number}] WHEN 0 THEN false WHEN -1 THEN true{whens} END END"
        )
    return found


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
    query, leaves = _decided_sql(export, binding, policy, numbered_rows=False)
    classes = _classes_of_readings(binding, policy)
    width = len(classes)
    known = Results(binding, PythonEngine(policy))
    made: list[Path] = []
    texts = _cell_texts(export, binding)
    summary = [quoted(export.columns[i]) if i is not None else "NULL" for i in binding.summary_indexes]
    direct = tuple(f"CASE WHEN {quoted(_class_column(n))} = {UNREAD} THEN {text} END" for n, text in enumerate(texts))
    class_columns = tuple(quoted(_class_column(n)) for n in range(width))
    try:
        with bounded_connection(MEMORY) as connection:
            if target is None:
                source = Source(f"({query})", reader_parameters(export), class_columns, direct, FLAGGED, LEAF)
                diagnosis = _diagnose(connection, source, binding, classes) if width else Diagnosis.of((), (), ())
                resolved = _resolved(source, diagnosis, policy, binding)
                table: tuple[str, list[Any], str | None] = (resolved, reader_parameters(export), None)
                counts, rows, invalid = _count(connection, table, summary, known, leaves, diagnosis, {}, progress)
                first_invalid = []
                if invalid:
                    numbered, _ = _decided_sql(export, binding, policy, numbered_rows=True)
                    at = Source(f"({numbered})", reader_parameters(export), class_columns, direct, FLAGGED, LEAF)
                    first_invalid = _first_invalid(connection, _resolved(at, diagnosis, policy, binding), at)
            else:
                file_format = output_format(target)
                staged = temporary_beside(target, ".parquet.part")
                made.append(staged)
                _stage(connection, query, export, (direct, *summary), file_format, staged, _scaled(progress, 0, 0.6))
                mapped = [name if sql != "NULL" else "NULL" for name, sql in zip(STAGED_SUMMARY, summary, strict=True)]
                source = Source(
                    "read_parquet(?, file_row_number = true)",
                    [str(staged)],
                    tuple(f"{STAGED_CLASSES}.c{n}" for n in range(width)),
                    tuple(f"{STAGED_CELLS}.k{n}" for n in range(width)),
                    f"{STAGED_CLASSES} IS NOT NULL",
                    LEAF,
                )
                diagnosis = _diagnose(connection, source, binding, classes) if width else Diagnosis.of((), (), ())
                resolved = _resolved(source, diagnosis, policy, binding)
                table = (resolved, [str(staged)], "file_row_number + 1")
                flagged: dict[tuple[int, int], int] = {}
                counts, rows, invalid = _count(connection, table, mapped, known, leaves, diagnosis, flagged, None)
                first_invalid = sorted(row for found in invalid.values() for row in found)
                part = temporary_beside(target, ".part")
                made.append(part)
                into = (resolved, staged, part, file_format)
                words = (leaves, diagnosis)
                _write(connection, into, export, policy, words, _scaled(progress, 0.6, 0.4))
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


def _flagged_ids(
    known: Results, leaves: list[RowResult], diagnosis: Diagnosis, found: dict[tuple[int, int], int]
) -> Callable[[int, int], int]:
    """The result id of a flagged row from its resolved leaf and `DKEY`: the leaf's
    result with the problems of its unreadable cells (`audit.with_problems`), each
    kept in `found`."""

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
    flagged: dict[tuple[int, int], int],
    progress: Callable[[float], None] | None,
) -> tuple[Counts, int, dict[tuple[int, int], list[int]]]:
    """Rows by result and minutes cell, and by outcome, staff and program cells
    (`audit.Counts`), on every thread, from a resolved table (`_resolved`), its
    parameters and the SQL of its rows' numbers (None: not numbered). Also the
    invalid flagged rows' kinds (leaf and `DKEY`), each with its first row numbers
    when the rows are numbered; `flagged` is given each flagged kind's result id."""
    resolved, parameters, row = table
    minutes, staff, program = summary
    by_group = (staff, program) != ("NULL", "NULL")
    outcomes = "[" + ", ".join(text_literal(result.outcome) for result in leaves) + "]"
    first = f"CASE WHEN {DKEY} IS NOT NULL THEN {row} END" if row else "NULL"
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
    found = _run(connection, sql, parameters, progress).fetchall()
    flagged_id = _flagged_ids(known, leaves, diagnosis, flagged)
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
            if known.outcomes[found_id] == INVALID:
                invalid.setdefault((leaf, key), []).extend(r for r in firsts or () if r is not None)
        else:
            if leaf not in ids:
                ids[leaf] = known.id_of(leaves[leaf])
            found_id = ids[leaf]
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
    unread, minutes, staff, program = columns
    if file_format is Format.PARQUET:
        payload = ", ".join(quoted(c) for c in export.columns)
    else:
        line_format = Format.CSV if file_format is Format.CSV else Format.JSONL
        payload = f"{line_sql(export.columns, line_format)} AS {STAGED_LINE}"
    if unread:
        classes = "{" + ", ".join(f"'c{n}': {quoted(_class_column(n))}" for n in range(len(unread))) + "}"
        cells = "{" + ", ".join(f"'k{n}': {sql}" for n, sql in enumerate(unread)) + "}"
    else:
        classes = cells = "NULL"
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
    _run(connection, f"COPY ({select}) TO {text_literal(str(staged))} {options}", reader_parameters(export), progress)


def _write(
    connection: duckdb.DuckDBPyConnection,
    into: tuple[str, Path, Path, Format],
    export: Export,
    policy: Policy,
    words_from: tuple[list[RowResult], Diagnosis],
    progress: Callable[[float], None] | None,
) -> None:
    """Every staged row, in order and numbered (Parquet's own row numbers, so on every
    thread), into a file in a format, with the words of its result (`_words_sql`)."""
    resolved, staged, part, file_format = into
    leaves, diagnosis = words_from
    line_format = Format.CSV if file_format is Format.CSV else Format.JSONL
    row = "(file_row_number + 1)"
    words = _words_sql(policy, leaves, diagnosis, line_format)
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
            header = quoted(header_line(export.columns))
        else:
            text = f"""substr({line}, 1, length({line}) - 1) || ',"row":' || {row} || {words}"""
            header = quoted("line")
        select = f"SELECT {text} AS {header} FROM {rows}"
        options = f"(FORMAT csv, HEADER {'true' if line_format is Format.CSV else 'false'}, QUOTE '', ESCAPE '')"
    _run(connection, f"COPY ({select}) TO {text_literal(str(part))} {options}", [str(staged)], progress)


def _words_sql(policy: Policy, leaves: list[RowResult], diagnosis: Diagnosis, line_format: Format) -> str:
    """SQL for what follows `row` on a resolved row's output line (`results.rendered_tail`,
    the same text). A row that is not flagged takes its leaf's words; a flagged row's
    words are put together from its resolved leaf's (or `invalid`'s) and the words of
    each unreadable cell's problem, as an error when its answer depends on the cell
    (`_errors_sql`, as `audit.with_problems` says), else as a warning."""
    stamp = (policy.id, policy.version)

    def render(result: RowResult) -> str:
        return rendered_tail(result, line_format, stamp)

    constants = "[" + ", ".join(text_literal(render(r)) for r in leaves) + "]"
    if not any(diagnosis.numbers):
        return f"{constants}[{LEAF} + 1]"
    # A result's words split around its problems: what comes before, and after.
    marker = RowProblem("", "", "", "\x00")
    around = [render(replace(r, problems=(marker,))).split(render_problem(marker, line_format)) for r in leaves]
    invalid_head, _ = render(RowResult(INVALID, problems=(marker,))).split(render_problem(marker, line_format))
    heads = "[" + ", ".join(text_literal(head) for head, _ in around) + "]"
    (_, suffix) = around[0] if around else ("", "")
    pieces = []
    for n, problems in enumerate(diagnosis.problems):
        if not any(problems):
            continue
        number = quoted(f"billability number {n}")

        def said(severity: str, problems: tuple[RowProblem | None, ...] = problems) -> str:
            texts = [
                "NULL" if p is None else text_literal(render_problem(replace(p, severity=severity), line_format))
                for p in problems
            ]
            return "[" + ", ".join(texts) + "]"

        pieces.append(
            f"CASE WHEN {number} = 0 THEN NULL WHEN {quoted(f'billability error {n}')} THEN {said(ERROR)}[{number}] "
            f"ELSE {said(WARNING)}[{number}] END"
        )
    if not pieces:
        return f"{constants}[{LEAF} + 1]"
    joined = f"concat_ws({text_literal(LIST_SEPARATOR if line_format is Format.CSV else ',')}, {', '.join(pieces)})"
    cell = _csv_quoted(joined) if line_format is Format.CSV else joined
    head = f"CASE WHEN {INVALID_ROW} THEN {text_literal(invalid_head)} ELSE {heads}[{RESOLVED_LEAF} + 1] END"
    words = f"CASE WHEN {DKEY} IS NULL THEN {constants}[{LEAF} + 1] ELSE {head} || {cell} || {text_literal(suffix)} END"
    return words


def _csv_quoted(text: str) -> str:
    """SQL for text as `rendered_tail` writes it in a CSV cell: quoted when it holds a
    character Python's csv module quotes."""
    characters = "".join("\\" + c if c in "]\\^-" else c for c in csv_quoted_characters())
    return (
        f"CASE WHEN regexp_matches({text}, {text_literal('[' + characters + ']')}) "
        f"THEN '\"' || replace({text}, '\"', '\"\"') || '\"' ELSE {text} END"
    )


def _first_invalid(connection: duckdb.DuckDBPyConnection, resolved: str, source: Source) -> list[int]:
    """The numbers of the first invalid rows of a numbered, resolved export."""
    sql = (
        f"SELECT {ROW} FROM {resolved} WHERE {DKEY} IS NOT NULL AND {INVALID_ROW} "
        f"ORDER BY {ROW} LIMIT {FIRST_INVALID_ROWS}"
    )
    return [row for (row,) in connection.execute(sql, source.parameters).fetchall()]
