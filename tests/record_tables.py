"""Scenarios as a table of records, for the tests of the policy's SQL query: the records
as JSON Lines a database reads with declared column types, and the row `policy.evaluate`
says the query must return for each.

A table of records has a column per fact, named like it, NULL where the fact is unknown.
Its columns are typed (text, BOOLEAN, BIGINT), or with `text_columns` the yes/no facts
are text (`true`, `false`, or any other text) and the number facts DOUBLE, so that the
table can hold a number with a fraction or a yes/no fact's stray text. Each record also
carries `row_id`, its position among the scenarios, to match the query's rows to them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from billability.model.diagnostics import ScenarioError
from billability.model.policy import FactType
from billability.policy.compiled import Policy

ROW_ID = "row_id"
# Column types in words both DuckDB and Spark SQL read.
TYPED = {FactType.ENUM: "STRING", FactType.BOOLEAN: "BOOLEAN", FactType.INTEGER: "BIGINT"}
TEXT = {FactType.ENUM: "STRING", FactType.BOOLEAN: "STRING", FactType.INTEGER: "DOUBLE"}

Row = tuple[str, list[str], list[str], list[str]]
"""What the query returns for a record: outcome, rules, missing, problems."""


def column_types(policy: Policy, text_columns: bool = False) -> dict[str, str]:
    """`row_id`'s type and each fact's column type, in the policy's order."""
    types = TEXT if text_columns else TYPED
    return {ROW_ID: "BIGINT", **{fact.name: types[fact.type] for fact in policy.facts}}


def record(policy: Policy, scenario: Mapping[str, Any], text_columns: bool = False) -> dict[str, Any]:
    """The scenario as a record: every fact, None where unknown; with `text_columns`, a
    yes/no fact's true or false as the text `true` or `false`."""
    made = {}
    for fact in policy.facts:
        value = scenario.get(fact.name)
        if text_columns and isinstance(value, bool):
            value = "true" if value else "false"
        made[fact.name] = value
    return made


def write_records(
    path: Path, policy: Policy, scenarios: Iterable[Mapping[str, Any]], text_columns: bool = False
) -> None:
    """The scenarios as records in JSON Lines, each with its `row_id`."""
    with path.open("w", encoding="utf-8") as lines:
        for at, scenario in enumerate(scenarios):
            lines.write(json.dumps({ROW_ID: at, **record(policy, scenario, text_columns)}) + "\n")


def expected_row(policy: Policy, scenario: Mapping[str, Any]) -> Row:
    """The row the query must return for the scenario's record, as `policy.evaluate` decides
    it; an invalid scenario's problems as `code: message`, in the interpreter's order."""
    try:
        decision = policy.evaluate(scenario)
    except ScenarioError as error:
        return ("invalid", [], [], [f"{d.code}: {d.message}" for d in error.diagnostics])
    return (str(decision.outcome), list(decision.rules), list(decision.missing), [])


def differences(
    policy: Policy, scenarios: Sequence[Mapping[str, Any]], rows: Iterable[Sequence[Any]]
) -> list[tuple[Mapping[str, Any], Row, Row]]:
    """(scenario, the query's row, evaluate's row) wherever they differ; `rows` are
    (row_id, outcome, rules, missing, problems) in any order, one per scenario."""
    by_id = {row[0]: (row[1], list(row[2]), list(row[3]), list(row[4])) for row in rows}
    assert sorted(by_id) == list(range(len(scenarios))), "the query returned other rows than the records"
    found = []
    for at, scenario in enumerate(scenarios):
        expected = expected_row(policy, scenario)
        if by_id[at] != expected:
            found.append((scenario, by_id[at], expected))
    return found


def result_query(query: str) -> str:
    """The query's answers for matching: row_id, outcome, rules, missing, problems."""
    return f"SELECT {ROW_ID}, outcome, rules, missing, problems FROM ({query}) AS decided"
