"""Audit an export inside DuckDB: the mapping and the policy's compiled query run over
the file as DuckDB reads it, and DuckDB writes the output.

In: an `Export`, a `Binding` of its columns to the facts, the `Policy`, and maybe the
output file's path.
Out: the same `Summary` and the same output as `audit.audit` with the Python engine:
CSV and JSON Lines files equal byte for byte, Parquet files with the same columns,
types and rows.

How: each mapped cell becomes its class (`_class_sql`: one CASE from the export's codes
to the position of the fact's class), and the policy's compiled walk of its decision
diagram (`sql.leaf_number`) turns the classes into a leaf. Three passes, each on every
thread:

1. `_stage`: read and decide every row into a Parquet file beside the target, in order:
   the row's cells made one line of CSV or JSON text (its cells themselves for Parquet
   output), its leaf, and its summary cells;
2. `_count`: the rows by leaf and minutes, and by outcome, staff and program, from it;
3. `_write`: every row, numbered by Parquet's own row numbers, with the words of its
   leaf as the Python engine's writer words them (`results.rendered_tail`).

Numbering rows in the order of a CSV file would take DuckDB one thread; the staged
file's row numbers take none. Without an output file, the rows are counted straight
from the export.

A row the SQL reading cannot take exactly as `mapping.Binding.facts` takes it is flagged
and read by the interpreter instead: a cell that is not a code of the mapping, a value
out of range, a cell with other whitespace around it than Python strips, a column of a
type whose text Python writes differently. Those rows (the invalid ones, and any other
the SQL declines) get their results from `audit.Results`, the Python engine's own
reading, through a Python function DuckDB calls for them alone, so that their
diagnostics and hints are the Python engine's by construction.
"""

from __future__ import annotations

import heapq
import inspect
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from duckdb.func import SPECIAL

from billability.audit import FIRST_INVALID_ROWS, INVALID, NOT_AUDITED, Counts, Results, Summary, summarize
from billability.dates import DATE_FORMATS
from billability.diagnostics import Diagnostic, Location, Problems
from billability.diagram import FactClasses, diagram_of
from billability.engines import PythonEngine
from billability.mapping import Binding
from billability.model import Fact, FactType, Policy
from billability.records import (
    Export,
    Format,
    bounded_connection,
    cell_sql,
    cell_type,
    line_sql,
    located_error,
    quoted,
    reader_parameters,
    reader_sql,
    text_literal,
)
from billability.results import (
    BOM,
    OUTPUT_COLUMNS,
    OUTPUT_TYPES,
    RowResult,
    header_line,
    output_format,
    rendered_tail,
    tail_object,
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
SCOPE = quoted("billability scope")
MEMORY = "512MB"
STAGED_LINE = quoted("billability line")
STAGED_CELLS = quoted("billability cells")
STAGED_SUMMARY = tuple(quoted(f"billability {role}") for role in ("minutes", "staff", "program"))
UNREAD = -1  # the class of a cell the SQL reading leaves to the interpreter
ENGINE_NAME = "duckdb"


def _matched(text: str) -> str:
    """SQL for the text a cell is matched by, as `mapping.key_of` matches it: lowered
    when it is ASCII, else as it is (DuckDB lowers some letters, `İ` say, otherwise
    than Python, so such a cell that matches no code as written is left to the
    interpreter)."""
    return f"CASE WHEN strlen({text}) = length({text}) THEN lower({text}) ELSE {text} END"


def _match_table(table: dict[str, Any]) -> dict[str, Any]:
    """The matching texts (`mapping.key_of`) SQL matches: the ASCII ones. A cell that
    matches another matches none in SQL, and the interpreter reads it."""
    return {key: value for key, value in table.items() if key.isascii()}


def _class_sql(binding: Binding, export: Export, index: int, classes: FactClasses) -> str:
    """SQL for the class of one mapped fact's cell: its position among the fact's
    classes, their count when the cell is blank or means unknown, or `UNREAD` when the
    interpreter must read it (a cell no code or value matches as SQL can tell, a number
    out of range or too long, a column whose type Python writes as other text)."""
    reading = binding.readings[index]
    fact = reading.fact
    kind = dict(zip(export.columns, export.types, strict=True))
    column = export.columns.index(reading.column)
    raw = cell_sql(export, column)
    unknown = len(classes.values)
    if reading.dates is not None:
        return _dates_class_sql(reading, kind, classes)
    if cell_type(export, column) not in SQL_READABLE:
        return f"CASE WHEN {raw} IS NULL THEN {unknown} ELSE {UNREAD} END"
    # Spaces are trimmed; a cell with other whitespace around it matches no code or value,
    # so the interpreter reads it and strips it as Python strips.
    text = f"trim(CAST({raw} AS VARCHAR))"
    table: dict[str, Any] | None
    if reading.codes is not None:
        table = reading.codes
    elif fact.type is FactType.ENUM:
        table = reading.spellings
    elif fact.type is FactType.BOOLEAN:
        table = {"true": True, "false": False}
    else:
        table = None
    if table is not None:

        def whens(table: dict[str, Any]) -> str:
            return " ".join(
                f"WHEN {text_literal(code)} THEN {unknown if value is None else classes.class_of(value)}"
                for code, value in table.items()
            )

        # The codes as the mapping spells them first, a lookup on the text as it is (what
        # most cells are); then the text as matched, for the cells typed otherwise.
        spelled = {reading.spellings.get(key, key).strip(): value for key, value in table.items()}
        return (
            f"CASE {text} WHEN '' THEN {unknown} {whens(spelled)} "
            f"ELSE CASE {_matched(text)} {whens(_match_table(table))} "
            f"ELSE CASE WHEN {raw} IS NULL THEN {unknown} ELSE {UNREAD} END END END"
        )
    number = f"TRY_CAST({text} AS BIGINT)"
    checks = f"NOT regexp_full_match({text}, '[-+]?[0-9]+')"
    return f"CASE WHEN {raw} IS NULL OR {text} = '' THEN {unknown} WHEN {checks} THEN {UNREAD} {_days_sql(number, fact, classes)}"


def _days_sql(number: str, fact: Fact, classes: FactClasses) -> str:
    """The WHENs and END of a CASE giving a whole number's class, or `UNREAD` when out of range."""
    bounds = [f"{number} IS NULL"]
    if fact.minimum is not None:
        bounds.append(f"{number} < {fact.minimum}")
    if fact.maximum is not None:
        bounds.append(f"{number} > {fact.maximum}")
    ranges = " ".join(f"WHEN {number} <= {high} THEN {n}" for n, (_, high) in enumerate(classes.ranges[:-1]))
    return f"WHEN {' OR '.join(bounds)} THEN {UNREAD} {ranges} ELSE {len(classes.values) - 1} END"


def _date_sql(column: str, kind: str, date_format: str) -> tuple[str, str] | None:
    """SQL for whether a date cell is blank, and for its date (NULL when it is no date
    in the format); None when the interpreter must read the column's type."""
    raw = quoted(column)
    if kind == "DATE":
        return f"{raw} IS NULL", raw
    if kind == "TIMESTAMP":
        return f"{raw} IS NULL", f"CAST({raw} AS DATE)"
    if kind != "VARCHAR":
        return None
    text = f"trim({raw})"
    shape = DATE_FORMATS[date_format]
    # The pattern holds DuckDB's parsing to the shape Python reads; Python has no year 0.
    year_zero = "'0000-%'" if shape.order[0] == "y" else "'%/0000'"
    date = (
        f"CASE WHEN regexp_full_match({text}, {text_literal(shape.pattern)}) AND {text} NOT LIKE {year_zero} "
        f"THEN CAST(try_strptime({text}, {text_literal(shape.strptime)}) AS DATE) END"
    )
    return f"({raw} IS NULL OR {text} = '')", date


def _dates_class_sql(reading: Any, kind: dict[str, str], classes: FactClasses) -> str:
    """The class of a fact derived from a service date and a discharge date, as
    `mapping.Binding.facts` derives it; a date SQL cannot read is left to the interpreter."""
    fact, dates = reading.fact, reading.dates
    service = _date_sql(dates.service, kind[dates.service], dates.format)
    discharge = _date_sql(dates.discharge, kind[dates.discharge], dates.format)
    if service is None or discharge is None:
        return str(UNREAD)
    (service_blank, service_date), (discharge_blank, discharge_date) = service, discharge
    unknown = len(classes.values)
    undischarged = classes.class_of(False) if fact.type is FactType.BOOLEAN else unknown
    days = f"date_diff('day', {discharge_date}, {service_date})"
    if fact.type is FactType.BOOLEAN:
        derived = f"WHEN {days} >= 0 THEN {classes.class_of(True)} ELSE {classes.class_of(False)} END"
    else:
        derived = f"WHEN {days} < 0 THEN {unknown} {_days_sql(days, fact, classes)}"
    return (
        f"CASE WHEN (NOT {service_blank} AND {service_date} IS NULL) "
        f"OR (NOT {discharge_blank} AND {discharge_date} IS NULL) THEN {UNREAD} "
        f"WHEN {discharge_blank} THEN {undischarged} WHEN {service_blank} THEN {unknown} {derived}"
    )


def _scope_sql(binding: Binding, export: Export) -> str:
    """SQL for whether a row is in the mapping's scope: 1, 0, or `UNREAD` when the
    interpreter must tell (a cell of a type Python writes otherwise, or one that holds
    other than printable ASCII and matches no code as written)."""
    assert binding.scope is not None
    raw = quoted(binding.scope.column)
    if dict(zip(export.columns, export.types, strict=True))[binding.scope.column] not in SQL_READABLE:
        return f"CASE WHEN {raw} IS NULL THEN 0 ELSE {UNREAD} END"
    text = f"CAST({raw} AS VARCHAR)"
    codes = ", ".join(text_literal(code) for code in _match_table(dict.fromkeys(binding.scope.codes))) or "NULL"
    return (
        f"CASE WHEN {raw} IS NULL THEN 0 WHEN {_matched(f'trim({text})')} IN ({codes}) THEN 1 "
        f"WHEN regexp_full_match({text}, '[ -~]*') THEN 0 ELSE {UNREAD} END"
    )


def _decided_sql(export: Export, binding: Binding, policy: Policy, numbered_rows: bool) -> tuple[str, list[RowResult]]:
    """The export as a query with every input column, whether it is flagged (`FLAGGED`)
    and its diagram leaf (`LEAF`), and with `numbered_rows` its number (`ROW`) first; and
    the leaves' results. Numbering rows in order takes DuckDB one thread; without it,
    reading and deciding take all."""
    import sqlglot

    position = {reading.fact.name: n for n, reading in enumerate(binding.readings)}
    # Every mapped fact is read, also one the diagram never asks: its cell may be unread.
    found = {
        classes.name: _class_sql(binding, export, position[classes.name], classes)
        for classes in diagram_of(policy).facts
        if classes.name in position
    }

    def class_of(classes: dict[str, Any]) -> Any:
        name = classes["name"]
        if name not in position:
            return sqlglot.exp.Literal.number(len(classes["classes"]))
        return sqlglot.exp.column(f"billability class {name}", quoted=True)

    leaf, _, leaves = leaf_number(policy, class_of, "duckdb")
    numbered = f"row_number() OVER () AS {ROW}, " if numbered_rows else ""
    inputs = ", ".join(quoted(c) for c in export.columns)
    columns = {name: quoted(f"billability class {name}") for name in found}
    computed = "".join(f", {sql} AS {columns[name]}" for name, sql in found.items())
    unread = " OR ".join(f"{column} = {UNREAD}" for column in columns.values()) or "FALSE"
    leaf_sql = leaf.sql("duckdb")
    if binding.scope is not None:
        # A row out of scope is never decided: its own leaf, and never flagged.
        computed += f", {_scope_sql(binding, export)} AS {SCOPE}"
        unread = f"{SCOPE} = {UNREAD} OR ({SCOPE} = 1 AND ({unread}))"
        leaf_sql = f"CASE WHEN {SCOPE} = 0 THEN {len(leaves)} ELSE {leaf_sql} END"
        leaves = (*leaves, {"outcome": NOT_AUDITED, "rules": [], "reasons": [], "missing": []})
    # The classes are computed once, in the first projection (under the row numbers'
    # window when there is one): every later use reads them instead of the cells again.
    query = (
        f"WITH mapped AS (SELECT {numbered}{inputs}{computed} FROM {reader_sql(export)}) "
        f"SELECT {ROW + ', ' if numbered_rows else ''}{inputs}, ({unread}) AS {FLAGGED}, "
        f"{leaf_sql} AS {LEAF} FROM mapped"
    )
    results = [
        RowResult(item["outcome"], tuple(item["rules"]), tuple(item["reasons"]), tuple(item["missing"]))
        for item in leaves
    ]
    return query, results


def audit_in_duckdb(
    export: Export,
    binding: Binding,
    policy: Policy,
    target: Path | None = None,
    progress: Callable[[float], None] | None = None,
    bom: bool = False,
) -> Summary:
    """Decide every row of the export inside DuckDB (see the module docstring);
    `progress` is told the share of the work done, from 0 to 1; with `bom` a CSV
    output starts with a byte order mark."""
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
    known = Results(binding, PythonEngine(policy))
    made: list[Path] = []
    keys = [cell_sql(export, i) for i in binding.indexes]
    # A flagged row's fact cells, for the interpreter: as text where DuckDB writes the text
    # Python would make of them (so they pass a Parquet file unchanged), else as they are.
    texts = [
        f"CAST({key} AS VARCHAR)" if cell_type(export, i) in SQL_READABLE | {"HUGEINT", "UHUGEINT"} else key
        for key, i in zip(keys, binding.indexes, strict=True)
    ]
    cells = "{" + ", ".join(f"'k{n}': {text}" for n, text in enumerate(texts)) + "}" if keys else "NULL"
    summary = [cell_sql(export, i) if i is not None else "NULL" for i in binding.summary_indexes]
    try:
        with bounded_connection(MEMORY) as connection:
            first_invalid: list[int] = []
            if target is None:
                leaf = f"CASE WHEN {FLAGGED} THEN NULL ELSE {LEAF} END"
                flagged = f"CASE WHEN {FLAGGED} THEN {cells} END"
                source = (f"({query})", reader_parameters(export))
                counts, rows = _count(connection, source, (leaf, flagged, *summary), len(keys), known, leaves, progress)
                if any(known.outcomes[i] == INVALID for i, _ in counts.rows):
                    numbered, _ = _decided_sql(export, binding, policy, numbered_rows=True)
                    first_invalid = _first_invalid(connection, numbered, export, binding, known)
            else:
                file_format = output_format(target)
                staged = temporary_beside(target, ".parquet.part")
                made.append(staged)
                _stage(connection, query, export, (cells, *summary), file_format, staged, _scaled(progress, 0, 0.6))
                mapped = (name if sql != "NULL" else "NULL" for name, sql in zip(STAGED_SUMMARY, summary, strict=True))
                staged_columns = (LEAF, STAGED_CELLS, *mapped)
                source = ("read_parquet(?)", [str(staged)])
                counts, rows = _count(connection, source, staged_columns, len(keys), known, leaves, None)
                part = temporary_beside(target, ".part")
                made.append(part)
                written = _scaled(progress, 0.6, 0.4)
                into = (staged, part, file_format)
                _write(connection, into, export, binding, policy, known, leaves, first_invalid, written, bom)
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
    # Not `Thread.join`: a signal's exception interrupting it makes the thread look
    # finished while it runs (Python 3.11), and it would outlive the connection.
    finished = threading.Event()

    def run() -> None:
        try:
            connection.execute(sql, parameters)
        except BaseException as error:
            failure.append(error)
        finally:
            finished.set()

    threading.Thread(target=run, daemon=True).start()
    try:
        while not finished.wait(0.2):
            done = connection.query_progress()
            if done >= 0:
                progress(min(done, 100.0) / 100)
    except BaseException:
        # Stopped (a signal, say): the statement stops too before its files are removed.
        connection.interrupt()
        finished.wait()
        raise
    if failure:
        raise failure[0]
    progress(1.0)
    return connection


def _count(
    connection: duckdb.DuckDBPyConnection,
    source: tuple[str, list[Any]],
    columns: tuple[str, ...],
    width: int,
    known: Results,
    leaves: list[RowResult],
    progress: Callable[[float], None] | None,
) -> tuple[Counts, int]:
    """Rows by result and minutes cell, and by outcome, staff and program cells
    (`audit.Counts`), on every thread. `source` is a table and its parameters; `columns`
    the SQL of each row's leaf (NULL when flagged), its fact cells when flagged (a struct
    with `k0`, `k1`... in binding order, else NULL), and its minutes, staff and program
    cells (NULL when not mapped). Flagged rows are grouped by their cells, which Python
    reads; the others by leaf and by outcome, which DuckDB knows."""
    table, parameters = source
    leaf_sql, cells, minutes, staff, program = columns
    by_group = (staff, program) != ("NULL", "NULL")
    outcomes = "[" + ", ".join(text_literal(result.outcome) for result in leaves) + "]"
    inner = f"SELECT {leaf_sql}, {outcomes}[{leaf_sql} + 1], {cells}, {minutes}, {staff}, {program} FROM {table}"
    sets = "GROUPING SETS ((leaf, cells, m), (outcome, cells, s, p))" if by_group else "leaf, cells, m"
    sql = (
        f"SELECT leaf, {'outcome' if by_group else 'NULL'}, cells, m, "
        f"{'s, p, GROUPING(m)' if by_group else 'NULL, NULL, 0'}, count(*) "
        f"FROM ({inner}) AS t(leaf, outcome, cells, m, s, p) GROUP BY {sets}"
    )
    found = _run(connection, sql, parameters, progress).fetchall()

    def cells_of(struct: dict[str, Any] | None) -> tuple[Any, ...]:
        return tuple((struct or {}).get(f"k{n}") for n in range(width))

    known.add(cells_of(record[2]) for record in found if record[2] is not None)
    counts = Counts()
    ids: dict[int, int] = {}
    rows = 0
    for leaf, outcome, flagged, minute, staff_cell, program_cell, in_groups, number in found:
        if in_groups:
            if flagged is not None:
                outcome = known.outcomes[known.index[cells_of(flagged)]]
            counts.groups[(outcome, staff_cell, program_cell)] += number
            continue
        if flagged is not None:
            found_id = known.index[cells_of(flagged)]
        else:
            if leaf not in ids:
                ids[leaf] = known.id_of(leaves[leaf])
            found_id = ids[leaf]
        counts.rows[(found_id, minute if minutes != "NULL" else None)] += number
        rows += number
    return counts, rows


def _stage(
    connection: duckdb.DuckDBPyConnection,
    query: str,
    export: Export,
    columns: tuple[str, ...],
    file_format: Format,
    staged: Path,
    progress: Callable[[float], None] | None,
) -> None:
    """Read and decide every row on every thread into a Parquet file that keeps their
    order: the row's own cells (made one line of CSV or JSON text when the output is
    text), its leaf, its fact cells when flagged, and its summary cells."""
    cells, minutes, staff, program = columns
    if file_format is Format.PARQUET:
        payload = ", ".join(quoted(c) for c in export.columns)
    else:
        line_format = Format.CSV if file_format is Format.CSV else Format.JSONL
        payload = f"{line_sql(export.columns, line_format)} AS {STAGED_LINE}"
    select = (
        f"SELECT {payload}, CASE WHEN {FLAGGED} THEN NULL ELSE {LEAF} END AS {LEAF}, "
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
    into: tuple[Path, Path, Format],
    export: Export,
    binding: Binding,
    policy: Policy,
    known: Results,
    leaves: list[RowResult],
    first_invalid: list[int],
    progress: Callable[[float], None] | None,
    bom: bool = False,
) -> None:
    """Every staged row, in order and numbered (Parquet's own row numbers, so on every
    thread), into a file in a format; the numbers of the first invalid rows are added
    to `first_invalid` on the way. With `bom`, a CSV file starts with a byte order mark
    (the first character of its header)."""
    stamp = (policy.id, policy.version)
    staged, part, file_format = into
    keys = [f"{STAGED_CELLS}.k{n}" for n in range(len(binding.indexes))]
    line_format = Format.CSV if file_format is Format.CSV else Format.JSONL
    rendered: dict[int, str] = {}

    def tail(row: int, *cells: Any) -> str:
        """The words of a flagged row's result, read by the interpreter."""
        found = known.index.get(cells)
        if found is None:
            known.add([cells])
            found = known.index[cells]
        if known.outcomes[found] == INVALID:
            if len(first_invalid) < FIRST_INVALID_ROWS:
                heapq.heappush(first_invalid, -row)
            elif row < -first_invalid[0]:
                heapq.heapreplace(first_invalid, -row)
        if found not in rendered:
            result = known.results[found]
            rendered[found] = (
                json.dumps(tail_object(result, stamp), ensure_ascii=False)
                if file_format is Format.PARQUET
                else rendered_tail(result, line_format, stamp)
            )
        return rendered[found]

    # DuckDB calls the function with one argument per fact cell, as its signature says.
    tail.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(f"cell{n}", inspect.Parameter.POSITIONAL_ONLY) for n in range(len(keys) + 1)]
    )
    types: list[Any] = [duckdb.sqltype("BIGINT")]
    if keys:
        described = connection.execute(f"DESCRIBE SELECT {STAGED_CELLS}.* FROM read_parquet(?)", [str(staged)])
        types += [duckdb.sqltype(kind) for _, kind, *_ in described.fetchall()]
    connection.create_function(
        "billability_tail", tail, types, duckdb.sqltype("VARCHAR"), null_handling=SPECIAL, side_effects=False
    )
    staged_rows = "read_parquet(?, file_row_number = true)"
    row = "(file_row_number + 1)"
    flagged = f"{STAGED_CELLS} IS NOT NULL"
    flagged_tail = f"billability_tail({', '.join([row, *keys])})"
    if file_format is Format.PARQUET:
        struct = "STRUCT(" + ", ".join(f"{quoted(name)} {OUTPUT_TYPES[name]}" for name in OUTPUT_COLUMNS[1:]) + ")"
        constants = f"CAST({text_literal(json.dumps([tail_object(r, stamp) for r in leaves]))} AS JSON)"
        words = (
            f"CASE WHEN {flagged} THEN CAST(CAST({flagged_tail} AS JSON) AS {struct}) "
            f"ELSE CAST({constants} AS {struct}[])[{LEAF} + 1] END"
        )
        inputs = ", ".join(quoted(c) for c in export.columns)
        fields = ", ".join(f"w.{name}" for name in OUTPUT_COLUMNS[1:])
        select = f"SELECT {inputs}, {row} AS row, {fields} FROM (SELECT *, {words} AS w FROM {staged_rows})"
        options = "(FORMAT parquet)"
    else:
        constants = "[" + ", ".join(text_literal(rendered_tail(r, line_format, stamp)) for r in leaves) + "]"
        words = f"CASE WHEN {flagged} THEN {flagged_tail} ELSE {constants}[{LEAF} + 1] END"
        line = STAGED_LINE
        if line_format is Format.CSV:
            text = f"{line} || ',' || {row} || {words}"
            header = quoted((BOM if bom else "") + header_line(export.columns))
        else:
            text = f"""substr({line}, 1, length({line}) - 1) || ',"row":' || {row} || {words}"""
            header = quoted("line")
        select = f"SELECT {text} AS {header} FROM {staged_rows}"
        options = f"(FORMAT csv, HEADER {'true' if line_format is Format.CSV else 'false'}, QUOTE '', ESCAPE '')"
    _run(connection, f"COPY ({select}) TO {text_literal(str(part))} {options}", [str(staged)], progress)
    first_invalid[:] = sorted(-row for row in first_invalid)


def _first_invalid(
    connection: duckdb.DuckDBPyConnection, query: str, export: Export, binding: Binding, known: Results
) -> list[int]:
    """The numbers of the first invalid rows, reading the flagged rows in order until found."""
    keys = ", ".join(cell_sql(export, i) for i in binding.indexes)
    cursor = connection.execute(f"SELECT {ROW}, {keys} FROM ({query}) WHERE {FLAGGED}", reader_parameters(export))
    found: list[int] = []
    while len(found) < FIRST_INVALID_ROWS:
        rows = cursor.fetchmany(1000)
        if not rows:
            break
        known.add(tuple(row[1:]) for row in rows)
        found += [row[0] for row in rows if known.outcomes[known.index[tuple(row[1:])]] == INVALID]
    return found[:FIRST_INVALID_ROWS]
