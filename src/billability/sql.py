"""The policy as one SQL query, for the databases where service records already live.

In: a compiled `Policy` and the name of a table of records: a column per fact, named
like the fact, SQL NULL where the fact is unknown. A choice fact's column holds the
value's name, a yes/no fact's a boolean (or the text `true`/`false`), a number fact's
a whole number.
Out: `policy_query`, one SELECT as a sqlglot syntax tree, and `policy_sql`, its text in
a dialect sqlglot writes (DuckDB, Spark, Postgres, BigQuery, Snowflake...). The query
returns every column of the table, then

- `outcome`: `billable`, `not_billable`, `needs_review`, `undetermined`, or `invalid`
  for a record whose values the interpreter would refuse;
- `rules`: the deciding rules' ids, sorted; `missing`: the facts that would decide an
  undetermined record, in question order (both empty arrays when `invalid`);
- `problems`: why the record is invalid, each as `code: message` in the interpreter's
  words (`scenario.unknown-value: ...`), empty when it is not.

How: the decision is the policy's decision diagram (`diagram.diagram_json`), walked one
fact at a time in question order (`_leaf_number`): each fact's value becomes the
position of its class, and a list of whole numbers per fact gives the state it leads
to, down to a leaf number; a small table of the leaves gives each number's outcome,
rules and missing facts. A record is first checked fact by fact, as
`evaluate.validate` checks a scenario, so an invalid one never reaches a leaf. The
DuckDB engine of `audit` takes the walk alone (`leaf_number`), over classes its
mapping computes straight from the export's codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from billability.diagnostics import Diagnostic, Problems, did_you_mean
from billability.diagram import diagram_json, diagram_of
from billability.model import Fact, FactType, Policy

DEFAULT_TABLE = "records"
DEFAULT_DIALECT = "duckdb"
OUTPUT_COLUMNS = ("outcome", "rules", "missing", "problems")
INVALID = "invalid"
LEAVES = "billability_leaves"
RECORD = "record"

Column = Callable[[str], exp.Expr]
"""Gives the SQL for a fact's column, by the fact's name."""


# Dialects sqlglot knows that are no SQL a database of records would run.
_NOT_SQL = frozenset({"", "prql", "dax", "tableau", "solr"})


def dialects() -> tuple[str, ...]:
    """The dialects the query can be written in, by name."""
    return tuple(sorted(name for name in sqlglot.Dialect.classes if name not in _NOT_SQL))


def check_dialect(name: str) -> str:
    """The dialect's name, or `Problems` saying which dialects there are."""
    known = dialects()
    if name in known:
        return name
    raise Problems(
        [
            Diagnostic(
                "sql.dialect",
                f"`{name}` is not a SQL dialect billability can write",
                hint=did_you_mean(name, known) or "one of " + ", ".join(f"`{d}`" for d in known),
            )
        ]
    )


# --- the parts of the query ----------------------------------------------------------

_TEXT_ARRAY = "ARRAY<TEXT>"


def _text_array(items: Sequence[str]) -> exp.Expr:
    """An array of text; an empty one typed, as Postgres and Spark need."""
    if items:
        return exp.Array(expressions=[exp.Literal.string(item) for item in items])
    return exp.Cast(this=exp.Array(expressions=[]), to=exp.DataType.build(_TEXT_ARRAY))


def _truth_text(column: exp.Expr) -> exp.Expr:
    """A yes/no column as the text `true` or `false` (a boolean cast, or text as it is)."""
    return exp.Cast(this=column, to=exp.DataType.build("TEXT"))


def _concat(*parts: exp.Expr) -> exp.Expr:
    return exp.Concat(expressions=list(parts), safe=True, coalesce=False)


def _problem_checks(fact: Fact, column: exp.Expr) -> list[tuple[str, exp.Expr, exp.Expr]]:
    """(code, condition, `code: message`) for each way a known value of the fact can be
    invalid, in the order `evaluate.validate` checks; the column is known to be non-null."""
    name = fact.name
    if fact.type is FactType.ENUM:
        allowed = [exp.Literal.string(value) for value in fact.value_names]
        return [
            (
                "scenario.unknown-value",
                exp.Not(this=exp.In(this=column.copy(), expressions=allowed)),
                _concat(
                    exp.Literal.string("scenario.unknown-value: `"),
                    exp.Cast(this=column.copy(), to=exp.DataType.build("TEXT")),
                    exp.Literal.string(f"` is not a value of `{name}`"),
                ),
            )
        ]
    if fact.type is FactType.BOOLEAN:
        text = _truth_text(column.copy())
        return [
            (
                "scenario.type",
                exp.Not(this=exp.In(this=text, expressions=[exp.Literal.string("true"), exp.Literal.string("false")])),
                _concat(
                    exp.Literal.string(f"scenario.type: `{name}` is true or false, not the text `"),
                    _truth_text(column.copy()),
                    exp.Literal.string("`"),
                ),
            )
        ]
    checks: list[tuple[str, exp.Expr, exp.Expr]] = [
        (
            "scenario.type",
            # Not `x <> FLOOR(x)`: NaN and the infinities equal their floor in DuckDB and Postgres.
            exp.NEQ(
                this=exp.Sub(this=column.copy(), expression=exp.Floor(this=column.copy())),
                expression=exp.Literal.number(0),
            ),
            _concat(
                exp.Literal.string(f"scenario.type: `{name}` is a whole number, not `"),
                exp.Cast(this=column.copy(), to=exp.DataType.build("TEXT")),
                exp.Literal.string("`"),
            ),
        )
    ]
    for op, bound, words in ((exp.LT, fact.minimum, "less"), (exp.GT, fact.maximum, "more")):
        if bound is not None:
            checks.append(
                (
                    "scenario.out-of-range",
                    op(this=column.copy(), expression=exp.Literal.number(bound)),
                    _concat(
                        exp.Literal.string(f"scenario.out-of-range: `{name}` cannot be {words} than {bound}, got "),
                        exp.Cast(
                            this=exp.Cast(this=column.copy(), to=exp.DataType.build("BIGINT")),
                            to=exp.DataType.build("TEXT"),
                        ),
                    ),
                )
            )
    return checks


def _first_problem(fact: Fact, column: exp.Expr) -> tuple[exp.Expr, list[tuple[str, exp.Expr, exp.Expr]]]:
    """When the fact's value is invalid, and its one problem (the first check that fails,
    as `evaluate.validate` reports one problem per fact) as (code, when it is the one,
    `code: message`) for each check."""
    checks = _problem_checks(fact, column)
    known = exp.Not(this=exp.Is(this=column.copy(), expression=exp.Null()))
    invalid = exp.and_(known, exp.or_(*(exp.paren(c, copy=False) for _, c, _ in checks), copy=False), copy=False)
    ones: list[tuple[str, exp.Expr, exp.Expr]] = []
    for at, (code, condition, message) in enumerate(checks):
        earlier = [exp.Not(this=exp.paren(c.copy(), copy=False)) for _, c, _ in checks[:at]]
        one = exp.and_(known.copy(), *earlier, exp.paren(condition.copy(), copy=False), copy=False)
        ones.append((code, one, message))
    return invalid, ones


@dataclass(frozen=True, slots=True)
class DecisionParts:
    """The pieces of the compiled policy.

    `leaf`: the number of the diagram leaf a valid record reaches (see `leaves`);
    `invalid`: true when some known value is invalid; `problems`: an array of
    `code: message`, empty when valid; `leaves`: each leaf's outcome, rules and missing."""

    leaf: exp.Expr
    invalid: exp.Expr
    problems: exp.Expr
    leaves: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]


def _element(items: Sequence[int], index: exp.Expr, dialect: str) -> exp.Expr:
    """The item of a list of whole numbers at a 0-based index, as the dialect writes it
    (1-based `[i + 1]` in DuckDB and Postgres, 0-based in Spark, `[OFFSET(i)]` in BigQuery)."""
    array = exp.Array(expressions=[exp.Literal.number(item) for item in items])
    # `offset` says the index is written for the dialect already, so sqlglot leaves it be.
    offset = sqlglot.Dialect.get_or_raise(dialect).INDEX_OFFSET
    return exp.Bracket(this=array, expressions=[_plus(index, offset)], offset=offset)


def _plus(expression: exp.Expr, number: int) -> exp.Expr:
    if number == 0:
        return expression
    if isinstance(expression, exp.Literal):
        return exp.Literal.number(int(expression.this) + number)
    return exp.Add(this=expression, expression=exp.Literal.number(number))


def _class_of(classes: dict[str, Any], column: exp.Expr) -> exp.Expr:
    """The position of a known value's class among the fact's classes, or their count
    for an unknown value (an invalid one lands somewhere; it is refused before)."""
    kind, listed = classes["type"], classes["classes"]
    unknown = exp.Literal.number(len(listed))
    if kind == "integer":
        ifs = [exp.If(this=exp.Is(this=column.copy(), expression=exp.Null()), true=unknown)]
        ifs += [
            exp.If(this=exp.LTE(this=column.copy(), expression=exp.Literal.number(high)), true=exp.Literal.number(n))
            for n, (_, high) in enumerate(listed[:-1])
        ]
        return exp.Case(ifs=ifs, default=exp.Literal.number(len(listed) - 1))
    if kind == "boolean":
        subject: exp.Expr = _truth_text(column.copy())
        keys = ["true" if value else "false" for value in listed]
    else:
        subject, keys = column.copy(), list(listed)
    return exp.Case(
        this=subject,
        ifs=[exp.If(this=exp.Literal.string(key), true=exp.Literal.number(n)) for n, key in enumerate(keys)],
        default=unknown,
    )


ClassOf = Callable[[dict[str, Any]], exp.Expr]
"""Gives the SQL for the position of a record's value among a fact's classes (their
count when unknown), from the fact's entry in `diagram_json`'s `facts`."""


def _leaf_number(shape: dict[str, Any], class_of: ClassOf, dialect: str) -> exp.Expr:
    """The number of the leaf a valid record reaches, fact by fact in question order.

    Every node asks its fact once, and the diagram asks the facts in order, so the walk
    is one step per fact: at fact `f` the record is at one of the states (nodes asking
    `f` or a later fact, or leaves) that level can hold, and a list of whole numbers
    gives the state it moves to for each class of the fact's value. A node that does
    not ask `f` stays where it is; a level where no node asks stays out of the query.
    Nested list lookups, linear in the diagram's size, any database evaluates fast."""
    facts, nodes, count = shape["facts"], shape["nodes"], len(shape["nodes"])
    states = [shape["root"]]
    state: exp.Expr = exp.Literal.number(0)
    for position, classes in enumerate(facts):
        width = len(classes["classes"]) + 1
        asking = [s for s in states if s < count and nodes[s]["fact"] == position]
        if not asking:
            continue

        def moves(item: int, position: int = position, width: int = width) -> list[int]:
            if item < count and nodes[item]["fact"] == position:
                return [*nodes[item]["branches"], nodes[item]["unknown"]]
            return [item] * width

        following = sorted({target for item in states for target in moves(item)})
        place = {item: n for n, item in enumerate(following)}
        table = [place[target] for item in states for target in moves(item)]
        key = class_of(classes)
        if not (isinstance(state, exp.Literal) and int(state.this) == 0 and len(states) == 1):
            key = exp.Add(this=exp.Mul(this=state, expression=exp.Literal.number(width)), expression=key)
        state = _element(table, key, dialect)
        states = following
    leaves = [item - count for item in states]
    if leaves == list(range(len(leaves))):
        return state
    if len(leaves) == 1:
        return exp.Literal.number(leaves[0])
    return _element(leaves, state, dialect)


def decision_parts(policy: Policy, column: Column, dialect: str = DEFAULT_DIALECT) -> DecisionParts:
    """The policy compiled over the columns `column` names (see `DecisionParts`), for a
    dialect (lists are indexed from 0 or 1)."""
    shape = diagram_json(diagram_of(policy))
    facts = shape["facts"]
    declared = policy.fact_index
    checks = [_first_problem(declared[f["name"]], column(f["name"])) for f in facts]
    # Facts no rule looks at are checked too, as `validate` checks every fact it is given.
    asked = {f["name"] for f in facts}
    checks += [_first_problem(fact, column(fact.name)) for fact in policy.facts if fact.name not in asked]
    order = {fact.name: n for n, fact in enumerate(policy.facts)}
    names = [f["name"] for f in facts] + [f.name for f in policy.facts if f.name not in asked]
    ordered = [check for _, check in sorted(zip(names, checks, strict=True), key=lambda item: order[item[0]])]
    invalid = (
        exp.or_(*(exp.paren(condition, copy=False) for condition, _ in ordered), copy=False) if ordered else exp.false()
    )
    # In the interpreter's order: by code (`ScenarioError` sorts its diagnostics so), then by fact.
    by_code = sorted(
        ((code, at, one, message) for at, (_, ones) in enumerate(ordered) for code, one, message in ones),
        key=lambda piece: (piece[0], piece[1]),
    )
    problems = (
        exp.ArrayConcat(
            this=_text_array(()),
            expressions=[
                exp.Case(ifs=[exp.If(this=one, true=exp.Array(expressions=[message]))], default=_text_array(()))
                for _, _, one, message in by_code
            ],
        )
        if ordered
        else _text_array(())
    )
    leaves = tuple((leaf["outcome"], tuple(leaf["rules"]), tuple(leaf["missing"])) for leaf in shape["leaves"])
    leaf = _leaf_number(shape, lambda classes: _class_of(classes, column(classes["name"])), dialect)
    return DecisionParts(leaf, invalid, problems, leaves)


def leaf_number(
    policy: Policy, class_of: ClassOf, dialect: str = DEFAULT_DIALECT
) -> tuple[exp.Expr, tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]:
    """The number of the leaf a record reaches when `class_of` gives its classes (see
    `_leaf_number`), with the facts' classes and each leaf's outcome, rules, missing
    facts and reasons (`diagram_json` with reasons)."""
    shape = diagram_json(diagram_of(policy), reasons=True)
    return _leaf_number(shape, class_of, dialect), tuple(shape["facts"]), tuple(shape["leaves"])


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


def policy_query(policy: Policy, table: str = DEFAULT_TABLE, dialect: str = DEFAULT_DIALECT) -> exp.Select:
    """The policy as one SELECT over `table` for a dialect (see the module docstring)."""
    parts = decision_parts(policy, _record_column, dialect=dialect)
    rows = [
        exp.Tuple(
            expressions=[exp.Literal.number(n), exp.Literal.string(outcome), _text_array(rules), _text_array(missing)]
        )
        for n, (outcome, rules, missing) in enumerate(parts.leaves)
    ]
    leaves = exp.Values(
        expressions=rows,
        alias=exp.TableAlias(
            this=exp.to_identifier(LEAVES),
            columns=[exp.to_identifier(c) for c in ("leaf", "outcome", "rules", "missing")],
        ),
    )
    leaf_column = exp.column("leaf", table=LEAVES)
    number = exp.Case(ifs=[exp.If(this=parts.invalid, true=exp.Null())], default=parts.leaf)
    source = table_of(table).as_(RECORD, quoted=True)
    return (
        exp.select(
            exp.column(exp.Star(), table=RECORD),
            exp.Coalesce(this=exp.column("outcome", table=LEAVES), expressions=[exp.Literal.string(INVALID)]).as_(
                "outcome"
            ),
            exp.Coalesce(this=exp.column("rules", table=LEAVES), expressions=[_text_array(())]).as_("rules"),
            exp.Coalesce(this=exp.column("missing", table=LEAVES), expressions=[_text_array(())]).as_("missing"),
            parts.problems.as_("problems"),
        )
        .from_(source)
        .join(leaves, on=exp.EQ(this=leaf_column, expression=number), join_type="left")
    )


def policy_sql(policy: Policy, table: str = DEFAULT_TABLE, dialect: str = DEFAULT_DIALECT, pretty: bool = True) -> str:
    """The policy's query written in a dialect."""
    dialect = check_dialect(dialect)
    return policy_query(policy, table, dialect).sql(dialect=dialect, pretty=pretty)
