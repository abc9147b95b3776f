"""The cells of an export the DuckDB engine's SQL cannot read, each distinct one read
once by the interpreter and joined back in SQL.

In: a `Source` of rows (the export as DuckDB reads it, or the engine's staged file)
with each mapped fact's class (`UNREAD` where the SQL could not read the cell), the
unread cells (for a fact derived from two dates, the pair of them), and with a scope
whether the row is in it (`UNREAD` when the SQL cannot tell, with the scope's cell);
the `Binding`, the `Policy` and its diagram's leaves (with `not_audited` last when the
mapping has a scope).
Out: a `Diagnosis` (`diagnose`: each distinct unread cell (or pair) of each fact,
numbered, with the class the interpreter reads it as and its problems, and each
distinct unread scope cell with whether it is in scope), and SQL over the source
(`resolved_sql`) giving every row its leaf (`RESOLVED_LEAF`: an unread cell read as the
interpreter reads it, or as blank when it cannot; `not_audited` out of scope), the
numbers of its unread cells in one key (`DKEY`, NULL for a row with none) and whether
its answer depends on one of them (`INVALID_ROW`, as `python_audit.with_problems` says); and
SQL for the words of its result (`words_sql`), the same text as `results.rendered_tail`.

A row's problems are said in the interpreter's order, each once (`problem_places`): a
date cell that two derived facts read is one problem, an error when either fact bears
on the answer.

The lookups are maps from a cell's text, as large as the distinct unread cells, not the
rows; so a messy export costs no Python call per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb

from billability.audit.binding import Binding, RowProblem
from billability.audit.dated_leaves import UNREAD, DateDiagnosis, leaf_sql, not_audited_leaf
from billability.audit.formats import Format
from billability.audit.outcomes import ERROR, INVALID, WARNING
from billability.audit.records import quoted, text_literal
from billability.audit.results import LIST_SEPARATOR, RowResult, csv_quoted_characters, render_problem, rendered_tail
from billability.decide.value_classes import FactClasses
from billability.policy.compiled import Policy

LEAF = quoted("billability leaf")
RESOLVED_LEAF = quoted("billability resolved leaf")
DKEY = quoted("billability unread")
INVALID_ROW = quoted("billability invalid")


def problem_places(binding: Binding) -> list[tuple[int, int, tuple[str, ...]]]:
    """Where each problem a row can have is found, in the order the interpreter says
    them: the mapped fact whose unread cell holds it, which of its problems (0 for a
    fact read from one cell; 0 and 1 for the service and discharge dates of a derived
    fact, 2 for a derived number out of range), and the facts it feeds. A date column
    read in one format by two facts is one problem, found at the first of them."""
    places: list[tuple[int, int, tuple[str, ...]]] = []
    dates: dict[tuple[str, str], int] = {}
    for n, reading in enumerate(binding.readings):
        fact = reading.fact.name
        if reading.dates is None:
            places.append((n, 0, (fact,)))
            continue
        for role, column in enumerate(reading.columns):
            found = dates.get((column, reading.dates.format))
            if found is None:
                dates[column, reading.dates.format] = len(places)
                places.append((n, role, (fact,)))
            elif fact not in places[found][2]:
                at, kind, facts = places[found]
                places[found] = (at, kind, (*facts, fact))
        places.append((n, 2, (fact,)))
    return places


@dataclass(frozen=True, slots=True)
class Source:
    """Rows to resolve: a table and its parameters, and SQL over its columns for the
    class of the nth mapped fact (`classes[n]`), the cell when the SQL could not read it
    (`unread[n]`, else NULL: a struct of the service and discharge dates for a derived
    fact), whether the row is flagged, and the leaf of a row that is not (`leaf`); with
    a scope, whether the row is in it (`scope`: 1, 0 or `UNREAD`) and the scope's cell
    when that is `UNREAD` (`scope_unread`)."""

    table: str
    parameters: list[Any]
    classes: tuple[str, ...]
    unread: tuple[str, ...]
    flagged: str
    leaf: str
    scope: str | None = None
    scope_unread: str = "NULL"
    version: str = "0"
    version_cell: str = "NULL"


def cell_key(binding: Binding, n: int, cell: str) -> str:
    """SQL for the text an unread cell of the nth mapped fact is looked up by: the
    cell's text, or the JSON of a derived fact's two dates (a pair as one text)."""
    if binding.readings[n].dates is not None:
        return f"CAST(to_json({cell}) AS VARCHAR)"
    return f"CAST({cell} AS VARCHAR)"


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Each distinct cell the SQL could not read, of each mapped fact (binding order),
    read once by the interpreter: numbered from 1 by its text (`numbers`, `cell_key`),
    with the class it reads as (`classes`, the unknown class when it cannot be read)
    and its problems by kind (`problems`, see `problem_places`; None where there is
    none); and each distinct scope cell the SQL could not tell (`scope_numbers`), with
    whether the interpreter finds it in scope (`scope_in`)."""

    numbers: tuple[dict[str, int], ...]
    classes: tuple[tuple[int, ...], ...]
    problems: tuple[tuple[tuple[RowProblem | None, ...], ...], ...]
    places: tuple[tuple[int, int, tuple[str, ...]], ...] = ()
    scope_numbers: dict[str, int] = field(default_factory=dict)
    scope_in: tuple[bool, ...] = ()

    radixes: tuple[int, ...] = ()  # what each fact's cell number is multiplied by in a row's `DKEY`
    span: int = 1  # one more than the largest `DKEY`

    @staticmethod
    def of(
        numbers: tuple[dict[str, int], ...],
        classes: tuple[tuple[int, ...], ...],
        problems: tuple[tuple[tuple[RowProblem | None, ...], ...], ...],
        places: tuple[tuple[int, int, tuple[str, ...]], ...] = (),
        scope: tuple[dict[str, int], tuple[bool, ...]] | None = None,
    ) -> Diagnosis:
        radixes, span = [], 1
        for found in numbers:
            radixes.append(span)
            span *= len(found) + 1
        scope_numbers, scope_in = scope if scope is not None else ({}, ())
        return Diagnosis(numbers, classes, problems, places, scope_numbers, scope_in, tuple(radixes), span)

    @property
    def key_type(self) -> str:
        """The SQL type of a `DKEY`."""
        return "HUGEINT" if self.span > 2**62 else "BIGINT"

    def problem_at(self, place: int, number: int) -> RowProblem | None:
        """The problem at a place (`problem_places`) of a fact's cell numbered `number`."""
        n, kind, _ = self.places[place]
        if not number:
            return None
        found = self.problems[n][number - 1]
        return found[kind] if kind < len(found) else None

    def problems_of(self, key: int) -> tuple[RowProblem, ...]:
        """The problems of a row's unreadable cells, in the interpreter's order, from its
        `DKEY`, each with the facts it feeds."""
        found: list[RowProblem] = []
        for place, (n, _, facts) in enumerate(self.places):
            number = key // self.radixes[n] % (len(self.numbers[n]) + 1)
            problem = self.problem_at(place, number)
            if problem is not None:
                found.append(replace(problem, facts=facts))
        return tuple(found)


def diagnose(
    connection: duckdb.DuckDBPyConnection, source: Source, binding: Binding, classes: list[FactClasses]
) -> Diagnosis:
    """Read each distinct unreadable cell of each mapped fact, and each distinct scope
    cell the SQL cannot tell, once, in one pass."""
    width = len(classes)
    scoped = source.scope is not None
    unread = [*source.unread, source.scope_unread] if scoped else list(source.unread)
    if not unread:
        return Diagnosis.of((), (), ())
    cells = ", ".join(f"{sql} AS u{n}" for n, sql in enumerate(unread))
    texts = ", ".join(
        f"u{n}, {cell_key(binding, n, f'u{n}') if n < width else f'CAST(u{n} AS VARCHAR)'}" for n in range(len(unread))
    )
    sets = ", ".join(f"(u{n})" for n in range(len(unread)))
    sql = (
        f"SELECT {texts} FROM (SELECT {cells} FROM {source.table} WHERE {source.flagged}) "
        f"GROUP BY GROUPING SETS ({sets})"
    )
    numbers: list[dict[str, int]] = [{} for _ in range(width)]
    read_as: list[list[int]] = [[] for _ in range(width)]
    problems: list[list[tuple[RowProblem | None, ...]]] = [[] for _ in range(width)]
    scope_numbers: dict[str, int] = {}
    scope_in: list[bool] = []
    cursor = connection.execute(sql, source.parameters)
    while rows := cursor.fetchmany(10_000):
        for row in rows:
            if scoped and row[2 * width + 1] is not None and row[2 * width + 1] not in scope_numbers:
                assert binding.scope is not None
                given: list[Any] = [None] * len(binding.indexes)
                given[binding.scope.place] = row[2 * width]
                scope_numbers[row[2 * width + 1]] = len(scope_numbers) + 1
                scope_in.append(binding.in_scope(given))
            for n in range(width):
                cell, text = row[2 * n], row[2 * n + 1]
                if text is None or text in numbers[n]:
                    continue
                reading = binding.readings[n]
                given = [None] * len(binding.indexes)
                if reading.dates is not None:
                    given[reading.places[0]], given[reading.places[1]] = cell["s"], cell["d"]
                else:
                    given[reading.places[0]] = cell
                facts, found = binding.facts(given)
                fact = reading.fact.name
                value = facts.get(fact)
                own = [p for p in found if fact in p.facts]
                numbers[n][text] = len(numbers[n]) + 1
                read_as[n].append(len(classes[n].values) if own or value is None else classes[n].class_of(value))
                if reading.dates is None:
                    problems[n].append((own[0] if own else None,))
                else:
                    kinds = [
                        next((p for p in own if p.code == "record.date" and p.column == column), None)
                        for column in reading.columns
                    ]
                    kinds.append(next((p for p in own if p.code != "record.date"), None))
                    problems[n].append(tuple(kinds))
    return Diagnosis.of(
        tuple(numbers),
        tuple(tuple(c) for c in read_as),
        tuple(tuple(p) for p in problems),
        tuple(problem_places(binding)),
        (scope_numbers, tuple(scope_in)),
    )


IN_SCOPE = quoted("billability in scope")
RESOLVED_VERSION = quoted("billability resolved version")
DATE_NUMBER = quoted("billability date")
UNDATED = quoted("billability undated")


def resolved_sql(
    source: Source,
    diagnosis: Diagnosis,
    policy: Policy | Sequence[Policy],
    binding: Binding,
    dates: DateDiagnosis | None = None,
) -> str:
    """The source's rows with the leaf of every row (`RESOLVED_LEAF`: a flagged row's
    unreadable cells read as the interpreter read them, or as blank when it could not;
    `not_audited` when out of scope; with a service date, under the version of its
    date, or the leaf of its date's problem after every other, `DateDiagnosis.leaves`)
    and, for a flagged row, the numbers of its unreadable cells in one key (`DKEY`, see
    `Diagnosis.problems_of`; NULL when not flagged, or when no version decides it:
    `UNDATED`). Each lookup is one map from the cell's text, built from the distinct
    cells alone."""
    dates = dates if dates is not None else DateDiagnosis({}, (), ())
    width = len(diagnosis.numbers)
    if source.scope is None:
        in_scope = "1"
    elif diagnosis.scope_numbers:
        told = "MAP {" + ", ".join(f"{text_literal(t)}: {d}" for t, d in diagnosis.scope_numbers.items()) + "}"
        answers = "[" + ", ".join("1" if found else "0" for found in diagnosis.scope_in) + "]"
        in_scope = (
            f"CASE WHEN {source.scope} = {UNREAD} THEN {answers}[{told}[CAST({source.scope_unread} AS VARCHAR)]] "
            f"ELSE {source.scope} END"
        )
    else:
        in_scope = source.scope
    numbered = []
    for n, numbers in enumerate(diagnosis.numbers):
        if not numbers:
            numbered.append("0")
            continue
        lookup = "MAP {" + ", ".join(f"{text_literal(t)}: {d}" for t, d in numbers.items()) + "}"
        numbered.append(
            f"CASE WHEN {source.unread[n]} IS NULL OR {IN_SCOPE} = 0 THEN 0 "
            f"ELSE {lookup}[{cell_key(binding, n, source.unread[n])}] END"
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
    leaf, leaves = leaf_sql(policy, binding, lambda n: f"billability read {n}", RESOLVED_VERSION)
    undated = "false"
    if binding.dated is not None:
        read += f", {dates.version(source.version, source.version_cell)} AS {RESOLVED_VERSION}"
        read += f", {dates.number(source.version, source.version_cell)} AS {DATE_NUMBER}"
        leaf = f"CASE WHEN {RESOLVED_VERSION} = {UNREAD} THEN {len(leaves) - 1} + {DATE_NUMBER} ELSE {leaf} END"
        undated = f"({IN_SCOPE} = 1 AND {RESOLVED_VERSION} = {UNREAD})"
    if binding.scope is not None:
        leaf = f"CASE WHEN {IN_SCOPE} = 0 THEN {not_audited_leaf(leaves)} ELSE {leaf} END"
    numbers_sql = "".join(f", {sql} AS {number[n]}" for n, sql in enumerate(numbered))
    errors = _errors_sql(leaves, diagnosis)
    invalid = " OR ".join(quoted(f"billability error {p}") for p in errors) or "false"
    errors_sql = "".join(f", {sql} AS {quoted(f'billability error {p}')}" for p, sql in errors.items())
    return (
        f"(SELECT *, {invalid} AS {INVALID_ROW} FROM (SELECT *{errors_sql} FROM "
        f"(SELECT *, CASE WHEN {source.flagged} THEN {leaf} ELSE {source.leaf} END AS {RESOLVED_LEAF}, "
        f"CASE WHEN {source.flagged} AND NOT {undated} THEN {key or f'CAST(0 AS {kind})'} END AS {DKEY}, "
        f"{source.flagged} AND {undated} AS {UNDATED} "
        f"FROM (SELECT *{read} FROM (SELECT *{numbers_sql} FROM "
        f"(SELECT *, {in_scope} AS {IN_SCOPE} FROM {source.table}))))))"
    )


def _errors_sql(leaves: list[RowResult], diagnosis: Diagnosis) -> dict[int, str]:
    """For each place of a problem (`problem_places`) that some unread cell has, SQL
    for whether a resolved row has that problem and its answer depends on it: a fact
    the problem feeds is among the resolved leaf's missing facts."""
    found: dict[int, str] = {}
    for place, (n, _, facts) in enumerate(diagnosis.places):
        present = [diagnosis.problem_at(place, d) is not None for d in range(1, len(diagnosis.numbers[n]) + 1)]
        if not any(present):
            continue
        number = quoted(f"billability number {n}")
        bearing = [not facts or any(f in r.missing for f in facts) for r in leaves]
        has = "[" + ", ".join("true" if p else "false" for p in present) + "]"
        depends = "[" + ", ".join("true" if b else "false" for b in bearing) + "]"
        found[place] = (
            f"CASE WHEN {DKEY} IS NULL OR {number} = 0 THEN false "
            f"ELSE {has}[{number}] AND {depends}[{RESOLVED_LEAF} + 1] END"
        )
    return found


def words_sql(policy: Policy, leaves: list[RowResult], diagnosis: Diagnosis, line_format: Format) -> str:
    """SQL for what follows `row` on a resolved row's output line (`results.rendered_tail`,
    the same text). A row that is not flagged takes its leaf's words; a flagged row's
    words are put together from its resolved leaf's (or `invalid`'s) and the words of
    each of its problems, as an error when its answer depends on it (`_errors_sql`, as
    `python_audit.with_problems` says), else as a warning."""
    stamp = (policy.id, policy.version)

    def render(result: RowResult) -> str:
        return rendered_tail(result, line_format, stamp)

    constants = "[" + ", ".join(text_literal(render(r)) for r in leaves) + "]"
    if not any(diagnosis.numbers):
        return f"{constants}[{RESOLVED_LEAF} + 1]"
    # A result's words split around its problems: what comes before, and after (the
    # version that decided, which an invalid result of the same leaf names too).
    marker = RowProblem("", "", "", "\x00")
    around = [render(replace(r, problems=(marker,))).split(render_problem(marker, line_format)) for r in leaves]
    refused = [
        render(RowResult(INVALID, problems=(marker,), version=r.version)).split(render_problem(marker, line_format))
        for r in leaves
    ]
    heads = "[" + ", ".join(text_literal(head) for head, _ in around) + "]"
    invalid_heads = "[" + ", ".join(text_literal(head) for head, _ in refused) + "]"
    suffixes = "[" + ", ".join(text_literal(tail) for _, tail in around) + "]"
    errors = _errors_sql(leaves, diagnosis)
    pieces = []
    for place, (n, _, _) in enumerate(diagnosis.places):
        if place not in errors:
            continue
        number = quoted(f"billability number {n}")
        count = len(diagnosis.numbers[n])

        def said(severity: str, place: int = place, count: int = count) -> str:
            texts = []
            for d in range(1, count + 1):
                problem = diagnosis.problem_at(place, d)
                rendered = render_problem(replace(problem, severity=severity), line_format) if problem else None
                texts.append("NULL" if rendered is None else text_literal(rendered))
            return "[" + ", ".join(texts) + "]"

        pieces.append(
            f"CASE WHEN {number} = 0 THEN NULL WHEN {quoted(f'billability error {place}')} "
            f"THEN {said(ERROR)}[{number}] ELSE {said(WARNING)}[{number}] END"
        )
    if not pieces:
        return f"{constants}[{RESOLVED_LEAF} + 1]"
    joined = f"concat_ws({text_literal(LIST_SEPARATOR if line_format is Format.CSV else ',')}, {', '.join(pieces)})"
    cell = _csv_quoted(joined) if line_format is Format.CSV else joined
    at = f"[{RESOLVED_LEAF} + 1]"
    head = f"CASE WHEN {INVALID_ROW} THEN {invalid_heads}{at} ELSE {heads}{at} END"
    words = f"CASE WHEN {DKEY} IS NULL THEN {constants}{at} ELSE {head} || {cell} || {suffixes}{at} END"
    return words


def _csv_quoted(text: str) -> str:
    """SQL for text as `rendered_tail` writes it in a CSV cell: quoted when it holds a
    character Python's csv module quotes."""
    characters = "".join("\\" + c if c in "]\\^-" else c for c in csv_quoted_characters())
    return (
        f"CASE WHEN regexp_matches({text}, {text_literal('[' + characters + ']')}) "
        f"THEN '\"' || replace({text}, '\"', '\"\"') || '\"' ELSE {text} END"
    )
