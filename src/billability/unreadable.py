"""The cells of an export the DuckDB engine's SQL cannot read, each distinct one read
once by the interpreter and joined back in SQL.

In: a `Source` of rows (the export as DuckDB reads it, or the engine's staged file)
with each mapped fact's class (`UNREAD` where the SQL could not read the cell) and the
unread cells, the `Binding`, the `Policy` and its diagram's leaves.
Out: a `Diagnosis` (`diagnose`: each distinct unread cell of each fact, numbered, with
the class the interpreter reads it as, or its problem), and SQL over the source
(`resolved_sql`) giving every row its leaf (`RESOLVED_LEAF`: an unread cell read as the
interpreter reads it, or as blank when it cannot), the numbers of its unread cells in one
key (`DKEY`, NULL for a row with none) and whether its answer depends on one of them
(`INVALID_ROW`, as `audit.with_problems` says); and SQL for the words of its result
(`words_sql`), the same text as `results.rendered_tail`.

The lookups are maps from a cell's text, as large as the distinct unread cells, not the
rows; so a messy export costs no Python call per row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import duckdb

from billability.audit import INVALID
from billability.diagram import FactClasses, diagram_of, fact_classes
from billability.mapping import ERROR, WARNING, Binding, RowProblem
from billability.model import Policy
from billability.records import Format, quoted, text_literal
from billability.results import LIST_SEPARATOR, RowResult, csv_quoted_characters, render_problem, rendered_tail
from billability.sql import leaf_number

LEAF = quoted("billability leaf")
UNREAD = -1  # the class of a cell the SQL reading leaves to the interpreter
RESOLVED_LEAF = quoted("billability resolved leaf")
DKEY = quoted("billability unread")
INVALID_ROW = quoted("billability invalid")


def classes_of_readings(binding: Binding, policy: Policy) -> list[FactClasses]:
    """The classes of each mapped fact, in binding order."""
    by_name = {classes.name: classes for classes in diagram_of(policy).facts}
    return [by_name.get(r.fact.name) or fact_classes(policy, r.fact) for r in binding.readings]


def leaf_sql(policy: Policy, binding: Binding, column: Callable[[int], str]) -> tuple[str, list[RowResult]]:
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


def diagnose(
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


def resolved_sql(source: Source, diagnosis: Diagnosis, policy: Policy, binding: Binding) -> str:
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
    leaf, leaves = leaf_sql(policy, binding, lambda n: f"billability read {n}")
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


def words_sql(policy: Policy, leaves: list[RowResult], diagnosis: Diagnosis, line_format: Format) -> str:
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
