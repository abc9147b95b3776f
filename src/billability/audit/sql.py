"""The policy as one SQL query, for the databases where service records already live.

In: a compiled `Policy`, the name of a table of records, a dialect (`RUN_DIALECTS`:
the databases the test suite runs the query on), and a `Mapping` of the table's
columns to the policy's facts; without one, the default mapping (each fact in a
column named like it, the cells holding the values' names, `true`/`false`, whole
numbers).
Out: `policy_query`, one SELECT as a sqlglot syntax tree, and `policy_sql`, its text.
The query returns every column of the table, then the columns `billability audit`
writes (`results.OUTPUT_COLUMNS`), with the audit's words:

- `row`: the record's place in the table, from 1;
- `outcome`: an outcome of the policy, `invalid` when the answer depends on a cell
  that cannot be read, or `not_audited` for a record outside the mapping's scope;
- `rules`, `reasons`, `missing`: the deciding rules' ids, their reasons and the facts
  that would decide an undetermined record (empty when `invalid` or `not_audited`);
- `problems`: each cell that cannot be read, as `error[code]: column ...` when the
  answer depends on it, else as a warning;
- `policy_id`, `policy_version`: the policy that decided.

Lists are arrays of text, and JSON text (`["a","b"]`) in SQLite, which has no arrays.

How: each cell is read in SQL as the mapping reads it (`sql_cells.read_sql`: the
position of its value's class, and its problem's words). The decision is the policy's
decision diagram (`diagram.diagram_json`), walked one fact at a time in question order
(`sql_walk.leaf_number`): each fact's class picks, from a list of whole numbers, the state it
leads to, down to a leaf number. A small table of the leaves gives each leaf's
outcome, rules, reasons and missing facts, and each problem's severity at that leaf:
`error` when a fact it feeds is among the leaf's missing facts (`python_audit.with_problems`).
A record with an error joins a one-row table of the `invalid` answer. Each record is
numbered beneath the rest, over the table alone, so `row` follows the table's order
whatever the joins do; the result comes out in that order. DuckDB and Spark read the
cells in a lateral subquery beside the record (each text once: twice as fast in DuckDB,
and the code Spark compiles for a row stays within the JVM's limits); SQLite walks the diagram in a table function of
the record, once, not once per leaf it tries. The DuckDB engine of `audit` takes the
walk alone (`leaf_number`), over classes it computes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import sqlglot
from sqlglot import exp

from billability.audit.binding import Binding, bind
from billability.audit.dated_leaves import classes_of_readings
from billability.audit.mapping import Mapping, default_mapping
from billability.audit.outcomes import ERROR, INVALID, NOT_AUDITED, WARNING
from billability.audit.sql_cells import ReadSql, read_sql
from billability.audit.sql_walk import DEFAULT_DIALECT, leaf_number, list_item
from billability.decide.value_classes import FactClasses
from billability.model.diagnostics import Diagnostic, Problems, did_you_mean
from billability.policy.compiled import Policy

DEFAULT_TABLE = "records"
RUN_DIALECTS = ("duckdb", "postgres", "spark", "sqlite")
RECORD = "record"
LEAVES = "billability_leaves"
REFUSED = "billability_invalid"
WALK = "billability_walk"
CELLS = "billability_cells"
LATERAL_DIALECTS = frozenset({"duckdb", "spark"})
ROW = "row"


def _listed(names: Sequence[str]) -> str:
    quoted = [f"`{name}`" for name in names]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def check_dialect(name: str) -> str:
    """The dialect's name when the query is written for it, or `Problems` naming those it is."""
    if name in RUN_DIALECTS:
        return name
    known = name.lower() in sqlglot.Dialect.classes
    hint = did_you_mean(name, RUN_DIALECTS)
    if hint is None and name.lower() == "databricks":
        hint = "Databricks runs Spark SQL: write `spark`"
    listed = _listed(RUN_DIALECTS)
    raise Problems(
        [
            Diagnostic(
                "sql.dialect",
                f"the query is not written for `{name}`, only for {listed}, the databases the tests run it on"
                if known
                else f"`{name}` is not a dialect the query is written for: {listed}",
                hint=hint,
            )
        ]
    )


# --- lists: arrays of text, or JSON text where there are no arrays ----------------------


def _json_list(items: Sequence[str]) -> str:
    return json.dumps(list(items), ensure_ascii=False, separators=(",", ":"))


def _text_list(items: Sequence[str], dialect: str) -> exp.Expr:
    """A list of texts: an array (an empty one typed, as Postgres and Spark need), or JSON text."""
    if dialect == "sqlite":
        return exp.Literal.string(_json_list(items))
    if items:
        return exp.Array(expressions=[exp.Literal.string(item) for item in items])
    return exp.Cast(this=exp.Array(expressions=[]), to=exp.DataType.build("ARRAY<TEXT>"))


def _known_items(items: Sequence[exp.Expr], dialect: str) -> exp.Expr:
    """The list of those texts that are not NULL, in order."""
    if not items:
        return _text_list((), dialect)
    if dialect == "sqlite":
        listed = exp.Anonymous(this="json_array", expressions=list(items))
        return exp.Subquery(
            this=exp.select(exp.Anonymous(this="json_group_array", expressions=[exp.column("value")]))
            .from_(exp.Table(this=exp.Anonymous(this="json_each", expressions=[listed])))
            .where(exp.Not(this=exp.Is(this=exp.column("value"), expression=exp.Null())))
        )
    array = exp.Array(expressions=list(items))
    if dialect == "postgres":
        return exp.ArrayRemove(this=array, expression=exp.Null())
    item = exp.to_identifier("problem")
    return exp.ArrayFilter(
        this=array,
        expression=exp.Lambda(
            this=exp.Not(this=exp.Is(this=item.copy(), expression=exp.Null())), expressions=[item.copy()]
        ),
    )


# --- the query -------------------------------------------------------------------------


def _record_column(name: str) -> exp.Expr:
    return exp.column(name, table=RECORD, quoted=True)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")


def table_of(name: str) -> exp.Table:
    """The table a (possibly qualified) name names; ValueError when it is no such name."""
    parts = name.split(".")
    if not 1 <= len(parts) <= 3 or not all(_NAME.match(part) for part in parts):
        raise ValueError("a table's name is letters, digits and `_`, qualified with dots as `schema.table`")
    table, db, catalog = [*reversed(parts), None, None][:3]
    return exp.table_(table, db, catalog)


def _values(name: str, columns: Sequence[str], rows: Sequence[Sequence[exp.Expr]], dialect: str) -> exp.Expr:
    """A table of constant rows named `name`: VALUES, or in SQLite (which names no
    columns of VALUES) SELECTs one after another."""
    if dialect == "sqlite":
        selects = [
            exp.select(
                *(
                    exp.alias_(cell, column, quoted=True) if at == 0 else cell
                    for cell, column in zip(row, columns, strict=True)
                )
            )
            for at, row in enumerate(rows)
        ]
        union: exp.Query = selects[0]
        for select in selects[1:]:
            union = exp.Union(this=union, expression=select, distinct=False)
        return exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier(name)))
    return exp.Values(
        expressions=[exp.Tuple(expressions=list(row)) for row in rows],
        alias=exp.TableAlias(
            this=exp.to_identifier(name), columns=[exp.to_identifier(c, quoted=True) for c in columns]
        ),
    )


def _text_or_null(text: str | None) -> exp.Expr:
    return exp.Null() if text is None else exp.Literal.string(text)


def _numbered(table: str, dialect: str) -> exp.Subquery:
    """The table's records, each with its place in the table (`row`, from 1) after its
    own columns. Spark numbers rows only in an order: the order it reads them in."""
    order = (
        exp.Order(expressions=[exp.Ordered(this=exp.Anonymous(this="monotonically_increasing_id"))])
        if dialect == "spark"
        else None
    )
    number = exp.Window(this=exp.RowNumber(), order=order)
    return (
        exp.select(
            exp.Column(this=exp.Star(), table=exp.to_identifier(RECORD, quoted=True)),
            exp.alias_(number, ROW, quoted=True),
        )
        .from_(table_of(table).as_(RECORD, quoted=True))
        .subquery(exp.to_identifier(RECORD, quoted=True))
    )


def policy_query(
    policy: Policy,
    table: str = DEFAULT_TABLE,
    dialect: str = DEFAULT_DIALECT,
    mapping: Mapping | None = None,
    versions: Sequence[Policy] = (),
) -> exp.Select:
    """The policy as one SELECT over `table` for a dialect (see the module docstring);
    with a service date in the mapping, each record decided by the one of `versions`
    (oldest first, `policy` the current one; by default `policy` alone) in force on it."""
    if mapping is None:
        mapping = default_mapping(policy, [fact.name for fact in policy.facts])
    chosen = tuple(versions) if versions and mapping.service_date is not None else (policy,)
    binding = bind(mapping, policy, mapping.columns, chosen)
    # What is read more than once is computed once, beside the record: Spark compiles a
    # row's work into one Java method, which its 64 KB limit would refuse otherwise, and
    # DuckDB runs twice as fast. (PostgreSQL runs the plain query a little faster.)
    computed = (lambda name: exp.column(name, table=CELLS, quoted=True)) if dialect in LATERAL_DIALECTS else None
    read = read_sql(binding, chosen, _record_column, dialect, computed)
    leaf, leaves, problems = _walks(chosen, binding, read, dialect)
    dated = binding.dated is not None
    severities: list[list[str | None]] = [
        [ERROR if not facts or any(fact in missing for fact in facts) else WARNING for _, facts in problems]
        for *_, missing, _ in leaves
    ]
    if read.version is not None:
        # No version decides a record whose date picks none: the problem alone is said.
        leaf = exp.Case(
            ifs=[
                exp.If(
                    this=exp.Is(this=read.version.copy(), expression=exp.Null()), true=exp.Literal.number(len(leaves))
                )
            ],
            default=leaf,
        )
        leaves.append((INVALID, [], [], [], ""))
        severities.append([None] * (len(problems) - 1) + [ERROR])
    if read.in_scope is not None:
        leaf = exp.Case(ifs=[exp.If(this=read.in_scope, true=leaf)], default=exp.Literal.number(len(leaves)))
        leaves.append((NOT_AUDITED, [], [], [], "" if dated else policy.version))
        severities.append([None] * len(problems))  # the cells of a record not audited are not read

    lists = ("rules", "reasons", "missing")
    severity = [f"severity_{n}" for n in range(len(problems))]
    leaf_table = _values(
        LEAVES,
        ["leaf", "outcome", *lists, *(["policy_version"] if dated else []), *severity],
        [
            [
                exp.Literal.number(n),
                exp.Literal.string(outcome),
                *(_text_list(items, dialect) for items in (rules, reasons, missing)),
                *([exp.Literal.string(version)] if dated else []),
                *(_text_or_null(s) for s in severities[n]),
            ]
            for n, (outcome, rules, reasons, missing, version) in enumerate(leaves)
        ],
        dialect,
    )

    def at_leaf(name: str) -> exp.Column:
        return exp.column(name, table=LEAVES, quoted=True)

    def refused(name: str) -> exp.Column:
        return exp.column(name, table=REFUSED, quoted=True)

    # Each problem said with its severity at the record's leaf: NULL when the record has none.
    said = [
        exp.DPipe(this=at_leaf(severity[n]), expression=text.copy(), safe=False) for n, (text, _) in enumerate(problems)
    ]
    errors = [
        exp.and_(
            exp.EQ(this=at_leaf(severity[n]), expression=exp.Literal.string(ERROR)),
            exp.Not(this=exp.Is(this=text.copy(), expression=exp.Null())),
        )
        for n, (text, _) in enumerate(problems)
        if any(row[n] == ERROR for row in severities)
    ]
    query = exp.select(
        exp.Column(this=exp.Star(), table=exp.to_identifier(RECORD, quoted=True)),
        exp.alias_(
            exp.Coalesce(this=refused("outcome"), expressions=[at_leaf("outcome")]) if errors else at_leaf("outcome"),
            "outcome",
            quoted=True,
        ),
        *(
            exp.alias_(
                exp.Coalesce(this=refused(name), expressions=[at_leaf(name)]) if errors else at_leaf(name),
                name,
                quoted=True,
            )
            for name in lists
        ),
        exp.alias_(_known_items(said, dialect), "problems", quoted=True),
        exp.alias_(exp.Literal.string(policy.id), "policy_id", quoted=True),
        exp.alias_(
            at_leaf("policy_version") if dated else exp.Literal.string(policy.version), "policy_version", quoted=True
        ),
    ).from_(_numbered(table, dialect))
    if read.columns:
        cells = exp.select(*(exp.alias_(sql, name, quoted=True) for name, sql in read.columns))
        query = query.join(
            exp.Lateral(this=cells.subquery(), alias=exp.TableAlias(this=exp.to_identifier(CELLS))),
            join_type="cross",
        )
    if dialect == "sqlite":
        # SQLite would walk the diagram once for every leaf it tries to join: a table
        # function of the record's row walks it once, for the join to look up.
        walk = exp.Table(
            this=exp.Anonymous(this="json_each", expressions=[exp.Anonymous(this="json_array", expressions=[leaf])]),
            alias=exp.TableAlias(this=exp.to_identifier(WALK)),
        )
        query = query.join(walk, join_type="cross")
        leaf = exp.column("value", table=WALK)
    query = query.join(leaf_table, on=exp.EQ(this=at_leaf("leaf"), expression=leaf), join_type="left")
    if errors:
        invalid_table = _values(
            REFUSED,
            ["outcome", *lists],
            [[exp.Literal.string(INVALID), *(_text_list((), dialect) for _ in lists)]],
            dialect,
        )
        query = query.join(
            invalid_table, on=exp.or_(*(exp.paren(e, copy=False) for e in errors), copy=False), join_type="left"
        )
    return query.order_by(exp.column(ROW, table=RECORD, quoted=True))


def policy_sql(
    policy: Policy,
    table: str = DEFAULT_TABLE,
    dialect: str = DEFAULT_DIALECT,
    pretty: bool = True,
    mapping: Mapping | None = None,
    versions: Sequence[Policy] = (),
) -> str:
    """The policy's query written in a dialect (see `check_dialect`)."""
    dialect = check_dialect(dialect)
    return policy_query(policy, table, dialect, mapping, versions).sql(dialect=dialect, pretty=pretty)


def _walks(
    versions: Sequence[Policy], binding: Binding, read: ReadSql, dialect: str
) -> tuple[exp.Expr, list[tuple[str, Any, Any, Any, str]], list[tuple[exp.Expr, tuple[str, ...]]]]:
    """The leaf a record reaches under the version its service date picks (each
    version's diagram walked over the finest classes, `dated_leaves.classes_of_readings`,
    its leaves numbered after the earlier versions'), every leaf with its version, and
    the problems a record can have (with a service date, its date's problem last)."""
    position = {reading.fact.name: n for n, reading in enumerate(binding.readings)}
    finest = classes_of_readings(binding, versions)
    walks: list[exp.Expr] = []
    leaves: list[tuple[str, Any, Any, Any, str]] = []
    for policy in versions:
        own = classes_of_readings(binding, policy)

        def class_of(classes: dict[str, Any], own: list[FactClasses] = own) -> exp.Expr:
            found = position.get(classes["name"])
            if found is None:
                return exp.Literal.number(len(classes["classes"]))
            if own[found] == finest[found]:
                return read.classes[found].copy()
            table = [own[found].class_of(value) for value in finest[found].values] + [len(own[found].values)]
            return list_item(table, read.classes[found].copy(), dialect)

        leaf, _, shape_leaves = leaf_number(policy, class_of, dialect)
        walks.append(exp.Add(this=exp.paren(leaf), expression=exp.Literal.number(len(leaves))) if leaves else leaf)
        leaves += [
            (str(item["outcome"]), item["rules"], item["reasons"], item["missing"], policy.version)
            for item in shape_leaves
        ]
    problems = list(read.problems)
    if read.version is None or read.undated is None:
        return walks[0], leaves, problems
    chosen = exp.Case(
        this=read.version.copy(),
        ifs=[exp.If(this=exp.Literal.number(n), true=walk) for n, walk in enumerate(walks)],
    )
    return chosen, leaves, [*problems, (read.undated, ())]
