"""The policy's SQL query, written for Spark and run unchanged by a local Spark session,
decides every record as `policy.evaluate` decides the scenario: the same outcome,
deciding rules and missing facts, and `invalid` exactly when evaluate refuses it, with
the same problems in the same order. On the clinic fixture and the checkout's policy:
every complete combination of the facts' domain values, thousands of partial scenarios,
and hundreds of invalid ones in a table whose yes/no columns are text and number columns
DOUBLE. The records are read as JSON Lines with an explicit schema into the temporary
view `records`.

Spark needs pyspark (the `spark` extra) and Java 17 or later. Without them the module is
skipped with the reason; in CI (`CI` set) it fails instead, so CI never passes a Spark
test it did not run.

Nothing here names a fact, a value or a rule of the checkout's policy.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from billability.model import Policy
from billability.sql import policy_sql
from record_tables import column_types, differences, result_query, write_records
from scenarios import (
    complete_combinations,
    half_known_scenarios,
    invalid_scenarios,
    partial_scenarios,
    wrong_value_codes,
)


def java() -> str | None:
    """The `java` Spark would start: JAVA_HOME's, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def require_spark() -> None:
    """Skip this module (fail it in CI) unless pyspark and Java are there."""
    reason = None
    if importlib.util.find_spec("pyspark") is None:
        reason = "`pyspark` is not installed: pip install -e '.[dev,spark]'"
    elif java() is None:
        reason = "no Java for Spark (JAVA_HOME or `java` on PATH): install Java 17 or later"
    if reason is None:
        return
    if os.environ.get("CI"):
        # In CI the Spark tests must run: a missing Spark or Java is a failure, not a skip.
        pytest.fail(f"the Spark tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


require_spark()

from pyspark.sql import SparkSession  # noqa: E402


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """A local Spark session on two cores, without its web UI or progress bars."""
    session = (
        SparkSession.builder.master("local[2]")
        .appName("billability-sql")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    # Quiet: Spark's warnings, or for a query too large for its generated code the
    # compiler's long failure before it evaluates the query without it, would fill the
    # captured output; a query that fails raises all the same.
    session.sparkContext.setLogLevel("FATAL")
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(params=["clinic", "policy"])
def any_policy(request: pytest.FixtureRequest) -> Policy:
    loaded: Policy = request.getfixturevalue(request.param)
    return loaded


@dataclass(frozen=True, slots=True)
class Batch:
    """Scenarios of a few kinds decided by one Spark query (each query of the checkout's
    policy costs seconds of planning), and the query's rows for them."""

    scenarios: dict[str, list[dict[str, Any]]]
    rows: dict[str, list[tuple[Any, ...]]]


Decide = Callable[[Policy, bool], Batch]


def typed_scenarios(policy: Policy) -> dict[str, list[dict[str, Any]]]:
    """For a table of typed columns: valid scenarios, and the wrong values such columns hold."""
    return {
        "complete": list(complete_combinations(policy)),
        "partial": [
            *partial_scenarios(policy, 2000, seed=61, most_unknown=4),
            *half_known_scenarios(policy, 1000, seed=62),
            {},
        ],
        "invalid": invalid_scenarios(policy, 200, seed=63, typed=True),
    }


def text_scenarios(policy: Policy) -> dict[str, list[dict[str, Any]]]:
    """For a table of text yes/no and DOUBLE number columns: every kind of wrong value, and
    valid scenarios (`true`/`false` as text, whole numbers as DOUBLE)."""
    return {
        "invalid": invalid_scenarios(policy, 500, seed=71, most_wrong=3),
        "valid": partial_scenarios(policy, 300, seed=72, most_unknown=3),
    }


@pytest.fixture(scope="session")
def decided_by_spark(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Decide:
    """The rows of the policy's Spark query over a view `records` of the scenarios'
    records: typed columns, or with `text_columns` text yes/no and DOUBLE number columns."""
    folder = tmp_path_factory.mktemp("records")
    done: dict[tuple[str, bool], Batch] = {}

    def decide(policy: Policy, text_columns: bool) -> Batch:
        key = (policy.id, text_columns)
        if key not in done:
            kinds = text_scenarios(policy) if text_columns else typed_scenarios(policy)
            scenarios = [scenario for kind in kinds.values() for scenario in kind]
            path = folder / f"records-{len(done)}.jsonl"
            write_records(path, policy, scenarios, text_columns)
            schema = ", ".join(f"{name} {kind}" for name, kind in column_types(policy, text_columns).items())
            spark.read.schema(schema).option("mode", "FAILFAST").json(str(path)).createOrReplaceTempView("records")
            query = result_query(policy_sql(policy, "records", "spark"))
            found = sorted((tuple(row) for row in spark.sql(query).collect()), key=lambda row: row[0])
            assert [row[0] for row in found] == list(range(len(scenarios))), "other rows than the records"
            rows, start = {}, 0
            for kind, some in kinds.items():
                # Each kind's rows numbered from 0, as `differences` matches them to its scenarios.
                rows[kind] = [(at - start, *rest) for at, *rest in found[start : start + len(some)]]
                start += len(some)
            done[key] = Batch(kinds, rows)
        return done[key]

    return decide


def test_every_complete_combination_decides_as_evaluate(decided_by_spark: Decide, any_policy: Policy) -> None:
    batch = decided_by_spark(any_policy, False)
    scenarios, rows = batch.scenarios["complete"], batch.rows["complete"]
    assert len(scenarios) >= 100
    assert differences(any_policy, scenarios, rows) == []
    assert len({row[1] for row in rows}) >= 2


def test_thousands_of_partial_scenarios_decide_as_evaluate(decided_by_spark: Decide, any_policy: Policy) -> None:
    batch = decided_by_spark(any_policy, False)
    scenarios, rows = batch.scenarios["partial"], batch.rows["partial"]
    assert differences(any_policy, scenarios, rows) == []
    assert 0 < [row[1] for row in rows].count("undetermined") < len(scenarios)


@pytest.mark.parametrize("text_columns", [False, True], ids=["typed", "text"])
def test_wrong_values_are_invalid_as_evaluate_refuses_them(
    decided_by_spark: Decide, any_policy: Policy, text_columns: bool
) -> None:
    """Typed columns hold choice values the policy does not list and numbers out of range;
    text yes/no and DOUBLE number columns hold every kind of wrong value. Some records give
    unknown facts beside the wrong ones."""
    batch = decided_by_spark(any_policy, text_columns)
    invalid, rows = batch.scenarios["invalid"], batch.rows["invalid"]
    assert differences(any_policy, invalid, rows) == []
    assert {row[1] for row in rows} == {"invalid"}
    codes = {problem.partition(":")[0] for row in rows for problem in row[4]}
    assert codes == wrong_value_codes(any_policy, typed=not text_columns)


def test_true_false_texts_and_whole_doubles_are_valid(decided_by_spark: Decide, any_policy: Policy) -> None:
    batch = decided_by_spark(any_policy, True)
    valid, rows = batch.scenarios["valid"], batch.rows["valid"]
    assert differences(any_policy, valid, rows) == []
    assert "invalid" not in {row[1] for row in rows}
