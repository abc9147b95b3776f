"""The leaf a row reaches in DuckDB's engine, under the version of the policy its
service date picks.

In: a `Binding` (with a service date, `binding.DatedVersions`), the versions of the
policy that may decide a row (oldest first; one without a service date), and the SQL
of a row's classes and version.
Out: `classes_of_readings`, each mapped fact's classes as every version tells them
apart (the finest of the versions' classes, so one reading of a cell serves them all);
`leaf_sql`, the SQL for the leaf a row reaches (each version's decision diagram walked
over those classes, its leaves numbered after the earlier versions'; `not_audited`
last with a scope) and every leaf's `RowResult`, naming its version; `version_sql`,
the position of the version in force on a row's service date (`UNREAD` where the
interpreter must tell: a blank date, no date, a day before the first version); and
`DateDiagnosis`, each distinct such date read once by `binding.DatedVersions.version_of`
and joined back by `date_key`: the version it picks, or the problem that makes its row
`invalid` (one more leaf each, `DateDiagnosis.leaves`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import sqlglot

from billability.audit.binding import Binding, RowProblem
from billability.audit.outcomes import INVALID, NOT_AUDITED
from billability.audit.records import Export, cell_sql, cell_type, text_literal
from billability.audit.results import RowResult
from billability.audit.sql_walk import leaf_number, list_item
from billability.decide.diagram import diagram_of
from billability.decide.value_classes import FactClasses, fact_classes
from billability.model.policy import FactType
from billability.policy.compiled import Policy

UNREAD = -1  # the class (or version) of a cell the SQL reading leaves to the interpreter


def _policy_classes(binding: Binding, policy: Policy) -> list[FactClasses]:
    by_name = {classes.name: classes for classes in diagram_of(policy).facts}
    return [by_name.get(r.fact.name) or fact_classes(policy, r.fact) for r in binding.readings]


def _finest(found: Sequence[FactClasses]) -> FactClasses:
    """Classes finer than each of `found` (one fact's classes in several versions): a
    whole number's runs split wherever any version splits them. Other facts are read
    alike by every version (`mapping.load_mapping` checks it), so their classes are."""
    first = found[0]
    if all(classes == first for classes in found) or first.type is not FactType.INTEGER:
        return first
    low, high = first.ranges[0][0], first.ranges[-1][1]
    ranges: list[tuple[int | None, int | None]] = []
    start = low
    for bound in sorted({s for classes in found for s in classes.starts}):
        ranges.append((start, bound - 1))
        start = bound
    ranges.append((start, high))
    values = tuple(next((end for end in r if end is not None), 0) for r in ranges)
    return FactClasses(first.name, first.type, values, tuple(ranges))


def classes_of_readings(binding: Binding, policy: Policy | Sequence[Policy]) -> list[FactClasses]:
    """The classes of each mapped fact, in binding order, as every version tells them apart."""
    versions = [policy] if isinstance(policy, Policy) else list(policy)
    each = [_policy_classes(binding, version) for version in versions]
    return [_finest([classes[n] for classes in each]) for n in range(len(binding.readings))]


def leaf_sql(
    versions: Policy | Sequence[Policy], binding: Binding, column: Callable[[int], str], version: str | None = None
) -> tuple[str, list[RowResult]]:
    """SQL for the leaf of a row whose class of the nth mapped fact is in the column named
    `column(n)` and whose version's position is `version` (SQL; needed with more than
    one version), and the leaves' results; with a scope, `not_audited` is one more leaf,
    after the versions' (`not_audited_leaf`)."""
    chosen = [versions] if isinstance(versions, Policy) else list(versions)
    position = {reading.fact.name: n for n, reading in enumerate(binding.readings)}
    finest = classes_of_readings(binding, chosen)
    dated = binding.dated is not None
    results: list[RowResult] = []
    walks: list[str] = []
    for policy in chosen:
        own = _policy_classes(binding, policy)

        def class_of(classes: dict[str, Any], own: list[FactClasses] = own) -> Any:
            name = classes["name"]
            if name not in position:
                return sqlglot.exp.Literal.number(len(classes["classes"]))
            n = position[name]
            read = sqlglot.exp.column(column(n), quoted=True)
            if own[n] == finest[n]:
                return read
            # The finest class, as this version's class (its unknown class last).
            table = [own[n].class_of(value) for value in finest[n].values] + [len(own[n].values)]
            return list_item(table, read, "duckdb")

        leaf, _, leaves = leaf_number(policy, class_of, "duckdb")
        walks.append(f"({leaf.sql('duckdb')}) + {len(results)}" if results else leaf.sql("duckdb"))
        results += [
            RowResult(
                item["outcome"],
                tuple(item["rules"]),
                tuple(item["reasons"]),
                tuple(item["missing"]),
                version=policy.version if dated else None,
            )
            for item in leaves
        ]
    if len(walks) == 1:
        walk = walks[0]
    else:
        assert version is not None
        walk = f"CASE {version} " + " ".join(f"WHEN {n} THEN {sql}" for n, sql in enumerate(walks)) + " END"
    if binding.scope is not None:
        results.append(RowResult(NOT_AUDITED, version="" if dated else None))
    return walk, results


def not_audited_leaf(leaves: list[RowResult]) -> int:
    """The leaf of a row out of the mapping's scope (see `leaf_sql`)."""
    return len(leaves) - 1


# --- the version a service date picks ------------------------------------------------------


def version_sql(binding: Binding, export: Export, date_sql: Callable[[Export, str, str], Any]) -> str:
    """SQL for the position of the version in force on a row's service date, or `UNREAD`
    when the interpreter must tell (`date_sql`: `duckdb_reading`'s reading of a date
    cell, None when the column's type is read by the interpreter)."""
    dated = binding.dated
    assert dated is not None
    found = date_sql(export, dated.column, dated.format)
    if found is None:
        return str(UNREAD)
    blank, day = found
    switches = " ".join(
        f"WHEN {day} >= DATE {text_literal(switch.isoformat())} THEN {n}"
        for n, switch in reversed(list(enumerate(dated.switches)))
    )
    return f"CASE WHEN {blank} OR {day} IS NULL THEN {UNREAD} {switches} ELSE {UNREAD} END"


def date_cell(binding: Binding, export: Export) -> str:
    """SQL for the service date's cell as the interpreter takes it."""
    assert binding.dated is not None
    index = export.columns.index(binding.dated.column)
    cell = cell_sql(export, index)
    return f"CAST({cell} AS VARCHAR)" if cell_type(export, index) == "VARCHAR" else cell


def date_key(version: str, cell: str) -> str:
    """SQL for the text a row's service date is looked up by when its version is
    `UNREAD` (a blank cell told from a cell that holds text), else NULL."""
    return (
        f"CASE WHEN {version} = {UNREAD} THEN CASE WHEN {cell} IS NULL THEN 'n' "
        f"ELSE 'v' || CAST({cell} AS VARCHAR) END END"
    )


@dataclass(frozen=True, slots=True)
class DateDiagnosis:
    """Each distinct service date the SQL could not place, numbered from 1 by its
    `date_key`, with the version the interpreter finds in force on it (`UNREAD` when
    none) and the problem then."""

    numbers: dict[str, int]
    versions: tuple[int, ...]
    problems: tuple[RowProblem | None, ...]

    def leaves(self) -> list[RowResult]:
        """The result of a row with each date, numbered as the dates (a date that picks
        a version is never its row's leaf)."""
        return [RowResult(INVALID, problems=(p,) if p else (), version="") for p in self.problems]

    def version(self, version: str, cell: str) -> str:
        """SQL for a row's version, the interpreter's where the SQL could not place its date."""
        if not self.numbers:
            return version
        return (
            f"CASE WHEN {version} = {UNREAD} THEN {list(self.versions)}[{self.number(version, cell)}] "
            f"ELSE {version} END"
        )

    def number(self, version: str, cell: str) -> str:
        """SQL for the number of a row's date among those the SQL could not place (0: none)."""
        if not self.numbers:
            return "0"
        lookup = "MAP {" + ", ".join(f"{text_literal(t)}: {d}" for t, d in self.numbers.items()) + "}"
        return f"coalesce({lookup}[{date_key(version, cell)}], 0)"


def diagnose_dates(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    parameters: list[Any],
    where: tuple[str, str, str],
    binding: Binding,
) -> DateDiagnosis:
    """Read each distinct service date the SQL could not place once (`where`: SQL of a
    row's version, its date cell and whether it is flagged)."""
    dated = binding.dated
    if dated is None:
        return DateDiagnosis({}, (), ())
    version, cell, flagged = where
    key = date_key(version, cell)
    sql = f"SELECT k, any_value(c) FROM (SELECT {key} AS k, {cell} AS c FROM {table} WHERE {flagged}) WHERE k IS NOT NULL GROUP BY k ORDER BY k"
    numbers: dict[str, int] = {}
    versions: list[int] = []
    problems: list[RowProblem | None] = []
    for text, found in connection.execute(sql, parameters).fetchall():
        numbers[text] = len(numbers) + 1
        picked = dated.version_of(found)
        versions.append(UNREAD if isinstance(picked, RowProblem) else picked)
        problems.append(picked if isinstance(picked, RowProblem) else None)
    return DateDiagnosis(numbers, tuple(versions), tuple(problems))
