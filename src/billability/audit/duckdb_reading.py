"""Read an export's mapped cells as the classes of the policy's facts, in DuckDB's SQL.

In: an `Export`, a `Binding` of its columns to the facts, and the `Policy`.
Out: `decided_sql`, the export as a DuckDB query with every input column, each mapped
fact's class (`class_column`: its position among the fact's classes, `UNREAD` when the
interpreter must read the cell), whether the row is in the mapping's scope (`SCOPE`),
whether it has a cell the SQL cannot read (`FLAGGED`) and the leaf of the policy's
decision diagram it reaches (`LEAF`); and `cell_texts`, each mapped cell as the
interpreter takes it. A cell is left to the interpreter when the SQL cannot read it
exactly as `binding.Binding.facts` reads it (see `duckdb_engine`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from billability.audit.binding import Binding
from billability.audit.dated_leaves import UNREAD, classes_of_readings, leaf_sql, not_audited_leaf, version_sql
from billability.audit.dates import DATE_FORMATS
from billability.audit.records import Export, cell_sql, cell_type, quoted, reader_sql, text_literal
from billability.audit.results import RowResult
from billability.audit.unreadable import LEAF
from billability.decide.value_classes import FactClasses
from billability.model.policy import Fact, FactType
from billability.policy.compiled import Policy

# Column types whose text (`CAST(... AS VARCHAR)`) is the text `mapping.text_of` makes of the cell.
SQL_READABLE = frozenset(
    {"VARCHAR", "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
)
ROW = quoted("billability row")
FLAGGED = quoted("billability flagged")
VERSION = quoted("billability version")
SCOPE = quoted("billability scope")


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
    if reading.dates is not None:
        return _dates_class_sql(reading, export, classes)
    column = export.columns.index(reading.column)
    raw = cell_sql(export, column)
    unknown = len(classes.values)
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


def _date_sql(export: Export, column: str, date_format: str) -> tuple[str, str] | None:
    """SQL for whether a date cell is blank, and for its date (NULL when it is no date
    in the format); None when the interpreter must read the column's type."""
    index = export.columns.index(column)
    raw, kind = cell_sql(export, index), cell_type(export, index)
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


def _dates_class_sql(reading: Any, export: Export, classes: FactClasses) -> str:
    """The class of a fact derived from a service date and a discharge date, as
    `binding.Binding.facts` derives it; a date SQL cannot read is left to the interpreter."""
    fact, dates = reading.fact, reading.dates
    service = _date_sql(export, dates.service, dates.format)
    discharge = _date_sql(export, dates.discharge, dates.format)
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
    index = export.columns.index(binding.scope.column)
    raw = cell_sql(export, index)
    if cell_type(export, index) not in SQL_READABLE:
        return f"CASE WHEN {raw} IS NULL THEN 0 ELSE {UNREAD} END"
    text = f"CAST({raw} AS VARCHAR)"
    codes = ", ".join(text_literal(code) for code in _match_table(dict.fromkeys(binding.scope.codes))) or "NULL"
    return (
        f"CASE WHEN {raw} IS NULL THEN 0 WHEN {_matched(f'trim({text})')} IN ({codes}) THEN 1 "
        f"WHEN regexp_full_match({text}, '[ -~]*') THEN 0 ELSE {UNREAD} END"
    )


def decided_sql(
    export: Export, binding: Binding, policy: Policy | Sequence[Policy], numbered_rows: bool
) -> tuple[str, list[RowResult]]:
    """The export as a query with every input column, each mapped fact's class
    (`class_column`, `UNREAD` when the SQL cannot read the cell), with a scope whether
    the row is in it (`SCOPE`, `_scope_sql`), whether the row has
    such a cell (`FLAGGED`) and its diagram leaf (`LEAF`, meaningful when not flagged),
    and with `numbered_rows` its number (`ROW`) first; and the leaves' results. With a
    service date, `policy` is the versions it picks from (oldest first) and the row has
    the position of its version (`VERSION`; `UNREAD` flags the row).
    Numbering rows in order takes DuckDB one thread; without it, reading and deciding
    take all."""
    classes = classes_of_readings(binding, policy)
    # Every mapped fact is read, also one the diagram never asks: its cell may be unread.
    computed = "".join(
        f", {_class_sql(binding, export, n, found)} AS {quoted(class_column(n))}" for n, found in enumerate(classes)
    )
    leaf, results = leaf_sql(policy, binding, class_column, VERSION)
    numbered = f"row_number() OVER () AS {ROW}, " if numbered_rows else ""
    inputs = ", ".join(quoted(c) for c in export.columns)
    class_columns = "".join(f", {quoted(class_column(n))}" for n in range(len(classes)))
    unread = " OR ".join(f"{quoted(class_column(n))} = {UNREAD}" for n in range(len(classes))) or "FALSE"
    if binding.dated is not None:
        computed += f", {version_sql(binding, export, _date_sql)} AS {VERSION}"
        class_columns += f", {VERSION}"
        unread = f"{VERSION} = {UNREAD} OR {unread}"
    if binding.scope is not None:
        # A row out of scope is never decided: its own leaf (`leaf_sql`), and never flagged.
        computed += f", {_scope_sql(binding, export)} AS {SCOPE}"
        class_columns += f", {SCOPE}"
        unread = f"{SCOPE} = {UNREAD} OR ({SCOPE} = 1 AND ({unread}))"
        leaf = f"CASE WHEN {SCOPE} = 0 THEN {not_audited_leaf(results)} ELSE {leaf} END"
    # The classes are computed once, in the first projection (under the row numbers'
    # window when there is one): every later use reads them instead of the cells again.
    query = (
        f"WITH mapped AS (SELECT {numbered}{inputs}{computed} FROM {reader_sql(export)}) "
        f"SELECT {ROW + ', ' if numbered_rows else ''}{inputs}{class_columns}, ({unread}) AS {FLAGGED}, "
        f"{leaf} AS {LEAF} FROM mapped"
    )
    return query, results


def class_column(n: int) -> str:
    return f"billability class {n}"


def cell_text(export: Export, column: str) -> str:
    """SQL for a cell as the interpreter takes it: as text where DuckDB writes the text
    Python would make of it (so it passes a Parquet file unchanged), else as it is."""
    index = export.columns.index(column)
    cell = cell_sql(export, index)
    return f"CAST({cell} AS VARCHAR)" if cell_type(export, index) in SQL_READABLE | {"HUGEINT", "UHUGEINT"} else cell


def cell_texts(export: Export, binding: Binding) -> list[str]:
    """SQL for each mapped fact's cell as the interpreter takes it (`cell_text`); for a
    fact derived from dates, the service and discharge dates as a struct (`s`, `d`)."""
    texts = []
    for reading in binding.readings:
        if reading.dates is None:
            texts.append(cell_text(export, reading.column))
        else:
            service, discharge = (cell_text(export, c) for c in reading.columns)
            texts.append(f"{{'s': {service}, 'd': {discharge}}}")
    return texts
