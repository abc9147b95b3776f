"""The policy's SQL query (sql.py) decides every record as `policy.evaluate` decides the
scenario, run by DuckDB: the same outcome, deciding rules and missing facts, and
`invalid` exactly when evaluate refuses the scenario, with the same problems in the same
order. On the clinic fixture and the checkout's policy: every complete combination of the
facts' domain values, thousands of partial scenarios, hundreds of invalid ones (in typed
columns, and in a table whose yes/no columns are text and number columns DOUBLE), some
with unknown facts beside the wrong ones; and on generated policies. Then: every dialect
writes the query, the Spark and Postgres texts parse back, and `billability sql`.

Nothing here names a fact, a value or a rule of the checkout's policy.
"""

from __future__ import annotations

import functools
import math
import random
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from billability import strategies
from billability.cli import main
from billability.model import FactType, Policy
from billability.sourcetext import statements
from billability.sql import OUTPUT_COLUMNS, dialects, policy_sql
from policy_texts import CLINIC
from record_tables import column_types, differences, result_query, write_records
from scenarios import (
    complete_combinations,
    half_known_scenarios,
    invalid_scenarios,
    partial_scenarios,
    wrong_value_codes,
)


@pytest.fixture(params=["clinic", "policy"])
def any_policy(request: pytest.FixtureRequest) -> Policy:
    loaded: Policy = request.getfixturevalue(request.param)
    return loaded


def load(
    connection: duckdb.DuckDBPyConnection,
    policy: Policy,
    scenarios: Sequence[Mapping[str, Any]],
    table: str = "records",
    text_columns: bool = False,
) -> None:
    """A table of the scenarios' records, its columns typed (see `record_tables`)."""
    types = column_types(policy, text_columns)
    columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in types.items()) + "}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "records.jsonl"
        write_records(path, policy, scenarios, text_columns)
        connection.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_json(?, format = 'newline_delimited', columns = {columns})",
            [str(path)],
        )


@functools.lru_cache(maxsize=4)
def duckdb_query(policy: Policy) -> str:
    """The policy's query over `records` for DuckDB, written once for the tests that run it."""
    return policy_sql(policy, "records", "duckdb")


def decided_by_sql(
    policy: Policy, scenarios: Sequence[Mapping[str, Any]], text_columns: bool = False
) -> list[tuple[Any, ...]]:
    """The query's rows for the scenarios' records (row_id, outcome, rules, missing, problems)."""
    connection = duckdb.connect()
    try:
        load(connection, policy, scenarios, text_columns=text_columns)
        return connection.execute(result_query(duckdb_query(policy))).fetchall()
    finally:
        connection.close()


# --- exact: the query decides as evaluate -------------------------------------------------------


def test_every_complete_combination_decides_as_evaluate(any_policy: Policy) -> None:
    scenarios = list(complete_combinations(any_policy))
    assert len(scenarios) >= 100
    rows = decided_by_sql(any_policy, scenarios)
    assert differences(any_policy, scenarios, rows) == []
    assert len({row[1] for row in rows}) >= 2


def test_thousands_of_partial_scenarios_decide_as_evaluate(any_policy: Policy) -> None:
    # Many with a few facts unknown, fewer with any number unknown, and nothing known.
    scenarios = [
        *partial_scenarios(any_policy, 3000, seed=11, most_unknown=4),
        *partial_scenarios(any_policy, 300, seed=12, most_unknown=len(any_policy.facts)),
        *half_known_scenarios(any_policy, 1500, seed=13),
        {},
    ]
    rows = decided_by_sql(any_policy, scenarios)
    assert differences(any_policy, scenarios, rows) == []
    outcomes = [row[1] for row in rows]
    assert 0 < outcomes.count("undetermined") < len(scenarios)
    assert any(row[3] for row in rows)  # some undetermined record names missing facts


def test_wrong_values_in_typed_columns_are_invalid_as_evaluate_refuses_them(any_policy: Policy) -> None:
    """Values a choice fact does not list and numbers out of range, some beside unknown facts."""
    scenarios = invalid_scenarios(any_policy, 400, seed=21, typed=True)
    rows = decided_by_sql(any_policy, scenarios)
    assert differences(any_policy, scenarios, rows) == []
    assert {row[1] for row in rows} == {"invalid"}
    codes = {problem.partition(":")[0] for row in rows for problem in row[4]}
    assert codes == wrong_value_codes(any_policy, typed=True)
    assert any(len(row[4]) > 1 for row in rows)
    assert any(value is None for scenario in scenarios for value in scenario.values())


def test_text_and_double_columns_are_checked_as_evaluate_checks_values(any_policy: Policy) -> None:
    """Yes/no facts as text (`true` and `false` valid, any other text not) and numbers as
    DOUBLE (whole ones valid, fractions not), with wrong and unknown values mixed."""
    invalid = invalid_scenarios(any_policy, 600, seed=31, most_wrong=3)
    valid = partial_scenarios(any_policy, 400, seed=32, most_unknown=3)
    scenarios = [*invalid, *valid]
    rows = decided_by_sql(any_policy, scenarios, text_columns=True)
    assert differences(any_policy, scenarios, rows) == []
    codes = {problem.partition(":")[0] for row in rows for problem in row[4]}
    assert codes == wrong_value_codes(any_policy)
    assert sum(row[1] == "invalid" for row in rows) == len(invalid)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 2.5])
def test_not_a_number_and_the_infinities_are_no_whole_numbers(clinic: Policy, value: float) -> None:
    """A DOUBLE column can hold them; DuckDB takes each to equal its own floor."""
    number = next(fact for fact in clinic.facts if fact.type is FactType.INTEGER)
    scenarios = [{**scenario, number.name: value} for scenario in complete_combinations(clinic)]
    rows = decided_by_sql(clinic, scenarios, text_columns=True)
    assert differences(clinic, scenarios, rows) == []
    assert {row[1] for row in rows} == {"invalid"}


def test_the_comparison_notices_a_query_that_decides_otherwise(clinic: Policy) -> None:
    """A query with its problems in another order, or one leaf's outcome changed, differs."""
    scenarios = [*complete_combinations(clinic), *invalid_scenarios(clinic, 100, seed=33, most_wrong=3)]
    connection = duckdb.connect()
    load(connection, clinic, scenarios, text_columns=True)
    query = result_query(duckdb_query(clinic))
    assert query.count("LIST_CONCAT(") == query.count(" AS problems") == 1  # the problems, and only they
    reordered = query.replace("LIST_CONCAT(", "LIST_REVERSE(LIST_CONCAT(", 1).replace(
        " AS problems", ") AS problems", 1
    )
    relabelled = query.replace("'not_billable'", "'needs_review'", 1)
    for changed in (reordered, relabelled):
        assert changed != query
        assert differences(clinic, scenarios, connection.execute(changed).fetchall()) != []


SOURCE = (CLINIC / "policy" / "sources" / "table.txt").read_text(encoding="utf-8")
GENERATED = strategies.policies(SOURCE, statements(SOURCE)[0].text)


@given(GENERATED, st.randoms(use_true_random=False))
def test_generated_policies_decide_as_evaluate(policy: Policy, rng: random.Random) -> None:
    """Every complete combination, partial scenarios made from them, and wrong values of
    every kind (generated policies have at most four facts)."""
    combinations = list(complete_combinations(policy))
    partial = [
        {name: value for name, value in scenario.items() if rng.random() < 0.5}
        for scenario in rng.sample(combinations, min(len(combinations), 30))
    ]
    invalid = invalid_scenarios(policy, 30, seed=rng.randrange(1000))
    scenarios = [*combinations, *partial, *invalid, {}]
    rows = decided_by_sql(policy, scenarios, text_columns=True)
    assert differences(policy, scenarios, rows) == []


# --- dialects ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", dialects())
def test_every_dialect_writes_the_query(clinic: Policy, dialect: str) -> None:
    text = policy_sql(clinic, "records", dialect)
    assert text.lstrip().upper().startswith("SELECT")
    assert all(name in text for name in OUTPUT_COLUMNS)


@pytest.mark.parametrize("dialect", ["spark", "postgres"])
def test_the_query_parses_back_in_its_dialect(any_policy: Policy, dialect: str) -> None:
    text = policy_sql(any_policy, "claims.records", dialect)
    parsed = sqlglot.parse_one(text, read=dialect)
    assert isinstance(parsed, sqlglot.exp.Select)
    assert parsed.named_selects[-len(OUTPUT_COLUMNS) :] == list(OUTPUT_COLUMNS)
    (table,) = [t for t in parsed.find_all(sqlglot.exp.Table) if t.name]
    assert (table.db, table.name) == ("claims", "records")
    read = {column.name for column in parsed.find_all(sqlglot.exp.Column) if column.table == "record"}
    assert read == {"*", *(fact.name for fact in any_policy.facts)}


@pytest.mark.parametrize("dialect", ["spark", "postgres"])
def test_the_text_read_back_and_written_for_duckdb_decides_as_evaluate(clinic: Policy, dialect: str) -> None:
    """What Spark or Postgres reads is the query DuckDB runs: read back and written for
    DuckDB, it still decides every complete combination and wrong values as evaluate."""
    scenarios = [*complete_combinations(clinic), *invalid_scenarios(clinic, 200, seed=51)]
    text = sqlglot.transpile(policy_sql(clinic, "records", dialect), read=dialect, write="duckdb")[0]
    connection = duckdb.connect()
    load(connection, clinic, scenarios, text_columns=True)
    rows = connection.execute(result_query(text)).fetchall()
    assert differences(clinic, scenarios, rows) == []


# --- billability sql -----------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["sql", "--policy", str(CLINIC / "policy"), *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_misspelt_dialect_is_a_located_error_with_a_hint() -> None:
    code, out, err = run("--dialect", "postgress")
    assert code == 2 and out == ""
    assert "option --dialect `postgress`" in err
    assert "sql.dialect" in err
    assert "did you mean `postgres`?" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("table", ["records; DROP TABLE records", "claims..records", "a.b.c.d", "", "1records"])
def test_a_name_that_is_no_table_is_a_located_error(table: str) -> None:
    code, out, err = run("--table", table)
    assert code == 2 and out == ""
    assert f"option --table `{table}`" in err
    assert "sql.table" in err
    assert "Traceback" not in err


def test_both_mistakes_are_reported_at_once() -> None:
    code, _, err = run("--dialect", "nosuch", "--table", "a b")
    assert code == 2
    assert "sql.dialect" in err and "sql.table" in err


def test_output_writes_the_query_to_a_file(clinic: Policy, tmp_path: Path) -> None:
    target = tmp_path / "policy.sql"
    code, out, err = run("--dialect", "spark", "--table", "claims.records", "-o", str(target))
    assert code == 0, err
    assert out == ""
    assert target.read_text(encoding="utf-8") == policy_sql(clinic, "claims.records", "spark") + "\n"


def test_the_printed_query_runs_on_a_qualified_table(clinic: Policy) -> None:
    code, out, err = run("--table", "claims.records")
    assert code == 0, err
    scenarios: list[dict[str, Any]] = [
        *complete_combinations(clinic),
        *partial_scenarios(clinic, 300, seed=41, most_unknown=3),
    ]
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA claims")
    load(connection, clinic, scenarios, table="claims.records")
    rows = connection.execute(result_query(out.strip().removesuffix(";"))).fetchall()
    assert differences(clinic, scenarios, rows) == []
