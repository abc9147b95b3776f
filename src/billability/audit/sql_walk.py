"""Walk a policy's decision diagram in SQL, down to the leaf a record reaches.

In: a compiled `Policy`, a dialect, and `ClassOf`: the SQL for the position of a
record's value among a fact's classes (their count when unknown).
Out: `leaf_number`, the SQL for the number of the leaf a record reaches, with the
facts' classes and each leaf's outcome, rules, missing facts and reasons
(`diagram.diagram_json`). The policy's query (`sql`) and DuckDB's audit engine
(`unreadable`) both walk it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlglot
from sqlglot import exp

from billability.decide.diagram import diagram_of
from billability.decide.diagram_json import diagram_json
from billability.policy.compiled import Policy

DEFAULT_DIALECT = "duckdb"


def list_item(items: Sequence[int], index: exp.Expr, dialect: str) -> exp.Expr:
    """The item of a list of whole numbers at a 0-based index, as the dialect writes it
    (1-based `[i + 1]` in DuckDB and Postgres, 0-based in Spark; a CASE in SQLite,
    which has no arrays)."""
    if dialect == "sqlite":
        return exp.Case(
            this=index,
            ifs=[exp.If(this=exp.Literal.number(n), true=exp.Literal.number(item)) for n, item in enumerate(items)],
        )
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


ClassOf = Callable[[dict[str, Any]], exp.Expr]
"""Gives the SQL for the position of a record's value among a fact's classes (their
count when unknown), from the fact's entry in `diagram_json`'s `facts`."""


def _leaf_number(shape: dict[str, Any], class_of: ClassOf, dialect: str) -> exp.Expr:
    """The number of the leaf a record reaches, fact by fact in question order.

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
        state = list_item(table, key, dialect)
        states = following
    leaves = [item - count for item in states]
    if leaves == list(range(len(leaves))):
        return state
    if len(leaves) == 1:
        return exp.Literal.number(leaves[0])
    return list_item(leaves, state, dialect)


def leaf_number(
    policy: Policy, class_of: ClassOf, dialect: str = DEFAULT_DIALECT
) -> tuple[exp.Expr, tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]:
    """The number of the leaf a record reaches when `class_of` gives its classes (see
    `_leaf_number`), with the facts' classes and each leaf's outcome, rules, missing
    facts and reasons (`diagram_json` with reasons)."""
    shape = diagram_json(diagram_of(policy), reasons=True)
    return _leaf_number(shape, class_of, dialect), tuple(shape["facts"]), tuple(shape["leaves"])
